import shutil
from pathlib import Path

import pytest

from conformance.errors import RegistryError, UnknownStandardError, UsageError
from conformance.registry.manifest import Status
from conformance.registry.standards import Registry


def test_bundled_registry_reads_without_problems(registry):
    assert registry.problems == ()
    for needed in (
        "person",
        "legal-entity",
        "address",
        "civil-registration-event",
        "land-parcel",
        "service-notification",
        "problem-details",
        "exchange-rules",
        "conformance-report",
    ):
        assert needed in registry.ids()


def test_exact_reference_names_one_version_whatever_its_status(registry):
    standard = registry.resolve("person@1.0.0")
    assert standard.status is Status.DEPRECATED
    assert standard.ref == "person@1.0.0"


def test_major_prefix_picks_latest_released_minor(registry):
    assert registry.resolve("person@1").ref == "person@1.2.0"


def test_bare_id_picks_latest_active_version(registry):
    latest = registry.resolve("person")
    assert latest.status is Status.ACTIVE
    assert latest.version == max(
        s.version for s in registry.versions("person") if s.status is Status.ACTIVE
    )


def test_unknown_id_suggests_the_closest(registry):
    with pytest.raises(UnknownStandardError, match="did you mean 'person'"):
        registry.resolve("persn@1")


def test_unknown_version_lists_the_known_ones(registry):
    with pytest.raises(UnknownStandardError, match=r"has 1\.0\.0"):
        registry.resolve("person@9.9.9")


def test_prefix_never_picks_retired_or_draft(tmp_registry):
    for version in ("1.1.0", "1.2.0"):
        manifest = tmp_registry / "person" / version / "standard.toml"
        text = manifest.read_text(encoding="utf-8")
        retired = 'status = "retired"\nsunset = 2026-01-01'
        manifest.write_text(
            text.replace('status = "active"', retired), encoding="utf-8"
        )
    registry = Registry.open(tmp_registry)
    assert registry.resolve("person@1").ref == "person@1.0.0"
    draft = tmp_registry / "person" / "1.9.0"
    shutil.copytree(tmp_registry / "person" / "1.0.0", draft)
    path = draft / "standard.toml"
    text = path.read_text(encoding="utf-8").replace('"1.0.0"', '"1.9.0"', 1)
    path.write_text(text.replace('"deprecated"', '"draft"'), encoding="utf-8")
    assert Registry.open(tmp_registry).resolve("person@1").ref == "person@1.0.0"


def test_broken_manifest_is_kept_as_a_problem_not_a_crash(tmp_registry):
    manifest = tmp_registry / "address" / "1.0.0" / "standard.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("title =", "titel ="),
        encoding="utf-8",
    )
    registry = Registry.open(tmp_registry)
    assert len(registry.problems) == 1
    message = registry.problems[0].message
    assert "unknown key 'titel'" in message
    assert "did you mean 'title'" in message
    assert str(manifest) in message
    with pytest.raises(RegistryError, match="manifest is broken"):
        registry.resolve("address@1.0.0")


def test_folder_name_must_match_version(tmp_registry):
    shutil.move(tmp_registry / "address" / "1.0.0", tmp_registry / "address" / "1.0.1")
    registry = Registry.open(tmp_registry)
    assert any("does not match its folder" in p.message for p in registry.problems)


def test_missing_registry_folder_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="does not exist"):
        Registry.open(tmp_path / "nowhere")


def test_registry_can_be_chosen_by_environment(tmp_registry, monkeypatch):
    monkeypatch.setenv("CONFORMANCE_REGISTRY", str(tmp_registry))
    assert Registry.open().root == tmp_registry.resolve()


def test_xml_namespace_finds_latest_minor_or_the_named_version(registry):
    assert registry.standard_for_xml("urn:az:gov:std:person:1").ref == "person@1.2.0"
    assert (
        registry.standard_for_xml("urn:az:gov:std:person:1", "1.0.0").ref
        == "person@1.0.0"
    )
    assert registry.standard_for_xml("urn:az:gov:std:person:2").ref.startswith(
        "person@2"
    )
    assert registry.standard_for_xml("urn:unknown") is None


def test_uris_map_to_files_and_nothing_else(registry):
    schema = registry.resolve("address@1.0.0").json.path
    uri = registry.uri_for(schema)
    assert uri == "https://standards.e-gov.az/address/1.0.0/address.schema.json"
    assert registry.path_for(uri) == schema.resolve()
    assert registry.path_for("https://standards.e-gov.az/../../etc/passwd") is None
    assert registry.path_for("https://elsewhere.example/address.schema.json") is None
