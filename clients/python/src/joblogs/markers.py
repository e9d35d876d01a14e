"""This source's job markers: ``running.json`` when the shipper starts, ``final.json`` once the
final chunk is in S3. Both are write-once (``If-None-Match: *``): a 412 on ``running.json`` is a
restart and fine; on ``final.json`` it is fine when the stored body equals ours (our own earlier
write whose answer was lost), otherwise it is reported as a conflict.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .contract import MarkerStatus, encode_json, final_info_from_metadata, job_marker_key, marker_body
from .errors import StoreError
from .events import Conflict, MarkerFailed, ShipperEvent
from .spool import SpoolEntry
from .store import ObjectStore
from .uploader import backoff_delay_ms


@dataclass
class MarkerOptions:
    store: ObjectStore
    job_prefix: str
    job_id: str
    source: str
    producer: str
    started_at: str
    traceparent: Optional[str]
    dataset: Optional[str]
    retry_base_ms: int
    retry_max_ms: int
    on_event: Callable[[ShipperEvent], None]


class JobMarkers:
    def __init__(self, options: MarkerOptions):
        self._o = options
        self._stop = threading.Event()
        self._running_thread: Optional[threading.Thread] = None
        self.conflicts = 0

    def write_running(self) -> None:
        """Writes ``running.json`` in the background, retrying until it is there or :meth:`stop`."""
        body = self._body(MarkerStatus.RUNNING)
        self._running_thread = threading.Thread(
            target=self._put, args=(MarkerStatus.RUNNING, body, self._stop), name="joblogs-marker", daemon=True
        )
        self._running_thread.start()

    def write_final(self, entry: SpoolEntry, stop: threading.Event) -> bool:
        """Writes ``final.json`` for an uploaded final chunk (from its spooled metadata, so a final
        chunk uploaded by a later run still finishes the job). False when stopped first."""
        final = final_info_from_metadata(entry.metadata)
        if final is None:
            return True
        body = self._body(MarkerStatus.FINAL, ended_at=entry.ended_at or self._o.started_at, last_seq=entry.seq, final=final)
        return self._put(MarkerStatus.FINAL, body, stop)

    def settled(self, timeout: Optional[float]) -> bool:
        if self._running_thread is not None:
            self._running_thread.join(timeout)
            return not self._running_thread.is_alive()
        return True

    def stop(self) -> None:
        self._stop.set()

    def _body(self, status: str, **final_fields: Any) -> dict[str, Any]:
        o = self._o
        return marker_body(
            job_id=o.job_id,
            source=o.source,
            status=status,
            producer=o.producer,
            started_at=o.started_at,
            traceparent=o.traceparent,
            dataset=o.dataset,
            **final_fields,
        )

    def _put(self, status: str, body: dict[str, Any], stop: threading.Event) -> bool:
        o = self._o
        key = job_marker_key(o.job_id, o.source, status, o.job_prefix)
        attempt = 0
        while not stop.is_set() and not self._stop.is_set():
            try:
                if o.store.put_if_absent(key, encode_json(body), metadata={}, content_type="application/json"):
                    return True
                if status == MarkerStatus.RUNNING:
                    return True  # a restart of a source that ran before: its first start stands
                stored = o.store.get(key)
                if stored is None:
                    raise StoreError(f"PutObject {key} was refused as existing, but GetObject finds nothing", transient=True)
                if _same_json(stored, body):
                    return True
                self.conflicts += 1
                o.on_event(Conflict(key, f"{key} already holds another final marker: {stored[:300].decode('utf-8', 'replace')}"))
                return True
            except StoreError as error:
                o.on_event(MarkerFailed(key, error))
                (stop if status == MarkerStatus.FINAL else self._stop).wait(
                    backoff_delay_ms(attempt, o.retry_base_ms, o.retry_max_ms) / 1000
                )
                attempt += 1
        return False


def _same_json(stored: bytes, body: dict[str, Any]) -> bool:
    try:
        return bool(json.loads(stored) == body)
    except ValueError:
        return False
