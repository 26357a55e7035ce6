"""The Chinese working calendar and deadline arithmetic (ledger/deadlines.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.deadlines import WorkCalendar, parse_date, parse_schedule, shipped_schedules
from ledger.errors import BadInput

CAL = WorkCalendar(shipped_schedules())
D = date.fromisoformat


def test_the_package_ships_every_year_from_2020_to_2026_with_its_notice() -> None:
    schedules = shipped_schedules()
    assert sorted(schedules) == list(range(2020, 2027))
    for year, s in schedules.items():
        assert f"{year}年部分节假日安排的通知" in s.notice


@pytest.mark.parametrize("year", range(2020, 2027))
def test_shipped_schedules_agree_with_chinesecalendar_day_by_day(year: int) -> None:
    chinese_calendar = pytest.importorskip("chinese_calendar")
    day, disagreements = date(year, 1, 1), []
    while day.year == year:
        if CAL.is_workday(day) != chinese_calendar.is_workday(day):
            disagreements.append(day.isoformat())
        day += timedelta(days=1)
    assert disagreements == []


@pytest.mark.parametrize("start,n,due", [
    # National Day 2025: 10/1-10/8 off, Saturday 10/11 is a make-up working day.
    ("2025-09-30", 1, "2025-10-09"),
    ("2025-09-30", 7, "2025-10-16"),
    # Spring Festival 2026: 2/15-2/23 off; Saturdays 2/14 and 2/28 are working days.
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-14", 1, "2026-02-24"),
    ("2026-02-24", 4, "2026-02-28"),
    # Spring Festival 2025: 1/28-2/4 off; Sunday 1/26 and Saturday 2/8 worked.
    ("2025-01-24", 1, "2025-01-26"),
    ("2025-01-27", 7, "2025-02-12"),
    # An ordinary week: Friday + 1 is Monday.
    ("2026-11-20", 1, "2026-11-23"),
    # Year end into New Year 2026 (1/1-1/3 off, Sunday 1/4 worked).
    ("2025-12-31", 1, "2026-01-04"),
    ("2025-12-31", 2, "2026-01-05"),
    # 2020's Spring Festival was extended to 2/2.
    ("2020-01-23", 1, "2020-02-03"),
])
def test_working_day_deadlines_around_holidays(start: str, n: int, due: str) -> None:
    assert CAL.add_working_days(D(start), n) == (D(due), False)


def test_a_deadline_crossing_into_an_unknown_year_is_provisional() -> None:
    # 2026-12-28 (Mon) + 7 working days: weekends only in 2027 -> Wed 2027-01-06.
    assert CAL.add_working_days(D("2026-12-28"), 7) == (D("2027-01-06"), True)
    assert CAL.add_working_days(D("2026-12-28"), 3) == (D("2026-12-31"), False)


def test_adding_the_missing_year_changes_the_deadline() -> None:
    schedule_2027 = parse_schedule(
        'year = 2027\nnotice = "国务院办公厅关于2027年部分节假日安排的通知"\n'
        'rest = ["2027-01-01..2027-01-03"]\nwork = ["2027-01-09"]\n')
    cal = WorkCalendar({**shipped_schedules(), 2027: schedule_2027})
    # 12/29, 12/30, 12/31, then 1/4, 1/5, 1/6, 1/7 (1/1 off; 1/2-1/3 a weekend anyway).
    assert cal.add_working_days(D("2026-12-28"), 7) == (D("2027-01-07"), False)


@pytest.mark.parametrize("start,n,due,provisional", [
    ("2026-09-01", 30, "2026-10-08", False),   # ends on National Day -> first working day after
    ("2026-11-01", 30, "2026-12-01", False),   # ordinary Tuesday
    ("2026-10-03", 60, "2026-12-02", False),   # petition clock, 60 calendar days
    ("2026-12-01", 60, "2027-02-01", True),    # ends in 2027 (Saturday 1/30 -> Monday 2/1)
])
def test_calendar_day_periods(start: str, n: int, due: str, provisional: bool) -> None:
    assert CAL.add_calendar_days(D(start), n) == (D(due), provisional)


def test_paused_days_are_counted_out() -> None:
    paused = {D("2026-11-18"), D("2026-11-19")}
    assert CAL.add_working_days(D("2026-11-17"), 2, paused=paused.__contains__) == \
        (D("2026-11-23"), False)


def test_working_days_between() -> None:
    assert CAL.working_days_between(D("2025-09-30"), D("2025-10-16")) == 7
    assert CAL.working_days_between(D("2026-11-20"), D("2026-11-20")) == 0
    assert CAL.working_days_between(D("2026-11-20"), D("2026-11-19")) == 0


# --- laws of the arithmetic --------------------------------------------------------------

days = st.dates(min_value=date(2019, 6, 1), max_value=date(2027, 6, 30))
counts = st.integers(min_value=0, max_value=40)


@given(days, counts)
def test_a_deadline_is_never_before_its_start(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n)[0] >= start
    assert CAL.add_calendar_days(start, n)[0] >= start


@given(days, counts, counts)
def test_n_then_m_working_days_is_n_plus_m(start: date, n: int, m: int) -> None:
    first, _ = CAL.add_working_days(start, n)
    assert CAL.add_working_days(first, m)[0] == CAL.add_working_days(start, n + m)[0]


@given(days, st.integers(min_value=1, max_value=40))
def test_every_working_day_deadline_falls_on_a_working_day(start: date, n: int) -> None:
    due, _ = CAL.add_working_days(start, n)
    assert CAL.is_workday(due)
    assert CAL.working_days_between(start, due) == n


@given(days, st.integers(min_value=1, max_value=90))
def test_calendar_periods_end_on_a_working_day_no_earlier_than_n_days(start: date, n: int) -> None:
    due, _ = CAL.add_calendar_days(start, n)
    assert CAL.is_workday(due) and due >= start + timedelta(days=n)


@given(days, st.integers(min_value=1, max_value=40))
def test_provisional_exactly_when_an_unknown_year_is_crossed(start: date, n: int) -> None:
    due, provisional = CAL.add_working_days(start, n)
    assert provisional == (start.year not in CAL.schedules or due.year not in CAL.schedules)


# --- the schedule file a clerk writes ------------------------------------------------------

GOOD = 'year = 2027\nnotice = "通知"\nrest = ["2027-02-06..2027-02-12"]\nwork = ["2027-02-14"]\n'


def test_a_schedule_file_with_ranges() -> None:
    s = parse_schedule(GOOD)
    assert (s.year, len(s.rest), s.work) == (2027, 7, frozenset({D("2027-02-14")}))


@pytest.mark.parametrize("text,key", [
    (GOOD.replace('"2027-02-14"', '"2027-02-15"'), "calendar.work_not_weekend"),  # a Monday
    (GOOD.replace('"2027-02-14"', '"2027-02-07"'), "calendar.both"),
    (GOOD.replace("2027-02-12", "2028-02-12"), "calendar.outside_year"),
    (GOOD.replace("2027-02-06..2027-02-12", "2027-02-12..2027-02-06"), "calendar.backward_range"),
    (GOOD.replace("year = 2027", "year = 27"), "calendar.year"),
    (GOOD.replace('notice = "通知"', 'notice = ""'), "calendar.notice"),
    (GOOD.replace('rest = ["2027-02-06..2027-02-12"]', "rest = []"), "calendar.no_rest"),
    (GOOD.replace("2027-02-14", "2027-02-30"), "date.impossible"),
    ("year = 2027\nrest = [", "calendar.malformed"),
])
def test_a_bad_schedule_file_is_refused(text: str, key: str) -> None:
    with pytest.raises(BadInput) as e:
        parse_schedule(text)
    assert e.value.key == key


def test_parse_date_is_strict() -> None:
    with pytest.raises(BadInput):
        parse_date("11/17")
