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
from ..store import owner_only
from .files import atomic_path


def backup(ledger: Ledger, dest: Path, *, force: bool = False) -> int:
    """A consistent copy of the ledger at ``dest``; returns its size in bytes."""
    if dest.exists() and not force:
        raise Refused("backup.exists", path=str(dest))
    with atomic_path(dest) as tmp:
        try:
            target = sqlite3.connect(tmp)
            try:
                with target:
                    ledger.db.conn.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                target.close()
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
            current = sqlite3.connect(target)
            keep = sqlite3.connect(kept)
            with keep:
                current.backup(keep)
            keep.close()
            current.close()
            owner_only(kept)
        src = sqlite3.connect(copy)
        dst = sqlite3.connect(target, timeout=30)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        owner_only(target)
    return kept
