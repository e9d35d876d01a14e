"""What a shipper reports while it works (``on_event``), and its summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Union


@dataclass(frozen=True)
class Resumed:
    chunks: int
    next_seq: int
    next_line: int


@dataclass(frozen=True)
class Uploaded:
    key: str
    seq: int
    lines: int
    bytes: int
    attempts: int
    final: bool
    already_there: bool
    """Our own earlier upload whose answer was lost (HTTP 412 with our content-sha256)."""


@dataclass(frozen=True)
class UploadFailed:
    key: str
    seq: int
    attempt: int
    retry_in_ms: int
    error: Exception


@dataclass(frozen=True)
class Dropped:
    key: str
    seq: int
    lines: int


@dataclass(frozen=True)
class SpoolProblem:
    error: Exception


@dataclass(frozen=True)
class Rejected:
    """A file in the spool that did not authenticate: reported and never uploaded."""

    detail: str


@dataclass(frozen=True)
class Conflict:
    """Another writer's object under one of our keys: the chunk stays spooled, uploads of this source stop."""

    key: str
    detail: str


@dataclass(frozen=True)
class MarkerFailed:
    key: str
    error: Exception


@dataclass(frozen=True)
class CadenceChanged:
    """The flush interval changed: someone started or stopped watching, or the fresh start ended (docs/shipper.md)."""

    interval_ms: int
    reason: str
    """``starting``, ``watched``, ``unwatched`` or ``always-fresh``."""


@dataclass(frozen=True)
class WatchReadFailed:
    """A read of the watch signal failed; the cadence stays as it was."""

    error: Exception


ShipperEvent = Union[
    Resumed, Uploaded, UploadFailed, Dropped, SpoolProblem, Rejected, Conflict, MarkerFailed, CadenceChanged, WatchReadFailed
]


@dataclass(frozen=True)
class ShipperSummary:
    lines: int = 0
    """Lines (frames) captured by this run."""
    bytes: int = 0
    """Bytes captured by this run."""
    chunks: int = 0
    """Chunks sealed by this run."""
    uploaded: int = 0
    """Chunks uploaded by this run (including ones resumed from the spool)."""
    retries: int = 0
    """Failed upload attempts."""
    spooled: int = 0
    """Chunks that had to wait in the spool (an upload attempt failed, or resumed from a previous run)."""
    dropped: int = 0
    """Lines dropped by this run (spool full, or a full logging queue)."""
    pending: int = 0
    """Chunks still in the spool (uploaded by the next run with this job and source)."""
    conflicts: int = 0
    """Keys found holding another writer's content (chunks or final marker)."""
    rejected: int = 0
    """Spool files that failed authentication."""
    redactions: Dict[str, int] = field(default_factory=dict)
    """Secrets replaced by ``[REDACTED:<kind>]`` by this run, by kind (``aws-access-key-id``, ``env:HF_TOKEN``)."""

    def line(self, spool_dir: str = "") -> str:
        """The one line printed at exit (the Node CLI's, plus conflicts)."""
        left = f", {self.pending} chunk(s) left in the spool{' ' + spool_dir if spool_dir else ''} for the next run" if self.pending else ""
        redacted = ""
        if self.redactions:
            kinds = ", ".join(f"{kind} {n}" for kind, n in self.redactions.items())
            redacted = f", {sum(self.redactions.values())} secret(s) redacted ({kinds})"
        return (
            f"joblogs: {self.lines} lines, {self.bytes} bytes, {self.chunks} chunks ({self.uploaded} uploaded), "
            f"{self.retries} retries, {self.spooled} spooled, {self.dropped} dropped, {self.conflicts} conflicts{left}{redacted}"
        )
