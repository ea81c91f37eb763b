"""Checks of the registry itself, for standards authors.

Registry checks (schemas, examples, integrity: :mod:`.registry_checks`),
self-tests on generated documents (:mod:`.selftest`), the edge values on
which two bindings part (:mod:`.edge_values`), the errata that acknowledge
such differences in released versions (:mod:`.errata`) and generated samples
for a person to read (:mod:`.samples`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance import lazy_face

if TYPE_CHECKING:
    from conformance.selfcheck.errata import Divergence, divergences
    from conformance.selfcheck.registry_checks import RegistryCheck
    from conformance.selfcheck.selftest import selftests

__all__ = [
    "Divergence",
    "RegistryCheck",
    "divergences",
    "selftests",
]

__getattr__ = lazy_face(
    __name__,
    {
        "Divergence": "errata",
        "RegistryCheck": "registry_checks",
        "divergences": "errata",
        "selftests": "selftest",
    },
)
