"""Backups and restores. ``backup`` copies a ledger with SQLite's online backup, consistent
while others keep writing. ``restore`` checks a copy (``ledger.checks``) before it replaces
anything, and keeps the ledger it replaces beside it.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from datetime import date
from pathlib import Path

from ..errors import LedgerFileError, Refused
from ..services import Ledger, open_ledger
from ..store import copy_database, owner_only
from .files import atomic_path


def backup(ledger: Ledger, dest: Path, *, force: bool = False) -> int:
    """A consistent copy of the ledger at ``dest``; returns its size in bytes."""
    if dest.exists() and not force:
        raise Refused("backup.exists", path=str(dest))
    with atomic_path(dest) as tmp:
        try:
            copy_database(ledger.db.conn, tmp, single_file=True)
        except sqlite3.Error as e:
            raise LedgerFileError("file.cannot_write", path=str(dest), why=str(e)) from None
        owner_only(tmp)
    return dest.stat().st_size


def restore(target: Path, source: Path, *, today: date, force: bool = False) -> Path | None:
    """Replace the ledger at ``target`` with the backup ``source``, once the backup has
    passed the check; the ledger it replaces is kept as ``<name>.before-restore-<date>``."""
    if not source.is_file():
        raise LedgerFileError("file.cannot_open", path=str(source), why="no such file")
    if target.exists() and not force:
        raise Refused("restore.exists", path=str(target))
    with tempfile.TemporaryDirectory(prefix="ledger-restore-") as tmp:
        copy = Path(tmp) / "candidate.db"
        shutil.copyfile(source, copy)
        candidate = Ledger(open_ledger(copy), today=today)
        findings = candidate.checks.run()
        candidate.db.conn.close()
        if findings:
            raise Refused("restore.bad_copy", path=str(source), n=len(findings))
        kept = None
        if target.exists():
            kept = target.with_name(f"{target.name}.before-restore-{today.isoformat()}")
            copy_database(target, kept)
            owner_only(kept)
        copy_database(copy, target)
        owner_only(target)
    return kept
