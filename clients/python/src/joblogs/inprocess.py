"""In-process capture: ``joblogs.capture(job_id=…)`` at the top of ``train.py`` ships everything
written to file descriptors 1 and 2 — Python's ``print``, C extensions, CUDA/NCCL, and the child
processes that inherit them — exactly as ``python -m joblogs run`` would, for a script that
cannot change its entrypoint.

How: fds 1 and 2 are pointed at pipes (``dup2``); a reader thread copies every read to the
original stdout/stderr first (unchanged) and then to a :class:`~joblogs.shipper.Shipper`. At
interpreter exit (``atexit``: normal end, ``sys.exit``, an unhandled exception whose traceback
is then already in the log) and on SIGTERM the fds are restored, the pipes drained (bounded),
and the final chunk carries the exit code or signal.
"""

from __future__ import annotations

import atexit
import builtins
import os
import signal
import sys
import threading
from types import TracebackType
from typing import Any, Callable, Mapping, Optional

from .errors import ShipperOptionsError
from .events import ShipperEvent, ShipperSummary
from .options import ShipperOptions
from .passthrough import pump
from .s3_http import S3HttpStore
from .scrub import secrets_from_environment
from .shipper import Shipper
from .store import ObjectStore
from .trace.context import format_traceparent, new_span_id, new_trace_id, read_traceparent

PIPE_CLOSE_TIMEOUT_S = 2.0

_active: Optional[Capture] = None
_guard = threading.Lock()


class Capture:
    """A running capture of this process's fds 1 and 2. :meth:`close` finishes it (idempotent)."""

    def __init__(self, shipper: Shipper, *, print_summary: bool):
        self.shipper = shipper
        self._owner_pid = os.getpid()
        self._print_summary = print_summary
        self._exit_code: Optional[int] = None
        self._signal: Optional[str] = None
        self._summary: Optional[ShipperSummary] = None
        self._closing = threading.Lock()
        self._stop_reading = threading.Event()
        self._saved = {1: os.dup(1), 2: os.dup(2)}
        _flush_python_streams()
        readers = {}
        for fd in (1, 2):
            read_end, write_end = os.pipe()
            os.dup2(write_end, fd)
            os.close(write_end)
            readers[fd] = read_end
        self._readers = readers
        self._thread = threading.Thread(target=self._read, name="joblogs-capture", daemon=True)
        self._thread.start()

    @property
    def summary(self) -> Optional[ShipperSummary]:
        return self._summary

    def record_exit(self, exit_code: Optional[int] = None, signal_name: Optional[str] = None) -> None:
        """What the final chunk will say about how the process ended (the last call wins)."""
        self._exit_code, self._signal = exit_code, signal_name

    def close(self) -> Optional[ShipperSummary]:
        """Restores fds 1 and 2, drains the pipes (at most 2 s after the last writer in this process),
        writes the final chunk and waits (bounded by ``close_timeout_ms``) for the uploads."""
        if os.getpid() != self._owner_pid:
            return None  # a forked child: the capture belongs to its parent
        with self._closing:
            if self._summary is not None:
                return self._summary
            _flush_python_streams()
            for fd, saved in self._saved.items():
                os.dup2(saved, fd)
            self._thread.join(PIPE_CLOSE_TIMEOUT_S)
            if self._thread.is_alive():
                # A child process still holds the pipes: ship what came until now.
                self._stop_reading.set()
                self._thread.join(1.0)
            exit_code = self._exit_code if self._exit_code is not None or self._signal else 0
            self._summary = self.shipper.close(exit_code=exit_code, signal=self._signal)
            for fd in list(self._saved.values()) + list(self._readers.values()):
                try:
                    os.close(fd)
                except OSError:
                    pass
            if self._print_summary:
                try:
                    os.write(2, (self._summary.line(self.shipper.spool_path) + "\n").encode())
                except OSError:
                    pass
            return self._summary

    def _read(self) -> None:
        pump(
            [(self._readers[1], self._saved[1], "stdout"), (self._readers[2], self._saved[2], "stderr")],
            self.shipper,
            stop_requested=self._stop_reading.is_set,
        )


def capture(
    job_id: Optional[str] = None,
    *,
    bucket: Optional[str] = None,
    store: Optional[ObjectStore] = None,
    env: Optional[Mapping[str, str]] = None,
    handle_sigterm: bool = True,
    print_summary: bool = True,
    on_event: Optional[Callable[[ShipperEvent], None]] = None,
    **options: Any,
) -> Capture:
    """Starts capturing this process's output (fds 1 and 2) into chunks of ``job_id``.

    ``bucket`` and every other :class:`ShipperOptions` field not given default to the ``JOBLOGS_*``
    variables of the CLI (``JOBLOGS_BUCKET``, ``JOBLOGS_SOURCE``, ``JOBLOGS_SPOOL_DIR``…);
    ``TRACEPARENT`` is used when valid, else a new trace starts, and child processes inherit it.
    Calling it again returns the running capture. Raises :class:`ShipperOptionsError` or a
    :class:`SpoolError` before anything is redirected.

    Example::

        import joblogs
        joblogs.capture(job_id="job-42")      # first line of train.py
    """
    global _active
    with _guard:
        if _active is not None and _active._owner_pid == os.getpid():
            return _active
        env = os.environ if env is None else env
        shipper_options = _options_from(job_id, bucket, env, options)
        shipper = Shipper.open(shipper_options, store or S3HttpStore(shipper_options.bucket), on_event=on_event)
        if env is os.environ and shipper_options.traceparent:
            os.environ["TRACEPARENT"] = shipper_options.traceparent
        active = Capture(shipper, print_summary=print_summary)
        _install_exit_hooks(active, handle_sigterm)
        _active = active
        return active


def _options_from(job_id: Optional[str], bucket: Optional[str], env: Mapping[str, str], given: Mapping[str, Any]) -> ShipperOptions:
    fields: dict[str, Any] = {
        "job_id": job_id or env.get("JOBLOGS_JOB_ID", ""),
        "bucket": bucket or env.get("JOBLOGS_BUCKET", ""),
    }
    for name, variable in (
        ("source", "JOBLOGS_SOURCE"),
        ("prefix", "JOBLOGS_PREFIX"),
        ("dataset", "JOBLOGS_DATASET"),
        ("service", "JOBLOGS_SERVICE"),
        ("container_id", "JOBLOGS_CONTAINER_ID"),
        ("spool_dir", "JOBLOGS_SPOOL_DIR"),
    ):
        if env.get(variable):
            fields[name] = env[variable]
    for name, variable in (
        ("flush_interval_ms", "JOBLOGS_FLUSH_INTERVAL_MS"),
        ("idle_flush_interval_ms", "JOBLOGS_IDLE_FLUSH_INTERVAL_MS"),
        ("fresh_start_ms", "JOBLOGS_FRESH_START_MS"),
        ("watch_poll_interval_ms", "JOBLOGS_WATCH_POLL_INTERVAL_MS"),
        ("max_chunk_bytes", "JOBLOGS_MAX_CHUNK_BYTES"),
        ("max_line_bytes", "JOBLOGS_MAX_LINE_BYTES"),
        ("spool_max_bytes", "JOBLOGS_SPOOL_MAX_BYTES"),
        ("close_timeout_ms", "JOBLOGS_CLOSE_TIMEOUT_MS"),
    ):
        text = env.get(variable)
        if text:
            if not text.isdigit():
                raise ShipperOptionsError([f"{variable} must be a whole number, got {text!r}"])
            fields[name] = int(text)
    if env.get("JOBLOGS_ON_SPOOL_FULL"):
        fields["overflow"] = env["JOBLOGS_ON_SPOOL_FULL"]
    redact_env = tuple(n.strip() for n in env.get("JOBLOGS_REDACT_ENV", "").split(",") if n.strip())
    fields["redact_env"] = tuple(given.get("redact_env", ())) + redact_env
    # The secret values are those of this process's environment (``env``), as the job sees it.
    if "secrets" not in given:
        found = secrets_from_environment(fields["redact_env"], env)
        fields["secrets"] = tuple((s.name, s.value) for s in found.secrets)
    # A library must not refuse to run a job over a bad TRACEPARENT: a new trace starts instead.
    fields["traceparent"] = env.get("TRACEPARENT", "").strip().lower() if read_traceparent(env.get("TRACEPARENT")) else None
    fields.update({k: v for k, v in given.items() if k != "redact_env"})
    if not fields.get("traceparent"):
        fields["traceparent"] = format_traceparent(new_trace_id(), new_span_id(), 1)
    return ShipperOptions(**fields).check()


def _install_exit_hooks(active: Capture, handle_sigterm: bool) -> None:
    original_excepthook = sys.excepthook
    original_exit = sys.exit

    def excepthook(kind: type[BaseException], value: BaseException, tb: Optional[TracebackType]) -> None:
        # The traceback is printed first (into the captured stderr), then the exit is recorded.
        original_excepthook(kind, value, tb)
        if issubclass(kind, KeyboardInterrupt):
            active.record_exit(signal_name="SIGINT")
        else:
            active.record_exit(exit_code=1)

    def exit_with(code: Any = None) -> Any:
        active.record_exit(exit_code=_exit_status(code))
        return original_exit(code)

    def quitter(code: object = None) -> Any:
        active.record_exit(exit_code=_exit_status(code))
        raise SystemExit(code)

    sys.excepthook = excepthook
    sys.exit = exit_with
    builtins.exit = quitter  # type: ignore[assignment]
    builtins.quit = quitter  # type: ignore[assignment]
    atexit.register(active.close)
    os.register_at_fork(after_in_child=_forget_in_child)
    if handle_sigterm and threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:

        def on_sigterm(signum: int, _frame: object) -> None:
            # Finish the log, then die of the same signal, as the process would have without us.
            active.record_exit(signal_name="SIGTERM")
            active.close()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(signal.SIGTERM, on_sigterm)


def _forget_in_child() -> None:
    global _active
    _active = None


def _exit_status(code: object) -> int:
    """The status ``SystemExit(code)`` ends the process with: None → 0, an int as is, anything else (a message) → 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
