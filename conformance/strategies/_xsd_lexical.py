"""Lexical forms of the XSD built-in datatypes, as hypothesis strategies.

Each generator takes the effective facets of a type (bounds, lengths, digits)
so that most candidates already satisfy them; the caller still checks every
candidate against the type (see ``_xsd_values``), so a generator only has to
be *likely* right, never exactly right. Text is XML-safe: no surrogates, no
control characters other than tab, line feed and carriage return (and those
only where the whiteSpace facet preserves them), no unassigned code points.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, SupportsFloat, cast

from hypothesis import strategies as st

from conformance.strategies.common import UnsupportedSchema

XSD = "http://www.w3.org/2001/XMLSchema"

# Unassigned code points are left out too: libxml2 and Python classify
# characters with different Unicode versions, and a character one of them
# does not know would make a category escape (\p{L}) disagree.
TEXT = st.characters(
    exclude_categories=("Cs", "Cc", "Cn"), exclude_characters="\ufffe\uffff"
)
TEXT_WS = st.characters(
    exclude_categories=("Cs", "Cc", "Cn"),
    exclude_characters="\ufffe\uffff",
    include_characters="\t\n\r",
)
XML_WHITESPACE = frozenset(" \t\n\r")
# Few characters, often: white space XML normalises and the characters it
# escapes, so that strings of them are drawn more than once in a while.
SPECIAL = " \t\n\r&<>\"']]>aZ0ə"
SPECIAL_NO_WS = " &<>\"']aZ0ə"

STRINGS = frozenset(
    {"string", "normalizedString", "token", "anySimpleType", "anyAtomicType"}
    | {"untypedAtomic", "language", "Name", "NCName", "ID", "IDREF", "NMTOKEN"}
    | {"anyURI"}
)
INTEGERS = {
    "integer": (None, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
    "nonNegativeInteger": (0, None),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
    "positiveInteger": (1, None),
}
NUMBERS = frozenset({"decimal", "float", "double", *INTEGERS})
TEMPORAL = frozenset(
    {"date", "dateTime", "dateTimeStamp", "time", "gYear", "gYearMonth"}
    | {"gMonth", "gDay", "gMonthDay", "duration", "dayTimeDuration"}
    | {"yearMonthDuration"}
)
BINARY = frozenset({"hexBinary", "base64Binary"})
UNSUPPORTED = {
    "QName": "a QName needs the namespace context of its element",
    "NOTATION": "a NOTATION needs notation declarations",
    "ENTITY": "an ENTITY needs an unparsed entity declared in a DTD",
}

# Names: ASCII mostly, with a few Azerbaijani letters so that non-ASCII names
# are exercised too.
_NAME_START = "A-Za-z_ƏəÇçŞş"
_NAME_CHAR = _NAME_START + r"0-9.\-"
_NAME_PATTERNS = {
    "NCName": rf"[{_NAME_START}][{_NAME_CHAR}]{{0,15}}",
    "ID": rf"[{_NAME_START}][{_NAME_CHAR}]{{0,15}}",
    "IDREF": rf"[{_NAME_START}][{_NAME_CHAR}]{{0,15}}",
    "Name": rf"[{_NAME_START}:][{_NAME_CHAR}:]{{0,15}}",
    "NMTOKEN": rf"[{_NAME_CHAR}:]{{1,16}}",
    "language": r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}",
    "anyURI": (
        r"https?://[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,2}(/[A-Za-z0-9._~\-]{0,8}){0,3}"
        r"|urn:[a-z]{1,8}:[A-Za-z0-9._~\-]{1,12}"
        r"|[A-Za-z0-9._~\-]{0,8}(/[A-Za-z0-9._~\-]{1,8}){0,2}"
    ),
}
SPARE = 24
"""How far past a lower bound generated sizes go when no upper bound is set."""


@dataclass(frozen=True)
class Facets:
    """The effective facets of an atomic type, as generators need them."""

    min_length: int = 0
    max_length: int | None = None
    # Bounds are values of the type: numbers, or dates and times.
    lower: object = None
    lower_open: bool = False
    upper: object = None
    upper_open: bool = False
    total_digits: int | None = None
    fraction_digits: int | None = None


def lexical(name: str, facets: Facets, version: str) -> st.SearchStrategy[str]:
    """Candidate lexical forms of the built-in type ``name`` (a local name)."""
    if name in UNSUPPORTED:
        raise UnsupportedSchema(
            f"xs:{name} values cannot be generated: {UNSUPPORTED[name]}"
        )
    if name in INTEGERS:
        return _integers(name, facets)
    if name == "decimal":
        return _decimals(facets)
    if name in ("float", "double"):
        return _floats(facets, 32 if name == "float" else 64)
    if name == "boolean":
        return st.sampled_from(["true", "false", "1", "0"])
    if name in TEMPORAL:
        return temporal(name, facets, version)
    if name in BINARY:
        return _binary(name, facets)
    if name in _NAME_PATTERNS:
        # Imported here: _xsd_regex imports this module (an import cycle).
        from conformance.strategies._xsd_regex import matching

        return matching(_NAME_PATTERNS[name])
    if name in STRINGS:
        return _strings(name, facets)
    raise UnsupportedSchema(
        f"values of the built-in type xs:{name} cannot be generated"
    )


def _sizes(facets: Facets) -> tuple[int, int]:
    low = facets.min_length
    high = facets.max_length if facets.max_length is not None else low + SPARE
    return low, min(high, low + SPARE)


def _strings(name: str, facets: Facets) -> st.SearchStrategy[str]:
    low, high = _sizes(facets)
    if name in ("string", "anySimpleType", "anyAtomicType", "untypedAtomic"):
        alphabets = (TEXT_WS, SPECIAL)
    else:
        # normalizedString and token are normalised by the caller (whiteSpace
        # replace or collapse), so their candidates need no tabs or line feeds.
        alphabets = (TEXT, SPECIAL_NO_WS)
    return st.one_of([st.text(a, min_size=low, max_size=high) for a in alphabets])


def _number(bound: object) -> SupportsFloat:
    # The bounds of a numeric type are numbers (int, Decimal, float).
    return cast("SupportsFloat", bound)


def _integer_range(name: str, facets: Facets) -> tuple[int | None, int | None]:
    low, high = INTEGERS.get(name, (None, None))
    if facets.lower is not None:
        lower = _number(facets.lower)
        bound = math.floor(lower) + 1 if facets.lower_open else math.ceil(lower)
        low = bound if low is None else max(low, bound)
    if facets.upper is not None:
        upper = _number(facets.upper)
        bound = math.ceil(upper) - 1 if facets.upper_open else math.floor(upper)
        high = bound if high is None else min(high, bound)
    if facets.total_digits is not None:
        most = 10**facets.total_digits - 1
        low = -most if low is None else max(low, -most)
        high = most if high is None else min(high, most)
    return low, high


def _integers(name: str, facets: Facets) -> st.SearchStrategy[str]:
    low, high = _integer_range(name, facets)
    if low is not None and high is not None and low > high:
        return st.nothing()
    numbers = st.integers(low, high)
    # Other lexical forms of the same value: a plus sign, leading zeros
    # (not with totalDigits, where engines count digits differently).
    forms = ["{}", "+{}"] if facets.total_digits is not None else ["{}", "+{}", "0{}"]
    return st.tuples(numbers, st.sampled_from(forms)).map(_integer_text)


def _integer_text(pair: tuple[int, str]) -> str:
    number, form = pair
    if number < 0:
        return str(number)
    return form.format(number)


@st.composite
def _decimals(draw: st.DrawFn, facets: Facets) -> str:
    most_scale = facets.fraction_digits if facets.fraction_digits is not None else 6
    if facets.total_digits is not None:
        most_scale = min(most_scale, facets.total_digits)
    scale = draw(st.integers(0, most_scale))
    unit = Decimal(10) ** scale
    low = high = None
    if facets.lower is not None:
        edge = Decimal(str(facets.lower)) * unit
        low = math.floor(edge) + 1 if facets.lower_open else math.ceil(edge)
    if facets.upper is not None:
        edge = Decimal(str(facets.upper)) * unit
        high = math.ceil(edge) - 1 if facets.upper_open else math.floor(edge)
    if facets.total_digits is not None:
        most = 10**facets.total_digits - 1
        low = -most if low is None else max(low, -most)
        high = most if high is None else min(high, most)
    if low is not None and high is not None and low > high:
        return "not a number"  # no value at this scale; the caller rejects it
    mantissa = draw(st.integers(low, high))
    text = format(Decimal(mantissa).scaleb(-scale), "f")
    # Other lexical forms: a plus sign, no digit before or after the point.
    form = draw(st.sampled_from(["plain", "plain", "plus", "bare"]))
    if form == "plus" and not text.startswith("-"):
        return "+" + text
    if form == "bare" and text.startswith("0.") and len(text) > 2:
        return text[1:]
    return text


def _floats(facets: Facets, width: Literal[32, 64]) -> st.SearchStrategy[str]:
    def bound(value: object) -> float | None:
        return None if value is None else float(_number(value))

    numbers = st.floats(
        min_value=bound(facets.lower),
        max_value=bound(facets.upper),
        exclude_min=facets.lower_open and facets.lower is not None,
        exclude_max=facets.upper_open and facets.upper is not None,
        allow_nan=False,
        allow_infinity=False,
        width=width,
    )
    return numbers.map(repr)


def _binary(name: str, facets: Facets) -> st.SearchStrategy[str]:
    low, high = _sizes(facets)
    data = st.binary(min_size=low, max_size=high)
    if name == "hexBinary":
        return data.map(lambda b: b.hex().upper())
    return data.map(lambda b: base64.b64encode(b).decode("ascii"))


# -- dates, times and durations ----------------------------------------------


def _days_in(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _year_range(facets: Facets, version: str) -> tuple[int, int]:
    # XSD 1.1 has a year 0000 (1 BCE); XSD 1.0 does not. Negative and
    # five-digit years are left out: engines disagree on them.
    low, high = (0 if version == "1.1" else 1), 9999
    for value, is_lower in ((facets.lower, True), (facets.upper, False)):
        year = getattr(value, "year", None)
        if isinstance(year, int):
            if is_lower:
                low = max(low, year)
            else:
                high = min(high, year)
    return low, max(low, high)


_OFFSET = st.builds(
    "{}{:02d}:{:02d}".format,
    st.sampled_from("+-"),
    st.integers(0, 13),
    st.integers(0, 59),
)
ZONES = frozenset({"", "Z", "+01:00"})
"""Time zone forms: none, Z, an offset (a sample of each, for probing)."""


def _zone(zones: frozenset[str]) -> st.SearchStrategy[str]:
    forms: list[st.SearchStrategy[str]] = [st.just(z) for z in ("", "Z") if z in zones]
    if "+01:00" in zones:
        forms += [_OFFSET, st.sampled_from(["+14:00", "-14:00"])]
    return st.one_of(forms) if forms else st.just("")


SAMPLES = {
    "date": "2000-01-01{}",
    "dateTime": "2000-01-01T10:00:00{}",
    "dateTimeStamp": "2000-01-01T10:00:00{}",
    "time": "10:00:00{}",
    "gYear": "2000{}",
    "gYearMonth": "2000-01{}",
    "gMonth": "--01{}",
    "gDay": "---01{}",
    "gMonthDay": "--01-01{}",
}
"""A lexical form of each type with a zone, for probing what a pattern allows."""


@st.composite
def _date(draw: st.DrawFn, years: tuple[int, int]) -> str:
    year = draw(st.integers(*years))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, _days_in(year, month)))
    return f"{year:04d}-{month:02d}-{day:02d}"


@st.composite
def _time(draw: st.DrawFn, fractions: bool) -> str:
    if draw(st.integers(0, 15)) == 0:
        return "24:00:00"  # the end of the day, allowed by both XSD versions
    hour, minute, second = (
        draw(st.integers(0, 23)),
        draw(st.integers(0, 59)),
        draw(st.integers(0, 59)),
    )
    text = f"{hour:02d}:{minute:02d}:{second:02d}"
    if fractions and draw(st.booleans()):
        text += "." + draw(st.text("0123456789", min_size=1, max_size=6))
    return text


@st.composite
def _duration(draw: st.DrawFn, parts: str) -> str:
    values = {p: draw(st.none() | st.integers(0, 400)) for p in parts}
    if all(v is None for v in values.values()):
        values[parts[0]] = draw(st.integers(0, 400))
    date = "".join(f"{values[p]}{p}" for p in "YMD" if values.get(p) is not None)
    time = "".join(f"{values[p]}{p.upper()}" for p in "hm" if values.get(p) is not None)
    if values.get("S") is not None:
        seconds = str(values["S"])
        if draw(st.booleans()):
            seconds += "." + draw(st.text("0123456789", min_size=1, max_size=3))
        time += seconds + "S"
    sign = draw(st.sampled_from(["", "", "-"]))
    return f"{sign}P{date}" + (f"T{time}" if time else "")


def temporal(
    name: str,
    facets: Facets,
    version: str,
    zones: frozenset[str] = ZONES,
    fractions: bool = True,
) -> st.SearchStrategy[str]:
    """Lexical forms of a date, time, g-type or duration.

    ``zones`` are the time zone forms to use (see :data:`ZONES`) and
    ``fractions`` whether seconds may have a fraction: a pattern over a
    date often allows fewer forms than the datatype.
    """
    years = _year_range(facets, version)
    date = _date(years)
    if name == "dateTimeStamp":
        zones = zones - {""} or ZONES - {""}
    zone = _zone(zones)
    if name == "date":
        return st.builds(str.__add__, date, zone)
    if name in ("dateTime", "dateTimeStamp"):
        return st.builds("{}T{}{}".format, date, _time(fractions), zone)
    if name == "time":
        return st.builds(str.__add__, _time(fractions), zone)
    if name == "gYear":
        return st.builds("{:04d}{}".format, st.integers(*years), zone)
    if name == "gYearMonth":
        return st.builds(
            "{:04d}-{:02d}{}".format, st.integers(*years), st.integers(1, 12), zone
        )
    if name == "gMonth":
        return st.builds("--{:02d}{}".format, st.integers(1, 12), zone)
    if name == "gDay":
        return st.builds("---{:02d}{}".format, st.integers(1, 31), zone)
    if name == "gMonthDay":
        # --02-29 is a valid gMonthDay: it needs no year.
        day = st.integers(1, 12).flatmap(
            lambda m: st.tuples(st.just(m), st.integers(1, _days_in(2000, m)))
        )
        return st.builds(lambda md, z: f"--{md[0]:02d}-{md[1]:02d}{z}", day, zone)
    if name == "yearMonthDuration":
        return _duration("YM")
    if name == "dayTimeDuration":
        return _duration("DhmS")
    return _duration("YMDhmS")


# -- values that are not in a datatype's lexical space -------------------------

_BAD_NUMBERS = ["", "abc", "12a", "1,5", "1.2.3", "--1", "1 2", "+-1", "٣"]
BAD_LEXICAL: dict[str, list[str]] = {
    "integer": [*_BAD_NUMBERS, "1.5", "1e3", "0x1F"],
    "decimal": [*_BAD_NUMBERS, "1e3", "INF", "NaN", "1.5e2"],
    "double": [*_BAD_NUMBERS, "inf", "nan", "1e", "e5", "1.5f"],
    "boolean": ["", "yes", "no", "True", "FALSE", "2", "t"],
    "date": [
        *("", "2021-02-29", "2021-13-01", "2021-04-31", "21-01-01", "2021-1-1"),
        *("2021-01-01T00:00:00", "01.02.2021", "2021/01/01", "0000-00-00"),
    ],
    "dateTime": [
        *("", "2021-02-29T10:00:00Z", "2021-01-01T25:00:00", "2021-01-01"),
        *("2021-01-01T10:00", "2021-01-01 10:00:00", "2021-01-01T10:60:00Z"),
    ],
    "time": ["", "25:00:00", "10:60:00", "10:00", "1:00:00", "10:00:00+15:00"],
    "gYear": ["", "21", "abcd", "2021-01", "20 21"],
    "gYearMonth": ["", "2021", "2021-13", "2021-1", "21-01"],
    "gMonth": ["", "01", "--13", "--1", "-01"],
    "gDay": ["", "01", "---32", "---1", "--01"],
    "gMonthDay": ["", "--02-30", "--13-01", "02-01", "--1-1"],
    "duration": ["", "P", "PT", "1Y", "P1YT", "P-1Y", "P1.5Y", "PT1H2", "T1H"],
    "hexBinary": ["ABC", "ZZ", "0x1F", "G0"],
    "base64Binary": ["abc", "@@@@", "ab=c", "a"],
    "name": ["", "1abc", "a b", "-a", ".a", "a@b", "a/b"],
    "language": ["", "toolongtag", "en_US", "e n", "-en"],
}


def bad_lexical(name: str) -> list[str]:
    """Strings outside the lexical space of the built-in type ``name``."""
    if name in INTEGERS:
        return BAD_LEXICAL["integer"]
    if name == "float":
        return BAD_LEXICAL["double"]
    if name in ("dateTimeStamp",):
        return [*BAD_LEXICAL["dateTime"], "2021-01-01T10:00:00"]
    if name in ("dayTimeDuration", "yearMonthDuration"):
        return [*BAD_LEXICAL["duration"], "P1Y" if name[0] == "d" else "P1D"]
    if name in ("NCName", "ID", "IDREF", "Name", "NMTOKEN"):
        return BAD_LEXICAL["name"] + (
            ["a:b"] if name in ("NCName", "ID", "IDREF") else []
        )
    return BAD_LEXICAL.get(name, [])
