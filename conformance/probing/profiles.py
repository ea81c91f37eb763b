"""Agency profiles: a TOML file naming an agency and its targets.

```toml
[agency]
id = "mia"
name = "Ministry of Internal Affairs"
name_az = "Daxili İşlər Nazirliyi"

[[payloads]]
standard = "person@1.1.0"      # optional for XML: found from the namespace
path = "samples/mia/person"    # relative to this file
```
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict

from conformance.errors import UsageError
from conformance.inputs.packaged_schemas import schema_problems, unknown_keys
from conformance.registry.locations import bundled
from conformance.registry.manifest import Agency

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


@dataclass(frozen=True, slots=True)
class PayloadTarget:
    """Payload files (and folders of them) to check against one standard."""

    id: str
    paths: tuple[Path, ...]
    standard: str | None
    agency: Agency | None = None


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """An agency service and how the suite may talk to it."""

    id: str
    standard: str
    base_url: str  # "reference" for the bundled reference service
    agency: Agency
    token_env: str | None = None
    timeout: float = 10.0  # to connect, and for any one read
    total_timeout: float | None = None  # a whole exchange; None: 3 × timeout
    rate_limit: float | None = None
    latency_objective_ms: float | None = None
    latency_samples: int = 20
    allow_writes: bool = False
    ca_bundle: Path | None = None
    faults: tuple[str, ...] = ()
    classes: tuple[str, ...] | None = None  # None: every class the standard declares
    existing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def deadline(self) -> float:
        """The total deadline of one exchange, connect to last byte (seconds)."""
        return (
            self.total_timeout if self.total_timeout is not None else 3 * self.timeout
        )

    @property
    def is_reference(self) -> bool:
        """True for the bundled reference service."""
        return self.base_url == "reference"


@dataclass(frozen=True, slots=True)
class Profile:
    """One agency and its targets."""

    path: Path
    agency: Agency
    payloads: tuple[PayloadTarget, ...]
    services: tuple[ServiceTarget, ...] = ()


class _TestData(TypedDict, total=False):
    existing: dict[str, list[str | int]]
    missing: dict[str, list[str | int]]


class _ServiceEntry(TypedDict):
    """One [[services]] entry, once profile.schema.json has checked it."""

    id: str
    standard: str
    base_url: str
    token_env: NotRequired[str]
    timeout: NotRequired[float]
    total_timeout: NotRequired[float]
    rate_limit: NotRequired[float]
    latency_objective_ms: NotRequired[float]
    latency_samples: NotRequired[int]
    allow_writes: NotRequired[bool]
    ca_bundle: NotRequired[str]
    faults: NotRequired[list[str]]
    classes: NotRequired[list[str]]
    test_data: NotRequired[_TestData]


def _problem(error: ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        return f"{where}: {unknown_keys(error)}"
    return f"{where}: {error.message}"


def load_profile(path: Path) -> Profile:
    """Read and check one profile; a :class:`UsageError` names every problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot read the agency profile: {exc.strerror}"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{path}: the agency profile is not valid TOML: {exc}"
        ) from None
    problems = schema_problems("profile.schema.json", data, _problem)
    if problems:
        listed = "\n  ".join(problems)
        raise UsageError(
            f"{path}: the agency profile does not follow the format in"
            f" docs/profiles.md:\n  {listed}"
        )
    agency = Agency(**data["agency"])
    targets = []
    for index, entry in enumerate(data.get("payloads", [])):
        location = (path.parent / entry["path"]).resolve()
        if not location.exists():
            raise UsageError(
                f"{path}: payloads[{index}].path {entry['path']!r} does not exist"
                f" (looked for {location})"
            )
        name = entry.get("id") or Path(entry["path"]).name
        targets.append(
            PayloadTarget(
                id=f"{agency.id}:{name}",
                paths=(location,),
                standard=entry.get("standard"),
                agency=agency,
            )
        )
    services = tuple(
        _service(path, agency, entry) for entry in data.get("services", [])
    )
    ids = [s.id for s in services]
    if len(set(ids)) != len(ids):
        raise UsageError(f"{path}: two [[services]] have the same id")
    return Profile(path=path, agency=agency, payloads=tuple(targets), services=services)


def _service(path: Path, agency: Agency, entry: _ServiceEntry) -> ServiceTarget:
    # Imported here: the HTTP client loads requests (~55 ms), which checking
    # payloads (validate, or run without services) never needs.
    from conformance.probing.http import is_loopback, url_problem

    base_url = entry["base_url"].rstrip("/")
    where = f"{path}: services {entry['id']!r}"
    problem = url_problem(base_url) if base_url != "reference" else None
    if problem is not None:
        # Not quoted when it holds user-info: that may be a password.
        shown = "" if "@" in base_url else f" {base_url!r}"
        raise UsageError(
            f"{where}: base_url{shown} is refused: {problem} (the suite sends"
            " only to a URL whose host every parser reads alike)"
        )
    if base_url.startswith("http://") and not is_loopback(base_url):
        raise UsageError(
            f"{where}: base_url {base_url!r} is plain HTTP; services are reached"
            " over TLS (https://), plain HTTP only on loopback test hosts"
            " (ER-HTTP-7)"
        )
    for fault in entry.get("faults", ()):
        # The reference service (and the HTTP client it brings) is imported
        # only when a profile names faults.
        from conformance.probing.reference import FAULTS

        if fault not in FAULTS:
            close = difflib.get_close_matches(fault, list(FAULTS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"{where}: unknown fault {fault!r}{hint} (the reference service's"
                " faults are listed in docs/checks.md)"
            )
    if entry.get("faults") and base_url != "reference":
        raise UsageError(
            f"{where}: faults can only be switched on for the reference service"
            ' (base_url = "reference")'
        )
    ca_bundle = None
    if "ca_bundle" in entry:
        ca_bundle = (path.parent / entry["ca_bundle"]).resolve()
        if not ca_bundle.is_file():
            raise UsageError(f"{where}: ca_bundle {ca_bundle} does not exist")
    test_data = entry.get("test_data", {})
    timeout = float(entry.get("timeout", 10.0))
    return ServiceTarget(
        id=f"{agency.id}:{entry['id']}",
        standard=entry["standard"],
        base_url=base_url,
        agency=agency,
        token_env=entry.get("token_env"),
        timeout=timeout,
        total_timeout=float(entry.get("total_timeout", 3 * timeout)),
        rate_limit=entry.get("rate_limit"),
        latency_objective_ms=entry.get("latency_objective_ms"),
        latency_samples=int(entry.get("latency_samples", 20)),
        allow_writes=bool(entry.get("allow_writes", False)),
        ca_bundle=ca_bundle,
        faults=tuple(entry.get("faults", ())),
        classes=tuple(entry["classes"]) if "classes" in entry else None,
        existing={
            k: tuple(map(str, v)) for k, v in test_data.get("existing", {}).items()
        },
        missing={
            k: tuple(map(str, v)) for k, v in test_data.get("missing", {}).items()
        },
    )


def load_profiles(paths: list[Path]) -> list[Profile]:
    """Profiles from files and folders of ``*.toml`` files, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.glob("*.toml")))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"agency profile {path} does not exist")
    if not found:
        raise UsageError(f"no agency profiles (*.toml) in {', '.join(map(str, paths))}")
    profiles = [load_profile(p) for p in found]
    seen: dict[str, Path] = {}
    for profile in profiles:
        if profile.agency.id in seen:
            raise UsageError(
                f"{profile.path}: agency id {profile.agency.id!r} is also used by"
                f" {seen[profile.agency.id]}"
            )
        seen[profile.agency.id] = profile.path
    return profiles


def bundled_profiles() -> Path:
    """The folder of the sample agencies' profiles shipped with the suite."""
    return bundled("fixtures") / "agencies"
