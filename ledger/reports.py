"""The Tuesday summary and the supervision report card (督查成绩单).

Every number is an aggregate in SQL over the ledger, by the rules written next to it (and in
the README), so that anyone can reproduce it from the file. Nothing here reads the clock:
the ledger's ``today`` is the day the numbers are "as of".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .errors import BadInput
from .models import Ledger

WEEK_COUNTS = ("received", "settled_on_spot", "to_township", "escalated", "assigned",
               "resolved", "closed", "open", "carried_over", "overdue", "due_next")


def ledger_week(day: date) -> tuple[date, date]:
    """The ledger week (Tuesday, 民情走访日, to the following Monday) containing ``day``."""
    start = day - timedelta(days=(day.weekday() - 1) % 7)
    return start, start + timedelta(days=6)


def _workday_index(ledger: Ledger, first: date, last: date) -> None:
    """A temporary table numbering working days, so SQL can count them: the working days
    after a up to and including b are idx(b) - idx(a)."""
    first, last = first - timedelta(days=7), last + timedelta(days=7)
    ledger.db.execute("create temp table if not exists workday_index "
                      "(day text primary key, idx integer not null)")
    ledger.db.execute("delete from workday_index")
    rows, day, idx = [], first, 0
    while day <= last:
        idx += ledger.calendar.is_workday(day)
        rows.append((day.isoformat(), idx))
        day += timedelta(days=1)
    ledger.db.conn.executemany("insert into workday_index values (?, ?)", rows)


def _date_span(ledger: Ledger) -> tuple[date, date]:
    lo, hi = ledger.db.execute(
        "select min(received_on), max(max(coalesce(due_on, received_on)), max(received_on)) "
        "from demands").fetchone()
    lo = date.fromisoformat(lo) if lo else ledger.today
    hi = max(date.fromisoformat(hi) if hi else ledger.today, ledger.today)
    return min(lo, ledger.today), hi


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
_FLAGS = """
with ev as (
    select subject_id as id,
        max(action = 'settle') as settled_on_spot,
        max(action = 'escalate' and json_extract(data, '$.to') = 'township') as to_township,
        max(action = 'escalate' and json_extract(data, '$.to') = 'county') as escalated,
        max(action = 'assign') as assigned,
        max(action in ('resolve', 'settle')) as resolved,
        max(action = 'close') as closed
    from journal
    where subject = 'demand' and on_date between :start and :end
    group by subject_id
)
select d.id, v.name as village, d.category, d.channel,
    (d.received_on between :start and :end) as received,
    coalesce(ev.settled_on_spot, 0) as settled_on_spot,
    coalesce(ev.to_township, 0) as to_township,
    coalesce(ev.escalated, 0) as escalated,
    coalesce(ev.assigned, 0) as assigned,
    coalesce(ev.resolved, 0) as resolved,
    coalesce(ev.closed, 0) as closed,
    (d.status in ('open', 'suspended') and d.received_on <= :ref) as open,
    (d.status in ('open', 'suspended') and d.received_on < :start) as carried_over,
    (d.status = 'open' and d.due_on < :ref) as overdue,
    (d.status = 'open' and d.due_on >= :ref and d.due_on <= :next) as due_next
from demands d
join villages v on v.id = d.village_id
left join ev on ev.id = d.id
where d.received_on between :start and :end
   or ev.id is not null
   or (d.status in ('open', 'suspended') and d.received_on <= :ref)
"""


def summary(ledger: Ledger, week_of: date | None = None) -> dict[str, Any]:
    """The Tuesday summary of the ledger week containing ``week_of`` (default: today's)."""
    start, end = ledger_week(week_of or ledger.today)
    if start > ledger.today:
        raise BadInput("summary.future_week", start=start.isoformat(), today=ledger.today.isoformat())
    ref = min(ledger.today, end)
    params = {"start": start.isoformat(), "end": end.isoformat(), "ref": ref.isoformat(),
              "next": (ref + timedelta(days=7)).isoformat()}
    sums = ", ".join(f"sum({c}) as {c}" for c in WEEK_COUNTS)
    grouped = list(ledger.db.query(
        f"select village, category, channel, {sums} from ({_FLAGS}) "
        "group by village, category, channel", params))

    def rollup(key: str) -> list[dict[str, Any]]:
        out: dict[Any, dict[str, Any]] = {}
        for g in grouped:
            row = out.setdefault(g[key], {"name": g[key], **{c: 0 for c in WEEK_COUNTS}})
            for c in WEEK_COUNTS:
                row[c] += g[c]
        return sorted(out.values(), key=lambda r: (-r["received"], -r["open"], r["name"] is None,
                                                   r["name"] or ""))

    totals = {c: sum(g[c] for g in grouped) for c in WEEK_COUNTS}
    numbers = {c: [r["number"] for r in ledger.db.query(
        f"select d.number from ({_FLAGS}) f join demands d on d.id = f.id where f.{c} "
        "order by d.due_on, d.number", params)] for c in ("carried_over", "overdue", "due_next")}
    lists = {c: _demands_by_number(ledger, numbers[c]) for c in numbers}
    for r in lists["overdue"]:
        r["days_late"] = ledger.calendar.working_days_between(date.fromisoformat(r["due_on"]), ref)
    repeat = list(ledger.db.query(
        "select r.id as resident_id, r.name as resident, v.name as village, "
        "count(*) as demands, sum(d.received_on between :start and :end) as this_week, "
        "min(d.received_on) as first_on "
        "from demands d join residents r on r.id = d.resident_id "
        "join villages v on v.id = r.village_id where d.received_on <= :end "
        "group by r.id having this_week >= 1 and count(*) >= 2 "
        "order by demands desc, r.id", params))
    return {
        "week_start": start.isoformat(), "week_end": end.isoformat(), "as_of": ref.isoformat(),
        **totals,
        "by_village": rollup("village"), "by_category": rollup("category"),
        "by_channel": rollup("channel"),
        "carried_over_demands": lists["carried_over"], "due_demands": lists["due_next"],
        "overdue_demands": lists["overdue"], "repeat_residents": repeat,
    }


def _demands_by_number(ledger: Ledger, numbers: list[str]) -> list[dict[str, Any]]:
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    rows = {r["number"]: r for r in ledger.db.query(
        ledger._LIST_SQL + f" where d.number in ({marks})", [*ledger._light_params(), *numbers])}
    return [rows[n] for n in numbers]


# --- the report card -------------------------------------------------------------------

REPORT_BY = {
    "unit": ("u.name", "join units u on u.id = d.lead_unit_id"),
    "village": ("v.name", ""),
    "township": ("coalesce(t.name, '')", "left join townships t on t.id = v.township_id"),
}
RATES = ("response_rate", "resolution_rate", "on_time_rate", "satisfaction_rate")


def settings(ledger: Ledger) -> dict[str, float]:
    """The supervision settings: the documented defaults, overridden by the ledger's own."""
    from .storage import DEFAULT_SETTINGS

    stored = {r["key"]: r["value"] for r in ledger.db.query("select * from settings")}
    return {k: float(v) for k, v in {**DEFAULT_SETTINGS, **stored}.items()}


def report(ledger: Ledger, by: str = "unit", since: date | None = None,
           until: date | None = None) -> dict[str, Any]:
    """The report card over demands received from ``since`` to ``until`` (inclusive).

    received         demands received in the range (by unit: whose lead unit it is now)
    resolved         of those, resolved or closed
    on_time          of the resolved, resolved on or before their deadline
    overdue          of those received, open (not suspended) and past the deadline today
    response_rate    first step after acceptance within `response.working_days` / received
                     (a demand imported from another ledger brings no steps: not responded
                     until a step is taken here)
    resolution_rate  resolved / received
    on_time_rate     on_time / resolved
    satisfaction_rate (满意 + satisfaction.basic x 基本满意) / followed up
    score            100 x the weighted mean of the rates that exist (weights from settings)
    rank             by score, highest first; equal scores share a rank
    """
    if by not in REPORT_BY:
        raise BadInput("enum.unknown", what="report_by", name=by, choices=list(REPORT_BY))
    if since and until and since > until:
        raise BadInput("date.range", since=since.isoformat(), until=until.isoformat())
    s = settings(ledger)
    name, join = REPORT_BY[by]
    lo, hi = _date_span(ledger)
    _workday_index(ledger, min(lo, since or lo), max(hi, until or hi))
    params = {"since": (since or date.min).isoformat(), "until": (until or date.max).isoformat(),
              "today": ledger.today.isoformat(), "response": s["response.working_days"],
              "basic": s["satisfaction.basic"]}
    rows = list(ledger.db.query(f"""
        with base as (
            select d.*, {name} as name,
                (select min(j.on_date) from journal j where j.subject = 'demand'
                    and j.subject_id = d.id and j.action not in ('accept', 'import'))
                    as first_step
            from demands d join villages v on v.id = d.village_id {join}
            where d.received_on between :since and :until
        )
        select name, count(*) as received,
            sum(status in ('resolved', 'closed')) as resolved,
            sum(status in ('resolved', 'closed') and resolved_on <= due_on) as on_time,
            sum(status = 'open' and due_on < :today) as overdue,
            sum(first_step is not null and (select idx from workday_index where day = first_step)
                - (select idx from workday_index where day = received_on) <= :response) as responded,
            sum(satisfaction is not null) as rated,
            sum(satisfaction = 'satisfied') + :basic * sum(satisfaction = 'basically_satisfied')
                as satisfied
        from base group by name""", params))
    weights = {"response_rate": s["weight.response"], "resolution_rate": s["weight.resolution"],
               "satisfaction_rate": s["weight.satisfaction"], "on_time_rate": s["weight.on_time"]}
    for r in rows:
        r["response_rate"] = _rate(r.pop("responded"), r["received"])
        r["resolution_rate"] = _rate(r["resolved"], r["received"])
        r["on_time_rate"] = _rate(r["on_time"], r["resolved"])
        r["satisfaction_rate"] = _rate(r.pop("satisfied"), r.pop("rated"))
        present = {k: w for k, w in weights.items() if w and r[k] is not None}
        total = sum(present.values())
        r["score"] = round(100 * sum(r[k] * w for k, w in present.items()) / total, 1) \
            if total else None
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name"]))
    for i, r in enumerate(rows):
        same = i and rows[i - 1]["score"] == r["score"]
        r["rank"] = rows[i - 1]["rank"] if same else i + 1
    talk = _talk_list(ledger, int(s["talk.overdue_threshold"])) if by == "unit" else []
    return {"by": by, "from": params["since"] if since else None,
            "to": params["until"] if until else None, "rows": rows, "talk": talk,
            "settings": s}


def _rate(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _talk_list(ledger: Ledger, threshold: int) -> list[dict[str, Any]]:
    """Units with at least ``threshold`` overdue demands now (约谈名单), with those demands."""
    overdue = ledger.overdue()["demands"]
    units: dict[str, dict[str, Any]] = {}
    for r in overdue:
        if r["unit"] is None:
            continue
        u = units.setdefault(r["unit"], {"name": r["unit"], "overdue": 0, "max_days_late": 0,
                                         "numbers": []})
        u["overdue"] += 1
        u["max_days_late"] = max(u["max_days_late"], r["days_late"])
        u["numbers"].append(r["number"])
    return sorted((u for u in units.values() if u["overdue"] >= max(threshold, 1)),
                  key=lambda u: (-u["overdue"], -u["max_days_late"], u["name"]))


def set_setting(ledger: Ledger, key: str, value: str) -> None:
    """Change one supervision setting; weights must stay non-negative, rates in 0..1."""
    current = settings(ledger)
    if key not in current:
        raise BadInput("enum.unknown", what="setting", name=key, choices=sorted(current))
    try:
        number = float(value)
    except ValueError:
        raise BadInput("setting.number", setting=key, value=value) from None
    limits = {"satisfaction.basic": (0, 1), "response.working_days": (0, 60),
              "talk.overdue_threshold": (1, 10000)}
    lo, hi = limits.get(key, (0, 1))
    if not lo <= number <= hi or (key in ("response.working_days", "talk.overdue_threshold")
                                  and number != int(number)):
        raise BadInput("setting.range", setting=key, value=value, lo=lo, hi=hi)
    with ledger.db.atomic():
        ledger.db["settings"].upsert({"key": key, "value": value}, pk="key")
        ledger._journal("setting", 0, "set", ledger.today.isoformat(), {"key": key, "value": value})
