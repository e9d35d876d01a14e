"""Running ``python -m joblogs`` as a real process against moto."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional, Sequence

from tests.support.moto import MotoServer


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: bytes


def joblogs_env(moto: MotoServer, endpoint: Optional[str] = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBLOGS_", "TRACEPARENT", "AWS_"))}
    return {**env, **moto.env(endpoint), **extra}


def start_joblogs(args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "joblogs", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )


def run_joblogs(args: Sequence[str], env: dict[str, str], timeout: float = 60) -> Result:
    process = start_joblogs(args, env)
    out, err = process.communicate(timeout=timeout)
    return Result(process.returncode, out, err)
