"""Frames lines into chunk bodies and seals them, bounded by uncompressed size, line count and age
(the Node shipper's ``chunker.ts``). A chunk is sealed before a frame that would take a non-empty
chunk past ``max_chunk_bytes``, as soon as it reaches it, and at ``MAX_LINES_PER_CHUNK`` lines.
Pure: the caller passes the time, asks :meth:`Chunker.is_due` and calls :meth:`Chunker.take`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .contract import MAX_LINES_PER_CHUNK
from .frame import FrameEncoder, encode_frame_with_head


@dataclass(frozen=True)
class SealedBody:
    """A chunk body ready to gzip: framed lines, each ending in ``\\n``."""

    body: bytes
    lines: int
    start_time: int
    """Capture time of the first line (epoch ms); the seal time for an empty chunk."""


class Chunker:
    __slots__ = ("_bytes", "_encoder", "_flush_ms", "_hurry_at", "_lines", "_max_bytes", "_max_lines", "_parts", "_start")

    def __init__(self, *, max_chunk_bytes: int, flush_interval_ms: int, max_lines: int = MAX_LINES_PER_CHUNK):
        self._max_bytes = max_chunk_bytes
        self._flush_ms = flush_interval_ms
        self._max_lines = max_lines
        self._encoder = FrameEncoder()
        self._parts: list[bytes] = []
        self._bytes = 0
        self._lines = 0
        self._start = 0
        self._hurry_at: Optional[int] = None

    @property
    def lines(self) -> int:
        return self._lines

    @property
    def size(self) -> int:
        """Frame bytes in the current chunk."""
        return self._bytes

    def add(self, time: int, stream: str, line: int, data: bytes, terminator: str, seal: Callable[[SealedBody], None]) -> None:
        """Adds one frame; ``seal`` receives every body this seals (the one before it, and/or the one it fills)."""
        frame = encode_frame_with_head(self._encoder.head(time, stream), line, data, terminator) + b"\n"
        if self._lines > 0 and (self._bytes + len(frame) > self._max_bytes or self._lines >= self._max_lines):
            seal(self._seal(time))
        if self._lines == 0:
            self._start = time
        self._parts.append(frame)
        self._bytes += len(frame)
        self._lines += 1
        if self._bytes >= self._max_bytes or self._lines >= self._max_lines:
            seal(self._seal(time))

    def due_at(self) -> Optional[int]:
        """When the current chunk must be sealed by age, or None when it is empty."""
        if self._lines == 0:
            return None
        due = self._start + self._flush_ms
        return self._hurry_at if self._hurry_at is not None and self._hurry_at < due else due

    def hurry(self, at: int) -> None:
        """The current chunk is due by ``at`` at the latest (an error line in it, while the interval is idle)."""
        if self._lines > 0 and (self._hurry_at is None or at < self._hurry_at):
            self._hurry_at = at

    def set_flush_interval(self, flush_interval_ms: int) -> None:
        """Changes the age bound from now on; the current chunk is due by the new one (at once, if it is older)."""
        self._flush_ms = flush_interval_ms

    def is_due(self, now: int) -> bool:
        due = self.due_at()
        return due is not None and now >= due

    def take(self, now: int) -> SealedBody:
        """Seals the current chunk (possibly empty) and starts a new one."""
        return self._seal(now)

    def _seal(self, now: int) -> SealedBody:
        sealed = SealedBody(b"".join(self._parts), self._lines, self._start if self._lines else now)
        self._parts = []
        self._bytes = 0
        self._lines = 0
        self._hurry_at = None
        return sealed
