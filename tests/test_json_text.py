"""Indented JSON text: what Python's encoder writes, whichever writes it."""

from __future__ import annotations

import json

import pytest

from conformance.json_text import indented_json


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
