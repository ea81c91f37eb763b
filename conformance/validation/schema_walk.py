"""Walking a JSON Schema (draft 2020-12): every schema object in a document.

One list of the keywords that hold subschemas, used to lint a schema, to
find ``$ref`` cycles and to compile strategies.
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance.inputs.json_locate import escape_pointer_token
from conformance.model import JsonValue

SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_ONE = (
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)


def iter_subschemas(
    schema: JsonValue, where: str = ""
) -> Iterator[tuple[str, dict[str, JsonValue]]]:
    """Every schema object inside ``schema`` with its JSON Pointer, root first."""
    stack: list[tuple[str, JsonValue]] = [(where, schema)]
    while stack:
        here, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield here, node
        for keyword in SCHEMA_MAPS:
            members = node.get(keyword)
            if isinstance(members, dict):
                for name, sub in members.items():
                    stack.append(
                        (f"{here}/{keyword}/{escape_pointer_token(name)}", sub)
                    )
        for keyword in SCHEMA_LISTS:
            items = node.get(keyword)
            if isinstance(items, list):
                for index, sub in enumerate(items):
                    stack.append((f"{here}/{keyword}/{index}", sub))
        for keyword in SCHEMA_ONE:
            if keyword in node:
                stack.append((f"{here}/{keyword}", node[keyword]))
