"""Released versions are immutable: their content hashes live in ``integrity.json``.

The hash of a version covers every file in its folder. The manifest is
hashed without ``status`` and ``sunset``: those two may change after release
(to deprecate and retire a version), nothing else may.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypedDict

from conformance.atomic import write_text_atomic
from conformance.errors import RegistryError
from conformance.registry.manifest import (
    MANIFEST_NAME,
    StandardVersion,
    Status,
    read_manifest,
)
from conformance.registry.standards import INTEGRITY_FILE, Registry

_LIFECYCLE_KEYS = ("status", "sunset")


class VersionDigest(TypedDict):
    """The recorded hashes of one version: overall, and per file."""

    sha256: str
    files: dict[str, str]


def _files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") or part == "__pycache__" for part in p.parts)
    )


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest_digest(path: Path) -> str:
    data = read_manifest(path)
    fixed = {key: value for key, value in data.items() if key not in _LIFECYCLE_KEYS}
    canonical = json.dumps(fixed, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def version_digest(standard: StandardVersion) -> VersionDigest:
    """Per-file hashes and the version's overall hash."""
    files = {}
    for path in _files(standard.folder):
        rel = path.relative_to(standard.folder).as_posix()
        files[rel] = (
            _manifest_digest(path) if rel == MANIFEST_NAME else file_digest(path)
        )
    overall = hashlib.sha256(
        "".join(f"{name}\0{digest}\n" for name, digest in files.items()).encode()
    ).hexdigest()
    return {"sha256": overall, "files": files}


def lock_path(registry: Registry, standard: StandardVersion | None = None) -> Path:
    """The ``integrity.json`` that records a version: that of the folder holding it.

    Each registry folder keeps its own record: the bundled versions stay
    recorded in the bundled one, a user's in the user's folder.
    """
    if standard is None:
        return registry.root / INTEGRITY_FILE
    return registry.folder_of(standard.folder).root / INTEGRITY_FILE


def read_lock(
    registry: Registry, standard: StandardVersion | None = None
) -> dict[str, VersionDigest]:
    """The recorded hashes, ``{}`` when the folder has no ``integrity.json``.

    Those of the first folder (the user's), or of the folder holding ``standard``.
    """
    path = lock_path(registry, standard)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegistryError(
            f"{path}: cannot read the integrity record: {exc}"
        ) from None
    versions: dict[str, VersionDigest] = (
        data.get("versions", {}) if isinstance(data, dict) else {}
    )
    return versions


def integrity_problems(registry: Registry, standard: StandardVersion) -> list[str]:
    """Why a released version no longer matches its record (empty if it does).

    A released version not yet recorded is not a problem here (see
    :func:`integrity_notes`): `standards check` comes before `standards lock`.
    """
    if standard.status is Status.DRAFT:
        return []
    recorded = read_lock(registry, standard).get(standard.ref)
    lock = lock_path(registry, standard)
    if recorded is None:
        return []
    current = version_digest(standard)
    if current["sha256"] == recorded.get("sha256"):
        return []
    before, after = recorded.get("files", {}), current["files"]
    changed = sorted(n for n in after if n in before and after[n] != before[n])
    added = sorted(n for n in after if n not in before)
    removed = sorted(n for n in before if n not in after)
    parts = []
    for label, names in (("changed", changed), ("added", added), ("removed", removed)):
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    return [
        f"{standard.ref} was released and is immutable, but its files differ from"
        f" the hashes recorded in {lock} ({'; '.join(parts)}). Publish the change"
        " as a new version instead (a patch or minor version); only `status` and"
        " `sunset` in standard.toml may change after release"
    ]


def integrity_notes(registry: Registry, standard: StandardVersion) -> list[str]:
    """A released version with no recorded hash yet: what to run (empty otherwise)."""
    if standard.status is Status.DRAFT:
        return []
    if standard.ref in read_lock(registry, standard):
        return []
    return [
        f"{standard.ref} is released ({standard.status}) but has no hash in"
        f" {lock_path(registry, standard)} yet; once its checks pass, record it"
        f" with `conformance standards lock {standard.ref}` (after that, a change"
        " to its files fails this check)"
    ]


def write_lock(registry: Registry, refs: list[str] | None = None) -> list[str]:
    """Record the hashes of released versions (all, or those in ``refs``).

    Only versions of the first folder are recorded, in its ``integrity.json``
    (a user's registry never writes into the bundled one). Versions already
    recorded keep their hashes unless named in ``refs``: re-locking
    everything would silently bless an edit to a released version.
    Returns the refs recorded.
    """
    path = lock_path(registry)
    own = registry.own()
    others = sorted(set(refs or ()) - {s.ref for s in own})
    if others:
        raise RegistryError(
            f"{', '.join(others)} not in {registry.root}: only the versions of"
            " that folder are recorded in its integrity.json (the bundled ones"
            " are recorded in the bundled registry)"
        )
    versions = read_lock(registry)
    recorded = []
    for standard in own:
        if standard.status is Status.DRAFT:
            continue
        named = refs is not None and standard.ref in refs
        if (refs is None and standard.ref not in versions) or named:
            versions[standard.ref] = version_digest(standard)
            recorded.append(standard.ref)
    document = {
        "about": "SHA-256 of every file of every released standard version;"
        " see docs/standards.md",
        "versions": dict(sorted(versions.items())),
    }
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return recorded
