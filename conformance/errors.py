"""One exception root for the suite.

Each subclass also inherits the builtin it corresponds to, so callers can
catch ``ValueError`` for bad input without knowing our names.
"""

from __future__ import annotations


class ConformanceError(Exception):
    """Root of every error the suite raises on purpose."""


class UsageError(ConformanceError, ValueError):
    """The user asked for something that cannot be done (exit code 2)."""


class RegistryError(UsageError):
    """The registry of standards, or one standard in it, is broken."""


class UnknownStandardError(RegistryError, LookupError):
    """A standard reference names nothing in the registry."""


class SchemaError(RegistryError):
    """A schema cannot be compiled (bad syntax, a $ref that leaves the registry)."""


class PatternError(SchemaError):
    """A regular expression in a schema is outside the supported dialect."""
