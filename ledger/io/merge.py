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

import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import lifecycle
from ..errors import LedgerFileError, Refused
from ..services import Ledger, open_ledger
from ..store import copy_database

# Keys of journal event data that hold ids of this kind.
_ID_KEYS = {"village_id": "village", "grid_id": "grid", "resident_id": "resident",
            "visit_id": "visit", "lead_unit_id": "unit", "unit_id": "unit",
            "co_unit_ids": "unit", "unit_ids": "unit", "repeat_of": "demand"}


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
        copy_database(path, into, read_only=True)
    except sqlite3.Error as e:
        raise LedgerFileError("file.not_ledger", path=str(path), why=str(e)) from None


def merge_ledger(ledger: Ledger, path: Path) -> MergeResult:
    """Bring the other ledger's residents, visits, demands and journals into this one."""
    with tempfile.TemporaryDirectory(prefix="ledger-merge-") as tmp:
        copy = Path(tmp) / "other.db"
        copy_of(path, copy)
        other = Ledger(open_ledger(copy), today=ledger.today)
        try:
            return _merge(ledger, other, path)
        finally:
            other.db.conn.close()


class _Maps:
    """Ids of the other ledger -> ids of this one, by kind."""

    def __init__(self) -> None:
        self.ids: dict[str, dict[int, int]] = {k: {} for k in set(_ID_KEYS.values())}
        self.ids["township"] = {}
        self.ids["cadre"] = {}
        self.ids["demand"] = {}

    def translate(self, data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for key, kind in _ID_KEYS.items():
            value = out.get(key)
            if value is None:
                continue
            table = self.ids[kind]
            if kind == "demand":  # 重复诉求: a link to a demand not brought along is dropped
                out[key] = table.get(value)
                continue
            out[key] = [table[v] for v in value] if isinstance(value, list) else table[value]
        return out


def _merge(ledger: Ledger, other: Ledger, path: Path) -> MergeResult:
    origin = other.registers.ledger_id()
    if origin == ledger.registers.ledger_id():
        raise Refused("merge.same_ledger", path=str(path))
    result = MergeResult(source=str(path))
    maps = _Maps()
    with ledger.db.atomic():
        _registers(ledger, other, maps, result)
        _residents(ledger, other, maps, origin, result)
        _visits(ledger, other, maps, origin, result)
        first_new = _demands(ledger, other, maps, origin, result)
        ledger.clocks.refresh("id >= ?", [first_new])
        names = "、".join(t["name"] for t in other.registers.rows("townships"))
        ledger.registers.note_origin(origin, names, str(path), ledger.today.isoformat())
        ledger.journal.write("merge", 0, "merge", ledger.today.isoformat(), {
            "origin": origin, "path": str(path), "demands": result.demands,
            "visits": result.visits, "residents": result.residents, "skipped": result.skipped})
    return result


def _registers(ledger: Ledger, other: Ledger, maps: _Maps, result: MergeResult) -> None:
    """Places, units, cadres and vocabularies matched by name, created when missing."""
    mine, created = ledger.registers, result.created

    def match(kind: str, table: str, name: str, add: Any, where: str = "",
              params: tuple[Any, ...] = ()) -> int:
        found = mine.find(table, name, where, params)
        if found:
            return found["id"]
        created[kind] = created.get(kind, 0) + 1
        return add()

    theirs = other.registers
    for t in theirs.rows("townships"):
        maps.ids["township"][t["id"]] = match(
            "township", "townships", t["name"], lambda: mine.add_township(t["name"]))
    result.townships = len(maps.ids["township"])
    for v in theirs.rows("villages"):
        tid = maps.ids["township"].get(v["township_id"])
        maps.ids["village"][v["id"]] = match(
            "village", "villages", v["name"], lambda: mine.add_village_to(v["name"], tid, v["kind"]),
            "and township_id is ?", (tid,))
    for g in theirs.rows("grids"):
        vid = maps.ids["village"][g["village_id"]]
        maps.ids["grid"][g["id"]] = match(
            "grid", "grids", g["name"], lambda: mine.add_grid_to(g["name"], vid),
            "and village_id = ?", (vid,))
    for u in theirs.rows("units"):
        maps.ids["unit"][u["id"]] = match(
            "unit", "units", u["name"], lambda: mine.add_unit(u["name"], u["level"]))
    for c in theirs.rows("cadres"):
        unit = mine.unit_names().get(maps.ids["unit"].get(c["unit_id"]))
        maps.ids["cadre"][c["id"]] = match(
            "cadre", "cadres", c["name"], lambda: mine.add_cadre(c["name"], unit, c["phone"]))
    for term in theirs.rows("terms"):
        match(term["kind"], "terms", term["name"], lambda: mine.add_term(term["kind"], term["name"]),
              "and kind = ?", (term["kind"],))


def _residents(ledger: Ledger, other: Ledger, maps: _Maps, origin: str,
               result: MergeResult) -> None:
    tags = other.residents.tags_by_resident()
    for r in other.residents.all():
        found = ledger.residents.by_origin(origin, str(r["id"]))
        if found is None and r["id_number"]:
            same = ledger.residents.by_id_number(r["id_number"])
            found = same["id"] if same else None
        if found is None:
            found = ledger.residents.insert(
                r["name"], maps.ids["village"][r["village_id"]], maps.ids["grid"].get(r["grid_id"]),
                r["phone"], r["id_number"], r["address"], r["note"], tags.get(r["id"], []),
                origin=(origin, str(r["id"])), created_on=r["created_on"])
            result.residents += 1
        maps.ids["resident"][r["id"]] = found
    # A page the other ledger merged into another (`resident merge`) is that page here too:
    # its demands' first steps still name it.
    for gone, into in other.residents.merged_pages():
        if into in maps.ids["resident"]:
            maps.ids["resident"][gone] = maps.ids["resident"][into]


def _visits(ledger: Ledger, other: Ledger, maps: _Maps, origin: str, result: MergeResult) -> None:
    cadres = other.visits.cadres_by_visit()
    for v in other.visits.all():
        found = ledger.visits.by_origin(origin, str(v["id"]))
        if found is None:
            found = ledger.visits.insert(
                v["visited_on"], maps.ids["village"][v["village_id"]],
                maps.ids["grid"].get(v["grid_id"]), maps.ids["resident"].get(v["resident_id"]),
                v["channel"], v["note"], [maps.ids["cadre"][c] for c in cadres.get(v["id"], [])],
                origin=(origin, str(v["id"])))
            result.visits += 1
        maps.ids["visit"][v["id"]] = found


def _demands(ledger: Ledger, other: Ledger, maps: _Maps, origin: str,
             result: MergeResult) -> int:
    """Each demand of the other ledger not merged before, with its journal; returns the
    first new demand id."""
    merged = ledger.demands.merged_from(origin)
    numbers = other.demands.numbers_by_id()
    first_new = ledger.demands.next_id()
    for demand_id, events in other.demands.journals():
        number = numbers.get(demand_id)
        if number is None:
            continue
        if number in merged:
            result.skipped += 1
            maps.ids["demand"][demand_id] = ledger.demands.by_origin(origin, number)
            continue
        translated = [(e, maps.translate(e["data"])) for e in events]
        state = lifecycle.replay([
            (e["action"], {**data, "reason": e["reason"]} if e["reason"] else data, e["on_date"])
            for e, data in translated])
        if state is None:
            continue
        new_id = ledger.demands.insert_state(
            ledger.demands.next_number(state["received_on"][:4]), state, (origin, number))
        ledger.journal.write_many(ledger.journal.copied(new_id, e, data) for e, data in translated)
        maps.ids["demand"][demand_id] = new_id
        result.demands += 1
    return first_new
