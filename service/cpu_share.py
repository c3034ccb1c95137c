"""How questions and writes share the cores.

Questions compute at most ``slots`` at a time (by default one per core); more wait their turn
here instead of all running at once. While a change is being written, questions get one slot
fewer (never none), so that the writer keeps a core: without this, eight concurrent askers
left an ingest of 200 articles 16 stored in its first minute, because every extra runnable
thread takes a share of the cores and of the interpreter lock from the writer. Askers lose
little by waiting: with every core busy, a question that starts later also ends later.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator


def default_slots() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


class CpuShare:
    def __init__(self, slots: int, writer_share: float = 0.5) -> None:
        self.slots = max(1, slots)
        self.writer_share = min(1.0, max(0.05, writer_share))
        self._condition = threading.Condition()
        self._asking = 0
        self._waiting = 0
        self._writing = 0
        self._last_pace = time.monotonic()

    def _question_limit(self) -> int:
        return max(1, self.slots - 1) if self._writing else self.slots

    @contextlib.contextmanager
    def question(self) -> Iterator[None]:
        """Held while one question computes."""
        with self._condition:
            self._waiting += 1
            self._condition.wait_for(lambda: self._asking < self._question_limit())
            self._waiting -= 1
            self._asking += 1
        try:
            yield
        finally:
            with self._condition:
                self._asking -= 1
                self._condition.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Held while a change is written: questions keep one slot fewer meanwhile."""
        with self._condition:
            self._writing += 1
        self._last_pace = time.monotonic()
        try:
            yield
        finally:
            with self._condition:
                self._writing -= 1
                self._condition.notify_all()

    def pace(self) -> None:
        """Called by the writer between pieces of work: while questions wait for a slot, it
        steps aside for as long as keeps its share of the time to ``writer_share``."""
        now = time.monotonic()
        worked, self._last_pace = now - self._last_pace, now
        with self._condition:
            if not self._waiting or not self._writing:
                return
            self._writing -= 1
            self._condition.notify_all()
        time.sleep(min(5.0, worked * (1 - self.writer_share) / self.writer_share))
        with self._condition:
            self._writing += 1
        self._last_pace = time.monotonic()

    @property
    def asking(self) -> int:
        """Questions computing now."""
        return self._asking
