"""Writers yield the CPU to readers: ingest threads run at a lower scheduling priority.

On two cores a continuous ingest (model, analysis, SQLite) would otherwise take the cores
that questions need, and a question's p95 tripled. Linux schedules threads as tasks, so a
thread can lower its own priority (raise its niceness, which needs no privilege); it is
never raised back, so only threads that do nothing but writing call this.
"""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)


def lower_current_thread_priority(niceness: int) -> None:
    """Raise the calling thread's niceness to at least ``niceness`` (0 leaves it alone);
    a no-op where the system has no per-thread priorities."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        if current < niceness:
            os.setpriority(os.PRIO_PROCESS, thread, min(niceness, 19))
    except OSError as error:
        logger.debug("could not lower the ingest thread's priority: %s", error)
