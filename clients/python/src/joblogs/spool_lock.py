"""One shipper per spool directory (job + source), as the Node shipper's ``spool-lock.ts``: a
``joblogs.lock`` file created exclusively, naming its holder, and touched every 2 s while held.
A lock of our own dead process is taken over; one held by a live process of another user is an
error naming the path; another host's lock is trusted while it is being touched.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import threading
import time
from dataclasses import dataclass
from typing import Optional

from .errors import SpoolError, SpoolLockedError, SpoolSecurityError
from .private_dir import create_private_file, write_all

LOCK_FILE = "joblogs.lock"
HEARTBEAT_S = 2.0
"""The lock file is touched this often while held…"""
STALE_S = 10.0
"""…so one older than this, from another host (a shared volume), is a dead holder's."""

_held_here: set[tuple[int, int]] = set()
_held_lock = threading.Lock()


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    uid: Optional[int] = None

    def describe(self) -> str:
        who = f"pid {self.pid} on {self.host}"
        return who if self.uid is None else f"{who}, uid {self.uid}"


class SpoolLock:
    def __init__(self, dir_fd: int, path: str, identity: tuple[int, int]):
        self._dir_fd = dir_fd
        self._path = path
        self._identity = identity
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, name="joblogs-spool-lock", daemon=True)
        self._thread.start()

    @classmethod
    def acquire(cls, dir_fd: int, path: str) -> SpoolLock:
        me = Holder(os.getpid(), socket.gethostname(), os.geteuid())
        st = os.fstat(dir_fd)
        identity = (st.st_dev, st.st_ino)
        for _ in range(3):
            try:
                fd = create_private_file(dir_fd, LOCK_FILE)
            except FileExistsError:
                pass
            except OSError as error:
                raise SpoolError(f"Cannot lock spool directory {path}: {error.strerror}", cause=error) from error
            else:
                try:
                    write_all(fd, json.dumps({"pid": me.pid, "host": me.host, "uid": me.uid}).encode())
                finally:
                    os.close(fd)
                with _held_lock:
                    _held_here.add(identity)
                return cls(dir_fd, path, identity)
            with _held_lock:
                if identity in _held_here:
                    raise SpoolLockedError(path, me.describe())
            holder, lock_uid, touched = _read_holder(dir_fd, path)
            if lock_uid != me.uid:
                raise SpoolLockedError(os.path.join(path, LOCK_FILE), f"its lock file belongs to uid {lock_uid}")
            if _is_alive(holder, me, touched):
                process_uid = _process_uid(holder.pid) if holder and holder.host == me.host else None
                if holder is not None and process_uid is not None and process_uid != me.uid:
                    raise SpoolLockedError(
                        os.path.join(path, LOCK_FILE),
                        f"held by a process of another user: pid {holder.pid}, uid {process_uid}",
                    )
                raise SpoolLockedError(path, holder.describe() if holder else None)
            # A dead holder's lock: remove it and try again (another starter may win the race: then it is theirs).
            try:
                os.unlink(LOCK_FILE, dir_fd=dir_fd)
            except FileNotFoundError:
                pass
        raise SpoolError(f"Cannot lock spool directory {path}: the lock keeps changing hands")

    def release(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            os.unlink(LOCK_FILE, dir_fd=self._dir_fd)
        except OSError:
            pass
        with _held_lock:
            _held_here.discard(self._identity)

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                os.utime(LOCK_FILE, dir_fd=self._dir_fd, follow_symlinks=False)
            except OSError:
                pass


def _read_holder(dir_fd: int, path: str) -> tuple[Optional[Holder], Optional[int], Optional[float]]:
    """The holder named in the lock file (None if unreadable), the file's owner uid and its mtime."""
    try:
        st = os.stat(LOCK_FILE, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None, os.geteuid(), None
    if stat.S_ISLNK(st.st_mode):
        raise SpoolSecurityError(f"Refusing {path}/{LOCK_FILE}: it is a symlink")
    try:
        fd = os.open(LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
        try:
            value = json.loads(os.read(fd, 4096).decode("utf-8"))
        finally:
            os.close(fd)
        holder = Holder(int(value["pid"]), str(value["host"]), int(value["uid"]) if "uid" in value else None)
    except (OSError, ValueError, KeyError, TypeError):
        # Unreadable or half-written: judged by its age below.
        holder = None
    return holder, st.st_uid, st.st_mtime


def _is_alive(holder: Optional[Holder], me: Holder, touched: Optional[float]) -> bool:
    if touched is None:
        return False
    if holder is None:
        return time.time() - touched < HEARTBEAT_S
    if holder.host != me.host:
        return time.time() - touched < STALE_S
    if holder.pid == me.pid:
        # Our own pid in a lock we do not hold: a restarted container's PID 1.
        return False
    try:
        os.kill(holder.pid, 0)
    except OSError as error:
        # EPERM: it runs, as another user.
        return error.errno == errno.EPERM
    return True


def _process_uid(pid: int) -> Optional[int]:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
