"""Intake: a pushed report checked before anything is stored.

In order, each refusal a problem (see :mod:`.problems`):

1. the body is JSON, a report of a known ``conformance-report`` version, and
   valid against that version's schema (422, each offending member named);
2. every standard version the report names exists in the service's registry
   and each file hash the report recorded is the recorded hash of that file
   (422: a report made against an edited standard, or edited afterwards);
3. every target of the report belongs to the pushing agency (403).

What passes is a :class:`Run` (read by the one report reader,
``results.report_io``) with the report's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from conformance.errors import ConformanceError
from conformance.registry.integrity import file_digest, read_lock
from conformance.registry.manifest import MANIFEST_NAME
from conformance.registry.standards import Registry
from conformance.results.report_io import run_from_document
from conformance.results.run import REPORT_FORMATS, ReportDocument, Run
from conformance.server.problems import Problem
from conformance.validation.json_validation import json_validator, validate_json


@dataclass(frozen=True, slots=True)
class Intake:
    """A pushed report that passed every check."""

    run: Run
    text: str
    sha256: str
    agency: str


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def check_report(body: bytes, registry: Registry, agency: str) -> Intake:
    """Check a pushed report; a :class:`Problem` says why it is refused."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(
            400,
            "not-json",
            "The body is not JSON",
            f"the pushed body is not JSON ({exc}); push the conformance-report.json"
            " a run wrote",
        ) from None
    fmt = document.get("report") if isinstance(document, dict) else None
    if fmt not in REPORT_FORMATS:
        raise Problem(
            422,
            "not-a-report",
            "The body is not a conformance report",
            f'the "report" member is {fmt!r}; a conformance report names one of'
            f" {', '.join(REPORT_FORMATS)}",
            [("/report", "not a known conformance-report version")],
        )
    standard = registry.resolve(str(fmt))
    findings = [
        f
        for f in validate_json(body, json_validator(registry, standard))
        if f.severity.value == "error"
    ]
    if findings:
        raise Problem(
            422,
            "invalid-report",
            "The report does not follow its format",
            f"the report does not validate against {fmt} ({len(findings)}"
            " problem(s)); each is listed in errors with its JSON Pointer",
            [(f.pointer or "", f.message) for f in findings],
        )
    _check_provenance(document, registry)
    _check_agency(document, agency)
    try:
        run = run_from_document(document, registry)
    except (ConformanceError, ValueError, KeyError, TypeError) as exc:
        raise Problem(
            422,
            "invalid-report",
            "The report does not follow its format",
            f"the report cannot be read: {exc}",
        ) from None
    return Intake(
        run=run,
        text=body.decode("utf-8"),
        sha256=hashlib.sha256(body).hexdigest(),
        agency=agency,
    )


def _check_provenance(document: ReportDocument, registry: Registry) -> None:
    errors: list[tuple[str, str]] = []
    for index, used in enumerate(document.get("standards", [])):
        where = f"/standards/{index}"
        ref = used["ref"]
        try:
            standard = registry.resolve(ref)
        except ConformanceError:
            errors.append((f"{where}/ref", f"{ref} is not in the service's registry"))
            continue
        if standard.ref != ref:
            errors.append((f"{where}/ref", f"{ref} is not an exact version"))
            continue
        recorded = read_lock(registry, standard).get(ref)
        known = (
            dict(recorded["files"])
            if recorded
            else {
                p.relative_to(standard.folder).as_posix(): file_digest(p)
                for p in standard.folder.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
            }
        )
        prefix = f"{standard.id}/{standard.version}/"
        for name, digest in used["files"].items():
            inner = name[len(prefix) :] if name.startswith(prefix) else name
            if inner == MANIFEST_NAME:
                # Its status and sunset may change after release; the record
                # hashes the manifest without them, so its bytes are not
                # compared.
                continue
            pointer = f"{where}/files/{_escape(name)}"
            if inner not in known:
                errors.append((pointer, f"{ref} has no file {inner}"))
            elif known[inner] != digest:
                errors.append(
                    (
                        pointer,
                        f"the SHA-256 of {inner} is not the recorded hash of {ref}"
                        f" ({known[inner][:12]}…)",
                    )
                )
    if errors:
        raise Problem(
            422,
            "standard-mismatch",
            "The report names standard versions the registry does not hold",
            "the standard versions the report was made with are not those of the"
            " registry (a file hash differs, or a version is unknown): run again"
            " with the released standards, unedited; errors names each file",
            errors,
        )


def _check_agency(document: ReportDocument, agency: str) -> None:
    targets = document.get("targets", [])
    others = sorted(
        {str(t.get("agency")) for t in targets if t.get("agency") != agency}
    )
    if not targets or others:
        raise Problem(
            403,
            "other-agency",
            "The token's agency may not push these results",
            f"the token belongs to agency {agency!r}, but the report's targets"
            f" belong to {', '.join(others) or 'no agency'}; each agency pushes"
            " only its own results, with its own token",
            [
                (f"/targets/{i}/agency", f"not {agency}")
                for i, t in enumerate(targets)
                if t.get("agency") != agency
            ],
        )
