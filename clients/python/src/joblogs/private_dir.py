"""Private directories and files for the spool: directories 0700 and files 0600, owned by us, no
symlink anywhere on the path. Every directory is walked with ``openat``-style calls (``dir_fd``)
and ``O_NOFOLLOW``, so a component cannot be swapped for a symlink between the check and the use.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Mapping, Optional

from .errors import SpoolError, SpoolSecurityError

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def default_spool_root(env: Mapping[str, str]) -> str:
    """``$XDG_RUNTIME_DIR/joblogs`` (per user, cleared at logout), else ``$XDG_CACHE_HOME/joblogs/spool``
    (``~/.cache`` when unset), as the Node shipper's ``defaultSpoolRoot``.

    The base is resolved once (``realpath``) because it is joblogs's own choice, not the caller's:
    a home directory reached through a symlink must not make the default unusable.
    """
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return os.path.join(os.path.realpath(runtime), "joblogs")
    cache = env.get("XDG_CACHE_HOME")
    if not (cache and os.path.isabs(cache)):
        cache = os.path.join(env.get("HOME") or str(Path.home()), ".cache")
    return os.path.join(os.path.realpath(cache), "joblogs", "spool")


def open_private_dir(path: str, below: tuple[str, ...] = ()) -> int:
    """Opens (creating) ``path`` and then ``path/below[0]/below[1]…`` and returns a descriptor of the last.

    Ancestors of ``path`` must be directories owned by root or by us and, if others can write to
    them, sticky (like ``/tmp``). ``path`` itself must be ours and closed to writes by others;
    the directories below it are created 0700 (and made 0700 if they exist). A symlink anywhere
    refuses the whole path (:class:`SpoolSecurityError`): pass the resolved path instead.
    """
    absolute = os.path.abspath(path)
    names = [p for p in absolute.split(os.sep) if p]
    uid = os.geteuid()
    fd = os.open(os.sep, _DIR_FLAGS)
    walked = os.sep
    try:
        for index, name in enumerate([*names, *below]):
            walked = os.path.join(walked, name)
            role = "ancestor" if index < len(names) - 1 else ("root" if index == len(names) - 1 else "private")
            child = _open_child_dir(fd, name, walked)
            os.close(fd)
            fd = child
            _check_dir(fd, walked, role, uid)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _open_child_dir(parent: int, name: str, walked: str) -> int:
    try:
        os.mkdir(name, 0o700, dir_fd=parent)
    except FileExistsError:
        pass
    except OSError as error:
        raise SpoolError(f"Cannot create spool directory {walked}: {error.strerror}", cause=error) from error
    try:
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except OSError as error:
        raise SpoolError(f"Cannot open spool directory {walked}: {error.strerror}", cause=error) from error
    if stat.S_ISLNK(st.st_mode):
        raise SpoolSecurityError(
            f"Refusing spool path {walked}: it is a symlink (to {_readlink(parent, name)}); give the resolved path instead"
        )
    if not stat.S_ISDIR(st.st_mode):
        raise SpoolSecurityError(f"Refusing spool path {walked}: it is not a directory")
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as error:
        raise SpoolError(f"Cannot open spool directory {walked}: {error.strerror}", cause=error) from error


def _check_dir(fd: int, walked: str, role: str, uid: int) -> None:
    st = os.fstat(fd)
    open_to_others = st.st_mode & 0o022
    if role == "ancestor":
        if st.st_uid not in (0, uid):
            raise SpoolSecurityError(f"Refusing spool path: {walked} is owned by another user (uid {st.st_uid})")
        if open_to_others and not st.st_mode & stat.S_ISVTX:
            raise SpoolSecurityError(f"Refusing spool path: {walked} is writable by other users and not sticky")
        return
    if st.st_uid != uid:
        raise SpoolSecurityError(f"Refusing spool directory {walked}: owned by uid {st.st_uid}, not by us (uid {uid})")
    if role == "root":
        if open_to_others:
            raise SpoolSecurityError(f"Refusing spool directory {walked}: other users may write to it (mode {oct(st.st_mode & 0o777)})")
        return
    if st.st_mode & 0o077:
        os.fchmod(fd, 0o700)


def _readlink(parent: int, name: str) -> str:
    try:
        return os.readlink(name, dir_fd=parent)
    except OSError:
        return "?"


def open_private_file(dir_fd: int, name: str, flags: int, *, where: str) -> int:
    """Opens an existing file of the spool for reading: regular, ours, 0600 at most, never through a symlink."""
    try:
        fd = os.open(name, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    except OSError as error:
        if error.errno == getattr(os, "ELOOP", -1):
            raise SpoolSecurityError(f"Refusing {where}/{name}: it is a symlink") from error
        raise
    st = os.fstat(fd)
    problem: Optional[str] = None
    if not stat.S_ISREG(st.st_mode):
        problem = "it is not a regular file"
    elif st.st_uid != os.geteuid():
        problem = f"it is owned by uid {st.st_uid}"
    elif st.st_mode & 0o077:
        problem = f"it is open to other users (mode {oct(st.st_mode & 0o777)})"
    if problem:
        os.close(fd)
        raise SpoolSecurityError(f"Refusing {where}/{name}: {problem}")
    return fd


def create_private_file(dir_fd: int, name: str) -> int:
    """Creates a new file 0600; fails if the name exists in any form (``O_EXCL``, ``O_NOFOLLOW``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    return os.open(name, flags, 0o600, dir_fd=dir_fd)


def read_all(fd: int) -> bytes:
    parts: list[bytes] = []
    while True:
        piece = os.read(fd, 1 << 20)
        if not piece:
            return b"".join(parts)
        parts.append(piece)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
