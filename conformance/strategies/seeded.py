"""Draws that a seed repeats, whatever else the process has imported.

Hypothesis (from 6.131) also draws, now and then, constants it finds in the
source of every "local" module loaded: any module imported from outside
site-packages and the standard library. Installed from a checkout, the
suite's own modules are local (about 1,400 strings: messages, file names),
and so is whatever else a process loaded. The values a seed gives would
then change with how the suite is installed and with which of its modules
a command happened to import (a fuzzing worker, and the replay of its
failure with ``--fuzz-seed`` in one process). Each process also works out
anew which of those constants suit each kind of draw: about a tenth of
what a fuzzing worker spends on the bundled services.

Within :func:`repeatable`, hypothesis draws its own constants only.
Hypothesis has no setting for this: the block swaps two names of its
providers module (where they exist; with a hypothesis without them it
changes nothing), and puts them back when the last block open ends, so
the tests of whoever else shares the process (an agency's, under the
pytest plugin) draw as hypothesis means them to.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from types import ModuleType

_LOCAL = "_get_local_constants"
_CACHE = "CONSTANTS_CACHE"


class _Swap:
    """The swap: how many blocks are open, and what they replaced."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = 0
        self.saved: tuple[object, object] | None = None
        self.none: object = None
        self.suited: dict[object, object] = {}
        """The constants that suit each kind of draw, hypothesis's own only:
        kept from one block to the next (hypothesis's cache, outside, may
        hold local ones)."""

    def enter(self, providers: ModuleType) -> None:
        with self.lock:
            if self.open == 0:
                if self.none is None:
                    self.none = providers.Constants()
                self.saved = (getattr(providers, _LOCAL), getattr(providers, _CACHE))
                setattr(providers, _LOCAL, self.no_local_constants)
                setattr(providers, _CACHE, self.suited)
            self.open += 1

    def leave(self, providers: ModuleType) -> None:
        with self.lock:
            self.open -= 1
            if self.open == 0 and self.saved is not None:
                setattr(providers, _LOCAL, self.saved[0])
                setattr(providers, _CACHE, self.saved[1])
                self.saved = None

    def no_local_constants(self) -> object:
        return self.none


_SWAP = _Swap()


def _providers() -> ModuleType | None:
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # a hypothesis laid out otherwise: nothing to swap
        return None
    if not all(hasattr(providers, n) for n in (_LOCAL, _CACHE, "Constants")):
        return None
    return providers


@contextlib.contextmanager
def repeatable() -> Iterator[None]:
    """Within the block, hypothesis draws no constant of a local module.

    Reentrant and shared by threads: the first block to open swaps, the last
    to close puts back.
    """
    providers = _providers()
    if providers is None:
        yield
        return
    _SWAP.enter(providers)
    try:
        yield
    finally:
        _SWAP.leave(providers)
