"""The one place that knows time: reading dates typed by clerks, and (with the deadline
work) the Chinese working calendar and the deadline of every demand.

Every function takes the date it works for; nothing here reads the clock.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterable

from .errors import BadInput

# 2026-11-17, 2026/11/17, 2026.11.17, 2026-1-5, 20261117, 2026年11月17日
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
# 11月17日, 11-17, 11/17, 11.17: that day of today's year
_MONTH_DAY = re.compile(r"^\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
# 今天, 昨天, 前天; 周二, 本周二, 这周二, 上周二, 上上周二 (星期 for 周 too)
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2}
_WEEKDAY = re.compile(r"^\s*(上上|上|本|这)?(?:周|星期|礼拜)([一二三四五六日天])\s*$")
_WEEKDAYS = "一二三四五六日"
FIRST_YEAR, LAST_YEAR = 1900, 2200  # dates outside are typing mistakes, not dates


def parse_date(text: str | date, today: date | None = None) -> date:
    """A calendar date as clerks write it, or ``BadInput`` naming the value.

    Besides full dates, with ``today`` given: ``11月17日``, ``11-17``, ``11/17`` (that day of
    today's year), ``今天``, ``昨天``, ``前天``, and weekdays by week (``周二`` this week's
    Tuesday, ``上周二`` last week's, ``上上周二`` the week before; weeks start on Monday).
    """
    if isinstance(text, date):
        return text
    value = (text or "").strip()
    m = _DATE.match(value) or _COMPACT.match(value)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif today is not None and (m := _MONTH_DAY.match(value)):
        y, mo, d = today.year, int(m[1]), int(m[2])
    elif today is not None and value in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[value])
    elif today is not None and (m := _WEEKDAY.match(value)):
        weeks_back = {"上上": 2, "上": 1}.get(m[1] or "", 0)
        weekday = _WEEKDAYS.index("日" if m[2] == "天" else m[2])
        monday = today - timedelta(days=today.weekday() + 7 * weeks_back)
        return monday + timedelta(days=weekday)
    else:
        raise BadInput("date.malformed", value=text)
    year_in_range(y, text)
    try:
        return date(y, mo, d)
    except ValueError:
        raise BadInput("date.impossible", value=text) from None


def year_in_range(year: int, value: object) -> None:
    """The one range of every date that enters the ledger (typed, imported from a CSV or a
    workbook, received in a bundle): ``BadInput`` naming ``value`` outside 1900..2200."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadInput("date.out_of_range", value=value, first=FIRST_YEAR, last=LAST_YEAR)


def check_iso_day(value: str) -> date:
    """A date as stored (``2026-11-17``), in range: what a bundle or a file must hold."""
    if not (isinstance(value, str) and len(value) == 10 and value[4] == "-"
            and value[7] == "-"):
        raise BadInput("date.malformed", value=str(value)[:40])
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise BadInput("date.malformed", value=value) from None
    year_in_range(d.year, value)
    return d


# --- the Chinese working calendar ------------------------------------------------------
#
# A day is a working day when the State Council's schedule for its year says so: Monday to
# Friday unless a statutory rest day, plus the weekend make-up days (调休). A year whose
# schedule the ledger does not have is counted as if weekends were the only rest days, and
# every deadline that touches it is marked provisional: never a silent guess.

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class YearSchedule:
    """One year's official rest days and make-up working days, with the notice they come from."""

    year: int
    notice: str
    rest: frozenset[date]
    work: frozenset[date]
    source: str = "shipped"


def _expand(items: Iterable[str], year: int, what: str) -> set[date]:
    days: set[date] = set()
    for item in items:
        first, _, last = str(item).partition("..")
        a, b = parse_date(first), parse_date(last) if last else None
        b = b or a
        if b < a:
            raise BadInput("calendar.backward_range", value=item)
        if a.year != year or b.year != year:
            raise BadInput("calendar.outside_year", value=item, year=year)
        while a <= b:
            days.add(a)
            a += ONE_DAY
    return days


def parse_schedule(text: str, source: str = "ledger") -> YearSchedule:
    """Read and check one year's schedule file (TOML: year, notice, rest, work)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BadInput("calendar.malformed", why=str(e)) from None
    year = data.get("year")
    if not isinstance(year, int) or not 1949 <= year <= 2200:
        raise BadInput("calendar.year", value=year)
    notice = str(data.get("notice") or "").strip()
    if not notice:
        raise BadInput("calendar.notice")
    rest = _expand(data.get("rest", []), year, "rest")
    work = _expand(data.get("work", []), year, "work")
    for d in sorted(work):
        if d.weekday() < 5:
            raise BadInput("calendar.work_not_weekend", value=d.isoformat())
    both = sorted(rest & work)
    if both:
        raise BadInput("calendar.both", value=both[0].isoformat())
    if not rest:
        raise BadInput("calendar.no_rest", year=year)
    return YearSchedule(year, notice, frozenset(rest), frozenset(work), source)


# The seven statutory holidays (《全国年节及纪念日放假办法》) and where in the year each can
# fall: fixed days, or for the lunar ones the window their dates keep to (春节 Jan 21 to Feb
# 20, 端午 May 28 to Jun 25, 中秋 Sep 7 to Oct 8 over the years 1900-2200, widened by two
# days for the rest days around them). (name, first day, last day) as (month, day).
STATUTORY_HOLIDAYS = (
    ("元旦", (1, 1), (1, 1)), ("春节", (1, 19), (2, 22)), ("清明", (4, 4), (4, 6)),
    ("劳动节", (5, 1), (5, 1)), ("端午", (5, 26), (6, 27)), ("中秋", (9, 5), (10, 10)),
    ("国庆", (10, 1), (10, 1)),
)


def missing_holidays(schedule: YearSchedule) -> list[str]:
    """The statutory holidays a year's schedule has no rest for: a holiday has a run of
    rest days (the listed ones with the weekends beside them) that reaches into its days.
    中秋 may share 国庆's run only when that run is longer than 国庆's own seven days or
    starts before October 1 (the years they are merged, as 2020, 2023 and 2025)."""
    def rest(day: date) -> bool:
        return day in schedule.rest or (day.weekday() >= 5 and day not in schedule.work)

    runs: list[tuple[date, date]] = []
    for day in sorted(schedule.rest):
        first = last = day
        while rest(first - timedelta(days=1)) and (first - timedelta(days=1)).year == day.year:
            first -= timedelta(days=1)
        while rest(last + timedelta(days=1)) and (last + timedelta(days=1)).year == day.year:
            last += timedelta(days=1)
        if not runs or runs[-1] != (first, last):
            runs.append((first, last))
    found: dict[str, tuple[date, date]] = {}
    for name, (m1, d1), (m2, d2) in STATUTORY_HOLIDAYS:
        lo, hi = date(schedule.year, m1, d1), date(schedule.year, m2, d2)
        hits = [r for r in runs if r[0] <= hi and r[1] >= lo]
        if name == "中秋":
            national = next((r for r in runs if r[0] <= date(schedule.year, 10, 1) <= r[1]),
                            None)
            hits = [r for r in hits if r != national or
                    (r[1] - r[0]).days >= 7 or r[0] < date(schedule.year, 10, 1)]
        if hits:
            found[name] = hits[0]
    return [name for name, _, _ in STATUTORY_HOLIDAYS if name not in found]


def shipped_schedules() -> dict[int, YearSchedule]:
    """The official schedules that ship with the package (ledger/calendars/YYYY.toml)."""
    out = {}
    # The package folder itself, not importlib.resources (whose import, with zipfile and
    # tempfile, is a few ms of every command's start-up): the ledger is never run zipped.
    for entry in sorted((Path(__file__).parent / "calendars").iterdir()):
        if entry.name.endswith(".toml"):
            s = parse_schedule(entry.read_text(encoding="utf-8"), source="shipped")
            out[s.year] = s
    return out


@dataclass
class WorkCalendar:
    """Working-day arithmetic over known year schedules."""

    schedules: dict[int, YearSchedule] = field(default_factory=dict)

    def knows(self, year: int) -> bool:
        return year in self.schedules

    def is_workday(self, day: date) -> bool:
        s = self.schedules.get(day.year)
        if s is not None:
            if day in s.work:
                return True
            if day in s.rest:
                return False
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int,
                         paused: Callable[[date], bool] | None = None) -> tuple[date, bool]:
        """The n-th working day after ``start`` (the start day is not counted).

        Days for which ``paused`` is true are not counted. Returns the day and whether the
        count crossed a year whose schedule is unknown (provisional).
        """
        day, left, provisional = start, n, not self.knows(start.year)
        while left > 0:
            day += ONE_DAY
            provisional = provisional or not self.knows(day.year)
            if self.is_workday(day) and not (paused and paused(day)):
                left -= 1
        return day, provisional

    def add_calendar_days(self, start: date, n: int) -> tuple[date, bool]:
        """n calendar days after ``start``; ending on a rest day moves to the next working day."""
        day = start + timedelta(days=n)
        provisional = not (self.knows(start.year) and self.knows(day.year))
        while not self.is_workday(day):
            day += ONE_DAY
            provisional = provisional or not self.knows(day.year)
        return day, provisional

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        if end <= start:
            return 0
        return self._ordinal(end) - self._ordinal(start)

    def _ordinal(self, day: date) -> int:
        """Working days from the start of ``day``'s year up to and including ``day``, plus
        all working days of the years before it since 1900: differences are O(1)."""
        cache = self.__dict__.setdefault("_cumulative", {})
        year = cache.get(day.year)
        if year is None:
            first = date(day.year, 1, 1)
            running, counts = 0, []
            d = first
            while d.year == day.year:
                running += self.is_workday(d)
                counts.append(running)
                d += ONE_DAY
            before = sum(self._year_total(y) for y in range(1900, day.year))
            year = cache[day.year] = (before, counts)
        before, counts = year
        return before + counts[day.timetuple().tm_yday - 1]

    def _year_total(self, year: int) -> int:
        totals = self.__dict__.setdefault("_totals", {})
        if year not in totals:
            if year in self.schedules:
                d, n = date(year, 1, 1), 0
                while d.year == year:
                    n += self.is_workday(d)
                    d += ONE_DAY
            else:
                # Weekends only: count weekdays arithmetically.
                days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
                start = date(year, 1, 1).weekday()
                n = sum(1 for i in range(days) if (start + i) % 7 < 5)
            totals[year] = n
        return totals[year]


# --- policies and the deadline of a demand ---------------------------------------------

UNITS = ("working_days", "calendar_days", "hours")
POLICY_KINDS = ("category", "type", "complexity")  # most specific first


@dataclass(frozen=True)
class Policy:
    """Which clock applies to the demands matching ``kind = value``."""

    kind: str
    value: str
    amount: int
    unit: str
    max_extensions: int | None = None
    extension_days: int | None = None


def pick_policy(policies: Iterable[Policy], *, category: str | None, type: str | None,
                complexity: str | None) -> Policy | None:
    """The most specific policy: by category, then by type, then by difficulty."""
    wanted = {"category": category, "type": type, "complexity": complexity or "general"}
    by_key = {(p.kind, p.value): p for p in policies}
    for kind in POLICY_KINDS:
        p = by_key.get((kind, wanted[kind]))
        if p is not None:
            return p
    return None


@dataclass(frozen=True)
class Deadline:
    due_on: date
    provisional: bool
    stage_started_on: date


def demand_deadline(events: Iterable[tuple[str, dict, str]], policy: Policy | None,
                    calendar: WorkCalendar) -> Deadline | None:
    """The current stage's deadline, from the demand's journal events ``(action, data, on)``.

    A stage starts when the demand is accepted, imported, escalated, assigned (also by a
    meeting's decision) or reopened; the new handler's clock starts that day (the day itself
    not counted). Extensions in the stage add time; days between a suspension and its
    resumption are counted out. A meeting's decision with a deadline fixes the stage's
    deadline to that day (extensions after it add working days; no policy needed).
    """
    stage: date | None = None
    extra = 0
    pauses: list[tuple[date, date]] = []
    paused_since: date | None = None
    fixed: date | None = None  # a meeting's deadline for the stage (meeting decide --deadline)
    for action, data, on in events:
        day = date.fromisoformat(on)
        if action in ("accept", "escalate", "assign", "reopen") or (
                action == "follow_up" and data.get("reopen")) or (
                action == "decide" and data.get("lead_unit_id") is not None):
            stage, extra, pauses, paused_since, fixed = day, 0, [], None, None
        if action == "decide" and data.get("due_on"):
            fixed, extra = date.fromisoformat(data["due_on"]), 0
        elif action == "import":
            # A demand imported from an export: its stage began on the imported stage start;
            # ``extra_days`` carries the time its extensions and past pauses had added, and
            # a suspension still running is counted out from the day it began.
            stage = date.fromisoformat(data.get("stage_started_on") or on)
            extra, pauses = data.get("extra_days") or 0, []
            since = data.get("suspended_since") if data.get("status") == "suspended" else None
            paused_since = date.fromisoformat(since) if since else None
        elif action == "extend":
            # The length approved (recorded with the step since extensions carry it), else
            # the policy's, for journals written before.
            extra += data.get("days") or data.get("granted") or (
                (policy.extension_days or policy.amount) if policy else 0)
        elif action == "suspend":
            paused_since = day
        elif action == "resume" and paused_since is not None:
            pauses.append((paused_since, day))
            paused_since = None
    if stage is None:
        return None
    if fixed is not None:
        # The meeting's day stands; extensions approved after it add working days to it.
        if extra:
            due, provisional = calendar.add_working_days(fixed, extra)
        else:
            due, provisional = fixed, not calendar.knows(fixed.year)
        return Deadline(due, provisional, stage)
    if policy is None:
        return None

    def paused(d: date) -> bool:
        return any(a < d <= b for a, b in pauses)

    if policy.unit == "working_days":
        due, provisional = calendar.add_working_days(stage, policy.amount + extra, paused)
    else:
        length = policy.amount if policy.unit == "calendar_days" else -(-policy.amount // 24)
        shift = sum((b - a).days for a, b in pauses)
        if policy.unit == "calendar_days":
            due, provisional = calendar.add_calendar_days(stage, length + extra + shift)
        else:
            due = stage + timedelta(days=length + extra + shift)
            provisional = not calendar.knows(due.year)
    return Deadline(due, provisional, stage)



# --- the light: the one definition of overdue and due soon -----------------------------
#
# Written once, as SQL over a demand row, because every list, the summary, the report card,
# due, overdue and the 约谈 list select by it through the (status, due_on) index:
#   done       resolved or closed
#   suspended  the clock is stopped (挂起)
#   none       no deadline (no policy applies)
#   overdue    open and its deadline is before today
#   due_soon   open and due today or within SOON_WORKING_DAYS working days
#   on_time    open and due later
# ``today``, ``first``, ``last`` and ``soon`` are the placeholders the query binds
# (``?`` or ``:name``); ``d`` the demand row's alias ("" for none).

SOON_WORKING_DAYS = 1  # "due soon": due today or on the next working day
LIGHTS = ("on_time", "due_soon", "overdue", "suspended", "done", "none")


def _col(d: str, name: str) -> str:
    return f"{d}.{name}" if d else name


def overdue_sql(today: str = "?", d: str = "d") -> str:
    """Overdue on ``today``: open (a suspended clock is stopped) and past its deadline."""
    return f"({_col(d, 'status')} = 'open' and {_col(d, 'due_on')} < {today})"


def due_sql(first: str = "?", last: str = "?", d: str = "d") -> str:
    """Open and due from ``first`` to ``last`` (both included)."""
    due = _col(d, "due_on")
    return f"({_col(d, 'status')} = 'open' and {due} >= {first} and {due} <= {last})"


def light_sql(today: str = "?", soon: str = "?", d: str = "d") -> str:
    """The light of a demand on ``today``; ``soon`` is the last day that is due soon
    (``soon_until``)."""
    status, due = _col(d, "status"), _col(d, "due_on")
    return (f"case when {status} in ('resolved', 'closed') then 'done' "
            f"when {status} = 'suspended' then 'suspended' "
            f"when {due} is null then 'none' "
            f"when {overdue_sql(today, d)} then 'overdue' "
            f"when {due} <= {soon} then 'due_soon' else 'on_time' end")


def soon_until(calendar: WorkCalendar, today: date) -> date:
    """The last day on which a deadline still counts as due soon."""
    return calendar.add_working_days(today, SOON_WORKING_DAYS)[0]


# --- supervision: 签收 in time, what to urge (催办) ------------------------------------------
#
# Each list rule is one SQL predicate over a demand row, next to the light's; the days they
# compare with are computed in Python from the working calendar and bound as parameters.

def sign_cutoff(calendar: WorkCalendar, today: date, working_days: int) -> date:
    """The last assignment day whose time to sign for (``working_days`` working days after
    it, the day of assignment not counted) ended before ``today``."""
    day = today - ONE_DAY
    while calendar.add_working_days(day, working_days)[0] >= today:
        day -= ONE_DAY
    return day


def unsigned_sql(cutoff: str = "?", d: str = "d") -> str:
    """Not signed for in time: live, assigned on or before ``cutoff`` (``sign_cutoff``) and
    the lead unit has not signed for it."""
    return (f"({_col(d, 'status')} in ('open', 'suspended') and "
            f"{_col(d, 'lead_unit_id')} is not null and {_col(d, 'signed_on')} is null and "
            f"{_col(d, 'assigned_on')} <= {cutoff})")


def urge_again_cutoff(calendar: WorkCalendar, today: date, working_days: int) -> date:
    """The last day an urge may have gone out for a case to be urged again ``today``: at
    least ``working_days`` working days after it, up to and including today."""
    day = today
    while calendar.working_days_between(day, today) < working_days:
        day -= ONE_DAY
    return day


def urge_sql(today: str = "?", due_until: str = "?", again: str = "?", d: str = "d") -> str:
    """To urge (催办) today: open and due from ``today`` to ``due_until`` and never urged, or
    overdue and not urged since ``again`` (``urge_again_cutoff``)."""
    last = _col(d, "last_urged_on")
    return (f"(({due_sql(today, due_until, d)} and {_col(d, 'urges')} = 0) or "
            f"({overdue_sql(today, d)} and ({last} is null or {last} <= {again})))")


# 三色督办: the colour of a live case, first match wins (placeholders :today, :signed_by,
# :blue_until; ``signed_by`` is ``sign_cutoff``'s day, ``blue_until`` the last day that is
# blue, ``supervise.blue_working_days`` working days after today):
#   red     overdue (overdue_sql)
#   yellow  behind: not signed for in time (unsigned_sql), returned, extended or urged
#   blue    open and due from today to blue_until
# Other cases have no colour and are not listed. The reason is the rule that matched.
COLOURS = ("red", "yellow", "blue")
COLOUR_REASONS = ("overdue", "unsigned", "returned", "extended", "urged", "due_soon")


def _colour_cases(d: str) -> list[tuple[str, str, str]]:
    return [
        ("red", "overdue", overdue_sql(":today", d)),
        ("yellow", "unsigned", unsigned_sql(":signed_by", d)),
        ("yellow", "returned", f"{_col(d, 'returns')} > 0"),
        ("yellow", "extended", f"{_col(d, 'extensions')} > 0"),
        ("yellow", "urged", f"{_col(d, 'urges')} > 0"),
        ("blue", "due_soon", due_sql(":today", ":blue_until", d)),
    ]


def colour_sql(d: str = "d") -> str:
    """The colour of a demand (red, yellow, blue, or null: not listed)."""
    whens = " ".join(f"when {sql} then '{colour}'" for colour, _, sql in _colour_cases(d))
    return f"(case when {_col(d, 'status')} in ('open', 'suspended') then case {whens} end end)"


def colour_reason_sql(d: str = "d") -> str:
    """Which rule gave the colour (overdue, unsigned, returned, extended, urged, due_soon)."""
    whens = " ".join(f"when {sql} then '{reason}'" for _, reason, sql in _colour_cases(d))
    return f"(case when {_col(d, 'status')} in ('open', 'suspended') then case {whens} end end)"
