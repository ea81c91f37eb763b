"""Types shared by the JSON and XML strategies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from conformance.model import JsonValue

_D = TypeVar("_D", "JsonValue", bytes)


@dataclass(frozen=True)
class Violation:
    """The one rule an invalid example breaks, and where.

    ``rule`` is a JSON Schema keyword (``pattern``) or an XSD validation
    rule (``cvc-pattern-valid``); ``location`` a JSON Pointer or an XPath of
    local names, as findings report them.
    """

    rule: str
    location: str
    description: str


@dataclass(frozen=True)
class Invalid(Generic[_D]):
    """A document that breaks exactly one rule, with the rule it breaks."""

    document: _D  # a JSON value, or XML bytes
    violation: Violation


class UnsupportedSchema(ValueError):
    """A schema uses something the strategy compiler cannot generate."""
