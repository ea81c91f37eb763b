"""What an XSD compiled with xmlschema may open: files inside the registry.

xmlschema's own "sandbox" mode only admits the main schema's folder, which
would forbid importing another standard. Here the opener judges every local
file, once xmlschema has resolved a relative location (``xs:include`` hands
it over unresolved) against its document; any other scheme is only
recorded, and ``allow="local"`` refuses to fetch it.

A module of its own, imported when xmlschema first compiles a schema:
urllib's opener brings http.client and ssl, which a run that never compiles
an XSD with xmlschema has no use for. Its objects are plain classes, not
closures, so that a compiled schema can be kept in the user's cache
(:mod:`.xsd_cache`) and, read back, still opens nothing elsewhere.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.error import URLError
from urllib.parse import urlparse

if TYPE_CHECKING:
    from urllib.response import addinfourl


class RecordOtherSchemes:
    """xmlschema's ``uri_mapper``: notes a URL of a scheme other than ``file``."""

    def __init__(self, blocked: list[str]) -> None:
        self.blocked = blocked

    def __call__(self, url: str) -> str:
        if urlparse(url).scheme not in ("", "file"):
            self.blocked.append(url)
        return url


class SandboxFiles(urllib.request.FileHandler):
    """Opens ``file:`` URLs of regular files inside ``roots``; notes the rest."""

    def __init__(self, roots: Sequence[Path], blocked: list[str]) -> None:
        super().__init__()
        self.roots = tuple(roots)
        self.blocked = blocked

    def file_open(self, req: urllib.request.Request) -> addinfourl:
        path = Path(urllib.request.url2pathname(urlparse(req.full_url).path))
        path = path.resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            self.blocked.append(req.full_url)
            raise URLError("outside the registry")
        if not path.is_file():
            # Never open a FIFO or device, even inside the registry.
            raise URLError("not a regular file")
        return super().file_open(req)


def sandbox_opener(
    roots: Sequence[Path], blocked: list[str]
) -> urllib.request.OpenerDirector:
    """An opener for ``file:`` URLs inside ``roots`` only, and no other scheme."""
    opener = urllib.request.OpenerDirector()
    # No handler for any other scheme: nothing can reach the network.
    opener.add_handler(SandboxFiles(roots, blocked))
    opener.add_handler(urllib.request.UnknownHandler())
    return opener
