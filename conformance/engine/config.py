"""Settings from ``[tool.conformance]`` in the working folder's ``pyproject.toml``."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import TypedDict, cast

from conformance.errors import UsageError


class Settings(TypedDict, total=False):
    """The ``[tool.conformance]`` table, paths made absolute."""

    registry: Path
    reports_dir: Path
    max_findings: int
    max_bytes: int
    history: str
    waivers: Path
    max_should_failures: int
    lang: str


# Each key and the TOML type its value must have.
_KINDS: dict[str, type] = {
    "registry": str,
    "reports_dir": str,
    "max_findings": int,
    "max_bytes": int,
    "history": str,
    "waivers": str,
    "max_should_failures": int,
    "lang": str,
}
KNOWN_KEYS = tuple(_KINDS)
_PATHS = ("registry", "reports_dir", "waivers")
_TYPE_NAMES = {str: "a string", int: "a whole number"}


def project_settings(folder: Path | None = None) -> Settings:
    """The ``[tool.conformance]`` table, with paths made absolute; ``{}`` if none.

    An unknown key or a value of the wrong type is a usage error naming the
    file and the key.
    """
    folder = folder or Path.cwd()
    path = folder / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read [tool.conformance]: {exc}") from None
    table = data.get("tool", {}).get("conformance", {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.conformance] must be a table")
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], KNOWN_KEYS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            f"{path}: unknown keys in [tool.conformance]: {', '.join(unknown)}{hint};"
            f" known: {', '.join(KNOWN_KEYS)}"
        )
    for key, value in table.items():
        kind = _KINDS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise UsageError(
                f"{path}: [tool.conformance] {key} = {value!r} must be"
                f" {_TYPE_NAMES[kind]}"
            )
    for key in _PATHS:
        if key in table:
            table[key] = (folder / table[key]).resolve()
    if "history" in table and "://" not in table["history"]:
        table["history"] = str((folder / table["history"]).resolve())
    # Every key and value type was checked above.
    return cast(Settings, table)
