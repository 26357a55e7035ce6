"""Files the ledger writes besides itself (``export -o FILE``, ``summary --output FILE``, the
``--errors FILE`` of a refused import, a backup, the demo ledger): the one writer of all of
them, and its rules.

* **Written whole or not at all.** A file is written to a new temporary file beside the
  target (same folder, so the final rename stays on one file system; created exclusively,
  so nothing planted there is followed), flushed to the disk, and takes the target's name
  only when the writing has finished without an error. On any error the temporary file is
  removed and the target is left as it was.
* **One overwrite rule.** An existing file is never replaced unless the command is given
  ``--force``; without it the command is refused before anything is written.
* **Only regular files.** A symlink, named pipe, device, socket or folder at the target is
  never replaced, not even with ``--force``; the ledger file the command works on is never
  an output either.
* **Private when personal.** A file holding personal data in full (names, phones, ID
  numbers: an unmasked export, a backup, an import's problem list) is created readable by
  its owner only (0600); any other gets the usual mode (0666 less the umask).
* **Standard output only when asked**, with ``-`` as the path (``-o -``).
* **A missing folder is refused** (never created: a mistyped folder must not scatter files).

A failure of the file system becomes one ``LedgerFileError`` naming the target: a full
disk, a missing permission and a read-only disk each have their own message. The encodings
are the caller's: text and CSV for people carry a UTF-8 BOM (``utf-8-sig``), JSON for
programs does not.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from ..errors import LedgerFileError, Refused

STDOUT = "-"

_KINDS = ((stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "pipe"), (stat.S_ISCHR, "device"),
          (stat.S_ISBLK, "device"), (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "folder"))


def is_stdout(path: Path | str | None) -> bool:
    return path is not None and str(path) == STDOUT


def check_target(path: Path, *, force: bool = False, keep: Iterable[Path] = ()) -> None:
    """Refuse, before anything is written, a target that is not ours to replace: anything
    but a regular file, the ledger itself, an existing file without ``force``, or a file in
    a folder that does not exist."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _os_error(e, path) from None
    if st is not None:
        for test, kind in _KINDS:
            if test(st.st_mode):
                raise LedgerFileError("output.not_regular", path=str(path), file_kind=kind)
        for other in keep:
            with contextlib.suppress(OSError):
                if os.path.samefile(path, other):
                    raise LedgerFileError("output.is_ledger", path=str(path))
        if not force:
            raise Refused("output.exists", path=str(path))
    folder = path.parent
    if not folder.is_dir():
        raise LedgerFileError("output.no_folder", path=str(path), folder=str(folder))


@contextlib.contextmanager
def atomic_path(path: Path, *, force: bool = False, private: bool = False,
                keep: Iterable[Path] = ()) -> Iterator[Path]:
    """A new temporary path beside ``path`` to write to (for writers that want a name, such
    as SQLite's backup); it replaces ``path`` when the block succeeds, and is removed
    otherwise. The rules of the module apply."""
    keep = tuple(keep)
    check_target(path, force=force, keep=keep)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _os_error(e, path) from None
    os.close(fd)
    tmp = Path(name)  # created 0600, by this process, exclusively
    try:
        yield tmp
        _sync(tmp)
        if not private:
            os.chmod(tmp, 0o666 & ~_umask())
        check_target(path, force=force, keep=keep)  # nothing slipped in while writing
        os.replace(tmp, path)
    except OSError as e:
        raise _os_error(e, path) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # gone already when the block succeeded


@contextlib.contextmanager
def atomic_write(path: Path | str, *, binary: bool = False, encoding: str | None = "utf-8-sig",
                 force: bool = False, private: bool = False,
                 keep: Iterable[Path] = ()) -> Iterator[IO[Any]]:
    """``path`` opened for writing (bytes, or text in ``encoding`` with line ends written
    as given), through ``atomic_path``: the file appears whole when the block succeeds.
    ``-`` is standard output."""
    if is_stdout(path):
        with _stdout(binary, encoding) as out:
            yield out
        return
    with atomic_path(Path(path), force=force, private=private, keep=keep) as tmp:
        if binary:
            with open(tmp, "wb") as out:
                yield out
        else:
            with open(tmp, "w", encoding=encoding, newline="") as out:
                yield out


@contextlib.contextmanager
def _stdout(binary: bool, encoding: str | None) -> Iterator[IO[Any]]:
    raw = getattr(sys.stdout, "buffer", None)
    if raw is None:  # a stream without bytes underneath (a test's capture)
        buf = io.BytesIO()
        yield buf if binary else io.TextIOWrapper(buf, encoding=encoding or "utf-8", newline="")
        sys.stdout.write(buf.getvalue().decode(encoding or "utf-8", "replace"))
        return
    sys.stdout.flush()
    if binary:
        yield raw
        raw.flush()
        return
    text = io.TextIOWrapper(raw, encoding=encoding or "utf-8", newline="")
    try:
        yield text
        text.flush()
    finally:
        text.detach()


def _sync(path: Path) -> None:
    """The temporary file on the disk before it takes the target's name."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _os_error(e: OSError, path: Path | str) -> LedgerFileError:
    """A file system error on an output as its one line."""
    why = e.strerror or str(e)
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return LedgerFileError("output.disk_full", path=str(path))
    if e.errno in (errno.EACCES, errno.EPERM):
        return LedgerFileError("output.no_permission", path=str(path))
    if e.errno == errno.EROFS:
        return LedgerFileError("output.read_only", path=str(path))
    return LedgerFileError("file.cannot_write", path=str(path), why=why)
