"""The Tuesday meeting (党委会议研判): what it should study, the meetings held, what each
decided on each case.

A meeting is a register row (``meetings``), journaled when added; what a meeting decided on
a case is a ``decide`` step of that case's own journal (with the meeting's id), checked by
``lifecycle._decide`` like every step, so the history of a demand names every meeting
that studied it. Nothing here reads the clock.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Sequence

from ..deadlines import overdue_sql
from ..errors import BadInput, NotFound
from ..models import DemandRow, clean_name, clean_text, enum_value
from ..store.journal import undone_events

if TYPE_CHECKING:
    from . import Ledger

# Why a case is on the agenda, in the order the meeting goes through it (README).
AGENDA_REASONS = ("new", "overdue", "escalated", "dissatisfied", "repeat")
ESCALATED_TIMES = 2  # escalated this many times or more: the meeting studies it


def _ids(db: Any, sql: str, params: dict[str, Any]) -> list[int]:
    return [i for (i,) in db.execute(sql, params)]


class Meetings:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    # --- the meetings ------------------------------------------------------------------------

    def add(self, *, on: str | date | None, kind: str | None = None,
            attendees: Sequence[str] = ()) -> int:
        """Record a meeting held on ``on``; returns its number (#N)."""
        day = self.L.day(on)
        record = {"held_on": day,
                  "kind": enum_value("meeting_kind", kind) if kind else "party_committee",
                  "attendees": json.dumps(list(dict.fromkeys(
                      clean_name(a, "attendee") for a in attendees)), ensure_ascii=False)}
        with self.db.atomic():
            return self.L.registers._added("meeting", "meetings", record)

    def get(self, ref: str | int) -> dict[str, Any]:
        """A meeting by its number (``3`` or ``#3``); ``NotFound`` when there is none."""
        text = str(ref).strip().lstrip("#").strip()
        row = None
        if text.isdigit() and len(text) <= 12:
            row = next(self.db.query("select * from meetings where id = ?", [int(text)]), None)
        if row is None:
            raise NotFound("meeting.unknown", value=str(ref))
        row["attendees"] = json.loads(row["attendees"] or "[]")
        return row

    def _decisions(self, where: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        """The ``decide`` steps (not undone) matching ``where`` over the journal ``j``."""
        undone = undone_events(self.db)
        rows = self.db.execute(
            "select j.id, j.subject_id, d.number, j.on_date, j.data, j.actor from journal j "
            "join demands d on d.id = j.subject_id where j.subject = 'demand' and "
            f"j.action = 'decide' and {where} order by j.id", params).fetchall()
        units = self.L.registers.unit_names()
        out = []
        for jid, did, number, on, data, actor in rows:
            if jid in undone:
                continue
            d = json.loads(data)
            out.append({"meeting": d.get("meeting_id"), "number": number, "demand_id": did,
                        "on": on, "decision": d.get("decision"),
                        "unit": units.get(d["lead_unit_id"]) if d.get("lead_unit_id") else None,
                        "due_on": d.get("due_on"), "actor": actor})
        return out

    def list(self) -> list[dict[str, Any]]:
        """Every meeting, latest first, with how many cases it decided on."""
        rows = list(self.db.query("select * from meetings order by held_on desc, id desc"))
        counts: dict[int, set[str]] = {}
        for d in self._decisions("1 = 1", []):
            counts.setdefault(d["meeting"], set()).add(d["number"])
        for r in rows:
            r["attendees"] = json.loads(r["attendees"] or "[]")
            r["studied"] = len(counts.get(r["id"], ()))
        return rows

    def show(self, ref: str | int) -> dict[str, Any]:
        """One meeting and what it decided, case by case."""
        m = self.get(ref)
        m["decisions"] = self._decisions("json_extract(j.data, '$.meeting_id') = ?", [m["id"]])
        m["studied"] = len({d["number"] for d in m["decisions"]})
        return m

    def of_demand(self, demand_id: int) -> list[dict[str, Any]]:
        """The meetings that studied a demand (decided on it), in the order they did."""
        seen: dict[int, dict[str, Any]] = {}
        for d in self._decisions("j.subject_id = ?", [demand_id]):
            if d["meeting"] not in seen:
                m = next(self.db.query("select * from meetings where id = ?", [d["meeting"]]),
                         None)
                if m is not None:
                    seen[d["meeting"]] = {"id": m["id"], "held_on": m["held_on"],
                                          "kind": m["kind"]}
        return list(seen.values())

    def studied(self, start: str, end: str) -> int:
        """How many cases the meetings held from ``start`` to ``end`` decided on."""
        ids = _ids(self.db, "select id from meetings where held_on between :s and :e",
                   {"s": start, "e": end})
        if not ids:
            return 0
        marks = ", ".join("?" * len(ids))
        return len({d["number"] for d in self._decisions(
            f"json_extract(j.data, '$.meeting_id') in ({marks})", ids)})

    # --- a decision ------------------------------------------------------------------------

    def decide(self, meeting: str | int, number: str, *, decision: str,
               unit: str | None = None, co_units: Sequence[str] = (),
               deadline: str | date | None = None,
               on: str | date | None = None) -> dict[str, Any]:
        """What meeting ``meeting`` decided on demand ``number`` (研判意见), as a step of the
        demand; with ``unit`` it also assigns the case (the assignment's rule and refusals);
        with ``deadline`` that day is the case's deadline."""
        L = self.L
        decision = clean_text(decision, "decision")
        with self.db.atomic():
            m = self.get(meeting)
            day = L.day(on)
            if day < m["held_on"]:
                raise BadInput("meeting.decide_before", on=day, held_on=m["held_on"], id=m["id"])
            data: dict[str, Any] = {"meeting_id": m["id"], "meeting_on": m["held_on"],
                                    "decision": decision}
            if unit:
                lead = L.registers.unit(unit)
                co = {u["id"]: u for u in map(L.registers.unit, co_units)
                      if u["id"] != lead["id"]}
                data.update({"lead_unit_id": lead["id"], "co_unit_ids": list(co),
                             "unit_levels": [lead["level"], *(u["level"] for u in co.values())],
                             "handler": None})
            if deadline is not None:
                due = L.date(deadline)
                if due.isoformat() < day:
                    raise BadInput("meeting.deadline_past", due_on=due.isoformat(), on=day)
                data["due_on"] = due.isoformat()
            result = L.demands._step(number, "decide", day, data)
            return {**result, "meeting": m["id"]}

    # --- the agenda --------------------------------------------------------------------------

    def agenda(self, on: str | date | None = None) -> dict[str, Any]:
        """What the meeting of day ``on`` (default today) should study, each case once with
        every reason it is there (``AGENDA_REASONS``, in that order; README: the meeting):

        new           received since the last meeting held before ``on`` (the day after it,
                      through ``on``; with no earlier meeting, from a week before ``on``), not
                      settled on the spot, not closed: nothing that came in between meetings
                      is missed
        overdue       open, not suspended, deadline before ``on``
        escalated     open or suspended, escalated two times or more
        dissatisfied  resolved and followed up 不满意, or reopened by a 不满意 follow-up and
                      not resolved since
        repeat        open or suspended, of a resident who raised a demand in the ``new``
                      window and has raised two or more by ``on``

        Cases come by their first reason, then by receipt and number.
        """
        L = self.L
        day = L.date(on) if on is not None else L.today
        start = self.since(day)
        p = {"start": start.isoformat(), "day": day.isoformat(), "times": ESCALATED_TIMES}
        db = self.db
        found: dict[str, list[int]] = {
            "new": _ids(db, "select id from demands where received_on between :start and :day "
                            "and settled_on_spot = 0 and status <> 'closed'", p),
            "overdue": _ids(db, "select id from demands d indexed by idx_demands_status_due_on "
                                f"where {overdue_sql(':day')} and d.received_on <= :day", p),
            "escalated": _ids(db, "select id from demands where status in ('open', 'suspended') "
                                  "and escalations >= :times and received_on <= :day", p),
            "dissatisfied": self._dissatisfied(day.isoformat()),
            "repeat": _ids(db, "select d.id from demands d where d.status in ('open', "
                               "'suspended') and "
                               "d.received_on <= :day and d.resident_id in ("
                               " select resident_id from demands where resident_id is not null"
                               " and received_on <= :day group by resident_id"
                               " having count(*) >= 2 and sum(received_on >= :start) > 0)", p),
        }
        why: dict[int, list[str]] = {}
        for reason in AGENDA_REASONS:
            for i in found[reason]:
                why.setdefault(i, []).append(reason)
        db.execute("drop table if exists temp.agenda")
        db.execute("create temp table agenda (id integer primary key)")
        db.conn.executemany("insert into temp.agenda values (?)", [(i,) for i in why])
        rows: list[DemandRow] = L.demands.of_table(
            "temp.agenda", columns=", d.id as demand_id", as_of=day)
        db.execute("drop table temp.agenda")
        for r in rows:
            r["why"] = why[r.pop("demand_id")]
        rows.sort(key=lambda r: (AGENDA_REASONS.index(r["why"][0]), r["received_on"],
                                 r["number"]))
        return {"date": day.isoformat(), "since": start.isoformat(), "demands": rows,
                "counts": {k: len(v) for k, v in found.items()}}

    def since(self, day: date) -> date:
        """The first day whose new cases the meeting of ``day`` studies: the day after the
        last meeting held before it, or (none) the same weekday a week before."""
        last = self.db.execute("select max(held_on) from meetings where held_on < ?",
                               [day.isoformat()]).fetchone()[0]
        return date.fromisoformat(last) + timedelta(days=1) if last else day - timedelta(days=7)

    def _dissatisfied(self, day: str) -> list[int]:
        """Cases not closed whose last follow-up (not undone) said 不满意: resolved and rated
        so, or reopened by it."""
        db = self.db
        ids = _ids(db, "select id from demands where status = 'resolved' and "
                       "satisfaction = 'dissatisfied' and received_on <= :day", {"day": day})
        undone = undone_events(db)
        last: dict[int, str | None] = {}
        for jid, did, sat in db.execute(
                "select j.id, j.subject_id, json_extract(j.data, '$.satisfaction') "
                "from demands d join journal j on j.subject = 'demand' and j.subject_id = d.id "
                "and j.action = 'follow_up' where d.status in ('open', 'suspended') and "
                "d.reopen_count > 0 and d.received_on <= ? order by j.id", [day]):
            if jid not in undone:
                last[did] = sat
        return ids + [i for i, sat in last.items() if sat == "dissatisfied"]
