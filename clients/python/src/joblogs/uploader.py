"""Drains a spool to S3 strictly in seq order, one chunk at a time, each with a conditional PUT
(``If-None-Match: *``), retried with full-jitter backoff until it is uploaded or the uploader is
stopped. A 412 is our own earlier upload when the stored ``content-sha256`` is ours, else a
conflict: the chunk stays spooled and this source uploads nothing more (docs/python.md).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Callable, Literal, Optional

from .contract import Meta, chunk_key
from .errors import ChunkConflictError, SpoolError, StoreError
from .events import Conflict, Rejected, ShipperEvent, UploadFailed
from .spool import Spool, SpoolEntry
from .store import ObjectStore


def backoff_delay_ms(attempt: int, base_ms: int, max_ms: int, rand: Callable[[], float] = random.random) -> int:
    """Full jitter: a random delay in [0, min(max, base·2^attempt)]
    (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/)."""
    return int(rand() * min(max_ms, base_ms * 2 ** min(attempt, 30)))


Outcome = Literal["uploaded", "already-there", "conflict", "rejected", "stopped"]


@dataclass
class UploaderOptions:
    store: ObjectStore
    prefix: str
    job_id: str
    source: str
    retry_base_ms: int
    retry_max_ms: int
    on_event: Callable[[ShipperEvent], None]
    on_uploaded: Callable[[SpoolEntry, int, bool], None]
    """(entry, attempts, already_there) once a chunk is in S3, before it leaves the spool."""
    on_first_failure: Callable[[SpoolEntry], None]
    finish_final: Callable[[SpoolEntry, threading.Event], bool]
    """Writes the final marker for an uploaded final chunk; False when stopped first."""


class Uploader:
    def __init__(self, spool: Spool, queue_lock: threading.Lock, options: UploaderOptions):
        self._spool = spool
        self._queue_lock = queue_lock
        self._o = options
        self._wake = threading.Condition()
        self._finishing = False
        self._stopped = threading.Event()
        self._conflicted = False
        self._thread = threading.Thread(target=self._run, name="joblogs-uploader", daemon=True)
        self.in_flight: Optional[SpoolEntry] = None
        """The entry being uploaded: it must not be dropped under the uploader's feet."""

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def finish(self, timeout: Optional[float]) -> bool:
        """Uploads what is spooled, then ends; True when the spool was drained within ``timeout``."""
        with self._wake:
            self._finishing = True
            self._wake.notify_all()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self, timeout: float = 1.0) -> None:
        """Stops at once: no new attempt starts and everything left stays spooled."""
        self._stopped.set()
        self.notify()
        self._thread.join(timeout)

    def key_of(self, entry: SpoolEntry) -> str:
        return chunk_key(self._o.job_id, self._o.source, entry.seq, self._o.prefix)

    def _run(self) -> None:
        while not self._stopped.is_set():
            with self._queue_lock:
                entry = None if self._conflicted else self._spool.oldest()
                self.in_flight = entry
            if entry is None:
                with self._wake:
                    if self._finishing:
                        return
                    self._wake.wait(0.5)
                continue
            outcome, attempts = self._upload_with_retries(entry)
            if outcome == "stopped":
                return
            if outcome == "conflict":
                self._conflicted = True
            elif outcome == "rejected":
                self._spool.set_aside(entry)
            else:
                self._o.on_uploaded(entry, attempts, outcome == "already-there")
                if entry.final and not self._o.finish_final(entry, self._stopped):
                    return
                try:
                    self._spool.remove(entry)
                except SpoolError as error:
                    self._o.on_event(UploadFailed(self.key_of(entry), entry.seq, attempts, 0, error))
            with self._queue_lock:
                self.in_flight = None

    def _upload_with_retries(self, entry: SpoolEntry) -> tuple[Outcome, int]:
        key = self.key_of(entry)
        attempt = 0
        while not self._stopped.is_set():
            attempt += 1
            try:
                return self._upload_once(entry, key), attempt
            except SpoolError as error:
                self._o.on_event(Rejected(str(error)))
                return "rejected", attempt
            except ChunkConflictError as error:
                self._o.on_event(Conflict(key, str(error)))
                return "conflict", attempt
            except StoreError as error:
                if attempt == 1:
                    self._o.on_first_failure(entry)
                delay = backoff_delay_ms(attempt - 1, self._o.retry_base_ms, self._o.retry_max_ms)
                self._o.on_event(UploadFailed(key, entry.seq, attempt, delay, error))
                self._stopped.wait(delay / 1000)
        return "stopped", attempt

    def _upload_once(self, entry: SpoolEntry, key: str) -> Outcome:
        body = self._spool.read_body(entry)
        if self._o.store.put_if_absent(key, body, metadata=entry.metadata, content_type="application/gzip"):
            return "uploaded"
        stored = self._o.store.head_metadata(key)
        if stored is None:
            raise StoreError(f"PutObject {key} was refused as existing, but HeadObject finds nothing", transient=True)
        if stored.get(Meta.CONTENT_SHA256) == entry.metadata.get(Meta.CONTENT_SHA256):
            return "already-there"
        raise ChunkConflictError(key)
