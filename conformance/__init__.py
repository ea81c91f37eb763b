"""Conformance test suite for e-government data-exchange standards.

The package is a library first: the pytest plugin (:mod:`conformance.pytest_plugin`)
and the command line (:mod:`conformance.cli`) are thin layers over it.
"""

__version__ = "0.1.0"
