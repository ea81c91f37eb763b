"""JSON text as the suite writes it for people: indented by two spaces."""

from __future__ import annotations

import json

import orjson


def indented_json(data: object) -> str:
    """``data`` as ``json.dumps(data, indent=2, ensure_ascii=False)`` writes it,
    in C: Python's encoder runs in pure Python once asked to indent, which
    was most of the time spent writing a report of many results.

    Numbers keep their value but may be spelt otherwise (``0.000099`` for
    ``9.9e-05``). What orjson refuses (a lone surrogate, an integer past 64
    bits, a key that is not a string) Python's encoder writes.
    """
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(data, indent=2, ensure_ascii=False)
