"""Temporary helper for authors: run every example of every standard version.

Usage: .venv/bin/python tools/check_examples.py [ID@VERSION ...]
Prints OK/BAD per example with the findings, and manifest problems.
"""

import sys

from conformance.registry.standards import Registry
from conformance.selfcheck.registry_checks import example_problems
from conformance.validation.json_validation import json_validator, validate_json
from conformance.validation.xml_validation import validate_xml, xml_validator

registry = Registry.open()
for problem in registry.problems:
    print("PROBLEM", problem)
wanted = set(sys.argv[1:])
bad = 0
for standard in registry:
    if wanted and standard.ref not in wanted:
        continue
    for example in standard.examples:
        data = example.path.read_bytes()
        try:
            if example.path.suffix == ".json":
                findings = validate_json(data, json_validator(registry, standard))
            else:
                findings = validate_xml(data, xml_validator(registry, standard))
        except Exception as exc:
            print("ERROR", standard.ref, example.path.name, exc)
            bad += 1
            continue
        errors = [f for f in findings if f.severity == "error"]
        ok = (not errors) == example.valid
        if ok and not example.valid:
            ok = not example_problems(registry, standard, example)
        bad += not ok
        print(
            "OK " if ok else "BAD",
            standard.ref,
            example.path.relative_to(standard.folder),
            [
                (
                    f.rule,
                    f.pointer if f.pointer is not None else f.xpath,
                    f.message[:100],
                )
                for f in errors
            ],
        )
print("bad:", bad)
