"""Standard ``logging`` for platform services: :class:`EcsFormatter` writes ECS JSON lines stamped
with the current trace, and :class:`ShipperHandler` ships them through the chunk pipeline as
dataset ``mlplatform.service`` — never blocking the request path: ``emit()`` only formats and
puts the line on a bounded queue; a full queue drops the line and counts it (in :attr:`dropped`
and the final chunk's ``dropped-lines``).

Works with ``dictConfig``::

    logging.config.dictConfig({
        "version": 1,
        "formatters": {"ecs": {"()": "joblogs.EcsFormatter", "service": "api"}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "ecs"},
            "joblogs": {"class": "joblogs.ShipperHandler", "service": "api", "bucket": "joblogs-logs-prod"},
        },
        "root": {"level": "INFO", "handlers": ["stdout", "joblogs"]},
    })
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from .contract import DATASET_SERVICE
from .events import ShipperSummary
from .options import ShipperOptions
from .s3_http import S3HttpStore
from .shipper import Shipper
from .store import ObjectStore
from .trace.propagation import current_trace

ECS_VERSION = "8.11.0"
# Attributes every LogRecord has: anything else on a record came from `extra=` and is logged as a field.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def microsecond_timestamp(epoch_seconds: float) -> str:
    """``@timestamp`` with microseconds: lines of several services are put in causal order by time alone."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EcsFormatter(logging.Formatter):
    """One ECS JSON object per record: ``@timestamp``, ``log.level``, ``message``, ``log.logger``,
    ``service.name``, ``event.dataset``, the current ``trace.id``/``span.id``/``http.request.id``,
    ``error.*`` for exceptions, and the record's ``extra`` fields."""

    def __init__(self, service: Optional[str] = None, dataset: str = DATASET_SERVICE):
        super().__init__()
        self.service = service
        self.dataset = dataset

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "@timestamp": microsecond_timestamp(record.created),
            "log.level": record.levelname.lower(),
            "message": record.getMessage(),
            "ecs.version": ECS_VERSION,
            "log.logger": record.name,
            "log.origin.file.name": record.filename,
            "log.origin.file.line": record.lineno,
            "log.origin.function": record.funcName,
            "process.pid": record.process,
            "process.thread.name": record.threadName,
            "event.dataset": self.dataset,
        }
        if self.service:
            document["service.name"] = self.service
        trace = current_trace()
        if trace is not None:
            document["trace.id"] = trace.trace_id
            document["span.id"] = trace.span_id
            if trace.request_id:
                document["http.request.id"] = trace.request_id
        if record.exc_info and record.exc_info[0] is not None:
            kind, value, _ = record.exc_info
            document["error.type"] = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
            document["error.message"] = str(value)
            document["error.stack_trace"] = self.formatException(record.exc_info)
        elif record.stack_info:
            document["error.stack_trace"] = self.formatStack(record.stack_info)
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and name not in document:
                document[name] = value
        return json.dumps(document, default=repr, ensure_ascii=False)


_CLOSE = object()


class ShipperHandler(logging.Handler):
    """Ships every record, as an ECS JSON line, to ``chunks/v1/<instance>/<service>/…`` (dataset
    ``mlplatform.service``). The shipper opens on a background thread at the first record, so
    neither construction nor ``emit()`` does I/O. ``close()`` (called by ``logging.shutdown`` at
    exit) flushes, writes the final chunk and waits, bounded, for the uploads.
    """

    def __init__(
        self,
        service: str,
        bucket: str,
        *,
        instance: Optional[str] = None,
        level: int = logging.NOTSET,
        queue_size: int = 10_000,
        store: Optional[ObjectStore] = None,
        **options: Any,
    ):
        super().__init__(level)
        self.options = ShipperOptions(
            job_id=instance or f"{service}-{socket.gethostname()}",
            source=service,
            service=service,
            dataset=DATASET_SERVICE,
            bucket=bucket,
            **options,
        ).check()
        self.setFormatter(EcsFormatter(service))
        self._store = store
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._dropped = 0
        self._started = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._shipper: Optional[Shipper] = None
        self._open_error: Optional[BaseException] = None
        self.summary: Optional[ShipperSummary] = None

    @property
    def dropped(self) -> int:
        """Records dropped because the queue was full (or the shipper could not open)."""
        return self._dropped

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8", "replace")
        except Exception:
            self.handleError(record)
            return
        self._start()
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self._dropped += 1

    def flush(self) -> None:
        """Waits (at most 5 s) until every queued record has been handed to the shipper."""
        deadline = time.monotonic() + 5
        while self._thread is not None and self._thread.is_alive() and self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        with self._started:
            thread = self._thread
            self._thread = None
        if thread is not None:
            self._put_blocking(_CLOSE)
            thread.join()
        super().close()

    def _put_blocking(self, item: object) -> None:
        while True:
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._started:
            if self._thread is None and self.summary is None:
                self._thread = threading.Thread(target=self._run, name=f"joblogs-log-{self.options.source}", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        shipper = self._open()
        while True:
            item = self._queue.get()
            try:
                if item is _CLOSE:
                    break
                if shipper is None:
                    self._dropped += 1
                    continue
                assert isinstance(item, bytes)
                shipper.write("stdout", item)
                if shipper.blocked:
                    shipper.wait_for_room()
            finally:
                self._queue.task_done()
        if shipper is not None:
            shipper.count_dropped(self._dropped)
            self.summary = shipper.close()

    def _open(self) -> Optional[Shipper]:
        try:
            store = self._store or S3HttpStore(self.options.bucket)
            self._shipper = Shipper.open(self.options, store)
            return self._shipper
        except Exception as error:  # never raise into the application: say so once, on stderr
            self._open_error = error
            _warn(f"joblogs: service logs of {self.options.source} are not shipped: {error}")
            return None


def _warn(text: str, write: Callable[[str], Any] = sys.__stderr__.write if sys.__stderr__ else print) -> None:
    try:
        write(text + "\n")
    except Exception:
        pass
