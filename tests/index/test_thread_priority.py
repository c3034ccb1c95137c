"""Writer threads lower their own priority and leave other threads alone."""

from __future__ import annotations

import os
import threading

import pytest

from index.thread_priority import lower_current_thread_priority

pytestmark = pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no thread priorities")


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_thread_lowers_only_its_own_priority() -> None:
    before = _niceness()
    seen: list[int] = []

    def writer() -> None:
        lower_current_thread_priority(before + 5)
        seen.append(_niceness())
        lower_current_thread_priority(before + 1)  # never raised back
        seen.append(_niceness())

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    assert seen == [min(before + 5, 19)] * 2
    assert _niceness() == before
