"""Code lists: versioned reference data of the registry (docs/rules.md).

A code list is one TOML file in the registry's ``codelists/`` folder, named
by its reference, ``codelists/region-codes@1.0.0.toml``: an ``id``, a
``version``, a ``title`` and its ``[[codes]]`` (each a ``code`` and a
``name``). A standard version names the exact lists its rules use
(``codelists = ["region-codes@1.0.0"]`` in its manifest); a released list,
like a released standard, is never edited: a changed list is a new version.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from conformance.errors import RegistryError

FOLDER = "codelists"
_REF = re.compile(r"^(?P<id>[a-z][a-z0-9-]*)@(?P<version>[0-9]+\.[0-9]+\.[0-9]+)$")


@dataclass(frozen=True, slots=True)
class Code:
    """One entry of a code list."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CodeList:
    """One version of one code list."""

    id: str
    version: str
    title: str
    codes: tuple[Code, ...]
    path: Path

    @property
    def ref(self) -> str:
        """``region-codes@1.0.0``."""
        return f"{self.id}@{self.version}"

    @property
    def values(self) -> tuple[str, ...]:
        """The codes alone, in the list's order."""
        return tuple(c.code for c in self.codes)


def parse_ref(ref: str) -> tuple[str, str]:
    """``(id, version)`` of ``region-codes@1.0.0``; a :class:`RegistryError`
    if malformed."""
    match = _REF.match(ref)
    if match is None:
        raise RegistryError(
            f"{ref!r} is not a code list reference: write <id>@<major.minor.patch>,"
            " e.g. region-codes@1.0.0"
        )
    return match["id"], match["version"]


def read_code_list(path: Path) -> CodeList:
    """Read and check one code list file, naming every problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read the code list: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None
    problems = []
    for key in ("id", "version", "title"):
        if not isinstance(data.get(key), str):
            problems.append(f"{key} must be a string")
    unknown = sorted(set(data) - {"id", "version", "title", "description", "codes"})
    if unknown:
        problems.append(
            f"unknown keys {', '.join(unknown)} (id, version, title,"
            " description and [[codes]] are known)"
        )
    raw_codes = data.get("codes")
    codes: list[Code] = []
    if not isinstance(raw_codes, list) or not raw_codes:
        problems.append("[[codes]] must list at least one code")
    else:
        seen: set[str] = set()
        for index, entry in enumerate(raw_codes):
            code = entry.get("code") if isinstance(entry, dict) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(code, str) or not isinstance(name, str):
                problems.append(f"codes[{index}] needs a string code and name")
                continue
            if code in seen:
                problems.append(f"codes[{index}]: {code!r} is listed twice")
            seen.add(code)
            codes.append(Code(code, name))
    expected = f"{data.get('id')}@{data.get('version')}.toml"
    if not problems and path.name != expected:
        problems.append(f"the file must be named {expected} after its id and version")
    if problems:
        raise RegistryError(f"{path}:\n  " + "\n  ".join(problems))
    return CodeList(
        id=str(data["id"]),
        version=str(data["version"]),
        title=str(data["title"]),
        codes=tuple(codes),
        path=path,
    )


def find_code_list(roots: tuple[Path, ...], ref: str) -> CodeList:
    """The code list ``ref`` from the first registry folder that has it."""
    parse_ref(ref)
    for root in roots:
        path = root / FOLDER / f"{ref}.toml"
        if path.is_file():
            return read_code_list(path)
    where = ", ".join(str(root / FOLDER) for root in roots)
    raise RegistryError(
        f"no code list {ref} in {where}: add {FOLDER}/{ref}.toml to the registry,"
        " or name a version that exists"
    )


def code_lists(roots: tuple[Path, ...]) -> list[CodeList]:
    """Every code list of the registry folders (the first folder's first)."""
    found: dict[str, CodeList] = {}
    for root in roots:
        for path in sorted((root / FOLDER).glob("*.toml")):
            if path.stem not in found:
                found[path.stem] = read_code_list(path)
    return list(found.values())
