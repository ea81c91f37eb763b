"""HTTP interfaces: the OpenAPI 3.1 document of a standard version, as operations.

See docs/interfaces.md for the conventions (``x-standard``, ``x-role``,
``x-xsd-element``). Schemas inside the document resolve through the same
loader as every other schema: only inside the registry.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from conformance.errors import RegistryError, SchemaError
from conformance.inputs.json_locate import escape_pointer_token
from conformance.model import JsonValue
from conformance.probing.http import reference_problem
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.validation.json_schemas import native_validator
from conformance.validation.json_validation import JsonValidator, registry_loader

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
ROLES = ("read", "list", "create")
_CLARK = re.compile(r"\{([^}]*)\}(.+)")
_J = TypeVar("_J", bound=JsonValue)


@dataclass(frozen=True)
class Media:
    """One documented media type of a request or response."""

    type: str
    pointer: str | None  # JSON Pointer of its schema in the document
    xsd_element: str | None = None  # Clark notation


@dataclass(frozen=True)
class Parameter:
    """A documented parameter."""

    name: str
    location: str  # path, query, header
    required: bool
    pointer: str | None
    key_pointer: str | None = None  # for path parameters: the member they name
    style: str | None = None  # as declared; parameters.style_of gives the default
    explode: bool | None = None
    examples: tuple[JsonValue, ...] = ()  # ``example`` and ``examples.*.value``


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

    def documented(self, status: int | None) -> dict[str, Media] | None:
        """The media documented for a status (exact, ``4XX``-style, or default)."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.responses:
                return self.responses[key]
        return None

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
        for path, raw in (document.get("paths") or {}).items():
            item = self._resolve(raw)
            shared = item.get("parameters", [])
            for method in METHODS:
                if method not in item:
                    continue
                spec = item[method]
                here = f"/paths/{escape_pointer_token(path)}/{method}"
                parameters = tuple(
                    self._parameter(p, f"{here}/parameters/{i}")
                    for i, p in enumerate([*shared, *spec.get("parameters", [])])
                )
                security = spec.get("security", global_security)
                found.append(
                    Operation(
                        id=spec.get("operationId", f"{method} {path}"),
                        method=method.upper(),
                        path=self.prefix + path,
                        role=spec.get("x-role"),
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
                    )
                )
        return found

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
                xsd_element=spec.get("x-xsd-element"),
            )
        return media

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
