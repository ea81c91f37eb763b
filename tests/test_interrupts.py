"""Ctrl-C inside a native library's callback still stops the run.

Python raises KeyboardInterrupt in whatever Python code runs when the signal
comes; here that is our callback inside lxml or jsonschema-rs, which made it
a schema error before (and the main job went on to the end, exit 0, after a
Ctrl-C that landed while the payload workers' schemas were compiled).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from conformance.interrupts import Callbacks
from conformance.model import JsonValue
from conformance.registry.schema_resources import ResourceLoader
from conformance.validation.json_schemas import native_validator
from conformance.validation.xml_schemas import _SandboxResolver, compile_xsd_set


def _native_call(callbacks: Callbacks, callback: BaseException) -> None:
    """What lxml and jsonschema-rs do: run a callback (here one raising
    ``callback``), and report whatever it raised as an error of their own."""
    with callbacks:
        try:
            with callbacks.noting():
                raise callback
        except BaseException:
            raise ValueError("what a native library reports") from None


def test_an_interrupt_noted_in_a_callback_replaces_what_the_caller_made_of_it():
    callbacks = Callbacks()
    with pytest.raises(KeyboardInterrupt):
        _native_call(callbacks, KeyboardInterrupt())
    # Noted once: the next native call starts clean.
    with callbacks:
        pass


def test_an_error_in_a_callback_is_left_to_the_caller():
    with pytest.raises(ValueError, match="what a native library reports"):
        _native_call(Callbacks(), LookupError("a callback's own error"))


def _importing_schema(folder: Path) -> Path:
    (folder / "types.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        ' targetNamespace="urn:test:types"><xs:simpleType name="Code">'
        '<xs:restriction base="xs:string"/></xs:simpleType></xs:schema>'
    )
    (folder / "record.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:t="urn:test:types" targetNamespace="urn:test:record">'
        '<xs:import namespace="urn:test:types" schemaLocation="types.xsd"/>'
        '<xs:element name="Record" type="t:Code"/></xs:schema>'
    )
    return folder / "record.xsd"


def test_ctrl_c_while_an_xsd_import_resolves_stops_the_compilation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    schema = _importing_schema(tmp_path)
    handed = _SandboxResolver.resolve_filename

    def ctrl_c_on_the_import(
        self: etree.Resolver, filename: str, context: object
    ) -> object:
        # Where Python would raise it, had the signal come just then.
        if filename.endswith("types.xsd"):
            raise KeyboardInterrupt
        return handed(self, filename, context)

    monkeypatch.setattr(_SandboxResolver, "resolve_filename", ctrl_c_on_the_import)
    with pytest.raises(KeyboardInterrupt):
        compile_xsd_set([schema], "1.0", [tmp_path])
    monkeypatch.undo()
    # The same schema compiles when nobody presses Ctrl-C.
    assert compile_xsd_set([schema], "1.0", [tmp_path]).global_elements == {
        "{urn:test:record}Record"
    }


class _Loader(ResourceLoader):
    """Serves one string schema for any URI; Ctrl-C lands in the call
    jsonschema-rs makes (our own walks through the schema ask first)."""

    def __init__(self, interrupted_at: int | None) -> None:
        super().__init__([])
        self.asked: list[str] = []
        self.interrupted_at = interrupted_at

    def retrieve(self, uri: str) -> JsonValue:
        self.asked.append(uri)
        if len(self.asked) == self.interrupted_at:
            raise KeyboardInterrupt
        return {"type": "string"}


# A nested $id moves the base of the $ref beside it: jsonschema-rs resolves
# it against that base, and asks the retriever for the document.
_NESTED_ID: JsonValue = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.test/record.json",
    "properties": {"code": {"$id": "parts/code.json", "$ref": "string.json"}},
}


def test_ctrl_c_while_jsonschema_rs_retrieves_stops_the_compilation():
    quiet = _Loader(interrupted_at=None)
    validator = native_validator(_NESTED_ID, quiet)
    assert validator.is_valid({"code": "x"}) and not validator.is_valid({"code": 1})
    # The last document asked for is the one jsonschema-rs asked for.
    interrupted = _Loader(interrupted_at=len(quiet.asked))
    with pytest.raises(KeyboardInterrupt):
        native_validator(_NESTED_ID, interrupted)
    assert interrupted.asked == quiet.asked
