"""The registry of versioned standards: manifests, versions, integrity.

:class:`Registry` opens a folder ``<id>/<version>/standard.toml`` (the bundled
one by default) and resolves references such as ``person@1``; schema files are
read by URI only inside it (:mod:`.schema_resources`); released versions are
immutable, their hashes in ``integrity.json`` (:mod:`.integrity`).
"""

from conformance.registry.manifest import StandardVersion, Status
from conformance.registry.standards import Registry
from conformance.registry.versions import StandardRef, Version

__all__ = ["Registry", "StandardRef", "StandardVersion", "Status", "Version"]
