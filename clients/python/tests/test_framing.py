"""Line capture and chunking: pure, no server."""

from __future__ import annotations

import random

from joblogs.chunker import Chunker, SealedBody
from joblogs.contract import MAX_CHUNK_BYTES
from joblogs.frame import decode_frames, reassemble_streams
from joblogs.line_capture import CapturedLine, LineCapture, utf8_boundary


def capture_all(reads: list[bytes], max_line: int = 32) -> list[CapturedLine]:
    lines: list[CapturedLine] = []
    capture = LineCapture(max_line)
    for i, read in enumerate(reads):
        capture.push(read, i, lines)
    capture.end(len(reads), lines)
    return lines


def test_gives_the_same_lines_whatever_the_read_boundaries() -> None:
    rng = random.Random(42)
    text = b"".join(rng.choice([b"a", b"\xc3\xa9", b"\r", b"\n", b"\r\n", b"\xff", b"xyz" * 7]) for _ in range(3000))
    whole = [(data, term) for data, term, _ in capture_all([text])]
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, 40)))
        reads = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        assert [(data, term) for data, term, _ in capture_all(reads)] == whole
    assert b"".join(data + term.encode("latin-1") for data, term in whole) == text


def test_stamps_a_line_with_the_time_its_first_byte_arrived() -> None:
    assert capture_all([b"sta", b"rt\nnext\n"]) == [(b"start", "\n", 0), (b"next", "\n", 1)]


def test_never_cuts_inside_a_utf8_sequence_when_one_is_near() -> None:
    data = "aé".encode() * 20
    for limit in range(4, 30):
        cut = utf8_boundary(data, limit)
        data[:cut].decode("utf-8")
        assert limit - 3 <= cut <= limit


def seal_all(chunker: Chunker, lines: int, size: int) -> list[SealedBody]:
    sealed: list[SealedBody] = []
    for n in range(lines):
        chunker.add(1000 + n, "stdout", n, b"x" * size, "\n", sealed.append)
    return sealed


def test_seals_before_a_frame_that_would_pass_the_size_bound_and_as_soon_as_it_is_reached() -> None:
    chunker = Chunker(max_chunk_bytes=1024, flush_interval_ms=1000)
    sealed = seal_all(chunker, 100, 100)
    assert sealed and all(len(s.body) <= 1024 for s in sealed)
    frames = [f for s in sealed for f in decode_frames(s.body.decode())]
    assert [f.line for f in frames] == list(range(len(frames)))


def test_seals_at_the_line_bound() -> None:
    chunker = Chunker(max_chunk_bytes=MAX_CHUNK_BYTES, flush_interval_ms=1000, max_lines=10)
    sealed = seal_all(chunker, 25, 1)
    assert [s.lines for s in sealed] == [10, 10]
    assert chunker.lines == 5


def test_is_due_flush_interval_after_its_first_line_not_its_last() -> None:
    chunker = Chunker(max_chunk_bytes=MAX_CHUNK_BYTES, flush_interval_ms=1000)
    assert chunker.due_at() is None
    chunker.add(5000, "stdout", 0, b"a", "\n", lambda _: None)
    chunker.add(5900, "stdout", 1, b"b", "\n", lambda _: None)
    assert chunker.due_at() == 6000
    assert not chunker.is_due(5999) and chunker.is_due(6000)
    sealed = chunker.take(6000)
    assert (sealed.lines, sealed.start_time) == (2, 5000)
    assert reassemble_streams(decode_frames(sealed.body.decode()))["stdout"] == b"a\nb\n"


def test_seals_an_empty_final_chunk_with_the_seal_time() -> None:
    sealed = Chunker(max_chunk_bytes=1024, flush_interval_ms=1000).take(777)
    assert (sealed.body, sealed.lines, sealed.start_time) == (b"", 0, 777)
