"""A clock that a test moves by hand.

An emulated restart is driven by the portal's clock (lag, down, warm-up: see
:mod:`portal_local.emulator.portal`), read whenever the state is. With the default,
``time.monotonic``, a test that asserts what a portal answers *during* its lag or its
restart races the clock: on a loaded machine the window can close before the test's
next request. With a :class:`ManualClock` the portal stays in each phase until the test
moves the clock past its end, so the order is the test's own.
"""

from __future__ import annotations

import threading


class ManualClock:
    """Seconds that pass only when :meth:`advance` is called (``PortalEmulator(clock=...)``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += seconds
