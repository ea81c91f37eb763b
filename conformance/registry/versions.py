"""Semantic versions and standard references (``person``, ``person@1.1.0``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from conformance.errors import UsageError

_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_PARTIAL = re.compile(r"(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?")
_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    """A released version number: MAJOR.MINOR.PATCH."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``1.2.3``; anything else is a :class:`UsageError`."""
        match = _VERSION.fullmatch(text)
        if not match:
            raise UsageError(
                f"{text!r} is not a version: use MAJOR.MINOR.PATCH, e.g. 1.0.0"
            )
        return cls(*(int(part) for part in match.groups()))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self.major, self.minor, self.patch) < (
            other.major,
            other.minor,
            other.patch,
        )


@dataclass(frozen=True, slots=True)
class StandardRef:
    """What a user wrote to name a standard: an id and an optional version prefix.

    ``prefix`` holds one to three numbers: ``(1,)`` for ``person@1``,
    ``(1, 1, 0)`` for ``person@1.1.0``; empty for plain ``person``.
    """

    id: str
    prefix: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> StandardRef:
        """Parse ``id``, ``id@MAJOR``, ``id@MAJOR.MINOR`` or ``id@M.M.P``."""
        ident, sep, version = text.strip().partition("@")
        if not _ID.fullmatch(ident):
            raise UsageError(
                f"{text!r} is not a standard reference: expected an id of lower-case"
                " letters, digits and hyphens, optionally followed by @VERSION"
                " (person, person@1, person@1.1.0)"
            )
        if not sep:
            return cls(ident)
        match = _PARTIAL.fullmatch(version)
        if not match:
            raise UsageError(
                f"{text!r}: {version!r} is not a version or version prefix"
                " (expected 1, 1.1 or 1.1.0)"
            )
        return cls(ident, tuple(int(p) for p in match.groups() if p is not None))

    @property
    def exact(self) -> bool:
        """True when the reference names one version."""
        return len(self.prefix) == 3

    def matches(self, version: Version) -> bool:
        """True when ``version`` starts with this reference's prefix."""
        parts = (version.major, version.minor, version.patch)
        return parts[: len(self.prefix)] == self.prefix

    def __str__(self) -> str:
        if not self.prefix:
            return self.id
        return f"{self.id}@{'.'.join(str(p) for p in self.prefix)}"


def is_standard_id(text: str) -> bool:
    """True when ``text`` is a well-formed standard id."""
    return _ID.fullmatch(text) is not None
