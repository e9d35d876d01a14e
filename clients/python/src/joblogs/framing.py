"""Line capture → frames → chunk bodies (the framing thread) → gzip (the sealing thread): the part
of the shipper that costs CPU per byte, off the thread that passes output through. zlib releases
the GIL while it compresses, so framing and gzip use two cores. Chunks come out in seq order.
Secrets are replaced between the line capture and the frame (:mod:`joblogs.scrub`), so never
reach the spool.
"""

from __future__ import annotations

import collections
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

from .chunker import Chunker, SealedBody
from .contract import STREAMS, Stream
from .line_capture import CapturedLine, LineCapture
from .scrub import Scrubber, StreamScrubber
from .watch import is_error_line


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class GzippedChunk:
    body: bytes
    lines: int
    raw_bytes: int
    start_time: int
    next_line: int
    """The line number after this chunk's last line."""
    final: bool
    redactions: Dict[str, int] = field(default_factory=dict)
    """Secrets redacted since the previous chunk, by kind."""


class Framer:
    """Owns a framing thread and a sealing thread. :meth:`write` only queues; ``on_chunk`` receives
    every gzipped chunk in order (on the sealing thread); ``on_progress`` whenever memory was freed."""

    def __init__(
        self,
        *,
        max_chunk_bytes: int,
        flush_interval_ms: int,
        max_line_bytes: int,
        gzip_level: int,
        first_line: int,
        on_chunk: Callable[[GzippedChunk], None],
        on_error: Callable[[Exception], None],
        on_progress: Callable[[], None],
        scrubber: Optional[Scrubber] = None,
        error_flush_interval_ms: Optional[int] = None,
    ):
        self._chunker = Chunker(max_chunk_bytes=max_chunk_bytes, flush_interval_ms=flush_interval_ms)
        # While the interval is longer (nobody watches), a chunk with an error-level line is sealed this long after it.
        self._error_flush_ms = flush_interval_ms if error_flush_interval_ms is None else error_flush_interval_ms
        self._hurry_errors = flush_interval_ms > self._error_flush_ms
        self._captures: dict[str, LineCapture] = {
            "stdout": LineCapture(max_line_bytes),
            "stderr": LineCapture(max_line_bytes),
        }
        self._scrubber = scrubber if scrubber is not None and not scrubber.idle else None
        self._scrubbers: Optional[dict[str, StreamScrubber]] = (
            {stream: StreamScrubber(self._scrubber, max_line_bytes) for stream in STREAMS} if self._scrubber is not None else None
        )
        self._reported: Dict[str, int] = {}
        self._gzip_level = gzip_level
        self._next_line = first_line
        self._sealed_lines = first_line
        self._on_chunk = on_chunk
        self._on_error = on_error
        self._on_progress = on_progress
        self._input: collections.deque[tuple[Stream, bytes, int]] = collections.deque()
        self._sealed: collections.deque[tuple[SealedBody, int, bool, Dict[str, int]]] = collections.deque()
        self._cv = threading.Condition()
        self._input_bytes = 0
        self._sealed_bytes = 0
        self._ending = False
        self._framing_done = False
        self._framing = threading.Thread(target=self._frame_loop, name="joblogs-framing", daemon=True)
        self._sealing = threading.Thread(target=self._seal_loop, name="joblogs-sealing", daemon=True)
        self._framing.start()
        self._sealing.start()

    @property
    def buffered_bytes(self) -> int:
        """Input not yet framed plus sealed bodies not yet gzipped."""
        return self._input_bytes + self._sealed_bytes

    def write(self, stream: Stream, data: bytes, time_ms: int) -> None:
        with self._cv:
            if self._ending:
                return
            self._input.append((stream, data, time_ms))
            self._input_bytes += len(data)
            self._cv.notify_all()

    def set_flush_interval(self, flush_interval_ms: int) -> None:
        """Changes how long a chunk may wait after its first line (fresh when watched, docs/shipper.md):
        the current chunk is sealed by the new bound — at once when it is already older."""
        with self._cv:
            self._chunker.set_flush_interval(flush_interval_ms)
            self._hurry_errors = flush_interval_ms > self._error_flush_ms
            self._cv.notify_all()

    def end(self, timeout: Optional[float] = None) -> bool:
        """Frames what is queued, flushes both streams, seals the final chunk (possibly empty) and
        waits until it has been handed to ``on_chunk``. False if that took longer than ``timeout``."""
        with self._cv:
            self._ending = True
            self._cv.notify_all()
        deadline = None if timeout is None else time.monotonic() + timeout
        self._framing.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self._sealing.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self._sealing.is_alive()

    def _frame_loop(self) -> None:
        lines: list[CapturedLine] = []
        try:
            while True:
                with self._cv:
                    while not self._input and not self._ending:
                        due = self._chunker.due_at()
                        if due is not None and now_ms() >= due:
                            break
                        self._cv.wait(None if due is None else max(0.001, (due - now_ms()) / 1000))
                    batch = list(self._input)
                    self._input.clear()
                    ending = self._ending and not batch
                scrubbers = self._scrubbers
                for stream, data, time_ms in batch:
                    capture = self._captures[stream]
                    if scrubbers is None:
                        capture.push(data, time_ms, lines)
                    else:
                        scrubber = scrubbers[stream]
                        scrubber.scan(data)
                        parts = capture.parts
                        capture.push(data, time_ms, lines)
                        scrubber.lines(lines, capture.pending_bytes, capture.parts != parts)
                    self._add(lines, stream)
                if batch:
                    with self._cv:
                        self._input_bytes -= sum(len(item[1]) for item in batch)
                    self._on_progress()
                now = now_ms()
                if self._chunker.is_due(now):
                    self._seal(self._chunker.take(now), final=False)
                if ending:
                    for stream in STREAMS:
                        capture = self._captures[stream]
                        parts = capture.parts
                        capture.end(now, lines)
                        if scrubbers is not None:
                            scrubbers[stream].lines(lines, 0, capture.parts != parts)
                            scrubbers[stream].end(lines)
                        self._add(lines, stream)
                    self._seal(self._chunker.take(now), final=True)
                    return
        except Exception as error:  # a bug here must not take the job down: report and stop framing
            self._on_error(error)
        finally:
            with self._cv:
                self._framing_done = True
                self._cv.notify_all()

    def _add(self, lines: list[CapturedLine], stream: Stream) -> None:
        add = self._chunker.add
        seal = self._seal_by_size
        hurry = self._hurry_errors
        for data, terminator, time_ms in lines:
            add(time_ms, stream, self._next_line, data, terminator, seal)
            self._next_line += 1
            if hurry and is_error_line(data):
                self._chunker.hurry(time_ms + self._error_flush_ms)
        lines.clear()

    def _seal_by_size(self, sealed: SealedBody) -> None:
        self._seal(sealed, final=False)

    def _seal(self, sealed: SealedBody, *, final: bool) -> None:
        self._sealed_lines += sealed.lines
        redactions = self._take_redactions()
        with self._cv:
            self._sealed.append((sealed, self._sealed_lines, final, redactions))
            self._sealed_bytes += len(sealed.body)
            self._cv.notify_all()

    def _take_redactions(self) -> Dict[str, int]:
        """Redactions made since the last chunk was sealed (framing thread)."""
        if self._scrubber is None:
            return {}
        counts = self._scrubber.counts
        delta = {kind: n - self._reported.get(kind, 0) for kind, n in counts.items() if n > self._reported.get(kind, 0)}
        self._reported = dict(counts)
        return delta

    def _seal_loop(self) -> None:
        while True:
            with self._cv:
                while not self._sealed and not self._framing_done:
                    self._cv.wait()
                if not self._sealed:
                    return
                sealed, next_line, final, redactions = self._sealed.popleft()
            try:
                compressor = zlib.compressobj(self._gzip_level, zlib.DEFLATED, 31)
                body = compressor.compress(sealed.body) + compressor.flush()
                self._on_chunk(GzippedChunk(body, sealed.lines, len(sealed.body), sealed.start_time, next_line, final, redactions))
            except Exception as error:
                self._on_error(error)
            finally:
                with self._cv:
                    self._sealed_bytes -= len(sealed.body)
                self._on_progress()
            if final:
                return
