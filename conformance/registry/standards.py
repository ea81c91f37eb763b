"""The registry of versioned standards: a folder ``<id>/<version>/standard.toml``.

A :class:`Registry` is read once and then only looked up: resolving
``person@1`` or listing standards never touches the disk again, and schema
files are read only when a validator is first compiled for them.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from conformance.errors import RegistryError, UnknownStandardError, UsageError
from conformance.model import Requirement
from conformance.registry.locations import bundled
from conformance.registry.manifest import (
    MANIFEST_NAME,
    StandardVersion,
    Status,
    parse_manifest,
)
from conformance.registry.manifest_cache import ManifestCache
from conformance.registry.versions import StandardRef, Version

REGISTRY_FILE = "registry.toml"
INTEGRITY_FILE = "integrity.json"
ENV_VAR = "CONFORMANCE_REGISTRY"
DEFAULT_BASE_URI = "https://standards.e-gov.az/"

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a registry file, found while reading it."""

    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


def default_registry_path() -> Path:
    """The registry when none is named: ``$CONFORMANCE_REGISTRY`` or the bundled one."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return bundled("standards")


class Registry:
    """An immutable view of one registry folder."""

    def __init__(
        self,
        root: Path,
        *,
        name: str,
        base_uri: str,
        versions: dict[str, list[StandardVersion]],
        problems: list[Problem],
    ) -> None:
        self.root = root
        self.name = name
        self.base_uri = base_uri
        self._versions = versions
        self.problems = tuple(problems)
        self._cache: dict[Hashable, object] = {}
        self._namespaces: dict[str, list[StandardVersion]] | None = None

    @classmethod
    def open(cls, path: Path | str | None = None) -> Registry:
        """Read the registry at ``path`` (default: :func:`default_registry_path`).

        Broken manifests do not stop the reading: they are kept in
        :attr:`problems` so that a check can report all of them at once.
        """
        root = Path(path) if path is not None else default_registry_path()
        if not root.is_dir():
            raise UsageError(
                f"registry folder {root} does not exist: pass --registry PATH or"
                f" set {ENV_VAR} to a folder holding <id>/<version>/{MANIFEST_NAME}"
            )
        root = root.resolve()
        name, base_uri = root.name, DEFAULT_BASE_URI
        problems: list[Problem] = []
        settings = root / REGISTRY_FILE
        if settings.is_file():
            try:
                data = tomllib.loads(settings.read_text(encoding="utf-8"))
                name = str(data.get("name", name))
                base_uri = str(data.get("base_uri", base_uri))
                if not base_uri.endswith("/"):
                    base_uri += "/"
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                problems.append(Problem(settings, f"{settings}: {exc}"))
        versions: dict[str, list[StandardVersion]] = {}
        cache = ManifestCache()
        for manifest in sorted(root.glob(f"*/*/{MANIFEST_NAME}")):
            try:
                standard = parse_manifest(manifest, cache)
            except RegistryError as exc:
                problems.append(Problem(manifest, str(exc)))
                continue
            versions.setdefault(standard.id, []).append(standard)
        cache.save()
        for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
            if not (folder / MANIFEST_NAME).is_file():
                problems.append(
                    Problem(
                        folder,
                        f"{folder}: a version folder without {MANIFEST_NAME}",
                    )
                )
        for items in versions.values():
            items.sort(key=lambda s: s.version)
        return cls(
            root,
            name=name,
            base_uri=base_uri,
            versions=versions,
            problems=problems,
        )

    # -- looking things up -------------------------------------------------

    def ids(self) -> list[str]:
        """Every standard id, sorted."""
        return sorted(self._versions)

    def versions(self, standard_id: str) -> list[StandardVersion]:
        """Every version of one standard, oldest first."""
        self._known(standard_id)
        return list(self._versions[standard_id])

    def __iter__(self) -> Iterator[StandardVersion]:
        for standard_id in self.ids():
            yield from self._versions[standard_id]

    def resolve(self, reference: str | StandardRef) -> StandardVersion:
        """Resolve ``person@1.1.0``, ``person@1`` or ``person`` to one version.

        An exact reference names that version whatever its status. A
        prefix picks the latest released (not draft, not retired) version
        that starts with it. A bare id picks the latest active version.
        """
        ref = StandardRef.parse(reference) if isinstance(reference, str) else reference
        candidates = self._known(ref.id)
        if ref.exact:
            version = Version(*ref.prefix)
            for standard in candidates:
                if standard.version == version:
                    return standard
            for problem in self.problems:
                if problem.path.parent.name == str(version) and (
                    problem.path.parent.parent.name == ref.id
                ):
                    raise RegistryError(
                        f"{ref.id}@{version} cannot be used because its manifest is"
                        f" broken:\n{problem}"
                    )
            listed = ", ".join(str(s.version) for s in candidates)
            raise UnknownStandardError(
                f"{ref.id} has no version {version} in {self.root}; it has {listed}"
            )
        if ref.prefix:
            usable = [
                s
                for s in candidates
                if ref.matches(s.version)
                and s.status in (Status.ACTIVE, Status.DEPRECATED)
            ]
            wanted = "released, non-retired version"
        else:
            usable = [s for s in candidates if s.status is Status.ACTIVE]
            wanted = "active version"
        if not usable:
            listed = ", ".join(f"{s.version} ({s.status})" for s in candidates)
            raise UnknownStandardError(
                f"{ref} matches no {wanted} in {self.root}; {ref.id} has {listed}"
            )
        return usable[-1]

    def _known(self, standard_id: str) -> list[StandardVersion]:
        if standard_id in self._versions:
            return self._versions[standard_id]
        broken = [p for p in self.problems if p.path.parent.parent.name == standard_id]
        if broken:
            raise RegistryError(
                f"standard {standard_id!r} cannot be used because its manifest is"
                f" broken:\n{broken[0]}"
            )
        close = difflib.get_close_matches(standard_id, self.ids(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownStandardError(
            f"no standard {standard_id!r} in the registry at {self.root}{hint}"
            f" (run `conformance standards list` to see them all)"
        )

    def requirement(self, standard_ref: str, requirement_id: str) -> Requirement | None:
        """The requirement ``requirement_id`` of an exact standard version, if known.

        The suite's own input rules cite ``exchange-rules``; a user registry
        without that standard borrows it from the bundled registry.
        """
        key = ("requirement", standard_ref, requirement_id)

        def find() -> Requirement | None:
            try:
                standard = self.resolve(standard_ref)
            except RegistryError:
                if (
                    standard_ref.startswith("exchange-rules@")
                    and self.root != bundled("standards").resolve()
                ):
                    return Registry.open(bundled("standards")).requirement(
                        standard_ref, requirement_id
                    )
                return None
            for requirement in standard.requirements:
                if requirement.id == requirement_id:
                    return requirement
            return None

        return self.cached(key, find)

    # -- identifiers and files ----------------------------------------------

    def relative(self, path: Path) -> str:
        """A path as shown to a person: relative to the registry when inside it."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def uri_for(self, path: Path) -> str:
        """The canonical URI of a file in the registry."""
        rel = path.resolve().relative_to(self.root)
        return self.base_uri + rel.as_posix()

    def path_for(self, uri: str) -> Path | None:
        """The registry file a URI names, or ``None`` when it is not in the registry."""
        uri = uri.split("#", 1)[0]
        if not uri.startswith(self.base_uri):
            return None
        candidate = (self.root / uri[len(self.base_uri) :]).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def cached(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """Per-registry memo for compiled validators: each is built once per process."""
        try:
            # Each key names one kind of thing, always made by the same builder.
            return cast("_T", self._cache[key])
        except KeyError:
            value = self._cache[key] = build()
            return value

    def by_namespace(self, namespace: str) -> list[StandardVersion]:
        """The versions with an XSD document of this target namespace, oldest first."""
        if self._namespaces is None:
            # Imported here: it loads lxml (~12 ms), which commands that only
            # list or read standards (standards list, report) do not need.
            from conformance.inputs.xml_input import target_namespace

            index: dict[str, list[StandardVersion]] = {}
            for standard in self:
                if standard.xml is None:
                    continue
                # Every listed XSD document's namespace names the version.
                for document in standard.xml.documents:
                    ns = target_namespace(document)
                    if ns and standard not in index.get(ns, []):
                        index.setdefault(ns, []).append(standard)
            self._namespaces = index
        return list(self._namespaces.get(namespace, []))

    def standard_for_xml(
        self, namespace: str, version_hint: str | None = None
    ) -> StandardVersion | None:
        """Pick the standard version an XML root element belongs to.

        Namespaces carry the major version only, so that a document valid
        under 1.0.0 stays valid under 1.1.0; a ``version`` attribute on the
        root picks one version exactly, otherwise the latest released
        version of that major wins.
        """
        candidates = self.by_namespace(namespace)
        if not candidates:
            return None
        if version_hint:
            for standard in candidates:
                if str(standard.version) == version_hint:
                    return standard
        usable = [
            s for s in candidates if s.status in (Status.ACTIVE, Status.DEPRECATED)
        ]
        return (usable or candidates)[-1]
