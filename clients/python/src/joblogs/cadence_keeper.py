"""Keeps a shipper's flush interval right for whether anyone watches the job (docs/shipper.md,
"Fresh when watched") — the Node ``FlushCadenceKeeper`` on a thread of its own. The decisions are
the pure ones of :mod:`joblogs.watch`; this reads the signal when :func:`~joblogs.watch.next_read_delay`
says, one read at a time, and decides again at the end of the fresh start.
"""

from __future__ import annotations

import random
import threading
from typing import Callable, Optional

from .watch import (
    UNWATCHED,
    Cadence,
    CadencePolicy,
    Failed,
    Found,
    Missing,
    WatchRead,
    WatchState,
    adapts_to_watching,
    after_watch_read,
    flush_cadence,
    next_read_delay,
    poll_policy,
)

ReadSignal = Callable[[], WatchRead]


class CadenceKeeper:
    """Reads the signal at :meth:`start`, then about every ``poll_interval_ms`` while the job is
    idle and prints (:meth:`note_output`) or may still hold lines it printed, not at all while it
    is silent with nothing held, every ``fresh_poll_interval_ms`` while it is fresh. ``on_change``
    gets every new cadence; a failed read (``on_read_failed``) keeps the mode. Reads nothing when the policy never adapts.

    Example::

        keeper = CadenceKeeper(policy, poll_interval_ms=2000, read=read_signal, now=now_ms,
                               on_change=lambda c, _: framer.set_flush_interval(c.interval_ms))
        keeper.start(); …; keeper.stop()
    """

    def __init__(
        self,
        policy: CadencePolicy,
        *,
        poll_interval_ms: int,
        read: ReadSignal,
        on_change: Callable[[Cadence, Cadence], None],
        on_read_failed: Optional[Callable[[Exception], None]] = None,
        now: Callable[[], int],
        rand: Callable[[], float] = random.random,
    ):
        self._policy = policy
        self._poll = poll_policy(poll_interval_ms)
        self._read = read
        self._on_change = on_change
        self._on_read_failed = on_read_failed
        self._now = now
        self._random = rand
        self._started_at = now()
        self._watch: WatchState = UNWATCHED
        self._current = self._decide()
        self._cv = threading.Condition()
        self._output = False
        # Until when lines printed before the last read may still be held unsealed (that read's
        # start plus the idle flush interval, the longest a chunk waits): a watch that starts while
        # the job is silent still finds them.
        self._held_until = 0
        self._stopped = False
        self._thread: Optional[threading.Thread] = None
        self.reads = 0
        self.failed_reads = 0

    @property
    def current(self) -> Cadence:
        return self._current

    def start(self) -> None:
        if not adapts_to_watching(self._policy) or self._stopped:
            return
        self._thread = threading.Thread(target=self._loop, name="joblogs-watch", daemon=True)
        self._thread.start()

    def note_output(self) -> None:
        """The job printed: cheap enough to call on every write."""
        if self._output:
            return
        with self._cv:
            self._output = True
            self._cv.notify_all()

    def stop(self) -> None:
        """Stops reading; a read in flight is not waited for (closing never waits on the signal)."""
        with self._cv:
            self._stopped = True
            self._cv.notify_all()

    def _loop(self) -> None:
        last_read = self._now()
        self._read_once()
        while True:
            jitter = self._random()  # one draw per read: waking up early must not draw again
            with self._cv:
                while not self._stopped:
                    self._update()
                    delay = next_read_delay(
                        self._poll,
                        fresh=self._current.reason != "unwatched",
                        output=self._output or self._now() < self._held_until,
                        since_read_ms=self._now() - last_read,
                        random=jitter,
                    )
                    if delay == 0:
                        break
                    self._cv.wait(self._wait_s(delay))
                if self._stopped:
                    return
                if self._output:
                    self._held_until = self._now() + self._policy.idle_flush_interval_ms
                self._output = False
            last_read = self._now()
            self._read_once()

    def _wait_s(self, delay: Optional[int]) -> float:
        """Until the next read is due, the fresh start ends or output comes (a notify), whichever is first."""
        until_start_end = self._started_at + self._policy.fresh_start_ms - self._now()
        waits = [ms for ms in (delay, until_start_end if until_start_end > 0 else None) if ms is not None]
        return min(waits) / 1000 if waits else 3600.0

    def _read_once(self) -> None:
        try:
            read = self._read()
        except Exception as error:  # a reader must not raise; if it does, the read failed
            read = Failed(error)
        self.reads += 1
        if isinstance(read, Failed):
            self.failed_reads += 1
            if self._on_read_failed is not None:
                self._on_read_failed(read.error)
        with self._cv:
            self._watch = after_watch_read(self._watch, read, self._now())
            self._update()

    def _update(self) -> None:
        if self._stopped:
            return
        next_cadence = self._decide()
        previous = self._current
        if next_cadence == previous:
            return
        self._current = next_cadence
        self._on_change(next_cadence, previous)

    def _decide(self) -> Cadence:
        return flush_cadence(self._policy, started_at=self._started_at, now=self._now(), watch=self._watch)


__all__ = ["CadenceKeeper", "Failed", "Found", "Missing", "ReadSignal"]
