"""Errata: differences between the bindings of released versions, acknowledged.

A released version cannot change, so a difference the bindings self-test
finds in one (an edge value one binding accepts and the other refuses) can
only be fixed in a later version. Until then the owner records it in
``standards/<id>/errata.toml``, next to the version folders and outside
their hashes, with the reason; the self-test then notes it instead of
failing, and fails on an entry it no longer observes, so the list stays
true. The format is described in docs/fuzzing.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict, cast

from conformance.errors import RegistryError
from conformance.inputs.packaged_schemas import described, schema_problems, toml_as_json
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.selfcheck.edge_values import EDGE_NAMES

ERRATA_FILE = "errata.toml"


# The shape of an errata file once errata.schema.json has checked it.


class _DivergenceEntry(TypedDict):
    versions: list[str]
    accepted_by: str
    locations: list[str]
    reason: str
    edges: NotRequired[list[str]]


class _ErrataFile(TypedDict, total=False):
    divergences: list[_DivergenceEntry]


@dataclass(frozen=True)
class Divergence:
    """A value one binding accepts and the other refuses, in some versions."""

    versions: tuple[str, ...]
    accepted_by: str
    """``json`` or ``xml``: the binding that accepts the values."""
    locations: tuple[str, ...]
    """The members, as JSON Pointers without array indices: ``/contacts/email``."""
    reason: str
    edges: tuple[str, ...] = ()
    """The edge values it covers, by name (``a leap second``); none named:
    every difference at its locations."""

    def places(self) -> list[tuple[str, str]]:
        """``(accepted_by, location)`` for each of its locations."""
        return [(self.accepted_by, location) for location in self.locations]

    def covers(self, edge: str | None) -> bool:
        """Whether a difference found with this edge value is the one recorded.

        One found in a generated document or an example (``None``) cannot be
        told apart by its value, so any entry for its place covers it; an
        edge value is covered only by an entry naming it, or naming none.
        """
        return edge is None or not self.edges or edge in self.edges


def errata_path(standard: StandardVersion) -> Path:
    """Where the errata of a standard live: beside its version folders."""
    return standard.folder.parent / ERRATA_FILE


def divergences(registry: Registry, standard: StandardVersion) -> list[Divergence]:
    """The recorded divergences that concern this version (read once)."""
    path = errata_path(standard)
    every = registry.cached(("errata", str(path)), lambda: _load(path))
    return [d for d in every if str(standard.version) in d.versions]


def errata_problems(registry: Registry, standard: StandardVersion) -> list[str]:
    """What is wrong with a standard's errata: the format, a version the
    registry does not have, or an edge value the self-test does not make."""
    path = errata_path(standard)
    try:
        every = registry.cached(("errata", str(path)), lambda: _load(path))
    except RegistryError as exc:
        return [str(exc)]
    have = {str(v.version) for v in registry.versions(standard.id)}
    problems = [
        f"{path}: divergence {index + 1} names version {version}, which"
        f" {standard.id} does not have (it has {', '.join(sorted(have))})"
        for index, divergence in enumerate(every)
        for version in divergence.versions
        if version not in have
    ]
    known = ", ".join(sorted(EDGE_NAMES))
    problems += [
        f"{path}: divergence {index + 1} names the edge value {edge!r}, which"
        f" the self-test does not make; it makes: {known}"
        for index, divergence in enumerate(every)
        for edge in divergence.edges
        if edge not in EDGE_NAMES
    ]
    return problems


def _load(path: Path) -> list[Divergence]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the errata: {exc}") from None
    try:
        data = toml_as_json(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: the errata are not valid TOML: {exc}") from None
    problems = schema_problems("errata.schema.json", data, described)
    if problems:
        listed = "\n  ".join(problems)
        raise RegistryError(
            f"{path}: the errata do not follow the format in docs/fuzzing.md:"
            f"\n  {listed}"
        )
    checked = cast("_ErrataFile", data)  # as the schema has just said
    return [
        Divergence(
            versions=tuple(entry["versions"]),
            accepted_by=entry["accepted_by"],
            locations=tuple(entry["locations"]),
            reason=entry["reason"],
            edges=tuple(entry.get("edges", ())),
        )
        for entry in checked.get("divergences", [])
    ]
