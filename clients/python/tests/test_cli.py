"""``python -m joblogs run`` as a real process on a real moto S3."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

from joblogs.frame import reassemble_streams
from joblogs.trace.context import read_traceparent
from tests.support.moto import MotoServer, chunks_of, get_json, keys_under
from tests.support.run import joblogs_env, run_joblogs, start_joblogs

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

CHILD = r"""
import os, sys
out = sys.stdout.buffer
err = sys.stderr.buffer
out.write(b"TRACEPARENT=" + os.environ["TRACEPARENT"].encode() + b"\n")
for i in range(20000):
    out.write(b"line %d\n" % i)
    if i % 5000 == 0:
        err.write(b"stderr at %d\r\n" % i)
out.write(b"long:" + "\u00e9".encode() * 50000 + b"\n")
err.write(bytes([0, 0xFF, 0xFE, 0x1B, 0x5B, 0x33, 0x31, 0x6D, 0x80, 0x0A]))
out.write(b"progress 10%\rprogress 100%\r\n\xef\xbb\xbfbom line\nlast line without newline")
err.write(b"stderr also ends abruptly")
out.flush(); err.flush()
sys.exit(3)
"""


def args(bucket: str, job_id: str, spool: str, *extra: str) -> list[str]:
    return ["run", "--job-id", job_id, "--bucket", bucket, "--spool-dir", spool, *extra, "--"]


def test_passes_output_through_unchanged_and_ships_every_byte_with_the_exit_code(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str
) -> None:
    result = run_joblogs([*args(bucket, "cli-1", spool_root), sys.executable, "-c", CHILD], joblogs_env(moto, TRACEPARENT=TRACEPARENT))
    assert result.code == 3
    chunks = chunks_of(s3, bucket, "cli-1")
    frames = [f for c in chunks for f in c.frames]
    streams = reassemble_streams(frames)
    assert streams["stdout"] == result.stdout
    assert result.stderr.startswith(streams["stderr"])
    summary = result.stderr[len(streams["stderr"]) :].decode()
    assert re.fullmatch(
        r"joblogs: \d+ lines, \d+ bytes, \d+ chunks \(\d+ uploaded\), 0 retries, 0 spooled, 0 dropped, 0 conflicts\n", summary
    )
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    assert [f.line for f in frames] == list(range(len(frames)))
    assert any(f.terminator == "" for f in frames)  # the 100 KB line became continuation frames
    final = chunks[-1]
    assert [c for c in chunks if c.metadata.get("final") == "true"] == [final]
    assert final.metadata["exit-code"] == "3" and final.metadata["line-count"] == str(len(frames))
    for chunk in chunks:
        assert chunk.metadata["traceparent"] == TRACEPARENT and chunk.metadata["producer"] == "joblogs-python/0.1.0"
        assert chunk.metadata["format"] == "framed-v1" and "owner" not in chunk.metadata
    assert result.stdout.startswith(f"TRACEPARENT={TRACEPARENT}\n".encode())
    assert get_json(s3, bucket, "jobs/v1/cli-1/main/running.json")["status"] == "running"
    marker = get_json(s3, bucket, "jobs/v1/cli-1/main/final.json")
    assert (marker["lastSeq"], marker["lineCount"], marker["exitCode"], marker["droppedLines"]) == (final.seq, len(frames), 3, 0)
    assert "owner" not in marker and "team" not in marker


def test_generates_a_traceparent_and_gives_the_same_one_to_the_child_and_the_chunks(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str
) -> None:
    result = run_joblogs(
        [*args(bucket, "cli-2", spool_root), sys.executable, "-c", "import os; print(os.environ['TRACEPARENT'])"], joblogs_env(moto)
    )
    seen = result.stdout.decode().strip()
    assert result.code == 0 and read_traceparent(seen) is not None
    assert [c.metadata["traceparent"] for c in chunks_of(s3, bucket, "cli-2")] == [seen]


def test_forwards_sigterm_flushes_and_exits_128_plus_15(moto: MotoServer, s3: Any, bucket: str, spool_root: str) -> None:
    child = "import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: (print('child got SIGTERM', flush=True), signal.signal(signal.SIGTERM, signal.SIG_DFL), signal.raise_signal(signal.SIGTERM)))\nprint('ready', flush=True)\ntime.sleep(60)"
    process = start_joblogs([*args(bucket, "cli-3", spool_root), sys.executable, "-c", child], joblogs_env(moto))
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 143 and out == b"child got SIGTERM\n"
    chunks = chunks_of(s3, bucket, "cli-3")
    assert [f.data for c in chunks for f in c.frames] == [b"ready", b"child got SIGTERM"]
    assert chunks[-1].metadata["signal"] == "SIGTERM" and "exit-code" not in chunks[-1].metadata
    assert get_json(s3, bucket, "jobs/v1/cli-3/main/final.json")["signal"] == "SIGTERM"


def test_exits_127_for_a_missing_command_and_2_for_bad_configuration(moto: MotoServer, bucket: str, spool_root: str) -> None:
    missing = run_joblogs([*args(bucket, "cli-4", spool_root), "no-such-command-joblogs"], joblogs_env(moto))
    assert missing.code == 127 and b"cannot run no-such-command-joblogs" in missing.stderr
    no_bucket = run_joblogs([*args("no-such-bucket-joblogs", "cli-4", spool_root), "true"], joblogs_env(moto))
    assert (no_bucket.code, no_bucket.stderr) == (2, b"joblogs: bucket no-such-bucket-joblogs does not exist\n")
    bad = run_joblogs(["run", "--job-id", "../x", "--spool-dir", spool_root, "--", "true"], joblogs_env(moto, TRACEPARENT="garbage"))
    assert bad.code == 2 and bad.stdout == b"" and bad.stderr.count(b"\n") == 1
    assert b"--bucket" in bad.stderr and b"job id '../x' is invalid" in bad.stderr and b"TRACEPARENT" in bad.stderr
    nowhere = {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}
    anonymous = {k: v for k, v in joblogs_env(moto, **nowhere).items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    no_credentials = run_joblogs([*args(bucket, "cli-4", spool_root), "true"], anonymous)
    assert (no_credentials.code, no_credentials.stderr) == (2, b"joblogs: no AWS credentials found\n")
    regionless = {k: v for k, v in joblogs_env(moto, **nowhere).items() if k not in ("AWS_ENDPOINT_URL", "AWS_REGION")}
    no_region = run_joblogs([*args(bucket, "cli-4", spool_root), "true"], regionless)
    assert (no_region.code, no_region.stderr) == (2, b"joblogs: no AWS region: set AWS_REGION\n")


def test_refuses_a_second_shipper_on_the_same_spool_while_one_runs(moto: MotoServer, bucket: str, spool_root: str) -> None:
    first = start_joblogs(
        [*args(bucket, "cli-5", spool_root), sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
        joblogs_env(moto),
    )
    assert first.stdout is not None and first.stdout.readline() == b"ready\n"
    second = run_joblogs([*args(bucket, "cli-5", spool_root), sys.executable, "-c", "print('second ran')"], joblogs_env(moto))
    assert second.code == 2 and second.stdout == b""
    assert re.match(rb"joblogs: Spool directory .*cli-5.* is in use by another joblogs shipper \(pid %d on " % first.pid, second.stderr)
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=30)
    assert first.returncode == 143


def test_finishes_soon_after_the_job_exits_when_a_background_process_keeps_its_output_open(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, tmp_path: Path
) -> None:
    pid_file = tmp_path / "daemon.pid"
    result = run_joblogs(
        [
            *args(bucket, "cli-6", spool_root, "--pipe-close-timeout", "500"),
            "sh",
            "-c",
            f'sleep 30 & echo $! > {pid_file}; echo "started a daemon"; exit 5',
        ],
        joblogs_env(moto),
    )
    assert result.code == 5
    # joblogs is done while the daemon still holds the output open: it did not wait for it.
    daemon = int(pid_file.read_text())
    assert b"sleep" in Path(f"/proc/{daemon}/cmdline").read_bytes()
    os.kill(daemon, signal.SIGTERM)
    assert b"exited but its output is still open" in result.stderr
    assert [f.data for c in chunks_of(s3, bucket, "cli-6") for f in c.frames] == [b"started a daemon"]


def test_pipe_ships_standard_input_and_copies_it(moto: MotoServer, s3: Any, bucket: str, spool_root: str, tmp_path: Path) -> None:
    import subprocess

    data = b"from a pipe\r\nsecond\n\xc3\x28 tail"
    piped = subprocess.run(
        [sys.executable, "-m", "joblogs", "pipe", "--job-id", "cli-7", "--bucket", bucket, "--spool-dir", spool_root],
        input=data,
        capture_output=True,
        env=joblogs_env(moto),
        timeout=60,
        check=False,
    )
    assert piped.returncode == 0 and piped.stdout == data
    chunks = chunks_of(s3, bucket, "cli-7")
    assert reassemble_streams([f for c in chunks for f in c.frames])["stdout"] == data
    assert chunks[-1].metadata["line-count"] == "3" and "exit-code" not in chunks[-1].metadata
    assert os.listdir(Path(spool_root, "cli-7", "main")) == ["spool.key", "state.json"] or sorted(
        os.listdir(Path(spool_root, "cli-7", "main"))
    ) == ["spool.key", "state.json"]
    assert keys_under(s3, bucket, "jobs/v1/cli-7/") == ["jobs/v1/cli-7/main/final.json", "jobs/v1/cli-7/main/running.json"]
