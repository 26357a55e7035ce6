"""Merge another ledger into this one: a county gathering what its townships collected.

The other file is never written: it is copied with SQLite's online backup (consistent even
while a clerk is still writing to it), the copy is brought to this version's schema, and
everything is read from the copy. Places, units, cadres and vocabularies are matched by
name (and created when missing); residents by their origin, else by ID number; visits and
demands are added with their origin (the other ledger's identity and their own id or
number), so merging the same file again adds nothing. Merged demands get numbers of this
ledger; their journals come along with every id translated, and their state is the replay
of that journal. The whole merge is one transaction.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from . import lifecycle
from .errors import LedgerFileError, Refused
from .models import Ledger, refresh_deadlines, undone_events
from .storage import ledger_id, open_ledger

# Keys of journal event data that hold ids of this kind.
_ID_KEYS = {"village_id": "village", "grid_id": "grid", "resident_id": "resident",
            "visit_id": "visit", "lead_unit_id": "unit", "unit_id": "unit",
            "co_unit_ids": "unit", "unit_ids": "unit"}


@dataclass
class MergeResult:
    source: str
    townships: int = 0
    residents: int = 0
    visits: int = 0
    demands: int = 0
    skipped: int = 0  # demands merged before
    created: dict[str, int] = field(default_factory=dict)


def copy_of(path: Path, into: Path) -> None:
    """A consistent copy of a ledger file, read without writing to it."""
    if not path.is_file():
        raise LedgerFileError("file.cannot_open", path=str(path), why="no such file")
    try:
        src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        dst = sqlite3.connect(into)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
    except sqlite3.Error as e:
        raise LedgerFileError("file.not_ledger", path=str(path), why=str(e)) from None


def merge_ledger(ledger: Ledger, path: Path) -> MergeResult:
    """Bring the other ledger's residents, visits, demands and journals into this one."""
    with tempfile.TemporaryDirectory(prefix="ledger-merge-") as tmp:
        copy = Path(tmp) / "other.db"
        copy_of(path, copy)
        other = open_ledger(copy)
        try:
            return _merge(ledger, other, path)
        finally:
            other.conn.close()


class _Maps:
    """Ids of the other ledger -> ids of this one, by kind."""

    def __init__(self) -> None:
        self.ids: dict[str, dict[int, int]] = {k: {} for k in set(_ID_KEYS.values())}
        self.ids["township"] = {}
        self.ids["cadre"] = {}

    def translate(self, data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for key, kind in _ID_KEYS.items():
            value = out.get(key)
            if value is None:
                continue
            table = self.ids[kind]
            out[key] = [table[v] for v in value] if isinstance(value, list) else table[value]
        return out


def _merge(ledger: Ledger, other: Any, path: Path) -> MergeResult:
    origin = ledger_id(other)
    if origin == ledger_id(ledger.db):
        raise Refused("merge.same_ledger", path=str(path))
    result = MergeResult(source=str(path))
    maps = _Maps()
    db = ledger.db
    with db.atomic():
        _registers(ledger, other, maps, result)
        _residents(ledger, other, maps, origin, result)
        _visits(ledger, other, maps, origin, result)
        first_new = db.execute("select coalesce(max(id), 0) from demands").fetchone()[0]
        _demands(ledger, other, maps, origin, result)
        refresh_deadlines(db, "id > ?", [first_new], ledger.calendar, ledger.policies)
        names = [r[0] for r in other.execute("select name from townships order by id")]
        db["origins"].upsert({"ledger_id": origin, "name": "、".join(names), "path": str(path),
                              "merged_on": ledger.today.isoformat()}, pk="ledger_id")
        ledger._journal("merge", 0, "merge", ledger.today.isoformat(), {
            "origin": origin, "path": str(path), "demands": result.demands,
            "visits": result.visits, "residents": result.residents, "skipped": result.skipped})
    return result


def _by_name(ledger: Ledger, table: str, name: str, where: str = "",
             params: tuple = ()) -> int | None:
    row = ledger.db.execute(f"select id from {table} where name = ? {where}",
                            [name, *params]).fetchone()
    return row[0] if row else None


def _registers(ledger: Ledger, other: Any, maps: _Maps, result: MergeResult) -> None:
    db, created = ledger.db, result.created

    def add(kind: str, table: str, record: dict[str, Any]) -> int:
        created[kind] = created.get(kind, 0) + 1
        return db[table].insert(record).last_pk

    for t in other.query("select * from townships"):
        found = _by_name(ledger, "townships", t["name"])
        maps.ids["township"][t["id"]] = found or add("township", "townships", {"name": t["name"]})
    result.townships = len(maps.ids["township"])
    for v in other.query("select * from villages"):
        tid = maps.ids["township"].get(v["township_id"])
        found = _by_name(ledger, "villages", v["name"], "and township_id is ?", (tid,))
        maps.ids["village"][v["id"]] = found or add(
            "village", "villages", {"name": v["name"], "township_id": tid, "kind": v["kind"]})
    for g in other.query("select * from grids"):
        vid = maps.ids["village"][g["village_id"]]
        found = _by_name(ledger, "grids", g["name"], "and village_id = ?", (vid,))
        maps.ids["grid"][g["id"]] = found or add("grid", "grids",
                                                 {"name": g["name"], "village_id": vid})
    for u in other.query("select * from units"):
        found = _by_name(ledger, "units", u["name"])
        maps.ids["unit"][u["id"]] = found or add("unit", "units",
                                                 {"name": u["name"], "level": u["level"]})
    for c in other.query("select * from cadres"):
        found = _by_name(ledger, "cadres", c["name"])
        maps.ids["cadre"][c["id"]] = found or add("cadre", "cadres", {
            "name": c["name"], "unit_id": maps.ids["unit"].get(c["unit_id"]), "phone": c["phone"]})
    for term in other.query("select kind, name from terms"):
        if not db.execute("select 1 from terms where kind = ? and name = ?",
                          [term["kind"], term["name"]]).fetchone():
            add(term["kind"], "terms", {"kind": term["kind"], "name": term["name"]})


def _residents(ledger: Ledger, other: Any, maps: _Maps, origin: str,
               result: MergeResult) -> None:
    db = ledger.db
    tags = {}
    for rid, group in itertools.groupby(
            other.execute("select resident_id, tag from resident_tags order by resident_id"),
            key=lambda row: row[0]):
        tags[rid] = [tag for _, tag in group]
    for r in other.query("select * from residents order by id"):
        found = db.execute("select id from residents where origin_ledger = ? and origin_id = ?",
                           [origin, str(r["id"])]).fetchone()
        if not found and r["id_number"]:
            found = db.execute("select id from residents where id_number = ?",
                               [r["id_number"]]).fetchone()
        if found:
            maps.ids["resident"][r["id"]] = found[0]
            continue
        new = db["residents"].insert({
            **{k: r[k] for k in ("name", "phone", "id_number", "address", "note", "created_on")},
            "village_id": maps.ids["village"][r["village_id"]],
            "grid_id": maps.ids["grid"].get(r["grid_id"]),
            "origin_ledger": origin, "origin_id": str(r["id"]),
        }).last_pk
        db["resident_tags"].insert_all({"resident_id": new, "tag": t} for t in tags.get(r["id"], []))
        maps.ids["resident"][r["id"]] = new
        result.residents += 1


def _visits(ledger: Ledger, other: Any, maps: _Maps, origin: str, result: MergeResult) -> None:
    db = ledger.db
    cadres: dict[int, list[int]] = {}
    for vid, group in itertools.groupby(
            other.execute("select visit_id, cadre_id from visit_cadres order by visit_id"),
            key=lambda row: row[0]):
        cadres[vid] = [c for _, c in group]
    for v in other.query("select * from visits order by id"):
        found = db.execute("select id from visits where origin_ledger = ? and origin_id = ?",
                           [origin, str(v["id"])]).fetchone()
        if found:
            maps.ids["visit"][v["id"]] = found[0]
            continue
        new = db["visits"].insert({
            "visited_on": v["visited_on"], "village_id": maps.ids["village"][v["village_id"]],
            "grid_id": maps.ids["grid"].get(v["grid_id"]),
            "resident_id": maps.ids["resident"].get(v["resident_id"]),
            "channel": v["channel"], "note": v["note"],
            "origin_ledger": origin, "origin_id": str(v["id"]),
        }).last_pk
        db["visit_cadres"].insert_all({"visit_id": new, "cadre_id": maps.ids["cadre"][c]}
                                      for c in cadres.get(v["id"], []))
        maps.ids["visit"][v["id"]] = new
        result.visits += 1


def _journals(other: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Each demand's journal, without the steps that were undone there."""
    undone = undone_events(other)
    rows = other.query("select * from journal where subject = 'demand' "
                       "order by subject_id, id")
    for demand_id, group in itertools.groupby(rows, key=lambda row: row["subject_id"]):
        yield demand_id, [e for e in group if e["id"] not in undone]


def _demands(ledger: Ledger, other: Any, maps: _Maps, origin: str, result: MergeResult) -> None:
    db = ledger.db
    merged = {n for (n,) in db.execute("select origin_number from demands where origin_ledger = ?",
                                       [origin])}
    numbers = {d["id"]: d["number"] for d in other.query("select id, number from demands")}
    next_seq: dict[str, int] = {}
    for demand_id, events in _journals(other):
        number = numbers.get(demand_id)
        if number is None:
            continue
        if number in merged:
            result.skipped += 1
            continue
        translated = []
        for e in events:
            data = maps.translate(json.loads(e["data"]))
            translated.append((e, data))
        state = lifecycle.replay([
            (e["action"], {**data, "reason": e["reason"]} if e["reason"] else data, e["on_date"])
            for e, data in translated])
        if state is None:
            continue
        year = state["received_on"][:4]
        if year not in next_seq:
            last = db.execute("select max(number) from demands where number >= ? and number < ?",
                              [f"{year}-", f"{year}."]).fetchone()[0]
            next_seq[year] = int(last[5:]) + 1 if last else 1
        new_number = f"{year}-{next_seq[year]:06d}"
        next_seq[year] += 1
        new_id = db["demands"].insert({"number": new_number, **Ledger._to_row(state),
                                       "origin_ledger": origin, "origin_number": number}).last_pk
        db["journal"].insert_all({
            "subject": "demand", "subject_id": new_id, "action": e["action"],
            "on_date": e["on_date"], "actor": e["actor"], "reason": e["reason"],
            "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            "recorded_at": e["recorded_at"], "command": db.next_command(),
        } for e, data in translated)
        result.demands += 1
