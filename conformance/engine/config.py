"""Settings from ``[tool.conformance]`` in the working folder's ``pyproject.toml``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from conformance.errors import UsageError

Settings = dict[str, Any]
"""The ``[tool.conformance]`` table: keys as in :data:`KNOWN_KEYS`."""

KNOWN_KEYS = (
    "registry",
    "reports_dir",
    "max_findings",
    "max_bytes",
    "history",
    "waivers",
    "max_should_failures",
    "lang",
)


def project_settings(folder: Path | None = None) -> Settings:
    """The ``[tool.conformance]`` table, with paths made absolute; ``{}`` if none."""
    folder = folder or Path.cwd()
    path = folder / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read [tool.conformance]: {exc}") from None
    table: Settings = data.get("tool", {}).get("conformance", {})
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise UsageError(
            f"{path}: unknown keys in [tool.conformance]: {', '.join(unknown)};"
            f" known: {', '.join(KNOWN_KEYS)}"
        )
    for key in ("registry", "reports_dir", "waivers"):
        if key in table:
            table[key] = (folder / table[key]).resolve()
    if "history" in table and "://" not in str(table["history"]):
        table["history"] = str((folder / table["history"]).resolve())
    return table
