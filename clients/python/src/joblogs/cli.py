"""``python -m joblogs run|pipe``: the Node CLI's behaviour (docs/shipper.md) in Python."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from .config import (
    EXIT_CANNOT_EXECUTE,
    EXIT_FAILURE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_SIGNAL_BASE,
    CliConfig,
    CliConfigError,
    parse_cli,
)
from .contract import chunk_prefix
from .errors import SpoolError, StoreError
from .events import (
    CadenceChanged,
    Conflict,
    Dropped,
    MarkerFailed,
    Rejected,
    Resumed,
    ShipperEvent,
    ShipperSummary,
    SpoolProblem,
    Uploaded,
    UploadFailed,
    WatchReadFailed,
)
from .passthrough import pump
from .s3_http import S3HttpStore
from .scrub import ScrubConfigError
from .shipper import Shipper

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

Say = Callable[[str], None]


def _stderr_line(text: str) -> None:
    try:
        os.write(2, (text + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


def main(argv: Sequence[str], say: Say = _stderr_line) -> int:
    """Runs the CLI; returns the process exit code."""
    try:
        config = parse_cli(argv, os.environ)
        session = open_session(config, say)
    except CliConfigError as error:
        say(f"joblogs: {error}")
        return 2
    except SystemExit as done:  # --help, --version
        return int(done.code or 0)
    if config.command == "run":
        return run_command(config, session, say)
    return pipe_command(config, session)


def console_main() -> None:
    sys.exit(main(sys.argv[1:]))


@dataclass
class Session:
    shipper: Shipper
    traceparent: str
    say: Say

    def finish(self, exit_code: Optional[int] = None, signal_name: Optional[str] = None) -> ShipperSummary:
        """Closes the shipper and prints the summary line."""
        summary = self.shipper.close(exit_code=exit_code, signal=signal_name)
        self.say(summary.line(self.shipper.spool_path))
        return summary


def open_session(config: CliConfig, say: Say) -> Session:
    """Checks the bucket and opens the shipper: everything a command needs before it starts."""
    for warning in config.warnings:
        say(f"joblogs: warning: {warning}")
    store = S3HttpStore(config.shipper.bucket, force_path_style=config.force_path_style)
    check_bucket(
        S3HttpStore(config.shipper.bucket, force_path_style=config.force_path_style, connect_timeout=3, read_timeout=10),
        chunk_prefix(config.shipper.prefix, config.shipper.job_id),
        lambda message: say(f"joblogs: warning: {message}"),
    )
    try:
        shipper = Shipper.open(config.shipper, store, on_event=lambda event: report(event, config.verbose, say))
    except ScrubConfigError as error:
        raise CliConfigError(str(error), cause=error) from error
    except SpoolError as error:
        # Two shippers on one spool would number the same chunks; an untrustworthy spool is refused: like bad configuration.
        raise CliConfigError(str(error), cause=error) from error
    return Session(shipper, config.traceparent, say)


def check_bucket(store: S3HttpStore, prefix: str, warn: Callable[[str], None]) -> None:
    """Fails fast on what the job cannot fix later (no credentials or region, a missing or forbidden
    bucket); an unreachable S3 only warns: the job runs and chunks spool."""
    try:
        store.check_bucket(prefix)
    except StoreError as error:
        status = error.status
        bucket = store.bucket
        if error.code == "NoCredentials":
            raise CliConfigError("no AWS credentials found", cause=error) from error
        if error.code == "NoRegion":
            raise CliConfigError("no AWS region: set AWS_REGION", cause=error) from error
        if status == 404:
            raise CliConfigError(f"bucket {bucket} does not exist", cause=error) from error
        if status == 403:
            raise CliConfigError(f"access to bucket {bucket} denied (check the credentials and the bucket name)", cause=error) from error
        if status in (400, 301):
            raise CliConfigError(f"bucket {bucket} rejected the request (HTTP {status}; wrong region?)", cause=error) from error
        warn(f"cannot reach S3 to check bucket {bucket} ({error}); starting anyway, chunks will spool until it answers")


def exit_code_for_signal(signum: int) -> int:
    """128 + signal number, the shell convention for "killed by a signal"."""
    return EXIT_SIGNAL_BASE + signum


def at_terminal() -> bool:
    return any(os.isatty(fd) for fd in (0, 1, 2))


def run_command(config: CliConfig, session: Session, say: Say, terminal: Optional[bool] = None) -> int:
    """Spawns the command with TRACEPARENT in its environment, passes its output through and ships
    it, forwards signals, and returns the exit code to use once everything is flushed."""
    terminal = at_terminal() if terminal is None else terminal
    env = {**os.environ, "TRACEPARENT": session.traceparent}
    try:
        child = subprocess.Popen(list(config.argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0)
    except OSError as error:
        say(f"joblogs: cannot run {config.argv[0]}: {error.strerror or error}")
        code = EXIT_NOT_FOUND if isinstance(error, FileNotFoundError) else EXIT_CANNOT_EXECUTE
        session.finish(exit_code=code)
        return code

    def forward(signum: int, _frame: object) -> None:
        # At a terminal a Ctrl-C already reached the child (same process group); a second SIGINT
        # would interrupt, e.g., Python's KeyboardInterrupt handling.
        if not (terminal and signum == signal.SIGINT):
            try:
                child.send_signal(signum)
            except OSError:
                pass

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
    try:
        assert child.stdout is not None and child.stderr is not None
        closed = pump(
            [(child.stdout.fileno(), 1, "stdout"), (child.stderr.fileno(), 2, "stderr")],
            session.shipper,
            child_exited=lambda: child.poll() is not None,
            pipe_close_timeout=config.pipe_close_timeout_ms / 1000,
        )
        if not closed:
            say(
                "joblogs: the command exited but its output is still open (a process it started?); "
                f"shipping what was printed within {config.pipe_close_timeout_ms} ms of its exit"
            )
        returncode = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if returncode < 0:
        signum = -returncode
        session.finish(signal_name=signal.Signals(signum).name)
        return exit_code_for_signal(signum)
    session.finish(exit_code=returncode)
    return returncode


def pipe_command(config: CliConfig, session: Session) -> int:
    """Ships standard input as ``stdout`` (copying it to standard output unless ``--no-passthrough``)
    until it ends or SIGINT/SIGTERM/SIGHUP; the final chunk carries no exit code (not ours to know)."""
    stopped: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopped.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in FORWARDED_SIGNALS}
    try:
        pump([(0, 1 if config.passthrough else None, "stdout")], session.shipper, stop_requested=lambda: bool(stopped))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    session.finish()
    return exit_code_for_signal(stopped[0]) if stopped else EXIT_OK


def report(event: ShipperEvent, verbose: bool, say: Say) -> None:
    """One stderr line per event worth a person's attention (every event with ``--verbose``)."""
    if isinstance(event, Uploaded):
        if verbose:
            extra = ", final" if event.final else ""
            again = ", already there" if event.already_there else ""
            say(f"joblogs: uploaded {event.key} ({event.lines} lines, {event.bytes} bytes, attempt {event.attempts}{extra}{again})")
    elif isinstance(event, UploadFailed):
        if verbose or event.attempt == 1:
            say(f"joblogs: upload of {event.key} failed (attempt {event.attempt}): {event.error}; retrying in {event.retry_in_ms} ms")
    elif isinstance(event, Resumed):
        say(f"joblogs: resuming {event.chunks} spooled chunk(s); continuing at chunk {event.next_seq}, line {event.next_line}")
    elif isinstance(event, Dropped):
        say(f"joblogs: spool full, dropped {event.key} ({event.lines} lines)")
    elif isinstance(event, SpoolProblem):
        say(f"joblogs: spool error: {event.error}")
    elif isinstance(event, Rejected):
        say(f"joblogs: spool file rejected, not uploaded: {event.detail}")
    elif isinstance(event, Conflict):
        say(f"joblogs: conflict: {event.detail}; kept in the spool, uploads of this source stopped")
    elif isinstance(event, MarkerFailed) and verbose:
        say(f"joblogs: job marker {event.key} not written yet: {event.error}; retrying")
    elif isinstance(event, CadenceChanged) and verbose:
        say(f"joblogs: sealing chunks every {event.interval_ms} ms ({event.reason})")
    elif isinstance(event, WatchReadFailed) and verbose:
        say(f"joblogs: {event.error}; keeping the current flush interval")


__all__ = ["EXIT_FAILURE", "main"]
