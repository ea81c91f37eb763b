"""JSON text as the suite writes it: for people, indented by two spaces; for
itself, on one line."""

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


def compact_json(data: object) -> str:
    """``data`` as one line of JSON, for the suite's own reading back
    (:func:`read_json_text`), in C: a pytest item's 100 results took
    Python's encoder ten times as long.

    What orjson refuses is written by Python's encoder, as by
    :func:`indented_json`; like it, orjson writes a float that is not a
    number as ``null``.
    """
    try:
        return orjson.dumps(data).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(data, ensure_ascii=False)


def read_json_text(text: str) -> object:
    """The value of JSON text the suite wrote (:func:`compact_json`), read in
    C unless it holds what orjson refuses to read (a lone surrogate, from a
    file name that is not UTF-8)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
