"""Checks of the registry itself, for standards authors.

Registry checks (schemas, examples, integrity: :mod:`.registry_checks`),
self-tests on generated documents (:mod:`.selftest`), the edge values on
which two bindings part (:mod:`.edge_values`), the errata that acknowledge
such differences in released versions (:mod:`.errata`) and generated samples
for a person to read (:mod:`.samples`).
"""
