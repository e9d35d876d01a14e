"""Captures a process's output line by line into ``framed-v1`` gzip chunks on S3 — the Python twin
of the Node shipper (docs/shipper.md, docs/python.md). Framing and gzip run on their own threads;
every chunk goes to the private spool first and is uploaded from there in order, so S3 trouble
never blocks :meth:`Shipper.write` and a restart with the same job and source resumes.

Example::

    shipper = Shipper.open(ShipperOptions(job_id="job-42", bucket="joblogs-logs-dev"), S3HttpStore("joblogs-logs-dev"))
    shipper.write("stdout", b"epoch 1 loss=0.3\\n")   # never raises, never waits
    summary = shipper.close(exit_code=0)
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from typing import Callable, Optional

from .cadence_keeper import CadenceKeeper
from .contract import CHUNK_SUFFIX, FinalInfo, Meta, Stream, chunk_metadata
from .errors import SpoolError, StoreError, WatchSignalError
from .events import (
    CadenceChanged,
    Conflict,
    Dropped,
    Rejected,
    Resumed,
    ShipperEvent,
    ShipperSummary,
    SpoolProblem,
    Uploaded,
    UploadFailed,
    WatchReadFailed,
)
from .frame import iso_millis
from .framing import Framer, GzippedChunk, now_ms
from .markers import JobMarkers, MarkerOptions
from .options import ShipperOptions
from .scrub import Scrubber, SecretValue
from .spool import Spool, SpoolEntry, SpoolState, chunk_file_name
from .store import ObjectStore
from .uploader import Uploader, UploaderOptions
from .watch import Cadence, CadencePolicy, Failed, Found, Missing, WatchRead, parse_watch_signal, watch_key

EventListener = Callable[[ShipperEvent], None]


class Shipper:
    def __init__(
        self,
        options: ShipperOptions,
        store: ObjectStore,
        spool: Spool,
        state: SpoolState,
        on_event: Optional[EventListener],
    ):
        self._o = options
        self._spool = spool
        self._state = state
        self._on_event = on_event
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._room = threading.Condition()
        self._stats = ShipperSummary()
        self._resumed = {entry.seq for entry in spool.entries}
        self._unspooled_bytes = 0
        self._exit: Optional[tuple[Optional[int], Optional[str]]] = None
        self._closed: Optional[ShipperSummary] = None
        self._closing = False
        self._markers = JobMarkers(
            MarkerOptions(
                store=store,
                job_prefix=options.job_prefix,
                job_id=options.job_id,
                source=options.source,
                producer=options.producer,
                started_at=state.started_at or iso_millis(now_ms()),
                traceparent=options.traceparent,
                dataset=options.dataset,
                retry_base_ms=options.retry_base_ms,
                retry_max_ms=options.retry_max_ms,
                on_event=self._event,
            )
        )
        self._uploader = Uploader(
            spool,
            self._queue_lock,
            UploaderOptions(
                store=store,
                prefix=options.prefix,
                job_id=options.job_id,
                source=options.source,
                retry_base_ms=options.retry_base_ms,
                retry_max_ms=options.retry_max_ms,
                on_event=self._event,
                on_uploaded=self._uploaded,
                on_first_failure=self._first_failure,
                finish_final=self._markers.write_final,
            ),
        )
        self._cadence = CadenceKeeper(
            CadencePolicy(options.flush_interval_ms, options.idle_flush_interval_ms, options.fresh_start_ms),
            poll_interval_ms=options.watch_poll_interval_ms,
            read=_signal_reader(store, watch_key(options.job_id, options.watch_prefix)),
            on_change=self._cadence_changed,
            on_read_failed=lambda error: self._event(WatchReadFailed(error)),
            now=now_ms,
        )
        scrubber = Scrubber([SecretValue(name, value) for name, value in options.secret_values()]) if options.redact else None
        self._framer = Framer(
            max_chunk_bytes=options.max_chunk_bytes,
            flush_interval_ms=self._cadence.current.interval_ms,
            error_flush_interval_ms=options.flush_interval_ms,
            max_line_bytes=options.max_line_bytes,
            gzip_level=options.gzip_level,
            first_line=state.next_line,
            on_chunk=self._spool_chunk,
            on_error=lambda error: self._event(SpoolProblem(error)),
            on_progress=self._release_room,
            scrubber=scrubber,
        )

    @classmethod
    def open(cls, options: ShipperOptions, store: ObjectStore, on_event: Optional[EventListener] = None) -> Shipper:
        """Checks the options, locks and resumes this job and source's spool and numbering, starts
        uploading. Raises :class:`ShipperOptionsError`, :class:`ScrubConfigError` (a secret value
        that cannot be redacted), :class:`SpoolLockedError` (another shipper holds the spool) or
        :class:`SpoolSecurityError` (an untrustworthy spool path)."""
        options.check()
        if options.redact:
            Scrubber([SecretValue(name, value) for name, value in options.secret_values()], patterns=False)
        opened = Spool.open(options.resolved_spool_dir(), options.job_id, options.source)
        state = opened.state
        if state.started_at is None:
            state.started_at = iso_millis(now_ms())
            try:
                opened.spool.save_state(state)
            except OSError:
                pass  # written again with the first chunk
        shipper = cls(options, store, opened.spool, state, on_event)
        for detail in opened.rejected:
            shipper._add(rejected=1)
            shipper._event(Rejected(detail))
        if opened.spool.entries:
            shipper._add(spooled=len(opened.spool.entries))
            shipper._event(Resumed(len(opened.spool.entries), state.next_seq, state.next_line))
        shipper._markers.write_running()
        shipper._uploader.start()
        shipper._cadence.start()
        return shipper

    @property
    def options(self) -> ShipperOptions:
        return self._o

    @property
    def spool_path(self) -> str:
        return self._spool.path

    @property
    def stats(self) -> ShipperSummary:
        return dataclasses.replace(
            self._stats,
            pending=len(self._spool.entries),
            conflicts=self._stats.conflicts + self._markers.conflicts,
            redactions=dict(self._stats.redactions),
        )

    @property
    def blocked(self) -> bool:
        """True while output not yet in the spool exceeds ``max_buffered_bytes``, or, with
        ``overflow="block"``, while the spool is full: writers should wait (:meth:`wait_for_room`)."""
        in_memory = self._framer.buffered_bytes + self._unspooled_bytes + self._spool.memory_bytes
        if in_memory >= self._o.max_buffered_bytes:
            return True
        return self._o.overflow == "block" and self._spool.disk_bytes + self._unspooled_bytes >= self._o.spool_max_bytes

    def wait_for_room(self, timeout: Optional[float] = None) -> bool:
        """Waits until :attr:`blocked` is false (or the shipper closes); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._room:
            while self.blocked and not self._closing:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._room.wait(0.05 if remaining is None else min(0.05, remaining))
        return True

    def write(self, stream: Stream, data: bytes, time_ms: Optional[int] = None) -> None:
        """Captures output. Never raises and never waits: framing, gzip, spooling and uploads happen in the background."""
        if self._closing or not data:
            return
        try:
            self._add(bytes=len(data))
            self._framer.write(stream, bytes(data), now_ms() if time_ms is None else time_ms)
            self._cadence.note_output()
        except Exception as error:
            self._event(SpoolProblem(error))

    def count_dropped(self, lines: int) -> None:
        """Lines the producer had to drop before they reached :meth:`write` (a full logging queue):
        counted in the summary and the final chunk's ``dropped-lines``."""
        with self._lock:
            self._state.dropped_lines += lines
        self._add(dropped=lines)

    def close(self, exit_code: Optional[int] = None, signal: Optional[str] = None) -> ShipperSummary:
        """Flushes everything, including the final chunk (``final``, ``exit-code`` or ``signal``,
        ``line-count``, ``dropped-lines``), and waits up to ``close_timeout_ms`` for the uploads and
        the final marker; what is not uploaded by then stays spooled for the next run."""
        with self._lock:
            if self._closed is not None or self._closing:
                return self._closed or self.stats
            self._closing = True
            self._exit = (exit_code, signal)
        self._cadence.stop()
        self._release_room()
        deadline = time.monotonic() + self._o.close_timeout_ms / 1000
        # Framing and spooling are local work: wait for them; only the uploads are bounded.
        self._framer.end()
        drained = self._uploader.finish(max(0.0, deadline - time.monotonic()))
        markers = self._markers.settled(max(0.0, deadline - time.monotonic()))
        if not drained or not markers:
            self._markers.stop()
            self._uploader.stop()
        self._spool.release()
        self._closed = self.stats
        return self._closed

    @property
    def cadence(self) -> CadenceChanged:
        """The flush interval now, and why."""
        current = self._cadence.current
        return CadenceChanged(current.interval_ms, current.reason)

    def _cadence_changed(self, cadence: Cadence, _previous: Cadence) -> None:
        self._framer.set_flush_interval(cadence.interval_ms)
        self._event(CadenceChanged(cadence.interval_ms, cadence.reason))

    def _spool_chunk(self, chunk: GzippedChunk) -> None:
        """Gives a gzipped chunk its seq and metadata and writes it to the spool (sealing thread, in order)."""
        with self._lock:
            seq = self._state.next_seq
            self._state.next_seq += 1
            self._state.next_line = chunk.next_line
            self._unspooled_bytes += len(chunk.body)
            for kind, n in chunk.redactions.items():
                self._stats.redactions[kind] = self._stats.redactions.get(kind, 0) + n
                self._state.redactions += n
        self._add(chunks=1, lines=chunk.lines)
        try:
            # Room is made before the final chunk's metadata is written, so its dropped-lines is complete.
            self._make_room(len(chunk.body))
            final = None
            if chunk.final:
                exit_code, signal = self._exit or (None, None)
                final = FinalInfo(
                    line_count=chunk.next_line,
                    dropped_lines=self._state.dropped_lines,
                    redactions=self._state.redactions,
                    exit_code=exit_code,
                    signal=signal,
                )
            metadata = chunk_metadata(
                producer=self._o.producer,
                host=self._o.host,
                chunk_start=iso_millis(chunk.start_time),
                content_sha256=hashlib.sha256(chunk.body).hexdigest(),
                optional={
                    Meta.TRACEPARENT: self._o.traceparent,
                    Meta.DATASET: self._o.dataset,
                    Meta.SERVICE: self._o.service,
                    Meta.CONTAINER_ID: self._o.container_id,
                },
                final=final,
            )
            entry = SpoolEntry(
                seq=seq,
                lines=chunk.lines,
                next_line=chunk.next_line,
                metadata=metadata,
                size=0,
                name=chunk_file_name(seq),
                ended_at=iso_millis(now_ms()) if chunk.final else None,
            )
            snapshot = dataclasses.replace(self._state, next_seq=seq + 1, next_line=chunk.next_line)
            with self._queue_lock:
                error = self._spool.add(entry, chunk.body, snapshot)
            if error is not None:
                self._event(SpoolProblem(error))
                if entry.body is not None:
                    self._drop_from_memory(entry)
            self._uploader.notify()
        finally:
            with self._lock:
                self._unspooled_bytes -= len(chunk.body)
            self._release_room()

    def _make_room(self, incoming: int) -> None:
        """``drop-oldest``: deletes the oldest waiting chunks (never the one being uploaded) until ``incoming`` fits."""
        if self._o.overflow != "drop-oldest":
            return
        while self._spool.disk_bytes + incoming > self._o.spool_max_bytes:
            with self._queue_lock:
                victim = next((e for e in self._spool.entries if e.body is None and e is not self._uploader.in_flight), None)
                if victim is None:
                    return
                self._drop(victim)

    def _drop_from_memory(self, kept: SpoolEntry) -> None:
        """``drop-oldest``: chunks the spool could not write wait in memory; above ``max_buffered_bytes``
        the oldest of them are dropped — never the one being uploaded, nor the newest."""
        if self._o.overflow != "drop-oldest":
            return
        while self._spool.memory_bytes > self._o.max_buffered_bytes:
            with self._queue_lock:
                victim = next(
                    (e for e in self._spool.entries if e.body is not None and e is not self._uploader.in_flight and e is not kept),
                    None,
                )
                if victim is None:
                    return
                self._drop(victim)

    def _drop(self, victim: SpoolEntry) -> None:
        try:
            self._spool.remove(victim)
        except SpoolError as error:
            self._event(SpoolProblem(error))
            return
        with self._lock:
            self._state.dropped_lines += victim.lines
        self._add(dropped=victim.lines)
        self._event(Dropped(self._uploader.key_of(victim), victim.seq, victim.lines))

    def _uploaded(self, entry: SpoolEntry, attempts: int, already_there: bool) -> None:
        self._add(uploaded=1)
        self._event(Uploaded(self._uploader.key_of(entry), entry.seq, entry.lines, entry.size, attempts, entry.final, already_there))
        self._release_room()

    def _first_failure(self, entry: SpoolEntry) -> None:
        if entry.seq not in self._resumed:
            self._add(spooled=1)

    def _add(self, **counts: int) -> None:
        with self._lock:
            self._stats = dataclasses.replace(self._stats, **{k: getattr(self._stats, k) + v for k, v in counts.items()})

    def _release_room(self) -> None:
        with self._room:
            self._room.notify_all()

    def _event(self, event: ShipperEvent) -> None:
        if isinstance(event, UploadFailed):
            self._add(retries=1)
        elif isinstance(event, Conflict) and event.key.endswith(CHUNK_SUFFIX):
            self._add(conflicts=1)
        listener = self._on_event
        if listener is None:
            return
        try:
            listener(event)
        except Exception:
            pass  # a faulty listener must not break shipping


def _signal_reader(store: ObjectStore, key: str) -> Callable[[], WatchRead]:
    """One GET of the job's watch signal: absent (404) is :class:`Missing`; anything else that goes
    wrong — a network or HTTP error, a 403, a body that is not a signal — is :class:`Failed`."""

    def read() -> WatchRead:
        try:
            body = store.get(key)
            if body is None:
                return Missing()
            return Found(parse_watch_signal(body, now_ms()))
        except (StoreError, WatchSignalError) as error:
            return Failed(error)

    return read
