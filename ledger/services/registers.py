"""Registers: townships, villages and their grids, units, cadres, and the vocabularies a
township extends (categories, channels, demand types).

``named`` is the one lookup by name: an exact match, or ``NotFound`` with the nearest
names. Every path that resolves a name typed by a person (the CLI, import, export filters)
goes through it; ``find`` is the same lookup without the error, for paths that create what
is missing (import with ``--create-missing``, merge).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..errors import BadInput, NotFound, Refused
from ..models import (
    check_phone, clean_name, enum_value, is_pinyin_query, name_key, new_name, suggest,
)
from .lookup import KINDS as KEYED
from .lookup import drop_keys, matching, write_keys

if TYPE_CHECKING:
    from . import Ledger

# The registers ``ledger undo`` can take an addition back from: subject -> table.
TABLES = {"township": "townships", "village": "villages", "grid": "grids", "unit": "units",
          "cadre": "cadres", "term": "terms", "meeting": "meetings"}

# 回访方式 (DOMAIN.md): known to every ledger; a township adds its own (`ledger method add`),
# kept as vocabulary entries of kind ``method``.
FOLLOWUP_METHODS = ("电话", "现场", "入户", "短信")


class Registers:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    # --- the one lookup ------------------------------------------------------------------

    def find(self, table: str, name: str, where: str = "",
             params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The row of ``table`` with this name (and ``where``), or None. Two names that
        normalise alike are the same name: a name written before names were normalised
        (``Ａ村``) is found by the name typed now (``A村``), and the other way round."""
        rows = list(self.db.query(f"select * from {table} where name = ? {where}",
                                  [name, *params]))
        if not rows:
            key = name_key(name)
            rows = [r for r in self.db.query(f"select * from {table} where 1 = 1 {where} "
                                             "order by id", params)
                    if isinstance(r["name"], str) and name_key(r["name"]) == key]
        return rows[0] if rows else None

    def named(self, table: str, what: str, name: str, where: str = "",
              params: Sequence[Any] = ()) -> dict[str, Any]:
        """A register row by its exact name, or ``NotFound`` with the nearest names."""
        name = clean_name(name, what)
        row = self.find(table, name, where, params)
        if row is None and what in KEYED and KEYED[what] == table and is_pinyin_query(name):
            row = self.by_pinyin(table, what, name, where, params)
        if row is None:
            names = self.names(f"select name from {table} where 1 = 1 {where} order by id", params)
            raise NotFound("unknown", what=what, name=name, choices=suggest(name, names))
        return row

    def by_pinyin(self, table: str, what: str, query: str, where: str = "",
                  params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The one row whose name is typed as this pinyin (full, initials or mixed: keys
        equal to it, else beginning with it); several: ``BadInput`` listing them."""
        ids = matching(self.db, what, query)
        if not ids:
            return None
        marks = ", ".join("?" * len(ids))
        rows = list(self.db.query(f"select * from {table} where id in ({marks}) {where} "
                                  "order by id", [*ids, *params]))
        if len(rows) > 1:
            raise BadInput("pinyin.ambiguous", what=what, name=query,
                           choices=[r["name"] for r in rows][:10])
        return rows[0] if rows else None

    def names(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The first column of a query."""
        return [r[0] for r in self.db.execute(sql, params).fetchall()]

    def _refuse_existing(self, what: str, table: str, name: str, where: str = "",
                         params: Sequence[Any] = ()) -> None:
        if self.find(table, name, where, params):
            raise Refused("exists", what=what, name=name)

    def _added(self, subject: str, table: str, record: dict[str, Any],
               data: dict[str, Any] | None = None) -> int:
        if "name" in record:  # every door: typed, imported, received, merged
            record["name"] = new_name(record["name"], record.get("kind", subject)
                                      if subject == "term" else subject)
        rid = self.db[table].insert(record).last_pk
        self.L.journal.write(subject, rid, "add", self.L.today.isoformat(), data or record)
        if subject in KEYED:
            write_keys(self.db, subject, rid, record["name"])
        return rid

    # --- places ----------------------------------------------------------------------------

    def add_township(self, name: str) -> int:
        name = clean_name(name, "township")
        with self.db.atomic():
            self._refuse_existing("township", "townships", name)
            return self._added("township", "townships", {"name": name})

    def township(self, name: str) -> dict[str, Any]:
        return self.named("townships", "township", name)

    def township_names(self) -> list[str]:
        return self.names("select name from townships order by name")

    def add_village(self, name: str, township: str | None = None, kind: str = "村") -> int:
        name = clean_name(name, "village")
        with self.db.atomic():
            if township:
                tid = self.township(township)["id"]
            else:
                ids = self.names("select id from townships")
                if len(ids) > 1:
                    raise BadInput("village.which_township", choices=self.township_names())
                tid = ids[0] if ids else None
            return self.add_village_to(name, tid, kind)

    def add_village_to(self, name: str, township_id: int | None, kind: str = "村") -> int:
        """A village in the township of this id (import and merge know the id)."""
        self._refuse_existing("village", "villages", name, "and township_id is ?", [township_id])
        return self._added("village", "villages",
                           {"name": name, "township_id": township_id, "kind": kind})

    def village(self, ref: str) -> dict[str, Any]:
        """A village by name, or ``镇/村`` where two townships have villages of one name."""
        ref = clean_name(ref, "village")
        township, _, name = ref.rpartition("/")
        sql = ("select v.*, t.name as township from villages v "
               "left join townships t on t.id = v.township_id where v.name = ?")
        params: list[Any] = [name]
        if township:
            sql += " and t.name = ?"
            params.append(township)
        rows = list(self.db.query(sql, params))
        if not rows:  # a village named before names were normalised (see ``find``)
            rows = [r for r in self.db.query(
                        "select v.*, t.name as township from villages v left join townships t"
                        " on t.id = v.township_id order by v.id")
                    if name_key(r["name"]) == name_key(name)
                    and (not township or name_key(r["township"] or "") == name_key(township))]
        if not rows and is_pinyin_query(name):  # dongping, dpc
            ids = matching(self.db, "village", name)
            if ids:
                rows = [r for r in self.db.query(
                    "select v.*, t.name as township from villages v left join townships t on"
                    f" t.id = v.township_id where v.id in ({', '.join('?' * len(ids))})"
                    " order by v.id", ids)
                    if not township or r["township"] == township]
                if len(rows) > 1:
                    raise BadInput("pinyin.ambiguous", what="village", name=ref,
                                   choices=[r["name"] if len({x["township"] for x in rows}) < 2
                                            else f"{r['township']}/{r['name']}" for r in rows])
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise BadInput("ambiguous", what="village", name=ref,
                           choices=[f"{r['township']}/{r['name']}" for r in rows])
        raise NotFound("unknown", what="village", name=ref,
                       choices=suggest(name, self.names("select name from villages order by id")))

    def village_name(self, village_id: int) -> str:
        return self.names("select name from villages where id = ?", [village_id])[0]

    def add_grid(self, name: str, village: str) -> int:
        name = clean_name(name, "grid")
        with self.db.atomic():
            return self.add_grid_to(name, self.village(village)["id"])

    def add_grid_to(self, name: str, village_id: int) -> int:
        self._refuse_existing("grid", "grids", name, "and village_id = ?", [village_id])
        return self._added("grid", "grids", {"name": name, "village_id": village_id})

    def grid(self, name: str, village_id: int) -> dict[str, Any]:
        return self.named("grids", "grid", name, "and village_id = ?", [village_id])

    # --- units and cadres ------------------------------------------------------------------

    def add_unit(self, name: str, level: str = "township") -> int:
        name = clean_name(name, "unit")
        level = enum_value("level", level)
        with self.db.atomic():
            self._refuse_existing("unit", "units", name)
            return self._added("unit", "units", {"name": name, "level": level})

    def unit(self, name: str) -> dict[str, Any]:
        return self.named("units", "unit", name)

    def add_unit_unjournaled(self, name: str, level: str) -> int:
        """A unit an import creates before it knows the lowest level the file uses it at;
        journaled by ``set_unit_level`` when the file ends."""
        name = new_name(name, "unit")
        uid = self.db.execute("insert into units (name, level) values (?, ?)",
                              [name, level]).lastrowid
        write_keys(self.db, "unit", uid, name)
        return uid

    def set_unit_level(self, unit_id: int, level: str) -> None:
        """The level of a unit an import created, once the file showed where it works."""
        self.db.execute("update units set level = ? where id = ?", [level, unit_id])
        name = self.names("select name from units where id = ?", [unit_id])[0]
        self.L.journal.write("unit", unit_id, "add", self.L.today.isoformat(),
                             {"name": name, "level": level})

    def unit_names(self) -> dict[int, str]:
        return dict(self.db.execute("select id, name from units").fetchall())

    def add_cadre(self, name: str, unit: str | None = None, phone: str | None = None) -> int:
        name = clean_name(name, "cadre")
        with self.db.atomic():
            uid = self.unit(unit)["id"] if unit else None
            phone = check_phone(phone) if phone else None
            self._refuse_existing("cadre", "cadres", name)
            return self._added("cadre", "cadres", {"name": name, "unit_id": uid, "phone": phone})

    def cadre(self, name: str) -> dict[str, Any]:
        return self.named("cadres", "cadre", name)

    # --- vocabularies --------------------------------------------------------------------------

    def add_term(self, kind: str, name: str) -> int:
        """Add a category, channel, demand type or follow-up method to the township's
        vocabulary."""
        name = clean_name(name, kind)
        if kind == "method" and name in FOLLOWUP_METHODS:
            raise Refused("exists", what=kind, name=name)
        with self.db.atomic():
            self._refuse_existing(kind, "terms", name, "and kind = ?", [kind])
            return self._added("term", "terms", {"kind": kind, "name": name})

    def term(self, kind: str, name: str) -> str:
        return self.named("terms", kind, name, "and kind = ?", [kind])["name"]

    def terms(self, kind: str) -> list[str]:
        stored = self.names("select name from terms where kind = ? order by id", [kind])
        return [*FOLLOWUP_METHODS, *stored] if kind == "method" else stored

    def method(self, name: str) -> str:
        """A follow-up method (回访方式): one of ``FOLLOWUP_METHODS`` or the township's own;
        ``NotFound`` with the nearest otherwise."""
        name = clean_name(name, "method")
        known = self.terms("method")
        if name in known:
            return name
        key = name_key(name)
        for n in known:
            if name_key(n) == key:
                return n
        raise NotFound("unknown", what="method", name=name, choices=suggest(name, known))

    def follower(self, name: str) -> dict[str, int]:
        """Who followed a case up (双向回访): a unit, or a village or community (its committee);
        as the step records it (``by_unit_id`` or ``by_village_id``). A name that is neither
        is refused with the nearest units and villages."""
        clean = clean_name(name, "follower")
        unit = self.find("units", clean)
        if unit is not None:
            return {"by_unit_id": unit["id"]}
        try:
            return {"by_village_id": self.village(clean)["id"]}
        except NotFound:
            known = self.names("select name from units order by id") + \
                self.names("select name from villages order by id")
            raise NotFound("unknown", what="follower", name=clean,
                           choices=suggest(clean, known)) from None

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of a register (townships, villages, grids, units, cadres, terms)."""
        assert table in TABLES.values()
        return list(self.db.query(f"select * from {table} order by id"))

    # --- where merged records came from ------------------------------------------------------

    def ledger_id(self) -> str:
        """This ledger's identity (what it is known by in the ledgers it is merged into)."""
        from ..store import ledger_id

        return ledger_id(self.db)

    def note_origin(self, origin: str, name: str, path: str, on: str) -> None:
        self.db["origins"].upsert({"ledger_id": origin, "name": name, "path": path,
                                   "merged_on": on}, pk="ledger_id")

    # --- lists -----------------------------------------------------------------------------

    _LISTINGS = {
        "township": "select t.name, (select count(*) from villages v where v.township_id = t.id)"
                    " as villages from townships t order by t.id",
        "village": "select v.name, t.name as township, v.kind, (select count(*) from residents r"
                   " where r.village_id = v.id) as residents, (select count(*) from demands d"
                   " where d.village_id = v.id) as demands from villages v left join townships t"
                   " on t.id = v.township_id order by v.id",
        "unit": "select u.name, u.level, (select count(*) from demands d where d.lead_unit_id ="
                " u.id and d.status in ('open', 'suspended')) as open_demands from units u"
                " order by u.id",
        "cadre": "select c.name, u.name as unit from cadres c left join units u on u.id ="
                 " c.unit_id order by c.id",
    }

    def listing(self, what: str) -> list[dict[str, Any]]:
        """Rows of one register, for `ledger village list` and friends."""
        return list(self.db.query(self._LISTINGS[what]))

    def remove_added(self, subject: str, row_id: int, name: str) -> None:
        """Take back an addition (``ledger undo``); refused when something uses it."""
        import sqlite3

        try:
            self.db.execute(f"delete from {TABLES[subject]} where id = ?", [row_id])
        except sqlite3.IntegrityError:
            raise Refused("undo.in_use", what=subject, name=name) from None
        if subject in KEYED:
            drop_keys(self.db, subject, row_id)
