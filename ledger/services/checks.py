"""The ledger's own check: SQLite's integrity check, then the ledger's invariants.

An empty list of findings means all is well: the file is sound, every reference points to
something that exists, every open demand has a deadline, and every demand's stored state is
the replay of its journal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import lifecycle
from ..store.journal import all_demand_events, undone_events
from .demands import state_of

if TYPE_CHECKING:
    from . import Ledger


@dataclass
class Finding:
    """One thing wrong, as a message key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


class Checks:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    def run(self, limit: int = 50) -> list[Finding]:
        """Everything wrong with the ledger (at most ``limit`` findings of each kind)."""
        db = self.db
        found: list[Finding] = []
        rows = db.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            found += [Finding("check.integrity", {"detail": r[0]}) for r in rows[:limit]]
            return found  # a damaged file: nothing below can be trusted
        for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()[:limit]:
            found.append(Finding("check.reference", {"table": table, "id": rowid, "parent": parent}))
        units = set(self.L.registers.unit_names())
        bad_units = []
        for number, co, summoned in db.execute("select number, co_unit_ids, summoned from demands"):
            ids = json.loads(co or "[]") + [u for u, _ in json.loads(summoned or "[]")]
            if any(u not in units for u in ids):
                bad_units.append(number)
        found += [Finding("check.unit_reference", {"number": n}) for n in bad_units[:limit]]
        # A demand whose acceptance was undone has a journal and, rightly, no row.
        undone = undone_events(db)
        orphans = db.execute("select subject_id, group_concat(id) from journal where subject = "
                             "'demand' and subject_id not in (select id from demands) "
                             "group by subject_id").fetchall()
        orphans = [i for i, ids in orphans if not set(map(int, ids.split(","))) <= undone]
        found += [Finding("check.orphan_journal", {"id": i}) for i in orphans[:limit]]
        no_clock = db.execute("select number from demands where status = 'open' and due_on is "
                              "null and due_provisional = 0 order by number").fetchall()
        found += [Finding("check.no_deadline", {"number": n}) for (n,) in no_clock[:limit]]
        return found + self._journal_agreement(limit)

    def _journal_agreement(self, limit: int) -> list[Finding]:
        """Every demand's stored state equals the replay of its journal (streamed, one pass)."""
        out: list[Finding] = []
        journals = all_demand_events(self.db)
        current = next(journals, None)
        for row in self.db.query("select * from demands order by id"):
            while current is not None and current[0] < row["id"]:
                current = next(journals, None)
            events = current[1] if current is not None and current[0] == row["id"] else []
            try:
                state = lifecycle.replay(events)
            except Exception as e:  # a journal that cannot be replayed is a finding, not a crash
                out.append(Finding("check.replay_fails", {"number": row["number"], "why": str(e)}))
                continue
            stored = state_of(row)
            fields = [k for k in lifecycle.STATE_FIELDS if stored.get(k) != (state or {}).get(k)]
            if fields:
                out.append(Finding("journal.disagrees", {"number": row["number"],
                                                         "fields": ", ".join(fields)}))
            if len(out) >= limit:
                break
        return out
