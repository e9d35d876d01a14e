"""The Python API server of the tracing end-to-end test (test/integration/trace.test.ts): a WSGI app
behind joblogs's TraceWSGIMiddleware, logging through joblogs.ShipperHandler configured with
dictConfig, calling the next server with the current trace's headers. Prints its URL on stdout;
SIGTERM stops it and ships the rest of its log before it exits.

    python trace-py-server.py <next server URL> <bucket> <instance> <spool dir>
"""

from __future__ import annotations

import logging
import logging.config
import signal
import sys
import urllib.request
from socketserver import ThreadingMixIn
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from joblogs.trace import TraceWSGIMiddleware, inject_trace_headers

next_url, bucket, instance, spool_dir = sys.argv[1:5]
logging.config.dictConfig(
    {
        "version": 1,
        "handlers": {
            "joblogs": {
                "class": "joblogs.ShipperHandler",
                "service": "pyapi",
                "instance": instance,
                "bucket": bucket,
                "spool_dir": spool_dir,
                "flush_interval_ms": 200,
            }
        },
        "root": {"level": "INFO", "handlers": ["joblogs"]},
    }
)
log = logging.getLogger("pyapi")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    run = environ["PATH_INFO"].lstrip("/")
    log.info("pyapi received train request for run %s", run)
    request = urllib.request.Request(f"{next_url}/{run}", method="POST", headers=dict(inject_trace_headers({})))
    with urllib.request.urlopen(request) as answer:
        status = answer.status
    log.info("pyapi got %d from worker for run %s", status, run)
    start_response(f"{status} Accepted", [("content-length", "0")])
    return [b""]


class Server(ThreadingMixIn, WSGIServer):
    """One thread per request: the test's worker holds the first request until the second arrives."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


server = make_server("127.0.0.1", 0, TraceWSGIMiddleware(app), server_class=Server, handler_class=QuietHandler)
signal.signal(signal.SIGTERM, stop)
print(f"http://127.0.0.1:{server.server_port}", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
finally:
    server.server_close()
    logging.shutdown()  # ShipperHandler.close(): the final chunk, uploads waited for (bounded)
