"""The journal: every change to the ledger is one appended row, written here and only here.

A row names its subject (``demand``, ``resident``, ``township`` ...) and the subject's id,
the action, the day it happened, who recorded it and why, the action's data as JSON, when it
was recorded and the command (one transaction) it belongs to. The file itself refuses to
update or delete journal rows. ``ledger undo`` reverses a command by appending an ``undo``
row naming the rows it reverses: they stay, marked, and count for nothing.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Iterable, Iterator, Sequence

from sqlite_utils import Database

# The journal's data as JSON: Chinese kept readable, keys sorted (one encoder for all).
journal_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode

INSERT = ("insert into journal (subject, subject_id, action, on_date, actor, reason, "
          "data, recorded_at, command) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")

Event = tuple[str, dict[str, Any], str]  # (action, data with the reason folded in, on)


class Journal:
    """The one writer of journal rows, for one command by one user."""

    def __init__(self, db: Database, user: str | None, now: str | None) -> None:
        self.db, self.user, self.now = db, user, now

    def write(self, subject: str, subject_id: int, action: str, on: str,
              data: dict[str, Any] | None = None, reason: str | None = None) -> None:
        self.db.execute(INSERT, self.row(subject, subject_id, action, on, data, reason))

    def row(self, subject: str, subject_id: int, action: str, on: str,
            data: dict[str, Any] | None = None, reason: str | None = None) -> tuple[Any, ...]:
        """One row as ``write_many`` takes it (a bulk path batches the same rows)."""
        return (subject, subject_id, action, on, self.user, reason, journal_json(data or {}),
                self.now, self.db.next_command())

    def copied(self, subject_id: int, event: dict[str, Any],
               data: dict[str, Any]) -> tuple[Any, ...]:
        """A demand's event brought from another ledger: who recorded it, and when, kept;
        ``data`` is its data with the ids translated to this ledger's."""
        return ("demand", subject_id, event["action"], event["on_date"], event["actor"],
                event["reason"], journal_json(data), event["recorded_at"],
                self.db.next_command())

    def write_many(self, rows: Iterable[Sequence[Any]]) -> None:
        self.db.conn.executemany(INSERT, rows)


def undone_events(db: Database) -> set[int]:
    """Journal rows reversed by `ledger undo` (they stay in the journal, and count for nothing)."""
    ids: set[int] = set()
    for (data,) in db.execute("select data from journal where subject = 'undo'"):
        ids.update(json.loads(data).get("events", []))
    return ids


def _event(action: str, data: str, reason: str | None, on: str) -> Event:
    d = json.loads(data)
    if reason:
        d["reason"] = reason
    return action, d, on


def demand_events(db: Database, demand_id: int, undone: set[int] | None = None) -> list[Event]:
    """A demand's journal as ``(action, data, on)``, the reason folded into the data; steps
    reversed by `ledger undo` left out."""
    undone = undone_events(db) if undone is None else undone
    return [_event(action, data, reason, on) for eid, action, data, reason, on in db.execute(
        "select id, action, data, reason, on_date from journal where subject = 'demand' and "
        "subject_id = ? order by id", [demand_id]) if eid not in undone]


def all_demand_events(db: Database) -> Iterator[tuple[int, list[Event]]]:
    """Every demand's events, demand by demand in id order (streamed, one pass)."""
    undone = undone_events(db)
    rows = db.execute("select subject_id, id, action, data, reason, on_date from journal "
                      "where subject = 'demand' order by subject_id, id")
    for demand_id, group in itertools.groupby(rows, key=lambda r: r[0]):
        yield demand_id, [_event(action, data, reason, on)
                          for _, eid, action, data, reason, on in group if eid not in undone]


def demand_journal(db: Database, demand_id: int) -> list[dict[str, Any]]:
    """A demand's journal rows as stored (for its history), each with ``undone``."""
    undone = undone_events(db)
    rows = list(db.query("select * from journal where subject = 'demand' and subject_id = ? "
                         "order by id", [demand_id]))
    for r in rows:
        r["data"] = json.loads(r["data"])
        r["undone"] = r["id"] in undone
    return rows


def demand_journals(db: Database) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Every demand's journal rows as stored (data decoded), demand by demand in id order,
    without the steps that were undone."""
    undone = undone_events(db)
    rows = db.query("select * from journal where subject = 'demand' order by subject_id, id")
    for demand_id, group in itertools.groupby(rows, key=lambda row: row["subject_id"]):
        yield demand_id, [{**e, "data": json.loads(e["data"])} for e in group
                          if e["id"] not in undone]
