"""Interop with OpenTelemetry's context when ``opentelemetry-api`` is installed (never required).

- :func:`trace_from_otel`: the active OTel span as our :class:`TraceContext` (``current_trace()``
  falls back to it), so logs follow OTel-instrumented code without our middleware;
- :func:`otel_context`: an OTel ``Context`` whose active span is ours, so spans that OTel
  instrumentation creates inside ``opentelemetry.context.attach(otel_context(t))`` are children of ours.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

from .context import TraceContext, normalize_trace_state

_api: Any = None
_looked = False


def _otel() -> Any:
    """``opentelemetry.trace`` or None; looked up once, on first use (never at import time)."""
    global _api, _looked
    if not _looked:
        _looked = True
        try:
            _api = importlib.import_module("opentelemetry.trace")
        except ImportError:
            _api = None
    return _api


def trace_from_otel() -> Optional[TraceContext]:
    api = _otel()
    if api is None:
        return None
    span_context = api.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    state = span_context.trace_state.to_header() if span_context.trace_state else ""
    return TraceContext(
        trace_id=f"{span_context.trace_id:032x}",
        span_id=f"{span_context.span_id:016x}",
        trace_flags=int(span_context.trace_flags),
        trace_state=normalize_trace_state(state),
    )


def otel_context(trace: TraceContext, parent: Any = None) -> Any:
    """An ``opentelemetry.context.Context`` whose active span is ``trace`` (raises ImportError without the OTel API)."""
    api = _otel()
    if api is None:
        raise ImportError("opentelemetry-api is not installed")
    span_context = api.SpanContext(
        trace_id=int(trace.trace_id, 16),
        span_id=int(trace.span_id, 16),
        is_remote=False,
        trace_flags=api.TraceFlags(trace.trace_flags),
        trace_state=api.TraceState.from_header([trace.trace_state]) if trace.trace_state else None,
    )
    return api.set_span_in_context(api.NonRecordingSpan(span_context), parent)
