"""WSGI middleware (Flask, Django, any WSGI app)."""

from __future__ import annotations

import contextvars
from typing import Any, Callable, Iterable, Iterator, Optional

from .carriers import REQUEST_ID, TRACERESPONSE, trace_from_header_pairs, trace_response_header
from .propagation import set_trace

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class TraceWSGIMiddleware:
    """Serves each request in its own span and answers with ``traceresponse``, like the ASGI one.
    The app and the iteration of its response both run in a copy of the context holding the span,
    so a streamed body's lines carry it too.

    Example::

        app.wsgi_app = TraceWSGIMiddleware(app.wsgi_app)        # Flask
        application = TraceWSGIMiddleware(get_wsgi_application())  # Django (wsgi.py)
    """

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # CGI names: HTTP_X_REQUEST_ID; repeated headers arrive joined by ", " (a repeated traceparent is then invalid).
        pairs = [(name[5:].replace("_", "-"), str(value)) for name, value in environ.items() if name.startswith("HTTP_")]
        trace = trace_from_header_pairs(pairs)
        extra = [(TRACERESPONSE, trace_response_header(trace))]
        if trace.request_id:
            extra.append((REQUEST_ID, trace.request_id))

        def start_with_trace(status: str, headers: list[tuple[str, str]], exc_info: Optional[Any] = None) -> Any:
            return start_response(status, [*headers, *extra], exc_info) if exc_info else start_response(status, [*headers, *extra])

        context = contextvars.copy_context()
        context.run(set_trace, trace)
        body = context.run(self.app, environ, start_with_trace)
        return _TracedBody(body, context)


class _TracedBody:
    """The app's response iterable, advanced inside the request's context; ``close()`` passed on (PEP 3333)."""

    def __init__(self, body: Iterable[bytes], context: contextvars.Context):
        self._body = body
        self._iterator: Optional[Iterator[bytes]] = None
        self._context = context

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._context.run(iter, self._body)
        return self._context.run(next, self._iterator)

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            self._context.run(close)
