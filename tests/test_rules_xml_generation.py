"""XML generation knows the business rules, as JSON generation does."""

from __future__ import annotations

import pytest
from lxml import etree

from conformance.selfcheck.samples import samples
from conformance.strategies import fixed_examples
from conformance.strategies.rules import breaking_one_rule_xml, valid_xml_with_rules
from conformance.validation.rules import check_xml_rules, rule_set
from conformance.validation.xml_validation import validate_xml, xml_validator

WITH_RULES = ("civil-registration-event@1.3.0", "person@1.3.0")


@pytest.mark.parametrize("ref", WITH_RULES)
def test_valid_xml_keeps_the_xsd_and_every_rule(registry, ref):
    standard = registry.resolve(ref)
    rules = rule_set(registry, standard)
    assert rules is not None
    schema = xml_validator(registry, standard)
    documents = fixed_examples(valid_xml_with_rules(registry, standard), 12, 7)
    assert documents
    for data in documents:
        assert validate_xml(data, schema) == []
        assert check_xml_rules(rules, etree.fromstring(data)) == [], data.decode()


def test_xml_breaking_one_rule_breaks_exactly_it(registry):
    standard = registry.resolve("civil-registration-event@1.3.0")
    rules = rule_set(registry, standard)
    assert rules is not None
    schema = xml_validator(registry, standard)
    cases = fixed_examples(breaking_one_rule_xml(registry, standard), 8, 7)
    assert cases
    for case in cases:
        assert validate_xml(case.document, schema) == []
        found = check_xml_rules(rules, etree.fromstring(case.document))
        assert [(f.rule, f.xpath) for f in found] == [(case.rule, case.xpath)]


def test_standards_generate_writes_xml_that_keeps_the_rules(registry):
    standard = registry.resolve("civil-registration-event@1.3.0")
    rules = rule_set(registry, standard)
    assert rules is not None
    made = samples(registry, standard, binding="xml", kind="valid", count=8)
    assert made
    for sample in made:
        data = sample.document
        assert isinstance(data, bytes)
        assert check_xml_rules(rules, etree.fromstring(data)) == []
