"""Where trace context travels: HTTP headers, SQS message attributes, S3 user metadata and a
spawned job's environment — the same names as the Node code (``shared/trace/carriers.ts``)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Union

from .context import TraceContext, continue_trace, format_traceparent

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
REQUEST_ID = "x-request-id"
TRACERESPONSE = "traceresponse"
ENV_TRACEPARENT = "TRACEPARENT"
ENV_TRACESTATE = "TRACESTATE"

HeaderValue = Union[str, bytes, Iterable[Union[str, bytes]], None]


def trace_headers(trace: TraceContext) -> dict[str, str]:
    """Outbound headers: ``traceparent`` names our span as the callee's parent; ``tracestate`` and
    ``x-request-id`` are forwarded unchanged."""
    headers = {TRACEPARENT: format_traceparent(trace.trace_id, trace.span_id, trace.trace_flags)}
    if trace.trace_state:
        headers[TRACESTATE] = trace.trace_state
    if trace.request_id:
        headers[REQUEST_ID] = trace.request_id
    return headers


def trace_response_header(trace: TraceContext) -> str:
    """The ``traceresponse`` value (W3C Trace Context Level 2): the span that served the request."""
    return format_traceparent(trace.trace_id, trace.span_id, trace.trace_flags)


def trace_from_header_pairs(pairs: Iterable[tuple[Union[str, bytes], Union[str, bytes]]]) -> TraceContext:
    """The span serving a request with these headers, given as (name, value) pairs in any case
    (ASGI's list, WSGI's environ turned into pairs): a child of one valid ``traceparent``, or a new trace.
    Several ``tracestate`` headers are one list (https://www.w3.org/TR/trace-context/#combined-header-value);
    a repeated ``traceparent`` is refused."""
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        key = _text(name).lower()
        if key in (TRACEPARENT, TRACESTATE, REQUEST_ID):
            found.setdefault(key, []).append(_text(value))
    return continue_trace(
        traceparent=_single(found.get(TRACEPARENT)),
        tracestate=",".join(found[TRACESTATE]) if TRACESTATE in found else None,
        request_id=_single(found.get(REQUEST_ID)),
    )


def trace_from_headers(headers: Optional[Mapping[str, Any]]) -> TraceContext:
    """As :func:`trace_from_header_pairs`, from a mapping (a value may be a list of repeated headers)."""
    pairs: list[tuple[Union[str, bytes], Union[str, bytes]]] = []
    for name, value in (headers or {}).items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((name, v) for v in value)
        else:
            pairs.append((name, value))
    return trace_from_header_pairs(pairs)


def sqs_trace_attributes(trace: TraceContext) -> dict[str, dict[str, str]]:
    """``MessageAttributes`` for ``send_message`` (3 of the 10 attributes a message may have)."""
    return {name: {"DataType": "String", "StringValue": value} for name, value in trace_headers(trace).items()}


def trace_from_sqs_message(message: Mapping[str, Any]) -> TraceContext:
    """A message's span, from its attributes as ``receive_message`` returns them (``MessageAttributes``
    with ``StringValue``) or as Lambda delivers them (``messageAttributes`` with ``stringValue``)."""

    def read(name: str) -> Optional[str]:
        for attributes_key, value_key in (("MessageAttributes", "StringValue"), ("messageAttributes", "stringValue")):
            attributes = message.get(attributes_key) or {}
            value = (attributes.get(name) or {}).get(value_key)
            if isinstance(value, str):
                return value
        return None

    return continue_trace(read(TRACEPARENT), read(TRACESTATE), read(REQUEST_ID))


def s3_trace_metadata(trace: TraceContext) -> dict[str, str]:
    """S3 user metadata for ``put_object`` (``x-amz-meta-traceparent``, as the chunk contract reads it)."""
    return trace_headers(trace)


def trace_from_s3_metadata(metadata: Optional[Mapping[str, str]]) -> TraceContext:
    metadata = metadata or {}
    return continue_trace(metadata.get(TRACEPARENT), metadata.get(TRACESTATE), metadata.get(REQUEST_ID))


def job_trace_env(trace: TraceContext) -> dict[str, str]:
    """Environment for a spawned job: ``TRACEPARENT`` (which ``joblogs run`` forwards and stamps on its chunks) and ``TRACESTATE``."""
    env = {ENV_TRACEPARENT: format_traceparent(trace.trace_id, trace.span_id, trace.trace_flags)}
    if trace.trace_state:
        env[ENV_TRACESTATE] = trace.trace_state
    return env


def trace_from_env(env: Mapping[str, str]) -> TraceContext:
    """A job's span, from the environment it was started with (pass ``os.environ``)."""
    return continue_trace(env.get(ENV_TRACEPARENT), env.get(ENV_TRACESTATE))


def _text(value: Union[str, bytes]) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _single(values: Optional[list[str]]) -> Optional[str]:
    return values[0] if values and len(values) == 1 else None
