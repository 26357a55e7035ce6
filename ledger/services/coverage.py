"""Coverage (走访覆盖): did every paired person go down to their key village, did every
cadre see their households, how many of each group and of the organisations were visited.

Every number is an aggregate in SQL over the visits, the pairs and the tags, by these rules
(the README's "Everyone covered" gives them too):

key villages  for each village marked key (重点村), each person paired with it in any role
              (a cadre, or a unit: any cadre of that unit) *visited* it when a visit to that
              village in the period lists that cadre (or a cadre of that unit) among its
              cadres. ``paired`` = people paired, ``visited`` = of those who visited,
              ``missing`` = the names of the others. A key village nobody is paired with is
              not covered. Villages with a missing visit (or nobody paired) come first.
households    for each cadre, ``paired`` = households paired with them (联户), ``visited`` =
              of those, visited by that cadre (a visit to that resident listing the cadre)
              within the last ``coverage.household_days`` days up to the period's last day
              (or today); every cadre is listed: first those with households not visited
              (the most first), then those whose households were all visited, then those
              with none.
tags          for each tag held by residents (people, not organisations), ``total`` =
              residents holding it, ``visited`` = of those, visited (a visit to that
              resident) in the period, ``rate`` = visited / total.
organisations the same for the organisations, by kind.
not_visited   the tagged residents and the organisations not visited in the period, the
              longest unvisited first: never visited, then by the last visit before the
              period's end, oldest first.

The period is a ledger week (Tuesday to Monday, ``reports.ledger_week``) whatever holidays
it holds: a Tuesday that is a rest day (国庆, 春节) does not move the week, and a visit on
any day of it counts (``visit_day_rest`` says the Tuesday was a rest day).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import BadInput
from .pairing import role_order
from .queries import day_range
from .reports import ledger_week

if TYPE_CHECKING:
    from . import Ledger

# A visit of the period to the pair's village by the paired cadre, or by a cadre of the
# paired unit.
_PAIR_VISITS = """
    from visits x join visit_cadres vc on vc.visit_id = x.id
    join cadres c2 on c2.id = vc.cadre_id
    where x.village_id = p.village_id and x.visited_on between :start and :end
      and (vc.cadre_id = p.cadre_id or (p.unit_id is not null and c2.unit_id = p.unit_id))"""

_KEY_PAIRS = f"""
select v.id as village_id, v.name as village, p.id as pair, p.role,
    case when p.unit_id is not null then 'unit' else 'cadre' end as kind,
    coalesce(c.name, u.name) as name,
    (select count(distinct x.id) {_PAIR_VISITS}) as visits,
    (select max(x.visited_on) {_PAIR_VISITS}) as last_visit_on
from villages v
left join pairs p on p.village_id = v.id and p.resident_id is null
left join cadres c on c.id = p.cadre_id
left join units u on u.id = p.unit_id
where v.key = 1
order by v.id, p.id
"""

# Each household pair, with the last visit to it by its cadre up to :ref.
_HOUSEHOLDS = """
with hh as (
    select p.cadre_id, p.resident_id,
        (select max(x.visited_on) from visits x join visit_cadres vc on vc.visit_id = x.id
         where x.resident_id = p.resident_id and vc.cadre_id = p.cadre_id
           and x.visited_on <= :ref) as last_visit_on
    from pairs p where p.resident_id is not null and p.cadre_id is not null
)
"""

# Residents seen in the period (a visit to them).
_SEEN = ("(select 1 from visits x where x.resident_id = r.id "
         "and x.visited_on between :start and :end)")


class Coverage:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    def period(self, week: str | date | None = None, since: str | date | None = None,
               until: str | date | None = None) -> tuple[date, date]:
        """The days covered: the ledger week containing ``week`` (default: today's), or
        ``since`` to ``until`` (until: today when not given)."""
        L = self.L
        if week is not None and (since or until):
            raise BadInput("coverage.week_or_range")
        if since or until:
            if not since:
                raise BadInput("coverage.needs_from")
            first, last = day_range(since, until or L.today, L.today)
            start, end = date.fromisoformat(first), date.fromisoformat(last)  # type: ignore[arg-type]
        else:
            start, end = ledger_week(L.date(week) if week is not None else L.today)
        if start > L.today:
            raise BadInput("summary.future_week", start=start.isoformat(),
                           today=L.today.isoformat())
        return start, end

    def key_villages(self, start: date, end: date) -> list[dict[str, Any]]:
        """Each key village with each paired person and whether they visited it."""
        params = {"start": start.isoformat(), "end": end.isoformat()}
        out: dict[int, dict[str, Any]] = {}
        for r in self.db.query(_KEY_PAIRS, params):
            v = out.setdefault(r["village_id"], {"village": r["village"], "paired": 0,
                                                 "visited": 0, "missing": [], "people": []})
            if r["pair"] is None:
                continue
            seen = r["visits"] > 0
            v["paired"] += 1
            v["visited"] += seen
            v["people"].append({"pair": r["pair"], "name": r["name"], "kind": r["kind"],
                                "role": r["role"], "visited": seen, "visits": r["visits"],
                                "last_visit_on": r["last_visit_on"]})
        rows = list(out.values())
        for v in rows:
            v["people"].sort(key=lambda p: (role_order(p["role"]), p["pair"]))
            v["missing"] = [p["name"] for p in v["people"] if not p["visited"]]
            v["covered"] = v["paired"] > 0 and not v["missing"]
        rows.sort(key=lambda v: v["covered"])  # stable: villages in their order otherwise
        return rows

    def key_village_line(self, start: date, end: date) -> dict[str, Any]:
        """The summary's line: key villages covered (every paired person visited) out of all."""
        rows = self.key_villages(start, end)
        return {"visited": sum(v["covered"] for v in rows), "total": len(rows),
                "missed": [v["village"] for v in rows if not v["covered"]]}

    def households(self, ref: date, days: int) -> list[dict[str, Any]]:
        """Each cadre: households paired, visited by them within ``days`` days up to ``ref``."""
        params = {"ref": ref.isoformat(), "since": (ref - timedelta(days=days - 1)).isoformat()}
        rows = list(self.db.query(_HOUSEHOLDS + """
            select c.id, c.name as cadre, u.name as unit, count(hh.resident_id) as paired,
                coalesce(sum(hh.last_visit_on >= :since), 0) as visited
            from cadres c left join units u on u.id = c.unit_id
            left join hh on hh.cadre_id = c.id
            group by c.id order by c.id""", params))
        missing: dict[int, list[dict[str, Any]]] = {}
        for r in self.db.query(_HOUSEHOLDS + """
                select hh.cadre_id, r.id, r.name, v.name as village, hh.last_visit_on
                from hh join residents r on r.id = hh.resident_id
                join villages v on v.id = r.village_id
                where hh.last_visit_on is null or hh.last_visit_on < :since
                order by hh.last_visit_on is not null, hh.last_visit_on, r.id""", params):
            missing.setdefault(r.pop("cadre_id"), []).append(r)
        for r in rows:
            r["not_visited"] = missing.get(r.pop("id"), [])
        # Households not visited first, the cadre with most of them first; then the cadres
        # whose households were all visited; then those with none (otherwise by cadre).
        rows.sort(key=lambda r: (r["paired"] == 0, r["visited"] - r["paired"] == 0,
                                 r["visited"] - r["paired"]))
        return rows

    def groups(self, start: date, end: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Visited in the period out of all: by tag (people), and organisations by kind."""
        params = {"start": start.isoformat(), "end": end.isoformat()}
        tags = list(self.db.query(f"""
            select t.tag, count(*) as total, sum(exists {_SEEN}) as visited
            from resident_tags t join residents r on r.id = t.resident_id
            where r.org_kind is null
            group by t.tag order by count(*) desc, t.tag""", params))
        orgs = list(self.db.query(f"""
            select r.org_kind as kind, count(*) as total, sum(exists {_SEEN}) as visited
            from residents r where r.org_kind is not null
            group by r.org_kind""", params))
        order = self.L.pairing.terms("org_kind")
        orgs.sort(key=lambda o: (order.index(o["kind"]) if o["kind"] in order else len(order),
                                 o["kind"]))
        for r in [*tags, *orgs]:
            r["rate"] = round(r["visited"] / r["total"], 4) if r["total"] else None
        return tags, orgs

    def not_visited(self, start: date, end: date, limit: int | None = None) -> list[dict[str, Any]]:
        """Tagged residents and organisations not visited in the period, longest first."""
        params = {"start": start.isoformat(), "end": end.isoformat()}
        sql = f"""
            select r.id, r.name, v.name as village, r.org_kind as kind,
                (select group_concat(tag, '、') from (select tag from resident_tags
                 where resident_id = r.id order by tag)) as tags,
                (select max(x.visited_on) from visits x where x.resident_id = r.id
                 and x.visited_on <= :end) as last_visit_on
            from residents r join villages v on v.id = r.village_id
            where (r.org_kind is not null
                   or exists (select 1 from resident_tags t where t.resident_id = r.id))
              and not exists {_SEEN}
            order by last_visit_on is not null, last_visit_on, r.id"""
        if limit is not None:
            sql += f" limit {int(limit)}"
        return list(self.db.query(sql, params))

    def report(self, week: str | date | None = None, since: str | date | None = None,
               until: str | date | None = None, limit: int | None = None) -> dict[str, Any]:
        """Everything ``ledger coverage`` shows, for the period asked."""
        L = self.L
        start, end = self.period(week, since, until)
        ref = min(L.today, end)
        days = int(L.reports.settings()["coverage.household_days"])
        tags, orgs = self.groups(start, end)
        is_week = start.weekday() == 1 and end == start + timedelta(days=6)
        not_visited = self.not_visited(start, end)
        return {
            "from": start.isoformat(), "to": end.isoformat(), "as_of": ref.isoformat(),
            "visit_day_rest": is_week and not L.calendar.is_workday(start),
            "household_days": days,
            "households_from": (ref - timedelta(days=days - 1)).isoformat(),
            "key_villages": self.key_villages(start, end),
            "households": self.households(ref, days),
            "tags": tags, "organisations": orgs,
            "not_visited": not_visited if limit is None else not_visited[:limit],
            "not_visited_count": len(not_visited),
        }
