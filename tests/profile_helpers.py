"""Agency profiles for tests: one text, with the lines a test needs added.

Imports nothing of the suite, so that a test module run in-process by
pytester (test_plugin) does not load the suite's modules before the run.
"""

from __future__ import annotations

import json
from pathlib import Path


def profile_text(
    *,
    agency: str = "mia",
    base_url: str = "reference",
    service_lines: tuple[str, ...] = (),
    faults: tuple[str, ...] = (),
    service: bool = True,
    payloads: Path | tuple[Path, ...] | None = None,
    payload_standard: str = "person@1.1.0",
) -> str:
    """An agency profile with a person service (``service_lines`` added to
    it) and optionally payloads (a target for each path)."""
    lines = [
        "[agency]",
        f'id = "{agency}"',
        'name = "Ministry of Internal Affairs"',
        'name_az = "Daxili İşlər Nazirliyi"',
    ]
    paths = (payloads,) if isinstance(payloads, Path) else payloads or ()
    for index, path in enumerate(paths):
        lines += [
            "[[payloads]]",
            f'id = "person{f"-{index + 1}" if index else ""}"',
            f'standard = "{payload_standard}"',
            f"path = {json.dumps(str(path))}",
        ]
    if service:
        lines += [
            "[[services]]",
            'id = "population-register"',
            'standard = "person@1.2.0"',
            f'base_url = "{base_url}"',
            *service_lines,
        ]
        if faults:
            lines.append(f"faults = {json.dumps(list(faults))}")
        lines += [
            "[services.test_data]",
            'existing = { fin = ["83EB3H4"] }',
            'missing = { fin = ["ZZZZZZZ"] }',
        ]
    return "\n".join(lines) + "\n"
