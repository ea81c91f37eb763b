"""The registry's self-checks pass on every shipped standard, and catch breakage."""

import json
from pathlib import Path

import pytest

from conformance.model import Outcome
from conformance.registry.locations import bundled
from conformance.registry.standards import Registry
from conformance.selfcheck.registry_checks import registry_checks

_BUNDLED = Registry.open(bundled("standards"))


@pytest.mark.parametrize("check", registry_checks(_BUNDLED), ids=lambda c: c.id)
def test_every_shipped_standard_passes_its_self_checks(check):
    result = check.run()
    assert result.outcome is Outcome.PASSED, [f.message for f in result.findings]


def _failures(root: Path, ref: str | None = None) -> dict[str, list[str]]:
    registry = Registry.open(root)
    standards = [registry.resolve(ref)] if ref else None
    found = {}
    for check in registry_checks(registry, standards):
        result = check.run()
        if result.outcome is not Outcome.PASSED:
            found[check.id] = [f.message for f in result.findings]
    return found


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def test_a_broken_schema_is_caught(tmp_registry):
    schema = tmp_registry / "address" / "1.0.0" / "address.schema.json"
    _edit_json(schema, lambda d: d["properties"]["locality"].update(type="text"))
    failures = _failures(tmp_registry, "address@1.0.0")
    messages = failures["address@1.0.0::json-schema"]
    assert any("/properties/locality/type" in m for m in messages), messages


def test_a_valid_example_that_fails_is_caught(tmp_registry):
    example = tmp_registry / "person" / "1.0.0" / "examples" / "valid" / "minimal.json"
    _edit_json(example, lambda d: d.update(fin="TOO-LONG-FIN"))
    failures = _failures(tmp_registry, "person@1.0.0")
    (messages,) = [
        m for k, m in failures.items() if k.endswith("examples/valid/minimal.json")
    ]
    assert "a valid example fails" in messages[0]
    assert "/fin" in messages[0]


def test_an_invalid_example_that_passes_is_caught(tmp_registry):
    example = (
        tmp_registry
        / "person"
        / "1.0.0"
        / "examples"
        / "invalid"
        / "fin-eight-characters.json"
    )
    _edit_json(example, lambda d: d.update(fin="5ZK3T2A"))
    failures = _failures(tmp_registry, "person@1.0.0")
    (messages,) = [
        m for k, m in failures.items() if k.endswith("fin-eight-characters.json")
    ]
    assert "an invalid example passes" in messages[0]


def test_an_invalid_example_failing_for_another_reason_is_caught(tmp_registry):
    example = (
        tmp_registry
        / "person"
        / "1.0.0"
        / "examples"
        / "invalid"
        / "fin-eight-characters.json"
    )
    _edit_json(example, lambda d: d.update(fin="5ZK3T2A", sex="x"))
    failures = _failures(tmp_registry, "person@1.0.0")
    (messages,) = [
        m for k, m in failures.items() if k.endswith("fin-eight-characters.json")
    ]
    assert "not as labelled" in messages[0]
    assert "enum at '/sex'" in messages[0]


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example/address.schema.json",
        "file:///etc/passwd",
        "../../../../../../etc/passwd",
    ],
)
def test_a_ref_leaving_the_registry_is_caught(tmp_registry, target):
    schema = tmp_registry / "person" / "1.0.0" / "person.schema.json"
    _edit_json(
        schema, lambda d: d["properties"]["registeredAddress"].update({"$ref": target})
    )
    failures = _failures(tmp_registry, "person@1.0.0")
    messages = failures["person@1.0.0::json-schema"]
    assert any("outside the registry" in m for m in messages), messages


def test_an_edited_released_version_is_caught(tmp_registry):
    schema = tmp_registry / "address" / "1.0.0" / "address.schema.json"
    _edit_json(schema, lambda d: d.update(description="quietly changed"))
    failures = _failures(tmp_registry, "address@1.0.0")
    (message,) = failures["address@1.0.0::integrity"]
    assert "released and is immutable" in message
    assert "changed: address.schema.json" in message
    assert "new version" in message


def test_an_added_file_in_a_released_version_is_caught(tmp_registry):
    extra = tmp_registry / "address" / "1.0.0" / "examples" / "valid" / "extra.json"
    extra.write_text("{}", encoding="utf-8")
    failures = _failures(tmp_registry, "address@1.0.0")
    assert "added: examples/valid/extra.json" in failures["address@1.0.0::integrity"][0]


def test_deprecating_a_released_version_is_allowed(tmp_registry):
    manifest = tmp_registry / "address" / "1.0.0" / "standard.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace('status = "active"', 'status = "deprecated"\nsunset = 2030-01-01'),
        encoding="utf-8",
    )
    assert "address@1.0.0::integrity" not in _failures(tmp_registry, "address@1.0.0")


def test_a_wrong_id_an_unknown_format_and_an_unknown_requirement_are_caught(
    tmp_registry,
):
    schema = tmp_registry / "address" / "1.0.0" / "address.schema.json"

    def break_it(d):
        d["$id"] = "https://standards.e-gov.az/address/9.9.9/address.schema.json"
        d["properties"]["locality"]["format"] = "city-name"
        d["properties"]["street"]["x-requirement"] = "ADR-99"

    _edit_json(schema, break_it)
    messages = "\n".join(
        _failures(tmp_registry, "address@1.0.0")["address@1.0.0::json-schema"]
    )
    assert "$id is" in messages
    assert "'city-name' is not a format the suite knows" in messages
    assert "'ADR-99' is not a requirement of address@1.0.0" in messages


def test_a_pattern_outside_the_dialect_is_caught(tmp_registry):
    schema = tmp_registry / "address" / "1.0.0" / "address.schema.json"
    _edit_json(
        schema,
        lambda d: d["properties"]["postalCode"].update(pattern="^(?!AZ0)AZ[0-9]{4}$"),
    )
    messages = _failures(tmp_registry, "address@1.0.0")["address@1.0.0::json-schema"]
    assert any("lookaround is not supported" in m for m in messages), messages


def test_a_broken_xsd_is_caught(tmp_registry):
    xsd = tmp_registry / "address" / "1.0.0" / "address.xsd"
    xsd.write_text(
        xsd.read_text(encoding="utf-8").replace(
            'type="adr:Text100"', 'type="adr:Nope"', 1
        ),
        encoding="utf-8",
    )
    failures = _failures(tmp_registry, "address@1.0.0")
    assert any("cannot be compiled" in m for m in failures["address@1.0.0::xsd"])


def test_a_manifest_problem_becomes_a_failed_check(tmp_registry):
    manifest = tmp_registry / "address" / "1.0.0" / "standard.toml"
    manifest.write_text("id = [", encoding="utf-8")
    failures = _failures(tmp_registry)
    (key,) = [k for k in failures if k.startswith("registry::")]
    assert "not valid TOML" in failures[key][0]


def test_a_broken_interface_is_caught(tmp_registry):
    import yaml

    path = tmp_registry / "person" / "1.2.0" / "openapi.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    operation = document["paths"]["/persons/{fin}"]["get"]
    operation["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "https://elsewhere.example/person.json"
    }
    operation["responses"]["200"]["content"]["application/xml"]["x-xsd-element"] = (
        "{urn:az:gov:std:person:1}Human"
    )
    operation["x-role"] = "fetch"
    document["paths"]["/persons"]["post"]["responses"]["201"]["headers"] = "oops"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    messages = "\n".join(
        _failures(tmp_registry, "person@1.2.0")["person@1.2.0::interface"]
    )
    assert "outside the registry" in messages
    assert "'{urn:az:gov:std:person:1}Human' is not a global element" in messages
    assert "x-role 'fetch'" in messages
    assert "headers" in messages  # the OpenAPI 3.1 document schema


def test_a_keyword_the_generators_cannot_handle_is_caught(tmp_registry):
    schema = tmp_registry / "address" / "1.0.0" / "address.schema.json"
    _edit_json(
        schema,
        lambda d: d.update(dependentSchemas={"unit": {"required": ["building"]}}),
    )
    messages = _failures(tmp_registry, "address@1.0.0")["address@1.0.0::json-schema"]
    assert any(
        "/dependentSchemas: 'dependentSchemas': the document generators" in m
        for m in messages
    ), messages


def test_too_few_examples_and_two_with_one_label_are_caught(tmp_registry):
    # The shipped versions pass this check (the test above); an author's
    # version that drops examples or labels two alike does not.
    manifest = tmp_registry / "person" / "1.0.0" / "standard.toml"
    text = manifest.read_text(encoding="utf-8")
    blocks = text.split("[[examples]]")
    valid = [b for b in blocks[1:] if "valid = true" in b]
    invalid = [b for b in blocks[1:] if "valid = false" in b]
    first_label = invalid[0][invalid[0].index("rule = ") :]
    second = invalid[1][: invalid[1].index("rule = ")] + first_label
    kept = [*valid[:2], invalid[0], second, *invalid[2:4]]
    manifest.write_text(
        blocks[0] + "".join("[[examples]]" + b for b in kept), encoding="utf-8"
    )
    failures = _failures(tmp_registry, "person@1.0.0")
    few_valid, few_invalid, duplicate = failures["person@1.0.0::examples"]
    assert few_valid.startswith(
        "person/1.0.0/standard.toml: 2 valid examples; a version carries at least 3"
    )
    assert few_invalid.startswith(
        "person/1.0.0/standard.toml: 4 invalid examples; a version carries at least 5"
    )
    assert " both break " in duplicate
    assert "give each invalid example a rule or location of its own" in duplicate
    # the relabelled example itself now fails as labelled, which is checked apart
    assert any("::example::" in key for key in failures)
