"""W3C Trace Context (https://www.w3.org/TR/trace-context/) with the rules of the Node code
(``shared/core/trace-context.ts``, ``shared/trace/span.ts``): malformed, all-zero or version-ff
context starts a new trace; uppercase is accepted and lowercased; a future version's four known
fields are read; ``tracestate`` is kept only with a valid ``traceparent`` and filtered the way
OpenTelemetry's parser does. Pure: no I/O, no global state.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from dataclasses import dataclass
from typing import Callable, Optional

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?\Z", re.DOTALL)
_TRACE_ID = re.compile(r"^[0-9a-f]{32}\Z")
_SPAN_ID = re.compile(r"^[0-9a-f]{16}\Z")
_ALL_ZERO = re.compile(r"^0+\Z")
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}\Z")
# OpenTelemetry's tracestate validators (api/src/trace/internal/tracestate-validators.ts).
_KEY_CHARS = r"[_0-9a-z\-*/]"
_TRACESTATE_KEY = re.compile(rf"^(?:[a-z]{_KEY_CHARS}{{0,255}}|[a-z0-9]{_KEY_CHARS}{{0,240}}@[a-z]{_KEY_CHARS}{{0,13}})\Z")
_TRACESTATE_VALUE = re.compile(r"^[ -~]{0,255}[!-~]\Z")
TRACESTATE_MAX_MEMBERS = 32
TRACESTATE_MAX_LENGTH = 512
MAX_REQUEST_ID_LENGTH = 128
SAMPLED = 0x01

RandomBytes = Callable[[int], bytes]


@dataclass(frozen=True)
class Traceparent:
    """Every field of a valid ``traceparent``, lowercased; ``parent_id`` is the caller's span id."""

    version: str
    trace_id: str
    parent_id: str
    flags: int


@dataclass(frozen=True)
class TraceContext:
    """The trace context of the unit of work running now, shaped like OpenTelemetry's
    ``SpanContext`` plus the parent span and an older caller's request id."""

    trace_id: str
    span_id: str
    trace_flags: int = SAMPLED
    parent_span_id: Optional[str] = None
    trace_state: Optional[str] = None
    request_id: Optional[str] = None

    @property
    def traceparent(self) -> str:
        """Our span as a callee's parent: ``00-<trace id>-<span id>-<flags>``."""
        return format_traceparent(self.trace_id, self.span_id, self.trace_flags)


def read_traceparent(value: Optional[str]) -> Optional[Traceparent]:
    """Reads a ``traceparent``, or returns None (never raises: bad context is ignored)."""
    if not value or not isinstance(value, str):
        return None
    trimmed = value.strip()
    match = _TRACEPARENT.match(trimmed.lower())
    if not match:
        return None
    version, trace_id, parent_id, flags = match.groups()
    # Version ff is forbidden; all-zero ids mean "invalid" per the spec.
    if version == "ff" or _ALL_ZERO.match(trace_id) or _ALL_ZERO.match(parent_id):
        return None
    # Version 00 has exactly four fields; later versions may append more.
    if version == "00" and len(trimmed) != 55:
        return None
    return Traceparent(version, trace_id, parent_id, int(flags, 16))


def format_traceparent(trace_id: str, span_id: str, flags: int) -> str:
    """A version-00 ``traceparent``: what we send is always the version we implement, lowercase."""
    return f"00-{trace_id}-{span_id}-{flags & 0xFF:02x}"


def new_trace_id(random: RandomBytes = secrets.token_bytes) -> str:
    return _random_hex_id(16, random)


def new_span_id(random: RandomBytes = secrets.token_bytes) -> str:
    return _random_hex_id(8, random)


def _random_hex_id(size: int, random: RandomBytes) -> str:
    value = ""
    # All-zero ids are invalid per the spec; astronomically unlikely, but cheap to rule out.
    while value == "" or _ALL_ZERO.match(value):
        value = random(size).hex()
    return value


def normalize_trace_id(value: object) -> Optional[str]:
    if not isinstance(value, str):
        return None
    candidate = value.strip().lower()
    return candidate if _TRACE_ID.match(candidate) and not _ALL_ZERO.match(candidate) else None


def normalize_span_id(value: object) -> Optional[str]:
    if not isinstance(value, str):
        return None
    candidate = value.strip().lower()
    return candidate if _SPAN_ID.match(candidate) and not _ALL_ZERO.match(candidate) else None


def normalize_trace_state(value: Optional[str]) -> Optional[str]:
    """A ``tracestate`` within the spec's limits, or None: members with an invalid key or value are
    dropped, and a header longer than 512 characters or with more than 32 members is dropped whole."""
    if not value:
        return None
    if len([m for m in value.split(",") if m.strip() != ""]) > TRACESTATE_MAX_MEMBERS:
        return None
    if len(value) > TRACESTATE_MAX_LENGTH:
        return None
    # As OpenTelemetry's parser: it walks the members from the end, so a repeated key keeps the
    # value of its first occurrence at the position of its last.
    members: dict[str, str] = {}
    for part in reversed(value.split(",")):
        member = part.strip()
        equals = member.find("=")
        if equals == -1:
            continue
        key, val = member[:equals], member[equals + 1 :]
        if _TRACESTATE_KEY.match(key) and _TRACESTATE_VALUE.match(val) and "," not in val and "=" not in val:
            members[key] = val
    serialized = ",".join(f"{k}={members[k]}" for k in reversed(list(members)))
    return serialized or None


def normalize_request_id(value: Optional[str]) -> Optional[str]:
    """An ``x-request-id`` of 1–128 printable ASCII characters, else None."""
    if value is None:
        return None
    trimmed = value.strip()
    return trimmed if _REQUEST_ID.match(trimmed) else None


def start_trace(request_id: Optional[str] = None, random: RandomBytes = secrets.token_bytes) -> TraceContext:
    """A new root span: a trace nobody started before us (sampled)."""
    return TraceContext(new_trace_id(random), new_span_id(random), SAMPLED, request_id=request_id or None)


def child_span(parent: TraceContext, random: RandomBytes = secrets.token_bytes) -> TraceContext:
    """Same trace, flags, state and request id; a new span id whose parent is ``parent``'s span."""
    return dataclasses.replace(parent, span_id=new_span_id(random), parent_span_id=parent.span_id)


def continue_trace(
    traceparent: Optional[str] = None,
    tracestate: Optional[str] = None,
    request_id: Optional[str] = None,
    random: RandomBytes = secrets.token_bytes,
) -> TraceContext:
    """The span of the work a caller asked for: a child of a valid ``traceparent``, otherwise a new
    trace (https://www.w3.org/TR/trace-context/#a-traceparent-is-received)."""
    kept_request_id = normalize_request_id(request_id)
    parent = read_traceparent(traceparent)
    if parent is None:
        return start_trace(kept_request_id, random)
    return TraceContext(
        trace_id=parent.trace_id,
        span_id=new_span_id(random),
        trace_flags=parent.flags,
        parent_span_id=parent.parent_id,
        trace_state=normalize_trace_state(tracestate),
        request_id=kept_request_id,
    )
