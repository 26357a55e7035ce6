"""The weekly series (``ledger trend``, and the chart of the summary workbook): intake,
resolved and overdue for each of the last N ledger weeks, computed in SQL over the ledger by
one rule that the table on a terminal, its CSV and JSON and the workbook's chart share.

For each ledger week (Tuesday to the following Monday, ``reports.ledger_week``), with its
day *as of*: the week's Monday, or today for the week that contains today.

* ``received``: demands received (受理) in the week; the Tuesday summary's 受理.
* ``resolved``: demands resolved or settled on the spot in the week (the journal's steps,
  and an imported demand's milestones); the Tuesday summary's 办结.
* ``overdue``: demands overdue at the end of the week's *as of* day: received by then, not
  resolved by then (no 办结日期, or a later one), not suspended then (a demand suspended now
  counts as suspended from its 挂起日期 on), and with a deadline before that day. For the
  week containing today this is the Tuesday summary's 超期 (open, past the deadline today);
  for a past week it is the ledger as it stood at the week's end, as far as the demands'
  dates tell (a deadline later moved by an extension counts with its current date, and a
  demand reopened since counts as unresolved from its receipt).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import BadInput
from .reports import ledger_week

if TYPE_CHECKING:
    from . import Ledger

TREND_KEYS = ("week_start", "week_end", "as_of", "received", "resolved", "overdue")
MAX_WEEKS = 520

_SERIES = """
with weeks(start, "end", ref) as (select json_extract(value, '$[0]'), json_extract(value, '$[1]'),
                                         json_extract(value, '$[2]')
                                  from json_each(:weeks)),
intake as (
    select w.start, count(d.id) as n from weeks w
    left join demands d on d.received_on between w.start and w."end"
    group by w.start
),
steps as (
    select subject_id as id, on_date from journal
    where subject = 'demand' and action in ('resolve', 'settle')
        and on_date between :first and :last
    union all
    select demand_id, on_date from import_steps
    where action in ('resolve', 'settle') and on_date between :first and :last
),
done as (
    select w.start, count(distinct s.id) as n from weeks w
    left join steps s on s.on_date between w.start and w."end"
    group by w.start
),
late as materialized (
    select received_on, due_on, resolved_on,
        case when status = 'suspended' then coalesce(suspended_since, received_on) end as paused
    from demands
    where due_on < :last_ref and (resolved_on is null or resolved_on > :first_ref)
),
behind as (
    select w.start, count(l.due_on) as n from weeks w
    left join late l on l.due_on < w.ref and l.received_on <= w.ref
        and (l.resolved_on is null or l.resolved_on > w.ref)
        and (l.paused is null or l.paused > w.ref)
    group by w.start
)
select w.start, w."end", w.ref, intake.n, done.n, behind.n
from weeks w
join intake on intake.start = w.start
join done on done.start = w.start
join behind on behind.start = w.start
order by w.start
"""


class Trends:
    """The weekly series of one ledger."""

    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger

    def weekly(self, weeks: int = 12, last: str | date | None = None) -> list[dict[str, Any]]:
        """The last ``weeks`` ledger weeks, oldest first, ending with the week containing
        ``last`` (default: today); each row has ``TREND_KEYS`` (the module docstring says
        what each count is)."""
        ledger = self.L
        if not 1 <= weeks <= MAX_WEEKS:
            raise BadInput("trend.weeks", n=weeks, most=MAX_WEEKS)
        end_start, _ = ledger_week(ledger.date(last) if last else ledger.today)
        if end_start > ledger.today:
            raise BadInput("summary.future_week", start=end_start.isoformat(),
                           today=ledger.today.isoformat())
        spans = []
        for i in range(weeks - 1, -1, -1):
            start = end_start - timedelta(days=7 * i)
            end = start + timedelta(days=6)
            spans.append((start.isoformat(), end.isoformat(),
                          min(end, ledger.today).isoformat()))
        import json

        params = {"weeks": json.dumps(spans), "first": spans[0][0], "last": spans[-1][1],
                  "first_ref": spans[0][2], "last_ref": spans[-1][2]}
        return [dict(zip(TREND_KEYS, row))
                for row in ledger.db.execute(_SERIES, params).fetchall()]
