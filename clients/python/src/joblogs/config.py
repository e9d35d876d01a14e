"""The CLI's configuration: flags, then ``JOBLOGS_*`` variables (the Node CLI's names), parsed once
into :class:`CliConfig`; every problem is listed in one :class:`CliConfigError` (exit 2)."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from typing import Mapping, NoReturn, Optional, Sequence

from . import __version__
from .contract import is_valid_job_id
from .errors import JoblogsError, ShipperOptionsError
from .options import ShipperOptions
from .scrub import MAX_SECRET_BYTES, MIN_SECRET_BYTES, secrets_from_environment
from .trace.context import format_traceparent, new_span_id, new_trace_id, read_traceparent

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127
EXIT_SIGNAL_BASE = 128

PIPE_CLOSE_TIMEOUT_MS = 2000
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")


class CliConfigError(JoblogsError):
    """Bad configuration or usage: one line on stderr, exit 2, the command is not started."""


# (flag, environment variable, default, help)
_COMMON: tuple[tuple[str, str, Optional[str], str], ...] = (
    ("--job-id", "JOBLOGS_JOB_ID", None, "job the lines belong to ([A-Za-z0-9][A-Za-z0-9_.-]{0,127})"),
    ("--bucket", "JOBLOGS_BUCKET", None, "the environment's log bucket"),
    ("--source", "JOBLOGS_SOURCE", "main", "writer inside the job"),
    ("--prefix", "JOBLOGS_PREFIX", "chunks/", "key prefix the bucket notification listens on"),
    ("--dataset", "JOBLOGS_DATASET", None, "mlplatform.<name> dataset (default: the indexer's)"),
    ("--service", "JOBLOGS_SERVICE", None, "service.name of the lines"),
    ("--container-id", "JOBLOGS_CONTAINER_ID", None, "container.id of the lines"),
    ("--traceparent", "TRACEPARENT", None, "W3C traceparent (default: $TRACEPARENT, else a new one)"),
    (
        "--flush-interval",
        "JOBLOGS_FLUSH_INTERVAL_MS",
        "1000",
        "seal a chunk at most this long (ms) after its first line while someone watches the job (and at start)",
    ),
    (
        "--idle-flush-interval",
        "JOBLOGS_IDLE_FLUSH_INTERVAL_MS",
        None,
        "the same while nobody watches the job (default 30000; 0 = always --flush-interval)",
    ),
    (
        "--fresh-start",
        "JOBLOGS_FRESH_START_MS",
        None,
        "stay at --flush-interval this long (ms) after start, watched or not (default 60000)",
    ),
    (
        "--watch-poll-interval",
        "JOBLOGS_WATCH_POLL_INTERVAL_MS",
        None,
        "how often (ms) the job's watch signal is read while it prints and nobody watches (default 2000, jittered)",
    ),
    (
        "--max-chunk-bytes",
        "JOBLOGS_MAX_CHUNK_BYTES",
        None,
        "uncompressed bound of a chunk (default 1 MiB, at most 8 MiB)",
    ),
    (
        "--max-line-bytes",
        "JOBLOGS_MAX_LINE_BYTES",
        None,
        "longer lines are split into continuation frames (default 256 KiB)",
    ),
    (
        "--spool-dir",
        "JOBLOGS_SPOOL_DIR",
        None,
        "where chunks wait for upload (default $XDG_RUNTIME_DIR/joblogs or ~/.cache/joblogs/spool)",
    ),
    ("--spool-max-bytes", "JOBLOGS_SPOOL_MAX_BYTES", None, "bound of the spool on disk (default 512 MiB)"),
    ("--on-spool-full", "JOBLOGS_ON_SPOOL_FULL", "drop-oldest", "drop-oldest or block"),
    (
        "--redact-env",
        "JOBLOGS_REDACT_ENV",
        None,
        "environment variables whose values are secret, comma-separated; added to the well-known ones (HF_TOKEN, WANDB_API_KEY, …)",
    ),
    (
        "--close-timeout",
        "JOBLOGS_CLOSE_TIMEOUT_MS",
        None,
        "how long (ms) to wait for uploads at exit (the rest stays spooled)",
    ),
)
_SWITCHES: tuple[tuple[str, str, str], ...] = (
    ("--force-path-style", "JOBLOGS_S3_FORCE_PATH_STYLE", "path-style S3 URLs (MinIO)"),
    ("--verbose", "JOBLOGS_VERBOSE", "one stderr line per upload and per failed attempt"),
)
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class CliConfig:
    command: str
    shipper: ShipperOptions
    traceparent: str
    force_path_style: bool
    verbose: bool
    argv: tuple[str, ...] = ()
    pipe_close_timeout_ms: int = PIPE_CLOSE_TIMEOUT_MS
    passthrough: bool = True
    warnings: tuple[str, ...] = ()
    """Printed as ``joblogs: warning: …`` before the command starts."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliConfigError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m joblogs",
        description="Ships a job's output, line by line, as gzip chunks to S3 (docs/python.md)",
    )
    parser.add_argument("--version", action="version", version=f"joblogs-python {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="run a command, pass its output through and ship it; exits with its exit code")
    run.add_argument(
        "--pipe-close-timeout",
        metavar="MS",
        help="after the command exits, how long its output may stay open (default 2000)",
    )
    pipe = commands.add_parser("pipe", help="ship standard input (as stdout) until it ends, copying it to standard output")
    pipe.add_argument("--no-passthrough", action="store_true", help="do not copy standard input to standard output")
    for sub in (run, pipe):
        for flag, env, _default, text in _COMMON:
            sub.add_argument(flag, metavar="VALUE", help=f"{text} [{env}]")
        for flag, env, text in _SWITCHES:
            sub.add_argument(flag, action="store_true", default=None, help=f"{text} [{env}]")
        sub.add_argument("--no-redact", action="store_true", help="ship lines exactly as printed: no secret scrubbing (patterns or values)")
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="the command and its arguments, after --")
    return parser


def parse_cli(argv: Sequence[str], env: Mapping[str, str]) -> CliConfig:
    """Flags, then environment, then defaults; raises :class:`CliConfigError` naming every problem."""
    args = build_parser().parse_args(list(argv))
    if args.command is None:
        raise CliConfigError("a command is required: run or pipe (see --help)")
    problems: list[str] = []

    def value(flag: str) -> Optional[str]:
        for name, variable, default, _ in _COMMON:
            if name == flag:
                given = getattr(args, name[2:].replace("-", "_"))
                return given if given is not None else env.get(variable) or default
        raise KeyError(flag)

    def integer(flag: str) -> Optional[int]:
        text = value(flag)
        if text is None:
            return None
        if not re.match(r"^[0-9]+\Z", text):
            problems.append(f"{flag} must be a whole number, got {text!r}")
            return None
        return int(text)

    def switch(flag: str) -> bool:
        given = getattr(args, flag[2:].replace("-", "_"))
        variable = next(v for f, v, _ in _SWITCHES if f == flag)
        return bool(given) or env.get(variable, "").lower() in _TRUE

    job_id = value("--job-id")
    bucket = value("--bucket")
    if not job_id:
        problems.append("--job-id (or JOBLOGS_JOB_ID) is required")
    elif not is_valid_job_id(job_id):
        problems.append(f"job id {job_id!r} is invalid: use 1–128 of [A-Za-z0-9_.-], starting with a letter or digit")
    if not bucket:
        problems.append("--bucket (or JOBLOGS_BUCKET) is required")
    traceparent = resolve_traceparent(value("--traceparent"), problems)
    overflow = value("--on-spool-full")
    if overflow not in ("drop-oldest", "block"):
        problems.append(f"--on-spool-full must be drop-oldest or block, got {overflow!r}")
    numbers = {
        "flush_interval_ms": integer("--flush-interval"),
        "idle_flush_interval_ms": integer("--idle-flush-interval"),
        "fresh_start_ms": integer("--fresh-start"),
        "watch_poll_interval_ms": integer("--watch-poll-interval"),
        "max_chunk_bytes": integer("--max-chunk-bytes"),
        "max_line_bytes": integer("--max-line-bytes"),
        "spool_max_bytes": integer("--spool-max-bytes"),
        "close_timeout_ms": integer("--close-timeout"),
    }
    pipe_close = PIPE_CLOSE_TIMEOUT_MS
    if args.command == "run":
        text = args.pipe_close_timeout or env.get("JOBLOGS_PIPE_CLOSE_TIMEOUT_MS")
        if text is not None:
            if re.match(r"^[0-9]+\Z", text):
                pipe_close = int(text)
            else:
                problems.append(f"--pipe-close-timeout must be a whole number of milliseconds, got {text!r}")
        command = list(args.cmd)
        if command and command[0] == "--":
            command = command[1:]
        if not command:
            problems.append("a command to run is required after --")
    else:
        command = []
    redact = not args.no_redact
    secrets: tuple[tuple[str, str], ...] = ()
    warnings: list[str] = []
    if redact:
        names = [n.strip() for n in (value("--redact-env") or "").split(",") if n.strip()]
        bad = [n for n in names if not _ENV_NAME.match(n)]
        if bad:
            listed = ", ".join(json.dumps(n) for n in bad)
            problems.append(f"--redact-env: {listed} {'is not a variable name' if len(bad) == 1 else 'are not variable names'}")
        found = secrets_from_environment(names, env)
        secrets = tuple((s.name, s.value) for s in found.secrets)
        # Only for variables the job named: a well-known one set to a placeholder (moto's `test`) is not worth a line.
        warnings += [
            f"{name} is {size} byte(s) long: not redacted (secret values must be {MIN_SECRET_BYTES}–{MAX_SECRET_BYTES} bytes)"
            for name, size in found.skipped
            if name in names
        ]
    else:
        warnings.append("secret scrubbing is off (--no-redact): lines are shipped exactly as printed")
    if problems:
        raise CliConfigError("; ".join(problems))
    try:
        options = ShipperOptions(
            job_id=job_id or "",
            bucket=bucket or "",
            source=value("--source") or "main",
            prefix=value("--prefix") or "",
            dataset=value("--dataset"),
            service=value("--service"),
            container_id=value("--container-id"),
            traceparent=traceparent,
            spool_dir=value("--spool-dir"),
            overflow="block" if overflow == "block" else "drop-oldest",
            redact=redact,
            secrets=secrets,
            **{name: number for name, number in numbers.items() if number is not None},  # type: ignore[arg-type]
        ).check()
    except ShipperOptionsError as error:
        raise CliConfigError("; ".join(error.problems), cause=error) from error
    return CliConfig(
        command=args.command,
        shipper=options,
        traceparent=traceparent,
        force_path_style=switch("--force-path-style"),
        verbose=switch("--verbose"),
        argv=tuple(command),
        pipe_close_timeout_ms=pipe_close,
        passthrough=not getattr(args, "no_passthrough", False),
        warnings=tuple(warnings),
    )


def resolve_traceparent(given: Optional[str], problems: list[str]) -> str:
    """The given traceparent (validated, lowercased) or a new one — as the Node CLI: a malformed
    one is a configuration error, not silently replaced."""
    if given is None or given.strip() == "":
        return format_traceparent(new_trace_id(), new_span_id(), 1)
    if read_traceparent(given) is None:
        problems.append(f"TRACEPARENT {given!r} is not a valid W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)")
        return ""
    return given.strip().lower()
