"""The JSON Schemas of the suite's own TOML files: manifests, profiles, waivers.

Each file format is described by a schema shipped in ``conformance/schemas``
and checked with the reference validator, formats asserted.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

    from conformance.model import JsonValue

TomlValue = (
    str
    | int
    | float
    | bool
    | dt.date
    | dt.datetime
    | dt.time
    | list["TomlValue"]
    | dict[str, "TomlValue"]
)
"""Any value a TOML document holds, as ``tomllib.loads`` returns it."""


@cache
def packaged_validator(name: str) -> jsonschema.Draft202012Validator:
    """The validator of ``conformance/schemas/<name>``, built once."""
    # Imported here: a command that reads none of these files (validating
    # payloads, say) never pays python-jsonschema's import.
    import jsonschema

    text = resources.files("conformance.inputs.schemas").joinpath(name)
    schema = json.loads(text.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema_problems(
    name: str,
    data: TomlValue | JsonValue,
    describe: Callable[[ValidationError], str],
) -> list[str]:
    """Each error of ``data`` against a packaged schema, described, in
    document order."""
    errors = sorted(
        packaged_validator(name).iter_errors(data),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    return [describe(e) for e in errors]


def toml_as_json(value: TomlValue) -> JsonValue:
    """A TOML document as JSON: dates and times become ISO 8601 strings.

    A date-time where a date belongs becomes a string that fails
    ``format: date``, and the message says so.
    """
    if isinstance(value, dict):
        return {k: toml_as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [toml_as_json(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def described(error: ValidationError) -> str:
    """A schema error of a TOML file as its author reads it:
    ``waivers[0].expires: ...``, unknown keys with a "did you mean"."""
    where = "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
    ).lstrip(".")
    where = where or "(top level)"
    if error.validator == "additionalProperties":
        return f"{where}: {unknown_keys(error)}"
    if error.validator == "format" and error.validator_value == "date":
        return f"{where}: {error.instance!r} is not a date; write it as YYYY-MM-DD"
    return f"{where}: {error.message}"


def unknown_keys(error: ValidationError) -> str:
    """For an ``additionalProperties`` error: each unknown key, with a
    "did you mean" where a known key is close, and the keys allowed."""
    # An additionalProperties error is always about an object, under a schema
    # that is an object too.
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    allowed = list(schema.get("properties", {}))
    hints = []
    for key in (k for k in instance if k not in allowed):
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        hints.append(f"unknown key {key!r}{hint}")
    return f"{'; '.join(hints)}; allowed: {', '.join(allowed)}"
