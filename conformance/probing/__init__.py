"""Probing agency services over HTTP.

The one HTTP client with its safety limits (:mod:`.http`), the standards'
interfaces as operations (:mod:`.interfaces`), agency profiles
(:mod:`.profiles`), the checks catalogue (:mod:`.checks`), endpoint fuzzing
settings (:mod:`.fuzzing`), the bundled reference service (:mod:`.reference`)
and the planning of service × operation × check units (:mod:`.plan`).
"""
