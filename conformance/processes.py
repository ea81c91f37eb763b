"""Processes a run forks: asked to die with the run, and named.

On Linux a run forks its workers and the reference services' process: they
start at once with what the run has imported and built, and share its
memory until they change it. A process with other threads running is never
forked (a lock some thread holds would stay held in the child).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15


def can_fork() -> bool:
    """Whether this process may fork a worker: Linux, and no other thread."""
    return sys.platform == "linux" and threading.active_count() == 1


def start_forked(process: BaseProcess) -> None:
    """Start ``process``, of the fork context.

    What this process has buffered is written first (the child would write
    its copy again when it exits), and what exists is frozen for the fork
    (the child's collector would otherwise touch, and so copy, every page
    it shares with this one). What was frozen before stays frozen.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    thaw = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        with _interrupts_held():
            process.start()
    finally:
        if thaw:
            gc.unfreeze()


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back while forking: a child starts with it
    blocked, and :func:`serve_the_run` ignores it before letting it in (one
    that came meanwhile is then dropped). Without this, a Ctrl-C landing
    between the fork and that call raised KeyboardInterrupt in the child,
    whose traceback multiprocessing printed. This process gets its own
    Ctrl-C once the fork is done."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def serve_the_run(name: str | None = None) -> None:
    """Set up a process the run forked, first thing in it.

    Ctrl-C reaches every process of the terminal's group: this one ignores
    it and leaves the deciding to the run, which ends it with SIGTERM (its
    default action). It dies with the run, and takes ``name`` if given.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # not on Windows (never forked there)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    die_with_parent()
    if name is not None:
        name_this_process(name)


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


def start_helper(work: Callable[[], None], name: str) -> int | None:
    """Start ``work`` in a forked process of the run's, named ``name``; its
    process id, or ``None`` when this process may not fork now.

    For work the run need not wait for until it ends (writing a cache):
    another processor does it meanwhile. The helper ignores Ctrl-C (the run
    decides), dies with the run, writes nothing to the run's output, and
    ends with ``os._exit``, running no handler of the run's. Whoever starts
    it waits for it (:func:`wait_for_helpers`).
    """
    if not can_fork():
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    # As _interrupts_held, by hand: the child must not leave a with block.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pid = os.fork()
    if pid:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return pid
    try:
        serve_the_run(name)
        with contextlib.suppress(BaseException):
            nowhere = os.open(os.devnull, os.O_RDWR)
            for standard in (0, 1, 2):
                os.dup2(nowhere, standard)
            work()
    finally:
        os._exit(0)


def wait_for_helpers(pids: list[int], seconds: float) -> None:
    """Wait for helpers to end, at most ``seconds`` in all; kill the rest."""
    deadline = time.monotonic() + seconds
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(pid, os.WNOHANG) == (0, 0):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
                time.sleep(0.01)
    pids.clear()
