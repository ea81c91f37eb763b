"""The manifest cache: checked manifests are not re-checked, changed ones are."""

from __future__ import annotations

import json

import pytest

from conformance.errors import RegistryError
from conformance.registry.manifest import parse_manifest
from conformance.registry.manifest_cache import ManifestCache
from conformance.registry.standards import Registry


def _manifest(tmp_registry):
    return tmp_registry / "person" / "1.1.0" / "standard.toml"


def test_a_cached_manifest_reads_as_the_file_does(tmp_registry, tmp_path):
    path = _manifest(tmp_registry)
    cache = ManifestCache(tmp_path / "cache.json")
    fresh = parse_manifest(path, cache)
    cache.save()
    again = ManifestCache(tmp_path / "cache.json")
    assert again.get(path.read_bytes()) is not None
    assert parse_manifest(path, again) == fresh
    assert parse_manifest(path, again).service == fresh.service


def test_a_changed_manifest_is_read_and_checked_again(
    tmp_registry, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    Registry.open(tmp_registry)  # every manifest now cached
    stored = tmp_path / "xdg" / "egov-conformance" / "registry" / "manifests.json"
    assert len(json.loads(stored.read_text("utf-8"))["entries"]) >= 20
    path = _manifest(tmp_registry)
    path.write_text(
        path.read_text("utf-8").replace('status = "', 'statu = "', 1), "utf-8"
    )
    registry = Registry.open(tmp_registry)
    problems = [p.message for p in registry.problems]
    assert any("statu" in p and "standard.toml" in p for p in problems), problems


def test_a_broken_manifest_is_never_cached(tmp_registry, tmp_path):
    path = _manifest(tmp_registry)
    path.write_text(path.read_text("utf-8") + "\nnonsense = 1\n", "utf-8")
    cache = ManifestCache(tmp_path / "cache.json")
    with pytest.raises(RegistryError, match="nonsense"):
        parse_manifest(path, cache)
    assert cache.get(path.read_bytes()) is None


def test_a_damaged_or_foreign_cache_is_ignored(tmp_registry, tmp_path):
    target = tmp_path / "cache.json"
    path = _manifest(tmp_registry)
    for content in (
        b"\x00not json",
        b"[]",
        json.dumps({"salt": "another version", "entries": {}}).encode(),
    ):
        target.write_bytes(content)
        cache = ManifestCache(target)
        assert cache.get(path.read_bytes()) is None
        assert parse_manifest(path, cache).ref == "person@1.1.0"


def test_an_unwritable_cache_is_not_an_error(tmp_registry, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", "utf-8")
    cache = ManifestCache(blocker / "cache.json")
    parse_manifest(_manifest(tmp_registry), cache)
    cache.save()  # cannot write under a file: quietly nothing
