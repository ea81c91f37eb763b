"""Compiled templates kept in the user's cache: used when sound, ignored
when damaged, and no cache at all where the cache folder cannot be made."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment
from jinja2.bccache import bc_magic

from conformance.reporting.templating import _compiled_templates

TEMPLATES = {
    "page.html": "<p>{{ name }} {% for n in numbers %}{{ n }},{% endfor %}</p>"
}


def _render(name: str) -> str:
    env = Environment(
        loader=DictLoader(TEMPLATES), bytecode_cache=_compiled_templates()
    )
    return env.get_template("page.html").render(name=name, numbers=[1, 2])


def test_a_template_is_compiled_once_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _render("Ələsgər") == "<p>Ələsgər 1,2,</p>"
    kept = list((tmp_path / "egov-conformance" / "templates").iterdir())
    assert len(kept) == 1
    written = kept[0].stat().st_mtime_ns
    assert _render("Nərgiz") == "<p>Nərgiz 1,2,</p>"
    assert kept[0].stat().st_mtime_ns == written  # read, not written again


def test_a_damaged_compiled_template_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _render("first")
    (kept,) = (tmp_path / "egov-conformance" / "templates").iterdir()
    sound = kept.read_bytes()
    # Jinja2 itself gives up on some (a wrong magic number, a truncated
    # code object); a sound header before garbage makes its reading raise.
    for damage in (b"", b"j2" + b"\x00" * 40, sound[:-7], bc_magic + b"garbage"):
        kept.write_bytes(damage)
        assert _render("again") == "<p>again 1,2,</p>"


def test_no_cache_where_its_folder_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "egov-conformance").write_text("a file where the folder goes")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _compiled_templates() is None
    assert _render("still") == "<p>still 1,2,</p>"
