"""Undo: a clerk's last command reversed as a new, recorded correction.

The journal keeps the command's rows and gains an ``undo`` row naming them; replay leaves
undone steps out. Refused when someone else's change came after it, or when the command is
not one a clerk reverses by undo (imports, merges, calendars, policies, settings: those are
corrected with their own commands).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import lifecycle
from ..errors import Refused
from ..store.journal import undone_events
from .registers import TABLES

if TYPE_CHECKING:
    from . import Ledger


class History:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    def _last_command(self) -> dict[str, Any] | None:
        undone = undone_events(self.db)
        for row in self.db.query("select * from journal where command is not null "
                                 "order by id desc"):
            # A printed document is a record, not a change a clerk takes back: undo passes
            # over it to the command before.
            if row["subject"] != "undo" and row["action"] != "print" and row["id"] not in undone:
                return row
        return None

    def undo(self) -> dict[str, Any]:
        """Reverse the last command, if it was this user's; returns what was reversed."""
        with self.db.atomic():
            last = self._last_command()
            if last is None:
                raise Refused("undo.nothing")
            if (last["actor"] or "") != (self.L.user or ""):
                raise Refused("undo.someone_else", actor=last["actor"] or "?",
                              on=last["on_date"], action=last["action"])
            # The --user name can be typed by anyone: the account that ran the command must
            # be this one too (rows from before accounts were kept have none).
            if last.get("os_user") is not None and last["os_user"] != (self.L.os_user or ""):
                raise Refused("undo.other_account", account=last["os_user"] or "?",
                              current=self.L.os_user or "?", on=last["on_date"],
                              action=last["action"])
            rows = list(self.db.query("select * from journal where command = ? order by id",
                                      [last["command"]]))
            sent = self._sent_upto()
            # An exchange with another ledger is refused as such, before anything it wrote.
            for r in sorted(rows, key=lambda r: r["subject"] not in ("sync", "merge")):
                self._check_undoable(r)
                if r["subject"] == "demand" and r["id"] <= sent[0]:
                    raise Refused("undo.already_sent", name=sent[1])
            steps = [(r["subject"], r["action"], self._label_of(r)) for r in rows]
            self.L.journal.write("undo", last["command"], "undo", self.L.today.isoformat(),
                                 {"command": last["command"], "events": [r["id"] for r in rows]})
            changed: set[int] = set()
            for r in reversed(rows):
                self._reverse(r, changed)
            for demand_id in changed:
                self.L.demands.replay_into(demand_id)
            return {"command": last["command"], "actor": last["actor"], "steps": steps}

    def _sent_upto(self) -> tuple[int, str]:
        """The highest journal id a bundle has carried away, and to whom: a step that has
        left the ledger is corrected by another step, not undone."""
        best = (0, "")
        for upto, name in self.db.execute("select sent_upto, coalesce(name, ledger_id) from "
                                          "sync_peers"):
            best = max(best, (upto, name))
        row = self.db.execute("select value from meta where key = 'sync_sent_upto'").fetchone()
        if row and int(row[0]) > best[0]:
            best = (int(row[0]), "?")
        return best

    def _check_undoable(self, r: dict[str, Any]) -> None:
        subject, action = r["subject"], r["action"]
        undoable = r.get("origin") is None and (subject in ("demand", "visit")
                    or (subject == "resident" and action in ("add", "tag", "update", "merged"))
                    or (subject in TABLES and action == "add")
                    or (subject == "pair" and action in ("add", "remove"))
                    or (subject == "village" and action == "key"))
        if not undoable:
            raise Refused("undo.cannot", subject=subject, action=action)
        if subject == "resident" and action == "add" and self.L.residents.in_use(r["subject_id"]):
            raise Refused("undo.in_use", what="resident", name=json.loads(r["data"])["name"])

    def _reverse(self, r: dict[str, Any], changed: set[int]) -> None:
        subject, action, rid = r["subject"], r["action"], r["subject_id"]
        data = json.loads(r["data"])
        if subject == "demand" and action in lifecycle.FIRST_STEPS:
            self.L.demands.remove(rid)
            changed.discard(rid)
        elif subject == "demand":
            changed.add(rid)
        elif subject == "visit" and action == "resident":  # a merge moved it: back
            self.db.execute("update visits set resident_id = ? where id = ?",
                            [data.get("from"), rid])
        elif subject == "visit":
            self.L.visits.remove(rid)
        elif subject == "resident" and action == "add":
            self.L.residents.remove(rid)
        elif subject == "resident" and action == "merged":
            self.L.residents.unmerge(rid, data["record"])
        elif subject == "resident" and action == "update":
            self.L.residents.revert_update(rid, data)
        elif subject == "resident" and action == "tag":
            self.L.residents.change_tags(rid, add=data.get("remove", []),
                                         remove=data.get("add", []))
        elif subject == "pair" or (subject == "village" and action == "key"):
            self.L.pairing.reverse(action, rid, data)
        else:
            self.L.registers.remove_added(subject, rid, data.get("name", ""))

    def _label_of(self, r: dict[str, Any]) -> str:
        data = json.loads(r["data"])
        if r["subject"] == "demand":
            return self.L.demands.number_of(r["subject_id"]) or data.get("text", "")
        return data.get("name") or f"#{r['subject_id']}"
