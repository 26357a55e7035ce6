"""Organisations visited (非公企业, 个体工商户, 学校 ...): each has a page like a resident's.

An organisation is a row of the residents table whose ``org_kind`` is set (NULL for
people), so that visits, demands, pages, the journal, undo and ``ledger check`` treat it
as they treat a resident. Its kinds are a vocabulary (``vocabulary.BUILT_IN_TERMS
["org_kind"]`` and those a township adds with ``ledger org-kind add``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import BadInput, NotFound, Refused
from ..models import check_phone, clean_name, optional_text, suggest

if TYPE_CHECKING:
    from . import Ledger

_SELECT = ("select r.*, v.name as village, g.name as grid from residents r "
           "join villages v on v.id = r.village_id left join grids g on g.id = r.grid_id "
           "where r.org_kind is not null ")


class Organisations:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    def add(self, name: str, village: str, kind: str, *, phone: str | None = None,
            address: str | None = None, note: str | None = None) -> int:
        """An organisation in a village; refused when one of that name is there already."""
        name = clean_name(name, "organisation")
        with self.db.atomic():
            v = self.L.registers.village(village)
            kind = self.L.pairing.term("org_kind", kind)
            phone = check_phone(phone) if phone else None
            if self.db.execute("select 1 from residents where org_kind is not null and "
                               "name = ? and village_id = ?", [name, v["id"]]).fetchone():
                raise Refused("exists", what="organisation", name=name)
            return self.L.residents.insert(name, v["id"], None, phone, None,
                                           optional_text(address, "address"),
                                           optional_text(note, "note"), [], org_kind=kind)

    def get(self, ref: str) -> dict[str, Any]:
        """An organisation by number (``#12``) or name (``name/village`` where two share it)."""
        ref = clean_name(ref, "organisation")
        num = re.fullmatch(r"#?(\d{1,9})", ref)
        if num:
            rows = list(self.db.query(_SELECT + "and r.id = ?", [int(num[1])]))
        else:
            name, _, village = ref.partition("/")
            sql, params = _SELECT + "and r.name = ?", [name]
            if village:
                sql += " and v.name = ?"
                params.append(village)
            rows = list(self.db.query(sql + " order by r.id", params))
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise BadInput("ambiguous", what="organisation", name=ref,
                           choices=[f"{r['name']}/{r['village']}" for r in rows])
        names = self.L.registers.names("select name from residents where org_kind is not null "
                                       "order by id")
        raise NotFound("unknown", what="organisation", name=ref, choices=suggest(ref, names))

    def list(self, *, village: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """Organisations with their visits (count, last) and demands, by village and name."""
        where, params = ["r.org_kind is not null"], []
        if village:
            where.append("r.village_id = ?")
            params.append(self.L.registers.village(village)["id"])
        if kind:
            where.append("r.org_kind = ?")
            params.append(self.L.pairing.term("org_kind", kind))
        return list(self.db.query(
            "select r.id, r.name, r.org_kind as kind, v.name as village, r.phone, "
            "(select count(*) from visits x where x.resident_id = r.id) as visits, "
            "(select max(visited_on) from visits x where x.resident_id = r.id) as last_visit_on, "
            "(select count(*) from demands d where d.resident_id = r.id) as demands "
            "from residents r join villages v on v.id = r.village_id "
            f"where {' and '.join(where)} order by v.id, r.id", params))

    def page(self, ref: str, *, unmask: bool = False) -> dict[str, Any]:
        """An organisation's page: what it is, every visit, every demand; ``unmask`` (its
        phone to be shown in full) is journaled, as for a resident's page."""
        r = self.get(ref)
        if unmask:
            self.L.unmasked("org show", {"resident_id": r["id"]})
        return {"resident": r, "tags": [], "visits": self.L.visits.of_resident(r["id"]),
                "demands": self.L.demands.list(resident_id=r["id"])}
