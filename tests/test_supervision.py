"""Supervision as the townships run it: 签收 (sign for), 催办 (urge), 三色督办 (colours).

The ledgers here are built around the 2026 National Day holiday (rest 10/1-10/7, the
Saturday 10/10 a make-up working day), so that every rule is seen counting working days.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from ledger.deadlines import WorkCalendar, shipped_schedules, sign_cutoff, urge_again_cutoff
from ledger.errors import NotFound, Refused
from ledger.services import Ledger

from .conftest import Cli, new_township

CAL = WorkCalendar(shipped_schedules())


def township(today: str) -> Ledger:
    return new_township(date.fromisoformat(today), "刘洁")


def journal_count(L: Ledger) -> int:
    return L.db.execute("select count(*) from journal").fetchone()[0]


# --- 签收 --------------------------------------------------------------------------------

def test_the_lead_unit_and_a_co_unit_sign_for_an_assignment(ledger: Ledger) -> None:
    n = ledger.demands.add("屋顶漏水", village="东坪村", on="2026-11-16", level="township")
    ledger.demands.assign(n, unit="镇司法所", co_units=["镇综治中心"], on="2026-11-16")
    ledger.demands.receive(n, on="2026-11-17")
    d = ledger.demands.receive(n, unit="镇综治中心", on="2026-11-17")
    assert (d["signed_on"], d["co_signed"]) == ("2026-11-17", [[d["co_unit_ids"][0], "2026-11-17"]])
    assert ledger.demands.show(n)["co_signed"] == [("镇综治中心", "2026-11-17")]
    assert ledger.demands.disagreements(n) == []


@pytest.mark.parametrize("before,unit,key", [
    ((), None, "step.receive.unassigned"),
    (("assign",), "县自然资源局", "step.receive.not_assigned_unit"),
    (("assign", "receive"), None, "step.receive.already"),
    (("assign", "receive_co"), "镇综治中心", "step.receive.already"),
    (("assign", "return"), None, "step.receive.unassigned"),
    (("assign", "resolve"), None, "step.receive.from_resolved"),
])
def test_a_sign_for_that_makes_no_sense_is_refused_and_writes_nothing(
        ledger: Ledger, before: tuple[str, ...], unit: str | None, key: str) -> None:
    n = ledger.demands.add("屋顶漏水", village="东坪村", on="2026-11-16", level="township")
    steps = {
        "assign": lambda: ledger.demands.assign(n, unit="镇司法所", co_units=["镇综治中心"]),
        "receive": lambda: ledger.demands.receive(n),
        "receive_co": lambda: ledger.demands.receive(n, unit="镇综治中心"),
        "return": lambda: ledger.demands.return_(n, unit="镇司法所", reason="不属本单位"),
        "resolve": lambda: ledger.demands.resolve(n, result="已修"),
    }
    for name in before:
        steps[name]()
    count, shown = journal_count(ledger), ledger.demands.show(n)
    with pytest.raises(Refused) as e:
        ledger.demands.receive(n, unit=unit)
    assert e.value.key == key
    assert (journal_count(ledger), ledger.demands.show(n)) == (count, shown)


@pytest.mark.parametrize("again", ["assign", "escalate", "return"])
def test_a_new_assignment_is_signed_for_afresh(ledger: Ledger, again: str) -> None:
    n = ledger.demands.add("屋顶漏水", village="东坪村", on="2026-11-16", level="township")
    ledger.demands.assign(n, unit="镇司法所", co_units=["镇综治中心"], on="2026-11-16")
    ledger.demands.receive(n, on="2026-11-16")
    ledger.demands.receive(n, unit="镇综治中心", on="2026-11-16")
    {"assign": lambda: ledger.demands.assign(n, unit="镇综治中心"),
     "escalate": lambda: ledger.demands.escalate(n, reason="需县里"),
     "return": lambda: ledger.demands.return_(n, unit="镇司法所", reason="不属本单位")}[again]()
    d = ledger.demands.show(n)
    assert (d["signed_on"], d["co_signed"]) == (None, [])
    assert ledger.demands.disagreements(n) == []


@pytest.mark.parametrize("today,cutoff", [
    # Assigned on 9/30 (before the holiday), one working day to sign for: until 10/8.
    ("2026-10-08", "2026-09-29"),
    ("2026-10-09", "2026-10-07"),   # assigned any day up to 10/7 (the holiday): late on 10/9
    ("2026-10-12", "2026-10-09"),   # Saturday 10/10 is a working day: assigned 10/9, late 10/12
    ("2026-11-17", "2026-11-15"),
])
def test_signing_in_time_counts_working_days(today: str, cutoff: str) -> None:
    assert sign_cutoff(CAL, date.fromisoformat(today), 1).isoformat() == cutoff


# --- 催办 --------------------------------------------------------------------------------

@pytest.mark.parametrize("today,days,cutoff", [
    # The latest day an urge may have gone out (a rest day may be it: none goes out then).
    ("2026-10-08", 1, "2026-10-07"),   # an urge on 9/30 is one working day old on 10/8
    ("2026-10-08", 2, "2026-09-29"),
    ("2026-10-12", 1, "2026-10-11"),   # the make-up Saturday 10/10 counts: 10/9's is two days old
    ("2026-10-11", 1, "2026-10-09"),   # a Sunday: Friday's urge is one working day old
])
def test_urging_again_counts_working_days(today: str, days: int, cutoff: str) -> None:
    assert urge_again_cutoff(CAL, date.fromisoformat(today), days).isoformat() == cutoff


def holiday_ledger() -> tuple[Ledger, dict[str, str]]:
    """Today Friday 2026-10-09, the second working day after the National Day holiday."""
    L = township("2026-10-09")
    add = lambda text, on, **kw: L.demands.add(text, village="东坪村", on=on, **kw)
    n = {
        "overdue_never": add("路灯", "2026-09-30"),            # due 10/8: overdue
        "due_today": add("水管", "2026-10-08"),                 # due 10/9
        "due_saturday": add("垃圾", "2026-10-09"),              # due 10/10, a working Saturday
        "later": add("宅基地", "2026-10-09", complexity="complex"),  # due 10/20
        "urged_yesterday": add("噪声", "2026-09-29"),           # due 9/30
        "urged_today": add("油烟", "2026-09-29"),
        "urged_before_holiday": add("养犬", "2026-09-29"),
        "due_urged": add("漏雨", "2026-10-08"),                 # due today, urged already
        "suspended": add("地界", "2026-09-29"),
        "resolved": add("吵架", "2026-09-29"),
    }
    L.demands.urge(n["urged_yesterday"], on="2026-10-08")
    L.demands.urge(n["urged_today"], on="2026-10-09")
    L.demands.urge(n["urged_before_holiday"], on="2026-09-30")
    L.demands.urge(n["due_urged"], on="2026-10-08")
    L.demands.suspend(n["suspended"], reason="等材料", on="2026-10-08")
    L.demands.resolve(n["resolved"], result="调解", on="2026-10-08")
    return L, n


def test_the_urge_list_by_rule_across_a_holiday() -> None:
    L, n = holiday_ledger()
    rows = L.demands.to_urge()
    assert [(r["number"], r["due_on"], r["urges"]) for r in rows] == [
        (n["urged_yesterday"], "2026-09-30", 1),
        (n["urged_before_holiday"], "2026-09-30", 1),
        (n["overdue_never"], "2026-10-08", 0),
        (n["due_today"], "2026-10-09", 0),
        (n["due_saturday"], "2026-10-10", 0),
    ]
    L.db["settings"].upsert({"key": "urge.repeat_working_days", "value": "2"}, pk="key")
    L.db["settings"].upsert({"key": "urge.due_within", "value": "0"}, pk="key")
    assert [r["number"] for r in L.demands.to_urge()] == [
        n["urged_before_holiday"], n["overdue_never"], n["due_today"]]


def test_urging_all_records_one_urge_each_in_one_command() -> None:
    L, n = holiday_ledger()
    listed = [r["number"] for r in L.demands.to_urge()]
    last = L.db.execute("select max(id) from journal").fetchone()[0]
    done = L.demands.urge_all(text="请于今日办结")
    assert [(r["number"], r["urges"]) for r in done] == [
        (number, urges + 1) for number, urges in zip(listed, (1, 1, 0, 0, 0))]
    written = L.db.execute("select action, command from journal where id > ?", [last]).fetchall()
    assert [a for a, _ in written] == ["urge"] * len(listed)
    assert len({c for _, c in written}) == 1  # one command: `ledger undo` takes them back together
    assert L.demands.to_urge() == []
    L.history.undo()  # the whole `ledger urge --all` at once
    assert [r["number"] for r in L.demands.to_urge()] == listed
    for number in listed:
        assert L.demands.disagreements(number) == []
    assert L.checks.run() == []


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_a_case_that_is_done_is_not_urged(ledger: Ledger, status: str) -> None:
    n = ledger.demands.add("屋顶漏水", village="东坪村")
    ledger.demands.resolve(n, result="已修")
    if status == "closed":
        ledger.demands.follow_up(n, satisfaction="满意")
        ledger.demands.close(n)
    with pytest.raises(Refused) as e:
        ledger.demands.urge(n)
    assert e.value.key == f"step.urge.from_{status}"


# --- from the command line ------------------------------------------------------------------

def test_issue_receive_exit_codes(cli: Cli) -> None:
    assert cli("issue", "add", "路灯", "--village", "东坪村", "--level", "镇级").exit_code == 0
    r = cli("issue", "receive", "1")
    assert r.exit_code == 1 and "尚未交办" in r.output and len(r.output.strip().splitlines()) == 1
    assert cli("issue", "assign", "1", "--unit", "镇司法所", "--co-unit", "镇综治中心").exit_code == 0
    before = cli.digest()
    r = cli("issue", "receive", "1", "--unit", "县住建局")
    assert r.exit_code == 1 and "不是诉求" in r.output and cli.digest() == before
    r = cli("issue", "receive", "1", "--unit", "没有这个单位")
    assert r.exit_code == 2 and cli.digest() == before
    assert cli("issue", "receive", "1").exit_code == 0
    assert cli("issue", "receive", "1", "--unit", "镇综治中心", "--date", "2026-11-17").exit_code == 0
    r = cli("issue", "receive", "1", lang="en")
    assert r.exit_code == 1 and "already signed" in r.output
    assert "签收" in cli("issue", "show", "1").output


def test_urge_cli_json_keys_and_all(cli: Cli) -> None:
    cli("issue", "add", "路灯", "--village", "东坪村", "--date", "2026-11-12")   # overdue
    cli("issue", "add", "水管", "--village", "东坪村", "--date", "2026-11-16")   # due today
    r = cli("urge", "--format", "json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert [(x["number"], x["unit"], x["due_on"], x["urges"]) for x in rows] == [
        ("2026-000001", None, "2026-11-13", 0), ("2026-000002", None, "2026-11-17", 0)]
    r = cli("urge", "--all", "--copy", "分管副镇长")
    assert r.exit_code == 0 and "2 件" in r.output
    assert json.loads(cli("urge", "--format", "json").stdout) == []
    assert cli("issue", "urge", "1", "--text", "再催").exit_code == 0
    assert cli.ledger().demands.show("1")["urges"] == 2
    assert cli("issue", "resolve", "2", "--result", "已修").exit_code == 0
    before = cli.digest()
    r = cli("issue", "urge", "2")
    assert r.exit_code == 1 and cli.digest() == before
    assert cli("urge", "--format", "xml").exit_code == 2
    r = cli("urge", "--text", "快")
    assert r.exit_code == 2 and "--all" in r.output and cli.digest() == before


# --- 三色督办 ------------------------------------------------------------------------------

def colour_ledger() -> tuple[Ledger, dict[str, str]]:
    """Today Wednesday 2026-09-30, the last working day before the National Day holiday:
    three working days ahead reach Saturday 10/10 (10/8, 10/9, 10/10)."""
    L = township("2026-09-30")
    d = L.demands
    add = lambda text, on, **kw: d.add(text, village="东坪村", on=on, **kw)
    n = {
        "overdue": add("路灯", "2026-09-28"),                          # due 9/29: red
        "overdue_urged": add("漏水", "2026-09-28"),                    # red before yellow
        "after_holiday": add("垃圾", "2026-09-30"),                    # due 10/8: blue
        "complex_blue": add("地界", "2026-09-22", complexity="complex"),  # due 10/9: blue
        "later": add("宅基地", "2026-09-30", complexity="complex"),    # due 10/15: no colour
        "unsigned": add("回迁", "2026-09-28", level="township", complexity="complex"),
        "signed": add("物业", "2026-09-28", level="township", complexity="complex"),
        "just_assigned": add("噪声", "2026-09-28", level="township", complexity="complex"),
        "returned": add("养犬", "2026-09-28", level="township", complexity="complex"),
        "extended": add("违建", "2026-09-28", complexity="complex"),
        "suspended": add("婚姻", "2026-09-28"),
        "resolved": add("吵架", "2026-09-28"),
    }
    d.urge(n["overdue_urged"], on="2026-09-30")
    d.supervise(n["overdue"], leader="李副镇长", on="2026-09-30")
    for key, on in (("unsigned", "2026-09-28"), ("signed", "2026-09-28"),
                    ("just_assigned", "2026-09-29"), ("returned", "2026-09-28")):
        d.assign(n[key], unit="镇司法所" if key != "signed" else "镇综治中心", on=on)
    d.receive(n["signed"], on="2026-09-29")
    d.return_(n["returned"], unit="镇司法所", reason="不属本单位", on="2026-09-29")
    d.extend(n["extended"], reason="需协调", approver="分管领导", days=2, on="2026-09-29")
    d.suspend(n["suspended"], reason="等材料", on="2026-09-29")
    d.resolve(n["resolved"], result="调解", on="2026-09-29")
    return L, n


def test_every_live_case_gets_its_colour_by_the_documented_rule() -> None:
    L, n = colour_ledger()
    result = L.demands.colours()
    got = {r["number"]: (r["unit"], r["colour"], r["reason"]) for r in result["demands"]}
    assert got == {
        n["overdue"]: (None, "red", "overdue"),
        n["overdue_urged"]: (None, "red", "overdue"),
        n["after_holiday"]: (None, "blue", "due_soon"),
        n["complex_blue"]: (None, "blue", "due_soon"),
        n["unsigned"]: ("镇司法所", "yellow", "unsigned"),
        n["returned"]: (None, "yellow", "returned"),
        n["extended"]: (None, "yellow", "extended"),
    }
    # By unit (the unassigned last in the list), red first, then by deadline.
    assert [r["number"] for r in result["demands"]] == [
        n["unsigned"], n["overdue"], n["overdue_urged"], n["returned"], n["extended"],
        n["after_holiday"], n["complex_blue"]]
    assert result["by_unit"] == [{"name": None, "red": 2, "yellow": 2, "blue": 2},
                                 {"name": "镇司法所", "red": 0, "yellow": 1, "blue": 0}]
    assert next(r for r in result["demands"] if r["number"] == n["overdue"])["supervisor"] == "李副镇长"
    assert [r["number"] for r in L.demands.colours("镇司法所")["demands"]] == [n["unsigned"]]


def test_the_colour_settings_move_the_lines() -> None:
    L, n = colour_ledger()
    L.db["settings"].upsert({"key": "supervise.blue_working_days", "value": "1"}, pk="key")
    L.db["settings"].upsert({"key": "receive.working_days", "value": "2"}, pk="key")
    colours = {r["number"]: r["colour"] for r in L.demands.colours()["demands"]}
    assert colours.get(n["after_holiday"]) == "blue" and n["complex_blue"] not in colours
    assert n["unsigned"] not in colours  # two working days to sign for: until 9/30


def test_supervise_is_a_step_of_its_own(ledger: Ledger) -> None:
    n = ledger.demands.add("屋顶漏水", village="东坪村")
    ledger.demands.take_charge(n, leader="镇党委书记")
    d = ledger.demands.supervise(n, leader="李副镇长")
    assert (d["leader"], d["supervisor"], d["supervised_on"]) == ("镇党委书记", "李副镇长", "2026-11-17")
    with pytest.raises(Refused) as e:
        ledger.demands.supervise(n, leader="李副镇长")
    assert e.value.key == "step.supervise.already"
    assert ledger.demands.disagreements(n) == []


def test_supervise_cli_json_keys(cli: Cli) -> None:
    cli("issue", "add", "路灯", "--village", "东坪村", "--date", "2026-11-12")   # overdue: red
    cli("issue", "add", "水管", "--village", "东坪村", "--date", "2026-11-16")   # due today: blue
    assert cli("issue", "supervise", "1", "--leader", "李副镇长").exit_code == 0
    r = cli("supervise", "--format", "json")
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert [(x["number"], x["unit"], x["colour"], x["reason"], x["supervisor"])
            for x in out["demands"]] == [("2026-000001", None, "red", "overdue", "李副镇长"),
                                          ("2026-000002", None, "blue", "due_soon", None)]
    assert out["by_unit"] == [{"name": None, "red": 1, "yellow": 0, "blue": 1}]
    r = cli("supervise")
    assert r.exit_code == 0 and "红" in r.output and "李副镇长" in r.output
    assert cli("supervise", "--unit", "没有的单位").exit_code == 2
    before = cli.digest()
    r = cli("issue", "supervise", "1", "--leader", "李副镇长")
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1 and cli.digest() == before


# --- the report card's supervision rates ------------------------------------------------------

def rates_ledger() -> Ledger:
    """Four township demands received before the National Day holiday, handled across it."""
    L = township("2026-10-09")
    d = L.demands
    a, b, c, e = (d.add(t, village="东坪村", on="2026-09-28", level="township")
                  for t in ("桥", "路", "灯", "渠"))
    d.assign(a, unit="镇司法所", on="2026-09-28")
    d.return_(a, unit="镇司法所", reason="不属本单位", on="2026-09-29")
    d.assign(a, unit="镇综治中心", on="2026-09-30")           # returned by 司法所, led by 综治
    d.assign(b, unit="镇司法所", on="2026-09-28")
    d.resolve(b, result="修好", on="2026-09-30")
    d.follow_up(b, satisfaction="不满意", reopen=True, on="2026-10-08")   # reopened
    d.urge(b, on="2026-10-08")
    d.urge(b, on="2026-10-09")
    d.assign(c, unit="镇司法所", on="2026-09-28")
    d.resolve(c, result="换了灯泡", on="2026-09-29")
    d.assign(e, unit="镇综治中心", on="2026-09-28")
    d.return_(e, unit="镇综治中心", reason="需先勘查", on="2026-09-29")
    d.assign(e, unit="镇综治中心", on="2026-09-30")           # returned and led again by 综治
    return L


def test_return_and_reopen_rates_and_urges_in_the_report_card() -> None:
    L = rates_ledger()
    card = L.reports.card("unit")
    got = {r["name"]: (r["return_rate"], r["reopen_rate"], r["urges"]) for r in card["rows"]}
    assert got == {"镇司法所": (0.3333, 0.5, 2), "镇综治中心": (0.5, None, 0)}
    assert (card["total"]["return_rate"], card["total"]["reopen_rate"],
            card["total"]["urges"]) == (0.4, 0.5, 2)
    village = L.reports.card("village")["rows"][0]
    assert (village["name"], village["return_rate"], village["reopen_rate"], village["urges"]) \
        == ("东坪村", 0.5, 0.5, 2)


def test_the_new_rates_weigh_nothing_until_a_township_says_so() -> None:
    L = rates_ledger()
    before = {r["name"]: r["score"] for r in L.reports.card("unit")["rows"]}
    s = L.reports.settings()
    for r in L.reports.card("unit")["rows"]:
        parts = {"response_rate": s["weight.response"], "resolution_rate": s["weight.resolution"],
                 "satisfaction_rate": s["weight.satisfaction"]}
        present = {k: w for k, w in parts.items() if r[k] is not None}
        assert r["score"] == round(100 * sum(r[k] * w for k, w in present.items())
                                   / sum(present.values()), 1)
    for key in ("weight.response", "weight.resolution", "weight.satisfaction"):
        L.reports.set_setting(key, "0")
    L.reports.set_setting("weight.return", "1")
    after = {r["name"]: r["score"] for r in L.reports.card("unit")["rows"]}
    assert after == {"镇司法所": 66.7, "镇综治中心": 50.0} and after != before


def test_report_cli_carries_the_new_rates(cli: Cli) -> None:
    cli("issue", "add", "桥", "--village", "东坪村", "--level", "镇级", "--date", "2026-11-16")
    cli("issue", "assign", "1", "--unit", "镇司法所", "--date", "2026-11-16")
    cli("issue", "urge", "1")
    r = cli("report", "--format", "json")
    row = json.loads(r.stdout)["rows"][0]
    assert (row["return_rate"], row["reopen_rate"], row["urges"]) == (0.0, None, 1)
    assert "return_rate,reopen_rate,urges" in cli("report", "--format", "csv").stdout
    assert "回退率" in cli("--wide", "report").stdout
