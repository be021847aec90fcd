"""The CPU priority of background workers (``fla db_worker``).

A worker lowers its own priority by ``FLA_WORKER_NICE`` when it starts. Where workers
share a machine with a web node, the kernel then gives the web requests the CPU first,
and a large BATCH file takes what is left instead of slowing every page and API call.
"""

from __future__ import annotations

import logging
import os

from django.conf import settings

logger = logging.getLogger(__name__)


def lower() -> int:
    """Raise this process's niceness by ``FLA_WORKER_NICE`` (capped at 19); return it."""
    increment = max(0, min(19, settings.FLA_WORKER_NICE))
    try:
        return os.nice(increment)
    except OSError:  # a platform without nice(): the priority stays as it was
        logger.warning("worker priority not lowered", exc_info=True)
        return 0
