"""Validation of payloads against a standard's bindings.

One entry point per format: :func:`~.json_validation.validate_json` and
:func:`~.xml_validation.validate_xml`, both returning findings and never
raising on bad input; :func:`~.payloads.validate_file` finds the format of a
file by content. Schemas are compiled once per process
(:mod:`.json_schemas`, :mod:`.xml_schemas`) with one meaning for each
``format`` (:mod:`.formats`) and ECMA-262 patterns run in linear time
(:mod:`.patterns`). :mod:`.bindings` converts between the JSON and the XML
representation of a standard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance import lazy_face

if TYPE_CHECKING:
    from conformance.validation.bindings import json_to_xml, xml_to_json
    from conformance.validation.json_validation import (
        JsonValidator,
        json_validator,
        validate_json,
    )
    from conformance.validation.payloads import (
        PayloadResult,
        Validators,
        iter_payload_files,
        validate_file,
    )
    from conformance.validation.xml_validation import (
        validate_xml,
        validate_xml_file,
        xml_validator,
    )

__all__ = [
    "JsonValidator",
    "PayloadResult",
    "Validators",
    "iter_payload_files",
    "json_to_xml",
    "json_validator",
    "validate_file",
    "validate_json",
    "validate_xml",
    "validate_xml_file",
    "xml_to_json",
    "xml_validator",
]

__getattr__ = lazy_face(
    __name__,
    {
        "JsonValidator": "json_validation",
        "PayloadResult": "payloads",
        "Validators": "payloads",
        "iter_payload_files": "payloads",
        "json_to_xml": "bindings",
        "json_validator": "json_validation",
        "validate_file": "payloads",
        "validate_json": "json_validation",
        "validate_xml": "xml_validation",
        "validate_xml_file": "xml_validation",
        "xml_to_json": "bindings",
        "xml_validator": "xml_validation",
    },
)
