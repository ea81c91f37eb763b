"""Bringing a published OpenAPI document into a registry folder, once.

``conformance standards import SOURCE --into FOLDER`` reads an OpenAPI 3.0
or 3.1 document (a file, or an http(s) URL) and every document it refers to
by ``$ref``, transitively, and writes them under FOLDER in the layout they
were published in, so that each relative ``$ref`` still resolves and an
absolute one is rewritten to the relative path of its copy. After that the
registry holds everything: loading the interface reads nothing outside it
and fetches nothing.

Fetching follows the HTTP client's rules (:class:`ServiceClient`): an
ambiguous URL is refused, plain http only reaches loopback hosts, no
redirect leaves the host, every reply has a deadline and a size cap. Only
hosts the user names (and the source's own) are contacted. Every document
is read, checked and placed in memory first: a refused import writes
nothing.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from conformance.atomic import write_bytes_atomic, write_text_atomic
from conformance.errors import SchemaError, UsageError
from conformance.inputs.json_locate import escape_pointer_token
from conformance.model import JsonValue
from conformance.probing.http import (
    HttpLimits,
    ServiceClient,
    is_loopback,
    reference_problem,
    url_problem,
)
from conformance.registry.manifest import MANIFEST_NAME
from conformance.registry.schema_resources import YAML_SUFFIXES, parse_document
from conformance.validation.openapi30 import openapi_version

DEFAULT_MAX_DOCUMENTS = 100
DEFAULT_MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# More nodes than this in one document is a YAML alias bomb, not an interface.
MAX_NODES = 1_000_000
EXTERNAL_FOLDER = "_external"  # documents from outside the source's folder
ACCEPT = "application/yaml, application/json;q=0.9, */*;q=0.1"

# Members whose keys are names (of properties, schemas, paths...), never
# keywords: a property called "example" is walked like any other.
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
        "schemas",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
        "paths",
        "webhooks",
        "content",
        "encoding",
    }
)
# Keywords whose value is data (an example, a default), where "$ref" is a
# member name like any other and is not followed.
_DATA_KEYWORDS = frozenset({"example", "examples", "default", "enum", "const"})
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class ImportRefused(UsageError):
    """The document, or one it refers to, cannot be imported (exit code 2)."""


@dataclass(frozen=True)
class ImportLimits:
    """How many documents an import reads, and how large each may be."""

    max_documents: int = DEFAULT_MAX_DOCUMENTS
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES


@dataclass(frozen=True)
class WrittenFile:
    """One file of the folder after an import: where it came from, what changed."""

    path: str  # relative to the folder, with "/"
    source: str
    change: str  # "added", "updated" or "unchanged"


@dataclass(frozen=True)
class ImportResult:
    """What an import found and wrote."""

    folder: Path
    root: str  # the interface document, relative to the folder
    openapi: str  # "3.0" or "3.1"
    files: tuple[WrittenFile, ...]
    manifest_written: bool
    fill_in: tuple[str, ...]  # what the user still has to do


@dataclass
class _Document:
    uri: str  # without fragment
    place: str  # relative path under the folder
    data: bytes
    value: JsonValue
    yaml: bool
    refs: list[tuple[str, str]] = field(default_factory=list)  # pointer, $ref


def import_interface(
    source: str,
    into: Path,
    *,
    allow_hosts: tuple[str, ...] = (),
    limits: ImportLimits | None = None,
    http_limits: HttpLimits | None = None,
) -> ImportResult:
    """Import ``source`` and the documents it refers to into the folder ``into``.

    ``allow_hosts`` are the hosts (``host`` or ``host:port``) a ``$ref`` may
    lead to; a URL source's own host is always allowed. Running it again
    over the same folder rewrites only what changed. An
    :class:`ImportRefused` says what could not be imported, where the
    ``$ref`` is (document and JSON Pointer), and how to fix it.
    """
    importer = _Importer(source, allow_hosts, limits or ImportLimits(), http_limits)
    try:
        documents = importer.read_all()
    finally:
        importer.close()
    root = documents[importer.root_uri]
    if not isinstance(root.value, dict):
        raise ImportRefused(f"{source}: not an OpenAPI document (not an object)")
    try:
        version = openapi_version(root.value, source)
    except SchemaError as exc:
        raise ImportRefused(str(exc)) from None
    if "openapi" not in root.value:
        raise ImportRefused(
            f"{source}: no openapi member; an OpenAPI 3.0 or 3.1 document starts"
            " with openapi: 3.0.3 (or 3.1.0)"
        )
    _check_targets(documents)
    contents = {doc.place: _content(doc, documents) for doc in documents.values()}
    return _write(into, importer, documents, contents, version)


class _Importer:
    def __init__(
        self,
        source: str,
        allow_hosts: tuple[str, ...],
        limits: ImportLimits,
        http_limits: HttpLimits | None,
    ) -> None:
        self.source = source
        self.limits = limits
        self.http_limits = http_limits or HttpLimits(
            max_body_bytes=limits.max_document_bytes, max_redirects=0
        )
        self.clients: dict[str, ServiceClient] = {}
        self.allowed = {h.lower().strip() for h in allow_hosts if h.strip()}
        if urlsplit(source).scheme in ("http", "https"):
            self.root_uri = source.split("#", 1)[0]
            self._check_url(self.root_uri, None)
            self.allowed.add(urlsplit(self.root_uri).netloc.lower())
        elif "://" in source or source.startswith("file:"):
            raise ImportRefused(
                f"{source}: the source is a file path or an http(s) URL"
            )
        else:
            path = Path(source)
            if not path.is_file():
                raise ImportRefused(
                    f"{source}: no such file; name an OpenAPI document (a file, or"
                    " an http(s) URL)"
                )
            self.root_uri = path.resolve().as_uri()
        self.base = self.root_uri.rsplit("/", 1)[0] + "/"

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def read_all(self) -> dict[str, _Document]:
        documents: dict[str, _Document] = {}
        queue: list[tuple[str, str | None]] = [(self.root_uri, None)]
        while queue:
            uri, referrer = queue.pop(0)
            if uri in documents:
                continue
            if len(documents) >= self.limits.max_documents:
                raise ImportRefused(
                    f"{referrer}: refers to more than {self.limits.max_documents}"
                    f" documents in all (the next is {uri}); raise"
                    " --max-documents if the interface really is that large"
                )
            document = self._read(uri, referrer)
            documents[uri] = document
            for pointer, ref in document.refs:
                target = self._target(document, pointer, ref)
                if target is not None:
                    queue.append((target, f"{self._name(uri)}#{pointer}/$ref"))
        return documents

    def _name(self, uri: str) -> str:
        return uri[len(self.base) :] if uri.startswith(self.base) else uri

    def _target(self, document: _Document, pointer: str, ref: str) -> str | None:
        """The document a ``$ref`` leads to, checked; ``None`` for one inside."""
        where = f"{self._name(document.uri)}#{pointer}/$ref"
        if ref.startswith("#"):
            return None
        problem = reference_problem(ref)
        if problem is not None:
            raise ImportRefused(
                f"{where}: $ref {ref!r} is refused: {problem}; fix the reference"
            )
        target = urljoin(document.uri, ref).split("#", 1)[0]
        scheme = urlsplit(target).scheme
        if scheme in ("http", "https"):
            self._check_url(target, where)
        elif scheme == "file" and self.root_uri.startswith("file:"):
            if not target.startswith(self.base):
                raise ImportRefused(
                    f"{where}: $ref {ref!r} leads outside the folder of {self.source};"
                    " only files beside or below the source document are imported:"
                    " import from a folder that holds them all"
                )
        else:
            raise ImportRefused(
                f"{where}: $ref {ref!r} is neither relative nor an http(s) URL;"
                " nothing else can be imported"
            )
        if urlsplit(target).query:
            raise ImportRefused(
                f"{where}: $ref {ref!r} has a query string; a document is imported"
                " as a file, which a query cannot name"
            )
        return target

    def _check_url(self, url: str, where: str | None) -> None:
        said = f"{where}: $ref to {url}" if where else url
        problem = url_problem(url)
        if problem is not None:
            raise ImportRefused(f"{said} is refused: {problem}")
        if url.startswith("http://") and not is_loopback(url):
            raise ImportRefused(
                f"{said} is plain HTTP; documents are fetched over TLS (https://),"
                " plain HTTP only from loopback test hosts"
            )
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if where is not None and not (
            host in self.allowed or parts.netloc.lower() in self.allowed
        ):
            raise ImportRefused(
                f"{said} is refused: {parts.netloc} is not an allowed host"
                f" (allowed: {', '.join(sorted(self.allowed)) or 'none'}); if the"
                f" document is to be imported, add --allow-host {host}, or change"
                " the $ref to a relative one"
            )

    def _read(self, uri: str, referrer: str | None) -> _Document:
        said = f"{referrer}: $ref to {uri}" if referrer else uri
        cap = self.limits.max_document_bytes
        if uri.startswith("file:"):
            path = Path(unquote(urlsplit(uri).path))
            try:
                size = path.stat().st_size
                if size > cap:
                    raise ImportRefused(
                        f"{said}: the document is {size:,} bytes, more than"
                        f" {cap:,}; raise --max-document-bytes if it is right"
                    )
                data = path.read_bytes()
            except OSError as exc:
                raise ImportRefused(
                    f"{said}: the document cannot be read: {exc.strerror}; fix the"
                    " $ref or add the missing file"
                ) from None
        else:
            data = self._fetch(uri, said, cap)
        place = self._place(uri, said, data)
        yaml = place.lower().endswith(YAML_SUFFIXES)
        try:
            value = parse_document(data, said, yaml=yaml)
        except SchemaError as exc:
            raise ImportRefused(str(exc)) from None
        document = _Document(uri=uri, place=place, data=data, value=value, yaml=yaml)
        document.refs = list(_refs(value, said))
        return document

    def _fetch(self, url: str, said: str, cap: int) -> bytes:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.clients:
            self.clients[origin] = ServiceClient(
                origin, service="standards import", limits=self.http_limits
            )
        exchange = self.clients[origin].request("GET", url, accept=ACCEPT, auth=False)
        if exchange.error_kind == "too-large":
            raise ImportRefused(
                f"{said}: the document is larger than {cap:,} bytes; raise"
                " --max-document-bytes if it is right"
            )
        if exchange.error_kind == "redirect":
            raise ImportRefused(
                f"{said}: the server redirected ({exchange.status}); redirects are"
                " not followed, so relative $refs keep their meaning: name the"
                " document's own URL"
            )
        if exchange.error is not None:
            raise ImportRefused(f"{said}: could not be fetched: {exchange.error}")
        if exchange.status != 200:
            raise ImportRefused(
                f"{said}: the server answered {exchange.status}, not 200 with the"
                " document; fix the $ref, or publish the document"
            )
        return exchange.body or b""

    def _place(self, uri: str, said: str, data: bytes) -> str:
        """Where a document goes under the folder: its path below the
        source's folder, or ``_external/<host>/<path>`` for one elsewhere."""
        if uri.startswith(self.base):
            relative = uri[len(self.base) :]
        else:
            parts = urlsplit(uri)
            host = (parts.hostname or "").replace(":", "_")
            port = f"_{parts.port}" if parts.port else ""
            relative = f"{EXTERNAL_FOLDER}/{host}{port}{parts.path}"
        segments = [unquote(s) for s in relative.split("/")]
        for segment in segments:
            if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
                raise ImportRefused(
                    f"{said}: {segment!r} cannot be a file or folder name in the"
                    " registry (letters, digits, '_', '.', '-'); import a document"
                    " published under plain names"
                )
        place = "/".join(segments)
        if not place.lower().endswith((*YAML_SUFFIXES, ".json")):
            place += ".json" if data.lstrip()[:1] in (b"{", b"[") else ".yaml"
        if place == MANIFEST_NAME:
            raise ImportRefused(f"{said}: a document cannot be named {MANIFEST_NAME}")
        return place


def _refs(value: JsonValue, said: str) -> Iterator[tuple[str, str]]:
    """Every ``$ref`` of a document with its JSON Pointer, outside data."""
    stack: list[tuple[str, JsonValue, bool]] = [("", value, False)]
    seen = 0
    while stack:
        here, node, names = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ImportRefused(
                f"{said}: more than {MAX_NODES:,} values (YAML aliases repeated"
                " over and over?); not an interface the suite imports"
            )
        if isinstance(node, list):
            stack.extend((f"{here}/{i}", v, False) for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if not names and isinstance(ref, str):
            yield here, ref
        for key, child in node.items():
            if not names and (
                key in _DATA_KEYWORDS or key.startswith("x-") or key == "$ref"
            ):
                continue
            at = f"{here}/{escape_pointer_token(str(key))}"
            stack.append((at, child, not names and key in _NAME_MAPS))


def _resolve(document: JsonValue, fragment: str) -> tuple[bool, JsonValue]:
    """The value a fragment names (found, value); a name anchor counts as found."""
    if fragment and not fragment.startswith("/"):
        return True, None
    node = document
    for raw in fragment.split("/")[1:] if fragment else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def _check_targets(documents: dict[str, _Document]) -> None:
    """Every ``$ref`` names something that exists, and no chain of ``$ref``
    only leads to another ``$ref`` until it comes back (a loop that holds
    no schema, which no resolver can settle)."""
    for document in documents.values():
        for pointer, ref in document.refs:
            chain = [(document.uri, pointer)]
            current_uri, current_ref = document.uri, ref
            while True:
                target = urljoin(current_uri, current_ref)
                target_uri, _, fragment = target.partition("#")
                fragment = unquote(fragment)
                if target_uri not in documents:
                    break  # a $ref inside data, never followed
                found, node = _resolve(documents[target_uri].value, fragment)
                where = f"{documents[chain[-1][0]].place}#{chain[-1][1]}/$ref"
                if not found:
                    raise ImportRefused(
                        f"{where}: $ref {current_ref!r} points at #{fragment} of"
                        f" {documents[target_uri].place}, which does not exist;"
                        " fix the $ref"
                    )
                if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                    break
                step = (target_uri, fragment)
                if step in chain:
                    loop = " -> ".join(
                        f"{documents[u].place}#{p}" for u, p in [*chain, step]
                    )
                    raise ImportRefused(
                        f"{where}: the $refs go round in a loop that never reaches a"
                        f" schema: {loop}; make one of them a schema"
                    )
                chain.append(step)
                current_uri, current_ref = target_uri, str(node["$ref"])


def _content(document: _Document, documents: dict[str, _Document]) -> bytes:
    """The bytes to write: as published, unless a ``$ref`` must be rewritten
    to the relative path of the copy it leads to."""
    changes: dict[str, str] = {}
    here = posixpath.dirname(document.place)
    for pointer, ref in document.refs:
        if ref.startswith("#"):
            continue
        target = urljoin(document.uri, ref)
        target_uri = target.split("#", 1)[0]
        relative = posixpath.relpath(documents[target_uri].place, here or ".")
        # The fragment as written (it may be percent-encoded).
        rewritten = relative + ("#" + ref.split("#", 1)[1] if "#" in ref else "")
        if ref.split("#", 1)[0] != relative:
            changes[pointer] = rewritten
    if not changes:
        return document.data
    value = json.loads(json.dumps(document.value))
    for pointer, ref in changes.items():
        found, node = _resolve(value, pointer)
        assert found
        assert isinstance(node, dict)
        node["$ref"] = ref
    if document.yaml:
        import yaml

        text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
        return text.encode("utf-8")
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write(
    into: Path,
    importer: _Importer,
    documents: dict[str, _Document],
    contents: dict[str, bytes],
    version: str,
) -> ImportResult:
    if into.exists() and not into.is_dir():
        raise ImportRefused(f"{into}: not a folder; --into names a version folder")
    folder = into.resolve()
    written = []
    for document in documents.values():
        path = folder / document.place
        data = contents[document.place]
        if path.is_file():
            change = "unchanged" if path.read_bytes() == data else "updated"
        else:
            change = "added"
        if change != "unchanged":
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, data)
        source = document.uri
        if source.startswith("file:"):
            source = unquote(urlsplit(source).path)
        written.append(WrittenFile(path=document.place, source=source, change=change))
    root = documents[importer.root_uri].place
    manifest = folder / MANIFEST_NAME
    manifest_written = not manifest.exists()
    if manifest_written:
        info = documents[importer.root_uri].value
        write_text_atomic(manifest, _skeleton(folder, root, info, importer.source))
    return ImportResult(
        folder=folder,
        root=root,
        openapi=version,
        files=tuple(written),
        manifest_written=manifest_written,
        fill_in=_fill_in(folder, root, manifest_written, _info(documents, importer)),
    )


def _info(documents: dict[str, _Document], importer: _Importer) -> dict[str, JsonValue]:
    # The root document's info object (empty when it has none).
    root = documents[importer.root_uri].value
    info = root.get("info") if isinstance(root, dict) else None
    return info if isinstance(info, dict) else {}


def _toml_string(text: str) -> str:
    # A TOML basic string has JSON's escapes.
    return json.dumps(text, ensure_ascii=False)


def _skeleton(folder: Path, root: str, document: JsonValue, source: str) -> str:
    info = document.get("info") if isinstance(document, dict) else None
    title = info.get("title") if isinstance(info, dict) else None
    standard_id = folder.parent.name
    version = folder.name
    lines = [
        f"# Written by `conformance standards import` from {source}.",
        "# Fill in every FILL IN (docs/standards.md describes each field), then",
        "# run `conformance --registry REGISTRY standards check`.",
        f"id = {_toml_string(standard_id)}",
        f"version = {_toml_string(version)}",
        f"title = {_toml_string(str(title) if title else 'FILL IN: a title')}",
        'status = "draft"',
        f"interface = {_toml_string(root)}",
        "",
        "[owner]",
        'id = "fill-in"',
        'name = "FILL IN: the agency that is the primary source of this data"',
        "",
        "# FILL IN: a version has a JSON Schema (draft 2020-12) or an XSD binding",
        "# of the data it exchanges, and the requirements it states:",
        "# [json]",
        '# schema = "record.schema.json"',
        '# requirement = "XX-1"',
        "#",
        "# [[requirements]]",
        '# id = "XX-1"',
        '# level = "MUST"',
        '# text = "A record exchanged as JSON validates against record.schema.json."',
        "",
    ]
    return "\n".join(lines)


def _fill_in(
    folder: Path, root: str, manifest_written: bool, info: dict[str, JsonValue]
) -> tuple[str, ...]:
    todo = []
    manifest = folder / MANIFEST_NAME
    if manifest_written:
        todo.append(
            f"{manifest}: fill in the owner, the binding ([json] or [xml]) and"
            " the requirements (each FILL IN)"
        )
    else:
        try:
            data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        if data.get("interface") != root:
            todo.append(f'{manifest}: set interface = "{root}"')
    todo.append(
        f"{manifest}: name the operations to probe and their roles in"
        " [service.operations] (read, list or create; key_pointer where a"
        " read's key is not the member its path parameter names), and the"
        " service's conventions in [service], as docs/interfaces.md says"
    )
    return tuple(todo)
