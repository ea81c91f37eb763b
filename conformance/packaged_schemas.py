"""The JSON Schemas of the suite's own TOML files: manifests, profiles, waivers.

Each file format is described by a schema shipped in ``conformance/schemas``
and checked with the reference validator, formats asserted.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def packaged_validator(name: str) -> Any:
    """The validator of ``conformance/schemas/<name>``, built once."""
    import jsonschema

    text = resources.files("conformance.schemas").joinpath(name)
    schema = json.loads(text.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def toml_as_json(value: Any) -> Any:
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
