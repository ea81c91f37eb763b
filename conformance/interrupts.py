"""Ctrl-C that lands in Python code a native library calls back.

Python raises KeyboardInterrupt in whatever Python code runs when Ctrl-C
comes, and that may be a callback of a native library: lxml's resolver
while a schema compiles, jsonschema-rs's retriever. Those libraries do not
hand it back as such: lxml reports a schema that fails to compile,
jsonschema-rs an error whose text names it. The signal is spent by then, so
the run went on as if nobody had pressed Ctrl-C, and a first compilation
that fails is only each file's error. :class:`Callbacks` notes the interrupt
on its way through the callback and raises it again once the native call is
over.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType


class Callbacks:
    """Carries Ctrl-C (and SIGTERM's exit) out of native code's callbacks.

    Each callback runs its body in :meth:`noting`; the native call runs in
    ``with callbacks:``, which raises, on leaving, what a callback noted in
    place of whatever the library made of it.
    """

    def __init__(self) -> None:
        self.interrupt: BaseException | None = None

    @contextlib.contextmanager
    def noting(self) -> Iterator[None]:
        """Note an interrupt (what is not an :class:`Exception`) raised here."""
        try:
            yield
        except Exception:
            raise
        except BaseException as exc:
            self.interrupt = exc
            raise

    def __enter__(self) -> Callbacks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        interrupt, self.interrupt = self.interrupt, None
        if interrupt is not None and interrupt is not value:
            raise interrupt
