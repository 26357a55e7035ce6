"""Residents (一人一账): who they are, their tags, and their page of visits and demands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import BadInput, NotFound, Refused
from ..models import (
    check_id_number, check_phone, check_text, clean_name, is_pinyin_query, name_key, new_name,
    optional_text, suggest,
)
from .lookup import drop_keys, matching, write_keys

if TYPE_CHECKING:
    from . import Ledger

_SELECT = ("select r.*, v.name as village, g.name as grid from residents r "
           "join villages v on v.id = r.village_id left join grids g on g.id = r.grid_id ")

# The columns of a resident in the CSV export (ledger.io.csvformat.RESIDENT_COLUMNS).
_EXPORT = (
    "select r.id, r.name, t.name as township, v.name as village, g.name as grid, r.phone, "
    "r.id_number, r.address, (select group_concat(tag, '、') from (select tag from"
    " resident_tags where resident_id = r.id order by tag)) as tags, r.note "
    "from residents r join villages v on v.id = r.village_id "
    "left join townships t on t.id = v.township_id left join grids g on g.id = r.grid_id"
)


def label(r: dict[str, Any]) -> str:
    """How a resident is told apart from a namesake: number, name, village, phone tail."""
    tail = f", 尾号{r['phone'][-4:]}" if r.get("phone") else ""
    return f"#{r['id']} {r['name']}({r['village']}{tail})"


class Residents:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    def add(self, name: str, village: str, *, phone: str | None = None,
            id_number: str | None = None, tags: Iterable[str] = (), grid: str | None = None,
            address: str | None = None, note: str | None = None, new: bool = False) -> int:
        """Register a resident. Refused when the ID number or the phone already belongs to
        someone (with that page); when someone of the same name lives in the same village,
        refused with the candidates unless ``new`` (a namesake: add anyway). ``same`` (use
        the existing page) is ``Residents.same``."""
        name = clean_name(name, "resident")
        tag_list = list(dict.fromkeys(clean_name(t, "tag") for t in tags))
        with self.db.atomic():
            v = self.L.registers.village(village)
            gid = self.L.registers.grid(grid, v["id"])["id"] if grid else None
            phone = check_phone(phone) if phone else None
            id_number = check_id_number(id_number) if id_number else None
            self._refuse_taken(phone, id_number)
            if not new:
                namesakes = self.namesakes(name, v["id"])
                if namesakes:
                    raise Refused("resident.namesake", name=name, village=v["name"],
                                  choices=[label(r) for r in namesakes])
            return self.insert(name, v["id"], gid, phone, id_number,
                               optional_text(address, "address"), optional_text(note, "note"),
                               tag_list)

    def _refuse_taken(self, phone: str | None, id_number: str | None,
                      but: int | None = None) -> None:
        """An ID number or phone that belongs to someone else (not ``but``): refused, with
        the page it belongs to."""
        for column, value in (("id_number", id_number), ("phone", phone)):
            if not value:
                continue
            rows = [r for r in self.db.query(_SELECT + f"where r.{column} = ? order by r.id",
                                             [value]) if r["id"] != but]
            if rows and column == "id_number":
                raise Refused("resident.id_taken", id=rows[0]["id"], name=rows[0]["name"])
            if rows:
                raise Refused("resident.phone_taken", page=label(rows[0]))

    def namesakes(self, name: str, village_id: int) -> list[dict[str, Any]]:
        """Residents of this name (as typed, or normalising alike) in this village."""
        rows = list(self.db.query(_SELECT + "where r.name = ? and r.village_id = ? order by r.id",
                                  [name, village_id]))
        if not rows:
            key = name_key(name)
            rows = [r for r in self.db.query(_SELECT + "where r.village_id = ? order by r.id",
                                             [village_id]) if name_key(r["name"]) == key] \
                if key != name else []
        return rows

    def same(self, name: str, village: str, *, phone: str | None = None,
             id_number: str | None = None, tags: Iterable[str] = (), grid: str | None = None,
             address: str | None = None, note: str | None = None) -> dict[str, Any]:
        """``resident add --same``: the one resident of this name in this village is the
        person meant. What the command gives that the page lacks is filled in, its tags are
        added; a value that differs from the page's own is refused (nothing is overwritten),
        as is a phone or ID number of someone else. Returns the page's id and what changed."""
        name = clean_name(name, "resident")
        tag_list = list(dict.fromkeys(clean_name(t, "tag") for t in tags))
        with self.db.atomic():
            v = self.L.registers.village(village)
            namesakes = self.namesakes(name, v["id"])
            if not namesakes:
                raise NotFound("resident.same_none", name=name, village=v["name"])
            if len(namesakes) > 1:
                raise BadInput("resident.same_which", name=name, village=v["name"],
                               choices=[label(r) for r in namesakes])
            r = namesakes[0]
            given = {"phone": check_phone(phone) if phone else None,
                     "id_number": check_id_number(id_number) if id_number else None,
                     "grid_id": self.L.registers.grid(grid, v["id"])["id"] if grid else None,
                     "address": optional_text(address, "address"),
                     "note": optional_text(note, "note")}
            self._refuse_taken(given["phone"], given["id_number"], but=r["id"])
            changes = {}
            for field, value in given.items():
                if value is None or r[field] == value:
                    continue
                if r[field] is not None:
                    raise Refused("resident.same_differs", id=r["id"], name=r["name"],
                                  what=field.removesuffix("_id"))
                changes[field] = value
            held = set(self.tags(r["id"]))
            new_tags = [t for t in tag_list if t not in held]
            if changes or new_tags:
                self.update(r["id"], changes, new_tags)
            return {"id": r["id"], "name": r["name"], "changed": sorted(changes),
                    "tags": new_tags}

    def update(self, resident_id: int, changes: dict[str, Any], tags: list[str],
               merged: int | None = None) -> None:
        """Fill in a page's fields and add tags, journaled as ``update`` with the values
        before (``--same``, and the page a merge keeps)."""
        row = next(self.db.query("select * from residents where id = ?", [resident_id]))
        before = {k: row[k] for k in changes}
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            self.db.execute(f"update residents set {sets} where id = ?",
                            [*changes.values(), resident_id])
        self.change_tags(resident_id, tags, [])
        data: dict[str, Any] = {"set": changes, "before": before, "tags": tags}
        if merged is not None:
            data["merged"] = merged
        self.L.journal.write("resident", resident_id, "update", self.L.today.isoformat(), data)

    # --- merging two pages that are one person ------------------------------------------

    def merge(self, keep: str, gone: str) -> dict[str, Any]:
        """``ledger resident merge A B``: B's page was A's person. B's visits and demands
        follow to A (each a journal row: the demand's ``merge_resident`` step, the visit's
        ``resident``), A gains B's tags and the fields A lacks, and B's page is closed with
        a ``merged`` row that keeps all it held (``ledger undo`` brings it back). Refused
        when they are the same page, or hold different ID numbers (two people)."""
        with self.db.atomic():
            a, b = self.get(keep), self.get(gone)
            if a["id"] == b["id"]:
                raise BadInput("resident.merge_self", id=a["id"])
            if a["id_number"] and b["id_number"] and a["id_number"] != b["id_number"]:
                raise Refused("resident.merge_two_people", a=label(a), b=label(b))
            today = self.L.today.isoformat()
            demands = list(self.db.query(
                "select * from demands where resident_id = ? order by id", [b["id"]]))
            for d in demands:
                self.L.demands.bookkeeping(d, "merge_resident",
                                           {"resident_id": a["id"], "from": b["id"]})
            visits = self.L.registers.names(
                "select id from visits where resident_id = ? order by id", [b["id"]])
            for vid in visits:
                self.L.visits.set_resident(vid, a["id"], b["id"])
            b_tags = self.tags(b["id"])
            record = {k: b[k] for k in ("name", "village_id", "grid_id", "phone", "id_number",
                                        "address", "note", "created_on", "origin_ledger",
                                        "origin_id")}
            record["tags"] = b_tags
            # B's page closes first: its ID number may pass to A.
            self.remove(b["id"])
            self.L.journal.write("resident", b["id"], "merged", today,
                                 {"into": a["id"], "record": record})
            changes = {k: b[k] for k in ("grid_id", "phone", "id_number", "address", "note")
                       if a[k] is None and b[k] is not None
                       and (k != "grid_id" or a["village_id"] == b["village_id"])}
            held = set(self.tags(a["id"]))
            self.update(a["id"], changes, [t for t in b_tags if t not in held], merged=b["id"])
            return {"into": a["id"], "from": b["id"], "visits": len(visits),
                    "demands": len(demands), "name": a["name"], "label": label(a),
                    "gone": label(b)}

    def unmerge(self, resident_id: int, record: dict[str, Any]) -> None:
        """Bring back a page a merge closed (``ledger undo``), with its id, as it was."""
        self.db.execute(
            "insert into residents (id, name, village_id, grid_id, phone, id_number, address, "
            "note, created_on, origin_ledger, origin_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [resident_id, *(record.get(k) for k in (
                "name", "village_id", "grid_id", "phone", "id_number", "address", "note",
                "created_on", "origin_ledger", "origin_id"))])
        self.change_tags(resident_id, record.get("tags", []), [])
        write_keys(self.db, "resident", resident_id, record["name"])

    def revert_update(self, resident_id: int, data: dict[str, Any]) -> None:
        """Take back an ``update`` (``ledger undo``): the fields as they were, the tags off."""
        before = data.get("before", {})
        if before:
            sets = ", ".join(f"{k} = ?" for k in before)
            self.db.execute(f"update residents set {sets} where id = ?",
                            [*before.values(), resident_id])
        self.change_tags(resident_id, [], data.get("tags", []))

    def merges_into(self, resident_id: int) -> list[dict[str, Any]]:
        """The pages merged into this one (not undone), as they were: id, name, day."""
        import json

        from ..store.journal import undone_events

        rows = self.db.execute(
            "select id, data, on_date from journal where subject = 'resident' and "
            "subject_id = ? and action = 'update' and json_extract(data, '$.merged') is not null"
            " order by id", [resident_id]).fetchall()
        if not rows:
            return []
        undone = undone_events(self.db)
        out = []
        for eid, data, on in rows:
            if eid in undone:
                continue
            gone = json.loads(data)["merged"]
            rec = self._merged_record(gone)
            out.append({"id": gone, "name": rec.get("name") if rec else None, "on": on})
        return out

    def merged_pages(self) -> list[tuple[int, int]]:
        """Every page closed by a merge (not undone) and the page it went into, in the
        order merged; a chain (B into A, then A into C) is followed to its end."""
        import json

        from ..store.journal import undone_events

        undone = undone_events(self.db)
        into: dict[int, int] = {}
        for eid, sid, data in self.db.execute(
                "select id, subject_id, data from journal where subject = 'resident' and "
                "action = 'merged' order by id"):
            if eid not in undone:
                into[sid] = json.loads(data)["into"]
        out = []
        for gone, target in into.items():
            seen = {gone}
            while target in into and target not in seen:
                seen.add(target)
                target = into[target]
            out.append((gone, target))
        return out

    def _merged_record(self, resident_id: int) -> dict[str, Any] | None:
        """The page a merge closed: what it held and where it went (None: not merged)."""
        import json

        from ..store.journal import undone_events

        rows = self.db.execute(
            "select id, data from journal where subject = 'resident' and subject_id = ? and "
            "action = 'merged' order by id desc", [resident_id]).fetchall()
        if not rows:
            return None
        undone = undone_events(self.db)
        for eid, data in rows:
            if eid not in undone:
                d = json.loads(data)
                return {**d["record"], "into": d["into"]}
        return None

    def insert(self, name: str, village_id: int, grid_id: int | None, phone: str | None,
               id_number: str | None, address: str | None, note: str | None,
               tags: list[str], origin: tuple[str, str] | None = None,
               created_on: str | None = None, org_kind: str | None = None) -> int:
        """A resident whose values are checked already, by ids (import and merge too); an
        organisation's page (services.organisations) has its ``org_kind``."""
        return self.insert_many([(name, village_id, grid_id, phone, id_number, address, note,
                                  tags, origin, created_on, org_kind)])[0]

    def insert_many(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """Residents as ``insert`` takes them (``org_kind`` last, optional), written in a few
        statements (a sync of a whole township brings thousands); returns their ids."""
        first = (self.db.execute("select max(id) from residents").fetchone()[0] or 0) + 1
        today = self.L.today.isoformat()
        people, tagged, journal = [], [], []
        for rid, row in enumerate(rows, start=first):
            (name, village_id, grid_id, phone, id_number, address, note, tags, origin,
             created_on, org_kind) = (*row, None)[:11] if len(row) == 10 else row
            # every door (typed, imported, received in a bundle, merged): one rule
            name = new_name(name, "organisation" if org_kind else "resident")
            check_text(address, "address")
            check_text(note, "note")
            people.append((rid, name, village_id, grid_id, phone, id_number, address, note,
                           created_on or today, *(origin or (None, None)), org_kind))
            tagged += [(rid, tg) for tg in tags]
            # Everything stored is journaled (a merged resident too, with where it came
            # from), so that `ledger check` can hold the row to its journal.
            data = {"name": name, "village_id": village_id, "tags": tags, "grid_id": grid_id,
                    "phone": phone, "id_number": id_number, "address": address, "note": note}
            if origin is not None:
                data["origin"] = list(origin)
            if org_kind is not None:
                data["org_kind"] = org_kind
            journal.append(self.L.journal.row("resident", rid, "add", today, data))
            write_keys(self.db, "resident", rid, name)
        self.db.conn.executemany(
            "insert into residents (id, name, village_id, grid_id, phone, id_number, address, "
            "note, created_on, origin_ledger, origin_id, org_kind) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
        self.db.conn.executemany("insert into resident_tags (resident_id, tag) values (?, ?)",
                                 tagged)
        self.L.journal.write_many(journal)
        return [p[0] for p in people]

    def by_id_number(self, id_number: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select id, name from residents where id_number = ?",
                                  [id_number]))
        return rows[0] if rows else None

    def last_id(self) -> int:
        return self.db.execute("select coalesce(max(id), 0) from residents").fetchone()[0]

    def all(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from residents order by id"))

    def by_origin(self, origin: str, origin_id: str) -> int | None:
        row = self.db.execute("select id from residents where origin_ledger = ? and "
                              "origin_id = ?", [origin, origin_id]).fetchone()
        return row[0] if row else None

    def named_like(self, name: str) -> list[list[Any]]:
        """Everyone of a name as ``[id, phone, village id]``, oldest first (from one index)."""
        return sorted(list(r) for r in self.db.execute(
            "select id, phone, village_id from residents where name = ?", [name]))

    def set_phone(self, resident_id: int, phone: str) -> None:
        """The phone of a resident an import created without one, from a later row."""
        self.db.execute("update residents set phone = ? where id = ?", [phone, resident_id])
        self.L.journal.write("resident", resident_id, "phone", self.L.today.isoformat(),
                             {"phone": phone})

    def registered(self, name: str, village_id: int, phone_pattern: str | None,
                   id_number: str | None) -> bool:
        """Already registered: the same ID number, or the same name in the same village (with
        a phone that matches the LIKE pattern, when both have one)."""
        if id_number and self.by_id_number(id_number):
            return True
        sql, params = "select 1 from residents where name = ? and village_id = ?", [name, village_id]
        if phone_pattern:
            sql += " and (phone like ? or phone is null)"
            params.append(phone_pattern)
        return self.db.execute(sql, params).fetchone() is not None

    def tag(self, ref: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
        """Add or remove tags (困难群体, 独居老人 ...) on a resident; returns the tags now held."""
        add = [clean_name(t, "tag") for t in add]
        remove = [clean_name(t, "tag") for t in remove]
        with self.db.atomic():
            r = self.get(ref)
            held = set(self.tags(r["id"]))
            missing = [t for t in remove if t not in held]
            if missing:
                raise BadInput("tag.not_held", name=r["name"], tag=missing[0],
                               choices=sorted(held))
            new = [t for t in dict.fromkeys(add) if t not in held]
            if not new and not remove:
                raise BadInput("nothing_to_change")
            self.change_tags(r["id"], new, remove)
            self.L.journal.write("resident", r["id"], "tag", self.L.today.isoformat(),
                                 {"add": new, "remove": remove})
            return self.tags(r["id"])

    def change_tags(self, resident_id: int, add: Iterable[str], remove: Iterable[str]) -> None:
        self.db["resident_tags"].insert_all(
            ({"resident_id": resident_id, "tag": t} for t in add), ignore=True)
        for t in remove:
            self.db.execute("delete from resident_tags where resident_id = ? and tag = ?",
                            [resident_id, t])

    def tags(self, resident_id: int) -> list[str]:
        return self.L.registers.names(
            "select tag from resident_tags where resident_id = ? order by tag", [resident_id])

    def tags_by_resident(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for rid, tag in self.db.execute("select resident_id, tag from resident_tags "
                                        "order by resident_id, rowid"):
            out.setdefault(rid, []).append(tag)
        return out

    def get(self, ref: str) -> dict[str, Any]:
        """One resident by ledger number (#12), ID number, phone, or name (``name/village``)."""
        ref = clean_name(ref, "resident")
        num = re.fullmatch(r"#?(\d{1,9})", ref)
        if num:
            rows = list(self.db.query(_SELECT + "where r.id = ?", [int(num[1])]))
        elif re.fullmatch(r"\d{17}[\dXx]", ref):
            rows = list(self.db.query(_SELECT + "where r.id_number = ?", [ref.upper()]))
        elif re.fullmatch(r"1\d{10}", ref):
            rows = list(self.db.query(_SELECT + "where r.phone = ?", [ref]))
        else:
            name, _, village = ref.partition("/")
            sql, params = _SELECT + "where r.name = ?", [name]
            if village:
                sql += " and v.name = ?"
                params.append(village)
            rows = list(self.db.query(sql + " order by r.id", params))
            if not rows and is_pinyin_query(name):  # zhangxiulan, zxl, zhangxl
                rows = self.by_pinyin(name, village)
            elif not rows:  # a name written before names were normalised (Registers.find)
                key = name_key(name)
                rows = [r for r in self.db.query(_SELECT + "order by r.id")
                        if name_key(r["name"]) == key
                        and (not village or name_key(r["village"]) == name_key(village))]
        if len(rows) == 1:
            return rows[0]
        if not rows and num:
            merged = self._merged_record(int(num[1]))
            if merged:
                raise NotFound("resident.merged", id=int(num[1]), name=merged["name"],
                               into=merged["into"])
        if len(rows) > 1:
            raise BadInput("resident.ambiguous", name=ref, choices=[label(r) for r in rows])
        names = self.L.registers.names("select name from residents order by id limit 5000")
        raise NotFound("unknown", what="resident", name=ref, choices=suggest(ref, names)[:5])

    def by_pinyin(self, query: str, village: str | None = None,
                  limit: int = 200) -> list[dict[str, Any]]:
        """Residents whose name is typed as this pinyin (full, initials or mixed: keys
        equal to it, else beginning with it), in a village when given; from the index."""
        ids = matching(self.db, "resident", query, limit)
        if not ids:
            return []
        sql = _SELECT + f"where r.id in ({', '.join('?' * len(ids))})"
        params: list[Any] = list(ids)
        if village:
            sql += " and r.village_id = ?"
            params.append(self.L.registers.village(village)["id"])
        return list(self.db.query(sql + " order by r.id", params))

    def find(self, query: str | None = None, *, village: str | None = None,
             phone_tail: str | None = None, tag: str | None = None,
             limit: int = 200, unmask: bool = False) -> list[dict[str, Any]]:
        """Residents by part of the name, phone tail, village or tag; ``unmask`` (phones
        to be shown in full) is journaled with what was asked and how many were found."""
        where, params = [], []
        if query:
            q = clean_name(query, "resident")
            if re.fullmatch(r"\d{3,11}", q) and phone_tail is None:
                phone_tail = q  # names have no digits: digits are (the end of) a phone number
            elif is_pinyin_query(q):  # zhangxiulan, zxl, zhangxl: the keys beginning so
                ids = matching(self.db, "resident", q, limit)
                where.append(f"(r.name like ? or r.id in ({', '.join(['?'] * len(ids)) or 'null'}))")
                params += [f"%{q}%", *ids]
            else:
                where.append("r.name like ?")
                params.append(f"%{q}%")
        if phone_tail:
            if not re.fullmatch(r"\d{3,11}", phone_tail.strip()):
                raise BadInput("phone.tail", value=phone_tail)
            where.append("r.phone like ?")
            params.append(f"%{phone_tail.strip()}")
        more, more_params = self._where(village, tag)
        where, params = where + more, params + more_params
        sql = (
            "select r.id, r.name, v.name as village, r.phone, r.id_number, "
            "(select group_concat(tag, '、') from resident_tags t where t.resident_id = r.id) as tags, "
            "(select count(*) from visits x where x.resident_id = r.id) as visits, "
            "(select count(*) from demands d where d.resident_id = r.id) as demands "
            "from residents r join villages v on v.id = r.village_id"
        )
        if where:
            sql += " where " + " and ".join(where)
        rows = list(self.db.query(sql + " order by r.id limit ?", [*params, limit]))
        if unmask:
            asked = {k: v for k, v in (("query", query), ("village", village),
                                       ("phone_tail", phone_tail), ("tag", tag)) if v}
            self.L.unmasked("resident find", {"filters": asked, "residents": len(rows)})
        return rows

    def _where(self, village: str | None, tag: str | None) -> tuple[list[str], list[Any]]:
        """Residents of a village, or holding a tag (over ``r``)."""
        where, params = [], []
        if village:
            where.append("r.village_id = ?")
            params.append(self.L.registers.village(village)["id"])
        if tag:
            where.append("exists (select 1 from resident_tags t where t.resident_id = r.id"
                         " and t.tag = ?)")
            params.append(clean_name(tag, "tag"))
        return where, params

    def export_rows(self, *, village: str | None = None, tag: str | None = None) -> Any:
        """Residents as the export's columns, streamed by ledger number."""
        where, params = self._where(village, tag)
        return self.db.query(_EXPORT + (" where " + " and ".join(where) if where else "")
                             + " order by r.id", params)

    def page(self, ref: str, *, unmask: bool = False) -> dict[str, Any]:
        """一人一账: who the resident is, every visit, every demand and what became of it;
        ``unmask`` (phone and ID number to be shown in full) is journaled."""
        r = self.get(ref)
        if unmask:
            self.L.unmasked("resident show", {"resident_id": r["id"]})
        return {"resident": r, "tags": self.tags(r["id"]),
                "merged": self.merges_into(r["id"]),
                "visits": self.L.visits.of_resident(r["id"]),
                "demands": self.L.demands.list(resident_id=r["id"])}

    def busiest(self) -> str | None:
        """The resident who raised the most demands, as ``#id`` (the demo shows their page)."""
        row = self.db.execute(
            "select resident_id from demands where resident_id is not null group by resident_id "
            "order by count(*) desc, resident_id limit 1").fetchone()
        return f"#{row[0]}" if row else None

    def in_use(self, resident_id: int) -> bool:
        return bool(self.db.execute(
            "select (select count(*) from visits where resident_id = ?) + "
            "(select count(*) from demands where resident_id = ?)",
            [resident_id, resident_id]).fetchone()[0])

    def remove(self, resident_id: int) -> None:
        """Take back a resident's registration (``ledger undo``)."""
        self.db.execute("delete from resident_tags where resident_id = ?", [resident_id])
        self.db.execute("delete from residents where id = ?", [resident_id])
        drop_keys(self.db, "resident", resident_id)
