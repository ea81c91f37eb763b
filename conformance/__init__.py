"""Conformance test suite for e-government data-exchange standards.

The package is a library first: the pytest plugin (:mod:`conformance.pytest_plugin`)
and the command line (:mod:`conformance.cli`) are thin layers over it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__version__ = "0.1.0"


def lazy_face(package: str, homes: dict[str, str]) -> Callable[[str], object]:
    """A package's ``__getattr__`` that imports each public name on first use.

    ``homes`` maps a name to the module (relative to ``package``) that
    defines it. A package's face stays small and readable, while importing
    one module of the package does not import every other (start-up time:
    the command line and the pytest plugin load only what a call needs).
    """

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{home}"), name)

    return __getattr__
