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

followed, for a row received from another ledger (m013: ``origin`` is set), by ``origin`` and
``origin_id``, the row's global identity (a row written here leaves both empty, and its
array ends at ``command`` as before),

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

Global identity and the order of a shared case
----------------------------------------------
A row's global identity is ``(origin, origin_id)``: the ledger it was first written in and
its id there (for a row written here, this ledger's identity and its own id). A case shared
between ledgers (a township's case at the county) has events from several of them; its
state is the replay of all of them in one defined order, the same in every ledger that has
them: each ledger's own events keep the order they were written in, and between ledgers the
earlier day of the step comes first, then the earlier time it was recorded, then the ledger
identity (``replay_order``). Events of a case that the replay refused are conflicts
(``sync_conflicts``): kept, listed, and left out of the state until a person settles them.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

if TYPE_CHECKING:
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
           "recorded_at", "command", "os_user", "origin", "origin_id")
CHAINED = ("id", "subject", "subject_id", "action", "on_date", "actor", "os_user", "reason",
           "data", "recorded_at", "command", "origin", "origin_id")
INSERT = (f"insert into journal (id, {', '.join(CONTENT)}, hash) "
          f"values (?, {', '.join('?' for _ in CONTENT)}, ?)")

Event = tuple[str, dict[str, Any], str]  # (action, data with the reason folded in, on)


def chain_hash(prev: str, values: Sequence[Any]) -> str:
    """The hash of a row whose values are ``values`` (in the order of ``CHAINED``), after
    the row whose hash is ``prev``. A row written here (no ``origin``) is hashed without its
    two identity columns, as rows were before m013."""
    if len(values) == len(CHAINED) and values[-2] is None:
        values = values[:-2]
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
                self.now, self.db.next_command(), self.os_user, None, None)

    def received(self, subject_id: int, event: dict[str, Any], data: str,
                 origin: str, origin_id: int) -> tuple[Any, ...]:
        """A demand's event brought from another ledger: who recorded it, under which
        account, and when, kept, with its global identity; ``data`` is its data (JSON) with
        the ids translated to this ledger's."""
        return ("demand", subject_id, event["action"], event["on_date"], event["actor"],
                event["reason"], data, event["recorded_at"], self.db.next_command(),
                event["os_user"], origin, origin_id)

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
        # chain_hash's rule, inlined: a large load appends hundreds of thousands of rows.
        canonical, sha256, prefix = _canonical, _sha256, _PREFIX
        for c in rows:
            last_id += 1
            values = [last_id, c[0], c[1], c[2], c[3], c[4], c[9], c[5], c[6], c[7], c[8]]
            if c[10] is not None:
                values += (c[10], c[11])
            prev = sha256((prefix + prev + "\n" + canonical(values)).encode()).hexdigest()
            out.append((last_id, *c, prev))
        self.db.conn.executemany(INSERT, out)


def undone_events(db: Database) -> set[int]:
    """Journal rows reversed by `ledger undo` (they stay in the journal, and count for nothing)."""
    ids: set[int] = set()
    for (data,) in db.execute("select data from journal where subject = 'undo'"):
        ids.update(json.loads(data).get("events", []))
    return ids


def refused_events(db: Database, demand_id: int | None = None) -> set[int]:
    """Journal rows of shared cases that their replay refused (conflicts): they stay in the
    journal, are listed by `ledger sync conflicts`, and count for nothing."""
    if demand_id is None:
        return {i for (i,) in db.execute("select journal_id from sync_conflicts")}
    return {i for (i,) in db.execute("select journal_id from sync_conflicts where demand_id = ?",
                                     [demand_id])}


def own_id(db: Database) -> str:
    return db.execute("select value from meta where key = 'ledger_id'").fetchone()[0]


def skipped_events(db: Database) -> set[int]:
    """Every journal row a replay leaves out: reversed by undo, or refused as a conflict."""
    return undone_events(db) | refused_events(db)


# The columns a replay orders by, selected first: the row's ledger of origin (this one's
# identity for its own rows), the day of the step, when it was recorded, the id.
_ORDER = "coalesce(origin, :own) as org, on_date, coalesce(recorded_at, ''), id"


def replay_order(rows: list[Any]) -> list[Any]:
    """A case's rows (``(org, on_date, recorded_at, ...)``, each ledger's in the order it wrote
    them) in the order its replay applies them: each ledger's own rows keep their order;
    between ledgers, by day, then time recorded, then ledger identity."""
    if len({r[0] for r in rows}) <= 1:
        return rows
    streams = [list(g) for _, g in itertools.groupby(sorted(rows, key=lambda r: r[0]),
                                                      key=lambda r: r[0])]
    # heapq.merge takes the smallest head each time, so each stream keeps its own order.
    return list(heapq.merge(*streams, key=lambda r: (r[1], r[2], r[0])))


def _event(action: str, data: str, reason: str | None, on: str) -> Event:
    d = json.loads(data)
    if reason:
        d["reason"] = reason
    return action, d, on


def _demand_rows(db: Database, demand_id: int) -> list[Any]:
    rows = db.execute(f"select {_ORDER}, action, data, reason from journal where "
                      "subject = 'demand' and subject_id = :d order by id",
                      {"own": own_id(db), "d": demand_id}).fetchall()
    return replay_order(rows)


def demand_events(db: Database, demand_id: int, skip: set[int] | None = None) -> list[Event]:
    """A demand's journal as ``(action, data, on)`` in replay order, the reason folded into
    the data; steps reversed by `ledger undo` and events refused as conflicts left out
    (``skip``: both, found once by a caller that reads many demands: ``skipped_events``)."""
    if skip is None:
        skip = undone_events(db) | refused_events(db, demand_id)
    return [_event(action, data, reason, on)
            for _, on, _, eid, action, data, reason in _demand_rows(db, demand_id)
            if eid not in skip]


def all_demand_events(db: Database) -> Iterator[tuple[int, list[Event]]]:
    """Every demand's events, demand by demand in id order (streamed, one pass)."""
    skip = undone_events(db) | refused_events(db)
    rows = db.execute(f"select subject_id, {_ORDER}, action, data, reason from journal "
                      "where subject = 'demand' order by subject_id, id", {"own": own_id(db)})
    for demand_id, group in itertools.groupby(rows, key=lambda r: r[0]):
        yield demand_id, [_event(action, data, reason, on) for _, on, _, eid, action, data, reason
                          in replay_order([r[1:] for r in group]) if eid not in skip]


def _ordered_rows(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    own = None
    if len({r["origin"] for r in rows}) > 1:
        own = own_id(db)
    keyed = [(r["origin"] or own, r["on_date"], r["recorded_at"] or "", r) for r in rows]
    return [k[-1] for k in replay_order(keyed)]


def demand_journal(db: Database, demand_id: int) -> list[dict[str, Any]]:
    """A demand's journal rows as stored, in replay order (for its history), each with
    ``undone`` and ``conflict`` (refused by the replay of a shared case)."""
    undone = undone_events(db)
    refused = refused_events(db, demand_id)
    rows = list(db.query("select * from journal where subject = 'demand' and subject_id = ? "
                         "order by id", [demand_id]))
    for r in rows:
        r["data"] = json.loads(r["data"])
        r["undone"] = r["id"] in undone
        r["conflict"] = r["id"] in refused
    return _ordered_rows(db, rows)


def demand_journals(db: Database) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Every demand's journal rows as stored (data decoded), demand by demand in id order,
    each in replay order, without the steps that were undone or refused."""
    skip = undone_events(db) | refused_events(db)
    rows = db.query("select * from journal where subject = 'demand' order by subject_id, id")
    for demand_id, group in itertools.groupby(rows, key=lambda row: row["subject_id"]):
        yield demand_id, _ordered_rows(db, [{**e, "data": json.loads(e["data"])} for e in group
                                            if e["id"] not in skip])
