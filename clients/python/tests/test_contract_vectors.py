"""The shared contract vectors (test/fixtures/contract/*.json), also read by test/unit/contract/vectors.test.ts."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from joblogs import contract
from joblogs.contract import FinalInfo, chunk_key, chunk_metadata, encode_json, job_marker_key, marker_body, parse_chunk_key
from joblogs.errors import ContractError, ShipperOptionsError
from joblogs.frame import FrameEncoder, decode_frames, max_frame_bytes, reassemble_streams
from joblogs.line_capture import CapturedLine, LineCapture
from joblogs.options import ShipperOptions
from joblogs.trace.context import normalize_request_id, normalize_trace_state, read_traceparent

VECTORS = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "contract"


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text("utf-8"))


FRAMES = load("frames.json")["cases"]
KEYS = load("chunk-keys.json")
MARKERS = load("markers.json")
METADATA = load("metadata.json")
TRACE = load("traceparent.json")


def capture(case: dict[str, Any]) -> list[CapturedLine]:
    lines: list[CapturedLine] = []
    line_capture = LineCapture(case["maxLineBytes"])
    for read in case["reads"]:
        line_capture.push(base64.b64decode(read), case["time"], lines)
    line_capture.end(case["time"], lines)
    return lines


@pytest.mark.parametrize("case", FRAMES, ids=[c["name"] for c in FRAMES])
def test_splits_and_encodes_each_frame_case_byte_for_byte(case: dict[str, Any]) -> None:
    encoder = FrameEncoder()
    frames = [
        encoder.encode(time, case["stream"], case["firstLine"] + i, data, terminator).decode("utf-8")
        for i, (data, terminator, time) in enumerate(capture(case))
    ]
    assert frames == case["frames"]


@pytest.mark.parametrize("case", FRAMES, ids=[c["name"] for c in FRAMES])
def test_rebuilds_the_printed_bytes_from_the_frames(case: dict[str, Any]) -> None:
    rebuilt = reassemble_streams(decode_frames("\n".join(case["frames"])))
    assert rebuilt[case["stream"]] == base64.b64decode(case["printed"])


@pytest.mark.parametrize("vector", KEYS["valid"], ids=[k["key"][:60] for k in KEYS["valid"]])
def test_builds_and_parses_valid_chunk_keys(vector: dict[str, Any]) -> None:
    assert chunk_key(vector["jobId"], vector["source"], vector["seq"]) == vector["key"]
    assert parse_chunk_key(vector["key"]) == (vector["jobId"], vector["source"], vector["seq"])


def test_refuses_every_invalid_job_id_source_and_seq() -> None:
    for job_id in KEYS["invalidJobIds"]:
        assert not contract.is_valid_job_id(job_id), job_id
    for source in KEYS["invalidSources"]:
        assert not contract.is_valid_source(source), source
    for seq in KEYS["invalidSeqs"]:
        with pytest.raises(ContractError):
            chunk_key("j", "main", seq)
    assert KEYS["maxSeq"] == contract.MAX_CHUNK_SEQ


@pytest.mark.parametrize("key", KEYS["invalidKeys"])
def test_rejects_keys_outside_the_layout(key: str) -> None:
    with pytest.raises(ContractError):
        parse_chunk_key(key)


@pytest.mark.parametrize("case", MARKERS["cases"], ids=[c["name"] for c in MARKERS["cases"]])
def test_writes_marker_keys_and_bodies_exactly_as_the_vectors(case: dict[str, Any]) -> None:
    body = case["body"]
    assert job_marker_key(case["jobId"], case["source"], case["status"]) == case["key"]
    final = None
    if case["status"] == "final":
        final = FinalInfo(
            line_count=body["lineCount"],
            dropped_lines=body["droppedLines"],
            exit_code=body.get("exitCode"),
            signal=body.get("signal"),
            redactions=body.get("redactions"),
        )
    built = marker_body(
        job_id=case["jobId"],
        source=case["source"],
        status=case["status"],
        producer=body["producer"],
        started_at=body["startedAt"],
        traceparent=body.get("traceparent"),
        dataset=body.get("dataset"),
        ended_at=body.get("endedAt"),
        last_seq=body.get("lastSeq"),
        final=final,
    )
    assert built == body
    assert encode_json(built).decode() == case["text"]
    assert not set(MARKERS["forbiddenFields"]) & set(built)


@pytest.mark.parametrize("case", MARKERS["invalidMarkers"]["cases"], ids=lambda c: f"{c['jobId']}/{c['source']}/{c['status']}")
def test_builds_no_marker_key_from_an_invalid_job_source_or_status(case: dict[str, Any]) -> None:
    with pytest.raises(ContractError):
        job_marker_key(case["jobId"], case["source"], case["status"])


@pytest.mark.parametrize("case", MARKERS["registrations"], ids=[c["name"] for c in MARKERS["registrations"]])
def test_writes_registration_bodies_exactly_as_the_vectors(case: dict[str, Any]) -> None:
    body = case["body"]
    built = contract.registration_body(
        job_id=body["jobId"], owner=body["owner"], team=body.get("team"), labels=body.get("labels"), created_at=body["createdAt"]
    )
    assert encode_json(built).decode() == case["text"]
    assert contract.registration_key(body["jobId"]) == case["key"]


@pytest.mark.parametrize(
    "case", MARKERS["invalidRegistrations"]["cases"], ids=[c["name"] for c in MARKERS["invalidRegistrations"]["cases"]]
)
def test_refuses_registrations_the_vectors_refuse(case: dict[str, Any]) -> None:
    with pytest.raises(ContractError):
        contract.registration_body(
            job_id=case["jobId"],
            owner=case["owner"],
            team=case.get("team"),
            labels=case.get("labels"),
            created_at="2026-11-25T09:59:58.000Z",
        )


def test_writes_the_final_chunk_metadata_of_the_vector() -> None:
    expected = METADATA["metadata"]
    built = chunk_metadata(
        producer=expected["producer"],
        host=expected["host"],
        chunk_start=expected["chunk-start"],
        content_sha256=expected["content-sha256"],
        optional={
            "traceparent": expected["traceparent"],
            "dataset": expected["dataset"],
            "service": expected["service"],
            "container-id": expected["container-id"],
        },
        final=FinalInfo(line_count=5, dropped_lines=0, exit_code=3),
    )
    assert built == expected
    assert not set(METADATA["forbidden"]) & set(built)
    assert (
        chunk_metadata(
            producer="joblogs-python/0.1.0",
            host="ip-10-0-0-1",
            chunk_start="2026-11-25T10:42:17.000Z",
            content_sha256="0" * 64,
            optional={},
            final=FinalInfo(line_count=0, dropped_lines=0, signal="SIGKILL"),
        )
        == METADATA["signalVariant"]
    )


def test_keeps_the_bounds_of_the_vectors() -> None:
    bounds = METADATA["bounds"]
    defaults = ShipperOptions(job_id="j", bucket="joblogs-logs-ci")
    assert (bounds["maxChunkBytes"], bounds["maxLinesPerChunk"]) == (contract.MAX_CHUNK_BYTES, contract.MAX_LINES_PER_CHUNK)
    assert (bounds["shipperChunkBytes"], bounds["shipperMaxLineBytes"]) == (defaults.max_chunk_bytes, defaults.max_line_bytes)
    assert max_frame_bytes(1) == bounds["maxFrameBytes"]["overhead"] + bounds["maxFrameBytes"]["perByte"]
    too_big = dataclasses.replace(defaults, max_chunk_bytes=contract.MAX_CHUNK_BYTES, max_line_bytes=1024)
    with pytest.raises(ShipperOptionsError, match="within the contract's 8388608 bytes per chunk"):
        too_big.check()


@pytest.mark.parametrize("case", TRACE["traceparent"], ids=[c["name"] for c in TRACE["traceparent"]])
def test_reads_traceparents_as_the_vectors_say(case: dict[str, Any]) -> None:
    parsed = read_traceparent(case["value"])
    if not case["valid"]:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed.version, parsed.trace_id, parsed.parent_id, parsed.flags) == (
            case["version"],
            case["traceId"],
            case["parentId"],
            case["flags"],
        )


@pytest.mark.parametrize("case", TRACE["tracestate"], ids=[c["name"] for c in TRACE["tracestate"]])
def test_filters_tracestate_as_the_vectors_say(case: dict[str, Any]) -> None:
    assert normalize_trace_state(case["value"]) == case["expected"]


def test_normalises_request_ids_as_the_vectors_say() -> None:
    for case in TRACE["requestId"]:
        assert normalize_request_id(case["value"]) == case["expected"], case["value"]
