"""Indented JSON text: what Python's encoder writes, whichever writes it."""

from __future__ import annotations

import json

import pytest

from conformance.json_text import compact_json, indented_json, read_json_text


def test_a_report_like_document_is_written_as_pythons_encoder_writes_it():
    document = {
        "report": "conformance-report@1.1.0",
        "results": [
            {"id": "p:ş.xml", "findings": [], "evidence": {}, "count": 3},
            {"id": "x", "title": 'a "quoted" \\ name\nand a line', "ok": True},
        ],
        "empty": None,
        "ratio": 0.5,
    }
    assert indented_json(document) == json.dumps(document, indent=2, ensure_ascii=False)


@pytest.mark.parametrize(
    "refused",
    [
        {"value": 2**70},  # past 64 bits
        {"name": "bad-\udcff.json"},  # a lone surrogate, from a file name
        {1: "a key that is not a string"},
    ],
    ids=["big integer", "lone surrogate", "integer key"],
)
def test_what_the_fast_encoder_refuses_is_written_all_the_same(refused):
    assert indented_json(refused) == json.dumps(refused, indent=2, ensure_ascii=False)


@pytest.mark.parametrize(
    "value",
    [
        [{"id": "p:ş.xml", "duration": 1e-06, "findings": [], "ok": True, "n": None}],
        {"value": 2**70},
        {"name": "bad-\udcff.json"},
        {"text": 'a "quoted" \\ name\nand a line\u2028'},
    ],
    ids=["results", "big integer", "lone surrogate", "escapes"],
)
def test_compact_json_is_read_back_as_it_was(value):
    text = compact_json(value)
    assert "\n" not in text
    assert read_json_text(text) == value


def test_compact_json_writes_a_key_that_is_not_a_string_as_pythons_encoder_does():
    assert read_json_text(compact_json({1: "a"})) == json.loads(json.dumps({1: "a"}))
