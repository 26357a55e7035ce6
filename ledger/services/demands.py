"""Demands (诉求): accepting, numbering, every step of their life, and the lists clerks read.

A step is checked by the state machine (``ledger.lifecycle``), journaled, and stored as the
new state, whose deadline is then recomputed from the journal: the stored demand always
equals the replay of its journal. Numbers are given out here only (``next_number``), by the
year of receipt, never reusing one that was given out and undone.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Sequence

from .. import lifecycle
from ..deadlines import (
    COLOURS, SOON_WORKING_DAYS, colour_reason_sql, colour_sql, due_sql, light_sql, overdue_sql,
    sign_cutoff, soon_until, urge_again_cutoff, urge_sql,
)
from ..errors import BadInput, NotFound, Refused
from ..models import (
    DemandDetail, DemandRow, OverdueRow, clean_name, clean_text, enum_value, number_seq,
    optional_text, parse_number,
)
from ..store.journal import demand_events, demand_journal, demand_journals
from .queries import date_range

if TYPE_CHECKING:
    from . import Ledger

# Every demand row a list shows; its light is computed in SQL from today and the last day
# that still counts as due soon, the first two parameters of every query built on this.
_COLUMNS = (
    "select d.number, d.received_on, d.status, d.level, v.name as village, "
    "r.name as resident, d.category, d.complexity, d.type, d.channel, u.name as unit, "
    "d.handler, d.text, d.resolved_on, d.satisfaction, d.closed_on, d.settled_on_spot, "
    f"d.due_on, d.due_provisional, {light_sql()} as light, lv.name as locality "
)
_JOINS = (
    " join villages v on v.id = d.village_id "
    "left join residents r on r.id = d.resident_id "
    "left join units u on u.id = d.lead_unit_id "
    "left join villages lv on lv.id = d.locality_id"
)
_LIST = _COLUMNS + "from demands d" + _JOINS
# Open demands by deadline: a few thousand among a million, always through their index.
_BY_DUE = _COLUMNS + "from demands d indexed by idx_demands_status_due_on" + _JOINS
# The columns of a demand in the CSV export (ledger.io.csvformat.DEMAND_COLUMNS), in order.
EXPORT_SQL = (
    "select d.number, d.received_on, t.name as township, v.name as village, g.name as grid, "
    "r.name as resident, r.phone, d.channel, d.category, d.complexity, d.type, d.text, "
    "d.status, d.level, d.lead_unit_id, d.co_unit_ids, d.handler, d.leader, d.due_on, "
    "d.due_provisional, d.settled_on_spot, d.escalated_on, d.assigned_on, d.suspended_since, "
    "d.resolved_on, d.result, d.feedback, d.followed_up_on, d.satisfaction, d.closed_on, "
    "d.reopen_count, d.first_step_on, lv.name as locality "
    "from demands d join villages v on v.id = d.village_id "
    "left join villages lv on lv.id = d.locality_id "
    "left join townships t on t.id = v.township_id left join grids g on g.id = d.grid_id "
    "left join residents r on r.id = d.resident_id"
)  # state fields stored as JSON


def to_row(state: dict[str, Any]) -> dict[str, Any]:
    """A demand's state as its stored row."""
    row = dict(state)
    for key in lifecycle.LIST_FIELDS:
        row[key] = json.dumps(state[key])
    return row


def state_of(row: dict[str, Any]) -> dict[str, Any]:
    """A stored demand row as the state the lifecycle works on."""
    state = {k: row[k] for k in lifecycle.STATE_FIELDS}
    for key in lifecycle.LIST_FIELDS:
        state[key] = json.loads(row[key] or "[]")
    return state


def days_late(calendar: Any, due_on: str, today: date) -> int:
    """Working days past the deadline, as of ``today``."""
    return calendar.working_days_between(date.fromisoformat(due_on), today)


class Demands:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    # --- numbers ---------------------------------------------------------------------------

    def last_seq(self, year: str) -> int:
        """The highest sequence of ``year`` given out: by a demand in the ledger, or to one
        whose acceptance was undone (that number stays void: it may be on a printed slip)."""
        last = self.db.execute("select max(number) from demands where number >= ? and "
                               "number < ?", [f"{year}-", f"{year}."]).fetchone()[0]
        void = self.db.execute("select max(value) from meta where key >= ? and key < ?",
                               [f"void:{year}-", f"void:{year}."]).fetchone()[0]
        top = max(last or "", void or "")
        return number_seq(top) if top else 0

    def next_number(self, year: str) -> str:
        return f"{year}-{self.last_seq(year) + 1:06d}"

    def void(self, number: str) -> None:
        """This number was given out and taken back: it is never given out again."""
        self.db["meta"].upsert({"key": f"void:{number}", "value": number}, pk="key")

    def count(self) -> int:
        return self.db.execute("select count(*) from demands").fetchone()[0]

    def next_id(self) -> int:
        """The id the next demand written will get."""
        return (self.db.execute("select max(id) from demands").fetchone()[0] or 0) + 1

    def bulk(self) -> "BulkDemands":
        return BulkDemands(self)

    def voided(self, numbers: Sequence[str]) -> set[str]:
        """Of ``numbers``, those given out and taken back (``void``)."""
        keys = [f"void:{n}" for n in numbers]
        if not keys:
            return set()
        return {v for (v,) in self.db.execute(
            f"select value from meta where key in ({', '.join('?' * len(keys))})", keys)}

    # --- accepting -------------------------------------------------------------------------

    def add(self, text: str, *, village: str | None = None, on: str | date | None = None,
            resident: str | None = None, category: str | None = None,
            complexity: str | None = None, channel: str | None = None,
            type: str | None = None, level: str | None = None, grid: str | None = None,
            repeat_of: str | None = None) -> str:
        """Accept a demand (受理); returns its number."""
        return self.add_checked(text, village=village, on=on, resident=resident,
                                category=category, complexity=complexity, channel=channel,
                                type=type, level=level, grid=grid, repeat_of=repeat_of)["number"]

    def add_checked(self, text: str, *, village: str | None = None,
                    on: str | date | None = None, resident: str | None = None,
                    category: str | None = None, complexity: str | None = None,
                    channel: str | None = None, type: str | None = None,
                    level: str | None = None, grid: str | None = None,
                    repeat_of: str | None = None) -> dict[str, Any]:
        """Accept a demand (受理): its number, and the possible repeats (重复诉求) of it
        already in the ledger (``possible_repeats``); ``repeat_of`` links it to the earlier
        demand it repeats."""
        day = self.L.day(on)
        text = clean_text(text, "issue")
        with self.db.atomic():
            r, village_id, gid = self.L.visits.place(village, resident, grid,
                                                     "issue.needs_village")
            linked = self.repeat_target(repeat_of, day) if repeat_of else None
            number = self.accept(
                text, village_id=village_id, grid_id=gid, resident_id=r["id"] if r else None,
                visit_id=None,
                channel=self.L.registers.term("channel", channel) if channel else None,
                on=day, category=category, complexity=complexity, type=type, level=level,
                repeat_of=linked)
            return {"number": number, "repeats": self.possible_repeats(number)}

    def repeat_target(self, number: str, on: str) -> int:
        """The id of the earlier demand a new one repeats (``--repeat-of``): received on or
        before the new one's day."""
        row = self.row(number)
        if row["received_on"] > on:
            raise BadInput("repeat.later", number=row["number"], on=on)
        return row["id"]

    def possible_repeats(self, number: str) -> list[dict[str, Any]]:
        """Demands this one may repeat (重复诉求): of the same resident, or of the same
        village and category; open, or resolved or closed within ``repeat.days`` days of
        its receipt; received on or before it; whose text is at least ``repeat.similarity``
        alike (rapidfuzz's WRatio, 0-100). The one it is linked to is left out. Most
        similar first, then the latest."""
        d = next(self.db.query("select * from demands where number = ?", [number]))
        settings = self.L.reports.settings()
        cutoff = (date.fromisoformat(d["received_on"])
                  - timedelta(days=int(settings["repeat.days"]))).isoformat()
        who, params = [], {"id": d["id"], "on": d["received_on"], "cutoff": cutoff,
                           "rid": d["resident_id"], "vid": d["village_id"],
                           "cat": d["category"], "linked": d["repeat_of"]}
        if d["resident_id"] is not None:
            who.append("resident_id = :rid")
        if d["category"] is not None:
            who.append("(village_id = :vid and category = :cat)")
        if not who:
            return []
        rows = self.db.execute(
            "select id, number, text, status, received_on from demands "
            f"where ({' or '.join(who)}) and id != :id and id is not :linked "
            "and received_on <= :on and (status in ('open', 'suspended') "
            "or coalesce(closed_on, resolved_on) >= :cutoff) "
            "order by received_on desc, id desc limit 500", params).fetchall()
        if not rows:
            return []
        from rapidfuzz import fuzz

        floor = settings["repeat.similarity"]
        found = []
        for _, num, text, status, received in rows:
            score = fuzz.WRatio(d["text"], text)
            if score >= floor:
                found.append({"number": num, "text": text, "status": status,
                              "received_on": received, "similarity": round(score)})
        found.sort(key=lambda r: -r["similarity"])  # stable: the latest first among equals
        return found[:5]

    def accept(self, text: str, *, village_id: int, grid_id: int | None,
               resident_id: int | None, visit_id: int | None, channel: str | None, on: str,
               category: str | None = None, complexity: str | None = None,
               type: str | None = None, level: str | None = None,
               repeat_of: int | None = None) -> str:
        """Accept a demand whose place and people are resolved already (a visit's demands)."""
        registers = self.L.registers
        data = {
            "text": text, "village_id": village_id, "grid_id": grid_id,
            "resident_id": resident_id, "visit_id": visit_id, "channel": channel,
            "category": registers.term("category", category) if category else None,
            "complexity": enum_value("complexity", complexity) if complexity else "general",
            "type": registers.term("type", type) if type else None,
            "level": enum_value("level", level) if level else "village",
        }
        if repeat_of is not None:  # only then: older acceptances' data stay as they were
            data["repeat_of"] = repeat_of
        state = lifecycle.apply(None, "accept", data, on)
        number = self.next_number(on[:4])
        did = self.db["demands"].insert({"number": number, **to_row(state)}).last_pk
        self.L.journal.write("demand", did, "accept", on, data)
        self.L.clocks.refresh("id = ?", [did])
        return number

    def insert_state(self, number: str, state: dict[str, Any],
                     origin: tuple[str, str] | None = None) -> int:
        """A demand in the state its journal (written by the caller) replays to."""
        origin_ledger, origin_number = origin or (None, None)
        return self.db["demands"].insert({"number": number, **to_row(state),
                                          "origin_ledger": origin_ledger,
                                          "origin_number": origin_number}).last_pk

    def exists(self, number: str) -> bool:
        return self.db.execute("select 1 from demands where number = ?",
                               [number]).fetchone() is not None

    def merged_from(self, origin: str) -> set[str]:
        """The numbers (in the other ledger) of the demands merged from ``origin``."""
        return {n for (n,) in self.db.execute(
            "select origin_number from demands where origin_ledger = ?", [origin])}

    def by_origin(self, origin: str, number: str) -> int | None:
        """The id here of the demand merged from ``origin`` under its number there."""
        row = self.db.execute("select id from demands where origin_ledger = ? and "
                              "origin_number = ?", [origin, number]).fetchone()
        return row[0] if row else None

    def numbers_by_id(self) -> dict[int, str]:
        return dict(self.db.execute("select id, number from demands").fetchall())

    def journals(self) -> Any:
        """Every demand's journal rows as stored, demand by demand, undone steps left out."""
        return demand_journals(self.db)

    # --- finding one -------------------------------------------------------------------------

    def row(self, number: str) -> dict[str, Any]:
        """The stored demand of a number typed in full (2026-000123, 2026-123) or, when only
        one demand has it, by its sequence alone (123)."""
        ref = clean_name(number, "number").replace("：", ":")
        if ref.isdigit() and len(ref) <= 6:
            rows = list(self.db.query("select * from demands where number like ?",
                                      [f"%-{int(ref):06d}"]))
        elif ":" in ref:  # a case of another ledger: its ledger's name, then its number there
            place, _, own = ref.rpartition(":")
            rows = list(self.db.query("select * from demands where number = ?",
                                      [f"{place}:{parse_number(own)}"]))
        else:
            full = parse_number(ref)
            rows = list(self.db.query("select * from demands where number = ?", [full]))
            if not rows:  # a shared case typed with its number in the ledger it came from
                rows = list(self.db.query(
                    "select * from demands where origin_number = ? and number like ?",
                    [full, f"%:{full}"]))
        if len(rows) > 1:
            raise BadInput("issue.number_ambiguous", value=ref,
                           choices=[r["number"] for r in rows])
        if not rows:
            raise NotFound("issue.unknown", value=ref)
        return rows[0]

    # --- steps -----------------------------------------------------------------------------

    def _step(self, number: str, action: str, on: str | date | None,
              data: dict[str, Any] | None = None, reason: str | None = None,
              row: dict[str, Any] | None = None) -> dict[str, Any]:
        """Take one lifecycle step: check it, journal it, store the new state."""
        day = self.L.day(on)
        data = data or {}
        row = row or self.row(number)
        given = {**data, "reason": reason} if reason else data
        try:
            new = lifecycle.apply(state_of(row), action, given, day)
        except Refused as e:
            e.params.setdefault("number", row["number"])
            if "unit_id" in e.params:
                e.params.setdefault("unit", self.L.registers.unit_names()[e.params["unit_id"]])
            raise
        # A step a person records on a shared case settles its open conflicts (and says
        # which, so that every ledger the step reaches settles them too); the case is then
        # replayed from all its events, in the one order every ledger replays them in.
        shared = row["origin_ledger"] is not None or self._shared(row["id"])
        settles = self.L.sync.open_conflicts(row["id"]) if shared else []
        self.L.journal.write("demand", row["id"], action, day,
                             {**data, "settles": settles} if settles else data, reason)
        if shared:
            self.L.sync.refresh(row["id"])
            return {"number": row["number"], **state_of(self.row(row["number"]))}
        self.db["demands"].update(row["id"], to_row(new))
        self.L.clocks.refresh("id = ?", [row["id"]])
        return {"number": row["number"], **new}

    def _shared(self, demand_id: int) -> bool:
        """Has a case of this ledger had events from another (is it shared)?"""
        return self.db.execute("select 1 from journal where subject = 'demand' and "
                               "subject_id = ? and origin is not null limit 1",
                               [demand_id]).fetchone() is not None
    def bookkeeping(self, row: dict[str, Any], action: str, data: dict[str, Any]) -> None:
        """A bookkeeping step (``lifecycle.BOOKKEEPING``: a merge of two residents' pages)
        on a stored demand, today: journaled and stored; its deadline does not move."""
        day = self.L.today.isoformat()
        new = lifecycle.apply(state_of(row), action, data, day)
        self.L.journal.write("demand", row["id"], action, day, data)
        self.db["demands"].update(row["id"], to_row(new))

    def classify(self, number: str, *, category: str | None = None,
                 complexity: str | None = None, type: str | None = None,
                 on: str | date | None = None) -> dict[str, Any]:
        """Set category, general/complex and type; the journal keeps what it was before."""
        with self.db.atomic():
            row = self.row(number)
            change: dict[str, Any] = {}
            if category:
                change["category"] = self.L.registers.term("category", category)
            if complexity:
                change["complexity"] = enum_value("complexity", complexity)
            if type:
                change["type"] = self.L.registers.term("type", type)
            change = {k: v for k, v in change.items() if row[k] != v}
            if not change:
                raise BadInput("nothing_to_change")
            change["before"] = {k: row[k] for k in change}
            return self._step(number, "classify", on, change, row=row)

    def correct(self, number: str, text: str, *, reason: str,
                on: str | date | None = None) -> dict[str, Any]:
        """Correct the demand's text; the original stays in the journal."""
        text = clean_text(text, "issue")
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            row = self.row(number)
            if row["text"] == text:
                raise BadInput("nothing_to_change")
            return self._step(number, "correct", on, {"text": text, "before": row["text"]},
                              reason, row=row)

    def settle(self, number: str, *, result: str, feedback: str | None = None,
               on: str | date | None = None) -> dict[str, Any]:
        """Settled on the spot (当场解决) by the village."""
        return self._outcome(number, "settle", result, feedback, on)

    def _outcome(self, number: str, action: str, result: str, feedback: str | None,
                 on: str | date | None) -> dict[str, Any]:
        data = {"result": clean_text(result, "result"),
                "feedback": optional_text(feedback, "feedback")}
        with self.db.atomic():
            return self._step(number, action, on, data)

    def escalate(self, number: str, *, reason: str, on: str | date | None = None) -> dict[str, Any]:
        """Report one level up, with why it could not be settled below."""
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            row = self.row(number)
            # The levels are recorded so that week summaries can tell 上报到镇 from 上报到县.
            i = lifecycle.LEVELS.index(row["level"])
            to = lifecycle.LEVELS[min(i + 1, len(lifecycle.LEVELS) - 1)]
            return self._step(number, "escalate", on, {"from": row["level"], "to": to}, reason,
                              row=row)

    def assign(self, number: str, *, unit: str, co_units: Sequence[str] = (),
               handler: str | None = None, locality: str | None = None,
               on: str | date | None = None) -> dict[str, Any]:
        """Assign (交办) to a lead unit with cooperating units and a responsible person; with
        ``locality``, also to the village or community committee that works the case with
        it (双向派单)."""
        with self.db.atomic():
            row = self.row(number)
            lead = self.L.registers.unit(unit)
            co = {u["id"]: u for u in map(self.L.registers.unit, co_units) if u["id"] != lead["id"]}
            data = {"lead_unit_id": lead["id"], "co_unit_ids": list(co),
                    "unit_levels": [lead["level"], *(u["level"] for u in co.values())],
                    "handler": clean_name(handler, "handler") if handler else None}
            if locality:
                data["locality_id"] = self.L.registers.village(locality)["id"]
            return self._step(number, "assign", on, data, row=row)

    def whistle(self, number: str, *, units: Sequence[str], reason: str | None = None,
                on: str | date | None = None) -> dict[str, Any]:
        """吹哨: summon several units to one case."""
        if not units:
            raise BadInput("whistle.no_units")
        with self.db.atomic():
            ids = list(dict.fromkeys(self.L.registers.unit(u)["id"] for u in units))
            return self._step(number, "whistle", on, {"unit_ids": ids},
                              optional_text(reason, "reason"))

    def report_in(self, number: str, *, unit: str, on: str | date | None = None) -> dict[str, Any]:
        """报到: a summoned unit arrives."""
        with self.db.atomic():
            return self._step(number, "report_in", on,
                              {"unit_id": self.L.registers.unit(unit)["id"]})

    def supervise(self, number: str, *, leader: str,
                  on: str | date | None = None) -> dict[str, Any]:
        """督办: a leader supervises the case (distinct from 包案, taking charge of it)."""
        with self.db.atomic():
            return self._step(number, "supervise", on, {"leader": clean_name(leader, "leader")})

    def take_charge(self, number: str, *, leader: str,
                    on: str | date | None = None) -> dict[str, Any]:
        """包案: a named leader takes personal charge."""
        with self.db.atomic():
            return self._step(number, "take_charge", on, {"leader": clean_name(leader, "leader")})

    def return_(self, number: str, *, unit: str, reason: str,
                on: str | date | None = None) -> dict[str, Any]:
        """退回: the lead unit sends the case back as not its business."""
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            return self._step(number, "return", on,
                              {"unit_id": self.L.registers.unit(unit)["id"]}, reason)

    def receive(self, number: str, *, unit: str | None = None,
                on: str | date | None = None) -> dict[str, Any]:
        """签收: the lead unit (default) or a cooperating unit signs for its assignment."""
        with self.db.atomic():
            row = self.row(number)
            unit_id = self.L.registers.unit(unit)["id"] if unit else row["lead_unit_id"]
            return self._step(number, "receive", on, {"unit_id": unit_id}, row=row)

    def urge(self, number: str, *, text: str | None = None, copy: str | None = None,
             on: str | date | None = None) -> dict[str, Any]:
        """催办: an urge notice, copied to the leader in charge (分管领导) when named."""
        data = {"text": optional_text(text, "notice"),
                "copy": clean_name(copy, "leader") if copy else None}
        with self.db.atomic():
            return self._step(number, "urge", on, data)

    def notify(self, number: str, *, text: str, on: str | date | None = None) -> dict[str, Any]:
        """告知进度: tell the resident how the case is going."""
        with self.db.atomic():
            return self._step(number, "notify", on, {"text": clean_text(text, "notice")})

    def extend(self, number: str, *, reason: str, approver: str, days: int | None = None,
               on: str | date | None = None) -> dict[str, Any]:
        """延期: extend the deadline, with who approved it and why, within the policy's caps."""
        reason = clean_text(reason, "reason")
        if days is not None and not 1 <= days <= 366:
            raise BadInput("extend.days", value=days)
        with self.db.atomic():
            row = self.row(number)
            policy = self.L.clocks.policy_for(row["category"], row["type"], row["complexity"])
            data: dict[str, Any] = {"approver": clean_name(approver, "approver"), "days": days}
            caps = {"max_extensions": policy.max_extensions if policy else None,
                    "max_days": policy.extension_days if policy else None}
            data.update({k: v for k, v in caps.items() if v is not None})
            if days is None and policy is not None:
                # The length approved, so that a later change of policy does not move it.
                data["granted"] = policy.extension_days or policy.amount
            return self._step(number, "extend", on, data, reason, row=row)

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
        return self._outcome(number, "resolve", result, feedback, on)

    def follow_up(self, number: str, *, satisfaction: str, note: str | None = None,
                  reopen: bool = False, by: str | None = None, method: str | None = None,
                  on: str | date | None = None) -> dict[str, Any]:
        """回访: ask the resident; 不满意 with ``reopen`` sends the case back into handling.
        ``by``: who followed up (a unit, or the village or community: 双向回访); ``method``:
        how (电话, 现场, 入户, 短信 … ``Registers.method``)."""
        data: dict[str, Any] = {"satisfaction": enum_value("satisfaction", satisfaction),
                                "note": optional_text(note, "note"), "reopen": bool(reopen)}
        with self.db.atomic():
            if by:
                data.update(self.L.registers.follower(by))
            if method:
                data["method"] = self.L.registers.method(method)
            return self._step(number, "follow_up", on, data)

    def close(self, number: str, *, reason: str | None = None,
              on: str | date | None = None) -> dict[str, Any]:
        """销号: close out a resolved case followed up ``followup.required`` times (the
        setting as it stands, recorded with the step)."""
        with self.db.atomic():
            required = int(self.L.reports.settings()["followup.required"])
            return self._step(number, "close", on, {"followups_required": required},
                              optional_text(reason, "reason"))

    def reopen(self, number: str, *, reason: str, on: str | date | None = None) -> dict[str, Any]:
        reason = clean_text(reason, "reason")
        with self.db.atomic():
            return self._step(number, "reopen", on, {}, reason)

    # --- the journal and the stored state --------------------------------------------------

    def replay_into(self, demand_id: int) -> None:
        """Store what the journal says the demand's state is (after ``ledger undo``)."""
        if self._shared(demand_id):
            self.L.sync.refresh(demand_id)
            return
        state = lifecycle.replay(demand_events(self.db, demand_id))
        self.db["demands"].update(demand_id, to_row(state))
        self.L.clocks.refresh("id = ?", [demand_id])

    def replayed(self, number: str) -> dict[str, Any] | None:
        """What the journal says the demand's state is."""
        return lifecycle.replay(demand_events(self.db, self.row(number)["id"]))

    def disagreements(self, number: str) -> list[str]:
        """Fields where the stored demand differs from the replay of its journal."""
        stored = state_of(self.row(number))
        replayed = self.replayed(number) or {}
        return [k for k in lifecycle.STATE_FIELDS if stored.get(k) != replayed.get(k)]

    def remove(self, demand_id: int) -> None:
        """Take back an accepted demand (``ledger undo``); its number stays void."""
        number = self.db.execute("select number from demands where id = ?",
                                 [demand_id]).fetchone()
        if number:
            self.void(number[0])
        self.db.execute("delete from demands where id = ?", [demand_id])

    def number_of(self, demand_id: int) -> str | None:
        row = self.db.execute("select number from demands where id = ?", [demand_id]).fetchone()
        return row[0] if row else None

    # --- reading -----------------------------------------------------------------------------

    def _light_params(self, as_of: date | None = None) -> list[str]:
        day = as_of or self.L.today
        return [day.isoformat(), soon_until(self.L.calendar, day).isoformat()]

    def of_table(self, table: str, where: str = "1 = 1", order: str = "d.received_on, d.number",
                 limit: int | None = None, as_of: date | None = None,
                 columns: str = "") -> list[DemandRow]:
        """Demand rows for the ids in ``table`` (a small temporary table with an ``id``
        column), which drives the query: never a walk over every demand. Their lights are
        as of ``as_of`` (default today); ``columns`` adds columns (", d.x as y")."""
        sql = (_COLUMNS + columns + f" from {table} x cross join demands d on d.id = x.id"
               + _JOINS + f" where {where} order by {order}")
        if limit is not None:
            sql += f" limit {int(limit)}"
        return list(self.db.query(sql, self._light_params(as_of)))

    def filters(self, *, status: str | None = None, village: str | None = None,
                category: str | None = None, unit: str | None = None, level: str | None = None,
                resident: str | None = None, resident_id: int | None = None,
                since: str | date | None = None,
                until: str | date | None = None) -> tuple[list[str], list[Any]]:
        """The where-clauses (over ``d``) and parameters of the demand filters clerks give:
        names resolved, and refused with the nearest names, before anything is read."""
        where, params = date_range("d.received_on", since, until, self.L.today)
        registers = self.L.registers
        if status:
            where.append("d.status = ?")
            params.append(enum_value("status", status))
        if village:
            where.append("d.village_id = ?")
            params.append(registers.village(village)["id"])
        if category:
            where.append("d.category = ?")
            params.append(registers.term("category", category))
        if unit:
            uid = registers.unit(unit)["id"]
            where.append("(d.lead_unit_id = ? or exists (select 1 from json_each(d.co_unit_ids)"
                         " j where j.value = ?))")
            params += [uid, uid]
        if level:
            where.append("d.level = ?")
            params.append(enum_value("level", level))
        if resident:
            resident_id = self.L.residents.get(resident)["id"]
        if resident_id is not None:
            where.append("d.resident_id = ?")
            params.append(resident_id)
        return where, params

    def list(self, *, limit: int | None = None, **filters: Any) -> list[DemandRow]:
        """Demands matching every given filter (``filters``), oldest first."""
        where, params = self.filters(**filters)
        sql = _LIST + (" where " + " and ".join(where) if where else "")
        sql += " order by d.received_on, d.number"
        if limit:
            sql += f" limit {int(limit)}"
        return list(self.db.query(sql, [*self._light_params(), *params]))

    def export_rows(self, **filters: Any) -> Any:
        """Every demand matching ``filters``, as tuples of the export's columns, streamed in
        the order of receipt (an export of a million rows holds one at a time)."""
        where, params = self.filters(**filters)
        return self.db.execute(EXPORT_SQL + (" where " + " and ".join(where) if where else "")
                               + " order by d.received_on, d.number", params)

    def show(self, number: str) -> DemandDetail:
        """One demand with names resolved and its whole journal."""
        row = self.row(number)
        d = next(self.db.query(_LIST + " where d.id = ?", [*self._light_params(), row["id"]]))
        state = state_of(row)
        units = self.L.registers.unit_names()
        d.update({
            "co_units": [units[i] for i in state["co_unit_ids"]],
            "summoned": [(units[u], on) for u, on in state["summoned"]],
            "co_signed": [(units[u], on) for u, on in state["co_signed"]],
            "meetings": self.L.meetings.of_demand(row["id"]),
            **{k: row[k] for k in ("leader", "result", "feedback", "reopen_count", "signed_on",
                                   "urges", "last_urged_on", "supervisor", "follow_ups",
                                   "suspended_since", "suspended_days", "stage_started_on",
                                   "escalations", "returns", "extensions", "notices",
                                   "resident_id", "visit_id", "repeat_of")},
        })
        events = []
        names = self.L.sync._names() if row["origin_ledger"] or self._shared(row["id"]) else {}
        for e in demand_journal(self.db, row["id"]):
            data = e["data"]
            data.pop("settles", None)
            for key in ("lead_unit_id", "unit_id"):
                if key in data:
                    data[key.replace("_id", "")] = units.get(data[key])
            for key in ("co_unit_ids", "unit_ids"):
                if key in data:
                    data[key.replace("_ids", "s")] = [units.get(i) for i in data[key]]
            for key in ("locality_id", "by_village_id"):
                if data.get(key) is not None:
                    data[key.replace("_id", "")] = self.L.registers.village_name(data[key])
            if data.get("by_unit_id") is not None:
                data["by_unit"] = units.get(data["by_unit_id"])
            if data.get("repeat_of"):  # 重复诉求: the earlier demand by its number
                data["repeat_of_number"] = self.number_of(data["repeat_of"])
            events.append({"id": e["id"], "on": e["on_date"], "action": e["action"],
                           "actor": e["actor"], "reason": e["reason"], "data": data,
                           "undone": e["undone"], "conflict": e["conflict"],
                           # where the step was recorded, on a case shared between ledgers
                           "ledger": names.get(e["origin"], e["origin"][:8]) if e["origin"]
                           else None})
        d["events"] = events
        return d

    def longest_history(self) -> str | None:
        """The demand with the most journal rows (the demo shows its history)."""
        row = self.db.execute(
            "select d.number from journal j join demands d on d.id = j.subject_id "
            "where j.subject = 'demand' group by d.id order by count(*) desc, d.id limit 1"
        ).fetchone()
        return row[0] if row else None

    def due(self, within: int | None = None) -> list[DemandRow]:
        """Open demands due soon, soonest first: those whose light is 临期 (due today or on
        the next working day), or with ``within`` those due today or within that many
        working days."""
        if within is None:
            within = SOON_WORKING_DAYS
        if not 0 <= within <= 60:
            raise BadInput("due.within", value=within)
        until, _ = self.L.calendar.add_working_days(self.L.today, within)
        sql = _BY_DUE + f" where {due_sql()} order by d.due_on, d.number"
        return list(self.db.query(sql, [*self._light_params(), self.L.today.isoformat(),
                                        until.isoformat()]))

    def overdue(self) -> list[OverdueRow]:
        """Open demands past their deadline, oldest deadline first, with working days late."""
        sql = _BY_DUE + f" where {overdue_sql()} order by d.due_on, d.number"
        rows = list(self.db.query(sql, [*self._light_params(), self.L.today.isoformat()]))
        for r in rows:
            r["days_late"] = days_late(self.L.calendar, r["due_on"], self.L.today)
        return rows

    def to_urge(self) -> list[DemandRow]:
        """What should be urged (催办) today, by ``deadlines.urge_sql``: open and due within
        ``urge.due_within`` working days and never urged, or overdue and not urged for
        ``urge.repeat_working_days`` working days. Soonest deadline first."""
        s = self.L.reports.settings()
        today = self.L.today
        until, _ = self.L.calendar.add_working_days(today, int(s["urge.due_within"]))
        again = urge_again_cutoff(self.L.calendar, today, int(s["urge.repeat_working_days"]))
        sql = (_COLUMNS + ", d.urges, d.last_urged_on from demands d "
               "indexed by idx_demands_status_due_on" + _JOINS
               + f" where {urge_sql()} order by d.due_on, d.number")
        return list(self.db.query(sql, [*self._light_params(), today.isoformat(),
                                        until.isoformat(), today.isoformat(),
                                        again.isoformat()]))

    def urge_all(self, *, text: str | None = None, copy: str | None = None) -> list[DemandRow]:
        """One urge today for each demand ``to_urge`` lists, in one transaction."""
        with self.db.atomic():
            rows = self.to_urge()
            for r in rows:
                new = self.urge(r["number"], text=text, copy=copy)
                r["urges"], r["last_urged_on"] = new["urges"], new["last_urged_on"]
            return rows

    def colours(self, unit: str | None = None) -> dict[str, Any]:
        """三色督办: every live case with a colour (``deadlines.colour_sql``), by lead unit
        (``unit``: only the cases it leads), red first; and the counts of each unit."""
        s = self.L.reports.settings()
        today = self.L.today
        params: dict[str, Any] = {
            "today": today.isoformat(), "soon": soon_until(self.L.calendar, today).isoformat(),
            "signed_by": sign_cutoff(self.L.calendar, today,
                                     int(s["receive.working_days"])).isoformat(),
            "blue_until": self.L.calendar.add_working_days(
                today, int(s["supervise.blue_working_days"]))[0].isoformat(),
        }
        where = "d.status in ('open', 'suspended')"
        if unit:
            params["unit"] = self.L.registers.unit(unit)["id"]
            where += " and d.lead_unit_id = :unit"
        order = "case colour " + " ".join(f"when '{c}' then {i}" for i, c in enumerate(COLOURS))
        sql = (
            "select * from (select d.number, d.received_on, d.status, v.name as village, "
            "u.name as unit, d.handler, d.supervisor, d.leader, d.due_on, d.due_provisional, "
            f"{light_sql(':today', ':soon')} as light, d.urges, d.extensions, d.returns, "
            f"d.assigned_on, d.signed_on, d.text, lv.name as locality, {colour_sql()} as colour, "
            f"{colour_reason_sql()} as reason from demands d" + _JOINS + f" where {where}) "
            f"where colour is not null order by unit is null, unit, {order} end, due_on, number")
        rows = list(self.db.query(sql, params))
        groups: dict[Any, dict[str, Any]] = {}
        for r in rows:
            g = groups.setdefault(r["unit"], {"name": r["unit"], **{c: 0 for c in COLOURS}})
            g[r["colour"]] += 1
        by_unit = sorted(groups.values(), key=lambda g: (
            -g["red"], -g["yellow"], -g["blue"], g["name"] is None, g["name"] or ""))
        return {"demands": rows, "by_unit": by_unit}

    def overdue_by(self) -> dict[str, Any]:
        """Open demands past their deadline, with working days late, by unit and village."""
        rows = self.overdue()
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


class BulkDemands:
    """Demands written many at a time (import): the same states, journal and numbering
    rules as one by one, batched. Numbers met in the file but not written are kept in a
    scratch table, so that a number repeated anywhere in a long file is recognised."""

    def __init__(self, demands: Demands) -> None:
        self.demands = demands
        self.db = demands.db
        columns = ["id", "number", *lifecycle.STATE_FIELDS, "due_on", "due_provisional"]
        self.sql = (f"insert into demands ({', '.join(columns)}) "
                    f"values ({', '.join('?' for _ in columns)})")
        self.db.execute("create temp table if not exists import_numbers "
                        "(number integer primary key, row integer not null)")
        self.db.execute("delete from temp.import_numbers")

    # --- a load large next to the table ---------------------------------------------------
    #
    # Writing many rows into a table with all its secondary indexes updates every index row
    # by row; building them once after the load is several times cheaper. The same for the
    # trigger that fills import_steps from each import event: one set-based statement after
    # the load does what it does. All inside the import's one transaction, so a refused or
    # killed import leaves the indexes and the trigger as they were.

    LARGE = 0.5  # a load of at least this share of the demands already there,
    LARGE_ROWS = 5_000  # and of at least this many rows

    def is_large(self, rows: int) -> bool:
        have = self.db.execute("select count(*) from demands").fetchone()[0]
        return rows >= self.LARGE_ROWS and rows >= self.LARGE * have

    def begin_load(self) -> None:
        """Before a large load: the secondary indexes of demands (the unique ones kept:
        the import looks numbers up; and the one by village and day, for its likely
        duplicates), of import_steps, the journal's by date and by command
        (the one by subject stays: a correction replays a demand's journal), and the
        triggers of import_steps and resident_demands are set aside."""
        self.db.next_command()  # (found through the journal's index, before the load)
        self.head = self.db.execute("select coalesce(max(id), 0) from journal").fetchone()[0]
        self.set_aside = self.db.execute(
            "select type, name, sql from sqlite_master where sql is not null and ("
            "(type = 'index' and tbl_name = 'demands' and sql not like 'CREATE UNIQUE%' "
            # kept: the import's own look-up of likely duplicates (village, day received)
            "and name <> 'idx_demands_village_report') or "
            "(type = 'index' and tbl_name = 'import_steps') or "
            "(type = 'index' and name in ('idx_journal_subject_on_date', 'idx_journal_command'))"
            " or (type = 'trigger' and name in ('import_steps_of_import', "
            "'resident_demands_insert')))").fetchall()
        self.first_id = self.demands.next_id()
        for kind, name, _ in self.set_aside:
            self.db.execute(f'drop {kind} "{name}"')

    def end_load(self) -> None:
        """After a large load: the import_steps of the import events written and the
        residents' demand counts, each in one statement, then the indexes built and the
        triggers put back, as they were."""
        aside = getattr(self, "set_aside", None)
        if aside is None:
            return
        names = {name for _, name, _ in aside}
        if "resident_demands_insert" in names:  # each resident's count, from the load
            self.db.execute(
                "insert into resident_demands (resident_id, demands, first_on) "
                "select resident_id, count(*), min(received_on) from demands "
                "where id >= ? and resident_id is not null group by resident_id "
                "on conflict(resident_id) do update set demands = demands + excluded.demands, "
                "first_on = coalesce(min(first_on, excluded.first_on), excluded.first_on)",
                [self.first_id])
        if "import_steps_of_import" in names:
            from ..store.migrations import _import_steps

            self.db.execute(
                'insert into import_steps (journal_id, demand_id, action, "to", on_date) '
                + _import_steps("j", "from journal j where j.id > ? and j.subject = 'demand' "
                                     "and j.action = 'import'"),
                [self.head] * 4)
        for kind, _, sql in sorted(aside, key=lambda a: a[0] == "trigger"):
            self.db.execute(sql)
        self.set_aside = None

    def insert(self, rows: list[tuple[int, str, dict[str, Any], Any]]) -> None:
        """Rows of (id, number, state, deadline or None), stored as ``to_row`` stores a
        state (an empty list as ``[]``, its JSON, without encoding it)."""
        fields = itemgetter(*lifecycle.STATE_FIELDS)
        lists = lifecycle.LIST_FIELDS
        dumps = json.dumps

        def stored(state: dict[str, Any]) -> dict[str, Any]:
            row = dict(state)
            for key in lists:
                value = state[key]
                row[key] = dumps(value) if value else "[]"
            return row

        self.db.conn.executemany(self.sql, (
            (did, number, *fields(stored(state)),
             dl.due_on.isoformat() if dl else None, int(dl.provisional) if dl else 0)
            for did, number, state, dl in rows))

    def _in(self, sql: str, values: list[Any]) -> list[tuple[Any, ...]]:
        if not values:
            return []
        return self.db.execute(sql.format(", ".join("?" * len(values))), values).fetchall()

    def ids_of(self, numbers: list[str]) -> dict[str, int]:
        return dict(self._in("select number, id from demands where number in ({})", numbers))

    def numbers_of(self, ids: list[int]) -> dict[int, str]:
        return dict(self._in("select id, number from demands where id in ({})", ids))

    # Numbers kept as integers (2026-000123 -> 2026000123): a million fit in a small table.
    @staticmethod
    def _int(number: str) -> int:
        return int(number[:4]) * 1_000_000 + number_seq(number)

    def not_written(self, pairs: list[tuple[str, int]]) -> None:
        """Numbers (and their rows) met in the file and not written."""
        if pairs:
            self.db.conn.executemany("insert into temp.import_numbers values (?, ?)",
                                     [(self._int(n), row) for n, row in pairs])

    def unwritten(self, numbers: list[str]) -> dict[str, int]:
        """Of ``numbers``, those met before and not written, with their rows."""
        return {f"{n // 1_000_000}-{n % 1_000_000:06d}": r for n, r in self._in(
            "select number, row from temp.import_numbers where number in ({})",
            [self._int(n) for n in numbers])}

    def done(self) -> None:
        self.db.execute("drop table temp.import_numbers")

    def number_unnumbered(self, first_id: int) -> None:
        """Demands written without a number (``~`` placeholders) from ``first_id`` on get
        the next numbers of their year of receipt, in the order written (``next_number``'s
        rule: after every number given out, voided ones included)."""
        years = [y for y, in self.db.execute(
            "select distinct substr(received_on, 1, 4) from demands where id >= ? and "
            "number like '~%'", [first_id])]
        for year in years:
            self.db.execute(
                "update demands set number = ? || '-' || printf('%06d', ? + x.n) from ("
                " select id, row_number() over (order by id) as n from demands"
                " where id >= ? and number like '~%' and substr(received_on, 1, 4) = ?) as x"
                " where demands.id = x.id",
                [year, self.demands.last_seq(year), first_id, year])
