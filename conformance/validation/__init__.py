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
