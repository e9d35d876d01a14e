"""Byte-exact parity: the same program under the Node CLI and under ``python -m joblogs run``, both
on the same moto; the bytes rebuilt from each one's frames are identical, and equal to what the
program printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from joblogs.frame import reassemble_streams
from tests.support.moto import MotoServer, chunks_of
from tests.support.run import joblogs_env

REPO = Path(__file__).resolve().parents[3]
TSX = REPO / "node_modules" / ".bin" / "tsx"

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(not TSX.exists(), reason="the Node CLI needs `npm ci` in the repository root"),
]

PROGRAM = r"""
import sys
out, err = sys.stdout.buffer, sys.stderr.buffer
out.write(b"plain line\n")
out.write(b"invalid \xff\xfe utf-8 \xc3\x28\n")
out.write(b"crlf line\r\n")
out.write(b"progress 10%\rprogress 50%\rprogress 100%\r")
out.write(b"\n")
out.write(b"\x00\x1b[31mcontrols\x7f \"quoted\" \\ back\tslash\n")
out.write("\ufeffbom \u00e9\u6f22\U0001F600 \u2028\n".encode())
out.write(b"hundred kb:" + ("\u00e9" * 51200).encode() + b"\n")
out.flush()
err.write(b"stderr line\r\n")
err.write(b"\xff" * 40000 + b"\n")
err.flush()
out.write(b"split across ")
out.flush()
out.write(b"writes\r")
out.flush()
out.write(b"\nno final newline")
out.flush()
err.write(b"stderr no newline either")
err.flush()
sys.exit(4)
"""


def run_cli(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)


def test_node_and_python_cli_ship_byte_identical_output(moto: MotoServer, s3: Any, bucket: str, tmp_path: Path) -> None:
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    env = joblogs_env(moto, TRACEPARENT="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    env["PATH"] = f"{REPO / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    common = ["--bucket", bucket, "--max-line-bytes", "32768", "--"]
    node_spool = tmp_path / "node-spool"
    python_spool = tmp_path / "python-spool"
    python_spool.mkdir(mode=0o700)
    node = run_cli(
        [
            str(TSX),
            str(REPO / "cli" / "entry.ts"),
            "run",
            "--job-id",
            "parity-node",
            "--spool-dir",
            str(node_spool),
            *common,
            sys.executable,
            str(program),
        ],
        {**env, "JOBLOGS_HEAP_FLAGS": "0"},
    )
    python = run_cli(
        [
            sys.executable,
            "-m",
            "joblogs",
            "run",
            "--job-id",
            "parity-python",
            "--spool-dir",
            str(python_spool),
            *common,
            sys.executable,
            str(program),
        ],
        env,
    )
    assert (node.returncode, python.returncode) == (4, 4), (node.stderr[-500:], python.stderr[-500:])
    assert node.stdout == python.stdout
    node_chunks = chunks_of(s3, bucket, "parity-node")
    python_chunks = chunks_of(s3, bucket, "parity-python")
    node_frames = [f for c in node_chunks for f in c.frames]
    python_frames = [f for c in python_chunks for f in c.frames]
    node_streams = reassemble_streams(node_frames)
    python_streams = reassemble_streams(python_frames)
    assert node_streams == python_streams
    assert python_streams["stdout"] == python.stdout
    assert python.stderr.startswith(python_streams["stderr"])
    # Frame by frame too (per stream: the order between the two pipes is the order each shipper read them).
    for stream in ("stdout", "stderr"):
        node_lines = [(f.data, f.terminator) for f in node_frames if f.stream == stream]
        python_lines = [(f.data, f.terminator) for f in python_frames if f.stream == stream]
        assert node_lines == python_lines, stream
    assert node_chunks[-1].metadata["exit-code"] == python_chunks[-1].metadata["exit-code"] == "4"
    assert node_chunks[-1].metadata["line-count"] == python_chunks[-1].metadata["line-count"]
