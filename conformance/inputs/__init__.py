"""Untrusted input: reading JSON and XML safely, with their limits.

Everything a payload, a schema or a settings file brings in is read here and
nowhere else: duplicate keys, NaN, invalid UTF-8, DTDs, entities, excessive
depth or size all become findings (:mod:`.json_input`, :mod:`.xml_input`), each
tied to one of the suite's own input rules (:mod:`.rules`). The suite's own
TOML files (profiles, manifests, waivers, errata) are checked against the JSON
Schemas in ``schemas/`` (:mod:`.packaged_schemas`). Imports nothing above
:mod:`conformance.model` and :mod:`conformance.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance import lazy_face

if TYPE_CHECKING:
    from conformance.inputs.json_input import JsonLimits, ParsedJson, parse_json
    from conformance.inputs.xml_input import (
        ParsedXml,
        XmlLimits,
        parse_xml,
        root_identity,
    )

__all__ = [
    "JsonLimits",
    "ParsedJson",
    "ParsedXml",
    "XmlLimits",
    "parse_json",
    "parse_xml",
    "root_identity",
]

__getattr__ = lazy_face(
    __name__,
    {
        "JsonLimits": "json_input",
        "ParsedJson": "json_input",
        "ParsedXml": "xml_input",
        "XmlLimits": "xml_input",
        "parse_json": "json_input",
        "parse_xml": "xml_input",
        "root_identity": "xml_input",
    },
)
