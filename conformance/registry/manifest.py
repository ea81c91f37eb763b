"""The manifest of one standard version (``standard.toml``) and its data types."""

from __future__ import annotations

import datetime as dt
import enum
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict, cast

from conformance.errors import RegistryError
from conformance.model import Level, Requirement
from conformance.registry.versions import Version

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from conformance.registry.manifest_cache import ManifestCache

MANIFEST_NAME = "standard.toml"


# The shape of a manifest once it has passed manifest.schema.json.


class OwnerData(TypedDict):
    """``[owner]``: the agency that is the primary source of the data."""

    id: str
    name: str
    name_az: NotRequired[str]


class BindingData(TypedDict):
    """``[json]`` or ``[xml]``; the schema requires the last two for XML.

    ``[xml]`` names its XSD documents either as one ``schema`` or as a list
    ``schemas`` (exactly one of the two); ``[json]`` always has ``schema``.
    """

    schema: NotRequired[str]
    schemas: NotRequired[list[str]]
    requirement: str
    xsd_version: NotRequired[str]
    root: NotRequired[str]


class RequirementData(TypedDict):
    """One ``[[requirements]]`` entry."""

    id: str
    level: str
    text: str
    clause: NotRequired[str]


class ExampleData(TypedDict):
    """One ``[[examples]]`` entry; invalid ones also have a rule and location."""

    file: str
    valid: bool
    title: str
    rule: NotRequired[str]
    location: NotRequired[str]


class ServiceHeadersData(TypedDict, total=False):
    """``[service.headers]``: the names and values of the version and
    correlation headers (docs/interfaces.md)."""

    correlation: str
    version: str
    version_value: str
    version_request: str
    version_request_value: str
    unsupported_version_status: int | list[int]


class PaginationData(TypedDict, total=False):
    """``[service.pagination]``: how list operations page."""

    style: str
    limit: str
    cursor: str
    offset: str
    page: str
    size: str
    first_page: int
    items: str
    next: str
    total: str
    links: str
    matched: str
    returned: str


class ErrorsData(TypedDict, total=False):
    """``[service.errors]``: the error contract."""

    media_types: list[str]
    unknown_status: int | list[int]


class OperationData(TypedDict, total=False):
    """``[service.operations.<operationId>]``: what ``x-role`` and
    ``x-key-pointer`` would say, kept out of a published document."""

    role: str
    key_pointer: str


class ServiceData(TypedDict, total=False):
    """``[service]``: the conformance classes and conventions of the interface."""

    operations: dict[str, OperationData]
    conforms_to: list[str]
    headers: ServiceHeadersData
    pagination: PaginationData
    errors: ErrorsData


class ManifestData(TypedDict):
    """A whole ``standard.toml``, dates as ISO 8601 strings."""

    id: str
    version: str
    title: str
    status: str
    owner: NotRequired[OwnerData]
    title_az: NotRequired[str]
    description: NotRequired[str]
    changes: NotRequired[str]
    released: NotRequired[str]
    sunset: NotRequired[str]
    json: NotRequired[BindingData]
    xml: NotRequired[BindingData]
    interface: NotRequired[str]
    rules: NotRequired[str]
    codelists: NotRequired[list[str]]
    service: NotRequired[ServiceData]
    requirements: NotRequired[list[RequirementData]]
    examples: NotRequired[list[ExampleData]]


class Status(enum.StrEnum):
    """Where a standard version is in its life."""

    DRAFT = "draft"
    ACTIVE = "active"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class Agency:
    """An agency: here, the primary source of a standard's data."""

    id: str
    name: str
    name_az: str | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    """How a standard is written down in one format (JSON Schema or XSD)."""

    format: str  # "json" or "xml"
    path: Path  # the first (for JSON, the only) schema document
    requirement: str
    xsd_version: str | None = None
    root: str | None = None
    # Every XSD document of an XML binding, ``path`` first; the elements of all
    # of them (and of what they import) are the binding's global elements.
    paths: tuple[Path, ...] = ()

    @property
    def documents(self) -> tuple[Path, ...]:
        """The binding's schema documents: ``paths``, or ``path`` alone."""
        return self.paths or (self.path,)


@dataclass(frozen=True, slots=True)
class Example:
    """A normative example: valid ones must pass, invalid ones must fail."""

    path: Path
    valid: bool
    title: str
    rule: str | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class StandardVersion:
    """One immutable version of one standard, as its manifest describes it."""

    id: str
    version: Version
    title: str
    status: Status
    owner: Agency | None
    folder: Path
    requirements: tuple[Requirement, ...]
    json: Binding | None = None
    xml: Binding | None = None
    interface: Path | None = None
    examples: tuple[Example, ...] = ()
    title_az: str | None = None
    description: str | None = None
    released: dt.date | None = None
    sunset: dt.date | None = None
    # The ISO Schematron business rules and the code lists they use
    # (docs/rules.md); exact references, ``region-codes@1.0.0``.
    rules: Path | None = None
    codelists: tuple[str, ...] = ()
    # Read by conformance.probing.conventions; not part of a version's identity.
    service: ServiceData | None = field(default=None, hash=False, compare=False)
    ref: str = field(init=False, repr=False, hash=False, compare=False)
    """The exact reference, e.g. ``person@1.1.0``: made once, since every
    result of every file names it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ref", f"{self.id}@{self.version}")

    @property
    def owner_id(self) -> str | None:
        """The id of the primary source agency, if the manifest names one.

        An external standard (an OGC or ISO one described here) may name
        none; reports then say "not stated".
        """
        return self.owner.id if self.owner is not None else None

    @property
    def manifest_path(self) -> Path:
        """The ``standard.toml`` this version was read from."""
        return self.folder / MANIFEST_NAME

    @property
    def bindings(self) -> tuple[Binding, ...]:
        """The JSON binding first, then the XML one, for those present."""
        return tuple(b for b in (self.json, self.xml) if b is not None)

    def requirement(self, requirement_id: str) -> Requirement:
        """The requirement with this id; a :class:`RegistryError` if none."""
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise RegistryError(
            f"{self.manifest_path}: {self.ref} has no requirement {requirement_id!r}"
        )

    def __str__(self) -> str:
        return self.ref


def _explain(error: ValidationError) -> str:
    from conformance.inputs.packaged_schemas import unknown_keys

    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        return f"at {where}: {unknown_keys(error)}"
    if error.validator == "oneOf" and list(error.absolute_path) == ["xml"]:
        return (
            'at xml: name the XSD as schema = "record.xsd", or several as'
            ' schemas = ["record.xsd", "exceptions.xsd"]; one of the two, not both'
        )
    return f"at {where}: {error.message}"


def read_manifest(path: Path, cache: ManifestCache | None = None) -> ManifestData:
    """Read and check a manifest file; a :class:`RegistryError` names every problem.

    With a ``cache``, bytes that passed before are not parsed and checked
    again (the key is their hash, so any change reads the file anew).
    """
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the manifest: {exc}") from None
    if cache is not None and (known := cache.get(content)) is not None:
        return known
    # Here, not at the top: with the cache warm, listing the registry never
    # loads the reference validator.
    from conformance.inputs.packaged_schemas import packaged_validator, toml_as_json

    try:
        raw = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: cannot read the manifest: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None
    data = toml_as_json(raw)
    errors = sorted(
        packaged_validator("manifest.schema.json").iter_errors(data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        lines = "\n  ".join(_explain(e) for e in errors)
        raise RegistryError(
            f"{path}: the manifest does not follow the format in"
            f" docs/standards.md:\n  {lines}"
        )
    # The schema has checked every key and type that ManifestData names.
    checked = cast("ManifestData", data)
    if cache is not None:
        cache.put(content, checked)
    return checked


def _files_under(folder: Path) -> frozenset[str]:
    """The regular files below ``folder``, as normalised relative paths.

    A symbolic link is left out (the caller asks the file system about it,
    so a link to nothing is still missing). The directory entries carry
    their type: no file is stat'ed.
    """
    found: list[str] = []
    pending = [("", str(folder))]
    while pending:
        prefix, here = pending.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                pending.append((prefix + entry.name + os.sep, entry.path))
            elif entry.is_file():
                found.append(prefix + entry.name)
    return frozenset(found)


def parse_manifest(path: Path, cache: ManifestCache | None = None) -> StandardVersion:
    """Turn a manifest file into a :class:`StandardVersion`, checking its folder."""
    data = read_manifest(path, cache)
    folder = path.parent
    problems = []
    if folder.name != data["version"]:
        problems.append(
            f"version {data['version']!r} does not match its folder {folder.name!r}"
        )
    if folder.parent.name != data["id"]:
        problems.append(
            f"id {data['id']!r} does not match its folder {folder.parent.name!r}"
        )
    version = Version.parse(data["version"])
    ref = f"{data['id']}@{version}"
    requirements = tuple(
        Requirement(
            id=r["id"],
            level=Level(r["level"]),
            text=r["text"],
            source=f"{ref}" + (f" {r['clause']}" if "clause" in r else ""),
        )
        for r in data.get("requirements", [])
    )
    known = {r.id for r in requirements}
    seen: set[str] = set()
    for requirement in requirements:
        if requirement.id in seen:
            problems.append(f"requirement {requirement.id} is listed twice")
        seen.add(requirement.id)

    # One listing of the folder instead of a stat per file named: every
    # command opens the registry, and a manifest names dozens of examples.
    present = _files_under(folder)

    def file(rel: str, what: str) -> Path:
        target = folder / rel
        if ".." in rel.replace("\\", "/").split("/"):
            problems.append(f"{what} {rel!r} must stay inside the version folder")
        elif os.path.normpath(rel) not in present and not target.is_file():
            problems.append(f"{what} {rel!r} does not exist in {folder}")
        return target

    def binding(fmt: str, spec: BindingData | None) -> Binding | None:
        if spec is None:
            return None
        if spec["requirement"] not in known:
            problems.append(
                f"[{fmt}] requirement {spec['requirement']!r} is not among"
                f" [[requirements]] ({', '.join(sorted(known)) or 'none'})"
            )
        # The schema allows exactly one of "schema" and "schemas".
        names = spec["schemas"] if "schemas" in spec else [spec.get("schema", "")]
        key = "schemas" if "schemas" in spec else "schema"
        paths = tuple(file(name, f"[{fmt}] {key}") for name in names)
        return Binding(
            format=fmt,
            path=paths[0],
            requirement=spec["requirement"],
            xsd_version=spec.get("xsd_version"),
            root=spec.get("root"),
            paths=paths if len(paths) > 1 else (),
        )

    json_binding = binding("json", data.get("json"))
    xml_binding = binding("xml", data.get("xml"))
    examples = []
    for ex in data.get("examples", []):
        ex_path = file(ex["file"], "example")
        suffix = ex_path.suffix.lower()
        if suffix == ".json" and json_binding is None:
            problems.append(f"example {ex['file']!r} is JSON but there is no [json]")
        if suffix == ".xml" and xml_binding is None:
            problems.append(f"example {ex['file']!r} is XML but there is no [xml]")
        examples.append(
            Example(
                path=ex_path,
                valid=ex["valid"],
                title=ex["title"],
                rule=ex.get("rule"),
                location=ex.get("location"),
            )
        )
    interface = data.get("interface")
    interface_path = file(interface, "interface") if interface else None
    rules = data.get("rules")
    rules_path = file(rules, "rules") if rules else None
    if "service" in data and interface_path is None:
        problems.append(
            "[service] describes an HTTP interface, but there is no interface"
        )
    if problems:
        raise RegistryError(f"{path}:\n  " + "\n  ".join(problems))
    return StandardVersion(
        id=data["id"],
        version=version,
        title=data["title"],
        title_az=data.get("title_az"),
        description=data.get("description"),
        status=Status(data["status"]),
        released=dt.date.fromisoformat(data["released"])
        if "released" in data
        else None,
        sunset=dt.date.fromisoformat(data["sunset"]) if "sunset" in data else None,
        owner=Agency(**data["owner"]) if "owner" in data else None,
        folder=folder,
        requirements=requirements,
        json=json_binding,
        xml=xml_binding,
        interface=interface_path,
        rules=rules_path,
        codelists=tuple(data.get("codelists", [])),
        examples=tuple(examples),
        service=data.get("service"),
    )
