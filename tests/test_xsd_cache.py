"""xmlschema models kept in the user's cache: read back whole, used only
while every file they were read from is unchanged, never trusted when
damaged, and still confined to the registry."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.error import URLError

import pytest

from conformance.validation import xsd_cache
from conformance.validation.xml_schemas import load_xmlschema
from conformance.validation.xsd_sandbox import SandboxFiles

# XSD 1.0 including another version's XSD; XSD 1.1 with assertions.
STANDARDS = [("person", "1.2.0", "1.0"), ("legal-entity", "2.0.0", "1.1")]


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """The user's cache, empty, and no model left from another test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(xsd_cache, "_pending", [])
    monkeypatch.setattr(xsd_cache, "_writers", [])
    return tmp_path / "xdg" / "egov-conformance" / "xsd-models"


def _kept() -> None:
    """Every model compiled so far written (in a pytest-xdist worker, whose
    threads run to its end, the suite leaves them to the end)."""
    xsd_cache.finish()
    xsd_cache.write_pending()


def _compiled_and_kept(registry: Path, name: str, version: str, xsd: str):
    path = registry / name / version / f"{name}.xsd"
    compiled = load_xmlschema(path, xsd, [registry])
    _kept()
    return path, compiled


def _errors(model, document: Path) -> list[str]:
    return [str(e.reason) for e in model.iter_errors(str(document))]


@pytest.mark.parametrize(("name", "version", "xsd"), STANDARDS)
def test_a_model_read_back_judges_every_example_as_the_compiled_one(
    tmp_registry, cache, name, version, xsd
):
    path, compiled = _compiled_and_kept(tmp_registry, name, version, xsd)
    assert len(list(cache.glob("*.pickle"))) == 1
    kept = xsd_cache.load(path, xsd, [tmp_registry.resolve()])
    assert kept is not None and kept is not compiled
    examples = sorted((path.parent / "examples").rglob("*.xml"))
    assert any("invalid" in e.parts for e in examples)
    for example in examples:
        assert _errors(kept, example) == _errors(compiled, example), example
    # What load_xmlschema gives now is the model read back.
    again = load_xmlschema(path, xsd, [tmp_registry])
    assert sorted(again.elements) == sorted(compiled.elements)
    assert _errors(again, examples[0]) == _errors(compiled, examples[0])


def test_a_model_is_compiled_again_when_a_file_it_includes_changed(tmp_registry, cache):
    path, _ = _compiled_and_kept(tmp_registry, "person", "1.2.0", "1.0")
    roots = [tmp_registry.resolve()]
    assert xsd_cache.load(path, "1.0", roots) is not None
    included = tmp_registry / "person" / "1.1.0" / "person.xsd"
    included.write_text(included.read_text("utf-8") + "<!-- edited -->\n", "utf-8")
    assert xsd_cache.load(path, "1.0", roots) is None
    # Compiled, and kept anew for the edited files.
    load_xmlschema(path, "1.0", [tmp_registry])
    _kept()
    assert xsd_cache.load(path, "1.0", roots) is not None


@pytest.mark.parametrize("damage", [b"", b"\x80\x04not a pickle", b"garbage" * 100])
def test_a_damaged_model_file_is_compiled_again(tmp_registry, cache, damage):
    path, compiled = _compiled_and_kept(tmp_registry, "person", "1.2.0", "1.0")
    (kept,) = cache.glob("*.pickle")
    kept.write_bytes(damage)
    roots = [tmp_registry.resolve()]
    assert xsd_cache.load(path, "1.0", roots) is None
    again = load_xmlschema(path, "1.0", [tmp_registry])
    assert sorted(again.elements) == sorted(compiled.elements)
    _kept()
    assert xsd_cache.load(path, "1.0", roots) is not None


def test_a_model_read_back_opens_no_file_outside_the_registry(
    tmp_registry, cache, tmp_path
):
    path, _ = _compiled_and_kept(tmp_registry, "person", "1.2.0", "1.0")
    kept = xsd_cache.load(path, "1.0", [tmp_registry.resolve()])
    assert kept is not None
    (sandbox,) = [h for h in kept.opener.handlers if isinstance(h, SandboxFiles)]
    assert sandbox.roots == (tmp_registry.resolve(),)
    outside = tmp_path / "elsewhere.xsd"
    outside.write_text("<x/>", "utf-8")
    with pytest.raises(URLError, match="outside the registry"):
        kept.opener.open(outside.as_uri())
    assert outside.as_uri() in sandbox.blocked
    inside = kept.opener.open(path.as_uri())
    assert inside.read(5) == path.read_bytes()[:5]
    inside.close()


def test_no_more_models_are_kept_than_the_most(tmp_registry, cache, monkeypatch):
    monkeypatch.setattr(xsd_cache, "MOST", 2)
    cache.mkdir(parents=True)
    # What writers killed with their run left: one long ago, one just now.
    abandoned = cache / ".0123.pickle.aaaaaaaaaaaa"
    abandoned.write_bytes(b"half")
    os.utime(abandoned, (0, 0))
    recent = cache / ".4567.pickle.bbbbbbbbbbbb"
    recent.write_bytes(b"half")
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        _compiled_and_kept(tmp_registry, "person", version, "1.0")
    kept = sorted(cache.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
    assert len(kept) == 2
    assert not abandoned.exists()
    assert recent.exists()  # perhaps another run's, writing now
    newest = tmp_registry / "person" / "1.2.0" / "person.xsd"
    assert xsd_cache.load(newest, "1.0", [tmp_registry.resolve()]) is not None


def test_a_helper_is_waited_for_and_one_that_takes_too_long_is_killed(tmp_path):
    """What a run leaves to a helper is done by the time the run ends, and
    no helper outlives it."""
    written = tmp_path / "written"
    code = textwrap.dedent(
        f"""
        import os, pathlib, time
        from conformance.processes import start_helper, wait_for_helpers

        def work():
            time.sleep(1)
            pathlib.Path({str(written)!r}).write_text("written")

        quick = [start_helper(work, "helper")]
        slow = [start_helper(lambda: time.sleep(600), "helper")]
        print(*quick, *slow)
        wait_for_helpers(quick, 60)
        wait_for_helpers(slow, 0.5)
        """
    )
    finished = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,  # the slow one waited for, not killed: 600 s
        check=True,
    )
    assert written.read_text() == "written"
    for pid in map(int, finished.stdout.split()):
        assert not Path(f"/proc/{pid}").exists(), pid
