"""``$ref`` cycles that never move into the instance.

A schema that is only ``{"$ref": "#"}``, or whose ``$defs/a`` refers to
``$defs/b`` which refers back to ``a``, applies itself to the same value
forever: evaluation never ends, and jsonschema-rs accepts every document
against it. Recursion is sound only when each round moves into the
instance (through ``properties``, ``items`` and the like); applicators that
stay on the same value (``$ref``, ``allOf``, ``anyOf``, ``oneOf``, ``not``,
``if``/``then``/``else``, ``dependentSchemas``) must not lead back where
they started. :func:`ref_cycles` finds every such loop, naming each schema
on it by file and JSON Pointer.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote, urljoin

from conformance.errors import SchemaError
from conformance.inputs.json_locate import escape_pointer_token
from conformance.model import JsonValue
from conformance.registry.schema_resources import ResourceLoader
from conformance.validation.schema_walk import iter_subschemas

# Applicators that evaluate their subschemas against the same instance.
_SAME_VALUE_LISTS = ("allOf", "anyOf", "oneOf")
_SAME_VALUE_ONE = ("not", "if", "then", "else")
_SAME_VALUE_MAPS = ("dependentSchemas",)
# A schema object: the URI of the document holding it, and its JSON Pointer.
_Key = tuple[str, str]


# What indexing a document gives: each base URI ($id) with the schema
# declaring it, and each anchor with its schema, in the walk's order.
_Index = tuple[list[tuple[str, _Key]], list[tuple[tuple[str, str], _Key]]]


def _index(uri: str, document: JsonValue) -> _Index:
    """The base URIs and anchors a document declares (see :data:`_Index`)."""
    resources: list[tuple[str, _Key]] = []
    anchors: list[tuple[tuple[str, str], _Key]] = []
    stack: list[tuple[str, JsonValue, str]] = [("", document, uri)]
    while stack:
        where, node, base = stack.pop()
        if isinstance(node, dict):
            declared = node.get("$id")
            if isinstance(declared, str):
                base = urljoin(base, declared).split("#", 1)[0]
                resources.append((base, (uri, where)))
            anchor = node.get("$anchor")
            if isinstance(anchor, str):
                anchors.append(((base, anchor), (uri, where)))
            stack.extend(
                (f"{where}/{escape_pointer_token(k)}", v, base) for k, v in node.items()
            )
        elif isinstance(node, list):
            stack.extend((f"{where}/{i}", v, base) for i, v in enumerate(node))
    return resources, anchors


class _Documents:
    """The documents a schema reaches, indexed by base URI and anchor."""

    def __init__(self, root_uri: str, root: JsonValue, loader: ResourceLoader | None):
        self.loader = loader
        self.documents: dict[str, JsonValue] = {}
        self.resources: dict[str, _Key] = {}  # a base URI ($id) to its schema
        self.anchors: dict[tuple[str, str], _Key] = {}
        self.pending: list[str] = []  # documents whose schemas are not yet walked
        self.add(root_uri, root)

    def add(self, uri: str, document: JsonValue, *, served: bool = False) -> None:
        """Index a document: ``served`` when the loader gave it (its index
        is then kept for the next schema reaching it)."""
        self.documents[uri] = document
        self.resources.setdefault(uri, (uri, ""))
        self.pending.append(uri)
        if served and self.loader is not None:
            resources, anchors = self.loader.derived("$id", uri, document, _index)
        else:
            resources, anchors = _index(uri, document)
        for base, key in resources:
            self.resources.setdefault(base, key)
        self.anchors.update(anchors)

    def _path(self, key: _Key) -> Iterator[JsonValue]:
        """The values from the document's root down to ``key``'s, in order.

        Ends early, with ``None``, where the pointer leads nowhere.
        """
        node = self.documents.get(key[0])
        yield node
        for raw in key[1].split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                yield None
                return
            yield node

    def node(self, key: _Key) -> JsonValue:
        """The value at a key, or ``None`` when the pointer leads nowhere."""
        return list(self._path(key))[-1]

    def base(self, key: _Key) -> str:
        """The base URI in effect at a key: the ``$id``s on the way down."""
        base = key[0]
        for node in self._path(key):
            if isinstance(node, dict) and isinstance(node.get("$id"), str):
                base = urljoin(base, str(node["$id"])).split("#", 1)[0]
        return base

    def resolve(self, key: _Key, ref: str) -> _Key | None:
        """Where a ``$ref`` at ``key`` leads; ``None`` if it cannot be followed.

        A reference that cannot be loaded is left to the compiler, which
        says why.
        """
        target = urljoin(self.base(key), ref)
        uri, _, fragment = target.partition("#")
        if uri not in self.resources:
            if self.loader is None:
                return None
            try:
                self.add(uri, self.loader.retrieve(uri), served=True)
            except SchemaError:
                return None
        document, at = self.resources[uri]
        fragment = unquote(fragment)
        if not fragment:
            return document, at
        if fragment.startswith("/"):
            return document, at + fragment
        return self.anchors.get((uri, fragment))

    def schemas(self, uri: str) -> Iterator[_Key]:
        """Every schema object of a document, found through schema keywords."""
        for where, _ in iter_subschemas(self.documents[uri]):
            yield uri, where

    def same_value(self, key: _Key) -> list[_Key]:
        """The schemas ``key`` applies to the same instance: its cycle edges."""
        node = self.node(key)
        if not isinstance(node, dict):
            return []
        uri, where = key
        found: list[_Key] = []
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = self.resolve(key, ref)
            if target is not None:
                found.append(target)
        for keyword in _SAME_VALUE_LISTS:
            items = node.get(keyword)
            if isinstance(items, list):
                found.extend((uri, f"{where}/{keyword}/{i}") for i in range(len(items)))
        found.extend(
            (uri, f"{where}/{keyword}")
            for keyword in _SAME_VALUE_ONE
            if keyword in node
        )
        for keyword in _SAME_VALUE_MAPS:
            members = node.get(keyword)
            if isinstance(members, dict):
                found.extend(
                    (uri, f"{where}/{keyword}/{escape_pointer_token(k)}")
                    for k in members
                )
        return found


def ref_cycles(
    schema: JsonValue,
    loader: ResourceLoader | None = None,
    *,
    uri: str | None = None,
) -> list[str]:
    """Each ``$ref`` cycle that stays on one value, as a readable chain.

    Without a ``loader`` only references inside the schema's own document
    are followed. ``uri`` is the document's URI (its ``$id`` by default).
    """
    declared = schema.get("$id") if isinstance(schema, dict) else None
    root_uri = uri or (declared.split("#", 1)[0] if isinstance(declared, str) else "")
    documents = _Documents(root_uri, schema, loader)
    done: set[_Key] = set()
    found: dict[frozenset[_Key], list[_Key]] = {}
    while documents.pending:
        for start in list(documents.schemas(documents.pending.pop(0))):
            if start not in done:
                _search(start, documents, done, found)
    return [
        "circular reference: "
        + " → ".join(_shown(key, root_uri, loader) for key in chain)
        + ": these schemas apply one another to the same value without moving"
        " into it ($ref, allOf, anyOf, oneOf, not, if/then/else), so"
        " validating would never end; a recursive $ref must go through"
        " properties, items or the like"
        for chain in found.values()
    ]


def _search(
    start: _Key,
    documents: _Documents,
    done: set[_Key],
    found: dict[frozenset[_Key], list[_Key]],
) -> None:
    """Depth-first from ``start``; each loop met is recorded once."""
    path: list[_Key] = [start]
    on_path = {start: 0}
    branches = [iter(documents.same_value(start))]
    while branches:
        step = next(branches[-1], None)
        if step is None:
            branches.pop()
            left = path.pop()
            del on_path[left]
            done.add(left)
            continue
        if step in on_path:
            loop = path[on_path[step] :]
            found.setdefault(frozenset(loop), [*loop, step])
            continue
        if step in done:
            continue
        on_path[step] = len(path)
        path.append(step)
        branches.append(iter(documents.same_value(step)))


def _shown(key: _Key, root_uri: str, loader: ResourceLoader | None) -> str:
    uri, where = key
    if uri == root_uri:
        return f"#{where}"
    name = loader.short(uri) if loader is not None else uri
    return f"{name}#{where}"
