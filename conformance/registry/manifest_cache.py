"""Manifests already read and checked, kept by the hash of their bytes.

Every command opens the registry, and reading its manifests (TOML, then the
manifest schema with the reference validator) was most of a short command's
time. A manifest whose bytes were read and found valid before is taken from
the user's cache instead; the key is the SHA-256 of its bytes together with
that of the manifest schema and the suite's version, so a changed file, a
changed format or a new release reads the file again. Only manifests that
passed are kept: a broken one is read (and reported) every time.

The cache is an optimisation and nothing more: when it cannot be read or
written (no home folder, a read-only file system, a damaged file) the
manifests are read as if it did not exist.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, cast

from conformance import __version__
from conformance.atomic import write_bytes_atomic
from conformance.cache import user_cache

if TYPE_CHECKING:
    from conformance.registry.manifest import ManifestData

_FILE = "manifests.json"
_MOST = 4096  # entries kept; older ones go first when a write would pass it


def _salt() -> str:
    schema = resources.files("conformance.inputs.schemas").joinpath(
        "manifest.schema.json"
    )
    digest = hashlib.sha256(schema.read_bytes())
    digest.update(__version__.encode())
    return digest.hexdigest()


class ManifestCache:
    """Checked manifests of one process, loaded once and saved once."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else user_cache("registry") / _FILE
        self._salt = _salt()
        self._entries: dict[str, ManifestData] = {}
        self._changed = False
        try:
            stored = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return
        if isinstance(stored, dict) and stored.get("salt") == self._salt:
            entries = stored.get("entries")
            if isinstance(entries, dict):
                self._entries = cast("dict[str, ManifestData]", entries)

    @staticmethod
    def key(raw: bytes) -> str:
        """The key of a manifest's bytes."""
        return hashlib.sha256(raw).hexdigest()

    def get(self, raw: bytes) -> ManifestData | None:
        """The checked data of these bytes, if they were checked before."""
        return self._entries.get(self.key(raw))

    def put(self, raw: bytes, data: ManifestData) -> None:
        """Remember that these bytes were read as ``data`` and passed."""
        key = self.key(raw)
        if key not in self._entries:
            self._entries[key] = data
            self._changed = True

    def save(self) -> None:
        """Write the cache if it changed; a failure to write is not an error."""
        if not self._changed:
            return
        entries = dict(list(self._entries.items())[-_MOST:])
        text = json.dumps({"salt": self._salt, "entries": entries}, sort_keys=True)
        try:
            write_bytes_atomic(self.path, text.encode("utf-8"))
        except OSError:
            return
        self._changed = False
