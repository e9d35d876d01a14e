"""Shipper options: one frozen dataclass, checked once, every problem listed."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
from dataclasses import dataclass
from typing import Callable, Literal, Optional, Tuple

from . import __version__
from .contract import (
    CHUNK_PREFIX,
    DEFAULT_CHUNK_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    JOB_MARKER_PREFIX,
    MAX_CHUNK_BYTES,
    is_valid_dataset,
    is_valid_job_id,
    is_valid_source,
)
from .errors import ShipperOptionsError
from .frame import max_frame_bytes
from .trace.context import read_traceparent
from .watch import WATCH_PREFIX, WatchDefaults

PRODUCER = f"joblogs-python/{__version__}"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")

OverflowPolicy = Literal["drop-oldest", "block"]


@dataclass(frozen=True)
class ShipperOptions:
    """What one :class:`~joblogs.shipper.Shipper` ships, where, and within which bounds.

    Defaults follow the Node shipper (docs/shipper.md) and the contract's bounds: chunks sealed
    at 1 MiB of frames or 1 s after their first line while the job is watched or starting (30 s
    otherwise: "Fresh when watched"), lines split at 256 KiB, 8 MiB held in memory, 512 MiB of spool.
    """

    job_id: str
    bucket: str
    source: str = "main"
    prefix: str = CHUNK_PREFIX
    job_prefix: str = JOB_MARKER_PREFIX
    dataset: Optional[str] = None
    service: Optional[str] = None
    traceparent: Optional[str] = None
    host: str = dataclasses.field(default_factory=socket.gethostname)
    container_id: Optional[str] = None
    spool_dir: Optional[str] = None
    """Default: ``$XDG_RUNTIME_DIR/joblogs``, else ``~/.cache/joblogs/spool``."""
    flush_interval_ms: int = 1000
    """A chunk is sealed at most this long after its first line while the job is fresh (watched, starting)."""
    idle_flush_interval_ms: int = 30_000
    """The same bound while nobody watches the job; 0, or not longer than ``flush_interval_ms``:
    always fresh, and the watch signal is never read."""
    fresh_start_ms: int = 60_000
    """For this long after the shipper opens it stays fresh, watched or not."""
    watch_poll_interval_ms: int = WatchDefaults.POLL_INTERVAL_MS
    """How often the watch signal (``<watch_prefix>v1/<jobId>.json``) is read while the job is idle
    and prints (±25 %); while fresh, every 10 s (or this, if longer); while silent, not at all."""
    watch_prefix: str = WATCH_PREFIX
    max_chunk_bytes: int = DEFAULT_CHUNK_BYTES
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_buffered_bytes: int = 8 * 1024 * 1024
    spool_max_bytes: int = 512 * 1024 * 1024
    overflow: OverflowPolicy = "drop-oldest"
    gzip_level: int = 1
    """zlib's fastest level, as the Node shipper: chunks ~30 % larger than at 6, compressed in less
    than half the CPU; 12–19 % less CPU per GiB for ``python -m joblogs run`` (docs/python.md,
    docs/shipper-footprint.md "Compression level")."""
    close_timeout_ms: int = 15_000
    retry_base_ms: int = 200
    retry_max_ms: int = 5_000
    producer: str = PRODUCER
    redact: bool = True
    """Replace secrets by ``[REDACTED:<kind>]`` before a line is framed (docs/python.md): the patterns
    of the shared rules and the values of ``secrets``. False ships lines exactly as printed."""
    redact_env: Tuple[str, ...] = ()
    """Variables whose values are secret, besides the well-known ones (``HF_TOKEN``, ``WANDB_API_KEY``…)."""
    secrets: Optional[Tuple[Tuple[str, str], ...]] = None
    """The exact ``(name, value)`` pairs to redact; None: the values of the well-known variables and
    of ``redact_env`` in ``os.environ`` when the shipper opens."""

    def secret_values(self) -> Tuple[Tuple[str, str], ...]:
        """What ``secrets`` says, or (None) the well-known and ``redact_env`` variables' values in ``os.environ``."""
        if self.secrets is not None:
            return self.secrets
        from .scrub import secrets_from_environment

        found = secrets_from_environment(self.redact_env, os.environ)
        return tuple((s.name, s.value) for s in found.secrets)

    def resolved_spool_dir(self) -> str:
        from .private_dir import default_spool_root

        return self.spool_dir or default_spool_root(os.environ)

    def check(self) -> ShipperOptions:
        """Returns self, or raises :class:`ShipperOptionsError` listing every problem."""
        problems = list(_problems(self))
        if problems:
            raise ShipperOptionsError(problems)
        return self


IDLE_FLUSH_INTERVAL_BOUNDS = (0, 3_600_000)
"""What the shipper takes as ``idle_flush_interval_ms``, and so what a launcher may hand a job."""

_BOUNDS: dict[str, tuple[int, int]] = {
    "flush_interval_ms": (1, 3_600_000),
    "idle_flush_interval_ms": IDLE_FLUSH_INTERVAL_BOUNDS,
    "fresh_start_ms": (0, 3_600_000),
    "watch_poll_interval_ms": (100, 3_600_000),
    "max_chunk_bytes": (1024, MAX_CHUNK_BYTES),
    "max_line_bytes": (16, MAX_CHUNK_BYTES),
    "max_buffered_bytes": (1024, 1 << 40),
    "spool_max_bytes": (1024, 1 << 50),
    "close_timeout_ms": (0, 3_600_000),
    "retry_base_ms": (1, 3_600_000),
    "retry_max_ms": (1, 3_600_000),
    "gzip_level": (0, 9),
}


def _problems(o: ShipperOptions) -> list[str]:
    problems = []
    if not isinstance(o.job_id, str) or not is_valid_job_id(o.job_id):
        problems.append(f"job_id {json.dumps(o.job_id)} must match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,127}}$")
    if not isinstance(o.source, str) or not is_valid_source(o.source):
        problems.append(f"source {json.dumps(o.source)} must match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}$")
    from .contract import BUCKET_PATTERN

    if not isinstance(o.bucket, str) or not BUCKET_PATTERN.match(o.bucket):
        problems.append(f"bucket {json.dumps(o.bucket)} is not a valid S3 bucket name")
    for name in ("prefix", "job_prefix", "watch_prefix"):
        value = getattr(o, name)
        if not isinstance(value, str) or (value != "" and not value.endswith("/")):
            problems.append(f'{name} {json.dumps(value)} must be empty or end with "/"')
    if o.dataset is not None and not is_valid_dataset(o.dataset):
        problems.append(f"dataset {json.dumps(o.dataset)} must be mlplatform.<name> (1–3 lowercase [a-z0-9_] segments, ≤ 64 chars)")
    if o.traceparent is not None and read_traceparent(o.traceparent) is None:
        problems.append(f"traceparent {json.dumps(o.traceparent)} is not a valid W3C traceparent")
    for name in o.redact_env:
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            problems.append(f"redact_env: {json.dumps(name)} is not a variable name")
    if o.overflow not in ("drop-oldest", "block"):
        problems.append(f'overflow {json.dumps(o.overflow)} must be "drop-oldest" or "block"')
    for name, (low, high) in _BOUNDS.items():
        value = getattr(o, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{name} must be an integer from {low} to {high}, got {value!r}")
    if not any(p.startswith(("max_chunk_bytes ", "max_line_bytes ")) for p in problems) and (
        o.max_chunk_bytes + max_frame_bytes(o.max_line_bytes) > MAX_CHUNK_BYTES
    ):
        # A chunk is sealed at max_chunk_bytes, but the frame that fills it may go past: both must fit the contract's bound.
        problems.append(
            f"max_chunk_bytes ({o.max_chunk_bytes}) plus one frame of max_line_bytes ({o.max_line_bytes}) "
            f"must stay within the contract's {MAX_CHUNK_BYTES} bytes per chunk"
        )
    return problems


EventListener = Callable[["object"], None]
