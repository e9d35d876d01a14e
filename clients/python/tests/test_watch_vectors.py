"""The shared watch vectors (test/fixtures/watch/vectors.json), also read by test/unit/shared/core/watch/vectors.test.ts:
the Python client decides exactly as the Node core when to seal chunks and when to read the watch signal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pytest

from joblogs.errors import WatchSignalError
from joblogs.options import ShipperOptions
from joblogs.watch import (
    WATCH_PREFIX,
    Cadence,
    CadencePolicy,
    Failed,
    Found,
    Missing,
    WatchDefaults,
    WatchRead,
    WatchState,
    after_watch_read,
    flush_cadence,
    is_error_line,
    is_watched,
    next_read_delay,
    parse_watch_signal,
    poll_policy,
    watch_key,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[3] / "test" / "fixtures" / "watch" / "vectors.json").read_text("utf-8")
)
D = VECTORS["defaults"]


def to_state(s: dict[str, Any]) -> WatchState:
    return WatchState(until=s["untilMs"], held=s["held"])


def to_read(r: dict[str, Any]) -> WatchRead:
    if r["kind"] == "found":
        return Found(r["untilMs"])
    return Missing() if r["kind"] == "missing" else Failed(OSError("read failed"))


def test_the_defaults_are_the_node_shippers() -> None:
    o = ShipperOptions(job_id="j", bucket="b")
    assert {
        "flushIntervalMs": o.flush_interval_ms,
        "idleFlushIntervalMs": o.idle_flush_interval_ms,
        "freshStartMs": o.fresh_start_ms,
        "watchPollIntervalMs": o.watch_poll_interval_ms,
        "freshPollIntervalMs": WatchDefaults.FRESH_POLL_INTERVAL_MS,
        "signalTtlMs": WatchDefaults.SIGNAL_TTL_MS,
        "maxAheadMs": WatchDefaults.MAX_AHEAD_MS,
        "watchPrefix": WATCH_PREFIX,
    } == D


@pytest.mark.parametrize("v", VECTORS["keys"], ids=lambda v: repr(v["jobId"]))
def test_key(v: dict[str, Any]) -> None:
    args = (v["jobId"], v["prefix"]) if "prefix" in v else (v["jobId"],)
    if v.get("error"):
        with pytest.raises(WatchSignalError):
            watch_key(*args)
    else:
        assert watch_key(*args) == v["key"]


@pytest.mark.parametrize("v", VECTORS["signals"], ids=lambda v: v["name"])
def test_signal(v: dict[str, Any]) -> None:
    if v.get("error"):
        with pytest.raises(WatchSignalError):
            parse_watch_signal(v["body"], v["nowMs"])
    else:
        assert parse_watch_signal(v["body"], v["nowMs"]) == v["untilMs"]
        assert parse_watch_signal(v["body"].encode("utf-8"), v["nowMs"]) == v["untilMs"]


@pytest.mark.parametrize("v", VECTORS["cadence"], ids=lambda v: v["name"])
def test_cadence(v: dict[str, Any]) -> None:
    p = {
        "flushIntervalMs": D["flushIntervalMs"],
        "idleFlushIntervalMs": D["idleFlushIntervalMs"],
        "freshStartMs": D["freshStartMs"],
        **v.get("policy", {}),
    }
    policy = CadencePolicy(p["flushIntervalMs"], p["idleFlushIntervalMs"], p["freshStartMs"])
    now = v.get("nowMs", 1_796_119_200_000)
    got = flush_cadence(policy, started_at=now - v["sinceStartMs"], now=now, watch=to_state(v["watch"]))
    assert got == Cadence(v["expect"]["intervalMs"], v["expect"]["reason"])


@pytest.mark.parametrize("v", VECTORS["reads"], ids=lambda v: v["name"])
def test_reads(v: dict[str, Any]) -> None:
    state = WatchState()
    for step in v["steps"]:
        state = after_watch_read(state, to_read(step["read"]), step["nowMs"])
        assert state == to_state(step["expect"])
        assert is_watched(state, step["nowMs"]) is step["watched"]


@pytest.mark.parametrize("v", VECTORS["readDelays"], ids=lambda v: v["name"])
def test_read_delay(v: dict[str, Any]) -> None:
    expected: Optional[int] = v["expect"]
    policy = poll_policy(v.get("pollIntervalMs", D["watchPollIntervalMs"]))
    assert next_read_delay(policy, fresh=v["fresh"], output=v["output"], since_read_ms=v["sinceReadMs"], random=v["random"]) == expected


@pytest.mark.parametrize("v", VECTORS["errorLines"], ids=lambda v: v["line"][:48])
def test_error_line(v: dict[str, Any]) -> None:
    assert is_error_line(v["line"].encode("utf-8")) is v["error"]
