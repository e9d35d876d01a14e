"""The logging handler: ECS lines with the trace, dictConfig, shipping as mlplatform.service, bounded queue."""

from __future__ import annotations

import json
import logging
import logging.config
import threading
from typing import Any, Mapping, Optional

from joblogs.log_handler import EcsFormatter, ShipperHandler
from joblogs.store import S3Store
from joblogs.trace import continue_trace, use_trace
from tests.support.moto import chunks_of

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def record(message: str, level: int = logging.INFO, **extra: Any) -> logging.LogRecord:
    logger = logging.getLogger("api.routes")
    made = logger.makeRecord("api.routes", level, __file__, 10, message, (), None, extra=extra)
    return made


def test_formats_ecs_json_with_the_current_trace_and_exception_fields() -> None:
    formatter = EcsFormatter(service="api")
    trace = continue_trace(TRACEPARENT, request_id="req-1")
    with use_trace(trace):
        try:
            raise ValueError("bad input")
        except ValueError:
            failing = logging.getLogger("api").makeRecord(
                "api", logging.ERROR, __file__, 1, "failed %s", ("x",), __import__("sys").exc_info()
            )
        line = json.loads(formatter.format(failing))
    assert line["message"] == "failed x" and line["log.level"] == "error" and line["service.name"] == "api"
    assert (line["trace.id"], line["span.id"], line["http.request.id"]) == (trace.trace_id, trace.span_id, "req-1")
    assert line["error.type"] == "ValueError" and line["error.message"] == "bad input" and "Traceback" in line["error.stack_trace"]
    assert line["@timestamp"].endswith("Z") and len(line["@timestamp"]) == 27
    plain = json.loads(formatter.format(record("hello", step=3)))
    assert "trace.id" not in plain and plain["step"] == 3


def test_ships_records_configured_through_dictconfig_as_mlplatform_service(s3: Any, bucket: str, spool_root: str) -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "joblogs": {
                    "class": "joblogs.ShipperHandler",
                    "service": "api",
                    "bucket": bucket,
                    "instance": "api-test1",
                    "spool_dir": spool_root,
                    "store": S3Store(s3, bucket),
                }
            },
            "loggers": {"svc": {"level": "INFO", "handlers": ["joblogs"], "propagate": False}},
        }
    )
    logger = logging.getLogger("svc")
    with use_trace(continue_trace(TRACEPARENT)):
        logger.info("train requested", extra={"user": "alice"})
    handler = logger.handlers[0]
    assert isinstance(handler, ShipperHandler)
    handler.close()
    logger.removeHandler(handler)
    chunks = chunks_of(s3, bucket, "api-test1", "api")
    lines = [json.loads(f.data) for c in chunks for f in c.frames]
    assert [(line["message"], line["user"], line["trace.id"]) for line in lines] == [
        ("train requested", "alice", "4bf92f3577b34da6a3ce929d0e0e4736")
    ]
    assert chunks[0].metadata["dataset"] == "mlplatform.service" and chunks[0].metadata["service"] == "api"
    assert "traceparent" not in chunks[0].metadata  # each line names its own trace


class SlowStore(S3Store):
    """The real adapter behind a gate: uploads wait until the test opens it."""

    def __init__(self, client: Any, bucket: str):
        super().__init__(client, bucket)
        self.gate = threading.Event()

    def put_if_absent(self, key: str, body: bytes, *, metadata: Mapping[str, str], content_type: str) -> bool:
        self.gate.wait(10)
        return super().put_if_absent(key, body, metadata=metadata, content_type=content_type)


def test_never_blocks_the_caller_and_counts_what_a_full_queue_drops(s3: Any, bucket: str, spool_root: str) -> None:
    store = SlowStore(s3, bucket)
    handler = ShipperHandler("worker", bucket, instance="worker-test1", spool_dir=spool_root, store=store, queue_size=5)
    blocker = threading.Event()
    original_write: Optional[Any] = None

    logger = logging.getLogger("bounded")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Hold the handler's worker on its first record so the queue fills up.
    logger.info("first")
    while handler._shipper is None:
        pass
    shipper = handler._shipper
    original_write = shipper.write

    def slow_write(stream: Any, data: bytes, time_ms: Optional[int] = None) -> None:
        blocker.wait(10)
        assert original_write is not None
        original_write(stream, data, time_ms)

    shipper.write = slow_write  # type: ignore[method-assign]
    for i in range(50):
        logger.info("burst %d", i)
    assert handler.dropped > 0
    blocker.set()
    store.gate.set()
    handler.close()
    logger.removeHandler(handler)
    chunks = chunks_of(s3, bucket, "worker-test1", "worker")
    shipped = sum(len(c.frames) for c in chunks)
    assert shipped + handler.dropped == 51
    assert chunks[-1].metadata["dropped-lines"] == str(handler.dropped)
