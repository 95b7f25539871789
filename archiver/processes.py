"""Processes on this host: whether one still runs. Ground floor, standard library only."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Whether a process `pid` exists on this host (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
