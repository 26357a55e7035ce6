"""Keeping the record safe: the ledger's own check, backups and restores.

``check`` runs SQLite's integrity check and the ledger's invariants and returns what it found
(an empty list means all is well). ``backup`` copies a ledger with SQLite's online backup,
consistent while others keep writing. ``restore`` checks a copy before it replaces anything,
and keeps the ledger it replaces beside it.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import lifecycle
from .errors import LedgerFileError, Refused
from .models import Ledger, undone_events
from .storage import _owner_only, open_ledger


@dataclass
class Finding:
    """One thing wrong, as a message key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def check(ledger: Ledger, limit: int = 50) -> list[Finding]:
    """Everything wrong with the ledger (at most ``limit`` findings of each kind)."""
    db = ledger.db
    found: list[Finding] = []
    rows = db.execute("PRAGMA integrity_check").fetchall()
    if [r[0] for r in rows] != ["ok"]:
        found += [Finding("check.integrity", {"detail": r[0]}) for r in rows[:limit]]
        return found  # a damaged file: nothing below can be trusted
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()[:limit]:
        found.append(Finding("check.reference", {"table": table, "id": rowid, "parent": parent}))
    units = {u for (u,) in db.execute("select id from units")}
    bad_units = []
    for number, co, summoned in db.execute("select number, co_unit_ids, summoned from demands"):
        ids = json.loads(co or "[]") + [u for u, _ in json.loads(summoned or "[]")]
        if any(u not in units for u in ids):
            bad_units.append(number)
    found += [Finding("check.unit_reference", {"number": n}) for n in bad_units[:limit]]
    # A demand whose acceptance was undone has a journal and, rightly, no row.
    undone = undone_events(db)
    orphans = db.execute("select subject_id, group_concat(id) from journal "
                         "where subject = 'demand' and subject_id not in (select id from demands) "
                         "group by subject_id").fetchall()
    orphans = [i for i, ids in orphans if not set(map(int, ids.split(","))) <= undone]
    found += [Finding("check.orphan_journal", {"id": i}) for i in orphans[:limit]]
    no_clock = db.execute("select number from demands where status = 'open' and due_on is null "
                          "and due_provisional = 0 order by number").fetchall()
    found += [Finding("check.no_deadline", {"number": n}) for (n,) in no_clock[:limit]]
    found += _journal_agreement(ledger, limit)
    return found


def _journal_agreement(ledger: Ledger, limit: int) -> list[Finding]:
    """Every demand's stored state equals the replay of its journal (streamed, one pass)."""
    db = ledger.db
    out: list[Finding] = []
    undone = undone_events(db)
    events = db.execute("select subject_id, action, data, reason, on_date, id from journal "
                        "where subject = 'demand' order by subject_id, id")
    grouped = itertools.groupby(events, key=lambda e: e[0])
    current = next(grouped, None)
    for row in db.query("select * from demands order by id"):
        while current is not None and current[0] < row["id"]:
            current = next(grouped, None)
        replay_events = []
        if current is not None and current[0] == row["id"]:
            for _, action, data, reason, on, event_id in current[1]:
                if event_id in undone:
                    continue
                d = json.loads(data)
                if reason:
                    d["reason"] = reason
                replay_events.append((action, d, on))
        try:
            state = lifecycle.replay(replay_events)
        except Exception as e:  # a journal that cannot be replayed is a finding, not a crash
            out.append(Finding("check.replay_fails", {"number": row["number"], "why": str(e)}))
            continue
        stored = Ledger._state(row)
        fields = [k for k in lifecycle.STATE_FIELDS if stored.get(k) != (state or {}).get(k)]
        if fields:
            out.append(Finding("journal.disagrees", {"number": row["number"],
                                                     "fields": ", ".join(fields)}))
        if len(out) >= limit:
            break
    return out


def backup(ledger: Ledger, dest: Path, *, force: bool = False) -> int:
    """A consistent copy of the ledger at ``dest``; returns its size in bytes."""
    if dest.exists() and not force:
        raise Refused("backup.exists", path=str(dest))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(tmp)
        with target:
            ledger.db.conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        target.close()
        _owner_only(tmp)
        tmp.replace(dest)
    except (OSError, sqlite3.Error) as e:
        tmp.unlink(missing_ok=True)
        raise LedgerFileError("file.cannot_write", path=str(dest), why=str(e)) from None
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
        findings = check(candidate)
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
            _owner_only(kept)
        src = sqlite3.connect(copy)
        dst = sqlite3.connect(target, timeout=30)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        _owner_only(target)
    return kept
