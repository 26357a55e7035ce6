"""Files the ledger writes besides itself (``--output FILE``, ``export -o FILE``, the
``--errors FILE`` of a refused import, a backup), written whole or not at all.

Every such file is written to a temporary file beside it (``<name>.tmp``, in the same folder
so that the final rename stays on one file system) and takes the target's name only when
the writing block has finished without an error. On any error the temporary file is removed
and the target is left as it was; a failure of the file system becomes one
``LedgerFileError("file.cannot_write")`` naming the target. The encodings are the caller's:
text and CSV for people carry a UTF-8 BOM (``utf-8-sig``), JSON for programs does not.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO, Any, Iterator

from ..errors import LedgerFileError


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to (for writers that want a name, such as
    SQLite's backup); it replaces ``path`` when the block succeeds, and is removed otherwise."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        yield tmp
        tmp.replace(path)
    except OSError as e:
        raise LedgerFileError("file.cannot_write", path=str(path),
                              why=e.strerror or str(e)) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # gone already when the block succeeded


@contextlib.contextmanager
def atomic_write(path: Path, *, binary: bool = False,
                 encoding: str | None = "utf-8-sig") -> Iterator[IO[Any]]:
    """``path`` opened for writing (bytes, or text in ``encoding`` with line ends written
    as given), through ``atomic_path``: the file appears whole when the block succeeds."""
    with atomic_path(path) as tmp:
        if binary:
            with open(tmp, "wb") as out:
                yield out
        else:
            with open(tmp, "w", encoding=encoding, newline="") as out:
                yield out
