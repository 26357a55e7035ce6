"""Merge another ledger into this one: a county gathering what its townships collected.

A merge is a sync import of the other ledger's whole history (``services.sync``): the other
file is never written — it is copied with SQLite's online backup (consistent even while a
clerk is still writing to it), the copy is brought to this version's schema, a full bundle
is made from the copy, and that bundle is taken in. Places, units, cadres and vocabularies
are matched by name (and created when missing); residents and visits by their global
identity (else residents by ID number); every event by its global identity, so merging the
same file again adds nothing, and merging it again after the township went on brings every
new step of every case. A case keeps its number in the ledger it came from, shown with that
ledger's name (青石镇:2026-000004). The whole merge is one transaction.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from ..errors import LedgerFileError, Refused
from ..services import Ledger, open_ledger
from ..services.sync import Progress, SyncResult
from ..store import copy_database

MergeResult = SyncResult


def copy_of(path: Path, into: Path) -> None:
    """A consistent copy of a ledger file, read without writing to it."""
    if not path.is_file():
        raise LedgerFileError("file.cannot_open", path=str(path), why="no such file")
    try:
        copy_database(path, into, read_only=True)
    except sqlite3.Error as e:
        raise LedgerFileError("file.not_ledger", path=str(path), why=str(e)) from None


def merge_ledger(ledger: Ledger, path: Path, progress: Progress | None = None) -> MergeResult:
    """Bring the other ledger's residents, visits, demands and journals into this one."""
    with tempfile.TemporaryDirectory(prefix="ledger-merge-") as tmp:
        copy = Path(tmp) / "other.db"
        copy_of(path, copy)
        other = Ledger(open_ledger(copy), today=ledger.today, user=ledger.user or "",
                       now=ledger.now, os_user=ledger.os_user)
        try:
            origin = other.registers.ledger_id()
            if origin == ledger.registers.ledger_id():
                raise Refused("merge.same_ledger", path=str(path))
            if not other.db.execute("select 1 from meta where key = 'name'").fetchone():
                # A ledger of several townships and no name is known here by all of them.
                towns = other.registers.names("select name from townships order by id")
                if len(towns) != 1:
                    other.db["meta"].upsert({"key": "name", "value": "、".join(towns) or
                                             origin[:8]}, pk="key")
            bundle = Path(tmp) / "full.bundle"
            other.sync.export(bundle)
        finally:
            other.db.conn.close()
        return ledger.sync.import_(bundle, kind="merge", source=path, progress=progress)
