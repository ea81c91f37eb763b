"""OpenAPI 3.0 Schema Objects read as JSON Schema draft 2020-12.

OpenAPI 3.0 describes data with its own dialect of JSON Schema (an extended
subset of draft 4/5): ``nullable``, boolean ``exclusiveMinimum`` and
``exclusiveMaximum``, ``example``, ``x-`` extensions, the data-type formats
``int32``, ``int64``, ``float``, ``double``, ``byte``, ``binary`` and
``password``, and a ``$ref`` whose sibling keywords are ignored. The suite
validates with draft 2020-12 only, so a 3.0 interface is translated once,
when it is loaded, into the schema that accepts and refuses exactly the
values the 3.0 meaning does (:func:`schema_from_openapi30`).

Only keywords change: every schema object stays at its JSON Pointer, so an
error located in the translated document points at the same place in the
file its author wrote.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from urllib.parse import unquote, urljoin

from conformance.errors import SchemaError
from conformance.inputs.json_locate import escape_pointer_token
from conformance.model import JsonValue
from conformance.registry.schema_resources import ResourceLoader
from conformance.validation.schema_walk import SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_ONE

# The ranges OpenAPI 3.0 gives its integer formats ("Data Types").
_INTEGER_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
# Formats OpenAPI 3.0 defines that constrain nothing JSON can check: a float
# or double is any JSON number, binary any octets, password a UI hint.
_UNCHECKED_FORMATS = frozenset({"float", "double", "binary", "password"})

# Keys of an OpenAPI document under which a value is data, not description:
# a "schema" member inside an example is not a Schema Object.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})


def openapi_version(document: dict[str, JsonValue], name: str) -> str:
    """``"3.0"`` or ``"3.1"`` from the document's ``openapi`` member.

    A document without one is read as 3.1, as before (its shape is checked
    by ``conformance standards check``); any other version is refused.
    """
    declared = document.get("openapi", "3.1.0")
    if isinstance(declared, str):
        for version in ("3.0", "3.1"):
            if declared == version or declared.startswith(version + "."):
                return version
    raise SchemaError(
        f"{name}: openapi is {declared!r}; the suite reads OpenAPI 3.0.x and"
        " 3.1.x documents (a Swagger 2.0 document must be converted to 3.0"
        " first)"
    )


def schema_from_openapi30(schema: JsonValue) -> JsonValue:
    """The draft 2020-12 schema with the meaning of an OpenAPI 3.0 Schema Object.

    - a ``$ref`` keeps no sibling keyword (3.0 ignores them);
    - ``nullable: true`` adds ``"null"`` to ``type``, and only to a ``type``
      given beside it (OpenAPI 3.0.3: other keywords such as ``enum`` keep
      refusing null unless they list it);
    - ``exclusiveMinimum: true`` with ``minimum: m`` becomes
      ``exclusiveMinimum: m`` (likewise for the maximum); ``false``, or
      ``true`` without the bound, constrains nothing and goes;
    - ``example`` becomes ``examples: [example]``;
    - ``int32`` and ``int64`` become the bounds of their ranges; ``float``,
      ``double``, ``binary`` and ``password`` go (they constrain nothing);
      ``byte`` becomes ``contentEncoding: base64`` (an annotation, as 3.0
      tools do not check it either);
    - ``x-`` extensions and annotations (``discriminator``, ``xml``,
      ``readOnly``...) stay: draft 2020-12 ignores keywords it does not know.

    Subschemas are translated too; the argument is not changed. Translating
    a translated schema changes nothing.
    """
    result = copy.deepcopy(schema)
    for _, node in _schema_nodes(result):
        _translate_node(node)
    return result


def _schema_nodes(schema: JsonValue) -> list[tuple[str, dict[str, JsonValue]]]:
    # Every schema object, found before any is changed (translating a $ref
    # drops its siblings, which are then not schemas to translate).
    found: list[tuple[str, dict[str, JsonValue]]] = []
    stack: list[tuple[str, JsonValue]] = [("", schema)]
    while stack:
        here, node = stack.pop()
        if not isinstance(node, dict):
            continue
        found.append((here, node))
        if "$ref" in node:
            continue
        for keyword in SCHEMA_MAPS:
            members = node.get(keyword)
            if isinstance(members, dict):
                stack.extend(
                    (f"{here}/{keyword}/{escape_pointer_token(k)}", v)
                    for k, v in members.items()
                )
        for keyword in SCHEMA_LISTS:
            items = node.get(keyword)
            if isinstance(items, list):
                stack.extend((f"{here}/{keyword}/{i}", v) for i, v in enumerate(items))
        for keyword in SCHEMA_ONE:
            if keyword in node:
                stack.append((f"{here}/{keyword}", node[keyword]))
    return found


def _translate_node(node: dict[str, JsonValue]) -> None:
    if "$ref" in node:
        ref = node["$ref"]
        node.clear()
        node["$ref"] = ref
        return
    nullable = node.pop("nullable", False)
    kind = node.get("type")
    if nullable is True and isinstance(kind, str) and kind != "null":
        node["type"] = [kind, "null"]
    for exclusive, bound in (
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ):
        flag = node.get(exclusive)
        if isinstance(flag, bool):
            del node[exclusive]
            if flag and bound in node:
                node[exclusive] = node.pop(bound)
    if "example" in node:
        example = node.pop("example")
        node.setdefault("examples", [example])
    _translate_format(node)


def _translate_format(node: dict[str, JsonValue]) -> None:
    fmt = node.get("format")
    if not isinstance(fmt, str):
        return
    if fmt in _INTEGER_RANGES:
        del node["format"]
        low, high = _INTEGER_RANGES[fmt]
        _tighten(node, "minimum", "exclusiveMinimum", low, max)
        _tighten(node, "maximum", "exclusiveMaximum", high, min)
    elif fmt in _UNCHECKED_FORMATS:
        del node["format"]
    elif fmt == "byte":
        del node["format"]
        node.setdefault("contentEncoding", "base64")


def _tighten(
    node: dict[str, JsonValue],
    inclusive: str,
    exclusive: str,
    limit: int,
    pick: Callable[[float, float], float],
) -> None:
    # The format's range and any bound the schema gives both hold: keep the
    # inclusive bound at the tighter of the two, unless an exclusive bound
    # is already tighter than the range.
    current = node.get(exclusive)
    if isinstance(current, int | float) and pick(current, limit) == current:
        return
    existing = node.get(inclusive)
    if isinstance(existing, int | float) and not isinstance(existing, bool):
        node[inclusive] = pick(existing, limit)
    else:
        node[inclusive] = limit
    node.pop(exclusive, None)


def document_from_openapi30(uri: str, loader: ResourceLoader) -> dict[str, JsonValue]:
    """The OpenAPI 3.0 document at ``uri`` with every Schema Object translated.

    Each document its schemas reach by ``$ref`` (inside the registry, as
    ever) is translated where they point, and the translated copies are
    registered in ``loader``: give it a loader of its own, so that other
    readers of the same files keep them as written. A document that declares
    ``$schema`` is a JSON Schema document, not OpenAPI: it is left as it is.
    """
    original = loader.retrieve(uri)
    if not isinstance(original, dict):
        raise SchemaError(f"{loader.short(uri)}: not an OpenAPI document")
    document = copy.deepcopy(original)
    translated: dict[str, JsonValue] = {uri: document}
    pending: list[tuple[str, str]] = [(uri, p) for p in _document_schemas(document)]
    done: set[tuple[str, str]] = set()
    while pending:
        where, pointer = pending.pop()
        if (where, pointer) in done:
            continue
        done.add((where, pointer))
        if where not in translated:
            source = loader.retrieve(where)
            if isinstance(source, dict) and "$schema" in source:
                continue
            translated[where] = copy.deepcopy(source)
        container = translated[where]
        node = _pointed(container, pointer)
        if node is None:
            # A $ref to nothing: compiling the schema reports it, with its place.
            continue
        new = schema_from_openapi30(node)
        container = _replaced(container, pointer, new)
        translated[where] = container
        for _, sub in _schema_nodes(new):
            ref = sub.get("$ref")
            if isinstance(ref, str):
                target, _, fragment = urljoin(where, ref).partition("#")
                pending.append((target, unquote(fragment)))
    for where, value in translated.items():
        loader.register(where, value)
    root = translated[uri]
    assert isinstance(root, dict)
    return root


def _document_schemas(document: dict[str, JsonValue]) -> list[str]:
    """The JSON Pointers of the Schema Objects an OpenAPI 3.0 document holds
    outside other schemas: components' schemas and every ``schema`` member."""
    found: list[str] = []
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if isinstance(schemas, dict):
        found += [f"/components/schemas/{escape_pointer_token(k)}" for k in schemas]
    stack: list[tuple[str, JsonValue]] = [("", document)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, list):
            stack.extend((f"{here}/{i}", v) for i, v in enumerate(node))
            continue
        if not isinstance(node, dict) or here == "/components/schemas":
            continue
        for key, value in node.items():
            at = f"{here}/{escape_pointer_token(key)}"
            if key == "schema" and isinstance(value, dict):
                found.append(at)
            elif key not in _DATA_KEYS and not key.startswith("x-"):
                stack.append((at, value))
    return found


def _pointed(document: JsonValue, pointer: str) -> JsonValue:
    node = document
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _replaced(document: JsonValue, pointer: str, new: JsonValue) -> JsonValue:
    if not pointer:
        return new
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    node = document
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    last = tokens[-1]
    if isinstance(node, list):
        node[int(last)] = new
    elif isinstance(node, dict):
        node[last] = new
    return document
