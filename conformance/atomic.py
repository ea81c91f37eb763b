"""Writing files atomically, so a reader never sees half a report."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_ATTEMPTS = 100


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new file beside ``path``, open for writing, with the mode ``open()``
    gives a new file (0666 less the umask: 0644 under umask 022).

    ``tempfile.mkstemp`` makes its file 0600, and the rename kept that mode:
    a report the CI artifact store or a web server could not read. Here the
    kernel applies the umask (and a default ACL) as for any other file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_ATTEMPTS):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text atomically.

    A lone surrogate, which UTF-8 cannot carry (a file name that is not
    UTF-8 holds one), is written as its escape ``\\udcff``: visible in a
    text, and in a JSON string exactly the escape of the same character.
    """
    write_bytes_atomic(path, text.encode("utf-8", "backslashreplace"))
