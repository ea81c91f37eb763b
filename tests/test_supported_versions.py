"""The oldest hypothesis `make test` runs is the one pyproject.toml allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_oldest_hypothesis_tested_is_the_lower_bound():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    (bound,) = [
        d for d in project["project"]["dependencies"] if d.startswith("hypothesis")
    ]
    lower = re.search(r">=([0-9.]+)", bound)
    assert lower is not None, bound
    makefile = (ROOT / "Makefile").read_text("utf-8")
    pinned = re.search(r"^OLDEST_HYPOTHESIS := (\S+)$", makefile, re.M)
    assert pinned is not None
    wanted = lower.group(1)
    assert pinned.group(1) in (wanted, wanted + ".0"), (pinned.group(1), bound)
    # And make test runs the generators' tests in that environment.
    assert "$(OLDEST)/bin/python -m pytest" in makefile
