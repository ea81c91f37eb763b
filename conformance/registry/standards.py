"""The registry of versioned standards: a folder ``<id>/<version>/standard.toml``.

A :class:`Registry` is read once and then only looked up: resolving
``person@1`` or listing standards never touches the disk again, and schema
files are read only when a validator is first compiled for them.
"""

from __future__ import annotations

import difflib
import json
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
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a registry file, found while reading it."""

    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


def _declared_id(path: Path) -> str | None:
    """The absolute ``$id`` a JSON file declares at its top, if it declares one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if '"$id"' not in text:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    declared = document.get("$id") if isinstance(document, dict) else None
    if not isinstance(declared, str) or ":" not in declared:
        return None
    return declared.split("#", 1)[0] or None


def default_registry_path() -> Path:
    """The registry when none is named: ``$CONFORMANCE_REGISTRY`` or the bundled one."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return bundled("standards")


@dataclass(frozen=True, slots=True)
class RegistryFolder:
    """One folder of standards in a registry: the user's own, or the bundled one."""

    root: Path
    name: str
    base_uri: str
    bundled: bool

    def holds(self, path: Path) -> bool:
        """True when ``path`` is inside this folder."""
        return path.resolve().is_relative_to(self.root)


def _read_folder(
    root: Path, *, bundled_folder: bool
) -> tuple[RegistryFolder, dict[str, list[StandardVersion]], list[Problem], set[str]]:
    """One registry folder: its settings, versions, problems and the ids it has."""
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
    for version_folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
        if not (version_folder / MANIFEST_NAME).is_file():
            problems.append(
                Problem(
                    version_folder,
                    f"{version_folder}: a version folder without {MANIFEST_NAME}",
                )
            )
    for items in versions.values():
        items.sort(key=lambda s: s.version)
    # An id is the folder's when it has a folder of that name, even one
    # whose manifests are all broken: a broken standard of the user's must
    # not silently fall back to the bundled one of the same id.
    ids = {p.parent.name for p in root.glob("*/*") if p.is_dir()} | set(versions)
    return RegistryFolder(root, name, base_uri, bundled_folder), versions, problems, ids


class Registry:
    """An immutable view of the registry: the user's folder beside the bundled one.

    ``folders`` are in order of precedence. A user's folder (``--registry``)
    comes first and the bundled registry after it, so a user's standards
    sit beside ours; an id the user's folder has is taken from it alone
    (with a note in :attr:`notes`), never mixed with the bundled versions.
    """

    def __init__(
        self,
        folders: tuple[RegistryFolder, ...],
        *,
        versions: dict[str, list[StandardVersion]],
        problems: list[Problem],
        notes: tuple[str, ...] = (),
    ) -> None:
        self.folders = folders
        self.root = folders[0].root
        self.name = folders[0].name
        self.base_uri = folders[0].base_uri
        self._versions = versions
        self.problems = tuple(problems)
        self.notes = notes
        self._cache: dict[Hashable, object] = {}
        self._namespaces: dict[str, list[StandardVersion]] | None = None
        self._declared: dict[str, Path] | None = None

    @classmethod
    def open(cls, path: Path | str | None = None, *, alone: bool = False) -> Registry:
        """Read the registry at ``path`` (default: :func:`default_registry_path`).

        A folder other than the bundled registry is read beside it: its
        standards are added to ours, and where both have a standard id the
        folder's versions replace ours for that id. ``alone`` reads the
        folder by itself.

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
        ours = bundled("standards").resolve()
        folder, versions, problems, ids = _read_folder(
            root, bundled_folder=root == ours
        )
        folders = [folder]
        notes: list[str] = []
        if not alone and root != ours and ours.is_dir():
            theirs, more, more_problems, _ = _read_folder(ours, bundled_folder=True)
            folders.append(theirs)
            for standard_id, items in more.items():
                if standard_id in ids:
                    notes.append(
                        f"{standard_id}: the standard in {root / standard_id} is used;"
                        f" the bundled {standard_id} is not (rename the folder and"
                        " its id to use both)"
                    )
                    continue
                versions[standard_id] = items
            problems.extend(
                p for p in more_problems if p.path.parent.parent.name not in ids
            )
        return cls(
            tuple(folders),
            versions=dict(sorted(versions.items())),
            problems=problems,
            notes=tuple(notes),
        )

    @property
    def roots(self) -> tuple[Path, ...]:
        """Every folder of the registry, in order of precedence."""
        return tuple(f.root for f in self.folders)

    def folder_of(self, path: Path) -> RegistryFolder:
        """The registry folder holding ``path`` (the first one when none does)."""
        for folder in self.folders:
            if folder.holds(path):
                return folder
        return self.folders[0]

    def own(self) -> list[StandardVersion]:
        """The versions of the first folder: the user's, or the bundled ones alone."""
        first = self.folders[0]
        return [s for s in self if first.holds(s.folder)]

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

        The suite's own input rules cite ``exchange-rules``, which the
        bundled folder beside a user's always provides.
        """
        key = ("requirement", standard_ref, requirement_id)
        found = self._cache.get(key, _MISSING)
        if found is not _MISSING:  # asked once per payload file
            return cast("Requirement | None", found)

        def find() -> Requirement | None:
            try:
                standard = self.resolve(standard_ref)
            except RegistryError:
                return None
            for requirement in standard.requirements:
                if requirement.id == requirement_id:
                    return requirement
            return None

        return self.cached(key, find)

    # -- identifiers and files ----------------------------------------------

    def relative(self, path: Path) -> str:
        """A path as shown to a person: relative to its registry folder if in one."""
        resolved = path.resolve()
        for folder in self.folders:
            if resolved.is_relative_to(folder.root):
                return resolved.relative_to(folder.root).as_posix()
        return str(path)

    def uri_for(self, path: Path) -> str:
        """The canonical URI of a registry file: its folder's base URI + place."""
        resolved = path.resolve()
        folder = self.folder_of(resolved)
        return folder.base_uri + resolved.relative_to(folder.root).as_posix()

    def path_for(self, uri: str) -> Path | None:
        """The registry file a URI names, or ``None`` when it is not in the registry.

        A URI is a file's canonical URI, or the ``$id`` a schema file in the
        registry declares (a URN, another host's address).
        """
        uri = uri.split("#", 1)[0]
        for folder in self.folders:
            if not uri.startswith(folder.base_uri):
                continue
            candidate = (folder.root / uri[len(folder.base_uri) :]).resolve()
            if candidate.is_relative_to(folder.root) and candidate.is_file():
                return candidate
        return self.declared_ids().get(uri)

    def mounts(self) -> list[tuple[str, Path]]:
        """URI prefixes and the folders they stand for, for a schema loader."""
        return [(f.base_uri, f.root) for f in self.folders]

    def declared_ids(self) -> dict[str, Path]:
        """Each absolute ``$id`` a schema file of the registry declares, to its file.

        A third-party schema keeps the ``$id`` its authors gave it; a
        ``$ref`` by that id then resolves to the file, never fetched. Only
        schema files are read (not the examples); where two files declare
        one id, the first folder, then the first file, wins, and
        :func:`duplicate_ids` reports it.
        """
        if self._declared is None:
            found: dict[str, Path] = {}
            for path, declared in self._scan_ids():
                found.setdefault(declared, path)
            self._declared = found
        return self._declared

    def duplicate_ids(self) -> dict[str, list[Path]]:
        """The ``$id`` values declared by more than one file of the first folder."""
        seen: dict[str, list[Path]] = {}
        first = self.folders[0]
        for path, declared in self._scan_ids():
            if first.holds(path):
                seen.setdefault(declared, []).append(path)
        return {k: v for k, v in seen.items() if len(v) > 1}

    def _scan_ids(self) -> Iterator[tuple[Path, str]]:
        examples = {e.path.resolve() for s in self for e in s.examples}
        for folder in self.folders:
            for path in sorted(folder.root.glob("*/*/**/*.json")):
                if (
                    path in examples
                    or "examples" in path.relative_to(folder.root).parts
                ):
                    continue
                declared = _declared_id(path)
                if declared is not None:
                    yield path.resolve(), declared

    def standard_at(self, path: Path) -> StandardVersion | None:
        """The standard version whose folder holds ``path``, if any."""
        resolved = path.resolve()
        for standard in self:
            if resolved.is_relative_to(standard.folder.resolve()):
                return standard
        return None

    def standard_of_uri(self, uri: str) -> str | None:
        """The exact reference of the standard a schema URI belongs to, if any."""
        path = self.path_for(uri)
        if path is None:
            return None
        standard = self.standard_at(path)
        return standard.ref if standard is not None else None

    def short_uri(self, uri: str) -> str:
        """A schema URI as a reader knows it: its place in the registry if canonical."""
        for folder in self.folders:
            if uri.startswith(folder.base_uri):
                return uri[len(folder.base_uri) :]
        return uri

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
