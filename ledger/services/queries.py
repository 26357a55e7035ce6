"""Pieces of SQL that several services build their queries from."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..deadlines import parse_date
from ..errors import BadInput


def day_range(since: str | date | None, until: str | date | None,
              today: date | None = None) -> tuple[str | None, str | None]:
    """A range of days as clerks type it (``上周二`` from ``today``), as ISO dates; refused
    when it runs backwards."""
    first = parse_date(since, today).isoformat() if since else None
    last = parse_date(until, today).isoformat() if until else None
    if first and last and first > last:
        raise BadInput("date.range", since=first, until=last)
    return first, last


def date_range(column: str, since: str | date | None, until: str | date | None,
               today: date | None = None) -> tuple[list[str], list[Any]]:
    """The where-clauses and parameters keeping ``column`` from ``since`` to ``until``
    (both included); the one date-range filter of every list, export and report."""
    first, last = day_range(since, until, today)
    where, params = [], []
    if first:
        where.append(f"{column} >= ?")
        params.append(first)
    if last:
        where.append(f"{column} <= ?")
        params.append(last)
    return where, params
