"""Fresh when watched (docs/shipper.md, docs/python.md) on a real moto S3: the shipper reads the job's
watch signal and seals chunks every ``flush_interval_ms`` while someone watches, every
``idle_flush_interval_ms`` otherwise; an error-level line and the exit seal at once whatever the mode;
a failed read keeps the mode."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Optional

import pytest

from joblogs.config import CliConfigError, parse_cli
from joblogs.errors import StoreError
from joblogs.events import CadenceChanged, ShipperEvent, WatchReadFailed
from joblogs.frame import iso_millis
from joblogs.framing import now_ms
from joblogs.options import ShipperOptions
from joblogs.shipper import Shipper
from joblogs.store import S3Store
from joblogs.watch import WatchDefaults
from tests.support.moto import MotoServer, chunks_of
from tests.support.run import joblogs_env, run_joblogs
from tests.support.waiting import eventually

# Short intervals: a fresh chunk every 100 ms, an idle one only after a minute (longer than any of these tests).
CADENCE = {"flush_interval_ms": 100, "idle_flush_interval_ms": 60_000, "fresh_start_ms": 0, "watch_poll_interval_ms": 100}


def watch(s3: Any, bucket: str, job_id: str, for_ms: int = 90_000) -> None:
    """What the logs API writes while someone follows the job."""
    s3.put_object(Bucket=bucket, Key=f"watch/v1/{job_id}.json", Body=json.dumps({"until": iso_millis(now_ms() + for_ms)}).encode())


class SignalReadsFail(S3Store):
    """The real adapter, except that reads of the watch signal fail once ``failing`` is set (a 403, a timeout)."""

    failing = False

    def get(self, key: str) -> Optional[bytes]:
        if self.failing and key.startswith("watch/"):
            raise StoreError(f"GetObject {key} failed: HTTP 403 AccessDenied", transient=False, status=403)
        return super().get(key)


def open_shipper(store: S3Store, spool_root: str, job_id: str, events: list[ShipperEvent]) -> Shipper:
    options = ShipperOptions(job_id=job_id, bucket=store.bucket, spool_dir=spool_root, **CADENCE)  # type: ignore[arg-type]
    return Shipper.open(options, store, events.append)


def reasons(events: list[ShipperEvent]) -> list[str]:
    return [e.reason for e in events if isinstance(e, CadenceChanged)]


def print_slowly(shipper: Shipper, lines: list[str], every_s: float = 0.3) -> None:
    for line in lines:
        shipper.write("stdout", f"{line}\n".encode())
        time.sleep(every_s)


def test_a_watched_job_ships_a_chunk_per_line_printed_slowly(s3: Any, bucket: str, spool_root: str) -> None:
    watch(s3, bucket, "watch-1")
    events: list[ShipperEvent] = []
    shipper = open_shipper(S3Store(s3, bucket), spool_root, "watch-1", events)
    eventually(lambda: shipper.cadence.reason, lambda r: r == "watched", "the cadence")
    print_slowly(shipper, [f"step {i}" for i in range(6)])
    before_exit = eventually(lambda: len(chunks_of(s3, bucket, "watch-1")), lambda n: n >= 5, "chunks before the exit")
    summary = shipper.close(exit_code=0)
    chunks = chunks_of(s3, bucket, "watch-1")
    assert before_exit >= 5 and summary.lines == 6
    assert [f.data.decode() for c in chunks for f in c.frames] == [f"step {i}" for i in range(6)]
    assert chunks[-1].metadata["final"] == "true"
    assert reasons(events) == ["watched"]


def test_an_unwatched_job_holds_its_lines_for_the_idle_interval_and_seals_them_at_exit(s3: Any, bucket: str, spool_root: str) -> None:
    events: list[ShipperEvent] = []
    shipper = open_shipper(S3Store(s3, bucket), spool_root, "watch-2", events)
    print_slowly(shipper, [f"step {i}" for i in range(6)])
    assert shipper.cadence == CadenceChanged(60_000, "unwatched")
    assert chunks_of(s3, bucket, "watch-2") == []
    summary = shipper.close(exit_code=3)
    chunks = chunks_of(s3, bucket, "watch-2")
    assert len(chunks) == 1 and summary.chunks == 1
    assert [f.data.decode() for f in chunks[0].frames] == [f"step {i}" for i in range(6)]
    assert (chunks[0].metadata["final"], chunks[0].metadata["exit-code"]) == ("true", "3")


def test_a_watch_that_starts_while_the_job_is_silent_gets_the_lines_it_held(s3: Any, bucket: str, spool_root: str) -> None:
    events: list[ShipperEvent] = []
    shipper = open_shipper(S3Store(s3, bucket), spool_root, "watch-5", events)
    print_slowly(shipper, [f"before the silence {i}" for i in range(3)], every_s=0.05)
    time.sleep(0.5)  # silent, the lines held by the 60 s idle interval
    assert chunks_of(s3, bucket, "watch-5") == []
    watch(s3, bucket, "watch-5")
    held = eventually(lambda: chunks_of(s3, bucket, "watch-5"), lambda c: len(c) == 1, "the held lines once watched")
    shipper.close(exit_code=0)
    assert [f.data.decode() for f in held[0].frames] == [f"before the silence {i}" for i in range(3)]
    assert reasons(events) == ["watched"]


def test_an_unwatched_job_seals_the_chunk_of_an_error_line_at_once_and_then_waits_again(s3: Any, bucket: str, spool_root: str) -> None:
    events: list[ShipperEvent] = []
    shipper = open_shipper(S3Store(s3, bucket), spool_root, "watch-3", events)
    shipper.write("stdout", b"2026-12-01 10:00:00 INFO loading\n")
    shipper.write("stderr", b"2026-12-01 10:00:01 ERROR data loader died\n")
    sealed = eventually(lambda: chunks_of(s3, bucket, "watch-3"), lambda c: len(c) == 1, "the error's chunk")
    print_slowly(shipper, ["after the error"], every_s=0.5)
    assert len(chunks_of(s3, bucket, "watch-3")) == 1
    shipper.close(exit_code=1)
    chunks = chunks_of(s3, bucket, "watch-3")
    assert [f.data.decode() for f in sealed[0].frames] == ["2026-12-01 10:00:00 INFO loading", "2026-12-01 10:00:01 ERROR data loader died"]
    assert [f.data.decode() for f in chunks[1].frames] == ["after the error"] and chunks[1].metadata["final"] == "true"
    assert reasons(events) == []


def test_a_failed_read_keeps_a_watched_job_watched_past_its_until_and_then_a_read_ends_it(
    s3: Any, bucket: str, spool_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(WatchDefaults, "FRESH_POLL_INTERVAL_MS", 200)  # watched, the signal is read every 10 s: too slow for a test
    watch(s3, bucket, "watch-4", for_ms=1_000)
    store = SignalReadsFail(s3, bucket)
    events: list[ShipperEvent] = []
    shipper = open_shipper(store, spool_root, "watch-4", events)
    eventually(lambda: shipper.cadence.reason, lambda r: r == "watched", "the cadence")
    store.failing = True
    eventually(lambda: sum(isinstance(e, WatchReadFailed) for e in events), lambda n: n >= 1, "a failed read")
    time.sleep(1.2)  # past the signal's until: only the failed reads keep it watched
    print_slowly(shipper, ["held 1", "held 2", "held 3"])
    eventually(lambda: len(chunks_of(s3, bucket, "watch-4")), lambda n: n >= 2, "chunks while held")
    assert shipper.cadence.reason == "watched"
    store.failing = False
    eventually(lambda: shipper.cadence.reason, lambda r: r == "unwatched", "the cadence once reads succeed")
    shipper.close(exit_code=0)
    assert reasons(events) == ["watched", "unwatched"]
    assert [f.data.decode() for c in chunks_of(s3, bucket, "watch-4") for f in c.frames] == ["held 1", "held 2", "held 3"]


def test_the_cli_takes_the_node_clis_flags_and_variables_and_says_when_the_cadence_changes(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str
) -> None:
    watch(s3, bucket, "watch-5")
    child = "import time\nfor i in range(3):\n    print(f'step {i}', flush=True)\n    time.sleep(0.3)\n"
    flags = ["--idle-flush-interval", "60000", "--fresh-start", "0", "--watch-poll-interval", "100", "--verbose"]
    common = ["--job-id", "watch-5", "--bucket", bucket, "--spool-dir", spool_root, "--force-path-style"]
    result = run_joblogs(["run", *common, *flags, "--", sys.executable, "-c", child], joblogs_env(moto, JOBLOGS_FLUSH_INTERVAL_MS="100"))
    assert result.code == 0, result.stderr
    assert b"joblogs: sealing chunks every 100 ms (watched)\n" in result.stderr
    assert [f.data.decode() for c in chunks_of(s3, bucket, "watch-5") for f in c.frames] == ["step 0", "step 1", "step 2"]
    config = parse_cli(
        ["pipe", "--job-id", "j", "--bucket", "joblogs-logs", "--fresh-start", "0"],
        {"JOBLOGS_IDLE_FLUSH_INTERVAL_MS": "45000", "JOBLOGS_WATCH_POLL_INTERVAL_MS": "5000"},
    )
    assert (config.shipper.idle_flush_interval_ms, config.shipper.fresh_start_ms, config.shipper.watch_poll_interval_ms) == (
        45_000,
        0,
        5_000,
    )
    with pytest.raises(CliConfigError, match="watch_poll_interval_ms must be an integer from 100"):
        parse_cli(["pipe", "--job-id", "j", "--bucket", "joblogs-logs", "--watch-poll-interval", "10"], {})
