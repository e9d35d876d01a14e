"""Producer faults on the Python shipper: S3 unreachable mid-run (a TCP proxy the test cuts),
SIGKILL + restart with the same job, and a full spool (its size bound, and a spool directory
made read-only mid-run)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest

from joblogs.events import Dropped, ShipperEvent, SpoolProblem
from joblogs.options import ShipperOptions
from joblogs.shipper import Shipper
from joblogs.store import S3Store
from tests.support.fault_proxy import FaultProxy
from tests.support.moto import MotoServer, chunks_of
from tests.support.run import joblogs_env, run_joblogs, start_joblogs
from tests.support.waiting import eventually

SLOW = "import sys, time\nfor i in range(int(sys.argv[1])):\n    print(f'slow line {i}', flush=True)\n    time.sleep(0.01)\n"


def spooled(spool_root: str, job_id: str) -> list[str]:
    directory = Path(spool_root, job_id, "main")
    return sorted(p.name for p in directory.glob("*.chunk")) if directory.exists() else []


@pytest.fixture
def proxy(moto: MotoServer) -> Iterator[FaultProxy]:
    target = urlparse(moto.url)
    fault_proxy = FaultProxy(target.hostname or "127.0.0.1", target.port or 80)
    yield fault_proxy
    fault_proxy.close()


def test_spools_while_s3_is_unreachable_mid_run_then_delivers_every_line_once_in_order(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    script = tmp_path / "slow.py"
    script.write_text(SLOW)
    run = start_joblogs(
        [
            "run",
            "--job-id",
            "fault-1",
            "--bucket",
            bucket,
            "--spool-dir",
            spool_root,
            "--flush-interval",
            "200",
            "--",
            sys.executable,
            str(script),
            "300",
        ],
        joblogs_env(moto, proxy.url),
    )
    try:
        eventually(lambda: len(chunks_of(s3, bucket, "fault-1")), lambda n: n >= 2, "the first uploads")
        proxy.down()
        eventually(lambda: len(spooled(spool_root, "fault-1")), lambda n: n >= 3, "chunks to pile up in the spool")
    finally:
        proxy.up()
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0
    chunks = chunks_of(s3, bucket, "fault-1")
    assert [f.data.decode() for c in chunks for f in c.frames] == [f"slow line {i}" for i in range(300)]
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    assert re.search(rb"joblogs: 300 lines, .* [1-9]\d* retries, [1-9]\d* spooled, 0 dropped, 0 conflicts\n$", err), err[-300:]
    assert spooled(spool_root, "fault-1") == []


def test_resumes_a_sigkilled_shippers_spool_with_no_seq_reused_and_every_line_exactly_once(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    script = tmp_path / "slow.py"
    script.write_text(SLOW)
    proxy.down()
    first = start_joblogs(
        [
            "run",
            "--job-id",
            "fault-2",
            "--bucket",
            bucket,
            "--spool-dir",
            spool_root,
            "--flush-interval",
            "100",
            "--",
            sys.executable,
            str(script),
            "100000",
        ],
        joblogs_env(moto, proxy.url),
    )
    eventually(lambda: len(spooled(spool_root, "fault-2")), lambda n: n >= 4, "chunks in the spool")
    first.send_signal(signal.SIGKILL)
    printed_by_first, _ = first.communicate(timeout=30)
    left = len(spooled(spool_root, "fault-2"))
    proxy.up()
    second = run_joblogs(
        ["run", "--job-id", "fault-2", "--bucket", bucket, "--spool-dir", spool_root, "--", sys.executable, "-c", "print('second run')"],
        joblogs_env(moto, proxy.url),
    )
    assert second.code == 0
    assert f"resuming {left} spooled chunk(s)".encode() in second.stderr
    chunks = chunks_of(s3, bucket, "fault-2")
    assert [c.seq for c in chunks] == list(range(left + 1))
    frames = [f for c in chunks for f in c.frames]
    assert [f.line for f in frames] == list(range(len(frames)))
    texts = [f.data.decode() for f in frames]
    assert texts[-1] == "second run"
    # What was spooled before the kill is a prefix of what the child printed (the unsealed tail died with the process).
    assert texts[:-1] == printed_by_first.decode().splitlines()[: len(texts) - 1]
    assert chunks[-1].metadata["line-count"] == str(len(frames)) and chunks[-1].metadata["exit-code"] == "0"
    assert spooled(spool_root, "fault-2") == []


def test_drops_the_oldest_chunks_when_the_spool_bound_is_reached_and_reports_them_in_the_final_chunk(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, proxy: FaultProxy
) -> None:
    events: list[ShipperEvent] = []
    proxy.down()
    store = S3Store(moto.client("s3", endpoint=proxy.url), bucket)
    options = ShipperOptions(
        job_id="fault-3", bucket=bucket, spool_dir=spool_root, spool_max_bytes=4096, max_chunk_bytes=1024, retry_base_ms=20, retry_max_ms=50
    )
    shipper = Shipper.open(options, store, events.append)
    for i in range(200):
        shipper.write("stdout", b"line %03d %s\n" % (i, b"x" * 40))
    eventually(lambda: sum(isinstance(e, Dropped) for e in events), lambda n: n >= 3, "drops")
    proxy.up()
    summary = shipper.close(exit_code=0)
    dropped = sum(e.lines for e in events if isinstance(e, Dropped))
    chunks = chunks_of(s3, bucket, "fault-3")
    assert summary.dropped == dropped > 0
    assert chunks[-1].metadata["dropped-lines"] == str(dropped)
    assert sum(len(c.frames) for c in chunks) == 200 - dropped
    seqs = [c.seq for c in chunks]
    assert seqs == sorted(seqs) and seqs[-1] == len(seqs) - 1 + sum(isinstance(e, Dropped) for e in events)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory anyway")
def test_keeps_chunks_in_memory_when_the_spool_directory_turns_read_only(s3: Any, bucket: str, spool_root: str) -> None:
    _read_only_case(s3, bucket, spool_root)


def test_keeps_chunks_in_memory_when_the_spool_cannot_be_written(
    s3: Any, bucket: str, spool_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root (CI) a read-only mode does not stop writes, so the spool's file creation is made to fail with EROFS instead."""
    import errno

    import joblogs.spool as spool_module
    from joblogs import private_dir

    original = private_dir.create_private_file
    failing = {"on": False}

    def create(dir_fd: int, name: str) -> int:
        if failing["on"] and name.endswith(".tmp"):
            raise OSError(errno.EROFS, "Read-only file system")
        return original(dir_fd, name)

    monkeypatch.setattr(spool_module, "create_private_file", create)
    events: list[ShipperEvent] = []
    options = ShipperOptions(job_id="fault-4", bucket=bucket, spool_dir=spool_root, flush_interval_ms=20)
    shipper = Shipper.open(options, S3Store(s3, bucket), events.append)
    shipper.write("stdout", b"before\n")
    time.sleep(0.2)
    failing["on"] = True
    shipper.write("stdout", b"while read-only\n")
    summary = shipper.close(exit_code=0)
    assert any(isinstance(e, SpoolProblem) and "waits in memory" in str(e.error) for e in events)
    assert [f.data for c in chunks_of(s3, bucket, "fault-4") for f in c.frames] == [b"before", b"while read-only"]
    assert summary.dropped == 0


HEX_PRINTER = "import os\nfor i in range(int(os.sys.argv[1])):\n    print(f'line {i} ' + os.urandom(48).hex())\n"


def test_cli_delivers_every_line_from_memory_when_the_spool_disk_refuses_writes(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, tmp_path: Path
) -> None:
    """A real write failure, as root too: the file size limit (RLIMIT_FSIZE) makes every spool write
    beyond 2 KiB fail with EFBIG, as a full disk fails with ENOSPC (Python ignores SIGXFSZ)."""
    script = tmp_path / "hex.py"
    script.write_text(HEX_PRINTER)
    args = ["run", "--job-id", "fault-6", "--bucket", bucket, "--spool-dir", spool_root, "--max-chunk-bytes", "16384"]
    limited = "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048)); os.execv(sys.executable, sys.argv[1:])"
    process = subprocess.Popen(
        [sys.executable, "-c", limited, sys.executable, "-m", "joblogs", *args, "--", sys.executable, str(script), "2000"],
        env=joblogs_env(moto),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert b"joblogs: spool error:" in err and b"File too large" in err
    chunks = chunks_of(s3, bucket, "fault-6")
    assert len(chunks) > 3
    assert b"\n".join(f.data for c in chunks for f in c.frames) + b"\n" == out
    assert chunks[-1].metadata["line-count"] == "2000" and chunks[-1].metadata["dropped-lines"] == "0"
    assert spooled(spool_root, "fault-6") == []


def _read_only_case(s3: Any, bucket: str, spool_root: str) -> None:
    events: list[ShipperEvent] = []
    options = ShipperOptions(job_id="fault-5", bucket=bucket, spool_dir=spool_root, flush_interval_ms=20)
    shipper = Shipper.open(options, S3Store(s3, bucket), events.append)
    shipper.write("stdout", b"before\n")
    time.sleep(0.2)
    Path(spool_root, "fault-5", "main").chmod(0o500)
    try:
        shipper.write("stdout", b"while read-only\n")
        shipper.close(exit_code=0)
    finally:
        Path(spool_root, "fault-5", "main").chmod(0o700)
    assert any(isinstance(e, SpoolProblem) for e in events)
    assert [f.data for c in chunks_of(s3, bucket, "fault-5") for f in c.frames] == [b"before", b"while read-only"]
