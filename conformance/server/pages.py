"""The service's HTML pages: its own templates over the reports' base page.

The templates extend the reports' ``_base.html.j2`` (the same stylesheet,
language switch and Content-Security-Policy) and use the same two
languages; the words only the service uses are in :data:`MESSAGES`, the
others come from ``reporting.i18n``. Autoescaping is on: whatever a pushed
report holds is shown as text.
"""

from __future__ import annotations

import secrets
from functools import cache

from jinja2 import (
    ChoiceLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup, escape

from conformance import __version__
from conformance.reporting.i18n import DEFAULT_LANGUAGE, LANGUAGES, both
from conformance.reporting.templating import anchor, environment

# key: (Azerbaijani, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "central.title": ("Mərkəzi uyğunluq xidməti", "Central compliance service"),
    "agencies": ("Qurumlar", "Agencies"),
    "standards": ("Standartlar", "Standards"),
    "latest_run": ("Son yoxlama", "Latest run"),
    "pushed_runs": ("Göndərilmiş yoxlamalar", "Pushed runs"),
    "received": ("Qəbul edilib", "Received"),
    "trend": ("Dinamika", "Trend"),
    "badge": ("Nişan", "Badge"),
    "certificate": ("Uyğunluq sertifikatı", "Conformance certificate"),
    "certificate.none": (
        "Bu yoxlama bütün MƏCBURİ tələblərə cavab vermir: sertifikat verilmir.",
        "This run does not meet every MUST requirement: no certificate.",
    ),
    "certificate.text": (
        "Bu sənəd təsdiq edir ki, aşağıdakı qurumun xidməti göstərilən standart"
        " versiyalarının bütün MƏCBURİ tələblərinə cavab verir.",
        "This certifies that the agency below meets every MUST requirement of"
        " the standard versions listed.",
    ),
    "verify": ("Yoxlama ünvanı", "Verify at"),
    "verified": ("Sertifikat etibarlıdır", "The certificate is valid"),
    "not_verified": ("Belə sertifikat yoxdur", "No such certificate"),
    "sha256": ("Hesabatın SHA-256", "The report's SHA-256"),
    "date": ("Tarix", "Date"),
    "versions": ("Versiyalar", "Versions"),
    "implemented_by": ("Tətbiq edən qurumlar", "Implemented by"),
    "full_report": ("Tam hesabat", "Full report"),
    "dashboard": ("Panel", "Dashboard"),
    "audit": ("Göndərişlərin jurnalı", "Audit of pushes"),
    "no_runs": (
        "Hələ heç bir yoxlama göndərilməyib.",
        "No run has been pushed yet.",
    ),
    "deprecated_in_use": (
        "İstifadədə olan köhnəlmiş versiyalar",
        "Deprecated versions still in use",
    ),
}


def both_words(key: str) -> tuple[str, str]:
    """A message in both languages: the service's own, else the reports'."""
    return MESSAGES.get(key) or both(key)


def words(key: str, lang: str) -> str:
    """A message in one language."""
    az, en = both_words(key)
    return az if lang == "az" else en


def t(key: str, **values: object) -> Markup:
    """Both languages of a message, shown one at a time by the page's style."""
    az, en = both_words(key)
    return Markup(
        f'<span class="l-az" lang="az">{escape(az.format(**values))}</span>'
        f'<span class="l-en" lang="en">{escape(en.format(**values))}</span>'
    )


def ta(key: str) -> Markup:
    """Both languages as ``data-az``/``data-en`` attributes (``<title>``)."""
    az, en = both_words(key)
    return Markup(f'data-az="{escape(az)}" data-en="{escape(en)}"')


@cache
def _environment() -> Environment:
    base = environment()
    env = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("conformance.server", "templates"),
                PackageLoader("conformance.reporting", "templates"),
            ]
        ),
        autoescape=select_autoescape(("html", "j2", "svg"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(base.filters)
    # The reports' helpers (translated class names and titles), then the
    # service's own words over them.
    env.globals.update(base.globals)
    env.globals.update(t=t, ta=ta, anchor=anchor, text=words)
    return env


def render_page(
    template: str, *, lang: str = DEFAULT_LANGUAGE, **context: object
) -> str:
    """A page in its initial language (unknown languages fall back)."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    return (
        _environment()
        .get_template(template)
        .render(
            lang=lang,
            nonce=secrets.token_urlsafe(16),
            version=__version__,
            **context,
        )
    )
