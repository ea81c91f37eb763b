"""Untrusted input: reading JSON and XML safely, with their limits.

Everything a payload, a schema or a settings file brings in is read here and
nowhere else: duplicate keys, NaN, invalid UTF-8, DTDs, entities, excessive
depth or size all become findings (:mod:`.json_input`, :mod:`.xml_input`), each
tied to one of the suite's own input rules (:mod:`.rules`). The suite's own
TOML files (profiles, manifests, waivers, errata) are checked against the JSON
Schemas in ``schemas/`` (:mod:`.packaged_schemas`). Imports nothing above
:mod:`conformance.model` and :mod:`conformance.errors`.
"""
