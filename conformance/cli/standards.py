"""``conformance standards list|show|check|selftest|generate|lock|import``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypedDict

from conformance.cli.output import (
    EXIT_FAIL,
    EXIT_OK,
    Progress,
    Style,
    colour_wanted,
    print_json,
)
from conformance.errors import ConformanceError
from conformance.model import Outcome
from conformance.registry.manifest import MANIFEST_NAME, StandardVersion
from conformance.registry.standards import Registry
from conformance.reporting.escaping import one_line

# The self-tests and samples bring in hypothesis and the generators (about
# 0.3 s): each action imports what it uses, so `standards list` stays quick.


class _StandardRow(TypedDict):
    ref: str
    status: str
    released: str | None
    sunset: str | None
    bindings: list[str]
    owner: str | None
    title: str


# "class" is a keyword: the functional form spells the JSON key as printed.
_CheckRow = TypedDict(
    "_CheckRow",
    {
        "id": str,
        "title": str,
        "requirement": str,
        "level": str | None,
        "text": str | None,
        "class": str,
        "roles": list[str] | None,
        "writes": bool,
    },
)


def dispatch(args: argparse.Namespace, registry_path: Path | None) -> int:
    """Run one ``standards`` action."""
    if args.action == "import":
        # Writes a folder; reads no registry.
        return _import(args)
    registry = Registry.open(registry_path)
    actions = {
        "list": _list,
        "show": _show,
        "check": _check,
        "selftest": _selftest,
        "generate": _generate,
        "lock": _lock,
        "diff": _diff,
    }
    return actions[args.action](registry, args)


def _list(registry: Registry, args: argparse.Namespace) -> int:
    rows: list[_StandardRow] = []
    for standard in registry:
        rows.append(
            {
                "ref": standard.ref,
                "status": standard.status.value,
                "released": standard.released.isoformat()
                if standard.released
                else None,
                "sunset": standard.sunset.isoformat() if standard.sunset else None,
                "bindings": [b.format for b in standard.bindings],
                "owner": standard.owner_id,
                "title": standard.title,
            }
        )
    if args.format == "json":
        print_json(rows)
        return EXIT_OK
    out = sys.stdout
    out.write(f"{registry.name} ({registry.root})\n")
    if len(registry.folders) > 1:
        out.write(f"  beside the bundled standards ({registry.roots[-1]}), marked *\n")
    own = {s.ref for s in registry.own()}
    for row in rows:
        sunset = f" sunset {row['sunset']}" if row["sunset"] else ""
        mark = "" if row["ref"] in own else " *"
        out.write(
            f"  {row['ref']:<34} {row['status']:<10} {'+'.join(row['bindings']):<9}"
            f" {row['title']}{sunset}{mark}\n"
        )
    for note in registry.notes:
        out.write(f"  note: {note}\n")
    for problem in registry.problems:
        out.write(f"  BROKEN {problem.message.splitlines()[0]}\n")
    return EXIT_OK


def _interface(registry: Registry, standard: StandardVersion) -> dict[str, Any] | None:
    """The interface's classes and conventions, as ``standards show`` lists them."""
    if standard.interface is None:
        return None
    # Imported here: only versions with an interface need the probing layer.
    from conformance.probing.conventions import conventions_of

    shown: dict[str, Any] = {"document": registry.relative(standard.interface)}
    try:
        conventions = conventions_of(standard)
    except ConformanceError as exc:
        shown["problem"] = str(exc)
        return shown
    style = conventions.pagination
    ref = conventions.declared_version(standard)
    asked = conventions.version_request(standard, standard.version.major + 1)
    refused = " or ".join(map(str, conventions.unsupported_version_status))
    shown["conforms_to"] = sorted(conventions.classes)
    shown["conventions"] = {
        "correlation header": conventions.correlation_header,
        "version header": f"{conventions.version_header}: {ref}",
        "version request": f"{conventions.version_request_header}: {asked}"
        f" (refused with {refused})",
        "pagination": f"{style.style} (items at {style.items})",
        "errors": ", ".join(conventions.error_media_types)
        + f"; unknown resources {' or '.join(map(str, conventions.unknown_status))}",
    }
    return shown


def _show(registry: Registry, args: argparse.Namespace) -> int:
    standard = registry.resolve(args.ref)
    data: dict[str, Any] = {
        "ref": standard.ref,
        "title": standard.title,
        "title_az": standard.title_az,
        "status": standard.status.value,
        "released": standard.released.isoformat() if standard.released else None,
        "sunset": standard.sunset.isoformat() if standard.sunset else None,
        "owner": (
            {"id": standard.owner.id, "name": standard.owner.name}
            if standard.owner is not None
            else None
        ),
        "folder": str(standard.folder),
        "bindings": {
            b.format: {
                "schema": b.path.name,
                "requirement": b.requirement,
                **(
                    {"xsd_version": b.xsd_version, "root": b.root}
                    if b.format == "xml"
                    else {}
                ),
            }
            for b in standard.bindings
        },
        "requirements": [
            {"id": r.id, "level": r.level.value, "text": r.text}
            for r in standard.requirements
        ],
        "examples": {
            "valid": sum(e.valid for e in standard.examples),
            "invalid": sum(not e.valid for e in standard.examples),
        },
        "errata": _errata(registry, standard),
        "interface": _interface(registry, standard),
    }
    if args.format == "json":
        print_json(data)
        return EXIT_OK
    out = sys.stdout
    out.write(f"{standard.ref}: {standard.title}")
    out.write(f" / {standard.title_az}\n" if standard.title_az else "\n")
    out.write(f"  status: {standard.status}")
    if standard.released:
        out.write(f", released {standard.released}")
    if standard.sunset:
        out.write(f", sunset {standard.sunset}")
    source = standard.owner.name if standard.owner is not None else "not stated"
    out.write(f"\n  primary source: {source}\n")
    for binding in standard.bindings:
        extra = (
            f" (XSD {binding.xsd_version}, root {binding.root})"
            if binding.format == "xml"
            else ""
        )
        out.write(f"  {binding.format}: {binding.path.name}{extra}\n")
    out.write("  requirements:\n")
    for requirement in standard.requirements:
        out.write(f"    {requirement.id} {requirement.level}: {requirement.text}\n")
    examples = data["examples"]
    out.write(f"  examples: {examples['valid']} valid, {examples['invalid']} invalid\n")
    interface = data["interface"]
    if interface is not None:
        out.write(f"  interface: {interface['document']}\n")
        if "problem" in interface:
            out.write(f"    {interface['problem']}\n")
        else:
            out.write(f"    conforms to: {', '.join(interface['conforms_to'])}\n")
            for name, value in interface["conventions"].items():
                out.write(f"    {name}: {value}\n")
    errata = data["errata"]
    if errata["problem"]:
        out.write(f"  errata: {errata['problem']}\n")
    elif errata["divergences"]:
        out.write(f"  known differences between the bindings ({errata['file']}):\n")
        for entry in errata["divergences"]:
            edges = f" ({', '.join(entry['edges'])})" if entry["edges"] else ""
            out.write(
                f"    the {entry['accepted_by'].upper()} binding alone takes values at"
                f" {', '.join(entry['locations'])}{edges}: {entry['reason']}\n"
            )
    return EXIT_OK


def _errata(registry: Registry, standard: Any) -> dict[str, Any]:
    """The recorded binding differences of a version, for ``show``."""
    from conformance.errors import RegistryError
    from conformance.selfcheck.errata import divergences, errata_path

    found: dict[str, Any] = {
        "file": registry.relative(errata_path(standard)),
        "divergences": [],
        "problem": None,
    }
    try:
        recorded = divergences(registry, standard)
    except RegistryError as exc:
        found["problem"] = str(exc)
        return found
    found["divergences"] = [
        {
            "accepted_by": d.accepted_by,
            "locations": list(d.locations),
            "edges": list(d.edges),
            "reason": d.reason,
        }
        for d in recorded
    ]
    return found


def _check(registry: Registry, args: argparse.Namespace) -> int:
    from conformance.selfcheck.registry_checks import registry_checks

    standards = [registry.resolve(ref) for ref in args.refs] if args.refs else None
    checks = registry_checks(registry, standards)
    return _report_checks(checks, args, counted="registry checks", fine="passed")


def _selftest(registry: Registry, args: argparse.Namespace) -> int:
    from conformance.selfcheck.selftest import selftests

    standards = [registry.resolve(ref) for ref in args.refs] if args.refs else None
    checks = selftests(registry, standards)
    return _report_checks(checks, args, counted="self-tests", fine="passed or noted")


def _generate(registry: Registry, args: argparse.Namespace) -> int:
    from conformance.selfcheck.samples import DEFAULT_SEED, samples

    standard = registry.resolve(args.ref)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    made = samples(
        registry,
        standard,
        binding=args.binding,
        kind=args.kind,
        count=args.count,
        seed=seed,
    )
    if args.format == "json":
        print_json(
            {
                "ref": standard.ref,
                "kind": args.kind,
                "seed": None if args.kind == "boundary" else seed,
                "documents": [m.as_dict() for m in made],
            }
        )
        return EXIT_OK
    out = sys.stdout
    for number, sample in enumerate(made, 1):
        verdict = "valid" if sample.valid else "invalid"
        out.write(f"# {number}. {verdict}: {sample.label}\n{sample.text()}\n\n")
    repeat = "" if args.kind == "boundary" else f" (seed {seed})"
    out.write(
        f"{len(made)} {args.kind} {args.binding.upper()} documents of"
        f" {standard.ref}{repeat}, each confirmed by the validator\n"
    )
    return EXIT_OK


def _colour(args: argparse.Namespace, stream: TextIO) -> bool:
    choice = "never" if getattr(args, "no_color", False) else args.color
    return colour_wanted(choice, stream)


def _report_checks(
    checks: list[Any], args: argparse.Namespace, *, counted: str, fine: str
) -> int:
    """Run registry checks or self-tests; print what failed or is noted."""
    from conformance.results.run import result_to_dict

    # Self-tests take tens of seconds: progress with a total, as for a run.
    progress = Progress(
        total=len(checks), what=counted, style=Style(_colour(args, sys.stderr))
    )
    progress.start()
    results = []
    for done, check in enumerate(checks, 1):
        results.append(check.run())
        progress(done, one_line(results[-1].id))
    progress.clear()
    # A warning is a note (a self-test's binding-specific difference); any
    # other outcome but a pass fails.
    failed = [r for r in results if r.outcome not in (Outcome.PASSED, Outcome.WARNING)]
    if args.format == "json":
        print_json([result_to_dict(r) for r in results])
    else:
        out = sys.stdout
        for result in results:
            if result.outcome is Outcome.PASSED:
                continue
            mark = "note" if result.outcome is Outcome.WARNING else "FAIL"
            out.write(f"{mark}  {result.title}\n")
            for finding in result.findings:
                out.write("      " + finding.message.replace("\n", "\n      ") + "\n")
        out.write(
            f"{len(results)} {counted}: {len(results) - len(failed)} {fine},"
            f" {len(failed)} failed\n"
        )
    return EXIT_FAIL if failed else EXIT_OK


def _diff(registry: Registry, args: argparse.Namespace) -> int:
    from conformance.atomic import write_text_atomic
    from conformance.reporting.diff_page import render_diff_html
    from conformance.selfcheck.diff import Diff, diff, render_markdown, render_text

    found = diff(registry, registry.resolve(args.old), registry.resolve(args.new))
    if args.format == "json" and args.output is None:
        print_json(found.to_dict())
    else:
        renderers: dict[str, Callable[[Diff], str]] = {
            "text": render_text,
            "markdown": render_markdown,
            "html": render_diff_html,
            "json": lambda d: json.dumps(d.to_dict(), ensure_ascii=False, indent=2),
        }
        text = renderers[args.format](found)
        if args.output is not None:
            write_text_atomic(Path(args.output), text)
            sys.stdout.write(f"wrote {args.output}\n")
        else:
            sys.stdout.write(text)
    return EXIT_FAIL if found.is_minor and found.breaking else EXIT_OK


def _lock(registry: Registry, args: argparse.Namespace) -> int:
    from conformance.registry.integrity import write_lock

    refs = [registry.resolve(ref).ref for ref in args.refs] if args.refs else None
    recorded = write_lock(registry, refs)
    if recorded:
        sys.stdout.write("recorded: " + ", ".join(recorded) + "\n")
    else:
        sys.stdout.write("nothing new to record\n")
    return EXIT_OK


def list_checks(args: argparse.Namespace, registry_path: Path | None) -> int:
    """``conformance checks list``: the catalogue with each requirement's text."""
    from conformance.probing.checks import all_checks

    registry = Registry.open(registry_path)
    rows: list[_CheckRow] = []
    for spec in all_checks().values():
        requirement = registry.requirement(spec.standard, spec.requirement)
        rows.append(
            {
                "id": spec.id,
                "title": spec.title,
                "requirement": spec.requirement,
                "level": requirement.level.value if requirement else None,
                "text": requirement.text if requirement else None,
                "class": spec.conformance_class,
                "roles": sorted(spec.roles) if spec.roles is not None else None,
                "writes": spec.writes,
            }
        )
    if args.format == "json":
        print_json(rows)
        return EXIT_OK
    out = sys.stdout
    for row in rows:
        scope = ", ".join(row["roles"]) if row["roles"] else "service"
        writes = "; writes" if row["writes"] else ""
        out.write(
            f"{row['id']:<22} {row['level'] or '?':<6} {row['requirement']:<11}"
            f" {row['class']:<13} {row['title']} [{scope}{writes}]\n"
        )
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from conformance.probing.importing import (
        DEFAULT_MAX_DOCUMENT_BYTES,
        DEFAULT_MAX_DOCUMENTS,
        ImportLimits,
        import_interface,
    )

    limits = ImportLimits(
        max_documents=args.max_documents or DEFAULT_MAX_DOCUMENTS,
        max_document_bytes=args.max_document_bytes or DEFAULT_MAX_DOCUMENT_BYTES,
    )
    result = import_interface(
        args.source, args.into, allow_hosts=tuple(args.allow_host), limits=limits
    )
    out = sys.stdout
    out.write(f"imported OpenAPI {result.openapi} {result.root} into {result.folder}\n")
    for written in result.files:
        out.write(f"  {written.change:<9} {written.path}  (from {written.source})\n")
    changed = sum(w.change != "unchanged" for w in result.files)
    out.write(
        f"{len(result.files)} documents, {changed} changed;"
        f" {'wrote' if result.manifest_written else 'kept'} {MANIFEST_NAME}\n"
    )
    out.write("next:\n")
    for step in result.fill_in:
        out.write(f"  - {step}\n")
    registry = result.folder.parent.parent
    out.write(
        f"  - then: conformance --registry {registry} standards check"
        f" {result.folder.parent.name}@{result.folder.name}\n"
    )
    return EXIT_OK
