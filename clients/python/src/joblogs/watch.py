"""Fresh when watched (docs/shipper.md, docs/python.md): the watch signal's key and body, and the
pure decisions of when to seal chunks and when to read the signal — the Node core's
``shared/core/watch``, held to the same vectors (``test/fixtures/watch/vectors.json``).

The logs API writes ``watch/v1/<jobId>.json`` = ``{"until": "<ISO time>"}`` while a person follows
the job; until then its shippers seal chunks every ``flush_interval_ms`` (1 s), otherwise every
``idle_flush_interval_ms`` (30 s). Nothing here reads a clock or the network: callers pass ``now``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, Optional, Union

from .contract import is_valid_job_id
from .errors import WatchSignalError

WATCH_PREFIX = "watch/"
_VERSION = "v1"
_MAX_SIGNAL_BYTES = 1024
_ISO_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})\Z")


class WatchDefaults:
    """The cadence of the watch signal on both sides (the Node ``WatchDefaults``)."""

    SIGNAL_TTL_MS = 90_000
    """How far ahead the logs API sets ``until``."""
    POLL_INTERVAL_MS = 2_000
    """While a job is idle and prints, its signal is read about this often (±25 %)."""
    FRESH_POLL_INTERVAL_MS = 10_000
    """While a job is fresh (watched, starting), this often, or ``POLL_INTERVAL_MS`` when that is longer."""
    MAX_AHEAD_MS = 10 * 60_000
    """An ``until`` further ahead (a writer's clock far ahead) counts as this."""


CadenceReason = Literal["always-fresh", "starting", "watched", "unwatched"]


def watch_key(job_id: str, prefix: str = WATCH_PREFIX) -> str:
    """``<prefix>v1/<jobId>.json``; raises :class:`WatchSignalError` for an invalid job id."""
    if not isinstance(job_id, str) or not is_valid_job_id(job_id):
        raise WatchSignalError(f"Invalid job id {json.dumps(job_id)}")
    return f"{prefix}{_VERSION}/{job_id}.json"


def parse_watch_signal(text: Union[str, bytes], now: int, max_ahead_ms: int = WatchDefaults.MAX_AHEAD_MS) -> int:
    """The signal's ``until`` (epoch ms), at most ``now + max_ahead_ms``; raises :class:`WatchSignalError`."""
    if len(text) > _MAX_SIGNAL_BYTES:
        raise WatchSignalError(f"Watch signal of {len(text)} bytes (at most {_MAX_SIGNAL_BYTES})")
    try:
        value = json.loads(text)
    except ValueError:
        raise WatchSignalError("Watch signal is not JSON") from None
    until = value.get("until") if isinstance(value, dict) else None
    ms = _iso_millis(until) if isinstance(until, str) else None
    if ms is None:
        raise WatchSignalError('Watch signal has no valid "until" time')
    return min(ms, now + max_ahead_ms)


def _iso_millis(text: str) -> Optional[int]:
    """An ISO 8601 time with a zone (what ``Date.prototype.toISOString`` writes) as epoch ms."""
    found = _ISO_TIME.match(text)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        when = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc)
    except ValueError:
        return None
    offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[4:6])) * 60_000
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    return int(when.timestamp()) * 1000 + millis - offset


@dataclass(frozen=True)
class WatchState:
    """What the shipper knows about the signal. A failed read never changes the mode: ``held``
    freezes the mode the shipper was in when reads began to fail, until a read succeeds again."""

    until: Optional[int] = None
    """The signal's ``until`` (epoch ms) as last read; None when there was none."""
    held: Optional[bool] = None
    """Set while reads fail: whether the job counted as watched when they began to."""


UNWATCHED = WatchState()


@dataclass(frozen=True)
class Found:
    until: int


@dataclass(frozen=True)
class Missing:
    pass


@dataclass(frozen=True)
class Failed:
    error: Exception


WatchRead = Union[Found, Missing, Failed]
"""The outcome of one read of the signal."""


def after_watch_read(state: WatchState, read: WatchRead, now: int) -> WatchState:
    if isinstance(read, Found):
        return WatchState(until=read.until)
    if isinstance(read, Missing):
        return UNWATCHED
    return WatchState(until=state.until, held=state.held if state.held is not None else is_watched(state, now))


def is_watched(state: WatchState, now: int) -> bool:
    if state.held is not None:
        return state.held
    return state.until is not None and now < state.until


@dataclass(frozen=True)
class CadencePolicy:
    flush_interval_ms: int
    """The interval while fresh (watched, starting)."""
    idle_flush_interval_ms: int
    """The interval while nobody watches; 0, or not longer than ``flush_interval_ms``: always fresh."""
    fresh_start_ms: int
    """How long after the start the shipper stays fresh whatever the signal says."""


@dataclass(frozen=True)
class Cadence:
    interval_ms: int
    reason: CadenceReason


def adapts_to_watching(p: CadencePolicy) -> bool:
    """Whether a policy ever needs the signal: with no longer idle interval there is nothing to decide."""
    return p.idle_flush_interval_ms > p.flush_interval_ms


def flush_cadence(p: CadencePolicy, *, started_at: int, now: int, watch: WatchState) -> Cadence:
    """The flush interval now: fresh while starting or watched, idle otherwise."""
    if not adapts_to_watching(p):
        return Cadence(p.flush_interval_ms, "always-fresh")
    if now - started_at < p.fresh_start_ms:
        return Cadence(p.flush_interval_ms, "starting")
    if is_watched(watch, now):
        return Cadence(p.flush_interval_ms, "watched")
    return Cadence(p.idle_flush_interval_ms, "unwatched")


def next_poll_delay(poll_interval_ms: int, random: float) -> int:
    """``poll_interval_ms`` ± 25 %, ``random`` in [0, 1) (rounded as JavaScript's ``Math.round``)."""
    return int(poll_interval_ms * (0.75 + random * 0.5) + 0.5)


@dataclass(frozen=True)
class PollPolicy:
    poll_interval_ms: int
    """While the job is idle and prints: a watch that starts is seen within about this long."""
    fresh_poll_interval_ms: int
    """While the job is fresh (watched, starting): only the end of a watch is to be seen."""


def poll_policy(poll_interval_ms: int) -> PollPolicy:
    return PollPolicy(poll_interval_ms, max(poll_interval_ms, WatchDefaults.FRESH_POLL_INTERVAL_MS))


def next_read_delay(p: PollPolicy, *, fresh: bool, output: bool, since_read_ms: int, random: float) -> Optional[int]:
    """The delay before the next read, from now; None: read only once the job prints again. Idle,
    a job is read every ``poll_interval_ms`` while it prints and not at all while it is silent (a
    line printed after a watch starts is what waits for the switch; with no output since the last
    read nothing can be late, and the first line after the silence triggers a read at once).
    Fresh, every ``fresh_poll_interval_ms``."""
    if fresh:
        return max(0, next_poll_delay(p.fresh_poll_interval_ms, random) - since_read_ms)
    if not output:
        return None
    return max(0, next_poll_delay(p.poll_interval_ms, random) - since_read_ms)


ERROR_WINDOW_BYTES = 160
"""Bytes of a line :func:`is_error_line` looks at: a level word or field comes early."""
_TEXT_ERROR = re.compile(r"(?:^|[ \t\[(|:])(?:ERROR|CRITICAL|FATAL|PANIC)(?=$|[ \t\]):|,-])")
_JSON_ERROR = re.compile(
    r'"(?:level|log\.level|levelname|severity|lvl|loglevel)"[ \t]*:[ \t]*'
    r'(?:"(?:error|err|critical|crit|fatal|panic|alert|emerg|emergency)"|50|60)(?![0-9])',
    re.IGNORECASE,
)
_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):")
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def is_error_line(data: bytes) -> bool:
    """Whether a line (its raw bytes, no terminator) reads as error level or worse: a level word
    the indexer reads as error or worse, a JSON logger's level field (pino's 50 and 60 too), or
    Python's traceback header. While nobody watches a job, the chunk holding one is sealed by the
    fresh interval, not the idle one — an error is what someone opens the viewer for."""
    text = data[:ERROR_WINDOW_BYTES].decode("latin-1")
    if "\x1b" in text:
        text = _SGR.sub("", text)
    return bool(_TEXT_ERROR.search(text) or _JSON_ERROR.search(text) or _TRACEBACK.search(text))
