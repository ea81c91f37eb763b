"""HTML pages from Jinja2 templates: escaped by default, self-contained.

Everything a page shows from a service's reply or a payload goes through
Jinja2's autoescaping; JSON handed to a script goes through ``tojson``,
which escapes ``<``, ``>`` and ``&``. As a second line of defence each page
carries a Content-Security-Policy that allows only its own inline script
and style (by a per-page nonce) and no network resource at all: even a
``<script>`` that slipped through would not run, and nothing is fetched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from functools import cache

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from conformance.cache import user_cache
from conformance.errors import UsageError
from conformance.model import Result
from conformance.reporting.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    both,
    check_title,
    class_name,
    text,
)
from conformance.reporting.text import cited_requirements


def t(key: str, **values: object) -> Markup:
    """Both languages of a message; the page's stylesheet shows one of them.

    ``values`` fill the message's ``{name}`` fields (escaped like the rest).
    """
    az, en = both(key)
    return pair((az.format(**values), en.format(**values)))


def pair(words: tuple[str, str]) -> Markup:
    """Two texts, (Azerbaijani, English), each escaped, one shown at a time."""
    az, en = words
    if az == en:
        return Markup(escape(en))
    return Markup(
        f'<span class="l-az" lang="az">{escape(az)}</span>'
        f'<span class="l-en" lang="en">{escape(en)}</span>'
    )


def class_label(name: str) -> Markup:
    """A conformance class's name in both languages."""
    return pair(class_name(name))


def result_title(result: Result) -> Markup:
    """A result's title in both languages (a check's title is translated)."""
    check = result.evidence.get("check")
    if not check:
        return Markup(escape(result.title))
    return pair(check_title(str(check), result.title))


def ta(key: str) -> Markup:
    """Both languages as ``data-az``/``data-en`` attributes, for text-only elements.

    ``<option>`` and ``<title>`` cannot hold the two spans of :func:`t`; the
    page's script puts the chosen language's text in them.
    """
    az, en = both(key)
    return Markup(f'data-az="{escape(az)}" data-en="{escape(en)}"')


def anchor(*parts: str) -> str:
    """A stable, safe HTML id for a result (ids may hold any character)."""
    # surrogatepass: a name that is not UTF-8 (a lone surrogate) hashes too.
    text = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(text).hexdigest()
    return "r-" + digest[:16]


def _percent(score: float | None) -> str:
    return "–" if score is None else f"{round(score * 100)}%"


def _date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _cited(result: Result) -> str:
    """The requirements a result's findings break, for a table cell."""
    return ", ".join(cited_requirements(result))


class _CompiledTemplates(FileSystemBytecodeCache):
    """Templates compiled once per machine, kept in the user's cache (Jinja2
    checks each against its source and this Python): compiling the report's
    and the dashboard's took a tenth of a second at the end of every run. A
    cache that cannot be read or written only makes a run compile them."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # damaged or unreadable: compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled_templates() -> BytecodeCache | None:
    folder = user_cache("templates")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(folder))


@cache
def environment() -> Environment:
    """The template environment (built once per process)."""
    env = Environment(
        loader=PackageLoader("conformance.reporting", "templates"),
        bytecode_cache=_compiled_templates(),
        autoescape=select_autoescape(("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        t=t,
        ta=ta,
        anchor=anchor,
        text=text,
        pair=pair,
        class_label=class_label,
        result_title=result_title,
    )
    env.filters.update(percent=_percent, when=_date, cited=_cited)
    return env


def render(template: str, *, lang: str = DEFAULT_LANGUAGE, **context: object) -> str:
    """Render a page in its initial language, with a fresh nonce."""
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    return (
        environment()
        .get_template(template)
        .render(lang=lang, nonce=secrets.token_urlsafe(16), **context)
    )
