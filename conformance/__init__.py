"""Conformance test suite for e-government data-exchange standards.

The package is a library first: the pytest plugin (:mod:`conformance.pytest_plugin`)
and the command line (:mod:`conformance.cli`) are thin layers over it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from pathlib import Path

    from conformance.model import Finding

__version__ = "0.1.0"


def validate(
    payload: object, standard: str, *, registry: Path | str | None = None
) -> list[Finding]:
    """The findings of one payload against a standard; empty when it conforms.

    ``conformance.validate({"fin": "5ZK3T2A", ...}, "person@1.1.0")``. The
    payload is a JSON value (``dict``, ``list``, ...), a JSON or XML document
    (``str`` or ``bytes``) or a file (:class:`~pathlib.Path`); ``registry``
    a registry folder (default: ``$CONFORMANCE_REGISTRY`` or the bundled
    one). See :mod:`conformance.api`, which this calls: it is imported on
    first use, so that importing the package stays cheap.
    """
    api = importlib.import_module("conformance.api")
    return cast("list[Finding]", api.validate(payload, standard, registry=registry))


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
