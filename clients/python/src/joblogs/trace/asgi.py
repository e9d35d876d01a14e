"""ASGI middleware (Starlette, FastAPI, Django's ASGI handler, any ASGI 3 app)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping

from .carriers import REQUEST_ID, TRACERESPONSE, trace_from_header_pairs, trace_response_header
from .propagation import reset_trace, set_trace

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TraceMiddleware:
    """Serves each HTTP request in its own span — a child of the caller's ``traceparent``, or a new
    trace — and answers with ``traceresponse`` (and the caller's ``x-request-id``). Everything the
    request's handlers do, awaits and threads started with the context included, sees that span.

    Example::

        app = FastAPI()
        app.add_middleware(TraceMiddleware)         # Starlette: the same; any ASGI app: TraceMiddleware(app)
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        trace = trace_from_header_pairs(scope.get("headers") or [])
        extra = [(TRACERESPONSE.encode(), trace_response_header(trace).encode())]
        if trace.request_id:
            extra.append((REQUEST_ID.encode(), trace.request_id.encode()))

        async def send_with_trace(message: Message) -> None:
            if message.get("type") == "http.response.start":
                message = {**message, "headers": [*(message.get("headers") or []), *extra]}
            await send(message)

        token = set_trace(trace)
        try:
            await self.app(scope, receive, send_with_trace)
        finally:
            reset_trace(token)
