"""Processes a run forks: asked to die with the run, and named.

On Linux a run forks its workers and the reference services' process: they
start at once with what the run has imported and built, and share its
memory until they change it. A process with other threads running is never
forked (a lock some thread holds would stay held in the child).
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15


def can_fork() -> bool:
    """Whether this process may fork a worker: Linux, and no other thread."""
    return sys.platform == "linux" and threading.active_count() == 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies.

    A run killed with SIGKILL cannot stop what it started: the kernel then
    sends SIGKILL to this process, so nothing is orphaned.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def name_this_process(name: str) -> None:
    """Name this process as ``ps`` and ``/proc/PID/comm`` show it (Linux: 15
    bytes at most): a forked process otherwise shows the run's command."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_NAME, name.encode()[:15])
