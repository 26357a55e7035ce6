"""Pinyin lookup (拼音查找): the keys of every name, written with the name, read in SQL.

``name_keys`` holds one row per key a name may be typed as (``models.pinyin_keys``: full
pinyin, initials, the mixed forms, every reading of a polyphonic character), for townships,
villages, grids, units, cadres and residents. The keys are written where a name is written
(``Registers._added``, ``Residents.insert``), the only place pypinyin's dictionary is read;
a lookup is one indexed query and never loads it, so start-up and ``resident show`` stay
as fast as they were. The keys are derived from the names, like an index: not journaled,
dropped with their row (``drop_keys``: undo, a merge), and refilled from the names by
``refill`` (migration m016_lookup, for the rows already there).
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterable, Iterator, Sequence

# kind -> table whose names are keyed
KINDS = {"township": "townships", "village": "villages", "grid": "grids", "unit": "units",
         "cadre": "cadres", "resident": "residents"}


def write_keys(db: Any, kind: str, ref_id: int, name: str) -> None:
    """The keys of a name written (a row's keys go with it: ``drop_keys``); held back
    and written at once, in key order, inside ``deferred`` (a bulk import)."""
    from ..models import pinyin_keys

    rows = [(kind, ref_id, k) for k in _keys(pinyin_keys, name)]
    pending = _PENDING.get(id(db))
    if pending is not None:
        pending += rows
        if len(pending) >= PENDING_MOST:  # a long import: in sorted runs, memory bounded
            _write_sorted(db, pending)
            pending.clear()
        return
    db.conn.executemany("insert or ignore into name_keys (kind, ref_id, key) values (?, ?, ?)",
                        rows)


_PENDING: dict[int, list[tuple[str, int, str]]] = {}
PENDING_MOST = 30_000  # keys held back at the most (about 5 MiB)


def _write_sorted(db: Any, rows: list[tuple[str, int, str]]) -> None:
    db.conn.executemany("insert or ignore into name_keys (kind, ref_id, key) values (?, ?, ?)",
                        sorted(rows, key=lambda r: (r[0], r[2], r[1])))


@contextlib.contextmanager
def deferred(db: Any) -> Iterator[None]:
    """Inside: the keys of the names written are kept, and written when it ends, sorted (one
    pass down the index instead of a visit per name: a bulk import's many residents)."""
    if id(db) in _PENDING:
        yield
        return
    _PENDING[id(db)] = []
    try:
        yield
        _write_sorted(db, _PENDING[id(db)])
    finally:
        del _PENDING[id(db)]


def drop_keys(db: Any, kind: str, ref_id: int) -> None:
    """A row taken away (undo, a merged resident): its keys go with it."""
    db.execute("delete from name_keys where kind = ? and ref_id = ?", [kind, ref_id])


REFILL_CACHE_KIB = 65_536  # SQLite's page cache while the keys are refilled

_CACHE: dict[str, list[str]] = {}


def _keys(fn: Any, name: str) -> list[str]:
    """Names repeat (a township's residents share few surnames and given names): once each."""
    got = _CACHE.get(name)
    if got is None:
        if len(_CACHE) > 50_000:
            _CACHE.clear()
        got = _CACHE[name] = fn(name)
    return got


def refill(db: Any, kinds: Iterable[str] = KINDS) -> int:
    """Every name's keys from the names as stored (the migration's fill); how many names.
    With a larger page cache meanwhile: the index is built in memory, not on disk."""
    from ..models import pinyin_keys

    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{REFILL_CACHE_KIB}")
    n = 0
    insert = "insert or ignore into name_keys (kind, ref_id, key) values (?, ?, ?)"
    for kind in kinds:
        table = KINDS[kind]
        db.execute("delete from name_keys where kind = ?", [kind])
        batch: list[tuple[str, int, str]] = []
        for rid, name in db.execute(f"select id, name from {table} order by id").fetchall():
            if not isinstance(name, str):
                continue
            n += 1
            batch += [(kind, rid, k) for k in _keys(pinyin_keys, name)]
            if len(batch) > 50_000:
                db.conn.executemany(insert, batch)
                batch = []
        db.conn.executemany(insert, batch)
    db.execute(f"PRAGMA cache_size = {int(cache)}")
    return n


def ids_by_key(db: Any, kind: str, query: str, *, prefix: bool = False,
               limit: int = 200) -> list[int]:
    """The ids of ``kind`` with a key equal to ``query`` (lower-cased), or beginning with
    it (``prefix``), smallest first; one range over the primary key."""
    q = query.strip().lower()
    if prefix:
        sql = ("select distinct ref_id from name_keys where kind = ? and key >= ? and key < ? "
               "order by ref_id limit ?")
        params: Sequence[Any] = [kind, q, q + "\x7f", limit]
    else:
        sql = ("select distinct ref_id from name_keys where kind = ? and key = ? "
               "order by ref_id limit ?")
        params = [kind, q, limit]
    return [r[0] for r in db.execute(sql, params).fetchall()]


def matching(db: Any, kind: str, query: str, limit: int = 200) -> list[int]:
    """The ids a typed pinyin finds: exact keys, else keys beginning with it."""
    return ids_by_key(db, kind, query, limit=limit) or \
        ids_by_key(db, kind, query, prefix=True, limit=limit)
