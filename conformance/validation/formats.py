"""One meaning for each JSON Schema ``format`` the suite asserts.

Validators disagree on formats (python-jsonschema's ``email`` only looks for
an ``@``; jsonschema-rs follows RFC 5321 more closely), so both validators
are given these same functions. The meanings, in short:

- ``date``: RFC 3339 ``full-date`` (``2024-02-29``), a real calendar day.
- ``time``: RFC 3339 ``full-time``: ``hh:mm:ss``, optional fraction, and a
  required offset (``Z`` or ``+04:00``); second 60 only as a leap second.
- ``date-time``: RFC 3339 ``date-time``; ``T`` and ``Z`` in either case.
- ``duration``: RFC 3339 appendix A / ISO 8601 duration (``P1Y2M``, ``PT36H``).
- ``email``: an RFC 5321 mailbox in its common form: a dot-atom local part
  of ASCII letters, digits and ``!#$%&'*+/=?^_`{|}~-``, ``@``, and a domain
  of at least two LDH labels ending in a letter-only top-level label. No
  quoted local parts, IP literals or comments: agencies exchange addresses
  people type, and those forms are where implementations disagree.
- ``hostname``: RFC 1123 LDH labels, each 1-63 characters, 253 in all, and
  no trailing dot.
- ``ipv4``/``ipv6``: dotted quad without leading zeros / RFC 4291 text.
- ``uri``: RFC 3986 absolute URI; ``uri-reference``: URI or relative ref.
- ``uuid``: RFC 9562 hyphenated hex form.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jsonschema

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_TIME = re.compile(
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|([+-])([0-9]{2}):([0-9]{2}))",
    re.ASCII,
)
# RFC 3339 appendix A, term by term: a year may be followed by months, months
# by days, hours by minutes, minutes by seconds, and nothing skips a unit.
_DUR_TIME = r"T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)"
_DUR_DATE = r"(?:[0-9]+D|[0-9]+M(?:[0-9]+D)?|[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?)"
_DURATION = re.compile(
    rf"P(?:{_DUR_DATE}(?:{_DUR_TIME})?|{_DUR_TIME}|[0-9]+W)", re.ASCII
)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL_TEXT = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_LABEL = re.compile(_LABEL_TEXT, re.ASCII)
# One pass: at most 254 characters, a local part of at most 64, dot-atoms,
# at least two domain labels, and a top-level label of letters only.
_EMAIL = re.compile(
    rf"(?=.{{3,254}}$)(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*"
    rf"@(?:{_LABEL_TEXT}\.)+[A-Za-z]{{2,63}}",
    re.ASCII,
)
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    re.ASCII,
)
# RFC 3986, from its ABNF. An IP literal is matched loosely here and then
# checked as an address.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT_ENCODED = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT_ENCODED})"
_SEGMENT_NZ_NC = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}@]|{_PCT_ENCODED})+"
_QUERY = rf"(?:{_PCHAR}|[/?])*"
_USERINFO = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT_ENCODED})*"
_REG_NAME = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT_ENCODED})*"
_HOST = rf"(?:\[(?P<literal>[0-9A-Za-z:.]+)\]|{_REG_NAME})"
_AUTHORITY = rf"(?:{_USERINFO}@)?{_HOST}(?::[0-9]*)?"
_ABEMPTY = rf"(?:/{_PCHAR}*)*"
_ABSOLUTE = rf"/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?"
_ROOTLESS = rf"{_PCHAR}+(?:/{_PCHAR}*)*"
_NOSCHEME = rf"{_SEGMENT_NZ_NC}(?:/{_PCHAR}*)*"
_TAIL = rf"(?:\?{_QUERY})?(?:#{_QUERY})?"
_SCHEME = r"[A-Za-z][A-Za-z0-9+.-]*"
_URI = re.compile(
    rf"{_SCHEME}:(?://{_AUTHORITY}{_ABEMPTY}|{_ABSOLUTE}|{_ROOTLESS}|){_TAIL}",
    re.ASCII,
)
_RELATIVE = re.compile(
    rf"(?://{_AUTHORITY}{_ABEMPTY}|{_ABSOLUTE}|{_NOSCHEME}|){_TAIL}", re.ASCII
)


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _real_day(year: int, month: int, day: int) -> bool:
    # Proleptic Gregorian calendar, year 0000 included as RFC 3339 allows it.
    if not 1 <= month <= 12 or day < 1:
        return False
    if day <= 28:
        return True
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return day <= 28 + leap
    return day <= _DAYS[month - 1]


def is_date(value: str) -> bool:
    """RFC 3339 full-date naming a real day."""
    match = _DATE.fullmatch(value)
    if not match:
        return False
    return _real_day(int(match[1]), int(match[2]), int(match[3]))


def is_time(value: str) -> bool:
    """RFC 3339 full-time with a required offset."""
    match = _TIME.fullmatch(value)
    if not match:
        return False
    hour, minute, second = int(match[1]), int(match[2]), int(match[3])
    if hour > 23 or minute > 59 or second > 60:
        return False
    if match[6]:
        off_h, off_m = int(match[7]), int(match[8])
        if off_h > 23 or off_m > 59:
            return False
        if second == 60:
            sign = 1 if match[6] == "+" else -1
            total = (hour * 60 + minute - sign * (off_h * 60 + off_m)) % (24 * 60)
            return total == 23 * 60 + 59
    elif second == 60:
        return hour == 23 and minute == 59
    return True


def is_date_time(value: str) -> bool:
    """RFC 3339 date-time."""
    if len(value) < 20 or value[10] not in "Tt":
        return False
    return is_date(value[:10]) and is_time(value[11:])


def is_duration(value: str) -> bool:
    """ISO 8601 duration as RFC 3339 appendix A writes it."""
    return value not in ("P", "PT") and _DURATION.fullmatch(value) is not None


def is_hostname(value: str) -> bool:
    """RFC 1123 host name: LDH labels of 1-63 characters, 253 in all, no final dot."""
    if not value or len(value) > 253:
        return False
    return all(_LABEL.fullmatch(label) for label in value.split("."))


def is_email(value: str) -> bool:
    """A mailbox in the common RFC 5321 form (see the module docstring)."""
    return _EMAIL.fullmatch(value) is not None


def is_ipv4(value: str) -> bool:
    """Dotted-quad IPv4 address, no leading zeros."""
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def is_ipv6(value: str) -> bool:
    """RFC 4291 IPv6 address text (no zone index)."""
    if "%" in value:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def _ip_literal_ok(match: re.Match[str]) -> bool:
    literal = match.group("literal")
    if literal is None:
        return True
    if literal[:1] in "vV":
        # IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
        return (
            re.fullmatch(r"[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~:]+", literal) is not None
        )
    return is_ipv6(literal)


def is_uri(value: str) -> bool:
    """RFC 3986 absolute URI (a scheme is required)."""
    match = _URI.fullmatch(value)
    return match is not None and _ip_literal_ok(match)


def is_uri_reference(value: str) -> bool:
    """RFC 3986 URI reference (absolute or relative)."""
    if is_uri(value):
        return True
    match = _RELATIVE.fullmatch(value)
    return match is not None and _ip_literal_ok(match)


def is_uuid(value: str) -> bool:
    """Hyphenated UUID."""
    return _UUID.fullmatch(value) is not None


def _strings_only(check: Callable[[str], bool]) -> Callable[[object], bool]:
    # JSON Schema formats only constrain strings; other types pass.
    def wrapper(value: object) -> bool:
        return not isinstance(value, str) or check(value)

    wrapper.__name__ = check.__name__
    wrapper.__doc__ = check.__doc__
    return wrapper


NATIVE_OVERRIDES = frozenset({"email", "hostname"})
"""Formats where jsonschema-rs's built-in meaning differs from ours, so it is
given our function. For every other format its built-in check is used (it
is far faster than a call back into Python); tests/test_formats.py proves,
on generated strings, that it means exactly what the function here means."""

FORMATS: dict[str, Callable[[str], bool]] = {
    "date": is_date,
    "time": is_time,
    "date-time": is_date_time,
    "duration": is_duration,
    "email": is_email,
    "hostname": is_hostname,
    "ipv4": is_ipv4,
    "ipv6": is_ipv6,
    "uri": is_uri,
    "uri-reference": is_uri_reference,
    "uuid": is_uuid,
}
"""Every format the suite knows; a schema using another one is rejected."""


def format_checker() -> jsonschema.FormatChecker:
    """A python-jsonschema ``FormatChecker`` with exactly these meanings."""
    import jsonschema  # only the reference validator needs it

    checker = jsonschema.FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(_strings_only(check))
    return checker
