"""
An Elastic Serverless Forwarder-like baseline for bench/indexer-cpu.ts: ESF's per-line work on one
gzip S3 object, reimplemented minimally (not ESF's code; same steps, same libraries: the standard
library and orjson), measured as this process's CPU time. No network, no AWS, no Elasticsearch.

It follows elastic/elastic-serverless-forwarder (main, read at b94fa97c) step by step:

1. storage/s3.py `S3Storage.get_by_lines`: the whole object in a BytesIO (here: read from the file
   instead of `download_fileobj`), the gzip magic checked on its first line.
2. storage/decorator.py `inflate`: `gzip.GzipFile(fileobj=…)` read in `CHUNK_SIZE` (1 MiB, storage/storage.py).
3. storage/decorator.py `by_lines`: per inflated chunk, the carried-over bytes + the chunk decoded
   (`errors="replace"`) and `str.splitlines()`, the last (unfinished) line carried, each line
   re-encoded, its starting/ending offsets counted.
4. storage/decorator.py `json_collector` (json_content_type unset, no multiline, as ESF's default
   input): a line whose first non-blank character is `{` starts collecting; lines are appended to a
   buffer tried with `orjson.loads` until it parses (one event), the circuit breaker giving up after
   1000 lines and falling back to by-lines; share/expand_event_list_from_field.py `expand` with no
   field to expand (handlers/aws/s3_sqs_trigger.py always builds the expander) passes each object on.
5. handlers/aws/s3_sqs_trigger.py `_handle_s3_sqs_event`: the event dict per line (`@timestamp` =
   now, `message`, `log.offset`, `log.file.path`, `aws.s3.*`, `cloud.*`, `meta`).
6. handlers/aws/handler.py `event_processing` → shippers/composite.py `CompositeShipper.send`:
   empty messages skipped, the event deep-copied for the (one) shipper.
7. shippers/es.py `ElasticsearchShipper.send`: `_enrich_event` (tags, data_stream, event.dataset),
   `_op_type` create, `_index`, `_id` from handlers/aws/utils.py `s3_object_id` (sha3-384 of bucket
   ARN + key, share/utils.py `get_hex_prefix`), share/events.py `normalise_event`; buffered,
   500 actions a batch (`batch_max_actions`).
8. `flush` → elasticsearch-py 7.17 `helpers.bulk`: `expand_action` splits the metadata into the
   action line, `JSONSerializer.dumps` (share/json.py `json_dumper`: orjson) serialises action and
   document, the chunk joined with "\\n" and encoded to UTF-8 as the transport sends it; the body is
   dropped here instead of POSTed.

Not reproduced (each would only add to ESF's cost): Elastic APM spans, the SQS/continuation
bookkeeping, the HEAD request, include/exclude filters (none configured), the per-event debug
logger calls (disabled at ESF's default log level, still a call each in ESF).

Output: one `BENCH_RESULT {json}` line (the protocol of testkit/bench/result.ts).

    python bench/esf_like.py --file log.gz [--dump-body out.ndjson]
"""

import argparse
import copy
import datetime
import gzip
import hashlib
import json
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from io import SEEK_SET, BytesIO
from typing import IO, Any

import orjson

CHUNK_SIZE = 1024**2
BULK_MAX_ACTIONS = 500
CIRCUIT_BREAKER_LINES = 1000
BUCKET = "joblogs-bench"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
REGION = "eu-west-1"
ACCOUNT_ID = "000000000000"
DATASET = "generic"
NAMESPACE = "default"
INDEX = f"logs-{DATASET}-{NAMESPACE}"
# ES-py 7.17 helpers: the metadata keys expand_action moves from the document into the action line.
META_FIELDS = (
    *("_id", "_index", "_if_seq_no", "_if_primary_term", "_parent", "_percolate", "_retry_on_conflict", "_routing"),
    *("_timestamp", "_type", "_version", "_version_type", "if_seq_no", "if_primary_term", "parent", "pipeline"),
    *("retry_on_conflict", "routing", "version", "version_type"),
)

Line = tuple[bytes, int, int, bytes]
"""(line, starting offset, ending offset, newline), as `by_lines` yields them."""
Event = tuple[bytes, int]
"""(event bytes, starting offset)."""


def inflate(body: BytesIO) -> Iterator[bytes]:
    """storage/decorator.py `inflate`: 1 MiB reads of a GzipFile over the whole object."""
    stream = gzip.GzipFile(fileobj=body)
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if len(chunk) == 0:
            return
        buffer = BytesIO()
        buffer.write(chunk)
        yield buffer.getvalue()


def by_lines(chunks: Iterable[bytes], range_start: int = 0) -> Iterator[Line]:
    """storage/decorator.py `by_lines`: (line, starting offset, ending offset, newline)."""
    ending_offset = range_start
    unfinished_line = b""
    for data in chunks:
        unfinished_line += data
        lines = unfinished_line.decode("utf-8", errors="replace").splitlines()
        if len(lines) == 0:
            continue
        if unfinished_line.find(b"\r\n") > -1:
            newline = b"\r\n"
        elif unfinished_line.find(b"\n") > -1:
            newline = b"\n"
        else:
            newline = b""
        last = lines.pop().encode()
        unfinished_line = last + newline if unfinished_line.endswith(newline) else last
        for line in lines:
            line_encoded = line.encode("utf-8")
            starting_offset = ending_offset
            ending_offset += len(line_encoded) + len(newline)
            yield line_encoded, starting_offset, ending_offset, newline
    if len(unfinished_line) > 0:
        if unfinished_line.endswith(b"\r\n"):
            newline = b"\r\n"
        elif unfinished_line.endswith(b"\n"):
            newline = b"\n"
        else:
            newline = b""
        unfinished_line = unfinished_line.rstrip(newline)
        starting_offset = ending_offset
        ending_offset += len(unfinished_line) + len(newline)
        yield unfinished_line, starting_offset, ending_offset, newline


class JsonCollector:
    """storage/decorator.py `json_collector` for json_content_type None with an expander and no field to expand."""

    def __init__(self) -> None:
        self.starting_offset = 0
        self.ending_offset = 0
        self.unfinished_line = b""
        self.has_an_object_start = False
        self.is_a_json_object = False
        self.circuit_broken = False
        self.circuit_breaker = 0

    def _offset(self, skew: int) -> None:
        self.starting_offset = self.ending_offset
        self.ending_offset += skew

    def _collect(self, data: bytes, newline: bytes) -> Iterator[Event]:
        try:
            self.unfinished_line += data + newline
            orjson.loads(self.unfinished_line)
            data_to_yield = self.unfinished_line
            self.unfinished_line = b""
            self._offset(len(data_to_yield))
            if newline != b"":
                self.circuit_breaker -= data_to_yield.count(newline) - 1
            else:
                self.circuit_breaker -= 1
            self.is_a_json_object = True
            # expand_event_list_from_field.py `expand` with no field: the collected bytes as they are.
            yield data_to_yield.strip(b"\r\n").strip(b"\n"), self.starting_offset
        except ValueError:
            if self.is_a_json_object and len(self.unfinished_line.strip(b"\r\n").strip(b"\n")) == 0:
                self.unfinished_line = b""
                self._offset(len(newline))
                yield b"", self.starting_offset
            else:
                self.circuit_breaker += 1
                if self.circuit_breaker > CIRCUIT_BREAKER_LINES:
                    self.circuit_broken = True

    def _fallback(self) -> Iterator[Event]:
        for line, _, _, newline in by_lines([self.unfinished_line], self.ending_offset):
            self._offset(len(line) + len(newline))
            self.unfinished_line = b""
            self.has_an_object_start = False
            yield line, self.starting_offset

    def events(self, lines: Iterable[Line]) -> Iterator[Event]:
        """(event bytes, starting offset) per event."""
        for data, starting_offset, _, newline in lines:
            if not self.has_an_object_start:
                stripped = data.decode("utf-8").lstrip()
                if len(stripped) > 0 and stripped[0] == "{":
                    self.has_an_object_start = True
                if not self.has_an_object_start:
                    self._offset(len(data) + len(newline))
                    yield data, starting_offset
            if self.has_an_object_start:
                yield from self._collect(data, newline)
                if self.circuit_broken:
                    yield from self._fallback()
        if not self.is_a_json_object:
            yield from self._fallback()


def get_by_lines(path: str) -> Iterator[Event]:
    """storage/s3.py `S3Storage.get_by_lines`, the object read from a file instead of S3."""
    with open(path, "rb") as f:
        content = BytesIO(f.read())
    content.seek(0, SEEK_SET)
    is_gzipped = content.readline().startswith(b"\037\213")
    content.seek(0, SEEK_SET)
    chunks = inflate(content) if is_gzipped else iter([content.read()])
    return JsonCollector().events(by_lines(chunks))


def s3_object_id(event: dict[str, Any]) -> str:
    """handlers/aws/utils.py `s3_object_id`."""
    offset = int(event["fields"]["log"]["offset"])
    bucket_arn = str(event["fields"]["aws"]["s3"]["bucket"]["arn"])
    object_key = str(event["fields"]["aws"]["s3"]["object"]["key"])
    event_time = int(event["meta"]["event_time"])
    hex_src = hashlib.sha3_384("-".join([bucket_arn, object_key]).encode("utf-8")).hexdigest()
    return "-".join([str(event_time), hex_src, f"{offset:012d}"])


class BulkBodies:
    """shippers/es.py `send`/`flush` and elasticsearch-py 7.17 `helpers.bulk`'s serialisation."""

    def __init__(self, dump: IO[bytes] | None = None) -> None:
        self.actions: list[dict[str, Any]] = []
        self.documents = 0
        self.batches = 0
        self.body_bytes = 0
        self.dump = dump

    def send(self, event: dict[str, Any]) -> None:
        event["tags"] = ["forwarded"]
        event["data_stream"] = {"type": "logs", "dataset": DATASET, "namespace": NAMESPACE}
        event["event"] = {"dataset": DATASET}
        event["tags"] += [DATASET.replace(".", "-")]
        event["_op_type"] = "create"
        event["_index"] = INDEX
        event["_id"] = s3_object_id(event)
        fields = event.pop("fields")
        for key in fields:
            event[key] = fields[key]
        del event["meta"]
        self.actions.append(event)
        self.documents += 1
        if len(self.actions) >= BULK_MAX_ACTIONS:
            self.flush()

    def flush(self) -> None:
        if not self.actions:
            return
        lines = []
        for event in self.actions:
            data = event.copy()
            op_type = data.pop("_op_type", "index")
            action: dict[str, dict[str, Any]] = {op_type: {}}
            for key in META_FIELDS:
                if key in data:
                    action[op_type][key] = data.pop(key)
            lines.append(orjson.dumps(action).decode("utf-8"))
            lines.append(orjson.dumps(data).decode("utf-8"))
        body = ("\n".join(lines) + "\n").encode("utf-8")
        self.batches += 1
        self.body_bytes += len(body)
        if self.dump is not None:
            self.dump.write(body)
        self.actions = []


def forward(path: str, object_key: str, dump: IO[bytes] | None = None) -> tuple[BulkBodies, int]:
    """handlers/aws/s3_sqs_trigger.py `_handle_s3_sqs_event` + handler.py's loop, one S3 record."""
    event_time = int(datetime.datetime.strptime("2026-11-25T10:00:00.000Z", "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000)
    file_path = f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{object_key}"
    shipper = BulkBodies(dump)
    empty = 0
    for log_event, starting_offset in get_by_lines(path):
        es_event: dict[str, Any] = {
            # datetime.UTC in ESF: the same object.
            "@timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "fields": {
                "message": log_event.decode("utf-8"),
                "log": {"offset": starting_offset, "file": {"path": file_path}},
                "aws": {"s3": {"bucket": {"name": BUCKET, "arn": BUCKET_ARN}, "object": {"key": object_key}}},
                "cloud": {"provider": "aws", "region": REGION, "account": {"id": ACCOUNT_ID}},
            },
            "meta": {"event_time": event_time, "integration_scope": "generic"},
        }
        # shippers/composite.py `send`: empty messages are counted, not shipped; one deep copy per shipper.
        if len(es_event["fields"]["message"].strip()) == 0:
            empty += 1
            continue
        shipper.send(copy.deepcopy(es_event))
    shipper.flush()
    return shipper, empty


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--key", default="chunks/bench-job-0001/000000.log.gz")
    parser.add_argument("--dump-body", help="also write every bulk body to this file (for checks)")
    args = parser.parse_args()
    dump = open(args.dump_body, "wb") if args.dump_body else None  # noqa: SIM115 (closed below, outside the clock)
    started = time.perf_counter()
    cpu = time.process_time()
    shipper, empty = forward(args.file, args.key, dump)
    cpu_ms = (time.process_time() - cpu) * 1000
    ms = (time.perf_counter() - started) * 1000
    if dump is not None:
        dump.close()
    result = {
        "variant": "esf",
        "ms": ms,
        "cpuMs": cpu_ms,
        "docs": shipper.documents,
        "empty": empty,
        "batches": shipper.batches,
        "bodyMb": shipper.body_bytes / 1024**2,
        # ru_maxrss is in KiB on Linux.
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    sys.stdout.write("BENCH_RESULT " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
