"""Backups and restores. ``backup`` copies a ledger with SQLite's online backup, consistent
while others keep writing. ``restore`` checks a copy (``ledger.checks``) before it replaces
anything, and keeps the ledger it replaces beside it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from datetime import date
from pathlib import Path
from typing import Iterable

from ..errors import LedgerFileError, Refused
from ..services import Ledger, open_ledger
from ..store import copy_database, file_error, owner_only, path_error
from .files import atomic_ledger, atomic_path, check_name


def backup(ledger: Ledger, dest: Path, *, force: bool = False,
           keep: Iterable[Path] = ()) -> int:
    """A consistent copy of the ledger at ``dest``; returns its size in bytes. Written as
    every output is (``io.files``): whole or not at all, never over an existing file without
    ``force``, readable by its owner only."""
    with atomic_path(dest, force=force, private=True, keep=keep) as tmp:
        try:
            copy_database(ledger.db.conn, tmp, single_file=True)
        except sqlite3.Error as e:
            raise LedgerFileError("file.cannot_write", path=str(dest), why=str(e)) from None
        owner_only(tmp)
    return dest.stat().st_size


def restore(target: Path, source: Path, *, today: date, force: bool = False) -> Path | None:
    """Replace the ledger at ``target`` with the backup ``source``, once the backup has
    passed the check; the ledger it replaces is kept as ``<name>.before-restore-<date>``
    (numbered ``-2``, ``-3`` ... when a copy of that day is there already: a second restore
    never overwrites the first one's safety copy).

    The ledger is replaced through SQLite (its online backup into the open file), never by
    renaming over it: a ledger another program holds (another ``ledger``, a database
    browser) is waited for, as any writer waits, and if it is still held after that the
    restore is refused with the ledger as it was and no safety copy left behind."""
    try:
        if not source.is_file():
            raise LedgerFileError("file.cannot_open", path=str(source), why="no such file")
    except OSError as e:
        raise path_error(e, source) from None
    try:
        there, regular = target.exists(), target.is_file()
    except OSError as e:
        raise path_error(e, target) from None
    if there and not force:
        raise Refused("restore.exists", path=str(target))
    if not regular:
        check_name(target)  # the ledger it creates must be a file on Windows too
    with tempfile.TemporaryDirectory(prefix="ledger-restore-") as tmp:
        copy = Path(tmp) / "candidate.db"
        try:
            shutil.copyfile(source, copy)
        except OSError as e:  # on Windows, a backup another program holds open, say
            raise path_error(e, source, "file.cannot_read") from None
        findings = _check_copy(copy, source, today)
        if findings:
            raise Refused("restore.bad_copy", path=str(source), n=findings)
        kept = None
        try:
            if there:
                kept = _claim_kept(target, today)
                copy_database(target, kept)
                owner_only(kept)
                copy_database(copy, target)
            else:
                # A new ledger: built beside it and renamed into place, so an interrupted
                # restore leaves no half-copied file (ledger.io.files).
                with atomic_ledger(target) as tmp:
                    copy_database(copy, tmp)
        except sqlite3.Error as e:
            if kept is not None:  # the ledger was not replaced: no copy of it to keep
                with contextlib.suppress(OSError):
                    kept.unlink()
            # Still locked after the wait: held by another program, to be closed.
            raise file_error(e, target, replacing=True) from None
        owner_only(target)
    return kept


def _check_copy(copy: Path, source: Path, today: date) -> int:
    """How many problems ``ledger check`` finds in ``copy``, the working copy of the backup
    ``source``. Whatever the copy is (not a ledger, damaged, of a newer version), the line
    names ``source``, the file the clerk gave, never the working copy, nor the ledger."""
    try:
        candidate = Ledger(open_ledger(copy), today=today)
    except LedgerFileError as e:
        params = {k: (str(source) if str(v) == str(copy) else v) for k, v in e.params.items()}
        raise type(e)(e.key, **params) from None
    try:
        return len(candidate.checks.problems(candidate.checks.run()))
    except sqlite3.Error as e:  # a damaged page met by the check
        raise file_error(e, source, opening=True) from None
    finally:
        candidate.db.conn.close()


def _claim_kept(target: Path, today: date) -> Path:
    """A new name for the ledger a restore replaces: ``<name>.before-restore-<date>``, then
    ``...-<date>-2``, ``-3`` ... for more restores that day; never one already there. The
    name is taken by creating the file (readable by its owner only), so two restores at
    once cannot take the same one."""
    base = f"{target.name}.before-restore-{today.isoformat()}"
    for n in range(1, 10_000):
        kept = target.with_name(base if n == 1 else f"{base}-{n}")
        try:
            os.close(os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        except OSError as e:
            raise path_error(e, kept, "file.cannot_write") from None
        return kept
    raise LedgerFileError("file.cannot_write", path=str(target.with_name(base)), why="exists")
