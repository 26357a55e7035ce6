"""The Tuesday summary and the supervision report card (督查成绩单).

Every number is an aggregate in SQL over the ledger, by the rules written next to it (and in
the README), so that anyone can reproduce it from the file. Nothing here reads the clock:
the ledger's ``today`` is the day the numbers are "as of".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..deadlines import due_sql, overdue_sql
from ..errors import BadInput
from ..models import ReportCard, WeekSummary
from .demands import days_late
from .queries import day_range

if TYPE_CHECKING:
    from . import Ledger

WEEK_COUNTS = ("received", "settled_on_spot", "to_township", "escalated", "assigned",
               "resolved", "closed", "open", "carried_over", "overdue", "due_next")


def ledger_week(day: date) -> tuple[date, date]:
    """The ledger week (Tuesday, 民情走访日, to the following Monday) containing ``day``."""
    start = day - timedelta(days=(day.weekday() - 1) % 7)
    return start, start + timedelta(days=6)


def _response_deadlines(ledger: "Ledger", first: date, last: date, working_days: int) -> None:
    """A temporary table giving, for each day a demand may be received on, the last day on
    which its first step still counts as a response (``working_days`` working days later)."""
    ledger.db.execute("create temp table if not exists response_by "
                      "(day text primary key, until text not null)")
    ledger.db.execute("delete from response_by")
    rows, day = [], first - timedelta(days=7)
    while day <= last:
        until, _ = ledger.calendar.add_working_days(day, working_days)
        rows.append((day.isoformat(), until.isoformat()))
        day += timedelta(days=1)
    ledger.db.conn.executemany("insert into response_by values (?, ?)", rows)


# --- the week summary ------------------------------------------------------------------

# One row per demand touched by the week, with a 0/1 flag per count:
#   received         received (受理) in the week
#   settled_on_spot  settled on the spot (当场解决) in the week
#   to_township      escalated from the village to the township in the week (镇级办理)
#   escalated        escalated from the township to the county in the week (上报县)
#   assigned         assigned (交办) to a unit in the week
#   resolved         resolved or settled on the spot in the week
#   closed           closed (销号) in the week
#   open             open or suspended now, received by the end of the week (or today)
#   carried_over     of those, received before the week began
#   overdue          open (not suspended) and past its deadline as of the summary's day
#   due_next         open and due on the summary's day or within the 7 days after it
_FLAGS = f"""
with steps as (
    -- a meeting's decision that assigns the case counts as an assignment
    select subject_id as id, case action when 'decide' then 'assign' else action end as action,
        json_extract(data, '$.to') as "to" from journal
    where subject = 'demand' and on_date between :start and :end
        and (action in ('settle', 'escalate', 'assign', 'resolve', 'close')
             or (action = 'decide' and json_extract(data, '$.lead_unit_id') is not null))
        -- a step of a shared case that its replay refused (a conflict) counts for nothing,
        -- nor a step reversed by `ledger undo` (the undo row names the rows it reverses)
        and id not in (select journal_id from sync_conflicts)
        and id not in (select e.value from journal u, json_each(u.data, '$.events') e
                       where u.subject = 'undo')
    -- An imported demand's milestones (from its snapshot) count in their weeks too.
    union all
    select demand_id, action, "to" from import_steps where on_date between :start and :end
),
ev as (
    select id,
        max(action = 'settle') as settled_on_spot,
        max(action = 'escalate' and "to" = 'township') as to_township,
        max(action = 'escalate' and "to" = 'county') as escalated,
        max(action = 'assign') as assigned,
        max(action in ('resolve', 'settle')) as resolved,
        max(action = 'close') as closed
    from steps group by id
),
-- The demands the week touches, each set found through its own index.
touched as (
    select id from demands where received_on between :start and :end
    union select id from ev
    union select id from demands
        where status in ('open', 'suspended') and received_on <= :ref
)
select d.id, v.name as village, d.category, d.channel, d.due_on,
    (d.received_on between :start and :end) as received,
    coalesce(ev.settled_on_spot, 0) as settled_on_spot,
    coalesce(ev.to_township, 0) as to_township,
    coalesce(ev.escalated, 0) as escalated,
    coalesce(ev.assigned, 0) as assigned,
    coalesce(ev.resolved, 0) as resolved,
    coalesce(ev.closed, 0) as closed,
    (d.status in ('open', 'suspended') and d.received_on <= :ref) as open,
    (d.status in ('open', 'suspended') and d.received_on < :start) as carried_over,
    {overdue_sql(":ref")} as overdue,
    {due_sql(":ref", ":next")} as due_next
from touched
join demands d on d.id = touched.id
join villages v on v.id = d.village_id
left join ev on ev.id = d.id
"""


# --- the report card -------------------------------------------------------------------

# What the report groups by: the demand column, its covering index, and the names.
REPORT_BY = {
    "unit": ("lead_unit_id", "idx_demands_unit_report", "select id, name from units"),
    "village": ("village_id", "idx_demands_village_report", "select id, name from villages"),
    "township": ("village_id", "idx_demands_village_report",
                 "select v.id, coalesce(t.name, '') from villages v "
                 "left join townships t on t.id = v.township_id"),
}
_COUNTS = ("received", "resolved", "on_time", "overdue", "responded", "rated", "satisfied",
           "basically", "assigned", "returned", "ever_resolved", "reopened", "urges",
           "response_base", "dissatisfied")
# What counts as a response (setting response.basis), and out of what: the first step after
# acceptance within response.working_days of the day received, out of the demands received;
# or the lead unit's sign-for within response.working_days of the (last) assignment, out of
# the demands assigned now.
_RESPONDED = {
    "first_step": """sum(case when first_step_on is null then 0
                         when first_step_on <= received_on then 1
                         else first_step_on <= (select until from response_by
                                                where day = received_on)
                    end)""",
    "sign_for": """sum(case when signed_on is null or assigned_on is null
                            or lead_unit_id is null then 0
                         when signed_on <= assigned_on then 1
                         else signed_on <= (select until from response_by
                                            where day = assigned_on)
                    end)""",
}
_RESPONSE_BASE = {"first_step": "count(*)",
                  "sign_for": "sum(assigned_on is not null and lead_unit_id is not null)"}
# Rates where fewer is better: they enter the score as 1 - rate.
_LOWER_IS_BETTER = ("return_rate", "reopen_rate")


def _rates(r: dict[str, Any], s: dict[str, float]) -> None:
    """A report row's rates and score from its counts (README: the report card)."""
    weights = {"response_rate": s["weight.response"], "resolution_rate": s["weight.resolution"],
               "satisfaction_rate": s["weight.satisfaction"], "on_time_rate": s["weight.on_time"],
               "return_rate": s["weight.return"], "reopen_rate": s["weight.reopen"]}
    r["response_rate"] = _rate(r.pop("responded"), r.pop("response_base"))
    r["resolution_rate"] = _rate(r["resolved"], r["received"])
    r["on_time_rate"] = _rate(r["on_time"], r["resolved"])
    satisfied = r.pop("satisfied") + s["satisfaction.basic"] * r.pop("basically")
    rated = r.pop("rated")
    r["satisfaction_rate"] = _rate(satisfied, rated)
    r["dissatisfaction_rate"] = _rate(r["dissatisfied"], rated)  # the county's 不满意率
    r["return_rate"] = _rate(r.pop("returned"), r.pop("assigned"))
    r["reopen_rate"] = _rate(r.pop("reopened"), r.pop("ever_resolved"))
    present = {k: w for k, w in weights.items() if w and r[k] is not None}
    weight = sum(present.values())
    good = {k: 1 - r[k] if k in _LOWER_IS_BETTER else r[k] for k in present}
    r["score"] = round(100 * sum(good[k] * w for k, w in present.items()) / weight, 1) \
        if weight else None


def _repeats_by(ledger: "Ledger", column: str, params: dict[str, str]) -> dict[Any, int]:
    """重复投诉 by the report's grouping: the range's demands linked as repeats (the few
    linked demands, from their own index)."""
    return dict(ledger.db.execute(
        f"select {column}, count(*) from demands indexed by idx_demands_repeats "
        f"where repeat_of is not null and received_on between :since and :until "
        f"and {column} is not null group by {column}", params).fetchall())


def _rate(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _returns_by_unit(ledger: "Ledger", by_id: list[Any], params: dict[str, str]) -> list[Any]:
    """By unit, a return counts for the unit that returned the case (its journal says which),
    whoever leads the case now; a case it returned counts among those assigned to it (a unit
    is ranked when it leads one of the range's demands). The
    few returned demands are found through the report index, their returns in the journal."""
    from ..store.journal import undone_events

    undone = undone_events(ledger.db)
    returned: dict[int, set[int]] = {}
    led_now: dict[int, Any] = {}
    for jid, unit, did, lead in ledger.db.execute(
            "select j.id, json_extract(j.data, '$.unit_id'), d.id, d.lead_unit_id "
            "from demands d indexed by idx_demands_returned "
            "join journal j on j.subject = 'demand' and j.subject_id = d.id "
            "and j.action = 'return' "
            "where d.returns > 0 and d.received_on between :since and :until", params):
        if jid not in undone:
            returned.setdefault(unit, set()).add(did)
            led_now[did] = lead
    i_assigned, i_returned = 1 + _COUNTS.index("assigned"), 1 + _COUNTS.index("returned")
    rows = {r[0]: list(r) for r in by_id}
    for row in rows.values():
        row[i_returned] = 0  # its current cases' returns may be another unit's
    for unit, ids in returned.items():
        row = rows.get(unit)
        if row is None:  # a unit that leads none of the range's demands is not ranked
            continue
        row[i_assigned] = (row[i_assigned] or 0) + sum(1 for d in ids if led_now[d] != unit)
        row[i_returned] = len(ids)
    return list(rows.values())


def _talk_list(ledger: "Ledger", threshold: int) -> list[dict[str, Any]]:
    """Units with at least ``threshold`` overdue demands now (约谈名单), with those demands."""
    rows = ledger.db.execute(
        "select u.name, count(*), min(d.due_on), group_concat(d.number, ',') "
        # The few open demands past their deadline, found by their index (the planner would
        # otherwise walk every demand of every unit).
        "from demands d indexed by idx_demands_status_due_on "
        "join units u on u.id = d.lead_unit_id "
        f"where {overdue_sql()} group by u.id having count(*) >= ?",
        [ledger.today.isoformat(), max(threshold, 1)]).fetchall()
    talk = [{"name": name, "overdue": n,
             "max_days_late": days_late(ledger.calendar, oldest, ledger.today),
             "numbers": sorted(numbers.split(","))} for name, n, oldest, numbers in rows]
    return sorted(talk, key=lambda u: (-u["overdue"], -u["max_days_late"], u["name"]))


# Supervision settings (DOMAIN.md: rates, weights and thresholds differ between localities):
# key -> (default, lowest, highest, whole numbers only). A ledger stores its own values.
SETTINGS: dict[str, tuple[str, float, float, bool]] = {
    "weight.response": ("0.1", 0, 1, False),          # 响应率 in the weighted score
    "weight.resolution": ("0.5", 0, 1, False),        # 解决率
    "weight.satisfaction": ("0.4", 0, 1, False),      # 满意率
    "weight.on_time": ("0", 0, 1, False),             # 按期办结率 (not weighted by default)
    "weight.return": ("0", 0, 1, False),              # 回退率, as 1 - rate (not weighted by default)
    "weight.reopen": ("0", 0, 1, False),              # 重办率, as 1 - rate (not weighted by default)
    "satisfaction.basic": ("0.9", 0, 1, False),       # 基本满意 counts as 0.9 of 满意
    "response.working_days": ("1", 0, 60, True),      # a first step within this many is a response
    "talk.overdue_threshold": ("1", 1, 10000, True),  # this many overdue demands: 约谈
    # Supervision lists (README: Supervision).
    "receive.working_days": ("1", 0, 60, True),       # not signed for within this many: late
    "urge.due_within": ("1", 0, 60, True),            # due within this many, never urged: urge
    "urge.repeat_working_days": ("1", 1, 60, True),   # overdue, not urged for this many: again
    "supervise.blue_working_days": ("3", 0, 60, True),  # 蓝: due within this many working days
    # Coverage (README: Everyone covered).
    "coverage.household_days": ("30", 1, 366, True),  # a paired household seen within this many days
    # 双向回访 (README: Supervision): follow-ups a case needs before it may be closed.
    "followup.required": ("1", 0, 10, True),
    # 重复诉求 (README: Residents): a demand added is shown the earlier ones it may repeat.
    "repeat.days": ("90", 1, 3650, True),             # resolved or closed within this many days
    "repeat.similarity": ("80", 0, 100, True),        # texts at least this alike (WRatio, 0-100)
    "import.duplicate_similarity": ("90", 0, 100, True),  # unnumbered rows: a likely duplicate
}
# Settings that take one of a few words: key -> (default, the words).
CHOICE_SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    # 响应率 counted on the first step after acceptance, or on the lead unit's sign-for
    # (签收, ``issue receive``) after the assignment; both within response.working_days.
    "response.basis": ("first_step", ("first_step", "sign_for")),
}


class Reports:
    """The Tuesday summary, the report card and the supervision settings of one ledger."""

    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger

    def summary(self, week_of: str | date | None = None,
                limit: int | None = None) -> WeekSummary:
        """The Tuesday summary of the ledger week containing ``week_of`` (default: today's).

        ``limit`` caps the demands listed (carried over, overdue, due) and the repeat residents;
        the counts (``repeat_count`` among them) are exact.
        """
        ledger = self.L
        start, end = ledger_week(ledger.date(week_of) if week_of else ledger.today)
        if start > ledger.today:
            raise BadInput("summary.future_week", start=start.isoformat(), today=ledger.today.isoformat())
        ref = min(ledger.today, end)
        params = {"start": start.isoformat(), "end": end.isoformat(), "ref": ref.isoformat(),
                  "next": (ref + timedelta(days=7)).isoformat()}
        db = ledger.db
        # One pass over the week's demands; every table below is an aggregate of this one.
        db.execute("drop table if exists temp.week_flags")
        db.execute(f"create temp table week_flags as {_FLAGS}", params)
        sums = ", ".join(f"sum({c}) as {c}" for c in WEEK_COUNTS)

        def rollup(key: str) -> list[dict[str, Any]]:
            rows = list(db.query(f"select {key} as name, {sums} from temp.week_flags group by {key}"))
            return sorted(rows, key=lambda r: (-r["received"], -r["open"], r["name"] is None,
                                               r["name"] or ""))

        totals = db.execute(f"select {sums} from temp.week_flags").fetchone()
        totals = {c: v or 0 for c, v in zip(WEEK_COUNTS, totals)}
        breakdowns = {f"by_{key}": rollup(key) for key in ("village", "category", "channel")}
        # Driven from the week's own rows (a few thousand), never from all demands by date.
        lists = {c: ledger.demands.of_table("temp.week_flags", f"x.{c}", "d.due_on, d.number", limit,
                                        as_of=ref)
                 for c in ("carried_over", "overdue", "due_next")}
        for r in lists["overdue"]:
            r["days_late"] = days_late(ledger.calendar, r["due_on"], ref)
        # A resident's demands up to the week's end: all of them (resident_demands, kept by
        # m018's triggers) less those received after it, so only the week's residents and
        # what came after the week are read, however long their history.
        repeat = list(db.query(
            "with week(id, this_week) as (select resident_id, count(*) from demands "
            "    indexed by idx_demands_received_on "  # (not a skip-scan of every resident)
            "    where received_on between :start and :end and resident_id is not null "
            "    group by resident_id), "
            "counted(id, this_week, first_on, demands) as (select w.id, w.this_week, "
            "    c.first_on, c.demands - (select count(*) from demands d "
            "        where d.resident_id = w.id and d.received_on > :end) "
            "    from week w join resident_demands c on c.resident_id = w.id) "
            "select r.id as resident_id, r.name as resident, v.name as village, x.demands, "
            "x.this_week, x.first_on, count(*) over () as of_all "
            "from counted x join residents r on r.id = x.id "
            "join villages v on v.id = r.village_id "
            "where x.demands >= 2 "
            "order by x.demands desc, r.id" + ("" if limit is None else f" limit {int(limit)}"),
            params))
        repeat_count = repeat[0]["of_all"] if repeat else 0
        # 重复诉求: the week's demands linked to an earlier one (``issue add --repeat-of``).
        repeat_demands = db.execute(
            "select count(*) from demands indexed by idx_demands_repeats "
            "where repeat_of is not null and received_on between :start and :end",
            params).fetchone()[0]
        for r in repeat:
            del r["of_all"]
        db.execute("drop table temp.week_flags")
        return {
            "week_start": start.isoformat(), "week_end": end.isoformat(), "as_of": ref.isoformat(),
            **totals,
            **breakdowns,
            "carried_over_demands": lists["carried_over"], "due_demands": lists["due_next"],
            "overdue_demands": lists["overdue"], "repeat_residents": repeat,
            "repeat_count": repeat_count, "repeat_demands": repeat_demands,
            # Key villages covered this week (every paired person visited): services.coverage.
            "key_villages": ledger.coverage.key_village_line(start, end),
            # how many cases the week's meetings (held in it) decided on
            "meeting_studied": ledger.meetings.studied(start.isoformat(), end.isoformat()),
        }

    # --- the report card -------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The supervision settings: the documented defaults, overridden by the ledger's own
        (numbers, and the words of ``CHOICE_SETTINGS``)."""
        stored = dict(self.L.db.execute("select key, value from settings").fetchall())
        out: dict[str, Any] = {k: float(stored.get(k, spec[0])) for k, spec in SETTINGS.items()}
        out.update({k: stored.get(k, spec[0]) for k, spec in CHOICE_SETTINGS.items()})
        return out

    def card(self, by: str = "unit", since: str | date | None = None,
               until: str | date | None = None) -> ReportCard:
        """The report card over demands received from ``since`` to ``until`` (inclusive).

        received         demands received in the range (by unit: whose lead unit it is now;
                         by village: where it happened, and its locality when another)
        resolved         of those, resolved or closed
        on_time          of the resolved, resolved on or before their deadline
        overdue          of those received, open (not suspended) and past the deadline today
        response_rate    first step after acceptance within `response.working_days` / received
                         (response.basis sign_for: signed for by the lead unit within
                         `response.working_days` of the assignment / assigned now)
                         (a demand imported from another ledger brings no steps: not responded
                         until a step is taken here)
        resolution_rate  resolved / received
        on_time_rate     on_time / resolved
        satisfaction_rate (满意 + satisfaction.basic x 基本满意) / followed up
        return_rate      returned / assigned (ever assigned; by unit: returned by the unit /
                         assigned to it, the cases it returned included)
        reopen_rate      reopened / resolved (resolved at least once)
        urges            urges sent (催办次数)
        dissatisfied     of those followed up, 不满意 (the county's 不满意数); its rate
                         ``dissatisfaction_rate`` = dissatisfied / followed up (不满意率)
        repeats          重复投诉: of those received, linked as a repeat of an earlier demand
                         (``issue add --repeat-of``)
        score            100 x the weighted mean of the rates that exist (weights from settings)
        rank             by score, highest first; equal scores share a rank
        """
        ledger = self.L
        if by not in REPORT_BY:
            raise BadInput("enum.unknown", what="report_by", name=by, choices=list(REPORT_BY))
        first_day, last_day = day_range(since, until, ledger.today)
        since = date.fromisoformat(first_day) if first_day else None
        until = date.fromisoformat(last_day) if last_day else None
        s = self.settings()
        column, index, names_sql = REPORT_BY[by]
        first = ledger.db.execute("select min(received_on) from demands").fetchone()[0]
        lo = since or (date.fromisoformat(first) if first else ledger.today)
        _response_deadlines(ledger, min(lo, ledger.today), max(until or ledger.today, ledger.today),
                            int(s["response.working_days"]))
        params = {"since": (since or date.min).isoformat(), "until": (until or date.max).isoformat(),
                  "today": ledger.today.isoformat()}
        # One pass over the covering index, grouped by id; names are joined afterwards.
        counted = f"""
                count(*),
                sum(status in ('resolved', 'closed')),
                sum(status in ('resolved', 'closed') and resolved_on <= due_on),
                sum({overdue_sql(":today", d="")}),
                {_RESPONDED[s["response.basis"]]},
                sum(satisfaction is not null),
                sum(satisfaction = 'satisfied'),
                sum(satisfaction = 'basically_satisfied'),
                sum(assigned_on is not null or returns > 0),
                sum(returns > 0),
                sum(status in ('resolved', 'closed') or reopen_count > 0),
                sum(reopen_count > 0),
                sum(urges),
                {_RESPONSE_BASE[s["response.basis"]]},
                sum(satisfaction = 'dissatisfied')"""
        by_id = ledger.db.execute(f"""
            select {column}, {counted}
            from demands indexed by {index}
            where {column} is not null and received_on between :since and :until
            group by {column}""", params).fetchall()
        if by == "unit":
            by_id = _returns_by_unit(ledger, by_id, params)
        repeats = _repeats_by(ledger, column, params)
        names = dict(ledger.db.execute(names_sql).fetchall())
        groups: dict[str, dict[str, Any]] = {}

        def add(counted_rows: list[Any], with_repeats: bool = False) -> None:
            for key, *counts in counted_rows:
                g = groups.setdefault(names[key], {"name": names[key],
                                                   **{c: 0 for c in _COUNTS}, "repeats": 0})
                for c, n in zip(_COUNTS, counts):
                    g[c] += n or 0  # sum() of only NULLs (no deadline) is NULL
                if with_repeats:
                    g["repeats"] += repeats.get(key, 0)

        add(by_id, with_repeats=True)
        total = {"name": None, **{c: sum(g[c] for g in groups.values())
                                  for c in (*_COUNTS, "repeats")}}
        if by == "village":
            # 双向派单: a case counts for the village where it happened and, when its
            # locality is another village or community, for that one too (the total counts
            # each case once).
            add(ledger.db.execute(f"""
                select locality_id, {counted}
                from demands indexed by idx_demands_locality
                where locality_id is not null and locality_id <> village_id
                    and received_on between :since and :until
                group by locality_id""", params).fetchall())
        rows = list(groups.values())
        for r in [*rows, total]:
            _rates(r, s)
        rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name"]))
        for i, r in enumerate(rows):
            same = i and rows[i - 1]["score"] == r["score"]
            r["rank"] = rows[i - 1]["rank"] if same else i + 1
        talk = _talk_list(ledger, int(s["talk.overdue_threshold"])) if by == "unit" else []
        return {"by": by, "from": params["since"] if since else None,
                "to": params["until"] if until else None, "rows": rows, "total": total,
                "talk": talk, "settings": s}

    def set_setting(self, key: str, value: str) -> None:
        """Change one supervision setting; weights must stay non-negative, rates in 0..1."""
        ledger = self.L
        if key in CHOICE_SETTINGS:
            words = CHOICE_SETTINGS[key][1]
            if value not in words:
                raise BadInput("enum.unknown", what="setting_value", name=value,
                               choices=list(words))
            with ledger.db.atomic():
                ledger.db["settings"].upsert({"key": key, "value": value}, pk="key")
                ledger.journal.write("setting", 0, "set", ledger.today.isoformat(),
                                     {"key": key, "value": value})
            return
        if key not in SETTINGS:
            raise BadInput("enum.unknown", what="setting", name=key,
                           choices=sorted([*SETTINGS, *CHOICE_SETTINGS]))
        try:
            number = float(value)
        except ValueError:
            raise BadInput("setting.number", setting=key, value=value) from None
        _, lo, hi, whole = SETTINGS[key]
        if not lo <= number <= hi or (whole and number != int(number)):
            raise BadInput("setting.range", setting=key, value=value, lo=lo, hi=hi)
        with ledger.db.atomic():
            ledger.db["settings"].upsert({"key": key, "value": value}, pk="key")
            ledger.journal.write("setting", 0, "set", ledger.today.isoformat(),
                                 {"key": key, "value": value})
