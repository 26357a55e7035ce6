"""The bundle: what one ledger sends another, as one file (a USB stick, an e-mail, a shared
folder).

A bundle is a small SQLite file, so that any tool can open it and it is checked by SQLite's
own format before this module reads a row. It holds:

- ``info``: ``format`` (``ledger-bundle-1``), ``from_id`` and ``from_name`` (the sending
  ledger), ``to_id`` and ``to_name`` (the ledger it was made for; empty for a full bundle),
  ``range_from`` and ``range_to`` (the sender's journal ids it covers: every event of the
  sender with ``range_from < id <= range_to`` that the receiver should have is in it),
  ``head_id`` and ``head_hash`` (the sender's chain head), ``made_on`` and ``made_at``;
  ``signed_by`` (the sender's Ed25519 public key) and ``signature`` (its signature of every
  other row of the bundle: ``content_digest``, and ``io/signing`` for the exact bytes);
- ``acks``: what the sender has received from each ledger it knows (``ledger_id``, ``name``,
  ``upto``), so that a receiver learns what of its own the sender has;
- the registers the events name (``townships``, ``villages``, ``grids``, ``units``,
  ``cadres``, ``terms``), the ``residents`` and ``visits`` they need, each with its global
  identity (``home``: the ledger it was first written in, ``home_id``: its id there);
- ``merged_residents``: pages the sender merged into others (``resident merge``), which
  its events may still name;
- ``meetings``: the Tuesday meetings whose decisions are among the events;
- ``demands``: the cases the events are on (the sender's id, the case's home ledger and
  number there, and that ledger's name);
- ``events``: the journal rows themselves as the sender stores them, with ``hash`` (the
  sender's chain hash of the row) and ``prev`` (the hash of the sender's row before it, given
  only where that row is not in the bundle: else it is the ``hash`` just above), so that
  every row is checked against the chain rule before anything is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..deadlines import check_iso_day
from ..errors import BadInput, LedgerError, LedgerFileError, Refused
from ..models import NAME_MAX, TEXT_MAX, check_text, new_name
from .files import atomic_path

FORMAT = "ledger-bundle-1"

TABLES: dict[str, tuple[str, ...]] = {
    "info": ("key", "value"),
    "acks": ("ledger_id", "name", "upto"),
    "townships": ("id", "name"),
    "villages": ("id", "name", "township_id", "kind"),
    "grids": ("id", "name", "village_id"),
    "units": ("id", "name", "level"),
    "cadres": ("id", "name", "unit_id", "phone"),
    "terms": ("kind", "name"),
    "residents": ("id", "name", "village_id", "grid_id", "phone", "id_number", "address",
                  "note", "tags", "created_on", "home", "home_id", "org_kind"),
    "visits": ("id", "visited_on", "village_id", "grid_id", "resident_id", "channel", "note",
               "cadre_ids", "home", "home_id"),
    "meetings": ("id", "held_on", "kind", "attendees"),
    "merged_residents": ("gone_id", "into_id"),
    "demands": ("id", "home", "home_number", "home_name"),
    "events": ("id", "subject_id", "action", "on_date", "actor", "os_user", "reason", "data",
               "recorded_at", "command", "origin", "origin_id", "hash", "prev"),
}


def content_digest(conn: sqlite3.Connection) -> bytes:
    """SHA-256 of a bundle's content as written: every row of every table of ``TABLES``, in
    that order and in the order stored, each as one line of JSON ``[table, *values]``; all
    but the ``info`` row ``signature`` (what is signed: ``io/signing``). ``ValueError`` for
    a value no bundle holds (a blob, a NaN)."""
    h = hashlib.sha256()
    cursor = conn.cursor()
    cursor.row_factory = None
    for table, columns in TABLES.items():
        where = " where key is not 'signature'" if table == "info" else ""
        for row in cursor.execute(f"select {', '.join(columns)} from {table}{where} "
                                  "order by rowid"):
            try:
                line = json.dumps([table, *row], ensure_ascii=False, separators=(",", ":"),
                                  allow_nan=False)
            except TypeError:
                raise ValueError(table) from None
            h.update(line.encode("utf-8", "surrogatepass"))
            h.update(b"\n")
    return h.digest()


def write_bundle(path: Path, tables: dict[str, Iterable[tuple[Any, ...]]], *,
                 force: bool = False, sign: Callable[[bytes], str] | None = None) -> None:
    """Write a bundle file (through the one atomic writer: all or nothing, owner-only, as
    it holds personal data unmasked); ``sign(digest)`` gives the signature of its content
    as written, stored as the ``info`` row ``signature``."""
    with atomic_path(path, force=force, private=True) as tmp:
        tmp.unlink()
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("pragma journal_mode = off")
            conn.execute("pragma synchronous = off")
            for name, columns in TABLES.items():
                # an ``id`` is the row's key: read in its order without a sort
                cols = [f"{c} integer primary key" if c == "id" else c for c in columns]
                conn.execute(f"create table {name} ({', '.join(cols)})")
                conn.executemany(
                    f"insert into {name} values ({', '.join('?' for _ in columns)})",
                    tables.get(name, ()))
            # the receiver reads the events case by case
            conn.execute("create index events_by_case on events (subject_id, id)")
            if sign is not None:
                conn.execute("insert into info values ('signature', ?)",
                             [sign(content_digest(conn))])
            conn.commit()
        finally:
            conn.close()
        # SQLite made the file anew: readable by its owner only, as atomic_path's own was.
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o600)


@dataclass
class Bundle:
    path: Path
    conn: sqlite3.Connection
    info: dict[str, str]

    def rows(self, table: str, where: str = "", params: Iterable[Any] = ()) -> Iterator[
            sqlite3.Row]:
        return self.conn.execute(f"select * from {table} {where}", list(params))

    def count(self, table: str) -> int:
        return self.conn.execute(f"select count(*) from {table}").fetchone()[0]

    def close(self) -> None:
        self.conn.close()


def read_bundle(path: Path) -> Bundle:
    """Open a bundle to read, refusing a file that is not one (nothing is written to it)."""
    if not path.is_file():
        raise LedgerFileError("file.cannot_read", path=str(path), why="no such file")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        have = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.Error:
        raise Refused("sync.not_bundle", path=str(path)) from None
    try:
        missing = [t for t in TABLES if t not in have]
        if missing and {"journal", "meta", "demands"} <= have:
            raise Refused("sync.is_ledger", path=str(path))  # a whole ledger: merge takes it
        if missing:
            raise Refused("sync.not_bundle", path=str(path))
        for table, columns in TABLES.items():
            found = tuple(r[1] for r in conn.execute(f"pragma table_info({table})"))
            if found != columns:
                raise Refused("sync.not_bundle", path=str(path))
        pairs = conn.execute("select key, value from info order by rowid").fetchall()
        info = {k: v for k, v in pairs}
        if len(info) != len(pairs):  # a key given twice: which one would be meant?
            raise Refused("sync.not_bundle", path=str(path))
        if info.get("format") != FORMAT:
            raise Refused("sync.bundle_format", path=str(path), found=info.get("format") or "?")
        for key in ("from_id", "from_name", "range_from", "range_to", "head_id", "head_hash"):
            if not info.get(key) and key not in ("range_from",):
                raise Refused("sync.not_bundle", path=str(path))
    except sqlite3.Error:
        conn.close()
        raise Refused("sync.not_bundle", path=str(path)) from None
    except BaseException:
        conn.close()
        raise
    return Bundle(path, conn, info)


# --- what a bundle holds, held to the rules of every other door ------------------------------

DATA_DEPTH = 16  # an event's data nests this deep at most (it is a flat record)
_RAW_UNSEEN = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class ContentRefused(BadInput):
    """A bundle holding a text, name, date or record no other door would take: exit 2, one
    line naming the bundle and where in it, nothing imported."""

    def __init__(self, key: str, path: str, inner: LedgerError, **place: Any) -> None:
        super().__init__(key, path=path, **place)
        self.inner = inner

    def message(self, lang: str = "zh") -> str:
        from ..i18n import t

        return t(self.key, lang, **self.params, inner=self.inner.message(lang))


def _check_data(data: Any, field: str) -> None:
    """An event's data (its JSON text): a JSON object, every text in it by ``check_text``."""
    if data is None:
        return
    if not isinstance(data, str):
        raise BadInput("sync.data_not_json")
    try:
        record = json.loads(data)
    except (ValueError, RecursionError):
        raise BadInput("sync.data_not_json") from None
    if not isinstance(record, dict):
        raise BadInput("sync.data_not_json")
    if len(data) <= TEXT_MAX and "\\u" not in data and not _RAW_UNSEEN.search(data):
        # Most events: short, no escaped character (JSON holds a control character only
        # escaped), none seen raw: no text in it can fail. A quarter of the time of a walk.
        return
    stack: list[tuple[Any, int]] = [(record, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > DATA_DEPTH:
            raise BadInput("sync.data_not_json")
        if isinstance(value, dict):
            for k, v in value.items():
                check_text(k, field, max_len=NAME_MAX)
                stack.append((v, depth + 1))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            check_text(value, field)


def check_content(bundle: "Bundle", source: Path | str | None = None) -> None:
    """Every name, text and date ``bundle`` holds, through the one function of its kind that
    typed, imported and merged values go through (``models.new_name``, ``models.check_text``,
    ``deadlines.check_iso_day``); ``ContentRefused`` naming the file the clerk gave
    (``source``: a merged ledger, not the bundle made from it) and the row (an event by its
    case) at the first that fails. Run before anything is written."""
    path = str(source or bundle.path)

    def row(table: str, rid: Any, checks: Iterable[tuple[Callable[..., Any], Any, str]]) -> None:
        for fn, value, field in checks:
            try:
                fn(value, field)
            except LedgerError as e:
                raise ContentRefused("sync.bad_row", path, e, table=table, id=rid) from None

    sender = bundle.info.get("from_name")
    if sender:
        row("info", "from_name", [(new_name, sender, "ledger_name")])
    for table, kind in (("townships", "township"), ("villages", "village"), ("grids", "grid"),
                        ("units", "unit"), ("cadres", "cadre")):
        for r in bundle.rows(table):
            row(table, r["id"], [(new_name, r["name"], kind)] + [
                (check_text, r[k], k) for k in ("phone", "level", "kind") if k in r.keys()])
    for r in bundle.rows("terms"):
        row("terms", r["name"], [(check_text, r["kind"], "term"), (new_name, r["name"],
                                                                    str(r["kind"]))])
    for r in bundle.rows("residents"):
        row("residents", r["id"], [
            (new_name, r["name"], "organisation" if r["org_kind"] else "resident"),
            (check_text, r["address"], "address"), (check_text, r["note"], "note"),
            (check_text, r["phone"], "phone"), (check_text, r["id_number"], "id_number"),
            (check_text, r["org_kind"], "org_kind"),
            (_day, r["created_on"], "created_on"), (_data_list, r["tags"], "tag")])
    for r in bundle.rows("visits"):
        row("visits", r["id"], [(_day, r["visited_on"], "visited_on"),
                                (check_text, r["note"], "note")])
    for r in bundle.rows("meetings"):
        row("meetings", r["id"], [(_day, r["held_on"], "held_on"),
                                  (check_text, r["attendees"], "attendees")])
    for r in bundle.rows("demands"):
        row("demands", r["id"], [(new_name, r["home_name"], "ledger_name"),
                                 (check_text, r["home_number"], "number")])
    cursor = bundle.conn.cursor()
    cursor.row_factory = None
    for rid, subject_id, action, on_date, actor, os_user, reason, data in cursor.execute(
            "select id, subject_id, action, on_date, actor, os_user, reason, data "
            "from events order by id"):
        try:
            check_text(action, "action", max_len=NAME_MAX)
            _day(on_date, "on_date")
            check_text(actor, "actor")
            check_text(os_user, "actor")
            check_text(reason, "reason")
            _check_data(data, "issue")
        except LedgerError as e:
            case = bundle.conn.execute(
                "select home_name, home_number from demands where id = ?",
                [subject_id]).fetchone()
            name = f"{case[0]}:{case[1]}" if case else f"#{subject_id}"
            raise ContentRefused("sync.bad_event", path, e, id=rid, case=name) from None


def _day(value: Any, field: str) -> None:
    if value is not None:
        check_iso_day(value)


def _data_list(value: Any, field: str) -> None:
    """A JSON list of names (a resident's tags)."""
    if value is None or value == "":
        return
    try:
        items = json.loads(value) if isinstance(value, str) else None
    except (ValueError, RecursionError):
        items = None
    if not isinstance(items, list):
        raise BadInput("sync.data_not_json")
    for item in items:
        check_text(item, field, max_len=NAME_MAX)
