"""One W3C trace id across Python servers, jobs and queues (docs/tracing.md, docs/python.md)."""

from .asgi import TraceMiddleware
from .carriers import (
    job_trace_env,
    s3_trace_metadata,
    sqs_trace_attributes,
    trace_from_env,
    trace_from_header_pairs,
    trace_from_headers,
    trace_from_s3_metadata,
    trace_from_sqs_message,
    trace_headers,
    trace_response_header,
)
from .context import (
    TraceContext,
    Traceparent,
    child_span,
    continue_trace,
    format_traceparent,
    new_span_id,
    new_trace_id,
    normalize_request_id,
    normalize_span_id,
    normalize_trace_id,
    normalize_trace_state,
    read_traceparent,
    start_trace,
)
from .http_clients import async_httpx_event_hooks, httpx_event_hooks, inject_trace_headers, traced_requests_session
from .otel import otel_context, trace_from_otel
from .propagation import child_span_scope, current_trace, reset_trace, set_trace, use_trace, with_trace
from .wsgi import TraceWSGIMiddleware

__all__ = [
    "TraceContext",
    "TraceMiddleware",
    "TraceWSGIMiddleware",
    "Traceparent",
    "async_httpx_event_hooks",
    "child_span",
    "child_span_scope",
    "continue_trace",
    "current_trace",
    "format_traceparent",
    "httpx_event_hooks",
    "inject_trace_headers",
    "job_trace_env",
    "new_span_id",
    "new_trace_id",
    "normalize_request_id",
    "normalize_span_id",
    "normalize_trace_id",
    "normalize_trace_state",
    "otel_context",
    "read_traceparent",
    "reset_trace",
    "s3_trace_metadata",
    "set_trace",
    "sqs_trace_attributes",
    "start_trace",
    "trace_from_env",
    "trace_from_header_pairs",
    "trace_from_headers",
    "trace_from_otel",
    "trace_from_s3_metadata",
    "trace_from_sqs_message",
    "trace_headers",
    "trace_response_header",
    "traced_requests_session",
    "use_trace",
    "with_trace",
]
