"""The chunk contract (docs/chunk-contract.md) in one place: every key layout, metadata name,
marker field and bound a producer must agree on with the indexer, the assembler and the signer.

A change to the contract is one edit here. Nothing in this module does I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final, Literal, Mapping, Optional

from .errors import ContractError

CONTRACT_VERSION: Final = "v1"
FORMAT_FRAMED_V1: Final = "framed-v1"

CHUNK_PREFIX: Final = "chunks/"
JOB_MARKER_PREFIX: Final = "jobs/"
REGISTRY_PREFIX: Final = "registry/"
CHUNK_SUFFIX: Final = ".log.gz"

JOB_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
SOURCE_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
DATASET_PATTERN: Final = re.compile(r"^mlplatform(\.[a-z0-9_]+){1,3}\Z")
MAX_DATASET_LENGTH: Final = 64
# S3 bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), loosely.
BUCKET_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_SEQ_TEXT: Final = re.compile(r"^[0-9]{1,10}\Z")
_DOTS_ONLY: Final = re.compile(r"^\.+\Z")

SEQUENCE_STRIDE: Final = 10_000_000
"""``event.sequence = seq * SEQUENCE_STRIDE + position``: also the most lines one chunk may hold."""
MAX_LINES_PER_CHUNK: Final = SEQUENCE_STRIDE
MAX_CHUNK_SEQ: Final = (2**53 - 1 - (SEQUENCE_STRIDE - 1)) // SEQUENCE_STRIDE
MAX_CHUNK_BYTES: Final = 8 * 1024 * 1024
"""Readers dead-letter a chunk whose frames take more than this decompressed."""
DEFAULT_CHUNK_BYTES: Final = 1024 * 1024
DEFAULT_MAX_LINE_BYTES: Final = 256 * 1024
"""The shippers split longer lines into continuation frames (the Node shipper's default too)."""

DATASET_JOB: Final = "mlplatform.job"
DATASET_SERVICE: Final = "mlplatform.service"

Stream = Literal["stdout", "stderr"]
STREAMS: Final[tuple[Stream, Stream]] = ("stdout", "stderr")
Terminator = Literal["\n", "\r\n", "\r", ""]


class Meta:
    """Object metadata names (``x-amz-meta-<name>``) of a chunk."""

    TRACEPARENT: Final = "traceparent"
    DATASET: Final = "dataset"
    SERVICE: Final = "service"
    PRODUCER: Final = "producer"
    HOST: Final = "host"
    CONTAINER_ID: Final = "container-id"
    CHUNK_START: Final = "chunk-start"
    FORMAT: Final = "format"
    FINAL: Final = "final"
    EXIT_CODE: Final = "exit-code"
    SIGNAL: Final = "signal"
    LINE_COUNT: Final = "line-count"
    DROPPED_LINES: Final = "dropped-lines"
    REDACTIONS: Final = "redactions"
    CONTENT_SHA256: Final = "content-sha256"


class MarkerStatus:
    RUNNING: Final = "running"
    FINAL: Final = "final"


MARKER_FILES: Final = {MarkerStatus.RUNNING: "running.json", MarkerStatus.FINAL: "final.json"}


def is_valid_job_id(value: str) -> bool:
    return bool(JOB_ID_PATTERN.match(value)) and not _DOTS_ONLY.match(value)


def is_valid_source(value: str) -> bool:
    return bool(SOURCE_PATTERN.match(value))


def is_valid_dataset(value: str) -> bool:
    return bool(DATASET_PATTERN.match(value)) and len(value) <= MAX_DATASET_LENGTH


def _check_job_and_source(job_id: str, source: Optional[str] = None) -> None:
    if not isinstance(job_id, str) or not is_valid_job_id(job_id):
        raise ContractError(f"Invalid job id {json.dumps(job_id)}")
    if source is not None and (not isinstance(source, str) or not is_valid_source(source)):
        raise ContractError(f"Invalid source {json.dumps(source)}")


def chunk_key(job_id: str, source: str, seq: int, prefix: str = CHUNK_PREFIX) -> str:
    """``chunks/v1/<jobId>/<source>/<seq, 10 digits>.log.gz``."""
    _check_job_and_source(job_id, source)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0 or seq > MAX_CHUNK_SEQ:
        raise ContractError(f"Invalid chunk sequence {seq!r}")
    return f"{prefix}{CONTRACT_VERSION}/{job_id}/{source}/{seq:010d}{CHUNK_SUFFIX}"


def chunk_prefix(prefix: str, job_id: str) -> str:
    """``chunks/v1/<jobId>/``: every chunk of the job, and all its scoped credentials may list."""
    _check_job_and_source(job_id)
    return f"{prefix}{CONTRACT_VERSION}/{job_id}/"


def parse_chunk_key(key: str, prefix: str = CHUNK_PREFIX) -> tuple[str, str, int]:
    """``(job_id, source, seq)`` of a chunk key; raises :class:`ContractError` naming what is wrong."""

    def fail(why: str) -> ContractError:
        return ContractError(f"Object key {json.dumps(key)} is outside the chunk layout: {why}")

    if not key.startswith(prefix):
        raise fail(f"it does not start with {prefix}")
    if not key.endswith(CHUNK_SUFFIX):
        raise fail(f"it does not end with {CHUNK_SUFFIX}")
    parts = key[len(prefix) : len(key) - len(CHUNK_SUFFIX)].split("/")
    if len(parts) != 4:
        raise fail("expected version/jobId/source/seq")
    version, job_id, source, seq_text = parts
    if version != CONTRACT_VERSION:
        raise fail(f"unknown contract version {json.dumps(version)}")
    if not is_valid_job_id(job_id):
        raise fail(f"invalid job id {json.dumps(job_id)}")
    if not is_valid_source(source):
        raise fail(f"invalid source {json.dumps(source)}")
    if not _SEQ_TEXT.match(seq_text):
        raise fail(f"invalid sequence {json.dumps(seq_text)}")
    seq = int(seq_text)
    if seq > MAX_CHUNK_SEQ:
        raise fail(f"sequence {seq} is above {MAX_CHUNK_SEQ}")
    return job_id, source, seq


def job_marker_key(job_id: str, source: str, status: str, prefix: str = JOB_MARKER_PREFIX) -> str:
    """``jobs/v1/<jobId>/<source>/running.json`` or ``…/final.json``: each written once."""
    _check_job_and_source(job_id, source)
    if status not in MARKER_FILES:
        raise ContractError(f"Invalid marker status {json.dumps(status)}")
    return f"{prefix}{CONTRACT_VERSION}/{job_id}/{source}/{MARKER_FILES[status]}"


def registration_key(job_id: str, prefix: str = REGISTRY_PREFIX) -> str:
    """``registry/v1/<jobId>.json``: the launcher's record of who owns the job."""
    _check_job_and_source(job_id)
    return f"{prefix}{CONTRACT_VERSION}/{job_id}.json"


def chunk_metadata(
    *,
    producer: str,
    host: str,
    chunk_start: str,
    content_sha256: str,
    optional: Mapping[str, Optional[str]],
    final: Optional[FinalInfo] = None,
) -> dict[str, str]:
    """The metadata of one chunk. ``optional`` holds traceparent, dataset, service, container-id (unset = absent)."""
    metadata = {
        Meta.FORMAT: FORMAT_FRAMED_V1,
        Meta.PRODUCER: producer,
        Meta.HOST: host,
        Meta.CHUNK_START: chunk_start,
        Meta.CONTENT_SHA256: content_sha256,
    }
    for name in (Meta.TRACEPARENT, Meta.DATASET, Meta.SERVICE, Meta.CONTAINER_ID):
        value = optional.get(name)
        if value:
            metadata[name] = value
    if final is not None:
        metadata[Meta.FINAL] = "true"
        if final.signal:
            metadata[Meta.SIGNAL] = final.signal
        elif final.exit_code is not None:
            metadata[Meta.EXIT_CODE] = str(final.exit_code)
        metadata[Meta.LINE_COUNT] = str(final.line_count)
        metadata[Meta.DROPPED_LINES] = str(final.dropped_lines)
        metadata[Meta.REDACTIONS] = str(final.redactions or 0)
    return metadata


class FinalInfo:
    """What the final chunk (and the final marker) say about how the source ended."""

    __slots__ = ("dropped_lines", "exit_code", "line_count", "redactions", "signal")

    def __init__(
        self,
        *,
        line_count: int,
        dropped_lines: int,
        exit_code: Optional[int] = None,
        signal: Optional[str] = None,
        redactions: Optional[int] = None,
    ):
        self.line_count = line_count
        self.dropped_lines = dropped_lines
        self.redactions = redactions
        """Secrets replaced by ``[REDACTED:<kind>]`` in this source (None: a final chunk spooled by a version that did not count them)."""
        self.exit_code = exit_code
        self.signal = signal


def marker_body(
    *,
    job_id: str,
    source: str,
    status: str,
    producer: str,
    started_at: str,
    traceparent: Optional[str] = None,
    dataset: Optional[str] = None,
    ended_at: Optional[str] = None,
    last_seq: Optional[int] = None,
    final: Optional[FinalInfo] = None,
) -> dict[str, Any]:
    """A job marker's JSON body. Producers carry no authority: no owner or team."""
    body: dict[str, Any] = {
        "version": 1,
        "jobId": job_id,
        "source": source,
        "status": status,
        "producer": producer,
        "startedAt": started_at,
    }
    if traceparent:
        body["traceparent"] = traceparent
    if dataset:
        body["dataset"] = dataset
    if status == MarkerStatus.FINAL:
        if final is None or last_seq is None or ended_at is None:
            raise ContractError("A final job marker needs endedAt, lastSeq and the final chunk's counts")
        body["endedAt"] = ended_at
        body["lastSeq"] = last_seq
        body["lineCount"] = final.line_count
        body["droppedLines"] = final.dropped_lines
        if final.redactions is not None:
            body["redactions"] = final.redactions
        if final.signal:
            body["signal"] = final.signal
        elif final.exit_code is not None:
            body["exitCode"] = final.exit_code
    return body


def final_info_from_metadata(metadata: Mapping[str, str]) -> Optional[FinalInfo]:
    """The final-chunk fields of a chunk's metadata, or None when it is not the final chunk."""
    if metadata.get(Meta.FINAL) != "true":
        return None

    def count(name: str) -> int:
        text = metadata.get(name, "")
        return int(text) if text.isdigit() else 0

    exit_text = metadata.get(Meta.EXIT_CODE)
    exit_code = int(exit_text) if exit_text is not None and re.match(r"^-?[0-9]+$", exit_text) else None
    redactions = metadata.get(Meta.REDACTIONS)
    return FinalInfo(
        line_count=count(Meta.LINE_COUNT),
        dropped_lines=count(Meta.DROPPED_LINES),
        redactions=int(redactions) if redactions is not None and redactions.isdigit() else None,
        exit_code=exit_code,
        signal=metadata.get(Meta.SIGNAL) or None,
    )


_PRINCIPAL: Final = re.compile(r"^[^\x00-\x1f\x7f]{1,256}\Z")
_LABEL_KEY: Final = re.compile(r"^[a-z][a-z0-9_.-]{0,63}\Z")
MAX_LABELS: Final = 16
MAX_LABEL_VALUE_LENGTH: Final = 256


def registration_body(
    *, job_id: str, owner: str, created_at: str, team: Optional[str] = None, labels: Optional[Mapping[str, str]] = None
) -> dict[str, Any]:
    """A job registration as the launcher writes it, validated as readers validate it
    (``shared/core/contract/job-registration.ts``): owner and team 1–256 characters without
    control characters, at most 16 labels with short lower-case keys."""
    _check_job_and_source(job_id)
    for name, value in (("owner", owner), ("team", team)):
        if (value is not None or name == "owner") and (not isinstance(value, str) or not _PRINCIPAL.match(value)):
            raise ContractError(f"{name} must be 1–256 characters without control characters")
    body: dict[str, Any] = {"version": 1, "jobId": job_id, "owner": owner}
    if team is not None:
        body["team"] = team
    body["createdAt"] = created_at
    if labels is not None:
        if len(labels) > MAX_LABELS:
            raise ContractError(f"at most {MAX_LABELS} labels, got {len(labels)}")
        for key, value in labels.items():
            if not _LABEL_KEY.match(key) or not isinstance(value, str) or len(value) > MAX_LABEL_VALUE_LENGTH:
                raise ContractError(f"label {json.dumps(key)}: keys are [a-z][a-z0-9_.-]{{0,63}}, values at most 256 characters")
        body["labels"] = dict(labels)
    return body


def encode_json(value: Mapping[str, Any]) -> bytes:
    """Marker and registration bodies as written: compact JSON, key order as built (as JSON.stringify)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
