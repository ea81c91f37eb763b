"""xmlschema models kept between runs, with the hash of every file they read.

Building the xmlschema model of a standard's XSD (for the JSON/XML bindings,
business rules and XSD 1.1) is paid by every run that needs one: the XSD
meta-schema first (about 0.14 s), then 0.02 to 0.09 s a standard. Read back
from the user's cache, a model takes 0.02 to 0.04 s.

A model is kept under a key of what was asked (the documents, the XSD
version, the folders it may read) and the versions of the suite, xmlschema,
elementpath and Python; beside it, the SHA-256 of every document it read.
It is used only while each of those files still has that hash: an edited
XSD, or one it imports, is compiled again (and kept anew). Only schemas
that compiled are kept.

The file is a pickle, code the suite runs, like the compiled templates kept
beside it: written and read in the user's own cache folder only. The cache
is an optimisation and nothing more: when it cannot be read or written (no
home folder, a read-only file system, a damaged file, another xmlschema)
the schema is compiled as if it did not exist.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import pickle
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from conformance import __version__
from conformance.atomic import write_bytes_atomic
from conformance.cache import user_cache
from conformance.processes import can_fork, start_helper, wait_for_helpers
from conformance.registry.integrity import file_digest

if TYPE_CHECKING:
    from elementpath.tdop import Parser
    from xmlschema import XMLSchemaBase

FORMAT = 1
"""Bumped when what is kept changes shape."""
MOST = 64
"""Models kept; the ones used least recently go first."""
ABANDONED_SECONDS = 3600.0
"""A temporary file older than this is a writer's that was killed."""


def _folder() -> Path:
    return user_cache("xsd-models")


def _key(path: Path, version: str, roots: Sequence[Path], also: Sequence[Path]) -> str:
    import elementpath
    import xmlschema

    asked = [
        FORMAT,
        __version__,
        xmlschema.__version__,
        elementpath.__version__,
        list(sys.version_info[:2]),
        version,
        str(path.resolve()),
        [str(p.resolve()) for p in also],
        [str(r) for r in roots],
    ]
    return hashlib.sha256(json.dumps(asked).encode()).hexdigest()


def load(
    path: Path, version: str, roots: Sequence[Path], also: Sequence[Path] = ()
) -> XMLSchemaBase | None:
    """The model kept for these documents, if every file it read is unchanged."""
    try:
        file = _folder() / f"{_key(path, version, roots, also)}.pickle"
        digests, model = pickle.loads(file.read_bytes())
        if any(file_digest(Path(name)) != digest for name, digest in digests.items()):
            return None
        kept: XMLSchemaBase = pickle.loads(model)
        file.touch()  # used: the last to be pruned
    except Exception:  # any damage means: compile it
        return None
    return kept


WAIT_SECONDS = 30.0
"""How long a run that ends waits for the models still being written."""
_writers: list[int] = []
_pending: list[tuple[Path, XMLSchemaBase]] = []


def store(
    path: Path,
    version: str,
    roots: Sequence[Path],
    also: Sequence[Path],
    model: XMLSchemaBase,
) -> None:
    """Keep a compiled model, with the hash of every document it read.

    Pickling a model costs about what reading it back saves: it is written
    by a process of its own, forked now, while the run goes on (and waited
    for when the run ends). A process that may not fork now (threads
    running) writes it when it ends, if it may fork then; a pytest-xdist
    worker, whose threads never end, keeps none.
    """
    try:
        file = _folder() / f"{_key(path, version, roots, also)}.pickle"
    except Exception:  # not kept: compiled again next time
        return
    if not _writers and not _pending:
        atexit.register(finish)
    writer = start_helper(partial(_write, file, model), "conformance-xsd")
    if writer is None:
        _pending.append((file, model))
    else:
        _writers.append(writer)


def finish() -> None:
    """Wait for the models being written, and write those left to the end
    (when this process may fork: no thread is running)."""
    wait_for_helpers(_writers, WAIT_SECONDS)
    if can_fork():
        write_pending()


def write_pending() -> None:
    """Write the models left to the end, now, in this process."""
    while _pending:
        _write(*_pending.pop(0))


def _write(file: Path, model: XMLSchemaBase) -> None:
    try:
        digests = {str(read): file_digest(read) for read in _documents(model)}
        kept = io.BytesIO()
        _Pickler(kept).dump(model)
        data = pickle.dumps(
            (digests, kept.getvalue()), protocol=pickle.HIGHEST_PROTOCOL
        )
        write_bytes_atomic(file, data)
        _prune(file.parent)
    except Exception:  # not kept: compiled again next time
        return


class _Pickler(pickle.Pickler):
    """Pickles elementpath's parsers (of XSD 1.1 assertions, say) so that
    they are whole when read back: XPath2Parser pickles its ``__dict__``
    only, and a parser without the state its own ``__init__`` sets (the
    next match, the start token) fails on the first token it makes."""

    def __init__(self, file: io.BytesIO) -> None:
        from elementpath.tdop import Parser

        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.parser_class = Parser  # looked up once: asked of every object

    def reducer_override(self, obj: object) -> Any:
        if not isinstance(obj, self.parser_class):
            return NotImplemented
        state = obj.__getstate__()
        if isinstance(state, tuple):  # object's own: (__dict__, slots)
            state = state[0]
        return (_new, (type(obj),), state, None, None, _parser_again)


def _new(cls: type[object]) -> object:
    return cls.__new__(cls)


def _parser_again(parser: Parser[Any], state: dict[str, Any] | None) -> None:
    """A parser read back: its attributes, and what its ``__init__`` starts
    it with."""
    from elementpath.tdop import Parser

    parser.__dict__.update(state or {})
    Parser.__init__(parser)


def _documents(model: XMLSchemaBase) -> set[Path]:
    """Every local file the model was read from (the XSD meta-schemas too)."""
    found: set[Path] = set()
    for schema in model.maps.iter_schemas():
        url = schema.url
        if not url:
            continue
        parsed = urlparse(url)
        if parsed.scheme not in ("", "file"):
            raise ValueError(f"{url}: not a local file")
        found.add(Path(unquote(parsed.path)).resolve())
    return found


def _prune(folder: Path) -> None:
    kept = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
    stale = kept[: max(len(kept) - MOST, 0)]
    # A writer killed mid-way (its run was) leaves its temporary file.
    long_ago = time.time() - ABANDONED_SECONDS
    stale += [p for p in folder.glob(".*.pickle.*") if p.stat().st_mtime < long_ago]
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()
