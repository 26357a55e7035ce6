"""Pairing (包联): key villages (重点村), the roles people are paired in, and the pairs.

A pair is a cadre or a unit with a village in a role (商州's 四个一, 天长's 单位联村), or a
cadre with a household (联户). Roles are a vocabulary: the names built in
(``vocabulary.BUILT_IN_TERMS["role"]``) and those a township adds (``terms`` of kind
``role``). Every change is journaled (subjects ``village`` action ``key``, ``pair`` actions
``add`` and ``remove``) and reversed by ``ledger undo`` (``History``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import BadInput, NotFound, Refused
from ..models import clean_name, suggest
from ..vocabulary import BUILT_IN_TERMS, HOUSEHOLD_ROLE

if TYPE_CHECKING:
    from . import Ledger

# What a pair row holds, as its journal rows record it (``ledger check`` holds one to the other).
PAIR_COLUMNS = ("village_id", "cadre_id", "unit_id", "resident_id", "role")

_LIST = (
    "select p.id, p.role, p.village_id, p.cadre_id, p.unit_id, p.resident_id, p.created_on, "
    "coalesce(v.name, rv.name) as village, coalesce(p.village_id, r.village_id) as vid, "
    "c.name as cadre, u.name as unit, "
    "cu.name as cadre_unit, r.name as resident, "
    "case when p.resident_id is not null then 'household' when p.unit_id is not null "
    "then 'unit' else 'cadre' end as kind "
    "from pairs p left join villages v on v.id = p.village_id "
    "left join residents r on r.id = p.resident_id "
    "left join villages rv on rv.id = r.village_id "
    "left join cadres c on c.id = p.cadre_id left join units cu on cu.id = c.unit_id "
    "left join units u on u.id = p.unit_id"
)


def role_order(role: str) -> tuple[int, str]:
    """The built-in roles in their order (四个一 first), then the others by name."""
    built = BUILT_IN_TERMS["role"]
    return (built.index(role), "") if role in built else (len(built), role)


class Pairing:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    # --- open vocabularies with names built in (roles, organisation kinds) ------------------

    def terms(self, kind: str) -> list[str]:
        """The built-in names of ``kind``, then those the township added."""
        added = self.L.registers.terms(kind)
        return list(BUILT_IN_TERMS[kind]) + [n for n in added if n not in BUILT_IN_TERMS[kind]]

    def term(self, kind: str, name: str) -> str:
        """A name of the vocabulary, or ``NotFound`` with the nearest."""
        name = clean_name(name, kind)
        names = self.terms(kind)
        if name in names:
            return name
        raise NotFound("unknown", what=kind, name=name, choices=suggest(name, names))

    def add_term(self, kind: str, name: str) -> int:
        name = clean_name(name, kind)
        if name in BUILT_IN_TERMS[kind]:
            raise Refused("exists", what=kind, name=name)
        return self.L.registers.add_term(kind, name)

    # --- key villages ----------------------------------------------------------------------

    def set_key(self, village: str, key: bool = True) -> dict[str, Any]:
        """Mark a village 重点村 (or, ``key=False``, no longer); refused when it is so already."""
        with self.db.atomic():
            v = self.L.registers.village(village)
            was = int(v.get("key") or 0)
            if was == int(key):
                raise Refused("village.key_already" if key else "village.key_not",
                              name=v["name"])
            self.db.execute("update villages set key = ? where id = ?", [int(key), v["id"]])
            self.L.journal.write("village", v["id"], "key", self.L.today.isoformat(),
                                 {"key": int(key), "was": was, "name": v["name"]})
            return v

    def key_villages(self) -> list[dict[str, Any]]:
        return list(self.db.query("select id, name from villages where key = 1 order by id"))

    # --- pairs -----------------------------------------------------------------------------

    def add(self, *, village: str | None = None, cadre: str | None = None,
            unit: str | None = None, resident: str | None = None,
            role: str | None = None) -> int:
        """Pair a cadre or unit with a village in a role, or a cadre with a household
        (role 联户干部 unless given). Refused: a pair already there. Bad input: a missing or
        unknown village, cadre, unit, resident or role."""
        if resident and village:
            raise BadInput("pair.village_or_resident")
        if not resident and not village:
            raise BadInput("pair.needs_target")
        if bool(cadre) == bool(unit):
            raise BadInput("pair.cadre_or_unit")
        if resident and unit:
            raise BadInput("pair.household_cadre")
        if village and not role:
            raise BadInput("pair.needs_role")
        with self.db.atomic():
            reg = self.L.registers
            record: dict[str, Any] = {
                "village_id": reg.village(village)["id"] if village else None,
                "cadre_id": reg.cadre(cadre)["id"] if cadre else None,
                "unit_id": reg.unit(unit)["id"] if unit else None,
                "resident_id": self.L.residents.get(resident)["id"] if resident else None,
                "role": self.term("role", role) if role else HOUSEHOLD_ROLE,
            }
            other = self.db.execute(
                "select id from pairs where village_id is ? and cadre_id is ? and unit_id is ? "
                "and resident_id is ? and role = ?", [record[c] for c in PAIR_COLUMNS]).fetchone()
            if other:
                raise Refused("pair.exists", id=other[0])
            pid = self.db.execute(
                "insert into pairs (village_id, cadre_id, unit_id, resident_id, role, created_on)"
                " values (?, ?, ?, ?, ?, ?)",
                [*(record[c] for c in PAIR_COLUMNS), self.L.today.isoformat()]).lastrowid
            self.L.journal.write("pair", pid, "add", self.L.today.isoformat(), record)
            return pid

    def get(self, ref: str) -> dict[str, Any]:
        """A pair by its number (``3`` or ``#3``), as ``pair list`` shows it."""
        m = re.fullmatch(r"\s*#?(\d{1,9})\s*", ref or "")
        if not m:
            raise BadInput("pair.number", value=ref)
        rows = list(self.db.query(_LIST + " where p.id = ?", [int(m[1])]))
        if not rows:
            raise NotFound("pair.unknown", id=int(m[1]))
        return rows[0]

    def remove(self, ref: str) -> dict[str, Any]:
        """Take a pair away (journaled; ``ledger undo`` puts it back)."""
        with self.db.atomic():
            p = self.get(ref)
            self.db.execute("delete from pairs where id = ?", [p["id"]])
            self.L.journal.write("pair", p["id"], "remove", self.L.today.isoformat(),
                                 {**{c: p[c] for c in PAIR_COLUMNS},
                                  "created_on": p["created_on"]})
            return p

    def list(self, *, village: str | None = None, cadre: str | None = None,
             unit: str | None = None) -> list[dict[str, Any]]:
        """Pairs by village (its own, and its households'): the villages' pairs first, by
        village, role (the built-in order) and number; then the households'."""
        where, params = [], []
        if village:
            vid = self.L.registers.village(village)["id"]
            where.append("(p.village_id = ? or r.village_id = ?)")
            params += [vid, vid]
        if cadre:
            where.append("p.cadre_id = ?")
            params.append(self.L.registers.cadre(cadre)["id"])
        if unit:
            where.append("p.unit_id = ?")
            params.append(self.L.registers.unit(unit)["id"])
        sql = _LIST + (" where " + " and ".join(where) if where else "")
        rows = list(self.db.query(sql + " order by p.id", params))
        return sorted(rows, key=lambda r: (r["kind"] == "household", r["vid"],
                                           role_order(r["role"]), r["id"]))

    # --- undo --------------------------------------------------------------------------------

    def reverse(self, action: str, row_id: int, data: dict[str, Any]) -> None:
        """Reverse one journal row of a pair or a key village (``ledger undo``)."""
        if action == "key":
            self.db.execute("update villages set key = ? where id = ?", [data["was"], row_id])
        elif action == "add":
            self.db.execute("delete from pairs where id = ?", [row_id])
        elif action == "remove":
            self.db.execute(
                "insert into pairs (id, village_id, cadre_id, unit_id, resident_id, role, "
                "created_on) values (?, ?, ?, ?, ?, ?, ?)",
                [row_id, *(data[c] for c in PAIR_COLUMNS), data.get("created_on")])
