"""``joblogs.capture()`` inside a real Python process: fd-level capture, exit, exception, SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from joblogs.frame import reassemble_streams
from tests.support.moto import MotoServer, chunks_of, get_json
from tests.support.run import joblogs_env

PRELUDE = """
import os, sys, subprocess, joblogs
joblogs.capture(job_id=sys.argv[1], bucket=sys.argv[2], spool_dir=sys.argv[3], flush_interval_ms=50)
"""


def run_script(
    body: str, moto: MotoServer, bucket: str, spool_root: str, job_id: str, tmp_path: Path
) -> subprocess.CompletedProcess[bytes]:
    script = tmp_path / "train.py"
    script.write_text(PRELUDE + body)
    return subprocess.run(
        [sys.executable, str(script), job_id, bucket, spool_root], capture_output=True, env=joblogs_env(moto), timeout=60, check=False
    )


def test_captures_python_c_level_and_child_process_output_at_the_file_descriptor(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, tmp_path: Path
) -> None:
    body = """
print("from print")
os.write(1, b"from os.write, as a C extension writes\\n")
os.write(2, b"NCCL WARN from fd 2\\n")
sys.stdout.flush()
subprocess.run(["sh", "-c", "echo from a child process"], check=True)
print("trace", os.environ["TRACEPARENT"])
"""
    result = run_script(body, moto, bucket, spool_root, "cap-1", tmp_path)
    assert result.returncode == 0, result.stderr
    chunks = chunks_of(s3, bucket, "cap-1")
    streams = reassemble_streams([f for c in chunks for f in c.frames])
    assert streams["stdout"] == result.stdout
    assert b"from print\n" in result.stdout and b"from a child process\n" in result.stdout and b"from os.write" in result.stdout
    assert streams["stderr"] == b"NCCL WARN from fd 2\n"
    assert result.stderr.startswith(b"NCCL WARN from fd 2\n") and b"joblogs: " in result.stderr  # the summary line, after the output
    final = chunks[-1].metadata
    assert final["final"] == "true" and final["exit-code"] == "0"
    assert result.stdout.decode().endswith(f"trace {final['traceparent']}\n")
    assert get_json(s3, bucket, "jobs/v1/cap-1/main/final.json")["exitCode"] == 0


def test_ships_the_traceback_and_exit_code_1_of_an_unhandled_exception(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, tmp_path: Path
) -> None:
    result = run_script('print("step 1")\nraise RuntimeError("loss is nan")\n', moto, bucket, spool_root, "cap-2", tmp_path)
    assert result.returncode == 1
    chunks = chunks_of(s3, bucket, "cap-2")
    stderr = reassemble_streams([f for c in chunks for f in c.frames])["stderr"]
    assert b"Traceback (most recent call last)" in stderr and b"RuntimeError: loss is nan" in stderr
    assert chunks[-1].metadata["exit-code"] == "1"


def test_records_the_status_of_sys_exit(moto: MotoServer, s3: Any, bucket: str, spool_root: str, tmp_path: Path) -> None:
    result = run_script('print("bye")\nsys.exit(7)\n', moto, bucket, spool_root, "cap-3", tmp_path)
    assert result.returncode == 7
    assert chunks_of(s3, bucket, "cap-3")[-1].metadata["exit-code"] == "7"


def test_finishes_the_log_on_sigterm_and_dies_of_the_signal(
    moto: MotoServer, s3: Any, bucket: str, spool_root: str, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text(PRELUDE + 'import time\nprint("ready", flush=True)\ntime.sleep(60)\n')
    process = subprocess.Popen(
        [sys.executable, str(script), "cap-4", bucket, spool_root], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=joblogs_env(moto)
    )
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGTERM
    chunks = chunks_of(s3, bucket, "cap-4")
    assert [f.data for c in chunks for f in c.frames] == [b"ready"]
    assert chunks[-1].metadata["signal"] == "SIGTERM"
    assert get_json(s3, bucket, "jobs/v1/cap-4/main/final.json")["signal"] == "SIGTERM"
