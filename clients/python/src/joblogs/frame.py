"""``framed-v1`` frames (docs/chunk-contract.md): one JSON object per captured line, from which the
exact bytes a source printed can be rebuilt. Written byte for byte as the Node shipper writes them
(``JSON.stringify`` escaping, ``toISOString`` times), which the shared contract vectors pin.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import time
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Iterable, Optional

from .contract import STREAMS, Stream, Terminator
from .errors import ContractError

TERMINATORS: tuple[Terminator, ...] = ("\n", "\r\n", "\r", "")
_TAIL: dict[str, str] = {"\n": "}", "\r\n": ',"e":"\\r\\n"}', "\r": ',"e":"\\r"}', "": ',"e":""}'}


@dataclass(frozen=True)
class Frame:
    """One captured line (or line part). ``time`` is epoch milliseconds."""

    time: int
    stream: Stream
    line: int
    data: bytes
    terminator: Terminator


FRAME_OVERHEAD = 96
"""``{"t":"<24>","s":"stdout","n":<≤16 digits>,"m":"`` + ``","e":"\\r\\n"}``, rounded up."""


def max_frame_bytes(line_bytes: int) -> int:
    """Most bytes the frame of a line of ``line_bytes`` bytes can take (every byte escaped as ``\\u00XX``)."""
    return FRAME_OVERHEAD + 6 * line_bytes


def iso_millis(epoch_ms: int) -> str:
    """``Date.prototype.toISOString()``: ``2026-11-25T10:00:00.000Z``."""
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


class FrameEncoder:
    """Encodes frames; the ``{"t":…,"s":…,"n":`` head is formatted once per millisecond and stream."""

    __slots__ = ("_heads", "_time")

    def __init__(self) -> None:
        self._time = -1
        self._heads: dict[str, str] = {}

    def head(self, epoch_ms: int, stream: str) -> str:
        if epoch_ms != self._time:
            self._time = epoch_ms
            iso = iso_millis(epoch_ms)
            self._heads = {s: f'{{"t":"{iso}","s":"{s}","n":' for s in STREAMS}
        return self._heads[stream]

    def encode(self, epoch_ms: int, stream: str, line: int, data: bytes, terminator: str) -> bytes:
        """One frame as a JSON line, without the trailing newline."""
        return encode_frame_with_head(self.head(epoch_ms, stream), line, data, terminator)


def encode_frame_with_head(head: str, line: int, data: bytes, terminator: str) -> bytes:
    try:
        payload = ',"m":' + encode_basestring(data.decode("utf-8"))
    except UnicodeDecodeError:
        payload = ',"b":"' + base64.b64encode(data).decode("ascii") + '"'
    return (head + str(line) + payload + _TAIL[terminator]).encode("utf-8")


def encode_frame(frame: Frame) -> bytes:
    return FrameEncoder().encode(frame.time, frame.stream, frame.line, frame.data, frame.terminator)


def _parse_iso_millis(text: object) -> Optional[int]:
    if not isinstance(text, str) or len(text) < 20 or not text.endswith("Z"):
        return None
    try:
        base = time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    fraction = text[19:-1]
    if fraction and (not fraction.startswith(".") or not fraction[1:].isdigit()):
        return None
    millis = int((fraction[1:] + "000")[:3]) if fraction else 0
    return calendar.timegm(base) * 1000 + millis


def decode_frame(text: str) -> Frame:
    """Parses one frame line; raises :class:`ContractError` if it is not a well-formed frame."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ContractError("Frame is not JSON", cause=error) from error
    if not isinstance(value, dict):
        raise ContractError("Frame is not a JSON object")
    epoch_ms = _parse_iso_millis(value.get("t"))
    if epoch_ms is None:
        raise ContractError(f"Frame has no valid capture time: {value.get('t')!r}")
    stream = value.get("s")
    if stream not in STREAMS:
        raise ContractError(f"Frame has no valid stream: {stream!r}")
    line = value.get("n")
    if not isinstance(line, int) or isinstance(line, bool) or line < 0:
        raise ContractError(f"Frame has no valid line number: {line!r}")
    if isinstance(value.get("m"), str):
        data = value["m"].encode("utf-8")
    elif isinstance(value.get("b"), str):
        try:
            data = base64.b64decode(value["b"], validate=True)
        except binascii.Error as error:
            raise ContractError("Frame has invalid base64 in b", cause=error) from error
    else:
        raise ContractError('Frame has neither "m" nor "b"')
    terminator = value.get("e", "\n")
    if terminator not in TERMINATORS:
        raise ContractError(f"Frame has an unknown terminator: {terminator!r}")
    return Frame(epoch_ms, stream, line, data, terminator)


def decode_frames(body: str) -> list[Frame]:
    """Every frame of a (gunzipped) ``framed-v1`` chunk body."""
    return [decode_frame(line) for line in body.split("\n") if line != ""]


def reassemble_streams(frames: Iterable[Frame]) -> dict[str, bytes]:
    """The exact bytes each stream printed, from frames of any number of chunks (in any order)."""
    parts: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    for frame in sorted(frames, key=lambda f: f.line):
        parts[frame.stream].append(frame.data)
        parts[frame.stream].append(frame.terminator.encode("latin-1"))
    return {stream: b"".join(chunks) for stream, chunks in parts.items()}
