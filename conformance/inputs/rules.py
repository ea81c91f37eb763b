"""The suite's own input rules, each tied to a requirement of ``exchange-rules``.

These are the checks made before any schema: is the input readable, and
safe to read. Requirement texts live in the registry
(``standards/exchange-rules``); check code refers to them by id only.
"""

from __future__ import annotations

from conformance.model import Finding, Severity

EXCHANGE_RULES = "exchange-rules@1.0.0"

# (requirement id, rule code)
JSON_ENCODING = ("ER-JSON-1", "json-encoding")
JSON_BOM = ("ER-JSON-1", "json-byte-order-mark")
JSON_SURROGATE = ("ER-JSON-1", "json-lone-surrogate")
JSON_SYNTAX = ("ER-JSON-2", "json-syntax")
JSON_DUPLICATE = ("ER-JSON-3", "json-duplicate-key")
JSON_NUMBER = ("ER-JSON-4", "json-number")
JSON_PRECISION = ("ER-JSON-5", "json-integer-precision")
JSON_DEPTH = ("ER-PAYLOAD-1", "json-depth")
JSON_SIZE = ("ER-PAYLOAD-1", "json-size")

XML_SYNTAX = ("ER-XML-1", "xml-syntax")
XML_DTD = ("ER-XML-2", "xml-dtd")
XML_ENCODING = ("ER-XML-1", "xml-encoding")
XML_SCHEMA_LOCATION = ("ER-XML-3", "xml-schema-location-ignored")
XML_DEPTH = ("ER-PAYLOAD-1", "xml-depth")
XML_SIZE = ("ER-PAYLOAD-1", "xml-size")
XML_UNKNOWN_ROOT = ("ER-XML-4", "xml-unknown-root")

FORMAT_UNKNOWN = ("ER-PAYLOAD-2", "unknown-format")


def rule_finding(
    rule: tuple[str, str],
    message: str,
    *,
    pointer: str | None = None,
    xpath: str | None = None,
    line: int | None = None,
    column: int | None = None,
    severity: Severity = Severity.ERROR,
) -> Finding:
    """A finding of one of these rules, at a JSON Pointer or an XPath."""
    requirement, code = rule
    return Finding(
        message=message,
        rule=code,
        pointer=pointer,
        xpath=xpath,
        line=line,
        column=column,
        requirement=requirement,
        standard=EXCHANGE_RULES,
        severity=severity,
    )
