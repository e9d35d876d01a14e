"""Outgoing propagation for ``requests`` and ``httpx`` (neither is a dependency: both are imported
only when these helpers are called). ``traceparent``, ``tracestate`` and ``x-request-id`` of the
current trace are added unless the caller set them; outside any trace nothing is added."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping, Optional

from .carriers import trace_headers
from .propagation import current_trace


def inject_trace_headers(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Adds the current trace's headers to ``headers`` (keeping any the caller set) and returns it."""
    trace = current_trace()
    if trace is not None:
        present = {name.lower() for name in headers}
        for name, value in trace_headers(trace).items():
            if name not in present:
                headers[name] = value
    return headers


def traced_requests_session(session: Optional[Any] = None) -> Any:
    """A ``requests.Session`` (yours, or a new one) whose every request carries the current trace.

    Example::

        http = traced_requests_session()
        http.post("http://scheduler.internal/jobs", json=job)   # the scheduler continues our trace
    """
    import requests
    from requests.adapters import HTTPAdapter

    class TracingAdapter(HTTPAdapter):
        def add_headers(self, request: Any, **kwargs: Any) -> None:
            super().add_headers(request, **kwargs)
            inject_trace_headers(request.headers)

    session = session if session is not None else requests.Session()
    session.mount("http://", TracingAdapter())
    session.mount("https://", TracingAdapter())
    return session


def httpx_event_hooks() -> dict[str, list[Callable[[Any], None]]]:
    """``event_hooks`` for ``httpx.Client``: ``httpx.Client(event_hooks=httpx_event_hooks())``."""

    def add_trace(request: Any) -> None:
        inject_trace_headers(request.headers)

    return {"request": [add_trace]}


def async_httpx_event_hooks() -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """``event_hooks`` for ``httpx.AsyncClient``."""

    async def add_trace(request: Any) -> None:
        inject_trace_headers(request.headers)

    return {"request": [add_trace]}
