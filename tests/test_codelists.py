"""Code lists: versioned reference data of the registry, bound to the rules,
their version recorded in every finding that uses them (docs/rules.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import RegistryError
from conformance.registry.codelists import (
    code_lists,
    find_code_list,
    read_code_list,
)
from conformance.registry.standards import Registry
from conformance.selfcheck.registry_checks import check_rules
from conformance.validation.payloads import Validators, validate_file

OFFICES = """id = "registry-offices"
version = "{version}"
title = "Registry offices"

[[codes]]
code = "0112"
name = "Nəsimi"
{more}"""


def test_the_shipped_code_lists_read(registry):
    found = {c.ref: c for c in code_lists(registry.roots)}
    assert {"registry-offices@1.0.0", "public-services@1.0.0"} <= set(found)
    offices = found["registry-offices@1.0.0"]
    assert "5500" in offices.values
    assert len(set(offices.values)) == len(offices.values)


def test_a_finding_on_a_code_list_names_the_list_and_its_version(registry):
    standard = registry.resolve("civil-registration-event@1.3.0")
    path = standard.folder / "examples/invalid/office-not-listed.json"
    result = validate_file(path, Validators(registry), standard=standard)
    (finding,) = [f for f in result.findings if f.rule == "cre-office-listed"]
    assert finding.pointer == "/registryOffice/code"
    assert finding.requirement == "CRE-13"
    assert "registry-offices@1.0.0" in (finding.schema_location or "")
    # A rule without a list does not claim one.
    late = standard.folder / "examples/invalid/death-after-registration.json"
    other = validate_file(late, Validators(registry), standard=standard)
    assert all("code list" not in (f.schema_location or "") for f in other.findings)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "registry-offices@1.0.0.toml",
            OFFICES.format(
                version="1.0.0", more='\n[[codes]]\ncode = "0112"\nname = "again"\n'
            ),
            "'0112' is listed twice",
        ),
        (
            "offices.toml",
            OFFICES.format(version="1.0.0", more=""),
            "must be named registry-offices@1.0.0.toml",
        ),
        ("x@1.0.0.toml", 'id = "x"\nversion = "1.0.0"\n', "title must be a string"),
        ("y@1.0.0.toml", "id = ", "not valid TOML"),
    ],
)
def test_a_broken_code_list_is_refused_naming_the_file(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        read_code_list(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_reference_to_a_missing_version_says_where_it_looked(registry):
    with pytest.raises(RegistryError, match=r"no code list registry-offices@9\.0\.0"):
        find_code_list(registry.roots, "registry-offices@9.0.0")
    with pytest.raises(RegistryError, match="not a code list reference"):
        find_code_list(registry.roots, "registry-offices")


_RULES = """<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"
  xmlns:conf="urn:az:gov:conformance" queryBinding="xpath31">
  <sch:pattern>
    <sch:rule context="/document/office">
      <sch:assert id="office-listed" conf:requirement="V-2"
        test=". = $registry-offices">office <sch:value-of select="."/> is not
        listed</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>
"""


def _registry(tmp_path: Path, listed: str) -> Registry:
    """A user's folder: a JSON-only standard whose rule uses the code list
    ``listed``, and version 1.1.0 of registry-offices (only 0112)."""
    folder = tmp_path / "visit" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "visit.schema.json").write_text(
        '{"$schema": "https://json-schema.org/draft/2020-12/schema",'
        ' "$id": "https://standards.e-gov.az/visit/1.0.0/visit.schema.json",'
        ' "type": "object", "properties": {"office": {"type": "string"}}}',
        encoding="utf-8",
    )
    (folder / "rules.sch").write_text(_RULES, encoding="utf-8")
    (folder / "standard.toml").write_text(
        f"""id = "visit"
version = "1.0.0"
title = "A visit"
status = "draft"
rules = "rules.sch"
codelists = ["{listed}"]

[json]
schema = "visit.schema.json"
requirement = "V-1"

[[requirements]]
id = "V-1"
level = "MUST"
text = "A visit validates against visit.schema.json."

[[requirements]]
id = "V-2"
level = "MUST"
text = "The office is in the list of registry offices."
""",
        encoding="utf-8",
    )
    lists = tmp_path / "codelists"
    lists.mkdir()
    (lists / "registry-offices@1.1.0.toml").write_text(
        OFFICES.format(version="1.1.0", more=""), encoding="utf-8"
    )
    return Registry.open(tmp_path)


def test_standards_check_names_a_code_list_that_does_not_exist(tmp_path):
    mine = _registry(tmp_path, "registry-offices@1.9.0")
    result = check_rules(mine, mine.resolve("visit@1.0.0"))
    assert result.outcome.value == "failed"
    assert "no code list registry-offices@1.9.0" in result.findings[0].message


@pytest.mark.parametrize(
    ("listed", "office", "refused"),
    [
        ("registry-offices@1.0.0", "5500", False),
        ("registry-offices@1.1.0", "5500", True),
        ("registry-offices@1.1.0", "0112", False),
    ],
)
def test_the_version_of_the_list_decides_and_is_recorded(
    tmp_path, listed, office, refused
):
    mine = _registry(tmp_path, listed)
    payload = tmp_path / "visit.json"
    payload.write_text(f'{{"office": "{office}"}}', encoding="utf-8")
    result = validate_file(
        payload, Validators(mine), standard=mine.resolve("visit@1.0.0")
    )
    found = [f for f in result.findings if f.rule == "office-listed"]
    assert bool(found) is refused
    if refused:
        assert (
            found[0].schema_location == f"rules.sch#office-listed (code list {listed})"
        )
        assert found[0].pointer == "/office"
