"""The clocks: the working calendar a ledger knows, the deadline policies, and every
demand's deadline recomputed from its journal when either changes."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any, Sequence

from ..deadlines import (
    POLICY_KINDS, Policy, WorkCalendar, YearSchedule, demand_deadline, missing_holidays,
    parse_schedule,
    pick_policy, shipped_schedules,
)
from ..errors import BadInput, NotFound, Refused
from ..models import enum_value
from ..store.journal import demand_events, skipped_events

if TYPE_CHECKING:
    from ..store import LedgerDatabase as Database
    from . import Ledger


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


def deadline_of(category: str | None, type_: str | None, complexity: str | None,
                events: list[Any], policies: list[Policy],
                calendar: WorkCalendar) -> tuple[str | None, int]:
    """A demand's ``due_on`` and ``due_provisional`` from its replayed events."""
    policy = pick_policy(policies, category=category, type=type_, complexity=complexity)
    dl = demand_deadline(events, policy, calendar)
    return (dl.due_on.isoformat() if dl else None, int(dl.provisional) if dl else 0)


def refresh_deadlines(db: Database, where: str = "1 = 1", params: Sequence[Any] = (),
                      calendar: WorkCalendar | None = None,
                      policies: list[Policy] | None = None,
                      events: dict[int, list[Any]] | None = None) -> int:
    """Recompute ``due_on``/``due_provisional`` of the demands matching ``where`` (from
    ``events``, a demand's replayed events by id, where the caller has them at hand)."""
    calendar = calendar or load_calendar(db)
    policies = load_policies(db) if policies is None else policies
    rows = db.execute(f"select id, category, type, complexity from demands where {where}",
                      params).fetchall()
    undone = skipped_events(db) if events is None else set()
    updates = []
    for demand_id, category, type_, complexity in rows:
        evs = events.get(demand_id) if events is not None else None
        updates.append((*deadline_of(category, type_, complexity, demand_events(
            db, demand_id, undone) if evs is None else evs, policies, calendar), demand_id))
    db.conn.executemany("update demands set due_on = ?, due_provisional = ? where id = ?",
                        updates)
    return len(rows)


class Clocks:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    def refresh(self, where: str, params: Sequence[Any] = (),
                events: dict[int, list[Any]] | None = None) -> int:
        return refresh_deadlines(self.db, where, params, self.L.calendar, self.L.policies,
                                 events)

    def policy_for(self, category: str | None, type: str | None,
                   complexity: str | None) -> Policy | None:
        return pick_policy(self.L.policies, category=category, type=type, complexity=complexity)

    # --- the working calendar -------------------------------------------------------------

    def add_year(self, text: str, *, force: bool = False) -> dict[str, Any]:
        """Add (or correct) a year's holiday schedule; recompute the deadlines it touches.
        A schedule without rest for one of the seven statutory holidays is refused unless
        ``force`` (a year whose notice is copied short must not pass silently)."""
        schedule = parse_schedule(text)
        missing = missing_holidays(schedule)
        if missing and not force:
            raise Refused("calendar.missing_holidays", year=schedule.year,
                          names="、".join(missing))
        with self.db.atomic():
            self.db["calendar_years"].upsert({
                "year": schedule.year, "notice": schedule.notice,
                "rest": json.dumps(sorted(d.isoformat() for d in schedule.rest)),
                "work": json.dumps(sorted(d.isoformat() for d in schedule.work)),
                "added_on": self.L.today.isoformat(),
            }, pk="year")
            self.L.journal.write("calendar", schedule.year, "add", self.L.today.isoformat(),
                                 {"notice": schedule.notice, "rest": len(schedule.rest),
                                  "work": len(schedule.work), "missing": missing})
            self.L.forget_clocks()
            # Every provisional deadline, and every live one: a corrected year moves them too.
            n = self.refresh("due_provisional = 1 or status in ('open', 'suspended')")
            still = self.db.execute(
                "select count(*) from demands where due_provisional = 1").fetchone()[0]
        return {"year": schedule.year, "recomputed": n, "still_provisional": still,
                "missing": missing}

    def years(self) -> list[dict[str, Any]]:
        return [{"year": s.year, "notice": s.notice, "source": s.source, "rest": len(s.rest),
                 "work": len(s.work)} for _, s in sorted(self.L.calendar.schedules.items())]

    def schedule(self, year: int) -> YearSchedule | None:
        """The holiday schedule the ledger knows for ``year``, if any."""
        return self.L.calendar.schedules.get(year)

    def month(self, year: int, month: int) -> list[dict[str, Any]]:
        """Every day of a month: working or not, and why (holiday, make-up day, weekend)."""
        if not 1 <= month <= 12 or not 1900 <= year <= 2200:
            raise BadInput("calendar.month", year=year, month=month)
        schedule = self.L.calendar.schedules.get(year)
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

    # --- the policies ------------------------------------------------------------------------

    def policies(self) -> list[dict[str, Any]]:
        return list(self.db.query("select kind, value, amount, unit, max_extensions, "
                                  "extension_days from policies order by id"))

    def _policy_key(self, kind: str, value: str) -> tuple[str, str]:
        if kind not in POLICY_KINDS:
            raise BadInput("enum.unknown", what="policy", name=kind, choices=list(POLICY_KINDS))
        if kind == "complexity":
            return kind, enum_value("complexity", value)
        return kind, self.L.registers.term(kind, value)

    def set_policy(self, kind: str, value: str, *, amount: int, unit: str = "working_days",
                   max_extensions: int | None = None,
                   extension_days: int | None = None) -> int:
        """Set the clock for demands of one category, type or difficulty; returns how many
        live deadlines were recomputed."""
        kind, value = self._policy_key(kind, value)
        unit_key = enum_value("unit_of_time", unit)
        for name, number, low in (("amount", amount, 1), ("max_extensions", max_extensions, 0),
                                  ("extension_days", extension_days, 1)):
            if number is not None and not low <= number <= 3650:
                raise BadInput("policy.number", what=name, value=number)
        with self.db.atomic():
            self.db.execute(
                "insert into policies (kind, value, amount, unit, max_extensions, extension_days) "
                "values (?, ?, ?, ?, ?, ?) on conflict (kind, value) do update set "
                "amount = excluded.amount, unit = excluded.unit, "
                "max_extensions = excluded.max_extensions, extension_days = excluded.extension_days",
                [kind, value, amount, unit_key, max_extensions, extension_days])
            self.L.journal.write("policy", 0, "set", self.L.today.isoformat(),
                                 {"kind": kind, "value": value, "amount": amount, "unit": unit_key,
                                  "max_extensions": max_extensions,
                                  "extension_days": extension_days})
            self.L.forget_clocks()
            return self.refresh("status in ('open', 'suspended')")

    def remove_policy(self, kind: str, value: str) -> int:
        kind, value = self._policy_key(kind, value)
        if kind == "complexity":
            raise Refused("policy.keep_complexity", value=value)
        with self.db.atomic():
            if not self.db.execute("delete from policies where kind = ? and value = ?",
                                   [kind, value]).rowcount:
                raise NotFound("policy.unknown", kind=kind, value=value)
            self.L.journal.write("policy", 0, "remove", self.L.today.isoformat(),
                                 {"kind": kind, "value": value})
            self.L.forget_clocks()
            return self.refresh("status in ('open', 'suspended')")

