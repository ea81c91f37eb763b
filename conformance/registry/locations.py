"""Where the bundled registry and fixtures live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def bundled(name: str) -> Path:
    """The bundled ``standards`` or ``fixtures`` folder.

    A wheel carries them inside the package (``conformance/_bundled``); a
    source checkout or an editable install has them beside the package.
    """
    inside = _PACKAGE / "_bundled" / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name
