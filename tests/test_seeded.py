"""The values a seed gives do not depend on what else the process imported.

Hypothesis (from 6.131) also draws constants it finds in the source of
"local" modules, those imported from outside site-packages and the
standard library. The suite's own draws (fuzzing, fixed examples, the
simplest document) leave them out; anyone else's hypothesis tests in the
same process still draw them.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from hypothesis.internal.conjecture import providers
from run_helpers import fresh_python

pytestmark = pytest.mark.skipif(
    not hasattr(providers, "_get_local_constants"),
    reason="this hypothesis draws no constants from local modules",
)

_DRAW = """
import json, sys
sys.path.insert(0, {folder!r})
if {load}:
    import agency0, agency1, agency2
from hypothesis import given, seed, settings, strategies as st
from conformance.strategies import fixed_examples

ours = fixed_examples(st.lists(st.text()), 300, 7)
theirs = []

@settings(max_examples=300, database=None)
@seed(7)
@given(st.lists(st.text()))
def draw(value):
    theirs.append(value)

draw()

def local(values):
    return sum(any(s.startswith("!zq") for s in value) for value in values)

print(json.dumps({{"ours": ours, "local in ours": local(ours),
                  "local in theirs": local(theirs)}}))
"""


@pytest.fixture
def draws(tmp_path):
    """What the suite's fixed examples and a plain hypothesis test of the
    same seed draw, with or without three modules of many constants loaded
    (as an agency's code would be, beside the suite)."""
    folder = tmp_path / "agency"
    folder.mkdir()
    for number in range(3):
        names = "\n".join(f'C{i} = "!zq{number}{i:03d}"' for i in range(900))
        (folder / f"agency{number}.py").write_text(names + "\n", encoding="utf-8")

    def draw(*, load: bool) -> dict:
        code = textwrap.dedent(_DRAW.format(folder=str(folder), load=load))
        return json.loads(fresh_python(code, tmp_path))

    return draw


def test_the_suite_draws_no_constant_of_a_local_module(draws):
    drawn = draws(load=True)
    assert drawn["local in ours"] == 0
    # Outside the suite's draws, hypothesis is as it was: a test of the same
    # process still draws the modules' constants.
    assert drawn["local in theirs"] > 0


def test_a_seed_gives_the_same_values_whatever_modules_are_loaded(draws):
    assert draws(load=True)["ours"] == draws(load=False)["ours"]
