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
  never replaced, not even with ``--force``; nor is a ledger file, not even with ``--force``:
  neither the one the command works on nor any other (an SQLite file with the ledger's
  migrations table, ``is_ledger_file``).
* **Private when personal.** A file holding personal data in full (names, phones, ID
  numbers: an unmasked export, a backup, an import's problem list) is created readable by
  its owner only (0600); any other gets the usual mode (0666 less the umask).
* **Standard output only when asked**, with ``-`` as the path (``-o -``).
* **A missing folder is refused** (never created: a mistyped folder must not scatter files).
* **Names from data made safe in one place** (``safe_file_part``): a name that arrives in
  the ledger (a township's name in a bundle, a resident's name) and becomes part of a
  default file name never names a folder (``../../x``) nor holds what Windows refuses.
* **Names Windows can hold**, on every system (a ledger and its files move between Linux
  and Windows): a device name (``NUL.csv``, ``con.tar.gz``), a name ending in a dot or a
  space, or one with ``<>:"|?*`` or a control character is refused as unusable input.

A failure of the file system becomes one ``LedgerFileError`` naming the target: a full
disk, a missing permission, a read-only disk, a file another program holds open (Windows)
and a path too long each have their own message. The encodings
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

from ..errors import BadInput, LedgerFileError, Refused

STDOUT = "-"
WINDOWS = os.name == "nt"  # (a name, so that the tests can play Windows)

# Names Windows keeps for its devices, whatever follows the first dot and with spaces before
# it ignored: what is written to "NUL.csv" or "con.tar.gz" goes to the device and is lost
# without an error. ¹²³ are digits to Windows there too. (As Python 3.13's
# ntpath.isreserved, which 3.11 lacks.)
_DEVICE_NAMES = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
                          | {f"{port}{n}" for port in ("COM", "LPT") for n in "123456789¹²³"})
# Characters Windows refuses in a name (":" would name a hidden stream of another file).
_NOT_IN_NAMES = frozenset('<>:"|?*') | frozenset(map(chr, range(32)))

_KINDS = ((stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "pipe"), (stat.S_ISCHR, "device"),
          (stat.S_ISBLK, "device"), (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "folder"))


def is_stdout(path: Path | str | None) -> bool:
    return path is not None and str(path) == STDOUT


def check_name(path: Path) -> None:
    """Refuse a file name Windows cannot hold as a file (``BadInput``, exit 2): a device
    name, a name ending in a dot or a space (Windows drops them, and writes another file),
    or one with a character Windows does not allow. Only the last part of the path is
    looked at: ``C:`` and the folders are the system's to judge."""
    name = path.name
    if name in ("", ".", ".."):
        return  # a folder: check_target says so
    shown = "".join(ch if ch >= " " else f"\\x{ord(ch):02x}" for ch in name)
    if name.partition(".")[0].rstrip(" ").upper() in _DEVICE_NAMES:
        raise BadInput("filename.device", name=shown)
    bad = sorted(_NOT_IN_NAMES.intersection(name))
    if bad:
        char = bad[0] if bad[0] >= " " else f"U+{ord(bad[0]):04X}"
        raise BadInput("filename.bad_char", name=shown, char=char)
    if name[-1] in ". ":
        raise BadInput("filename.bad_end", name=shown)


SQLITE_HEADER = b"SQLite format 3\0"
LEDGER_TABLE = "_sqlite_migrations"  # every ledger has it (store.migrations); a bundle has not
_PART_MAX = 60  # characters of a name kept in a file name


def safe_file_part(name: str) -> str:
    """``name`` (from the ledger's data: a township's name, a resident's) as a part of a
    file name: never a folder (``/`` ``\\`` and a leading ``.`` become ``_``), nothing
    Windows refuses (``<>:"|?*``, control characters, spaces or dots at the end, a device
    name), at most 60 characters; never empty. The one place every default file name the
    ledger makes passes its names through."""
    out = "".join("_" if ch in _NOT_IN_NAMES or ch in "/\\" or ch.isspace() and ch != " "
                  or ord(ch) == 0x7F else ch for ch in str(name))[:_PART_MAX]
    out = out.strip(" ")
    out = out.rstrip(".")
    if out.startswith("."):
        out = "_" + out.lstrip(".")
    if not out or out.partition(".")[0].rstrip(" ").upper() in _DEVICE_NAMES:
        out = "_" + out
    return out


def is_ledger_file(path: Path) -> bool:
    """Whether ``path`` is an SQLite file holding a ledger (its header, then its migrations
    table: two small reads). An SQLite file whose schema cannot be read is taken as one (a
    damaged ledger is still a ledger)."""
    import sqlite3

    try:
        with open(path, "rb") as f:
            if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return False
    except OSError:
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("select 1 from sqlite_master where type = 'table' and name = ?",
                                [LEDGER_TABLE]).fetchone() is not None
        finally:
            conn.close()
    except (sqlite3.Error, OSError, ValueError):
        return True


def check_target(path: Path, *, force: bool = False, keep: Iterable[Path] = ()) -> None:
    """Refuse, before anything is written, a target that is not ours to replace: a name
    Windows cannot hold (``check_name``), anything but a regular file, the ledger itself or
    any other ledger file (with ``force`` too), an existing file without ``force``, or a
    file in a folder that does not exist."""
    check_name(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise os_error(e, path) from None
    if st is not None:
        for test, kind in _KINDS:
            if test(st.st_mode):
                raise LedgerFileError("output.not_regular", path=str(path), file_kind=kind)
        for other in keep:
            with contextlib.suppress(OSError):
                if os.path.samefile(path, other):
                    raise LedgerFileError("output.is_ledger", path=str(path))
        if is_ledger_file(path):
            raise LedgerFileError("output.other_ledger", path=str(path))
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
    tmp: Path | None = None
    try:
        try:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                        dir=path.parent)
        except OSError as e:
            raise os_error(e, path) from None
        tmp = Path(name)  # created 0600, by this process, exclusively
        os.close(fd)  # (after the name is kept: an interruption here leaves no file either)
        yield tmp
        _sync(tmp)
        if not private:
            os.chmod(tmp, 0o666 & ~_umask())
        check_target(path, force=force, keep=keep)  # nothing slipped in while writing
        try:
            os.replace(tmp, path)
        except OSError as e:
            raise os_error(e, path, replacing=True) from None
    except OSError as e:
        raise os_error(e, path) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)  # gone already when the block succeeded


# The files SQLite keeps beside a database while it is open.
SIDE_FILES = ("-wal", "-shm", "-journal")


@contextlib.contextmanager
def atomic_ledger(path: Path, *, force: bool = False,
                  keep: Iterable[Path] = ()) -> Iterator[Path]:
    """A new ledger file built at a temporary path beside ``path`` (``atomic_path``,
    readable by its owner only): it takes ``path``'s name only when the block succeeds, so
    a build that fails or is interrupted (Ctrl-C, SIGTERM) leaves neither a ledger nor a
    temporary file behind, SQLite's side files included. The caller closes the database
    before the block ends."""
    with atomic_path(path, force=force, private=True, keep=keep) as tmp:
        try:
            yield tmp
        finally:
            for suffix in SIDE_FILES:  # none after a clean close; an interrupted one's
                with contextlib.suppress(OSError):
                    Path(str(tmp) + suffix).unlink(missing_ok=True)


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


# Windows' errors for a file another program holds open: ERROR_SHARING_VIOLATION and
# ERROR_LOCK_VIOLATION (Python gives both errno EACCES, as for a missing permission).
_IN_USE = (32, 33)
_ACCESS_DENIED = 5  # also what replacing a file open in WPS or Excel meets
_FILENAME_EXCED_RANGE = 206
_MAX_PATH = 260  # Windows' limit on a whole path, unless long paths are switched on


def in_use(e: OSError, path: Path | str, *, replacing: bool = False) -> bool:
    """Whether ``e`` says another program (WPS, Excel, another ledger window, a database
    browser) holds ``path`` open. Replacing a file open elsewhere is refused as access
    denied, as is replacing a read-only file: a file that is writable is taken as open."""
    winerror = getattr(e, "winerror", None)
    if winerror in _IN_USE:
        return True
    if winerror == _ACCESS_DENIED and replacing:
        with contextlib.suppress(OSError, ValueError):
            return os.path.isfile(path) and os.access(path, os.W_OK)
    return False


def too_long(e: OSError, path: Path | str) -> bool:
    """Whether ``e`` comes from a path longer than the system takes: Linux says so; Windows
    (without long paths switched on) mostly says that the path is not found."""
    if e.errno == errno.ENAMETOOLONG or getattr(e, "winerror", None) == _FILENAME_EXCED_RANGE:
        return True
    if WINDOWS and e.errno == errno.ENOENT:
        # The name that failed may be the longer temporary one beside the target.
        with contextlib.suppress(OSError, ValueError, TypeError):
            return max(len(os.path.abspath(p)) for p in (path, e.filename or path)) >= _MAX_PATH
    return False


def os_error(e: OSError, path: Path | str, *, replacing: bool = False) -> LedgerFileError:
    """A file system error on an output as its one line (``replacing``: met when the
    finished file took the target's name)."""
    why = e.strerror or str(e)
    if in_use(e, path, replacing=replacing):
        return LedgerFileError("output.in_use", path=str(path))
    if too_long(e, path):
        return LedgerFileError("output.too_long", path=str(path))
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return LedgerFileError("output.disk_full", path=str(path))
    if e.errno in (errno.EACCES, errno.EPERM):
        return LedgerFileError("output.no_permission", path=str(path))
    if e.errno == errno.EROFS:
        return LedgerFileError("output.read_only", path=str(path))
    return LedgerFileError("file.cannot_write", path=str(path), why=why)
