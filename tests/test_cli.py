"""The `ledger` command line, used the way a township clerk uses it.

Each test sets the ledger up through the domain (the fixtures and ``Ledger`` calls), acts
through the CLI, and checks the result through the domain again: the stored state of a
demand, its journal, and that the two agree (``disagreements(N) == []``). Output is checked
only for exact exit codes and the words a clerk reads (messages, numbers, labels), never
for table borders.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

import ledger as ledger_package
from ledger.services import Ledger
from ledger.services import open_ledger
from ledger.store.migrations import DEFAULT_CHANNELS, DEFAULT_TYPES

N1 = "2026-000001"
# The fixture's two ID numbers (conftest ID_1 is 张秀兰's, ID_2 is 王芳/西岭村's) and a third.
ID_1 = "11010519491231002X"
ID_2 = "110101199003071014"
ID_3 = "41010219800101123X"


# --- helpers -----------------------------------------------------------------------------

def out(r: Any) -> str:
    """stdout and stderr together, whether or not this CliRunner mixes them."""
    text = r.output or ""
    try:
        err = r.stderr or ""
    except ValueError:  # older click: stderr not captured separately
        err = ""
    if err and err not in text:
        text += err
    return text


def run(cli: Any, *args: str, code: int = 0, **kw: Any) -> str:
    """Run one command, insist on its exit code, return what it printed."""
    r = cli(*args, **kw)
    text = out(r)
    assert r.exit_code == code, f"exit {r.exit_code}, expected {code}; output:\n{text}"
    assert "Traceback" not in text
    return text


def refused(cli: Any, *args: str, code: int, **kw: Any) -> str:
    """A command that must fail: exact exit code, one error line, the file untouched."""
    before = cli.digest()
    text = run(cli, *args, code=code, **kw)
    assert cli.digest() == before, "a refused command changed the ledger file"
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line message, got:\n{text}"
    assert lines[0].startswith(("错误:", "error: ")), lines[0]
    return text


def with_ledger(cli: Any, fn: Callable[[Ledger], Any]) -> Any:
    """Do something through the domain on the test's ledger file, then close it."""
    ledger = cli.ledger()
    try:
        return fn(ledger)
    finally:
        ledger.db.close()


def demand(cli: Any, number: str = N1) -> dict[str, Any]:
    """The demand as the domain sees it, after checking its row agrees with its journal."""

    def read(ledger: Ledger) -> dict[str, Any]:
        assert ledger.demands.disagreements(number) == []
        return ledger.demands.show(number)

    return with_ledger(cli, read)


def actions(d: dict[str, Any]) -> list[str]:
    return [e["action"] for e in d["events"]]


def new_demand(cli: Any, text: str = "三组路灯不亮,夜里出行不便", village: str = "东坪村",
               on: str = "2026-11-10", **kw: Any) -> str:
    """Accept a demand through the domain (set-up, not the thing under test)."""
    return with_ledger(cli, lambda L: L.demands.add(text, village=village, on=on, **kw))


_NUMBER = re.compile(r"(?<!\d)\d{4}-\d{6}(?!\d)")


def numbers_in(text: str) -> list[str]:
    return _NUMBER.findall(text)


def history_steps(text: str, title: str = "办理记录") -> list[str]:
    """The step labels of `issue show`'s history, in order (the word after each date)."""
    history = text.split(title, 1)[1]
    return [line.split()[1] for line in history.splitlines()
            if re.match(r"\s*\d{4}-\d{2}-\d{2}\s", line)]


def resident_id(cli: Any, ref: str) -> int:
    return with_ledger(cli, lambda L: L.residents.get(ref)["id"])


# --- 1. a demand's life, step by step ------------------------------------------------------

def test_issue_add_records_everything_the_clerk_typed(cli):
    text = run(cli, "issue", "add", "三组路灯不亮,夜里出行不便", "--village", "东坪村",
               "--resident", "张秀兰", "--category", "基础设施", "--complex",
               "--channel", "12345热线", "--type", "求助", "--date", "2026-11-10")
    assert "已受理诉求 2026-000001" in text
    d = demand(cli, N1)
    assert {k: d[k] for k in ("text", "village", "resident", "category", "complexity",
                              "channel", "type", "received_on", "status", "level", "unit")} == {
        "text": "三组路灯不亮,夜里出行不便", "village": "东坪村", "resident": "张秀兰",
        "category": "基础设施", "complexity": "complex", "channel": "12345热线", "type": "求助",
        "received_on": "2026-11-10", "status": "open", "level": "village", "unit": None,
    }
    assert actions(d) == ["accept"]


def test_issue_add_without_options_is_a_general_village_demand_received_today(cli):
    run(cli, "issue", "add", "河边护栏松动", "--village", "河口社区")
    d = demand(cli, N1)
    assert (d["complexity"], d["level"], d["status"], d["received_on"], d["resident"],
            d["category"]) == ("general", "village", "open", "2026-11-17", None, None)


def test_issue_add_takes_the_residents_village_when_no_village_is_given(cli):
    run(cli, "issue", "add", "低保复核", "--resident", "王芳/西岭村")
    d = demand(cli, N1)
    assert (d["village"], d["resident"]) == ("西岭村", "王芳")


def test_demand_numbers_run_on_within_the_year_of_receipt(cli):
    first = run(cli, "issue", "add", "路灯", "--village", "东坪村", "--date", "2026-11-02")
    second = run(cli, "issue", "add", "水渠", "--village", "西岭村", "--date", "2026-11-03")
    old = run(cli, "issue", "add", "去年的旧账", "--village", "西岭村", "--date", "2025-12-30")
    assert (numbers_in(first), numbers_in(second), numbers_in(old)) == (
        ["2026-000001"], ["2026-000002"], ["2025-000001"])
    assert demand(cli, "2025-000001")["received_on"] == "2025-12-30"


def test_visit_log_records_one_visit_with_its_cadres_and_numbers_each_demand(cli):
    text = run(cli, "visit", "log", "--resident", "王芳/西岭村", "--cadre", "王建国",
               "--cadre", "李梅", "--channel", "在村接访", "--date", "2026-11-17",
               "--note", "入户了解家庭情况", "--issue", "村道坑洼", "--issue", "低保复核",
               "--issue", "夜间噪声", "--category", "基础设施")
    assert "已记录走访 #1" in text
    assert numbers_in(text) == ["2026-000001", "2026-000002", "2026-000003"]
    visits = with_ledger(cli, lambda L: L.visits.list())
    assert len(visits) == 1
    v = visits[0]
    assert (v["visited_on"], v["village"], v["resident"], v["channel"], v["demands"]) == (
        "2026-11-17", "西岭村", "王芳", "在村接访", 3)
    assert sorted(v["cadres"].split("、")) == sorted(["王建国", "李梅"])
    for number, text_ in zip(numbers_in(text), ["村道坑洼", "低保复核", "夜间噪声"]):
        d = demand(cli, number)
        assert (d["text"], d["visit_id"], d["village"], d["category"], d["received_on"],
                d["channel"], d["status"]) == (
            text_, v["id"], "西岭村", "基础设施", "2026-11-17", "在村接访", "open")


def test_visit_log_without_demands_records_the_visit_only(cli):
    text = run(cli, "visit", "log", "--village", "河口社区", "--cadre", "王建国")
    assert "已记录走访 #1" in text
    assert numbers_in(text) == []
    visits = with_ledger(cli, lambda L: L.visits.list())
    assert [(v["village"], v["channel"], v["demands"]) for v in visits] == [
        ("河口社区", "入户走访", 0)]
    assert with_ledger(cli, lambda L: L.demands.list()) == []


def test_visit_log_complex_marks_every_demand_complex(cli):
    text = run(cli, "visit", "log", "--village", "东坪村", "--complex",
               "--issue", "宅基地地界争议", "--issue", "回迁安置款")
    assert [demand(cli, n)["complexity"] for n in numbers_in(text)] == ["complex", "complex"]


def test_classify_sets_category_difficulty_and_type_and_keeps_the_old_values(cli):
    n = new_demand(cli, category="邻里纠纷")
    text = run(cli, "issue", "classify", n, "--category", "宅基地地界", "--complex",
               "--type", "投诉", "--date", "2026-11-11")
    assert "分类完成" in text
    d = demand(cli, n)
    assert (d["category"], d["complexity"], d["type"]) == ("宅基地地界", "complex", "投诉")
    last = d["events"][-1]
    assert (last["action"], last["on"]) == ("classify", "2026-11-11")
    assert last["data"]["before"] == {"category": "邻里纠纷", "complexity": "general", "type": None}

    run(cli, "issue", "classify", n, "--general", "--date", "2026-11-12")
    d = demand(cli, n)
    assert (d["category"], d["complexity"], d["type"]) == ("宅基地地界", "general", "投诉")


def test_classify_to_what_it_already_is_changes_nothing(cli):
    n = new_demand(cli, category="邻里纠纷")
    text = refused(cli, "issue", "classify", n, "--category", "邻里纠纷", "--general", code=2)
    assert "没有要改动的内容" in text
    assert actions(demand(cli, n)) == ["accept"]


def test_correct_replaces_the_text_and_keeps_the_original_in_the_journal(cli):
    n = new_demand(cli, text="三组路灯不两")
    run(cli, "issue", "correct", n, "--text", "三组路灯不亮", "--reason", "录入错字",
        "--date", "2026-11-11")
    d = demand(cli, n)
    assert d["text"] == "三组路灯不亮"
    last = d["events"][-1]
    assert (last["action"], last["reason"]) == ("correct", "录入错字")
    assert last["data"] == {"text": "三组路灯不亮", "before": "三组路灯不两"}
    assert d["events"][0]["data"]["text"] == "三组路灯不两"


def test_settle_on_the_spot_resolves_a_village_demand(cli):
    n = new_demand(cli)
    text = run(cli, "issue", "settle", n, "--result", "当场联系电工修复", "--feedback", "群众认可",
               "--date", "2026-11-10")
    assert "当场解决完成" in text
    d = demand(cli, n)
    assert (d["status"], d["level"], d["settled_on_spot"], d["result"], d["feedback"],
            d["resolved_on"]) == ("resolved", "village", 1, "当场联系电工修复", "群众认可",
                                  "2026-11-10")


def test_settle_after_escalation_is_refused_and_points_to_resolve(cli):
    n = new_demand(cli)
    with_ledger(cli, lambda L: L.demands.escalate(n, reason="村里修不了", on="2026-11-11"))
    text = refused(cli, "issue", "settle", n, "--result", "修好了", code=1)
    assert "resolve" in text
    assert demand(cli, n)["status"] == "open"


def test_escalate_goes_village_then_township_then_county_and_no_further(cli):
    n = new_demand(cli)
    text = run(cli, "issue", "escalate", n, "--reason", "村两委调解两次未果", "--date", "2026-11-11")
    assert "上报完成,当前办理中(镇级)" in text
    assert demand(cli, n)["level"] == "township"

    text = run(cli, "issue", "escalate", n, "--reason", "涉及县级审批", "--date", "2026-11-12")
    assert "当前办理中(县级)" in text
    assert demand(cli, n)["level"] == "county"

    text = refused(cli, "issue", "escalate", n, "--reason", "再往上报", "--date", "2026-11-13",
                   code=1)
    assert "已在县级" in text
    d = demand(cli, n)
    assert (d["level"], d["status"], d["escalations"]) == ("county", "open", 2)
    assert [e["reason"] for e in d["events"] if e["action"] == "escalate"] == [
        "村两委调解两次未果", "涉及县级审批"]


def test_escalate_clears_the_lower_levels_assignment(cli):
    n = new_demand(cli)
    with_ledger(cli, lambda L: L.demands.assign(n, unit="东坪村委会", handler="村支书", on="2026-11-10"))
    run(cli, "issue", "escalate", n, "--reason", "村里协调不了", "--date", "2026-11-11")
    d = demand(cli, n)
    assert (d["level"], d["unit"], d["handler"], d["co_units"]) == ("township", None, None, [])


def test_assign_records_lead_unit_cooperating_units_and_handler(cli):
    n = new_demand(cli, level="county")
    text = run(cli, "issue", "assign", n, "--unit", "县住建局", "--co-unit", "县自然资源局",
               "--co-unit", "镇司法所", "--handler", "赵科长", "--date", "2026-11-11")
    assert "交办完成,当前办理中(县级)" in text
    d = demand(cli, n)
    assert (d["unit"], d["co_units"], d["handler"], d["status"], d["level"]) == (
        "县住建局", ["县自然资源局", "镇司法所"], "赵科长", "open", "county")
    assert d["events"][-1]["data"]["lead_unit"] == "县住建局"


@pytest.mark.parametrize("units, named", [
    (["--unit", "县住建局"], "县住建局"),
    (["--unit", "东坪村委会", "--co-unit", "县自然资源局"], "县自然资源局"),
    (["--unit", "镇司法所"], "镇司法所"),
], ids=["county-lead", "county-cooperating", "township-lead"])
def test_assign_to_a_unit_above_the_demands_level_is_refused_until_escalated(cli, units, named):
    n = new_demand(cli)  # a village-level demand
    text = refused(cli, "issue", "assign", n, *units, code=1)
    assert "上报" in text and named in text and "村级" in text
    d = demand(cli, n)
    assert (d["unit"], d["co_units"], actions(d)) == (None, [], ["accept"])


def test_whistle_summons_units_and_report_in_records_each_arrival(cli):
    n = new_demand(cli, level="township")
    text = run(cli, "issue", "whistle", n, "--unit", "镇司法所", "--unit", "县住建局",
               "--reason", "多部门会商", "--date", "2026-11-11")
    assert "吹哨完成" in text
    assert demand(cli, n)["summoned"] == [("镇司法所", None), ("县住建局", None)]

    run(cli, "issue", "report-in", n, "--unit", "县住建局", "--date", "2026-11-12")
    d = demand(cli, n)
    assert d["summoned"] == [("镇司法所", None), ("县住建局", "2026-11-12")]
    assert actions(d) == ["accept", "whistle", "report_in"]


@pytest.mark.parametrize("unit, needle", [
    ("镇综治中心", "没有被吹哨召集"),
    ("县住建局", "已于 2026-11-12 报到"),
], ids=["not-summoned", "already-reported"])
def test_report_in_is_refused_for_a_unit_not_waiting_to_report(cli, unit, needle):
    n = new_demand(cli, level="township")
    with_ledger(cli, lambda L: (L.demands.whistle(n, units=["县住建局"], on="2026-11-11"),
                                L.demands.report_in(n, unit="县住建局", on="2026-11-12")))
    text = refused(cli, "issue", "report-in", n, "--unit", unit, code=1)
    assert needle in text


def test_whistling_the_same_units_again_is_refused(cli):
    n = new_demand(cli)
    with_ledger(cli, lambda L: L.demands.whistle(n, units=["镇司法所"], on="2026-11-11"))
    refused(cli, "issue", "whistle", n, "--unit", "镇司法所", code=1)
    assert demand(cli, n)["summoned"] == [("镇司法所", None)]


def test_take_charge_records_the_leader(cli):
    n = new_demand(cli, complexity="complex")
    text = run(cli, "issue", "take-charge", n, "--leader", "镇党委书记周强", "--date", "2026-11-11")
    assert "包案完成" in text
    d = demand(cli, n)
    assert (d["leader"], d["status"], actions(d)) == ("镇党委书记周强", "open",
                                                      ["accept", "take_charge"])


def _assigned_to_county(cli: Any) -> str:
    n = new_demand(cli, level="county")
    with_ledger(cli, lambda L: L.demands.assign(n, unit="县住建局", co_units=["县自然资源局"],
                                        handler="赵科长", on="2026-11-11"))
    return n


def test_return_by_the_lead_unit_sends_the_case_back_unassigned(cli):
    n = _assigned_to_county(cli)
    text = run(cli, "issue", "return", n, "--unit", "县住建局", "--reason", "属自然资源部门职责",
               "--date", "2026-11-12")
    assert "退回完成" in text
    d = demand(cli, n)
    assert (d["unit"], d["co_units"], d["handler"], d["returns"], d["status"], d["level"]) == (
        None, [], None, 1, "open", "county")
    assert d["events"][-1]["reason"] == "属自然资源部门职责"


@pytest.mark.parametrize("unit", ["县自然资源局", "镇司法所"], ids=["cooperating", "unrelated"])
def test_return_by_a_unit_that_is_not_the_lead_is_refused(cli, unit):
    n = _assigned_to_county(cli)
    text = refused(cli, "issue", "return", n, "--unit", unit, "--reason", "不归我们管", code=1)
    assert "只有牵头单位" in text
    d = demand(cli, n)
    assert (d["unit"], d["returns"]) == ("县住建局", 0)


def test_return_of_an_unassigned_demand_is_refused(cli):
    n = new_demand(cli)
    assert "尚未交办" in refused(cli, "issue", "return", n, "--unit", "东坪村委会",
                                 "--reason", "不是我们的事", code=1)


def test_notify_counts_each_progress_notice(cli):
    n = new_demand(cli)
    run(cli, "issue", "notify", n, "--text", "已联系电工,周四上门", "--date", "2026-11-11")
    run(cli, "issue", "notify", n, "--text", "配件已到", "--date", "2026-11-12")
    d = demand(cli, n)
    assert d["notices"] == 2
    assert [e["data"]["text"] for e in d["events"] if e["action"] == "notify"] == [
        "已联系电工,周四上门", "配件已到"]
    assert "告知内容:配件已到" in run(cli, "issue", "show", n)


# Without --days the length the policy grants is recorded with the step (7 working days for a
# complex demand), so that a later change of policy does not move a deadline already extended.
@pytest.mark.parametrize("days, recorded", [(["--days", "10"], {"days": 10}),
                                            ([], {"days": None, "granted": 7})],
                         ids=["with-days", "without-days"])
def test_extend_records_who_approved_and_why(cli, days, recorded):
    n = new_demand(cli, complexity="complex")
    text = run(cli, "issue", "extend", n, "--reason", "需委托测绘", "--approver", "李局长", *days,
               "--date", "2026-11-12")
    assert "延期完成" in text
    d = demand(cli, n)
    last = d["events"][-1]
    assert (d["extensions"], last["action"], last["reason"], last["data"]) == (
        1, "extend", "需委托测绘", {"approver": "李局长", **recorded})


def test_suspend_pauses_and_resume_counts_the_paused_days(cli):
    n = new_demand(cli)
    text = run(cli, "issue", "suspend", n, "--reason", "等待群众补充材料", "--date", "2026-11-11")
    assert "当前已挂起" in text
    d = demand(cli, n)
    assert (d["status"], d["suspended_since"]) == ("suspended", "2026-11-11")

    run(cli, "issue", "resume", n, "--date", "2026-11-14")
    d = demand(cli, n)
    assert (d["status"], d["suspended_since"], d["suspended_days"]) == ("open", None, 3)


@pytest.mark.parametrize("step, needle", [
    (["resolve", "--result", "已修复"], "resume"),
    (["close"], "不能销号"),
    (["suspend", "--reason", "再挂一次"], "不能挂起"),
    (["escalate", "--reason", "上报"], "不能上报"),
], ids=["resolve", "close", "suspend-again", "escalate"])
def test_a_suspended_demand_refuses_steps_until_resumed(cli, step, needle):
    n = new_demand(cli)
    with_ledger(cli, lambda L: L.demands.suspend(n, reason="等待材料", on="2026-11-11"))
    text = refused(cli, "issue", step[0], n, *step[1:], code=1)
    assert needle in text
    assert demand(cli, n)["status"] == "suspended"


def test_resolve_records_result_feedback_and_date(cli):
    n = _assigned_to_county(cli)
    text = run(cli, "issue", "resolve", n, "--result", "已划定地界并立桩", "--feedback", "电话告知本人",
               "--date", "2026-11-13")
    assert "办结完成,当前已办结(县级)" in text
    d = demand(cli, n)
    assert (d["status"], d["result"], d["feedback"], d["resolved_on"], d["unit"]) == (
        "resolved", "已划定地界并立桩", "电话告知本人", "2026-11-13", "县住建局")


def _resolved(cli: Any, on: str = "2026-11-12") -> str:
    n = new_demand(cli)
    with_ledger(cli, lambda L: L.demands.resolve(n, result="已修复", on=on))
    return n


@pytest.mark.parametrize("typed, stored", [
    ("满意", "satisfied"), ("基本满意", "basically_satisfied"), ("不满意", "dissatisfied"),
])
def test_follow_up_records_the_residents_satisfaction(cli, typed, stored):
    n = _resolved(cli)
    text = run(cli, "issue", "follow-up", n, "--satisfaction", typed, "--note", "电话回访",
               "--date", "2026-11-13")
    assert "回访完成,当前已办结" in text
    d = demand(cli, n)
    assert (d["status"], d["satisfaction"], d["events"][-1]["on"]) == (
        "resolved", stored, "2026-11-13")


def test_dissatisfied_follow_up_with_reopen_puts_the_demand_back_to_open(cli):
    n = _resolved(cli)
    text = run(cli, "issue", "follow-up", n, "--satisfaction", "不满意", "--reopen",
               "--date", "2026-11-13")
    assert "当前办理中" in text
    d = demand(cli, n)
    assert (d["status"], d["satisfaction"], d["resolved_on"], d["result"], d["reopen_count"]) == (
        "open", None, None, None, 1)
    last = d["events"][-1]
    assert (last["action"], last["data"]["satisfaction"], last["data"]["reopen"]) == (
        "follow_up", "dissatisfied", True)


def test_satisfied_follow_up_cannot_reopen(cli):
    n = _resolved(cli)
    assert "不满意" in refused(cli, "issue", "follow-up", n, "--satisfaction", "满意", "--reopen",
                               code=1)
    d = demand(cli, n)
    assert (d["status"], d["satisfaction"]) == ("resolved", None)


def test_follow_up_of_an_unresolved_demand_is_refused(cli):
    n = new_demand(cli)
    assert "尚未办结" in refused(cli, "issue", "follow-up", n, "--satisfaction", "满意", code=1)


@pytest.mark.parametrize("prepare, needle", [
    (lambda L, n: None, "尚未办结"),
    (lambda L, n: L.demands.resolve(n, result="已修复", on="2026-11-12"), "还没有回访"),
    (lambda L, n: (L.demands.resolve(n, result="已修复", on="2026-11-12"),
                   L.demands.follow_up(n, satisfaction="不满意", on="2026-11-13")), "--reason"),
], ids=["before-resolve", "before-follow-up", "dissatisfied-without-reason"])
def test_close_is_refused_until_the_loop_is_closed(cli, prepare, needle):
    n = new_demand(cli)
    with_ledger(cli, lambda L: prepare(L, n))
    status = demand(cli, n)["status"]
    text = refused(cli, "issue", "close", n, code=1)
    assert needle in text
    d = demand(cli, n)
    assert (d["status"], d["closed_on"]) == (status, None)


def test_close_after_a_satisfied_follow_up(cli):
    n = _resolved(cli)
    with_ledger(cli, lambda L: L.demands.follow_up(n, satisfaction="满意", on="2026-11-13"))
    text = run(cli, "issue", "close", n, "--date", "2026-11-14")
    assert "销号完成,当前已销号" in text
    d = demand(cli, n)
    assert (d["status"], d["closed_on"], d["satisfaction"]) == ("closed", "2026-11-14", "satisfied")


def test_close_after_dissatisfied_follow_up_is_allowed_with_a_reason(cli):
    n = _resolved(cli)
    with_ledger(cli, lambda L: L.demands.follow_up(n, satisfaction="不满意", on="2026-11-13"))
    run(cli, "issue", "close", n, "--reason", "诉求超出政策范围,已解释", "--date", "2026-11-14")
    d = demand(cli, n)
    assert (d["status"], d["closed_on"], d["satisfaction"]) == ("closed", "2026-11-14",
                                                                "dissatisfied")
    assert d["events"][-1]["reason"] == "诉求超出政策范围,已解释"


def test_reopen_a_closed_demand_needs_a_new_resolution_and_follow_up(cli):
    n = _resolved(cli)
    with_ledger(cli, lambda L: (L.demands.follow_up(n, satisfaction="满意", on="2026-11-13"),
                                L.demands.close(n, on="2026-11-14")))
    text = run(cli, "issue", "reopen", n, "--reason", "群众再次反映路灯不亮", "--date", "2026-11-16")
    assert "重新办理完成,当前办理中" in text
    d = demand(cli, n)
    assert (d["status"], d["closed_on"], d["resolved_on"], d["satisfaction"], d["reopen_count"]) == (
        "open", None, None, None, 1)
    refused(cli, "issue", "close", n, code=1)


def test_reopen_of_an_open_demand_is_refused(cli):
    n = new_demand(cli)
    assert "无需重新办理" in refused(cli, "issue", "reopen", n, "--reason", "再办", code=1)


def test_issue_show_lists_the_history_in_chinese_step_labels_in_order(cli):
    n = new_demand(cli)
    with_ledger(cli, lambda L: (
        L.demands.assign(n, unit="东坪村委会", handler="村支书", on="2026-11-10"),
        L.demands.resolve(n, result="更换灯泡", feedback="当面告知", on="2026-11-12"),
        L.demands.follow_up(n, satisfaction="满意", on="2026-11-13"),
        L.demands.close(n, on="2026-11-14"),
    ))
    text = run(cli, "issue", "show", n)
    assert history_steps(text) == ["受理", "交办", "办结", "回访", "销号"]
    for word in ("2026-000001", "三组路灯不亮", "已销号", "东坪村委会", "更换灯泡", "满意"):
        assert word in text


def test_brackets_in_a_clerks_text_are_shown_as_typed(cli):
    n = new_demand(cli, text="[bold]村口[/bold]路灯[red]不亮")
    for command in (["issue", "show", n], ["issue", "list"]):
        assert "[bold]村口[/bold]路灯[red]不亮" in run(cli, *command)


def test_issue_show_accepts_short_numbers(cli):
    new_demand(cli)
    for ref in ("1", "2026-1", "2026-000001"):
        assert "2026-000001" in run(cli, "issue", "show", ref)


def test_a_short_number_matching_two_years_must_be_written_in_full(cli):
    new_demand(cli, on="2025-12-30")
    new_demand(cli, on="2026-01-05")
    text = refused(cli, "issue", "show", "1", code=2)
    assert "2025-000001" in text and "2026-000001" in text


# --- 1b. the demand ledger and its filters ---------------------------------------------------

@pytest.fixture
def five_demands(cli):
    """Five demands in different villages, categories, units, levels, states and dates."""

    def build(L: Ledger) -> None:
        a = L.demands.add("邻居堆放杂物", village="东坪村", resident="张秀兰", category="邻里纠纷",
                         on="2026-11-02")
        L.demands.assign(a, unit="东坪村委会", on="2026-11-02")
        b = L.demands.add("村道塌陷", village="西岭村", resident="王芳/西岭村", category="基础设施",
                         on="2026-11-05")
        L.demands.escalate(b, reason="村里无力修复", on="2026-11-06")
        L.demands.assign(b, unit="镇综治中心", co_units=["镇司法所"], on="2026-11-06")
        c = L.demands.add("电梯停用", village="河口社区", category="物业", on="2026-11-10")
        L.demands.resolve(c, result="物业已修复", on="2026-11-11")
        d = L.demands.add("水管漏水", village="东坪村", resident="王芳/东坪村", category="基础设施",
                         on="2026-11-12")
        L.demands.suspend(d, reason="等待群众在家", on="2026-11-13")
        e = L.demands.add("狗吠扰民", village="西岭村", category="邻里纠纷", on="2026-11-17")
        L.demands.settle(e, result="当场调解", on="2026-11-17")
        L.demands.follow_up(e, satisfaction="满意", on="2026-11-17")
        L.demands.close(e, on="2026-11-17")

    with_ledger(cli, build)


A, B, C, D, E = (f"2026-00000{i}" for i in range(1, 6))


@pytest.mark.parametrize("filters, expected", [
    ([], [A, B, C, D, E]),
    (["--status", "open"], [A, B]),
    (["--status", "已挂起"], [D]),
    (["--status", "resolved"], [C]),
    (["--status", "已销号"], [E]),
    (["--village", "东坪村"], [A, D]),
    (["--village", "河口社区"], [C]),
    (["--category", "基础设施"], [B, D]),
    (["--category", "邻里纠纷"], [A, E]),
    (["--unit", "东坪村委会"], [A]),
    (["--unit", "镇综治中心"], [B]),
    (["--unit", "镇司法所"], [B]),
    (["--level", "township"], [B]),
    (["--level", "村级"], [A, C, D, E]),
    (["--resident", "张秀兰"], [A]),
    (["--resident", "王芳/西岭村"], [B]),
    (["--resident", "王芳/东坪村"], [D]),
    (["--from", "2026-11-05"], [B, C, D, E]),
    (["--to", "2026-11-05"], [A, B]),
    (["--from", "2026-11-05", "--to", "2026-11-10"], [B, C]),
    (["--village", "东坪村", "--status", "open"], [A]),
    (["--category", "基础设施", "--level", "village"], [D]),
], ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0].startswith("-") else None)
def test_issue_list_shows_exactly_the_matching_demands(cli, five_demands, filters, expected):
    text = run(cli, "issue", "list", *filters)
    assert numbers_in(text) == expected
    assert f"共 {len(expected)} 条" in text


@pytest.mark.parametrize("filters", [
    ["--unit", "县住建局"], ["--from", "2026-11-16", "--to", "2026-11-16"], ["--level", "county"],
])
def test_issue_list_with_no_match_says_none(cli, five_demands, filters):
    text = run(cli, "issue", "list", *filters)
    assert numbers_in(text) == []
    assert "(无)" in text


def test_issue_list_limit_keeps_the_oldest(cli, five_demands):
    assert numbers_in(run(cli, "issue", "list", "--limit", "2")) == [A, B]


# --- 2. registers ----------------------------------------------------------------------------

@pytest.mark.parametrize("group, args, name, read, expected", [
    ("township", ["白马镇"], "白马镇",
     lambda L: [r["name"] for r in L.registers.listing("township")], ["青石镇", "白马镇"]),
    ("village", ["北山村"], "北山村",
     lambda L: [(r["name"], r["township"], r["kind"]) for r in L.registers.listing("village")][-1],
     ("北山村", "青石镇", "村")),
    ("village", ["南湖社区", "--township", "青石镇", "--kind", "社区"], "南湖社区",
     lambda L: [(r["name"], r["township"], r["kind"]) for r in L.registers.listing("village")][-1],
     ("南湖社区", "青石镇", "社区")),
    ("unit", ["县民政局", "--level", "county"], "县民政局",
     lambda L: [(r["name"], r["level"]) for r in L.registers.listing("unit")][-1], ("县民政局", "county")),
    ("cadre", ["赵敏", "--unit", "镇司法所", "--phone", "13700001234"], "赵敏",
     lambda L: (L.registers.cadre("赵敏")["phone"], [r["unit"] for r in L.registers.listing("cadre")][-1]),
     ("13700001234", "镇司法所")),
    ("category", ["山林权属"], "山林权属", lambda L: L.registers.terms("category")[-1], "山林权属"),
    ("channel", ["村民微信群"], "村民微信群", lambda L: L.registers.terms("channel")[-1], "村民微信群"),
    ("type", ["意见征集"], "意见征集", lambda L: L.registers.terms("type")[-1], "意见征集"),
], ids=["township", "village", "community", "unit", "cadre", "category", "channel", "type"])
def test_register_add_is_stored_and_listed(cli, group, args, name, read, expected):
    assert "已新增" in run(cli, group, "add", *args)
    assert with_ledger(cli, read) == expected
    assert name in run(cli, group, "list")


def test_village_grid_adds_a_grid_a_resident_can_be_placed_in(cli):
    run(cli, "village", "grid", "西岭村", "二组")
    run(cli, "resident", "add", "孙强", "--village", "西岭村", "--grid", "二组")
    r = with_ledger(cli, lambda L: L.residents.get("孙强"))
    assert (r["village"], r["grid"]) == ("西岭村", "二组")


@pytest.mark.parametrize("typed, stored, shown", [
    ("县级", "county", "县级"), ("county", "county", "县级"), ("区", "county", "县级"),
    ("镇级", "township", "镇级"), ("村级", "village", "村级"), (None, "township", "镇级"),
])
def test_unit_level_is_stored_in_english_and_listed_in_chinese(cli, typed, stored, shown):
    level = ["--level", typed] if typed else []
    run(cli, "unit", "add", "县民政局", *level)
    assert with_ledger(cli, lambda L: L.registers.unit("县民政局")["level"]) == stored
    row = [line for line in run(cli, "unit", "list").splitlines() if "县民政局" in line]
    assert len(row) == 1 and shown in row[0]


@pytest.mark.parametrize("args, name", [
    (["township", "add", "青石镇"], "青石镇"),
    (["village", "add", "东坪村"], "东坪村"),
    (["village", "grid", "东坪村", "一组"], "一组"),
    (["unit", "add", "镇司法所", "--level", "township"], "镇司法所"),
    (["cadre", "add", "王建国"], "王建国"),
    (["category", "add", "邻里纠纷"], "邻里纠纷"),
    (["channel", "add", "入户走访"], "入户走访"),
    (["type", "add", "咨询"], "咨询"),
    (["resident", "add", "赵六", "--village", "东坪村", "--id-number", ID_1], "张秀兰"),
], ids=["township", "village", "grid", "unit", "cadre", "category", "channel", "type",
        "resident-id-number"])
def test_duplicates_are_refused(cli, args, name):
    text = refused(cli, *args, code=1)
    assert name in text
    assert "已经存在" in text or "已登记" in text


def test_village_add_with_an_unknown_township_is_a_usage_error(cli):
    text = refused(cli, "village", "add", "北山村", "--township", "白马镇", code=2)
    assert "白马镇" in text and "青石镇" in text


def test_with_two_townships_a_village_must_say_which(cli):
    with_ledger(cli, lambda L: L.registers.add_township("白马镇"))
    assert "--township" in refused(cli, "village", "add", "北山村", code=2)
    run(cli, "village", "add", "北山村", "--township", "白马镇")
    assert with_ledger(cli, lambda L: L.registers.village("北山村")["township"]) == "白马镇"


def test_same_village_name_in_two_townships_is_named_township_slash_village(cli):
    with_ledger(cli, lambda L: (L.registers.add_township("白马镇"), L.registers.add_village("东坪村", "白马镇")))
    text = refused(cli, "issue", "add", "路灯", "--village", "东坪村", code=2)
    assert "青石镇/东坪村" in text and "白马镇/东坪村" in text
    run(cli, "issue", "add", "路灯", "--village", "白马镇/东坪村")
    vid = with_ledger(cli, lambda L: L.registers.village("白马镇/东坪村")["id"])
    assert with_ledger(cli, lambda L: L.demands.row(N1)["village_id"]) == vid


# --- 3. residents: one ledger page each -------------------------------------------------------

def test_resident_add_stores_phone_id_number_and_tags(cli):
    text = run(cli, "resident", "add", "赵德明", "--village", "河口社区", "--phone", "138-0013-8000",
               "--id-number", ID_3.lower(), "--tag", "困难群体", "--tag", "独居老人",
               "--address", "河口社区5栋2单元", "--note", "腿脚不便")
    rid = resident_id(cli, "赵德明")
    assert f"#{rid} 赵德明" in text
    page = with_ledger(cli, lambda L: L.residents.page("赵德明"))
    r = page["resident"]
    assert (r["village"], r["phone"], r["id_number"], r["address"], r["note"]) == (
        "河口社区", "13800138000", ID_3, "河口社区5栋2单元", "腿脚不便")
    assert sorted(page["tags"]) == sorted(["困难群体", "独居老人"])


@pytest.mark.parametrize("ref", [
    "张秀兰", "张秀兰/东坪村", ID_1, ID_1.lower(), "13812345678",
], ids=["name", "name/village", "id-number", "id-number-lower-x", "phone"])
def test_resident_show_finds_one_page_by_any_reference(cli, ref):
    new_demand(cli, resident="张秀兰")
    text = run(cli, "resident", "show", ref)
    assert "张秀兰" in text and "东坪村" in text and "独居老人" in text
    assert numbers_in(text) == [N1]


def test_resident_show_by_ledger_number(cli):
    rid = resident_id(cli, "王芳/西岭村")
    text = run(cli, "resident", "show", f"#{rid}")
    assert "王芳" in text and "西岭村" in text and "139****2222" in text


def test_a_shared_name_is_refused_and_both_people_are_offered(cli):
    east, west = resident_id(cli, "王芳/东坪村"), resident_id(cli, "王芳/西岭村")
    text = refused(cli, "resident", "show", "王芳", code=2)
    assert f"#{east} 王芳(东坪村" in text and f"#{west} 王芳(西岭村" in text


@pytest.mark.parametrize("ref", ["王芳/西岭村", ID_2], ids=["name/village", "id-number"])
def test_name_slash_village_or_id_number_picks_the_right_namesake(cli, ref):
    text = run(cli, "resident", "show", ref)
    assert "西岭村" in text and "139****2222" in text and "110101********1014" in text
    assert "1111" not in text and "东坪村" not in text


def test_resident_show_masks_phone_and_id_number_by_default(cli):
    text = run(cli, "resident", "show", "张秀兰")
    assert "138****5678" in text and "110105********002X" in text
    assert "13812345678" not in text and ID_1 not in text


def test_resident_show_unmask_shows_them_in_full(cli):
    text = run(cli, "resident", "show", "张秀兰", "--unmask")
    assert "13812345678" in text and ID_1 in text


def test_resident_find_masks_phones_unless_asked(cli):
    masked = run(cli, "resident", "find", "王芳")
    assert "139****1111" in masked and "13900001111" not in masked
    assert "13900001111" in run(cli, "resident", "find", "王芳", "--unmask")


@pytest.mark.parametrize("query, expected", [
    (["王"], ["王芳/东坪村", "王芳/西岭村"]),
    (["秀"], ["张秀兰"]),
    (["5678"], ["张秀兰"]),
    (["2222"], ["王芳/西岭村"]),
    (["--phone-tail", "1111"], ["王芳/东坪村"]),
    (["--village", "西岭村"], ["王芳/西岭村"]),
    (["--village", "东坪村"], ["张秀兰", "王芳/东坪村"]),
    (["--tag", "独居老人"], ["张秀兰"]),
    (["王", "--village", "东坪村"], ["王芳/东坪村"]),
    (["李"], []),
], ids=["name-part", "middle-char", "phone-tail-arg", "phone-tail-2222", "phone-tail-option",
        "village", "village-two", "tag", "name-and-village", "nobody"])
def test_resident_find_returns_exactly_the_matching_people(cli, query, expected):
    text = run(cli, "resident", "find", *query)
    ids = [f"#{resident_id(cli, ref)}" for ref in expected]
    assert re.findall(r"#\d+", text) == ids
    assert f"共 {len(expected)} 条" in text


def test_resident_tag_adds_and_removes_tags(cli):
    text = run(cli, "resident", "tag", "张秀兰", "--add", "困难群体", "--add", "多次拨打12345")
    assert "困难群体" in text

    def tags() -> list[str]:
        return sorted(with_ledger(cli, lambda L: L.residents.page("张秀兰")["tags"]))

    assert tags() == sorted(["困难群体", "多次拨打12345", "独居老人"])
    run(cli, "resident", "tag", "张秀兰", "--remove", "独居老人")
    assert tags() == sorted(["困难群体", "多次拨打12345"])
    assert [r["name"] for r in with_ledger(cli, lambda L: L.residents.find(tag="独居老人"))] == []


def test_removing_a_tag_the_resident_does_not_hold_is_refused(cli):
    text = refused(cli, "resident", "tag", "张秀兰", "--remove", "困难群体", code=2)
    assert "困难群体" in text and "独居老人" in text


# --- 4. bad input: exact exit code, one line naming the problem, file untouched --------------

LONG = "路" * 5001

BAD_INPUT = [
    # unknown names (usage errors, exit 2), with the nearest valid choice
    (["issue", "add", "路灯", "--village", "东平村"], 2, ["东平村", "东坪村"]),
    (["issue", "assign", N1, "--unit", "县住建委"], 2, ["县住建委", "县住建局"]),
    (["issue", "add", "路灯", "--village", "东坪村", "--category", "山林纠纷"], 2, ["山林纠纷"]),
    (["issue", "add", "路灯", "--village", "东坪村", "--channel", "飞鸽传书"], 2, ["飞鸽传书"]),
    (["issue", "add", "路灯", "--village", "东坪村", "--type", "抱怨"], 2, ["抱怨"]),
    (["visit", "log", "--village", "东坪村", "--cadre", "王建军", "--issue", "路灯"], 2,
     ["王建军", "王建国"]),
    (["issue", "add", "路灯", "--resident", "李四"], 2, ["李四"]),
    (["issue", "add", "路灯", "--resident", "王芳"], 2, ["王芳(东坪村", "王芳(西岭村"]),
    (["village", "add", "北山村", "--township", "白马镇"], 2, ["白马镇", "青石镇"]),
    (["resident", "add", "赵六", "--village", "东坪村", "--grid", "二组"], 2, ["二组", "一组"]),
    (["issue", "add", "路灯"], 2, ["--village"]),
    # dates
    (["issue", "add", "路灯", "--village", "东坪村", "--date", "17/11/2026"], 2,
     ["17/11/2026", "2026-11-17"]),
    (["issue", "add", "路灯", "--village", "东坪村", "--date", "前几天"], 2, ["前几天"]),
    (["issue", "add", "路灯", "--village", "东坪村", "--date", "9999-12-31"], 2, ["9999-12-31", "2200"]),
    (["issue", "add", "路灯", "--village", "东坪村", "--date", "2026-02-30"], 2,
     ["2026-02-30", "不存在"]),
    (["issue", "add", "路灯", "--village", "东坪村", "--date", "2026-11-18"], 2,
     ["2026-11-18", "2026-11-17"]),
    (["issue", "resolve", N1, "--result", "已修复", "--date", "2026-12-01"], 2, ["2026-12-01"]),
    (["visit", "log", "--village", "东坪村", "--date", "2026-11-31"], 2, ["2026-11-31"]),
    (["issue", "list", "--from", "2026-11-20", "--to", "2026-11-01"], 2,
     ["2026-11-20", "2026-11-01"]),
    # text
    (["issue", "add", "", "--village", "东坪村"], 2, ["诉求内容不能为空"]),
    (["issue", "add", "   ", "--village", "东坪村"], 2, ["诉求内容不能为空"]),
    (["issue", "add", "路灯\x07坏了", "--village", "东坪村"], 2, ["控制字符"]),
    (["resident", "add", "赵\x01六", "--village", "东坪村"], 2, ["控制字符"]),
    (["issue", "add", LONG, "--village", "东坪村"], 2, ["5001", "5000"]),
    (["resident", "add", "张" * 61, "--village", "东坪村"], 2, ["61", "60"]),
    (["issue", "resolve", N1, "--result", "  "], 2, ["办理结果不能为空"]),
    (["issue", "escalate", N1, "--reason", ""], 2, ["原因不能为空"]),
    # demand numbers
    (["issue", "show", "2026-abc"], 2, ["2026-abc", "2026-000123"]),
    (["issue", "resolve", "第一件", "--result", "已修复"], 2, ["第一件"]),
    (["issue", "show", "2026-000099"], 2, ["2026-000099"]),
    (["issue", "resolve", "99", "--result", "已修复"], 2, ["编号为 99"]),
    # personal data
    (["resident", "add", "赵六", "--village", "东坪村", "--phone", "1381234567"], 2, ["1381234567"]),
    (["resident", "add", "赵六", "--village", "东坪村", "--phone", "138abcd5678"], 2, ["138abcd5678"]),
    (["resident", "add", "赵六", "--village", "东坪村", "--id-number", "110105194912310021"], 2,
     ["110105194912310021", "校验位"]),
    (["resident", "add", "赵六", "--village", "东坪村", "--id-number", "11010519491231002"], 2,
     ["18 位"]),
    (["resident", "add", "赵六", "--village", "东坪村", "--id-number", "11010519490230123X"], 2,
     ["出生日期"]),
    (["resident", "find", "--phone-tail", "12"], 2, ["“12”"]),
    # enumerations
    (["issue", "follow-up", N1, "--satisfaction", "还行"], 2, ["还行", "基本满意"]),
    (["issue", "list", "--level", "省级"], 2, ["省级"]),
    (["unit", "add", "省民政厅", "--level", "省级"], 2, ["省级"]),
    (["issue", "add", "路灯", "--village", "东坪村", "--level", "省级"], 2, ["省级"]),
    (["issue", "list", "--status", "待办"], 2, ["待办"]),
    (["issue", "extend", N1, "--reason", "测绘", "--approver", "李局长", "--days", "0"], 2,
     ["0", "366"]),
    # refused steps (exit 1)
    (["issue", "close", N1], 1, ["尚未办结"]),
    (["issue", "resume", N1], 1, ["不能恢复办理"]),
    (["issue", "assign", N1, "--unit", "县住建局"], 1, ["上报"]),
    (["issue", "escalate", N1, "--reason", "上报", "--date", "2026-11-09"], 1,
     ["2026-11-09", "受理日期 2026-11-10"]),
]


@pytest.mark.parametrize("args, code, needles", BAD_INPUT,
                         ids=[f"{i:02d}-{' '.join(a[:2])}" for i, (a, _, _) in enumerate(BAD_INPUT)])
def test_bad_input_gets_one_line_and_the_right_exit_code_and_changes_nothing(
        cli, args, code, needles):
    new_demand(cli)  # 2026-000001, open at village level, received 2026-11-10
    text = refused(cli, *args, code=code)
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


def test_a_malformed_today_is_a_usage_error(cli):
    before = cli.digest()
    text = run(cli, "issue", "list", today="2026-13-01", code=2)
    assert "2026-13-01" in text and cli.digest() == before


# --- 5. language --------------------------------------------------------------------------

def test_output_is_chinese_by_default(cli):
    assert "已受理诉求 2026-000001" in run(cli, "issue", "add", "路灯", "--village", "东坪村")
    text = run(cli, "issue", "list")
    for word in ("诉求台账", "编号", "受理日期", "状态", "层级", "办理中", "村级", "共 1 条"):
        assert word in text
    assert refused(cli, "issue", "add", "路灯", "--village", "东平村", code=2).startswith("错误:")


@pytest.fixture(params=["--lang en", "LEDGER_LANG=en"])
def english(request, monkeypatch) -> dict[str, str]:
    """Keyword arguments for `cli(...)` that make it speak English, one way or the other."""
    if request.param.startswith("LEDGER_LANG"):
        monkeypatch.setenv("LEDGER_LANG", "en")
        return {}
    return {"lang": "en"}


def test_english_messages_and_headers(cli, english):
    text = run(cli, "issue", "add", "路灯不亮", "--village", "东坪村", "--category", "基础设施",
               "--resident", "王芳/西岭村", **english)
    assert "demand 2026-000001 accepted" in text and "已受理" not in text
    listing = run(cli, "issue", "list", **english)
    for word in ("Demands", "No.", "Received", "Status", "Level", "open", "village", "1 in all"):
        assert word in listing
    for word in ("诉求台账", "受理日期", "办理中"):
        assert word not in listing
    step = run(cli, "issue", "escalate", N1, "--reason", "村里修不了", **english)
    assert "demand 2026-000001: escalate done; now open (township)" in step
    error = refused(cli, "issue", "add", "路灯", "--village", "东平村", code=2, **english)
    assert error.startswith("error: ") and "no village named '东平村'" in error and "东坪村" in error


def test_chinese_names_and_words_are_accepted_in_english_mode(cli, english):
    n = _resolved(cli)
    run(cli, "issue", "classify", n, "--category", "基础设施", "--type", "求助", **english)
    run(cli, "issue", "follow-up", n, "--satisfaction", "基本满意", **english)
    d = demand(cli, n)
    assert (d["category"], d["type"], d["satisfaction"]) == (
        "基础设施", "求助", "basically_satisfied")
    text = run(cli, "issue", "list", "--status", "已办结", "--village", "东坪村", "--level", "村级",
               **english)
    assert numbers_in(text) == [n] and "resolved" in text


def test_english_issue_show_uses_english_step_labels(cli, english):
    n = _resolved(cli)
    text = run(cli, "issue", "show", n, **english)
    assert history_steps(text, "History") == ["accept", "resolve"]


def test_lang_flag_wins_over_LEDGER_LANG(cli, monkeypatch):
    monkeypatch.setenv("LEDGER_LANG", "en")
    assert "已受理诉求 2026-000001" in run(cli, "issue", "add", "路灯", "--village", "东坪村",
                                          lang="zh")


# --- 6. --today pins the date ----------------------------------------------------------------

@pytest.mark.parametrize("today, number", [("2026-11-03", "2026-000001"),
                                           ("2025-12-31", "2025-000001")])
def test_issue_add_without_date_is_received_on_the_pinned_today(cli, today, number):
    assert number in run(cli, "issue", "add", "路灯", "--village", "东坪村", today=today)
    assert demand(cli, number)["received_on"] == today


def test_a_step_without_date_is_dated_the_pinned_today(cli):
    n = new_demand(cli)
    run(cli, "issue", "resolve", n, "--result", "已修复", today="2026-11-12")
    assert demand(cli, n)["resolved_on"] == "2026-11-12"


def test_a_date_after_the_pinned_today_is_in_the_future(cli):
    text = refused(cli, "issue", "add", "路灯", "--village", "东坪村", "--date", "2026-11-04",
                   today="2026-11-03", code=2)
    assert "2026-11-04" in text and "2026-11-03" in text


@pytest.mark.parametrize("step", [
    ["escalate", "--reason", "村里无法解决"],
    ["resolve", "--result", "已修复"],
    ["notify", "--text", "正在协调"],
    ["suspend", "--reason", "等待材料"],
    ["classify", "--category", "基础设施"],
    ["take-charge", "--leader", "周强"],
], ids=lambda s: s[0])
def test_a_step_dated_before_the_demand_was_received_is_refused(cli, step):
    n = new_demand(cli, on="2026-11-10")
    text = refused(cli, "issue", step[0], n, *step[1:], "--date", "2026-11-09", code=1)
    assert "2026-11-09" in text and "受理日期 2026-11-10" in text
    assert actions(demand(cli, n)) == ["accept"]


def test_a_step_dated_before_the_last_step_is_refused(cli):
    n = new_demand(cli, on="2026-11-10")
    with_ledger(cli, lambda L: L.demands.escalate(n, reason="村里无法解决", on="2026-11-13"))
    text = refused(cli, "issue", "resolve", n, "--result", "已修复", "--date", "2026-11-12", code=1)
    assert "2026-11-12" in text and "上一步办理日期 2026-11-13" in text
    assert demand(cli, n)["status"] == "open"


def test_a_pinned_today_before_the_demand_refuses_a_dateless_step(cli):
    n = new_demand(cli, on="2026-11-10")
    refused(cli, "issue", "notify", n, "--text", "正在办", today="2026-11-09", code=1)
    assert demand(cli, n)["notices"] == 0


# --- 7. which file, and the real entry point ----------------------------------------------

def test_db_option_overrides_LEDGER_DB(cli, tmp_path):
    other = tmp_path / "其他" / "白马镇.db"
    other.parent.mkdir()  # an explicit path in a missing folder is refused (test_safety)
    before = cli.digest()
    run(cli, "township", "add", "白马镇", "--db", str(other))
    assert other.is_file()
    assert cli.digest() == before

    db = open_ledger(other)
    try:
        theirs = Ledger(db, today=with_ledger(cli, lambda L: L.today))
        assert [r["name"] for r in theirs.registers.listing("township")] == ["白马镇"]
        assert theirs.registers.terms("channel") == DEFAULT_CHANNELS  # the schema and its seed data
        assert theirs.registers.terms("type") == DEFAULT_TYPES
    finally:
        db.close()
    assert [r["name"] for r in with_ledger(cli, lambda L: L.registers.listing("township"))] == ["青石镇"]

    listed = run(cli, "township", "list", "--db", str(other))
    assert "白马镇" in listed and "青石镇" not in listed


def _entry_env() -> dict[str, str]:
    """The environment for `python -m ledger` wherever the package is (installed or not)."""
    env = dict(os.environ)
    package_parent = str(Path(ledger_package.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("LEDGER_DEBUG", None)
    return env


def test_python_m_ledger_help_works_and_creates_no_ledger(isolated, tmp_path):
    p = subprocess.run([sys.executable, "-m", "ledger", "--help"], cwd=tmp_path,
                       env=_entry_env(), capture_output=True, timeout=60)
    stdout = p.stdout.decode("utf-8")
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
    for word in ("民情走访台账", "issue", "resident", "visit", "--lang", "--today"):
        assert word in stdout
    assert not isolated.exists()


def test_python_m_ledger_keeps_exit_codes_and_one_line_errors(cli, tmp_path):
    env = _entry_env()
    env["LEDGER_TODAY"] = "2026-11-17"
    ok = subprocess.run([sys.executable, "-m", "ledger", "issue", "add", "路灯", "--village", "东坪村"],
                        cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert ok.returncode == 0 and "已受理诉求 2026-000001" in ok.stdout.decode("utf-8")
    before = cli.digest()
    bad = subprocess.run([sys.executable, "-m", "ledger", "issue", "show", "2026-000099"],
                         cwd=tmp_path, env=env, capture_output=True, timeout=60)
    err = bad.stderr.decode("utf-8")
    assert bad.returncode == 2
    assert err.strip().splitlines() == ["错误:没有编号为 2026-000099 的诉求"]
    assert cli.digest() == before
    assert demand(cli, N1)["received_on"] == "2026-11-17"
