"""Copies output to its terminal stream first — unchanged, at once — then hands the same bytes to
the shipper. Reading pauses while the terminal is slow (ordinary pipe backpressure) or while the
shipper is blocked (its memory bound, or ``--on-spool-full block``): the only ways shipping can
slow the job."""

from __future__ import annotations

import errno
import os
import selectors
import time
from typing import Callable, Optional, Sequence

from .contract import Stream
from .shipper import Shipper

READ_BYTES = 64 * 1024

Source = tuple[int, Optional[int], Stream]
"""(fd to read, fd to copy it to or None, stream it is shipped as)."""


def pump(
    sources: Sequence[Source],
    shipper: Shipper,
    *,
    child_exited: Optional[Callable[[], bool]] = None,
    pipe_close_timeout: float = 2.0,
    stop_requested: Optional[Callable[[], bool]] = None,
) -> bool:
    """Reads every source until end of file. Returns False when, ``pipe_close_timeout`` after
    ``child_exited()`` became true, some source was still open (a process the child left running
    holds it) and reading was given up."""
    selector = selectors.DefaultSelector()
    broken: set[int] = set()
    for fd, out, stream in sources:
        selector.register(fd, selectors.EVENT_READ, (out, stream))
    remaining = len(sources)
    exited_at: Optional[float] = None
    try:
        while remaining:
            if stop_requested is not None and stop_requested():
                return True
            if exited_at is None and child_exited is not None and child_exited():
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > pipe_close_timeout:
                return False
            for key, _ in selector.select(timeout=0.1):
                fd = key.fd
                try:
                    data = os.read(fd, READ_BYTES)
                except OSError as error:
                    if error.errno in (errno.EAGAIN, errno.EINTR):
                        continue
                    data = b""
                if not data:
                    selector.unregister(fd)
                    remaining -= 1
                    continue
                out, stream = key.data
                if out is not None and out not in broken and not _write_all(out, data):
                    broken.add(out)
                shipper.write(stream, data)
                if shipper.blocked:
                    shipper.wait_for_room()
        return True
    finally:
        selector.close()


def _write_all(fd: int, data: bytes) -> bool:
    """False once the terminal is gone (EPIPE): that must not stop the job or the shipping."""
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except InterruptedError:
            continue
        except OSError:
            return False
        view = view[written:]
    return True
