"""Visits (走访): who went where, whom they saw, and the demands raised on the spot."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import BadInput
from ..models import clean_text, optional_text
from .queries import date_range

if TYPE_CHECKING:
    from . import Ledger

_COLUMNS = (
    "select x.id, x.visited_on, v.name as village, r.name as resident, x.channel, x.note, "
    "(select group_concat(c.name, '、') from visit_cadres vc join cadres c on c.id ="
    " vc.cadre_id where vc.visit_id = x.id) as cadres, "
    "(select count(*) from demands d where d.visit_id = x.id) as demands "
    "from visits x join villages v on v.id = x.village_id "
    "left join residents r on r.id = x.resident_id"
)

# The columns of a visit in the CSV export (ledger.io.csvformat.VISIT_COLUMNS).
_EXPORT = (
    "select x.id, x.visited_on, t.name as township, v.name as village, g.name as grid, "
    "r.name as resident, r.phone, x.channel, "
    "(select group_concat(name, '、') from (select c.name from visit_cadres vc join cadres c"
    " on c.id = vc.cadre_id where vc.visit_id = x.id order by vc.rowid)) as cadres, "
    "x.note, (select group_concat(number, '、') from (select number from demands"
    " where visit_id = x.id order by number)) as numbers "
    "from visits x join villages v on v.id = x.village_id "
    "left join townships t on t.id = v.township_id left join grids g on g.id = x.grid_id "
    "left join residents r on r.id = x.resident_id"
)

DEFAULT_CHANNEL = "入户走访"  # a visit whose channel is not given was a household visit


class Visits:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    def place(self, village: str | None, resident: str | None, grid: str | None,
              missing: str) -> tuple[dict[str, Any] | None, int, int | None]:
        """The resident (if any), village id and grid id of a visit or demand; the village
        and grid default to the resident's own."""
        registers = self.L.registers
        r = self.L.residents.get(resident) if resident else None
        if village:
            village_id = registers.village(village)["id"]
        elif r:
            village_id = r["village_id"]
        else:
            raise BadInput(missing)
        if grid:
            return r, village_id, registers.grid(grid, village_id)["id"]
        # The resident's grid only where the resident lives: a grid belongs to one village.
        at_home = r is not None and r["village_id"] == village_id
        return r, village_id, r["grid_id"] if at_home else None

    def log(self, *, village: str | None = None, on: str | date | None = None,
            resident: str | None = None, cadres: Sequence[str] = (),
            channel: str | None = None, grid: str | None = None, note: str | None = None,
            issues: Sequence[str] = (), category: str | None = None,
            complexity: str | None = None, org: str | None = None) -> dict[str, Any]:
        """Record one visit and the demands raised in it; returns the visit id and numbers.
        ``org``: the organisation visited (its page is a row of the residents table)."""
        day = self.L.day(on)
        if org and resident:
            raise BadInput("visit.resident_or_org")
        if org:
            resident = f"#{self.L.organisations.get(org)['id']}"
        texts = [clean_text(t, "issue") for t in issues]
        note = optional_text(note, "note")
        with self.db.atomic():
            r, village_id, gid = self.place(village, resident, grid, "visit.needs_village")
            chan = self.L.registers.term("channel", channel or DEFAULT_CHANNEL)
            cadre_ids = list(dict.fromkeys(self.L.registers.cadre(c)["id"] for c in cadres))
            rid = r["id"] if r else None
            vid = self.insert(day, village_id, gid, rid, chan, note, cadre_ids)
            numbers = [
                self.L.demands.accept(text, village_id=village_id, grid_id=gid, resident_id=rid,
                                      visit_id=vid, channel=chan, on=day, category=category,
                                      complexity=complexity)
                for text in texts
            ]
            repeats = {n: found for n in numbers if (found := self.L.demands.possible_repeats(n))}
        return {"visit_id": vid, "numbers": numbers, "repeats": repeats}

    def insert(self, day: str, village_id: int, grid_id: int | None, resident_id: int | None,
               channel: str, note: str | None, cadre_ids: list[int],
               numbers: list[str] | None = None, origin: tuple[str, str] | None = None) -> int:
        """A visit whose values are checked already, by ids (import and merge too); an
        imported visit keeps the demand numbers its row listed, to link them later."""
        return self.insert_many([(day, village_id, grid_id, resident_id, channel, note,
                                  cadre_ids, numbers, origin)])[0]

    def insert_many(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """Visits as ``insert`` takes them, written in a few statements; returns their ids."""
        first = (self.db.execute("select max(id) from visits").fetchone()[0] or 0) + 1
        visits, cadres, journal = [], [], []
        for vid, (day, village_id, grid_id, resident_id, channel, note, cadre_ids, numbers,
                  origin) in enumerate(rows, start=first):
            visits.append((vid, day, village_id, grid_id, resident_id, channel, note,
                           *(origin or (None, None))))
            cadres += [(vid, c) for c in cadre_ids]
            # Everything stored is journaled (a merged visit too, with where it came from).
            data: dict[str, Any] = {"village_id": village_id, "resident_id": resident_id,
                                    "cadre_ids": cadre_ids, "channel": channel,
                                    "grid_id": grid_id, "note": note}
            if numbers is not None:
                data["numbers"] = numbers
            if origin is not None:
                data["origin"] = list(origin)
            journal.append(self.L.journal.row("visit", vid, "log", day, data))
        self.db.conn.executemany(
            "insert into visits (id, visited_on, village_id, grid_id, resident_id, channel, "
            "note, origin_ledger, origin_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?)", visits)
        self.db.conn.executemany("insert into visit_cadres (visit_id, cadre_id) values (?, ?)",
                                 cadres)
        self.L.journal.write_many(journal)
        return [v[0] for v in visits]

    def exists(self, day: str, village_id: int, resident_id: int | None, channel: str,
               note: str | None, cadre_ids: list[int]) -> bool:
        """A visit of that day, place, person, channel, note and cadres is already here."""
        for (vid,) in self.db.execute(
                "select id from visits where visited_on = ? and village_id = ? and resident_id "
                "is ? and channel = ? and note is ?",
                [day, village_id, resident_id, channel, note]).fetchall():
            have = self.L.registers.names("select cadre_id from visit_cadres where visit_id = ?",
                                          [vid])
            if sorted(have) == sorted(cadre_ids):
                return True
        return False

    def all(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from visits order by id"))

    def by_origin(self, origin: str, origin_id: str) -> int | None:
        row = self.db.execute("select id from visits where origin_ledger = ? and origin_id = ?",
                              [origin, origin_id]).fetchone()
        return row[0] if row else None

    def cadres_by_visit(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for vid, cid in self.db.execute("select visit_id, cadre_id from visit_cadres "
                                        "order by visit_id, rowid"):
            out.setdefault(vid, []).append(cid)
        return out

    def linked_numbers(self) -> dict[str, int]:
        """Demand number -> the imported visit whose 诉求编号 listed it (visits imported
        before their demands)."""
        import json

        links: dict[str, int] = {}
        for subject_id, data in self.db.execute(
                "select subject_id, data from journal where subject = 'visit' and action = 'log' "
                "and json_extract(data, '$.numbers') is not null order by id"):
            for n in json.loads(data)["numbers"]:
                links.setdefault(n, subject_id)
        return links

    def list(self, *, village: str | None = None, since: str | date | None = None,
             until: str | date | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Visits in a date range (both ends included), oldest first."""
        where, params = date_range("x.visited_on", since, until, self.L.today)
        if village:
            where.append("x.village_id = ?")
            params.append(self.L.registers.village(village)["id"])
        sql = _COLUMNS + (" where " + " and ".join(where) if where else "")
        sql += " order by x.visited_on, x.id"
        if limit:
            sql += f" limit {int(limit)}"
        return list(self.db.query(sql, params))

    def export_rows(self, *, village: str | None = None, since: str | date | None = None,
                    until: str | date | None = None) -> Any:
        """Visits as the export's columns, streamed oldest first."""
        where, params = date_range("x.visited_on", since, until, self.L.today)
        if village:
            where.append("x.village_id = ?")
            params.append(self.L.registers.village(village)["id"])
        return self.db.query(_EXPORT + (" where " + " and ".join(where) if where else "")
                             + " order by x.visited_on, x.id", params)

    def of_resident(self, resident_id: int) -> list[dict[str, Any]]:
        return list(self.db.query(
            "select x.id, x.visited_on, x.channel, x.note, v.name as village, "
            "(select group_concat(c.name, '、') from visit_cadres vc join cadres c on c.id ="
            " vc.cadre_id where vc.visit_id = x.id) as cadres, "
            "(select count(*) from demands d where d.visit_id = x.id) as demands "
            "from visits x join villages v on v.id = x.village_id "
            "where x.resident_id = ? order by x.visited_on, x.id", [resident_id]))

    def set_resident(self, visit_id: int, resident_id: int | None, was: int | None) -> None:
        """The visit was to another page of the same person (``resident merge``): journaled
        as the visit's ``resident`` row, which ``ledger undo`` takes back."""
        self.db.execute("update visits set resident_id = ? where id = ?", [resident_id, visit_id])
        self.L.journal.write("visit", visit_id, "resident", self.L.today.isoformat(),
                             {"resident_id": resident_id, "from": was})

    def remove(self, visit_id: int) -> None:
        """Take back a logged visit (``ledger undo``)."""
        self.db.execute("delete from visit_cadres where visit_id = ?", [visit_id])
        self.db.execute("delete from visits where id = ?", [visit_id])
