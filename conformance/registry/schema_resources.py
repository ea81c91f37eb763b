"""Reading schema files by URI, and refusing every URI outside the registry.

This is the one place that turns a ``$ref`` (JSON Schema) into a file. A
:class:`ResourceLoader` knows a few *mounts* (a URI prefix and the folder
it stands for): the registry's base URI, and for an author's draft schema
the draft's own folder. Anything else, network or local file, is refused
with a message that says so; nothing is ever fetched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar, cast

from conformance.errors import SchemaError
from conformance.inputs.json_input import parse_json
from conformance.model import JsonValue

_Derived = TypeVar("_Derived")


class RefOutsideRegistryError(SchemaError):
    """A reference names a resource outside the registry."""


class ResourceLoader:
    """Loads JSON schema documents for the mounted URI prefixes, and only those."""

    def __init__(
        self,
        mounts: Sequence[tuple[str, Path]],
        declared: Callable[[], Mapping[str, Path]] | None = None,
    ) -> None:
        self.mounts = tuple((prefix, folder.resolve()) for prefix, folder in mounts)
        self._declared = declared
        self._documents: dict[str, JsonValue] = {}
        self._derived: dict[tuple[str, str], tuple[JsonValue, object]] = {}

    def path_for(self, uri: str) -> Path | None:
        """The file a URI stands for, if it is inside a mount and exists.

        Past the mounts, a URI may be the ``$id`` a file of the registry
        declares (``declared``: each such id to its file), so a third-party
        schema keeps its own ``$id`` and is still found, never fetched.
        """
        uri = uri.split("#", 1)[0]
        for prefix, folder in self.mounts:
            if uri.startswith(prefix):
                candidate = (folder / uri[len(prefix) :]).resolve()
                if candidate.is_relative_to(folder) and candidate.is_file():
                    return candidate
        if self._declared is not None:
            return self._declared().get(uri)
        return None

    def retrieve(self, uri: str) -> JsonValue:
        """The JSON document at ``uri``; :class:`RefOutsideRegistryError` if outside."""
        uri = uri.split("#", 1)[0]
        if uri in self._documents:
            return self._documents[uri]
        path = self.path_for(uri)
        if path is None:
            allowed = " or ".join(dict.fromkeys(prefix for prefix, _ in self.mounts))
            declared = (
                ", or the $id a schema file of the registry declares"
                if self._declared is not None
                else ""
            )
            raise RefOutsideRegistryError(
                f"$ref {uri!r} is outside the registry: only {allowed}{declared}"
                " can be referenced, and nothing is fetched from the network or"
                " read from elsewhere on disk"
            )
        document = self._documents[uri] = load_json_file(path)
        if isinstance(document, dict):
            # Keyword locations name a schema by its own $id: keep it findable
            # by that name too (the file is the same).
            own = document.get("$id")
            if isinstance(own, str) and ":" in own:
                self._documents.setdefault(own.split("#", 1)[0], document)
        return document

    def derived(
        self,
        name: str,
        uri: str,
        document: JsonValue,
        make: Callable[[str, JsonValue], _Derived],
    ) -> _Derived:
        """``make(uri, document)`` for a document this loader served, made
        once: what every schema reaching the document needs from it (the
        documents it references, the ``$id`` and anchors it declares). A
        service's interface validators all reach its OpenAPI document, and
        walking all of it for each one was most of their compiling."""
        key = (name, uri)
        kept = self._derived.get(key)
        if kept is not None and kept[0] is document:
            return cast("_Derived", kept[1])
        value = make(uri, document)
        self._derived[key] = (document, value)
        return value

    def short(self, uri: str) -> str:
        """A URI as a reader knows it: its place under the mount it is in."""
        for prefix, _ in self.mounts:
            if uri.startswith(prefix):
                return uri[len(prefix) :]
        return uri

    def cached(self, uri: str) -> JsonValue:
        """A document already loaded, if any (no disk access)."""
        return self._documents.get(uri.split("#", 1)[0])

    def register(self, uri: str, document: JsonValue) -> None:
        """Make an in-memory document available at ``uri``."""
        self._documents[uri.split("#", 1)[0]] = document


def load_json_file(path: Path) -> JsonValue:
    """Read a JSON (or YAML) document strictly; a :class:`SchemaError` if it is not."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_document(data, str(path), yaml=path.suffix.lower() in YAML_SUFFIXES)


YAML_SUFFIXES = (".yaml", ".yml")


def parse_document(data: bytes, name: str, *, yaml: bool) -> JsonValue:
    """A JSON (or, with ``yaml``, YAML) document read strictly from bytes;
    a :class:`SchemaError` naming ``name`` if it is not one."""
    if yaml:
        return _load_yaml(name, data)
    parsed = parse_json(data)
    if not parsed.ok or parsed.findings:
        problems = "; ".join(f"{f.location}: {f.message}" for f in parsed.findings)
        raise SchemaError(f"{name}: not a usable JSON document: {problems}")
    return parsed.value


def file_uri(path: Path) -> str:
    """A ``file:`` URI for a folder or file (folders end in ``/``)."""
    uri = path.resolve().as_uri()
    return uri + "/" if path.is_dir() and not uri.endswith("/") else uri


def json_dumps(value: object) -> str:
    """Compact, stable JSON for messages."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _load_yaml(name: str, data: bytes) -> JsonValue:
    # Imported here: PyYAML (~13 ms) is only for the interfaces' OpenAPI
    # documents, which validating payloads never reads.
    import yaml

    # libyaml's parser where PyYAML was built with it (its wheels are): the
    # pure Python one took a fifth of a second of every run that probes, for
    # the interfaces of the bundled services alone. Same safe constructor.
    safe = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class JsonLikeLoader(safe):  # type: ignore[misc,valid-type]
        """SafeLoader that leaves dates as strings, as JSON would."""

    JsonLikeLoader.yaml_implicit_resolvers = {
        key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        document: JsonValue = yaml.load(data.decode("utf-8"), Loader=JsonLikeLoader)
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        raise SchemaError(f"{name}: not a readable YAML document: {exc}") from None
    return document
