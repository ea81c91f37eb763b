"""HTTP interfaces: a standard version's OpenAPI 3.0 or 3.1 document, as operations.

See docs/interfaces.md for the conventions (``x-standard``, ``x-role``,
``x-xsd-element``, ``x-key``, ``x-kvp``). Schemas inside the document resolve
through the same loader as every other schema: only inside the registry.

Key-value-pair services (``?service=CSW&request=GetRecordById``) dispatch
on fixed query parameters: an operation's ``x-kvp`` names them, and since
OpenAPI holds one operation per path and method, several such operations
on one path are written under path keys that differ only by a ``#name``
suffix (``/csw#GetRecordById``), which is not part of the path sent.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from conformance.errors import RegistryError, SchemaError
from conformance.inputs.json_locate import escape_pointer_token
from conformance.model import JsonValue
from conformance.probing.http import reference_problem
from conformance.registry.manifest import StandardVersion
from conformance.registry.schema_resources import ResourceLoader
from conformance.registry.standards import Registry
from conformance.validation.json_schemas import native_validator
from conformance.validation.json_validation import JsonValidator, registry_loader
from conformance.validation.openapi30 import document_from_openapi30, openapi_version

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
ROLES = ("read", "list", "create")
_CLARK = re.compile(r"\{([^}]*)\}(.+)")
_J = TypeVar("_J", bound=JsonValue)


@dataclass(frozen=True)
class Media:
    """One documented media type of a request or response."""

    type: str
    pointer: str | None  # JSON Pointer of its schema in the document
    # The XSD elements (Clark notation) a body may be, from x-xsd-element: one
    # name, or several (a record, or an exception report) for one status.
    xsd_elements: tuple[str, ...] = ()
    at: str = ""  # JSON Pointer of the media type object itself


@dataclass(frozen=True)
class Parameter:
    """A documented parameter."""

    name: str
    location: str  # path, query, header
    required: bool
    pointer: str | None
    # The member of a resource the parameter names: every path parameter (by
    # its name, or x-key-pointer), and a query parameter marked x-key: true or
    # given an x-key-pointer (a key-value-pair read's ``id``).
    key_pointer: str | None = None
    style: str | None = None  # as declared; parameters.style_of gives the default
    explode: bool | None = None
    examples: tuple[JsonValue, ...] = ()  # ``example`` and ``examples.*.value``


@dataclass(frozen=True)
class ResponseHeader:
    """A header a response documents."""

    name: str
    required: bool
    pointer: str | None  # JSON Pointer of its schema in the document


@dataclass(frozen=True)
class Operation:
    """One documented operation: method, path template, role, responses."""

    id: str
    method: str
    path: str  # template, including the server's path prefix
    role: str | None
    secured: bool
    parameters: tuple[Parameter, ...]
    request: dict[str, Media] = field(default_factory=dict)
    responses: dict[str, dict[str, Media]] = field(default_factory=dict)
    headers: dict[str, tuple[ResponseHeader, ...]] = field(default_factory=dict)
    # The fixed query parameters that select a key-value-pair operation
    # (x-kvp); ``path`` already carries them, so every request built from it
    # sends them, and they are not among ``parameters`` (never fuzzed).
    kvp: dict[str, str] = field(default_factory=dict)
    pointer: str = ""  # JSON Pointer of the operation object in the document

    @property
    def template(self) -> str:
        """The path template without the fixed query parameters."""
        return self.path.split("?", 1)[0]

    def key_parameter(self) -> Parameter | None:
        """The parameter naming the resource: the first path parameter, else
        a parameter marked as the key (``x-key``, ``x-key-pointer``)."""
        return next(iter(self.path_parameters()), None) or next(
            (p for p in self.parameters if p.key_pointer is not None), None
        )

    def documented(self, status: int | None) -> dict[str, Media] | None:
        """The media documented for a status (exact, ``4XX``-style, or default)."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.responses:
                return self.responses[key]
        return None

    def documented_headers(self, status: int | None) -> tuple[ResponseHeader, ...]:
        """The headers documented for a status (as :meth:`documented` finds it)."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.responses:
                return self.headers.get(key, ())
        return ()

    def path_parameters(self) -> list[Parameter]:
        """The parameters that are part of the path."""
        return [p for p in self.parameters if p.location == "path"]

    def parameter(self, name: str) -> Parameter | None:
        """A parameter by name."""
        return next((p for p in self.parameters if p.name == name), None)


def server_prefix(url: str, standard: StandardVersion) -> str:
    """The path every operation's path starts with, from ``servers[0].url``.

    The host always comes from the agency profile (``base_url``): an interface
    describes the API, a profile says where one agency serves it. So of an
    absolute server URL (as published OpenAPI documents often have) only the
    path is kept; a URL that could be read two ways is refused.
    """
    problem = reference_problem(url)
    if problem is not None:
        raise SchemaError(
            f"{standard.ref}'s interface ({standard.interface}) names the server"
            f" {url!r} (servers[0].url), which the suite does not send to:"
            f" {problem}; fix the OpenAPI document (e.g. /person/v1)"
        )
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        url = parts.path
    elif url and not url.startswith("/"):
        raise SchemaError(
            f"{standard.interface}: servers[0].url {url!r} must be a path from"
            " the root (e.g. /person/v1) or an absolute http(s) URL"
        )
    return url.rstrip("/")


class Interface:
    """The interface of one standard version, loaded from its OpenAPI document."""

    def __init__(self, registry: Registry, standard: StandardVersion) -> None:
        if standard.interface is None:
            raise RegistryError(f"{standard.ref} has no HTTP interface")
        self.registry = registry
        self.standard = standard
        self.loader = registry_loader(registry)
        self.uri = registry.uri_for(standard.interface)
        document = self.loader.retrieve(self.uri)
        if not isinstance(document, dict):
            raise SchemaError(f"{standard.interface}: not an OpenAPI document")
        self.openapi = openapi_version(document, str(standard.interface))
        if self.openapi == "3.0":
            # 3.0 Schema Objects are not JSON Schema 2020-12: this interface
            # reads translated copies, from a loader of its own (every other
            # reader keeps the files as written).
            self.loader = ResourceLoader(self.loader.mounts)
            document = document_from_openapi30(self.uri, self.loader)
        self.document = document
        # The OpenAPI document is read as its schema shapes it (private
        # helpers below walk it as any JSON).
        servers: Any = self.document.get("servers") or [{"url": ""}]
        self.prefix = server_prefix(str(servers[0].get("url", "")), standard)
        self.operations = tuple(self._operations())
        self._validators: dict[str, JsonValidator] = {}

    def _resolve(self, node: Any) -> Any:
        # Responses, parameters and request bodies may be $refs into components.
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise SchemaError(
                    f"{self.standard.interface}: {ref!r}: only schemas may refer to"
                    " other files; responses and parameters live in the document"
                )
            node = self._at(ref[1:])
            seen += 1
        return node

    def _at(self, pointer: str) -> Any:
        node: Any = self.document
        for raw in pointer.split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError):
                raise SchemaError(
                    f"{self.standard.interface}: #{pointer} does not exist"
                ) from None
        return node

    def _operations(self) -> list[Operation]:
        found = []
        document: dict[str, Any] = self.document
        global_security = document.get("security", [])
        # The manifest may say what x-role and x-key-pointer would, so that a
        # published document is probed as published.
        described = (self.standard.service or {}).get("operations", {})
        for path, raw in (document.get("paths") or {}).items():
            item = self._resolve(raw)
            shared = item.get("parameters", [])
            for method in METHODS:
                if method not in item:
                    continue
                spec = item[method]
                here = f"/paths/{escape_pointer_token(path)}/{method}"
                kvp = self._kvp(spec.get("x-kvp"), f"{here}/x-kvp")
                parameters = tuple(
                    parameter
                    for i, p in enumerate([*shared, *spec.get("parameters", [])])
                    if (parameter := self._parameter(p, f"{here}/parameters/{i}"))
                    and not (parameter.location == "query" and parameter.name in kvp)
                )
                security = spec.get("security", global_security)
                operation_id = spec.get("operationId", f"{method} {path}")
                told = described.get(operation_id, {})
                if "key_pointer" in told:
                    # The key parameter: the path parameter, else the one the
                    # document marks as the key (a key-value-pair read).
                    keyed = [p for p in parameters if p.location == "path"] or [
                        p for p in parameters if p.key_pointer is not None
                    ]
                    parameters = tuple(
                        replace(p, key_pointer=told["key_pointer"])
                        if p in keyed[:1]
                        else p
                        for p in parameters
                    )
                # "/csw#GetRecordById": the suffix only tells operations apart.
                sent = self.prefix + path.split("#", 1)[0]
                if kvp:
                    sent += "?" + urlencode(kvp)
                found.append(
                    Operation(
                        id=operation_id,
                        method=method.upper(),
                        path=sent,
                        kvp=kvp,
                        pointer=here,
                        role=told.get("role", spec.get("x-role")),
                        secured=bool(security) and any(bool(s) for s in security),
                        parameters=parameters,
                        request=self._content(
                            spec.get("requestBody"), f"{here}/requestBody"
                        ),
                        responses={
                            str(status): self._content(
                                response, f"{here}/responses/{status}"
                            )
                            for status, response in (
                                spec.get("responses") or {}
                            ).items()
                        },
                        headers={
                            str(status): self._headers(
                                response, f"{here}/responses/{status}"
                            )
                            for status, response in (
                                spec.get("responses") or {}
                            ).items()
                        },
                    )
                )
        return found

    def _kvp(self, node: Any, pointer: str) -> dict[str, str]:
        """The fixed query parameters of ``x-kvp``: a mapping of names to values."""
        if node is None:
            return {}
        if not isinstance(node, dict) or not node:
            raise SchemaError(
                f"{self.standard.interface}#{pointer}: x-kvp must be a mapping of"
                " query parameter names to fixed values, e.g."
                " {service: CSW, request: GetRecordById}"
            )
        fixed = {}
        for name, value in node.items():
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise SchemaError(
                    f"{self.standard.interface}#{pointer}/{escape_pointer_token(str(name))}:"
                    f" the value of {name!r} must be a string (a fixed query value),"
                    f" not {value!r}"
                )
            fixed[str(name)] = str(value)
        return fixed

    def _parameter(self, node: Any, pointer: str) -> Parameter:
        if isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"][1:]
        node = self._resolve(node)
        schema = f"{pointer}/schema" if "schema" in node else None
        key = None
        if node["in"] == "path":
            # By convention a path parameter names the member of the same name;
            # x-key-pointer says otherwise (a GeoJSON feature's "/id").
            key = node.get("x-key-pointer", "/" + escape_pointer_token(node["name"]))
        elif "x-key-pointer" in node or node.get("x-key") is True:
            # A query parameter carrying the key (a key-value-pair read's "id").
            key = node.get("x-key-pointer", "/" + escape_pointer_token(node["name"]))
        examples = [node["example"]] if "example" in node else []
        examples += [
            e["value"]
            for e in (node.get("examples") or {}).values()
            if isinstance(e, dict) and "value" in e
        ]
        return Parameter(
            name=node["name"],
            location=node["in"],
            required=bool(node.get("required", node["in"] == "path")),
            pointer=schema,
            key_pointer=key,
            style=node.get("style"),
            explode=node.get("explode"),
            examples=tuple(examples),
        )

    def _content(self, node: Any, pointer: str) -> dict[str, Media]:
        if node is None:
            return {}
        if isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"][1:]
        node = self._resolve(node)
        media = {}
        for media_type, spec in (node.get("content") or {}).items():
            at = f"{pointer}/content/{escape_pointer_token(media_type)}"
            media[media_type.lower()] = Media(
                type=media_type.lower(),
                pointer=f"{at}/schema" if "schema" in spec else None,
                xsd_elements=_element_names(spec.get("x-xsd-element")),
                at=at,
            )
        return media

    def _headers(self, node: Any, pointer: str) -> tuple[ResponseHeader, ...]:
        if isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"][1:]
        node = self._resolve(node)
        found = []
        headers = node.get("headers") if isinstance(node, dict) else None
        if not isinstance(headers, dict):
            return ()  # the OpenAPI schema check reports a malformed one
        for name, raw in headers.items():
            at = f"{pointer}/headers/{escape_pointer_token(name)}"
            if isinstance(raw, dict) and "$ref" in raw:
                at = raw["$ref"][1:]
            spec = self._resolve(raw)
            if not isinstance(spec, dict) or name.lower() == "content-type":
                continue  # OpenAPI: described by the content, never a header entry
            found.append(
                ResponseHeader(
                    name=name,
                    required=bool(spec.get("required", False)),
                    pointer=f"{at}/schema" if "schema" in spec else None,
                )
            )
        return tuple(found)

    def by_role(self, role: str) -> list[Operation]:
        """The operations with this ``x-role``."""
        return [op for op in self.operations if op.role == role]

    def validator(self, pointer: str) -> JsonValidator:
        """A compiled validator for the schema at ``pointer`` in the document."""
        if pointer not in self._validators:
            schema: dict[str, JsonValue] = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                # A fragment is a URI part: braces of path templates are escaped.
                "$ref": f"{self.uri}#{quote(pointer, safe='/~-._')}",
            }
            binding = self.standard.json
            self._validators[pointer] = JsonValidator(
                native=native_validator(schema, self.loader),
                loader=self.loader,
                standard=self.standard.ref,
                requirement=binding.requirement if binding else None,
                base_uri=self.registry.base_uri,
                registry=self.registry,
            )
        return self._validators[pointer]

    def schema_at(self, pointer: str) -> JsonValue:
        """The raw schema object at a pointer (for generating request values)."""
        schema: JsonValue = self._resolve(self._at(pointer))
        return schema


def member_at(value: JsonValue, pointer: str) -> JsonValue:
    """The member of a JSON value at a JSON Pointer, or ``None``."""
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value


def with_member(value: _J, pointer: str, new: JsonValue) -> _J:
    """A copy of ``value`` with the member at ``pointer`` replaced."""
    result = copy.deepcopy(value)
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    node: Any = result
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    last = tokens[-1]
    node[int(last) if isinstance(node, list) else last] = new
    return result


def _element_names(value: Any) -> tuple[str, ...]:
    # One name or a list of them; anything else is kept as text for the
    # registry check to name (it is no element of any schema).
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def clark(name: str) -> str:
    """``{ns}Local`` as lxml writes it: ``Local`` alone when there is no namespace."""
    namespace, local = split_clark(name)
    return f"{{{namespace}}}{local}" if namespace else local


def split_clark(name: str) -> tuple[str | None, str]:
    """``{ns}Local`` as ``(ns, Local)``."""
    match = _CLARK.fullmatch(name)
    if match:
        return match.group(1) or None, match.group(2)
    return None, name


def interface_for(registry: Registry, standard: StandardVersion) -> Interface:
    """The loaded interface of a standard version, once per process."""
    return registry.cached(
        ("interface", standard.ref), lambda: Interface(registry, standard)
    )
