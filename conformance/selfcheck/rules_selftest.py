"""The self-test of a standard's business rules (docs/rules.md).

Every rule must be satisfiable: some document the JSON Schema accepts, and
to which the rule applies, must keep it. The test runs the rules on
generated valid documents and on the version's valid JSON examples, and
reports a rule that applied to some of them and held on none ("no valid
document satisfies it": a contradiction, or a test that cannot be true of
the binding's data). It also shows that generation knows the rules: the
documents :func:`valid_json_with_rules` yields pass every rule, and
:func:`breaking_one_rule` yields documents that break exactly the one rule
they are labelled with.
"""

from __future__ import annotations

import json
import time
from collections import Counter

from hypothesis.errors import Unsatisfiable
from lxml import etree

from conformance.model import Evidence, Finding, JsonValue, Result, outcome_for
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.strategies import fixed_examples, valid_json
from conformance.strategies.rules import (
    breaking_one_rule,
    breaking_one_rule_xml,
    valid_json_with_rules,
    valid_xml_with_rules,
)
from conformance.validation.json_validation import json_validator
from conformance.validation.rules import (
    RuleSet,
    check_json_rules,
    check_xml_rules,
    rule_set,
)
from conformance.validation.xml_validation import validate_xml, xml_validator

SEED = 20261206
DOCUMENTS = 30


def _valid_examples(standard: StandardVersion) -> list[JsonValue]:
    found: list[JsonValue] = []
    for example in standard.examples:
        if example.valid and example.path.suffix == ".json":
            found.append(json.loads(example.path.read_text(encoding="utf-8")))
    return found


def rules_selftest(
    registry: Registry, standard: StandardVersion, documents: int = DOCUMENTS
) -> Result:
    """Each rule holds on some valid document it applies to; generation
    satisfies the rules, and breaks exactly one when asked to."""
    started = time.perf_counter()
    rules = rule_set(registry, standard)
    findings: list[Finding] = []
    evidence = Evidence()
    if rules is None or standard.json is None:
        return _result(standard, registry, findings, started, evidence)
    validator = json_validator(registry, standard)
    generated = fixed_examples(valid_json(registry, standard), documents, SEED)
    applied: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for document in [*_valid_examples(standard), *generated]:
        for finding in check_json_rules(registry, rules, document, applied=applied):
            failed[finding.rule] += 1
    tried = len(generated) + len(_valid_examples(standard))
    for assertion in rules.schematron.assertions:
        count = applied[assertion.id]
        if count and failed[assertion.id] >= count:
            findings.append(
                Finding(
                    message=f"no valid document satisfies the rule {assertion.id}"
                    f" ({assertion.requirement}): it applied {count} times to"
                    f" {tried} documents the JSON Schema accepts (the valid"
                    f" examples and generated ones) and failed every time; its"
                    f" test {assertion.test!r} contradicts the schema or itself",
                    rule="rule-unsatisfiable",
                    requirement=assertion.requirement,
                    standard=standard.ref,
                    schema_location=f"{rules.schematron.path.name}#{assertion.id}",
                )
            )
    # Per rule: on how many nodes it was evaluated, and how often it failed.
    counts = {"documents": tried}
    for assertion in rules.schematron.assertions:
        counts[f"{assertion.id} applied"] = applied[assertion.id]
        counts[f"{assertion.id} failed"] = failed[assertion.id]
    evidence["json"] = counts
    if findings:
        return _result(standard, registry, findings, started, evidence)
    try:
        valid = fixed_examples(valid_json_with_rules(registry, standard), 5, SEED)
        labelled = fixed_examples(breaking_one_rule(registry, standard), 5, SEED)
    except Unsatisfiable:
        # Rules that hold together on no document the schema admits, though
        # each holds alone on some: generation finds nothing to offer.
        findings.append(
            Finding(
                message="no document satisfying the JSON Schema and every rule"
                " together could be generated: the rules contradict each other"
                " or the schema; check them against the valid examples",
                rule="rule-unsatisfiable",
                standard=standard.ref,
            )
        )
        return _result(standard, registry, findings, started, evidence)
    for document in valid:
        broken = check_json_rules(registry, rules, document)
        if broken or not validator.native.is_valid(document):
            findings.append(
                Finding(
                    message="a document generated as valid breaks"
                    f" {', '.join(f.rule for f in broken) or 'the JSON Schema'}",
                    rule="generator",
                    standard=standard.ref,
                )
            )
            break
    for case in labelled:
        found = check_json_rules(registry, rules, case.document)
        if [f.rule for f in found] != [case.rule]:
            findings.append(
                Finding(
                    message=f"a document generated to break {case.rule} alone"
                    f" breaks {', '.join(f.rule for f in found) or 'nothing'}",
                    rule="generator",
                    standard=standard.ref,
                )
            )
            break
    if standard.xml is not None and standard.xml.root is not None:
        findings += _xml_generation(registry, standard, rules)
    return _result(standard, registry, findings, started, evidence)


def _xml_generation(
    registry: Registry, standard: StandardVersion, rules: RuleSet
) -> list[Finding]:
    """The XML generators keep the rules too: valid documents pass the XSD and
    every rule, and a labelled one breaks exactly its rule."""
    schema = xml_validator(registry, standard)
    valid = fixed_examples(valid_xml_with_rules(registry, standard), 3, SEED)
    labelled = fixed_examples(breaking_one_rule_xml(registry, standard), 3, SEED)
    for data in valid:
        broken = [f.rule for f in validate_xml(data, schema)]
        broken += [f.rule for f in check_xml_rules(rules, etree.fromstring(data))]
        if broken:
            return [
                Finding(
                    message="an XML document generated as valid breaks"
                    f" {', '.join(broken)}",
                    rule="generator",
                    standard=standard.ref,
                )
            ]
    for case in labelled:
        found = [
            f.rule for f in check_xml_rules(rules, etree.fromstring(case.document))
        ]
        if found != [case.rule] or validate_xml(case.document, schema):
            return [
                Finding(
                    message=f"an XML document generated to break {case.rule} alone"
                    f" breaks {', '.join(found) or 'nothing'}",
                    rule="generator",
                    standard=standard.ref,
                )
            ]
    return []


def _result(
    standard: StandardVersion,
    registry: Registry,
    findings: list[Finding],
    started: float,
    evidence: Evidence,
) -> Result:
    return Result(
        id=f"{standard.ref}::rules",
        title=f"{standard.ref}: every business rule can be satisfied",
        outcome=outcome_for(findings),
        target=registry.relative(standard.folder),
        standard=standard.ref,
        findings=tuple(findings),
        evidence=evidence,
        duration=time.perf_counter() - started,
        kind="selftest",
    )


__all__ = ["rules_selftest"]
