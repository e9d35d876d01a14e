"""Splits one stream's bytes into lines, whatever the read boundaries (a port of the Node
shipper's ``line-capture.ts``): ``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line; a line longer than
``max_line_bytes`` is cut, at a UTF-8 boundary when one is near, into parts with terminator ``""``;
:meth:`LineCapture.end` emits an unterminated last line with ``""``. Pure: no I/O, no clock.
"""

from __future__ import annotations

from typing import List, Tuple

from .contract import Terminator

CapturedLine = Tuple[bytes, Terminator, int]
"""``(bytes, terminator, time)``: time is when the line's first byte arrived (epoch ms)."""

_LF = 0x0A
_CR = 0x0D


def utf8_boundary(data: bytes, limit: int) -> int:
    """A cut ≤ ``limit`` that does not split a UTF-8 sequence (backs off over at most 3
    continuation bytes); ``limit`` itself when the bytes there are not UTF-8 anyway."""
    cut = limit
    while cut > limit - 4 and cut > 0:
        if cut >= len(data) or (data[cut] & 0xC0) != 0x80:
            return cut
        cut -= 1
    return limit


class LineCapture:
    __slots__ = ("_cr_pending", "_max", "_pending", "_pending_bytes", "_pending_time", "parts")

    def __init__(self, max_line_bytes: int):
        if max_line_bytes < 4:
            raise ValueError(f"max_line_bytes must be an integer ≥ 4, got {max_line_bytes}")
        self._max = max_line_bytes
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._pending_time = 0
        self._cr_pending = False
        self.parts = 0
        """Lines emitted with terminator ``""`` so far (parts of over-long lines, an unterminated end)."""

    @property
    def pending_bytes(self) -> int:
        """Bytes held back waiting for a terminator."""
        return self._pending_bytes + (1 if self._cr_pending else 0)

    def push(self, data: bytes, now: int, out: List[CapturedLine]) -> None:
        """Appends every line ``data`` completes to ``out``."""
        pos = 0
        size = len(data)
        if self._cr_pending:
            self._cr_pending = False
            if size > 0 and data[0] == _LF:
                self._emit_pending("\r\n", out, None)
                pos = 1
            else:
                self._emit_pending("\r", out, None)
        find = data.find
        cr = find(b"\r", pos)
        max_line = self._max
        while pos < size:
            lf = find(b"\n", pos)
            if cr != -1 and cr < pos:
                cr = find(b"\r", pos)
            terminator: Terminator
            if cr != -1 and (lf == -1 or cr < lf):
                if cr == size - 1:
                    # Cannot tell `\r` from `\r\n` yet.
                    self._append(data[pos:cr], now, out)
                    self._cr_pending = True
                    if self._pending_bytes == 0:
                        self._pending_time = now
                    return
                end = cr
                if data[cr + 1] == _LF:
                    terminator = "\r\n"
                    nxt = cr + 2
                else:
                    terminator = "\r"
                    nxt = cr + 1
            elif lf != -1:
                end = lf
                terminator = "\n"
                nxt = lf + 1
            else:
                self._append(data[pos:], now, out)
                return
            if self._pending_bytes == 0 and end - pos <= max_line:
                out.append((data[pos:end], terminator, now))
            else:
                self._append(data[pos:end], now, out)
                self._emit_pending(terminator, out, now)
            pos = nxt

    def end(self, now: int, out: List[CapturedLine]) -> None:
        """The stream ended: whatever is held back is emitted (a lone ``\\r`` as itself, text with ``""``)."""
        if self._cr_pending:
            self._cr_pending = False
            self._emit_pending("\r", out, now)
        elif self._pending_bytes > 0:
            self._emit_pending("", out, now)
            self.parts += 1

    def _append(self, data: bytes, now: int, out: List[CapturedLine]) -> None:
        if not data:
            return
        if self._pending_bytes == 0:
            self._pending_time = now
        self._pending.append(data)
        self._pending_bytes += len(data)
        while self._pending_bytes > self._max:
            whole = self._take()
            cut = utf8_boundary(whole, self._max)
            out.append((whole[:cut], "", self._pending_time))
            self.parts += 1
            rest = whole[cut:]
            self._pending_time = now
            if rest:
                self._pending.append(rest)
                self._pending_bytes = len(rest)

    def _emit_pending(self, terminator: Terminator, out: List[CapturedLine], now: int | None) -> None:
        line_time = self._pending_time if self._pending_bytes > 0 or now is None else now
        out.append((self._take(), terminator, line_time))

    def _take(self) -> bytes:
        whole = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending = []
        self._pending_bytes = 0
        return whole
