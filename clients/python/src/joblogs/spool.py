"""The private on-disk queue of one job and source (``<spool root>/<jobId>/<source>/``).

Like the Node shipper's spool — ``<seq>.chunk`` files and ``state.json``, each written to a
temporary name, fsynced and renamed, kept in seq order — plus what the contract now asks of it:
directories 0700 and files 0600 reached without following symlinks (:mod:`.private_dir`), and
every file authenticated with HMAC-SHA256 under a per-spool random key (``spool.key``, 0600).
Only chunks whose MAC verifies are ever handed to the uploader; anything else found in the
directory is reported, and a chunk file whose MAC does not verify is set aside as
``<name>.rejected`` (as the Node shipper does) for a person to look at. A chunk that cannot be written (disk full, read-only, I/O
error) is not lost: it waits in memory in its place in the queue.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import SpoolError, SpoolSecurityError
from .private_dir import create_private_file, open_private_dir, open_private_file, read_all, write_all
from .spool_lock import LOCK_FILE, SpoolLock

KEY_FILE = "spool.key"
STATE_FILE = "state.json"
CHUNK_SUFFIX = ".chunk"
REJECTED_SUFFIX = ".rejected"
_CHUNK_NAME = re.compile(r"^([0-9]{10})\.chunk$")
_MAGIC = b"JLSPOOL1 "
_MAC_DOMAIN = b"joblogs-spool-v1\x00"
_KEY_BYTES = 32


@dataclass
class SpoolState:
    """Survives restarts: the next seq and line number to use, lines dropped and secrets redacted so far, the first start."""

    next_seq: int = 0
    next_line: int = 0
    dropped_lines: int = 0
    started_at: Optional[str] = None
    redactions: int = 0

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "nextSeq": self.next_seq,
            "nextLine": self.next_line,
            "droppedLines": self.dropped_lines,
        }
        if self.redactions:
            value["redactions"] = self.redactions
        if self.started_at:
            value["startedAt"] = self.started_at
        return value


@dataclass
class SpoolEntry:
    seq: int
    lines: int
    next_line: int
    metadata: dict[str, str]
    size: int
    """Size on disk, or of the gzip body when kept in memory."""
    name: str
    ended_at: Optional[str] = None
    """Final chunks only: when the source ended (the final marker's ``endedAt``)."""
    body: Optional[bytes] = field(default=None, repr=False)
    """Set when the chunk could not be written to disk: it waits in memory (and dies with the process)."""

    @property
    def final(self) -> bool:
        return self.metadata.get("final") == "true"

    def header(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "seq": self.seq,
            "lines": self.lines,
            "nextLine": self.next_line,
            "metadata": self.metadata,
        }
        if self.ended_at:
            value["endedAt"] = self.ended_at
        return value


@dataclass
class OpenedSpool:
    spool: Spool
    state: SpoolState
    rejected: list[str]
    """Files found in the spool whose MAC did not verify (or that could not be read): never uploaded."""


class Spool:
    def __init__(self, path: str, dir_fd: int, lock: SpoolLock, key: bytes, entries: list[SpoolEntry]):
        self.path = path
        self._dir_fd = dir_fd
        self._lock = lock
        self._key = key
        self._entries = entries
        self._guard = threading.Lock()
        self._bytes = sum(e.size for e in entries)
        self._memory_bytes = 0
        self._tmp_counter = 0

    @classmethod
    def open(cls, root: str, job_id: str, source: str) -> OpenedSpool:
        """Opens (creating) and locks ``root/job_id/source``; raises :class:`SpoolLockedError` while
        another live shipper holds it, :class:`SpoolSecurityError` for an untrustworthy path."""
        path = os.path.join(os.path.abspath(root), job_id, source)
        try:
            dir_fd = open_private_dir(root, (job_id, source))
        except OSError as error:
            raise SpoolError(f"Cannot open spool directory {path}: {error.strerror}", cause=error) from error
        try:
            lock = SpoolLock.acquire(dir_fd, path)
        except BaseException:
            os.close(dir_fd)
            raise
        try:
            key = _load_or_create_key(dir_fd, path)
            entries, rejected = _scan(dir_fd, path, key)
            state = _read_state(dir_fd, path, key, rejected)
            # A crash between writing a chunk and writing the state must not let a seq be reused.
            if entries:
                last = entries[-1]
                state.next_seq = max(state.next_seq, last.seq + 1)
                state.next_line = max(state.next_line, last.next_line)
            return OpenedSpool(cls(path, dir_fd, lock, key, entries), state, rejected)
        except BaseException:
            lock.release()
            os.close(dir_fd)
            raise

    @property
    def entries(self) -> list[SpoolEntry]:
        with self._guard:
            return list(self._entries)

    @property
    def disk_bytes(self) -> int:
        """Bytes on disk of the spooled chunks."""
        return self._bytes

    @property
    def memory_bytes(self) -> int:
        """Gzip bytes of the chunks kept in memory because they could not be written."""
        return self._memory_bytes

    def oldest(self) -> Optional[SpoolEntry]:
        with self._guard:
            return self._entries[0] if self._entries else None

    def add(self, entry: SpoolEntry, body: bytes, state: SpoolState) -> Optional[SpoolError]:
        """Writes a chunk (then the state) atomically and queues it. When the chunk cannot be written
        it is queued in memory instead and the error says why; nothing raises."""
        head = json.dumps(entry.header(), separators=(",", ":")).encode("utf-8")
        try:
            self._write_atomic(entry.name, head, body)
        except OSError as error:
            entry.body = body
            entry.size = len(body)
            with self._guard:
                self._entries.append(entry)
                self._memory_bytes += entry.size
            return SpoolError(
                f"Cannot write chunk {entry.seq} to the spool ({error.strerror or error}); it waits in memory for its upload",
                cause=error,
            )
        entry.size = len(_MAGIC) + 65 + len(head) + 1 + len(body)
        with self._guard:
            self._entries.append(entry)
            self._bytes += entry.size
        try:
            self.save_state(state)
        except OSError as error:
            # The chunk is safe; a stale state file is corrected from the chunk files at the next open.
            return SpoolError(f"Cannot write the spool state ({error.strerror or error})", cause=error)
        return None

    def save_state(self, state: SpoolState) -> None:
        self._write_atomic(STATE_FILE, json.dumps(state.to_json(), separators=(",", ":")).encode("utf-8"), b"")

    def read_body(self, entry: SpoolEntry) -> bytes:
        """The gzip body, after verifying the file's MAC again (it may have changed since the open)."""
        if entry.body is not None:
            return entry.body
        try:
            fd = open_private_file(self._dir_fd, entry.name, os.O_RDONLY, where=self.path)
        except FileNotFoundError as error:
            raise SpoolError(f"Spooled chunk {self.path}/{entry.name} disappeared", cause=error) from error
        try:
            raw = read_all(fd)
        finally:
            os.close(fd)
        head, body = _verify(raw, entry.name, self._key, f"{self.path}/{entry.name}")
        if json.loads(head).get("seq") != entry.seq:
            raise SpoolSecurityError(f"Spooled chunk {self.path}/{entry.name} changed since it was queued")
        return body

    def remove(self, entry: SpoolEntry) -> None:
        """Removes an entry (uploaded, dropped or rejected) from disk and from the queue."""
        if not self._dequeue(entry):
            return
        try:
            os.unlink(entry.name, dir_fd=self._dir_fd)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise SpoolError(f"Cannot remove spooled chunk {self.path}/{entry.name}", cause=error) from error

    def set_aside(self, entry: SpoolEntry) -> None:
        """Takes an entry that failed authentication off the queue; its file stays, as ``<name>.rejected``."""
        if self._dequeue(entry):
            _set_aside(self._dir_fd, entry.name)

    def _dequeue(self, entry: SpoolEntry) -> bool:
        """Takes an entry off the queue and out of the byte counts; True when it has a file to deal with."""
        with self._guard:
            if entry not in self._entries:
                return False
            self._entries.remove(entry)
            if entry.body is not None:
                self._memory_bytes -= entry.size
                return False
            self._bytes -= entry.size
            return True

    def release(self) -> None:
        """Unlocks the directory (the entries stay for the next shipper)."""
        self._lock.release()
        try:
            os.close(self._dir_fd)
        except OSError:
            pass

    def _write_atomic(self, name: str, head: bytes, body: bytes) -> None:
        """MAC, temporary file (0600, exclusive), fsync, rename: a crash leaves whole files only."""
        mac = _mac(self._key, name, head, body).encode("ascii")
        with self._guard:
            self._tmp_counter += 1
            tmp = f"{name}.{os.getpid()}.{self._tmp_counter}.tmp"
        fd = create_private_file(self._dir_fd, tmp)
        try:
            try:
                write_all(fd, b"".join((_MAGIC, mac, b"\n", head, b"\n", body)))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
        except BaseException:
            # Half a file must not be left behind (it would count against a full disk).
            try:
                os.unlink(tmp, dir_fd=self._dir_fd)
            except OSError:
                pass
            raise


def chunk_file_name(seq: int) -> str:
    return f"{seq:010d}{CHUNK_SUFFIX}"


def _mac(key: bytes, name: str, head: bytes, body: bytes) -> str:
    digest = hmac.new(key, _MAC_DOMAIN, hashlib.sha256)
    digest.update(name.encode("utf-8") + b"\x00")
    digest.update(head)
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def _verify(raw: bytes, name: str, key: bytes, where: str) -> tuple[bytes, bytes]:
    """``(header, body)`` of a spool file whose MAC verifies, else :class:`SpoolSecurityError`."""
    if not raw.startswith(_MAGIC) or len(raw) < len(_MAGIC) + 65:
        raise SpoolSecurityError(f"{where} is not a joblogs spool file")
    mac = raw[len(_MAGIC) : len(_MAGIC) + 64]
    rest = raw[len(_MAGIC) + 65 :]
    newline = rest.find(b"\n")
    if newline == -1:
        raise SpoolSecurityError(f"{where} has no header")
    head, body = rest[:newline], rest[newline + 1 :]
    if not hmac.compare_digest(mac, _mac(key, name, head, body).encode("ascii")):
        raise SpoolSecurityError(f"{where} failed authentication (not written by this spool's shipper)")
    return head, body


def _load_or_create_key(dir_fd: int, path: str) -> bytes:
    try:
        fd = create_private_file(dir_fd, KEY_FILE)
    except FileExistsError:
        fd = open_private_file(dir_fd, KEY_FILE, os.O_RDONLY, where=path)
        try:
            key = read_all(fd)
        finally:
            os.close(fd)
        if len(key) != _KEY_BYTES:
            raise SpoolSecurityError(f"Spool key {path}/{KEY_FILE} is damaged ({len(key)} bytes)") from None
        return key
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        write_all(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def _scan(dir_fd: int, path: str, key: bytes) -> tuple[list[SpoolEntry], list[str]]:
    entries: list[SpoolEntry] = []
    rejected: list[str] = []
    for name in sorted(os.listdir(dir_fd)):
        if name.endswith(".tmp"):
            try:
                os.unlink(name, dir_fd=dir_fd)
            except OSError:
                pass
            continue
        if name in (KEY_FILE, STATE_FILE, LOCK_FILE) or name.endswith(REJECTED_SUFFIX):
            continue
        match = _CHUNK_NAME.match(name)
        if not match:
            rejected.append(f"{path}/{name}: not a spool file")
            continue
        try:
            fd = open_private_file(dir_fd, name, os.O_RDONLY, where=path)
            try:
                raw = read_all(fd)
            finally:
                os.close(fd)
            head, body = _verify(raw, name, key, f"{path}/{name}")
            header = json.loads(head)
            entry = SpoolEntry(
                seq=int(header["seq"]),
                lines=int(header["lines"]),
                next_line=int(header["nextLine"]),
                metadata={str(k): str(v) for k, v in dict(header["metadata"]).items()},
                size=len(raw),
                name=name,
                ended_at=header.get("endedAt"),
            )
            if entry.seq != int(match.group(1)):
                raise SpoolSecurityError(f"{path}/{name} names chunk {entry.seq}")
        except (SpoolError, OSError, ValueError, KeyError, TypeError) as error:
            rejected.append(f"{path}/{name}: {error}")
            _set_aside(dir_fd, name)
            continue
        entries.append(entry)
        del body
    entries.sort(key=lambda e: e.seq)
    return entries, rejected


def _set_aside(dir_fd: int, name: str) -> None:
    """Renames a chunk file that failed authentication to ``<name>.rejected``: never uploaded, never scanned again."""
    try:
        os.rename(name, name + REJECTED_SUFFIX, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError:
        pass  # it stays where it is, and is reported again at the next start


def _read_state(dir_fd: int, path: str, key: bytes, rejected: list[str]) -> SpoolState:
    try:
        fd = open_private_file(dir_fd, STATE_FILE, os.O_RDONLY, where=path)
    except FileNotFoundError:
        return SpoolState()
    try:
        raw = read_all(fd)
    finally:
        os.close(fd)
    try:
        head, _ = _verify(raw, STATE_FILE, key, f"{path}/{STATE_FILE}")
        value = json.loads(head)
        return SpoolState(
            next_seq=int(value.get("nextSeq", 0)),
            next_line=int(value.get("nextLine", 0)),
            dropped_lines=int(value.get("droppedLines", 0)),
            started_at=value.get("startedAt"),
            redactions=int(value.get("redactions", 0)),
        )
    except (SpoolError, ValueError, TypeError) as error:
        # The chunk files still say where numbering stands; an unknown state is reported, not trusted.
        rejected.append(f"{path}/{STATE_FILE}: {error}")
        return SpoolState()
