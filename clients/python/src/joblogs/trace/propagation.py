"""The current trace context, in a ``contextvars.ContextVar`` (as OpenTelemetry Python keeps its
own): threads started with ``contextvars.copy_context()``, asyncio tasks and every ``await`` of a
request see that request's span and no other. Falls back to the active OpenTelemetry span when
the OTel API is installed and an SDK has set one.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Callable, Iterator, Optional, TypeVar

from .context import TraceContext, child_span, start_trace
from .otel import trace_from_otel

_current: contextvars.ContextVar[Optional[TraceContext]] = contextvars.ContextVar("joblogs_trace", default=None)

T = TypeVar("T")


def current_trace() -> Optional[TraceContext]:
    """Ours when a middleware (or :func:`use_trace`) set one, else OpenTelemetry's active span, else None."""
    return _current.get() or trace_from_otel()


@contextlib.contextmanager
def use_trace(trace: TraceContext) -> Iterator[TraceContext]:
    """Makes ``trace`` current inside the ``with`` block (and in tasks it starts)."""
    token = _current.set(trace)
    try:
        yield trace
    finally:
        _current.reset(token)


def with_trace(trace: TraceContext, fn: Callable[[], T]) -> T:
    """Runs ``fn`` with ``trace`` as the current context."""
    with use_trace(trace):
        return fn()


@contextlib.contextmanager
def child_span_scope() -> Iterator[TraceContext]:
    """A child span of the current trace (a new trace when there is none), for work that is not a request."""
    parent = current_trace()
    with use_trace(child_span(parent) if parent else start_trace()) as trace:
        yield trace


def set_trace(trace: Optional[TraceContext]) -> contextvars.Token[Optional[TraceContext]]:
    """Low level: makes ``trace`` current until :func:`reset_trace` (for hooks that cannot wrap, e.g. Flask's before_request)."""
    return _current.set(trace)


def reset_trace(token: contextvars.Token[Optional[TraceContext]]) -> None:
    _current.reset(token)
