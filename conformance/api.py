"""The Python API for agencies' own tests: validate a payload, get its findings.

``conformance.validate(payload, "person@1.1.0")`` returns the findings of one
payload, the same the command line and the reports show (an empty list
when it conforms). The payload may be

- a JSON value built in Python (a ``dict``, a ``list``, a number, ...),
  validated as the JSON text ``json.dumps`` makes of it;
- a document as ``str`` or ``bytes``, JSON or XML (found by content), read
  with the same safety limits as a file;
- a :class:`~pathlib.Path`, read as ``conformance validate`` reads a file
  (JSON, JSON Lines or XML).

:class:`Validator` keeps one registry and its compiled schemas, for a test
suite that validates many payloads; the pytest plugin's ``conformance``
fixture gives a test one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from conformance.errors import UsageError
from conformance.model import Finding, JsonValue, Severity
from conformance.registry.standards import Registry
from conformance.reporting.text import finding_detail, finding_line
from conformance.validation.json_validation import validate_json
from conformance.validation.payloads import Validators, sniff, validate_file
from conformance.validation.xml_validation import validate_xml

Payload = (
    Mapping[str, JsonValue]
    | Sequence[JsonValue]
    | str
    | bytes
    | Path
    | int
    | float
    | bool
    | None
)
"""What :func:`validate` takes: a JSON value, a JSON or XML document, or a file."""


class Validator:
    """Validates payloads against the standards of one registry.

    ``registry`` is a :class:`Registry`, a folder, or ``None`` for the
    default (``$CONFORMANCE_REGISTRY``, else the bundled registry). Each
    standard's schema is compiled once and reused.
    """

    def __init__(self, registry: Registry | Path | str | None = None) -> None:
        self.registry = (
            registry if isinstance(registry, Registry) else Registry.open(registry)
        )
        self._validators = Validators(self.registry)

    def validate(self, payload: Payload, standard: str) -> list[Finding]:
        """The findings of ``payload`` against ``standard`` (``person@1.1.0``,
        ``person@1``); empty when it conforms.

        A payload that cannot be checked at all (a file that cannot be read,
        a standard without a binding for its format) raises :class:`UsageError`
        naming why; a payload that is merely broken (not JSON, a duplicate
        key, an XML entity) gives findings, as on the command line.
        """
        version = self.registry.resolve(standard)
        if isinstance(payload, Path):
            result = validate_file(payload, self._validators, standard=version)
            if result.error is not None:
                raise UsageError(result.error)
            return list(result.findings)
        if isinstance(payload, str | bytes):
            data = payload.encode("utf-8") if isinstance(payload, str) else payload
            if sniff(data[:4096]) == "xml":
                schema = self._validators.xml(version)
                if schema is None:
                    raise UsageError(
                        f"{version.ref} has no XML binding; validate JSON against"
                        " it, or name a standard with an XSD"
                    )
                return validate_xml(data, schema)
        else:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        validator = self._validators.json(version)
        if validator is None:
            raise UsageError(
                f"{version.ref} has no JSON binding; validate XML against it,"
                " or name a standard with a JSON Schema"
            )
        return validate_json(data, validator)

    def conforms(self, payload: Payload, standard: str) -> bool:
        """True when ``payload`` has no error finding against ``standard``."""
        findings = self.validate(payload, standard)
        return not [f for f in findings if f.severity is Severity.ERROR]

    def assert_conforms(self, payload: Payload, standard: str) -> None:
        """Raise :class:`AssertionError` listing the findings, if there are any
        of error weight; a test's failure then reads as the command's."""
        findings = self.validate(payload, standard)
        errors = [f for f in findings if f.severity is Severity.ERROR]
        if errors:
            lines = [f"the payload does not conform to {standard}:"]
            for finding in errors:
                lines.append(f"  {finding_line(finding)}")
                lines.append(f"    {finding_detail(finding, self.registry)}")
            raise AssertionError("\n".join(lines))


_DEFAULT: dict[str, Validator] = {}


def validate(
    payload: Payload, standard: str, *, registry: Registry | Path | str | None = None
) -> list[Finding]:
    """The findings of ``payload`` against ``standard``; empty when it conforms.

    >>> conformance.validate({"fin": "5ZK3T2A"}, "person@1.1.0")  # doctest: +SKIP
    [Finding(message="'givenName' is a required property", ...), ...]

    Without ``registry``, the default registry is opened once per process.
    """
    if registry is None:
        if "default" not in _DEFAULT:
            _DEFAULT["default"] = Validator()
        return _DEFAULT["default"].validate(payload, standard)
    return Validator(registry).validate(payload, standard)
