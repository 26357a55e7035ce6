"""The ledger's domain: places, people, visits and demands, over one SQLite database.

``Ledger`` knows nothing of the command line. Every public method that changes anything is
one transaction and writes one journal event per change; a method either succeeds whole or
raises a ``LedgerError`` and leaves the file as it was. Every method that depends on the
date takes it as an argument; the ledger's ``today`` is only used to refuse future dates.
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
from datetime import date
from typing import Any, Iterable, Sequence

from sqlite_utils import Database

from . import lifecycle
from .deadlines import (
    POLICY_KINDS, UNITS, Policy, WorkCalendar, YearSchedule, demand_deadline, parse_date,
    parse_schedule, pick_policy, shipped_schedules,
)
from .errors import BadInput, NotFound, Refused

# --- enumerations: stored in English, typed by clerks in Chinese or English ------------

_ENUMS: dict[str, dict[str, str]] = {
    "level": {
        "village": "village", "村": "village", "村级": "village", "社区": "village",
        "township": "township", "镇": "township", "镇级": "township", "乡镇": "township",
        "街道": "township", "乡": "township",
        "county": "county", "县": "county", "县级": "county", "区": "county", "区级": "county",
        "市级": "county",
    },
    "complexity": {
        "general": "general", "一般": "general", "一般性": "general", "一般性问题": "general",
        "complex": "complex", "疑难": "complex", "复杂": "complex", "疑难复杂": "complex",
        "疑难复杂问题": "complex",
    },
    "satisfaction": {
        "satisfied": "satisfied", "满意": "satisfied",
        "basically_satisfied": "basically_satisfied", "basically": "basically_satisfied",
        "基本满意": "basically_satisfied",
        "dissatisfied": "dissatisfied", "不满意": "dissatisfied",
    },
    "status": {
        "open": "open", "办理中": "open", "在办": "open",
        "suspended": "suspended", "挂起": "suspended", "已挂起": "suspended",
        "resolved": "resolved", "办结": "resolved", "已办结": "resolved",
        "closed": "closed", "销号": "closed", "已销号": "closed",
    },
}


def enum_value(kind: str, value: str) -> str:
    """The stored (English) value of a level, complexity, satisfaction or status."""
    table = _ENUMS[kind]
    key = (value or "").strip()
    if key in table:
        return table[key]
    if key.lower() in table:
        return table[key.lower()]
    choices = [k for k in table if not k.isascii()] + sorted(set(table.values()))
    raise BadInput("enum.unknown", what=kind, name=value, choices=choices)


# --- text and identity checks ----------------------------------------------------------

NAME_MAX = 60
TEXT_MAX = 5000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None, field: str, *, max_len: int = TEXT_MAX,
               multiline: bool = True, kind: str = "text") -> str:
    """Stripped text, refusing empty, over-long or control-character input."""
    text = (value or "").strip()
    if not text:
        raise BadInput(f"{kind}.empty", what=field)
    if _CONTROL.search(text) or (not multiline and ("\n" in text or "\r" in text)):
        raise BadInput(f"{kind}.control", what=field)
    if len(text) > max_len:
        raise BadInput(f"{kind}.too_long", what=field, length=len(text), max=max_len)
    return text


def clean_name(value: str | None, field: str) -> str:
    """A name (of a village, unit, person ...): one line, at most NAME_MAX characters."""
    return clean_text(value, field, max_len=NAME_MAX, multiline=False, kind="name")


def optional_text(value: str | None, field: str) -> str | None:
    return clean_text(value, field) if value is not None and value.strip() else None


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def check_id_number(value: str) -> str:
    """A resident identity number (GB 11643): 18 characters, valid birth date, checksum."""
    n = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", n):
        raise BadInput("id_number.malformed", value=value)
    try:
        date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise BadInput("id_number.birth_date", value=value) from None
    if _ID_CHECK[sum(int(c) * w for c, w in zip(n[:17], _ID_WEIGHTS)) % 11] != n[17]:
        raise BadInput("id_number.checksum", value=value)
    return n


def check_phone(value: str) -> str:
    """A mobile (11 digits starting 1) or a landline with area code; separators dropped."""
    digits = re.sub(r"[\s\-()]", "", value.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    if not (re.fullmatch(r"1[3-9]\d{9}", digits) or re.fullmatch(r"0\d{9,11}", digits)):
        raise BadInput("phone.malformed", value=value)
    return digits


_NUMBER = re.compile(r"^\s*(\d{4})-(\d{1,6})\s*$")


def _suggest(name: str, names: Sequence[str]) -> list[str]:
    """Nearest valid names: containing matches first, then similar ones, else the list."""
    names = list(dict.fromkeys(names))
    contains = [n for n in names if name in n or n in name]
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.4)
    picked = list(dict.fromkeys(contains + close))[:5]
    return picked or list(names)[:8]


# --- deadlines over the database -------------------------------------------------------

def load_calendar(db: Database) -> WorkCalendar:
    """The shipped schedules, overridden by the years a clerk added to this ledger."""
    schedules = shipped_schedules()
    for row in db.query("select * from calendar_years"):
        schedules[row["year"]] = YearSchedule(
            row["year"], row["notice"], frozenset(map(date.fromisoformat, json.loads(row["rest"]))),
            frozenset(map(date.fromisoformat, json.loads(row["work"]))), source="ledger")
    return WorkCalendar(schedules)


def load_policies(db: Database) -> list[Policy]:
    return [Policy(r["kind"], r["value"], r["amount"], r["unit"], r["max_extensions"],
                   r["extension_days"]) for r in db.query("select * from policies order by id")]


def undone_events(db: Database) -> set[int]:
    """Journal rows reversed by `ledger undo` (they stay in the journal, and count for nothing)."""
    ids: set[int] = set()
    for (data,) in db.execute("select data from journal where subject = 'undo'"):
        ids.update(json.loads(data).get("events", []))
    return ids


def demand_events(db: Database, demand_id: int) -> list[tuple[str, dict[str, Any], str]]:
    """A demand's journal as ``(action, data, on)``, the reason folded into the data; steps
    reversed by `ledger undo` left out."""
    undone = undone_events(db)
    events = []
    for e in db.query("select id, action, data, reason, on_date from journal where subject ="
                      " 'demand' and subject_id = ? order by id", [demand_id]):
        if e["id"] in undone:
            continue
        data = json.loads(e["data"])
        if e["reason"]:
            data["reason"] = e["reason"]
        events.append((e["action"], data, e["on_date"]))
    return events


def refresh_deadlines(db: Database, where: str = "1 = 1", params: Sequence[Any] = (),
                      calendar: WorkCalendar | None = None,
                      policies: list[Policy] | None = None) -> int:
    """Recompute ``due_on``/``due_provisional`` of the demands matching ``where``."""
    calendar = calendar or load_calendar(db)
    policies = load_policies(db) if policies is None else policies
    rows = list(db.query(f"select id, category, type, complexity from demands where {where}",
                         params))
    for row in rows:
        policy = pick_policy(policies, category=row["category"], type=row["type"],
                             complexity=row["complexity"])
        dl = demand_deadline(demand_events(db, row["id"]), policy, calendar)
        db.execute("update demands set due_on = ?, due_provisional = ? where id = ?",
                   [dl.due_on.isoformat() if dl else None, int(dl.provisional) if dl else 0,
                    row["id"]])
    return len(rows)


SOON_WORKING_DAYS = 1  # "due soon": due today or on the next working day

_UNIT_NAMES = {"working_days": "working_days", "工作日": "working_days", "wd": "working_days",
               "calendar_days": "calendar_days", "自然日": "calendar_days", "日": "calendar_days",
               "天": "calendar_days", "days": "calendar_days",
               "hours": "hours", "小时": "hours", "h": "hours"}


# The journal's data as JSON: Chinese kept readable, keys sorted (one encoder for all).
journal_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode

JOURNAL_INSERT = ("insert into journal (subject, subject_id, action, on_date, actor, reason, "
                  "data, recorded_at, command) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")


class Ledger:
    """The ledger over an open database."""

    def __init__(self, db: Database, *, today: date, user: str = "", now: str | None = None):
        self.db = db
        self.today = today
        self.user = user or None
        self.now = now
        self._calendar: WorkCalendar | None = None
        self._policies: list[Policy] | None = None

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.db)
        return self._calendar

    @property
    def policies(self) -> list[Policy]:
        if self._policies is None:
            self._policies = load_policies(self.db)
        return self._policies

    def _refresh(self, where: str, params: Sequence[Any] = ()) -> int:
        return refresh_deadlines(self.db, where, params, self.calendar, self.policies)

    # --- small helpers -----------------------------------------------------------------

    def _day(self, on: str | date | None) -> str:
        """An ISO date for a step; defaults to today, refuses the future."""
        day = self.today if on is None else parse_date(on)
        if day > self.today:
            raise BadInput("date.future", value=day.isoformat(), today=self.today.isoformat())
        return day.isoformat()

    def _journal(self, subject: str, subject_id: int, action: str, on: str,
                 data: dict[str, Any] | None = None, reason: str | None = None) -> None:
        self.db.execute(JOURNAL_INSERT, [
            subject, subject_id, action, on, self.user, reason,
            journal_json(data or {}), self.now,
            self.db.next_command()])

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    def _names(self, sql: str, params: Sequence[Any] = ()) -> list[str]:
        return [r[0] for r in self.db.execute(sql, params).fetchall()]

    def _named(self, table: str, what: str, name: str, where: str = "",
               params: Sequence[Any] = ()) -> dict[str, Any]:
        """A register row by its exact name, or ``NotFound`` with the nearest names."""
        name = clean_name(name, what)
        row = self._one(f"select * from {table} where name = ? {where}", [name, *params])
        if row is None:
            names = self._names(f"select name from {table} where 1 = 1 {where} order by id", params)
            raise NotFound("unknown", what=what, name=name, choices=_suggest(name, names))
        return row

    def _exists(self, what: str, sql: str, params: Sequence[Any], name: str) -> None:
        if self._one(sql, params):
            raise Refused("exists", what=what, name=name)

    # --- places, units, people, vocabularies -------------------------------------------

    def add_township(self, name: str) -> int:
        name = clean_name(name, "township")
        with self.db.atomic():
            self._exists("township", "select id from townships where name = ?", [name], name)
            tid = self.db["townships"].insert({"name": name}).last_pk
            self._journal("township", tid, "add", self.today.isoformat(), {"name": name})
        return tid

    def township(self, name: str) -> dict[str, Any]:
        return self._named("townships", "township", name)

    def add_village(self, name: str, township: str | None = None, kind: str = "村") -> int:
        name = clean_name(name, "village")
        with self.db.atomic():
            if township:
                tid = self.township(township)["id"]
            else:
                ids = self._names("select id from townships")
                if len(ids) > 1:
                    raise BadInput("village.which_township",
                                   choices=self._names("select name from townships order by name"))
                tid = ids[0] if ids else None
            self._exists("village", "select id from villages where name = ? and township_id is ?",
                         [name, tid], name)
            vid = self.db["villages"].insert(
                {"name": name, "township_id": tid, "kind": kind}).last_pk
            self._journal("village", vid, "add", self.today.isoformat(),
                          {"name": name, "township_id": tid, "kind": kind})
        return vid

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
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise BadInput("ambiguous", what="village", name=ref,
                           choices=[f"{r['township']}/{r['name']}" for r in rows])
        raise NotFound("unknown", what="village", name=ref,
                       choices=_suggest(name, self._names("select name from villages order by id")))

    def add_grid(self, name: str, village: str) -> int:
        name = clean_name(name, "grid")
        with self.db.atomic():
            vid = self.village(village)["id"]
            self._exists("grid", "select id from grids where name = ? and village_id = ?",
                         [name, vid], name)
            gid = self.db["grids"].insert({"name": name, "village_id": vid}).last_pk
            self._journal("grid", gid, "add", self.today.isoformat(),
                          {"name": name, "village_id": vid})
        return gid

    def grid(self, name: str, village_id: int) -> dict[str, Any]:
        return self._named("grids", "grid", name, "and village_id = ?", [village_id])

    def add_unit(self, name: str, level: str = "township") -> int:
        name = clean_name(name, "unit")
        level = enum_value("level", level)
        with self.db.atomic():
            self._exists("unit", "select id from units where name = ?", [name], name)
            uid = self.db["units"].insert({"name": name, "level": level}).last_pk
            self._journal("unit", uid, "add", self.today.isoformat(),
                          {"name": name, "level": level})
        return uid

    def unit(self, name: str) -> dict[str, Any]:
        return self._named("units", "unit", name)

    def add_cadre(self, name: str, unit: str | None = None, phone: str | None = None) -> int:
        name = clean_name(name, "cadre")
        with self.db.atomic():
            uid = self.unit(unit)["id"] if unit else None
            phone = check_phone(phone) if phone else None
            self._exists("cadre", "select id from cadres where name = ?", [name], name)
            cid = self.db["cadres"].insert({"name": name, "unit_id": uid, "phone": phone}).last_pk
            self._journal("cadre", cid, "add", self.today.isoformat(),
                          {"name": name, "unit_id": uid})
        return cid

    def cadre(self, name: str) -> dict[str, Any]:
        return self._named("cadres", "cadre", name)

    def add_term(self, kind: str, name: str) -> int:
        """Add a category, channel or demand type to the township's vocabulary."""
        name = clean_name(name, kind)
        with self.db.atomic():
            self._exists(kind, "select id from terms where kind = ? and name = ?", [kind, name], name)
            tid = self.db["terms"].insert({"kind": kind, "name": name}).last_pk
            self._journal("term", tid, "add", self.today.isoformat(), {"kind": kind, "name": name})
        return tid

    def term(self, kind: str, name: str) -> str:
        return self._named("terms", kind, name, "and kind = ?", [kind])["name"]

    def terms(self, kind: str) -> list[str]:
        return self._names("select name from terms where kind = ? order by id", [kind])

    def listing(self, what: str) -> list[dict[str, Any]]:
        """Rows of one register, for `ledger village list` and friends."""
        sql = {
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
        }[what]
        return list(self.db.query(sql))

    # --- residents ---------------------------------------------------------------------

    def add_resident(self, name: str, village: str, *, phone: str | None = None,
                     id_number: str | None = None, tags: Iterable[str] = (),
                     grid: str | None = None, address: str | None = None,
                     note: str | None = None) -> int:
        name = clean_name(name, "resident")
        tag_list = list(dict.fromkeys(clean_name(t, "tag") for t in tags))
        with self.db.atomic():
            v = self.village(village)
            gid = self.grid(grid, v["id"])["id"] if grid else None
            phone = check_phone(phone) if phone else None
            if id_number:
                id_number = check_id_number(id_number)
                other = self._one("select id, name from residents where id_number = ?", [id_number])
                if other:
                    raise Refused("resident.id_taken", id=other["id"], name=other["name"])
            rid = self.db["residents"].insert({
                "name": name, "village_id": v["id"], "grid_id": gid, "phone": phone,
                "id_number": id_number, "address": optional_text(address, "address"),
                "note": optional_text(note, "note"), "created_on": self.today.isoformat(),
            }).last_pk
            self.db["resident_tags"].insert_all({"resident_id": rid, "tag": t} for t in tag_list)
            self._journal("resident", rid, "add", self.today.isoformat(),
                          {"name": name, "village_id": v["id"], "tags": tag_list})
        return rid

    def tag_resident(self, ref: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
        """Add or remove tags (困难群体, 独居老人 ...) on a resident; returns the tags now held."""
        add = [clean_name(t, "tag") for t in add]
        remove = [clean_name(t, "tag") for t in remove]
        with self.db.atomic():
            r = self.resident(ref)
            held = set(self._names("select tag from resident_tags where resident_id = ?", [r["id"]]))
            missing = [t for t in remove if t not in held]
            if missing:
                raise BadInput("tag.not_held", name=r["name"], tag=missing[0],
                               choices=sorted(held))
            new = [t for t in dict.fromkeys(add) if t not in held]
            if not new and not remove:
                raise BadInput("nothing_to_change")
            self.db["resident_tags"].insert_all({"resident_id": r["id"], "tag": t} for t in new)
            for t in remove:
                self.db.execute("delete from resident_tags where resident_id = ? and tag = ?",
                                [r["id"], t])
            self._journal("resident", r["id"], "tag", self.today.isoformat(),
                          {"add": new, "remove": remove})
            return self._names("select tag from resident_tags where resident_id = ? order by tag",
                               [r["id"]])

    _RESIDENT_SQL = ("select r.*, v.name as village, g.name as grid from residents r "
                     "join villages v on v.id = r.village_id left join grids g on g.id = r.grid_id ")

    def resident(self, ref: str) -> dict[str, Any]:
        """One resident by ledger number (#12), ID number, phone, or name (``name/village``)."""
        ref = clean_name(ref, "resident")
        num = re.fullmatch(r"#?(\d{1,9})", ref)
        if num:
            rows = list(self.db.query(self._RESIDENT_SQL + "where r.id = ?", [int(num[1])]))
        elif re.fullmatch(r"\d{17}[\dXx]", ref):
            rows = list(self.db.query(self._RESIDENT_SQL + "where r.id_number = ?", [ref.upper()]))
        elif re.fullmatch(r"1\d{10}", ref):
            rows = list(self.db.query(self._RESIDENT_SQL + "where r.phone = ?", [ref]))
        else:
            name, _, village = ref.partition("/")
            sql, params = self._RESIDENT_SQL + "where r.name = ?", [name]
            if village:
                sql += " and v.name = ?"
                params.append(village)
            rows = list(self.db.query(sql + " order by r.id", params))
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise BadInput("resident.ambiguous", name=ref,
                           choices=[self._resident_label(r) for r in rows])
        names = self._names("select name from residents order by id limit 5000")
        raise NotFound("unknown", what="resident", name=ref, choices=_suggest(ref, names)[:5])

    @staticmethod
    def _resident_label(r: dict[str, Any]) -> str:
        tail = f", 尾号{r['phone'][-4:]}" if r.get("phone") else ""
        return f"#{r['id']} {r['name']}({r['village']}{tail})"

    def find_residents(self, query: str | None = None, *, village: str | None = None,
                       phone_tail: str | None = None, tag: str | None = None,
                       limit: int = 200) -> list[dict[str, Any]]:
        """Residents by part of the name, phone tail, village or tag."""
        where, params = [], []
        if query:
            q = clean_name(query, "resident")
            if re.fullmatch(r"\d{3,11}", q) and phone_tail is None:
                phone_tail = q  # names have no digits: digits are (the end of) a phone number
            else:
                where.append("r.name like ?")
                params.append(f"%{q}%")
        if phone_tail:
            if not re.fullmatch(r"\d{3,11}", phone_tail.strip()):
                raise BadInput("phone.tail", value=phone_tail)
            where.append("r.phone like ?")
            params.append(f"%{phone_tail.strip()}")
        if village:
            where.append("r.village_id = ?")
            params.append(self.village(village)["id"])
        if tag:
            where.append("exists (select 1 from resident_tags t where t.resident_id = r.id"
                         " and t.tag = ?)")
            params.append(clean_name(tag, "tag"))
        sql = (
            "select r.id, r.name, v.name as village, r.phone, r.id_number, "
            "(select group_concat(tag, '、') from resident_tags t where t.resident_id = r.id) as tags, "
            "(select count(*) from visits x where x.resident_id = r.id) as visits, "
            "(select count(*) from demands d where d.resident_id = r.id) as demands "
            "from residents r join villages v on v.id = r.village_id"
        )
        if where:
            sql += " where " + " and ".join(where)
        return list(self.db.query(sql + " order by r.id limit ?", [*params, limit]))

    def resident_page(self, ref: str) -> dict[str, Any]:
        """一人一账: who the resident is, every visit, every demand and what became of it."""
        r = self.resident(ref)
        tags = self._names("select tag from resident_tags where resident_id = ? order by tag",
                           [r["id"]])
        visits = list(self.db.query(
            "select x.id, x.visited_on, x.channel, x.note, v.name as village, "
            "(select group_concat(c.name, '、') from visit_cadres vc join cadres c on c.id ="
            " vc.cadre_id where vc.visit_id = x.id) as cadres, "
            "(select count(*) from demands d where d.visit_id = x.id) as demands "
            "from visits x join villages v on v.id = x.village_id "
            "where x.resident_id = ? order by x.visited_on, x.id", [r["id"]]))
        demands = self.list_demands(resident_id=r["id"])
        return {"resident": r, "tags": tags, "visits": visits, "demands": demands}

    # --- visits ------------------------------------------------------------------------

    def _place(self, village: str | None, resident: str | None, grid: str | None,
               missing: str) -> tuple[dict[str, Any] | None, int, int | None]:
        """The resident (if any), village id and grid id of a visit or demand; the village
        and grid default to the resident's own."""
        r = self.resident(resident) if resident else None
        if village:
            village_id = self.village(village)["id"]
        elif r:
            village_id = r["village_id"]
        else:
            raise BadInput(missing)
        if grid:
            return r, village_id, self.grid(grid, village_id)["id"]
        # The resident's grid only where the resident lives: a grid belongs to one village.
        at_home = r is not None and r["village_id"] == village_id
        return r, village_id, r["grid_id"] if at_home else None

    def log_visit(self, *, village: str | None = None, on: str | date | None = None,
                  resident: str | None = None, cadres: Sequence[str] = (),
                  channel: str | None = None, grid: str | None = None,
                  note: str | None = None, issues: Sequence[str] = (),
                  category: str | None = None, complexity: str | None = None) -> dict[str, Any]:
        """Record one visit and the demands raised in it; returns the visit id and numbers."""
        day = self._day(on)
        texts = [clean_text(t, "issue") for t in issues]
        note = optional_text(note, "note")
        with self.db.atomic():
            r, village_id, gid = self._place(village, resident, grid, "visit.needs_village")
            chan = self.term("channel", channel or "入户走访")
            cadre_ids = list(dict.fromkeys(self.cadre(c)["id"] for c in cadres))
            vid = self.db["visits"].insert({
                "visited_on": day, "village_id": village_id, "grid_id": gid,
                "resident_id": r["id"] if r else None, "channel": chan, "note": note,
            }).last_pk
            self.db["visit_cadres"].insert_all({"visit_id": vid, "cadre_id": c} for c in cadre_ids)
            self._journal("visit", vid, "log", day, {
                "village_id": village_id, "resident_id": r["id"] if r else None,
                "cadre_ids": cadre_ids, "channel": chan,
            })
            numbers = [
                self._accept(text, village_id=village_id, grid_id=gid,
                             resident_id=r["id"] if r else None, visit_id=vid, channel=chan,
                             on=day, category=category, complexity=complexity)
                for text in texts
            ]
        return {"visit_id": vid, "numbers": numbers}

    def list_visits(self, *, village: str | None = None, since: str | date | None = None,
                    until: str | date | None = None, limit: int | None = None
                    ) -> list[dict[str, Any]]:
        """Visits in a date range (both ends included), oldest first."""
        where, params = [], []
        if village:
            where.append("x.village_id = ?")
            params.append(self.village(village)["id"])
        if since:
            where.append("x.visited_on >= ?")
            params.append(parse_date(since).isoformat())
        if until:
            where.append("x.visited_on <= ?")
            params.append(parse_date(until).isoformat())
        sql = (
            "select x.id, x.visited_on, v.name as village, r.name as resident, x.channel, x.note, "
            "(select group_concat(c.name, '、') from visit_cadres vc join cadres c on c.id ="
            " vc.cadre_id where vc.visit_id = x.id) as cadres, "
            "(select count(*) from demands d where d.visit_id = x.id) as demands "
            "from visits x join villages v on v.id = x.village_id "
            "left join residents r on r.id = x.resident_id"
        )
        if where:
            sql += " where " + " and ".join(where)
        sql += " order by x.visited_on, x.id"
        if limit:
            sql += f" limit {int(limit)}"
        return list(self.db.query(sql, params))

    # --- demands -----------------------------------------------------------------------

    def add_demand(self, text: str, *, village: str | None = None, on: str | date | None = None,
                   resident: str | None = None, category: str | None = None,
                   complexity: str | None = None, channel: str | None = None,
                   type: str | None = None, level: str | None = None,
                   grid: str | None = None) -> str:
        """Accept a demand (受理); returns its number."""
        day = self._day(on)
        text = clean_text(text, "issue")
        with self.db.atomic():
            r, village_id, gid = self._place(village, resident, grid, "issue.needs_village")
            return self._accept(
                text, village_id=village_id, grid_id=gid, resident_id=r["id"] if r else None,
                visit_id=None, channel=self.term("channel", channel) if channel else None,
                on=day, category=category, complexity=complexity, type=type, level=level)

    def _accept(self, text: str, *, village_id: int, grid_id: int | None,
                resident_id: int | None, visit_id: int | None, channel: str | None, on: str,
                category: str | None = None, complexity: str | None = None,
                type: str | None = None, level: str | None = None) -> str:
        data = {
            "text": text, "village_id": village_id, "grid_id": grid_id,
            "resident_id": resident_id, "visit_id": visit_id, "channel": channel,
            "category": self.term("category", category) if category else None,
            "complexity": enum_value("complexity", complexity) if complexity else "general",
            "type": self.term("type", type) if type else None,
            "level": enum_value("level", level) if level else "village",
        }
        state = lifecycle.apply(None, "accept", data, on)
        number = self._next_number(on[:4])
        did = self.db["demands"].insert({"number": number, **self._to_row(state)}).last_pk
        self._journal("demand", did, "accept", on, data)
        self._refresh("id = ?", [did])
        return number

    def _next_number(self, year: str) -> str:
        last = self.db.execute(
            "select max(number) from demands where number >= ? and number < ?",
            [f"{year}-", f"{year}."]).fetchone()[0]
        # A number whose acceptance was undone stays void: it may be on a printed slip.
        void = self.db.execute(
            "select max(value) from meta where key >= ? and key < ?",
            [f"void:{year}-", f"void:{year}."]).fetchone()[0]
        top = max(last or "", void or "")
        seq = int(top[5:]) + 1 if top else 1
        return f"{year}-{seq:06d}"

    def _demand_row(self, number: str) -> dict[str, Any]:
        ref = clean_name(number, "number")
        m = _NUMBER.match(ref)
        if m:
            row = self._one("select * from demands where number = ?", [f"{m[1]}-{int(m[2]):06d}"])
        elif re.fullmatch(r"\d{1,6}", ref):
            rows = list(self.db.query("select * from demands where number like ?",
                                      [f"%-{int(ref):06d}"]))
            if len(rows) > 1:
                raise BadInput("issue.number_ambiguous", value=ref,
                               choices=[r["number"] for r in rows])
            row = rows[0] if rows else None
        else:
            raise BadInput("issue.number_malformed", value=number)
        if row is None:
            raise NotFound("issue.unknown", value=ref)
        return row

    @staticmethod
    def _to_row(state: dict[str, Any]) -> dict[str, Any]:
        row = dict(state)
        row["co_unit_ids"] = json.dumps(state["co_unit_ids"])
        row["summoned"] = json.dumps(state["summoned"])
        return row

    @staticmethod
    def _state(row: dict[str, Any]) -> dict[str, Any]:
        state = {k: row[k] for k in lifecycle.STATE_FIELDS}
        state["co_unit_ids"] = json.loads(row["co_unit_ids"] or "[]")
        state["summoned"] = json.loads(row["summoned"] or "[]")
        return state

    def _step(self, number: str, action: str, on: str | date | None,
              data: dict[str, Any] | None = None, reason: str | None = None) -> dict[str, Any]:
        """Take one lifecycle step: check it, journal it, store the new state."""
        day = self._day(on)
        data = data or {}
        row = self._demand_row(number)
        given = {**data, "reason": reason} if reason else data
        try:
            new = lifecycle.apply(self._state(row), action, given, day)
        except Refused as e:
            e.params.setdefault("number", row["number"])
            raise
        self._journal("demand", row["id"], action, day, data, reason)
        self.db["demands"].update(row["id"], self._to_row(new))
        self._refresh("id = ?", [row["id"]])
        return {"number": row["number"], **new}

    def classify(self, number: str, *, category: str | None = None,
                 complexity: str | None = None, type: str | None = None,
                 on: str | date | None = None) -> dict[str, Any]:
        """Set category, general/complex and type; the journal keeps what it was before."""
        with self.db.atomic():
            row = self._demand_row(number)
            change: dict[str, Any] = {}
            if category:
                change["category"] = self.term("category", category)
            if complexity:
                change["complexity"] = enum_value("complexity", complexity)
            if type:
                change["type"] = self.term("type", type)
            change = {k: v for k, v in change.items() if row[k] != v}
            if not change:
                raise BadInput("nothing_to_change")
            change["before"] = {k: row[k] for k in change}
            return self._step(number, "classify", on, change)

    def correct(self, number: str, text: str, *, reason: str,
                on: str | date | None = None) -> dict[str, Any]:
        """Correct the demand's text; the original stays in the journal."""
        text = clean_text(text, "issue")
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            row = self._demand_row(number)
            if row["text"] == text:
                raise BadInput("nothing_to_change")
            return self._step(number, "correct", on, {"text": text, "before": row["text"]}, reason)

    def settle(self, number: str, *, result: str, feedback: str | None = None,
               on: str | date | None = None) -> dict[str, Any]:
        """Settled on the spot (当场解决) by the village."""
        data = {"result": clean_text(result, "result"), "feedback": optional_text(feedback, "feedback")}
        with self.db.atomic():
            return self._step(number, "settle", on, data)

    def escalate(self, number: str, *, reason: str, on: str | date | None = None) -> dict[str, Any]:
        """Report one level up, with why it could not be settled below."""
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            row = self._demand_row(number)
            # The levels are recorded so that week summaries can tell 上报到镇 from 上报到县.
            i = lifecycle.LEVELS.index(row["level"])
            to = lifecycle.LEVELS[min(i + 1, len(lifecycle.LEVELS) - 1)]
            return self._step(number, "escalate", on, {"from": row["level"], "to": to}, reason)

    def assign(self, number: str, *, unit: str, co_units: Sequence[str] = (),
               handler: str | None = None, on: str | date | None = None) -> dict[str, Any]:
        """Assign (交办) to a lead unit with cooperating units and a responsible person."""
        with self.db.atomic():
            row = self._demand_row(number)
            lead = self.unit(unit)
            co = [self.unit(u) for u in co_units]
            co_ids = list(dict.fromkeys(u["id"] for u in co if u["id"] != lead["id"]))
            for u in [lead, *co]:
                if lifecycle.LEVELS.index(u["level"]) > lifecycle.LEVELS.index(row["level"]):
                    raise Refused("step.assign.above_level", number=row["number"], unit=u["name"],
                                  unit_level=u["level"], level=row["level"])
            data = {"lead_unit_id": lead["id"], "co_unit_ids": co_ids,
                    "handler": clean_name(handler, "handler") if handler else None}
            return self._step(number, "assign", on, data)

    def whistle(self, number: str, *, units: Sequence[str], reason: str | None = None,
                on: str | date | None = None) -> dict[str, Any]:
        """吹哨: summon several units to one case."""
        if not units:
            raise BadInput("whistle.no_units")
        with self.db.atomic():
            ids = list(dict.fromkeys(self.unit(u)["id"] for u in units))
            return self._step(number, "whistle", on, {"unit_ids": ids},
                              optional_text(reason, "reason"))

    def report_in(self, number: str, *, unit: str, on: str | date | None = None) -> dict[str, Any]:
        """报到: a summoned unit arrives."""
        with self.db.atomic():
            return self._step(number, "report_in", on, {"unit_id": self.unit(unit)["id"]})

    def take_charge(self, number: str, *, leader: str, on: str | date | None = None) -> dict[str, Any]:
        """包案: a named leader takes personal charge."""
        with self.db.atomic():
            return self._step(number, "take_charge", on, {"leader": clean_name(leader, "leader")})

    def return_(self, number: str, *, unit: str, reason: str,
                on: str | date | None = None) -> dict[str, Any]:
        """退回: the lead unit sends the case back as not its business."""
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            return self._step(number, "return", on, {"unit_id": self.unit(unit)["id"]}, reason)

    def notify(self, number: str, *, text: str, on: str | date | None = None) -> dict[str, Any]:
        """告知进度: tell the resident how the case is going."""
        with self.db.atomic():
            return self._step(number, "notify", on, {"text": clean_text(text, "notice")})

    def extend(self, number: str, *, reason: str, approver: str, days: int | None = None,
               on: str | date | None = None) -> dict[str, Any]:
        """延期: extend the deadline, with who approved it and why."""
        reason = clean_text(reason, "reason")
        if days is not None and not 1 <= days <= 366:
            raise BadInput("extend.days", value=days)
        with self.db.atomic():
            row = self._demand_row(number)
            policy = pick_policy(self.policies, category=row["category"], type=row["type"],
                                 complexity=row["complexity"])
            if policy and policy.max_extensions is not None and \
                    row["extensions"] >= policy.max_extensions:
                raise Refused("extend.too_many", number=row["number"], max=policy.max_extensions)
            if policy and policy.extension_days and days and days > policy.extension_days:
                raise Refused("extend.too_long", number=row["number"], days=days,
                              max=policy.extension_days)
            return self._step(number, "extend", on,
                              {"approver": clean_name(approver, "approver"), "days": days}, reason)

    def suspend(self, number: str, *, reason: str, on: str | date | None = None) -> dict[str, Any]:
        """挂起: pause the clock, e.g. while waiting on the resident."""
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            return self._step(number, "suspend", on, {}, reason)

    def resume(self, number: str, *, on: str | date | None = None) -> dict[str, Any]:
        with self.db.atomic():
            return self._step(number, "resume", on)

    def resolve(self, number: str, *, result: str, feedback: str | None = None,
                on: str | date | None = None) -> dict[str, Any]:
        """办结: record the result and the feedback given to the resident."""
        data = {"result": clean_text(result, "result"), "feedback": optional_text(feedback, "feedback")}
        with self.db.atomic():
            return self._step(number, "resolve", on, data)

    def follow_up(self, number: str, *, satisfaction: str, note: str | None = None,
                  reopen: bool = False, on: str | date | None = None) -> dict[str, Any]:
        """回访: ask the resident; 不满意 with ``reopen`` sends the case back into handling."""
        data = {"satisfaction": enum_value("satisfaction", satisfaction),
                "note": optional_text(note, "note"), "reopen": bool(reopen)}
        with self.db.atomic():
            return self._step(number, "follow_up", on, data)

    def close(self, number: str, *, reason: str | None = None,
              on: str | date | None = None) -> dict[str, Any]:
        """销号: close out a resolved and followed-up case."""
        with self.db.atomic():
            return self._step(number, "close", on, {}, optional_text(reason, "reason"))

    def reopen(self, number: str, *, reason: str, on: str | date | None = None) -> dict[str, Any]:
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            return self._step(number, "reopen", on, {}, reason)

    # --- reading -----------------------------------------------------------------------

    # The light is computed in SQL from today and the last day that still counts as "due
    # soon" (the first two parameters of every query built on this).
    _LIST_COLUMNS = (
        "select d.number, d.received_on, d.status, d.level, v.name as village, "
        "r.name as resident, d.category, d.complexity, d.type, d.channel, u.name as unit, "
        "d.handler, d.text, d.resolved_on, d.satisfaction, d.closed_on, d.settled_on_spot, "
        "d.due_on, d.due_provisional, case "
        "when d.status in ('resolved', 'closed') then 'done' "
        "when d.status = 'suspended' then 'suspended' "
        "when d.due_on is null then 'none' "
        "when d.due_on < ? then 'overdue' "
        "when d.due_on <= ? then 'due_soon' else 'on_time' end as light "
    )
    _LIST_JOINS = (
        " join villages v on v.id = d.village_id "
        "left join residents r on r.id = d.resident_id "
        "left join units u on u.id = d.lead_unit_id"
    )
    _LIST_SQL = _LIST_COLUMNS + "from demands d" + _LIST_JOINS
    # Open demands by deadline: a few thousand among a million, always through their index.
    _BY_DUE_SQL = _LIST_COLUMNS + "from demands d indexed by idx_demands_status_due_on" + _LIST_JOINS

    def demands_of(self, table: str, where: str = "1 = 1", order: str = "d.received_on, d.number",
                   limit: int | None = None) -> list[dict[str, Any]]:
        """Demand rows for the ids in ``table`` (a small temporary table with an ``id``
        column), which drives the query: never a walk over every demand."""
        sql = (self._LIST_COLUMNS + f"from {table} x cross join demands d on d.id = x.id"
               + self._LIST_JOINS + f" where {where} order by {order}")
        if limit is not None:
            sql += f" limit {int(limit)}"
        return list(self.db.query(sql, self._light_params()))

    def _light_params(self) -> list[str]:
        soon, _ = self.calendar.add_working_days(self.today, SOON_WORKING_DAYS)
        return [self.today.isoformat(), soon.isoformat()]

    def list_demands(self, *, status: str | None = None, village: str | None = None,
                     category: str | None = None, unit: str | None = None,
                     level: str | None = None, resident: str | None = None,
                     resident_id: int | None = None, since: str | date | None = None,
                     until: str | date | None = None, limit: int | None = None
                     ) -> list[dict[str, Any]]:
        """Demands matching every given filter, oldest first."""
        where, params = [], []
        if status:
            where.append("d.status = ?")
            params.append(enum_value("status", status))
        if village:
            where.append("d.village_id = ?")
            params.append(self.village(village)["id"])
        if category:
            where.append("d.category = ?")
            params.append(self.term("category", category))
        if unit:
            uid = self.unit(unit)["id"]
            where.append("(d.lead_unit_id = ? or exists (select 1 from json_each(d.co_unit_ids)"
                         " j where j.value = ?))")
            params += [uid, uid]
        if level:
            where.append("d.level = ?")
            params.append(enum_value("level", level))
        if resident:
            resident_id = self.resident(resident)["id"]
        if resident_id is not None:
            where.append("d.resident_id = ?")
            params.append(resident_id)
        if since:
            where.append("d.received_on >= ?")
            params.append(parse_date(since).isoformat())
        if until:
            where.append("d.received_on <= ?")
            params.append(parse_date(until).isoformat())
        if since and until and params[-2] > params[-1]:
            raise BadInput("date.range", since=params[-2], until=params[-1])
        sql = self._LIST_SQL + (" where " + " and ".join(where) if where else "")
        sql += " order by d.received_on, d.number"
        if limit:
            sql += f" limit {int(limit)}"
        return list(self.db.query(sql, [*self._light_params(), *params]))

    def demand(self, number: str) -> dict[str, Any]:
        """One demand with names resolved and its whole journal."""
        row = self._demand_row(number)
        d = self._one(self._LIST_SQL + " where d.id = ?", [*self._light_params(), row["id"]])
        assert d is not None
        state = self._state(row)
        units = {u["id"]: u["name"] for u in self.db.query("select id, name from units")}
        d.update({
            "co_units": [units[i] for i in state["co_unit_ids"]],
            "summoned": [(units[u], on) for u, on in state["summoned"]],
            "leader": row["leader"], "result": row["result"], "feedback": row["feedback"],
            "reopen_count": row["reopen_count"], "suspended_since": row["suspended_since"],
            "suspended_days": row["suspended_days"], "stage_started_on": row["stage_started_on"],
            "escalations": row["escalations"], "returns": row["returns"],
            "extensions": row["extensions"], "notices": row["notices"],
            "resident_id": row["resident_id"], "visit_id": row["visit_id"],
        })
        events = []
        undone = undone_events(self.db)
        for e in self.db.query("select * from journal where subject = 'demand' and subject_id = ?"
                               " order by id", [row["id"]]):
            data = json.loads(e["data"])
            for key in ("lead_unit_id", "unit_id"):
                if key in data:
                    data[key.replace("_id", "")] = units.get(data[key])
            for key in ("co_unit_ids", "unit_ids"):
                if key in data:
                    data[key.replace("_ids", "s")] = [units.get(i) for i in data[key]]
            events.append({"id": e["id"], "on": e["on_date"], "action": e["action"],
                           "actor": e["actor"], "reason": e["reason"], "data": data,
                           "undone": e["id"] in undone})
        d["events"] = events
        return d

    def replayed(self, number: str) -> dict[str, Any] | None:
        """What the journal says the demand's state is."""
        return lifecycle.replay(demand_events(self.db, self._demand_row(number)["id"]))

    def disagreements(self, number: str) -> list[str]:
        """Fields where the stored demand differs from the replay of its journal."""
        stored = self._state(self._demand_row(number))
        replayed = self.replayed(number) or {}
        return [k for k in lifecycle.STATE_FIELDS if stored.get(k) != replayed.get(k)]

    # --- the working calendar and the clocks -------------------------------------------

    def add_calendar_year(self, text: str) -> dict[str, Any]:
        """Add (or correct) a year's holiday schedule; recompute the deadlines it touches."""
        schedule = parse_schedule(text)
        with self.db.atomic():
            self.db["calendar_years"].upsert({
                "year": schedule.year, "notice": schedule.notice,
                "rest": json.dumps(sorted(d.isoformat() for d in schedule.rest)),
                "work": json.dumps(sorted(d.isoformat() for d in schedule.work)),
                "added_on": self.today.isoformat(),
            }, pk="year")
            self._journal("calendar", schedule.year, "add", self.today.isoformat(),
                          {"notice": schedule.notice, "rest": len(schedule.rest),
                           "work": len(schedule.work)})
            self._calendar = None
            # Every provisional deadline, and every live one: a corrected year moves them too.
            n = self._refresh("due_provisional = 1 or status in ('open', 'suspended')")
            still = self.db.execute(
                "select count(*) from demands where due_provisional = 1").fetchone()[0]
        return {"year": schedule.year, "recomputed": n, "still_provisional": still}

    def calendar_years(self) -> list[dict[str, Any]]:
        return [{"year": s.year, "notice": s.notice, "source": s.source, "rest": len(s.rest),
                 "work": len(s.work)} for _, s in sorted(self.calendar.schedules.items())]

    def calendar_month(self, year: int, month: int) -> list[dict[str, Any]]:
        """Every day of a month: working or not, and why (holiday, make-up day, weekend)."""
        if not 1 <= month <= 12 or not 1900 <= year <= 2200:
            raise BadInput("calendar.month", year=year, month=month)
        schedule = self.calendar.schedules.get(year)
        day, out = date(year, month, 1), []
        while day.month == month:
            if schedule and day in schedule.work:
                kind = "makeup"
            elif schedule and day in schedule.rest:
                kind = "holiday"
            elif day.weekday() >= 5:
                kind = "weekend"
            else:
                kind = "workday"
            out.append({"date": day, "kind": kind, "known": schedule is not None})
            day = date.fromordinal(day.toordinal() + 1)
        return out

    def list_policies(self) -> list[dict[str, Any]]:
        return list(self.db.query("select kind, value, amount, unit, max_extensions, "
                                  "extension_days from policies order by id"))

    def _policy_key(self, kind: str, value: str) -> tuple[str, str]:
        if kind not in POLICY_KINDS:
            raise BadInput("enum.unknown", what="policy", name=kind, choices=list(POLICY_KINDS))
        if kind == "complexity":
            return kind, enum_value("complexity", value)
        return kind, self.term(kind, value)

    def set_policy(self, kind: str, value: str, *, amount: int, unit: str = "working_days",
                   max_extensions: int | None = None,
                   extension_days: int | None = None) -> int:
        """Set the clock for demands of one category, type or difficulty; returns how many
        live deadlines were recomputed."""
        kind, value = self._policy_key(kind, value)
        unit_key = _UNIT_NAMES.get((unit or "").strip().lower())
        if unit_key is None:
            raise BadInput("enum.unknown", what="unit_of_time", name=unit,
                           choices=[k for k in _UNIT_NAMES if not k.isascii()] + list(UNITS))
        for name, number, low in (("amount", amount, 1), ("max_extensions", max_extensions, 0),
                                  ("extension_days", extension_days, 1)):
            if number is not None and not low <= number <= 3650:
                raise BadInput("policy.number", what=name, value=number)
        with self.db.atomic():
            self._upsert_policy(kind, value, amount, unit_key, max_extensions, extension_days)
            self._journal("policy", 0, "set", self.today.isoformat(),
                          {"kind": kind, "value": value, "amount": amount, "unit": unit_key,
                           "max_extensions": max_extensions, "extension_days": extension_days})
            self._policies = None
            return self._refresh("status in ('open', 'suspended')")

    def _upsert_policy(self, kind: str, value: str, amount: int, unit: str,
                       max_extensions: int | None, extension_days: int | None) -> None:
        self.db.execute(
            "insert into policies (kind, value, amount, unit, max_extensions, extension_days) "
            "values (?, ?, ?, ?, ?, ?) on conflict (kind, value) do update set "
            "amount = excluded.amount, unit = excluded.unit, "
            "max_extensions = excluded.max_extensions, extension_days = excluded.extension_days",
            [kind, value, amount, unit, max_extensions, extension_days])

    def remove_policy(self, kind: str, value: str) -> int:
        kind, value = self._policy_key(kind, value)
        if kind == "complexity":
            raise Refused("policy.keep_complexity", value=value)
        with self.db.atomic():
            if not self.db.execute("delete from policies where kind = ? and value = ?",
                                   [kind, value]).rowcount:
                raise NotFound("policy.unknown", kind=kind, value=value)
            self._journal("policy", 0, "remove", self.today.isoformat(),
                          {"kind": kind, "value": value})
            self._policies = None
            return self._refresh("status in ('open', 'suspended')")

    def due(self, within: int = 0) -> list[dict[str, Any]]:
        """Open demands due today or within ``within`` working days, soonest first."""
        if not 0 <= within <= 60:
            raise BadInput("due.within", value=within)
        until, _ = self.calendar.add_working_days(self.today, within)
        sql = self._BY_DUE_SQL + (" where d.status = 'open' and d.due_on >= ? and d.due_on <= ?"
                                  " order by d.due_on, d.number")
        return list(self.db.query(sql, [*self._light_params(), self.today.isoformat(),
                                        until.isoformat()]))

    def overdue(self) -> dict[str, Any]:
        """Open demands past their deadline, with working days late, by unit and village."""
        sql = self._BY_DUE_SQL + " where d.status = 'open' and d.due_on < ? order by d.due_on, d.number"
        rows = list(self.db.query(sql, [*self._light_params(), self.today.isoformat()]))
        for r in rows:
            r["days_late"] = self.calendar.working_days_between(
                date.fromisoformat(r["due_on"]), self.today)
        groups = {}
        for key in ("unit", "village"):
            counts: dict[str, dict[str, Any]] = {}
            for r in rows:
                # name None: demands not assigned to any unit yet
                g = counts.setdefault(r[key], {"name": r[key], "overdue": 0, "max_days_late": 0})
                g["overdue"] += 1
                g["max_days_late"] = max(g["max_days_late"], r["days_late"])
            groups[key] = sorted(counts.values(), key=lambda g: (
                -g["overdue"], -g["max_days_late"], g["name"] is None, g["name"] or ""))
        return {"demands": rows, "by_unit": groups["unit"], "by_village": groups["village"]}

    # --- undo ----------------------------------------------------------------------------

    _REGISTERS = {"township": "townships", "village": "villages", "grid": "grids",
                  "unit": "units", "cadre": "cadres", "term": "terms"}

    def undo(self) -> dict[str, Any]:
        """Reverse the last command, if it was this user's, as a new recorded correction.

        The journal keeps the command's rows and gains an ``undo`` row naming them; replay
        leaves undone steps out. Refused when someone else's change came after it, or when
        the command is not one a clerk reverses by undo (imports, merges, calendars, policies:
        those are corrected with their own commands).
        """
        with self.db.atomic():
            undone = undone_events(self.db)
            last = None
            for row in self.db.query("select * from journal where command is not null "
                                     "order by id desc"):
                if row["subject"] == "undo" or row["id"] in undone:
                    continue
                last = row
                break
            if last is None:
                raise Refused("undo.nothing")
            if (last["actor"] or "") != (self.user or ""):
                raise Refused("undo.someone_else", actor=last["actor"] or "?",
                              on=last["on_date"], action=last["action"])
            rows = list(self.db.query("select * from journal where command = ? order by id",
                                      [last["command"]]))
            for r in rows:
                self._check_undoable(r)
            steps = [(r["subject"], r["action"], self._label_of(r)) for r in rows]
            self._journal("undo", last["command"], "undo", self.today.isoformat(),
                          {"command": last["command"], "events": [r["id"] for r in rows]})
            changed: set[int] = set()
            for r in reversed(rows):
                self._reverse(r, changed)
            for demand_id in changed:
                state = lifecycle.replay(demand_events(self.db, demand_id))
                self.db["demands"].update(demand_id, self._to_row(state))
                self._refresh("id = ?", [demand_id])
            return {"command": last["command"], "actor": last["actor"], "steps": steps}

    def _check_undoable(self, r: dict[str, Any]) -> None:
        subject, action = r["subject"], r["action"]
        if subject in ("demand", "visit") or (subject == "resident" and action in ("add", "tag")):
            pass
        elif subject in self._REGISTERS and action == "add":
            pass
        else:
            raise Refused("undo.cannot", subject=subject, action=action)
        if subject == "resident" and action == "add":
            used = self.db.execute(
                "select (select count(*) from visits where resident_id = ?) + "
                "(select count(*) from demands where resident_id = ?)",
                [r["subject_id"], r["subject_id"]]).fetchone()[0]
            if used:
                raise Refused("undo.in_use", what="resident", name=json.loads(r["data"])["name"])

    def _reverse(self, r: dict[str, Any], changed: set[int]) -> None:
        subject, action, rid = r["subject"], r["action"], r["subject_id"]
        data = json.loads(r["data"])
        if subject == "demand" and action in lifecycle.FIRST_STEPS:
            number = self.db.execute("select number from demands where id = ?", [rid]).fetchone()
            if number:
                self.db["meta"].upsert({"key": f"void:{number[0]}", "value": number[0]}, pk="key")
            self.db.execute("delete from demands where id = ?", [rid])
            changed.discard(rid)
        elif subject == "demand":
            changed.add(rid)
        elif subject == "visit":
            self.db.execute("delete from visit_cadres where visit_id = ?", [rid])
            self.db.execute("delete from visits where id = ?", [rid])
        elif subject == "resident" and action == "add":
            self.db.execute("delete from resident_tags where resident_id = ?", [rid])
            self.db.execute("delete from residents where id = ?", [rid])
        elif subject == "resident" and action == "tag":
            for tag in data.get("add", []):
                self.db.execute("delete from resident_tags where resident_id = ? and tag = ?",
                                [rid, tag])
            self.db["resident_tags"].insert_all(
                ({"resident_id": rid, "tag": t} for t in data.get("remove", [])), ignore=True)
        else:
            try:
                self.db.execute(f"delete from {self._REGISTERS[subject]} where id = ?", [rid])
            except sqlite3.IntegrityError:
                raise Refused("undo.in_use", what=subject, name=data.get("name", "")) from None

    def _label_of(self, r: dict[str, Any]) -> str:
        data = json.loads(r["data"])
        if r["subject"] == "demand":
            number = self.db.execute("select number from demands where id = ?",
                                     [r["subject_id"]]).fetchone()
            return number[0] if number else data.get("text", "")
        return data.get("name") or f"#{r['subject_id']}"
