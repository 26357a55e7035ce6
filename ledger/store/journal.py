"""The journal: every change to the ledger is one appended row, written here and only here.

A row names its subject (``demand``, ``resident``, ``township`` ...) and the subject's id,
the action, the day it happened, who recorded it (``actor``: the ``--user`` name) and the
operating-system account that ran the command (``os_user``), why, the action's data as JSON,
when it was recorded and the command (one transaction) it belongs to. The file itself refuses
to update or delete journal rows, and to insert one anywhere but at the end (triggers of
m001 and m012). ``ledger undo`` reverses a command by appending an ``undo`` row naming the
rows it reverses: they stay, marked, and count for nothing.

The hash chain
--------------
Every row carries ``hash``, the SHA-256 of its own content and of the previous row's hash,
so that changing, removing or inserting any row changes the hash of every row after it
(an append-only log in the manner of Certificate Transparency). For row ``n``::

    hash(n) = SHA-256( UTF-8( "ledger-journal-v1\n" + hash(n-1) + "\n" + canonical(n) ) )

as 64 lower-case hex digits, where ``hash(0)`` is 64 zeros and ``canonical(n)`` is the JSON
array, without any whitespace, of the row's values in this order::

    [id, subject, subject_id, action, on_date, actor, os_user, reason, data, recorded_at, command]

each value as stored (integers as JSON numbers, text as JSON strings, NULL as null; ``data``
is the JSON text as stored, so it appears as one string), encoded as Python's
``json.dumps(values, ensure_ascii=False, separators=(",", ":"))`` encodes it: non-ASCII
characters as themselves, ``"`` ``\\`` and control characters escaped. Any program can
recompute it (``chain_hash`` below is the whole rule). ``ledger check`` recomputes the chain
from the first row and names the first row where it breaks; the **head** of the chain (the
last row's id and hash) printed by ``ledger backup`` and ``ledger check`` can be kept
elsewhere (on paper, by the county) and checked later with ``ledger check --head ID:HASH``.

The chain proves nothing against someone who rewrites the file and recomputes every hash
after the change: only a head kept outside the file does. Ledgers written before the chain
existed were chained once, as they stood, by migration m012 (``meta`` key
``chain_migrated`` holds how many rows that was).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any, Iterable, Iterator, Sequence

from sqlite_utils import Database

# The journal's data as JSON: Chinese kept readable, keys sorted (one encoder for all).
journal_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode

GENESIS = "0" * 64  # the "previous hash" of the first row
_PREFIX = "ledger-journal-v1\n"
_canonical = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_sha256 = hashlib.sha256

# The columns of a row in the order of its content tuple (``Journal.row``), then in the
# order the chain hashes them.
CONTENT = ("subject", "subject_id", "action", "on_date", "actor", "reason", "data",
           "recorded_at", "command", "os_user")
CHAINED = ("id", "subject", "subject_id", "action", "on_date", "actor", "os_user", "reason",
           "data", "recorded_at", "command")
INSERT = (f"insert into journal (id, {', '.join(CONTENT)}, hash) "
          f"values (?, {', '.join('?' for _ in CONTENT)}, ?)")

Event = tuple[str, dict[str, Any], str]  # (action, data with the reason folded in, on)


def chain_hash(prev: str, values: Sequence[Any]) -> str:
    """The hash of a row whose values are ``values`` (in the order of ``CHAINED``), after
    the row whose hash is ``prev``."""
    return _sha256((_PREFIX + prev + "\n" + _canonical(list(values))).encode("utf-8")).hexdigest()


def head(db: Database) -> tuple[int, str]:
    """The last row's id and hash (0 and ``GENESIS`` for an empty journal)."""
    row = db.execute("select id, hash from journal order by id desc limit 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def chained_rows(db: Database) -> Iterator[tuple[Any, ...]]:
    """Every row as ``(hash, *CHAINED values)``, in id order (streamed)."""
    return db.execute(f"select hash, {', '.join(CHAINED)} from journal order by id")


class Journal:
    """The one writer of journal rows, for one command by one user (``user``: the name
    given with --user; ``os_user``: the account the command runs under)."""

    def __init__(self, db: Database, user: str | None, now: str | None,
                 os_user: str | None = None) -> None:
        self.db, self.user, self.now, self.os_user = db, user, now, os_user

    def write(self, subject: str, subject_id: int, action: str, on: str,
              data: dict[str, Any] | None = None, reason: str | None = None) -> None:
        self.write_many([self.row(subject, subject_id, action, on, data, reason)])

    def row(self, subject: str, subject_id: int, action: str, on: str,
            data: dict[str, Any] | None = None, reason: str | None = None) -> tuple[Any, ...]:
        """One row's content as ``write_many`` takes it (a bulk path batches the same rows)."""
        return (subject, subject_id, action, on, self.user, reason, journal_json(data or {}),
                self.now, self.db.next_command(), self.os_user)

    def copied(self, subject_id: int, event: dict[str, Any],
               data: dict[str, Any]) -> tuple[Any, ...]:
        """A demand's event brought from another ledger: who recorded it, under which
        account, and when, kept; ``data`` is its data with the ids translated to this
        ledger's."""
        return ("demand", subject_id, event["action"], event["on_date"], event["actor"],
                event["reason"], journal_json(data), event["recorded_at"],
                self.db.next_command(), event.get("os_user"))

    def write_many(self, rows: Iterable[Sequence[Any]]) -> None:
        """Rows (``row`` or ``copied``) appended in order, each given the next id and its
        link in the chain; under the write lock, so no other writer comes between."""
        if not self.db.conn.in_transaction:
            with self.db.atomic():  # type: ignore[attr-defined]
                self._append(rows)
        else:  # one statement: atomic in itself, and the lock is held already
            self._append(rows)

    def _append(self, rows: Iterable[Sequence[Any]]) -> None:
        last_id, prev = head(self.db)
        out = []
        for content in rows:
            last_id += 1
            (subject, subject_id, action, on_date, actor, reason, data, recorded_at,
             command, os_user) = content
            prev = chain_hash(prev, (last_id, subject, subject_id, action, on_date, actor,
                                     os_user, reason, data, recorded_at, command))
            out.append((last_id, *content, prev))
        self.db.conn.executemany(INSERT, out)


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
