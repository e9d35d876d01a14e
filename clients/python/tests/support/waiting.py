"""Waiting for what a shipper does in the background (threads, moto), by the clock."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], ok: Callable[[T], bool], what: str, timeout: float = 30) -> T:
    """``probe()`` again every 50 ms until ``ok`` accepts its value, or AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {value!r}")
        time.sleep(0.05)
