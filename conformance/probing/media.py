"""The media types the checks send, ask for and expect.

Kept apart from the check catalogue: importing the catalogue registers its
checks, which only :func:`conformance.probing.checks.all_checks` may do.
"""

JSON = "application/json"
XML = "application/xml"
PROBLEM = "application/problem+json"
