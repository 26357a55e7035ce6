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


# --- deadlines of demands in the ledger ----------------------------------------------------

import sqlite3  # noqa: E402

from ledger.errors import Refused  # noqa: E402
from ledger.services import Ledger  # noqa: E402
from ledger.services import open_ledger
from ledger.store.migrations import migrations  # noqa: E402

from .conftest import new_township  # noqa: E402


def make_ledger(today: str) -> Ledger:
    return new_township(D(today), "刘洁")


def due_of(ledger: Ledger, n: str) -> tuple[str, bool, str]:
    d = ledger.demands.show(n)
    return d["due_on"], bool(d["due_provisional"]), d["light"]


@pytest.mark.parametrize("received,complexity,due", [
    ("2026-11-17", "general", "2026-11-18"),
    ("2026-11-17", "complex", "2026-11-26"),
    ("2026-09-30", "general", "2026-10-08"),   # the day before National Day
    ("2026-09-30", "complex", "2026-10-15"),   # counts Saturday 10/10, a make-up day
    ("2026-02-13", "complex", "2026-03-02"),   # Spring Festival: 2/14, 2/24-27, 2/28, 3/2
])
def test_a_demand_is_due_by_its_difficulty(received: str, complexity: str, due: str) -> None:
    ledger = make_ledger("2026-11-17")
    n = ledger.demands.add("屋顶漏水", village="东坪村", on=received, complexity=complexity)
    assert ledger.demands.show(n)["due_on"] == due


def test_each_stage_has_its_own_clock_and_the_demand_keeps_its_age() -> None:
    ledger = make_ledger("2026-11-20")
    n = ledger.demands.add("宅基地边界争议", village="东坪村", on="2026-11-16", complexity="complex")
    assert ledger.demands.show(n)["due_on"] == "2026-11-25"
    ledger.demands.escalate(n, reason="村里调解不成", on="2026-11-18")
    assert ledger.demands.show(n)["due_on"] == "2026-11-27"
    ledger.demands.assign(n, unit="镇司法所", on="2026-11-20")
    d = ledger.demands.show(n)
    assert (d["due_on"], d["stage_started_on"], d["received_on"]) == \
        ("2026-12-01", "2026-11-20", "2026-11-16")


def test_an_extension_moves_the_deadline() -> None:
    ledger = make_ledger("2026-11-19")
    n = ledger.demands.add("a", village="东坪村", on="2026-11-17", complexity="complex")
    ledger.demands.extend(n, reason="需要现场勘查", approver="分管领导", days=3, on="2026-11-19")
    assert ledger.demands.show(n)["due_on"] == "2026-12-01"  # 7 + 3 working days after 11/17


def test_a_suspension_is_counted_out() -> None:
    ledger = make_ledger("2026-11-20")
    n = ledger.demands.add("a", village="东坪村", on="2026-11-17")
    ledger.demands.suspend(n, reason="等群众补材料", on="2026-11-17")
    assert due_of(ledger, n) == ("2026-11-18", False, "suspended")
    ledger.demands.resume(n, on="2026-11-20")
    # 11/18-11/20 paused; the one working day is Monday 11/23.
    assert due_of(ledger, n) == ("2026-11-23", False, "due_soon")


def test_petition_cases_run_60_calendar_days_with_one_30_day_extension() -> None:
    ledger = make_ledger("2026-11-17")
    n = ledger.demands.add("征地补偿信访", village="东坪村", on="2026-09-01", category="信访积案")
    assert ledger.demands.show(n)["due_on"] == "2026-11-02"  # 10/31 is a Saturday
    with pytest.raises(Refused) as e:
        ledger.demands.extend(n, reason="x", approver="y", days=31)
    assert e.value.key == "extend.too_long"
    ledger.demands.extend(n, reason="需协调多部门", approver="县信访局", days=30, on="2026-10-30")
    assert ledger.demands.show(n)["due_on"] == "2026-11-30"  # 90 calendar days after 9/1
    with pytest.raises(Refused) as e:
        ledger.demands.extend(n, reason="x", approver="y", days=5)
    assert e.value.message() == "诉求 2026-000001 最多只能延期 1 次"


def test_provisional_until_the_year_is_added_then_recomputed() -> None:
    ledger = make_ledger("2026-12-28")
    n = ledger.demands.add("a", village="东坪村", complexity="complex")
    assert due_of(ledger, n) == ("2027-01-06", True, "on_time")
    result = ledger.clocks.add_year(
        'year = 2027\nnotice = "国务院办公厅关于2027年部分节假日安排的通知"\n'
        'rest = ["2027-01-01..2027-01-03"]\nwork = []\n', force=True)
    assert result == {"year": 2027, "recomputed": 1, "still_provisional": 0,
                      "missing": ["春节", "清明", "劳动节", "端午", "中秋", "国庆"]}
    assert due_of(ledger, n) == ("2027-01-07", False, "on_time")
    assert [y["source"] for y in ledger.clocks.years()][-1] == "ledger"


@pytest.mark.parametrize("today,light", [
    ("2026-11-17", "due_soon"), ("2026-11-18", "due_soon"), ("2026-11-19", "overdue"),
])
def test_lights(today: str, light: str) -> None:
    ledger = make_ledger(today)
    n = ledger.demands.add("a", village="东坪村", on="2026-11-17")
    assert ledger.demands.show(n)["light"] == light


def test_light_on_time_and_done() -> None:
    ledger = make_ledger("2026-11-17")
    a = ledger.demands.add("a", village="东坪村", complexity="complex")
    b = ledger.demands.add("b", village="东坪村")
    ledger.demands.settle(b, result="当场解决")
    assert [r["light"] for r in ledger.demands.list()] == ["on_time", "done"]


def test_due_and_overdue_with_working_days_late() -> None:
    ledger = make_ledger("2026-11-24")
    late = ledger.demands.add("a", village="东坪村", on="2026-11-17")      # due 11/18
    ledger.demands.escalate(late, reason="x", on="2026-11-17")
    ledger.demands.assign(late, unit="镇司法所", on="2026-11-17")
    soon = ledger.demands.add("b", village="西岭村", on="2026-11-23")      # due 11/24
    later = ledger.demands.add("c", village="西岭村", on="2026-11-24")     # due 11/25
    ledger.demands.add("d", village="西岭村", on="2026-11-24", complexity="complex")
    # due lists what the light calls 临期: due today or on the next working day
    assert [(r["number"], r["light"]) for r in ledger.demands.due()] == \
        [(soon, "due_soon"), (later, "due_soon")]
    assert [r["number"] for r in ledger.demands.due(within=0)] == [soon]
    result = ledger.demands.overdue_by()
    assert [(r["number"], r["days_late"]) for r in result["demands"]] == [(late, 4)]
    assert result["by_unit"] == [{"name": "镇司法所", "overdue": 1, "max_days_late": 4}]
    assert result["by_village"] == [{"name": "东坪村", "overdue": 1, "max_days_late": 4}]


def test_a_township_policy_by_type_recomputes_live_demands() -> None:
    ledger = make_ledger("2026-11-17")
    n = ledger.demands.add("油烟扰民", village="东坪村", type="投诉")
    assert ledger.demands.show(n)["due_on"] == "2026-11-18"
    assert ledger.clocks.set_policy("type", "投诉", amount=3) == 1
    assert ledger.demands.show(n)["due_on"] == "2026-11-20"
    ledger.clocks.set_policy("type", "投诉", amount=48, unit="小时")
    assert ledger.demands.show(n)["due_on"] == "2026-11-19"
    ledger.clocks.remove_policy("type", "投诉")
    assert ledger.demands.show(n)["due_on"] == "2026-11-18"
    with pytest.raises(Refused):
        ledger.clocks.remove_policy("complexity", "general")


def test_a_first_schema_ledger_gets_its_deadlines_on_upgrade(tmp_path) -> None:
    path = tmp_path / "v1.db"
    from sqlite_utils import Database

    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m002_deadlines")
    db.execute("insert into villages (name) values ('东坪村')")
    db.execute("insert into demands (number, text, village_id, received_on, status, level, "
               "complexity, stage_started_on, co_unit_ids, summoned) values ('2026-000001', "
               "'路灯坏了', 1, '2026-09-30', 'open', 'village', 'general', '2026-09-30', '[]', '[]')")
    db.execute("insert into journal (subject, subject_id, action, on_date, data) values "
               "('demand', 1, 'accept', '2026-09-30', '{\"text\": \"路灯坏了\", \"village_id\": 1}')")
    db.conn.commit()
    db.conn.close()
    ledger = Ledger(open_ledger(path), today=D("2026-11-17"))
    d = ledger.demands.show("2026-000001")
    assert (d["due_on"], d["light"]) == ("2026-10-08", "overdue")


# --- dates as clerks type them --------------------------------------------------------------

@pytest.mark.parametrize("typed, day", [
    ("2026-11-17", "2026-11-17"), ("2026年11月5日", "2026-11-05"), ("11月17日", "2026-11-17"),
    ("11-5", "2026-11-05"), ("11/17", "2026-11-17"), ("1.2", "2026-01-02"),
    ("今天", "2026-11-17"), ("昨天", "2026-11-16"), ("前天", "2026-11-15"),
    ("周二", "2026-11-17"), ("本周一", "2026-11-16"), ("这周日", "2026-11-22"),
    ("上周二", "2026-11-10"), ("上星期五", "2026-11-13"), ("上上周二", "2026-11-03"),
    ("上礼拜天", "2026-11-15"),
])
def test_dates_as_clerks_type_them(typed: str, day: str) -> None:
    assert parse_date(typed, date(2026, 11, 17)).isoformat() == day  # today: a Tuesday


@pytest.mark.parametrize("typed, key", [
    ("今天", "date.malformed"),  # no today to count from: a file's cell, say
    ("11-17", "date.malformed"), ("9999-12-31", "date.out_of_range"),
    ("1899-12-31", "date.out_of_range"), ("2026-13-01", "date.impossible"),
    ("下周八", "date.malformed"),
])
def test_dates_without_today_or_out_of_range_are_refused(typed: str, key: str) -> None:
    with pytest.raises(BadInput) as e:
        parse_date(typed)
    assert e.value.key == key
