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
- ``hostname``: RFC 1123 LDH labels, each 1-63 characters, 253 in all.
- ``ipv4``/``ipv6``: dotted quad without leading zeros / RFC 4291 text.
- ``uri``: RFC 3986 absolute URI; ``uri-reference``: URI or relative ref.
- ``uuid``: RFC 9562 hyphenated hex form.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_TIME = re.compile(
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|([+-])([0-9]{2}):([0-9]{2}))",
    re.ASCII,
)
_DURATION = re.compile(
    r"P(?:(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?"
    r"(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+S)?)?|[0-9]+W)",
    re.ASCII,
)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*", re.ASCII)
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_TLD = re.compile(r"[A-Za-z]{2,63}", re.ASCII)
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    re.ASCII,
)
# RFC 3986 characters: unreserved, reserved and "%" for pct-encoding.
_URI_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_SCHEME = r"[A-Za-z][A-Za-z0-9+.-]*"
_URI = re.compile(rf"{_SCHEME}:{_URI_CHARS}*", re.ASCII)
_URI_REF = re.compile(rf"{_URI_CHARS}*", re.ASCII)
_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})", re.ASCII)


def is_date(value: str) -> bool:
    """RFC 3339 full-date naming a real day."""
    match = _DATE.fullmatch(value)
    if not match:
        return False
    year, month, day = (int(g) for g in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


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
    """RFC 1123 host name."""
    if not value or len(value) > 253:
        return False
    name = value[:-1] if value.endswith(".") else value
    return all(_LABEL.fullmatch(label) for label in name.split("."))


def is_email(value: str) -> bool:
    """A mailbox in the common RFC 5321 form (see the module docstring)."""
    local, at, domain = value.rpartition("@")
    if not at or len(local) > 64 or len(value) > 254:
        return False
    if not _LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not _TLD.fullmatch(labels[-1]):
        return False
    return all(_LABEL.fullmatch(label) for label in labels)


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


def is_uri(value: str) -> bool:
    """RFC 3986 absolute URI (a scheme is required)."""
    return _URI.fullmatch(value) is not None and not _PCT.search(value)


def is_uri_reference(value: str) -> bool:
    """RFC 3986 URI reference (absolute or relative)."""
    return _URI_REF.fullmatch(value) is not None and not _PCT.search(value)


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


def format_checker() -> object:
    """A python-jsonschema ``FormatChecker`` with exactly these meanings."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(_strings_only(check))
    return checker
