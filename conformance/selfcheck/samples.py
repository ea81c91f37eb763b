"""Generated documents of a standard, for a person to read.

A standards author learns what a schema admits that nobody intended (an
empty name, a one-letter street, a date in year 1) by reading the documents
the generators make from it: the simplest valid ones, the boundary cases at
and past each limit, invalid ones with the rule each breaks. The same seed
gives the same documents, so a review can point at "document 3".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypothesis import strategies as st

from conformance.errors import UsageError
from conformance.model import JsonValue
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.selfcheck.selftest import SEED
from conformance.strategies import (
    Invalid,
    UnsupportedSchema,
    Violation,
    boundary_cases,
    fixed_examples,
    invalid_json,
    invalid_xml,
    valid_json,
    valid_xml,
)
from conformance.strategies.rules import (
    RuleBreak,
    XmlRuleBreak,
    breaking_one_rule,
    breaking_one_rule_xml,
    valid_json_with_rules,
    valid_xml_with_rules,
)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

KINDS = ("valid", "invalid", "boundary")
DEFAULT_SEED = SEED
"""The fixed seed the self-tests use too: one number to quote in a review."""


@dataclass(frozen=True)
class Sample:
    """One generated document and what it is."""

    binding: str
    """``json`` or ``xml``."""
    valid: bool
    label: str
    """Why it is valid or not: ``generated``, ``given at maxLength 100``,
    ``pattern at /fin: ...``."""
    document: JsonValue | bytes
    """A JSON value, or XML bytes."""
    rule: str | None = None
    location: str | None = None

    def text(self) -> str:
        """The document as a person reads it: indented JSON, or the XML."""
        if isinstance(self.document, bytes):
            return self.document.decode("utf-8", "replace")
        return json.dumps(self.document, ensure_ascii=False, indent=2)

    def as_dict(self) -> dict[str, JsonValue]:
        """For ``--format json``: the document as a JSON value or XML text."""
        return {
            "binding": self.binding,
            "valid": self.valid,
            "label": self.label,
            "rule": self.rule,
            "location": self.location,
            # An XML document is bytes (and a JSON one never is).
            "document": self.text()
            if self.binding == "xml" or isinstance(self.document, bytes)
            else self.document,
        }


def samples(
    registry: Registry,
    standard: StandardVersion,
    *,
    binding: str = "json",
    kind: str = "valid",
    count: int = 5,
    seed: int = DEFAULT_SEED,
) -> list[Sample]:
    """Up to ``count`` generated documents of one binding of a version.

    ``kind`` is ``valid``, ``invalid`` (each breaking one rule, labelled) or
    ``boundary`` (the deterministic cases at and past each limit of the JSON
    Schema; ``count`` and ``seed`` do not apply). Each document has been
    confirmed by the suite's validator. Raises :class:`UsageError` for what
    the version cannot give (no such binding, a schema with nothing to break).
    """
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    have = [b.format for b in standard.bindings]
    if binding not in have:
        raise UsageError(
            f"{standard.ref} has no {binding.upper()} binding (it has"
            f" {', '.join(have) or 'none'})"
        )
    if count < 1:
        raise UsageError(f"--count must be at least 1, not {count}")
    if kind == "boundary":
        if binding != "json":
            raise UsageError(
                "boundary cases are made from the JSON Schema: use --binding json"
            )
        return [
            Sample(
                "json",
                case.valid,
                case.label,
                case.document,
                case.violation.rule if case.violation else None,
                case.violation.location if case.violation else None,
            )
            for case in boundary_cases(registry, standard)
        ]
    strategy: SearchStrategy[JsonValue | bytes | Invalid[JsonValue] | Invalid[bytes]]
    # A JSON sample of a version with business rules knows them: a valid
    # one keeps every rule, and an invalid one may break one rule instead of
    # one keyword of the schema (docs/rules.md).
    # An XML one too: written through the standard's binding, which is what
    # the rules judge.
    with_rules = standard.rules is not None
    try:
        if kind == "valid":
            if binding == "json":
                strategy = (valid_json_with_rules if with_rules else valid_json)(
                    registry, standard
                )
            else:
                strategy = (valid_xml_with_rules if with_rules else valid_xml)(
                    registry, standard
                )
        elif binding == "json":
            strategy = invalid_json(registry, standard)
            if with_rules:
                strategy = st.one_of(
                    strategy, breaking_one_rule(registry, standard).map(_as_invalid)
                )
        else:
            strategy = invalid_xml(registry, standard)
            if with_rules:
                strategy = st.one_of(
                    strategy,
                    breaking_one_rule_xml(registry, standard).map(_as_invalid_xml),
                )
    except UnsupportedSchema as exc:
        raise UsageError(f"{standard.ref}: no {kind} documents: {exc}") from None
    # More draws than asked for: the first few are often alike (hypothesis
    # starts simple), and a person wants different documents.
    distinct: dict[str, Sample] = {}
    for made in fixed_examples(strategy, count * 4, seed):
        if not isinstance(made, Invalid):  # kind is "valid"
            sample = Sample(binding, True, "generated", made)
        else:
            violation = made.violation
            sample = Sample(
                binding,
                False,
                _label(violation.rule, violation.location, violation.description),
                made.document,
                violation.rule,
                violation.location,
            )
        distinct.setdefault(sample.text(), sample)
        if len(distinct) == count:
            break
    return list(distinct.values())


def _as_invalid_xml(broken: XmlRuleBreak) -> Invalid[bytes]:
    return Invalid(
        broken.document,
        Violation(broken.rule, broken.xpath, "breaks this business rule"),
    )


def _as_invalid(broken: RuleBreak) -> Invalid[JsonValue]:
    return Invalid(
        broken.document,
        Violation(broken.rule, broken.pointer, "breaks this business rule"),
    )


def _label(rule: str, location: str, description: str) -> str:
    # XSD descriptions start with their XPath already; JSON ones do not.
    if location and description.startswith(location):
        return f"{rule}: {description}"
    return f"{rule} at {location or 'the document'}: {description}"
