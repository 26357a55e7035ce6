"""The Tuesday summary and the report card, on a ledger whose every number is known."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.services import reports
from ledger.errors import BadInput
from ledger.services import Ledger

from .conftest import new_township

D = date.fromisoformat


@pytest.fixture
def town() -> Ledger:
    return build_town(new_township(D("2026-11-17"), "刘洁"))


def build_town(L: Ledger) -> Ledger:
    """Five demands around the week of 2026-11-10 and one over National Day; today 11-17.

    A 11-03 东坪村 张秀兰: to township, 镇司法所, resolved, 不满意 -> reopened, resolved, closed
    B 11-04 西岭村 王芳: escalated twice, 县住建局, complex, still open (due 11-16)
    C 11-10 东坪村 张秀兰: settled on the spot, 满意, closed
    D 11-10 河口社区 (意见箱): to township, 镇综治中心, resolved late, 基本满意
    E 11-16 西岭村 王芳 (12345热线): open, due 11-17
    F 09-30 东坪村: 东坪村委会, due 10-08 (National Day), resolved 10-09 (late), 满意
    """
    F = L.demands.add("路灯坏了", village="东坪村", on="2026-09-30", category="基础设施")
    L.demands.assign(F, unit="东坪村委会", on="2026-09-30")
    L.demands.resolve(F, result="已修", on="2026-10-09")
    L.demands.follow_up(F, satisfaction="满意", on="2026-10-10")
    A = L.demands.add("物业不管漏水", village="东坪村", resident="张秀兰", on="2026-11-03",
                     category="物业", channel="入户走访")
    L.demands.escalate(A, reason="村里协调不了", on="2026-11-03")
    L.demands.assign(A, unit="镇司法所", on="2026-11-04")
    L.demands.resolve(A, result="已协调", on="2026-11-10")
    L.demands.follow_up(A, satisfaction="不满意", reopen=True, on="2026-11-11")
    L.demands.resolve(A, result="已修好", on="2026-11-12")
    L.demands.follow_up(A, satisfaction="满意", on="2026-11-13")
    L.demands.close(A, on="2026-11-13")
    B = L.demands.add("宅基地边界争议", village="西岭村", resident="王芳/西岭村", on="2026-11-04",
                     category="宅基地地界", complexity="complex", channel="在村接访")
    L.demands.escalate(B, reason="村里调解不成", on="2026-11-04")
    L.demands.escalate(B, reason="需县里认定", on="2026-11-05")
    L.demands.assign(B, unit="县住建局", on="2026-11-05")
    C = L.demands.add("垃圾没人清", village="东坪村", resident="张秀兰", on="2026-11-10",
                     category="环境卫生", channel="入户走访")
    L.demands.settle(C, result="当场联系保洁", on="2026-11-10")
    L.demands.follow_up(C, satisfaction="满意", on="2026-11-11")
    L.demands.close(C, on="2026-11-11")
    D_ = L.demands.add("烧烤油烟", village="河口社区", on="2026-11-10", category="噪声/油烟扰民",
                      channel="意见箱")
    L.demands.escalate(D_, reason="涉及商户", on="2026-11-10")
    L.demands.assign(D_, unit="镇综治中心", on="2026-11-10")
    L.demands.resolve(D_, result="已整改", on="2026-11-12")
    L.demands.follow_up(D_, satisfaction="基本满意", on="2026-11-13")
    L.demands.add("养犬扰民", village="西岭村", resident="王芳/西岭村", on="2026-11-16",
                 category="养犬", channel="12345热线")
    return L


COUNTS = reports.WEEK_COUNTS


def test_the_ledger_week_runs_tuesday_to_monday() -> None:
    assert reports.ledger_week(D("2026-11-10")) == (D("2026-11-10"), D("2026-11-16"))
    assert reports.ledger_week(D("2026-11-16")) == (D("2026-11-10"), D("2026-11-16"))
    assert reports.ledger_week(D("2026-11-17")) == (D("2026-11-17"), D("2026-11-23"))


def test_week_totals(town: Ledger) -> None:
    s = town.reports.summary(D("2026-11-12"))
    assert (s["week_start"], s["week_end"], s["as_of"]) == ("2026-11-10", "2026-11-16", "2026-11-16")
    assert {c: s[c] for c in COUNTS} == {
        "received": 3, "settled_on_spot": 1, "to_township": 1, "escalated": 0, "assigned": 1,
        "resolved": 3, "closed": 2, "open": 2, "carried_over": 1, "overdue": 0, "due_next": 2}


def test_a_step_reversed_by_undo_counts_for_nothing_in_the_week(town: Ledger) -> None:
    x = town.demands.add("井盖丢了", village="东坪村", on="2026-11-16")
    town.demands.escalate(x, reason="村里没有井盖", on="2026-11-16")
    assert town.reports.summary(D("2026-11-12"))["to_township"] == 2
    town.history.undo()  # the escalation
    s = town.reports.summary(D("2026-11-12"))
    assert (s["received"], s["to_township"]) == (4, 1)


def test_week_by_village_category_and_channel(town: Ledger) -> None:
    s = town.reports.summary(D("2026-11-12"))
    by_village = {r["name"]: tuple(r[c] for c in COUNTS) for r in s["by_village"]}
    #                      rec set twp esc asg res clo opn car ovd due
    assert by_village == {
        "东坪村":   (1, 1, 0, 0, 0, 2, 2, 0, 0, 0, 0),
        "西岭村":   (1, 0, 0, 0, 0, 0, 0, 2, 1, 0, 2),
        "河口社区": (1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0),
    }
    assert [r["name"] for r in s["by_village"]] == ["西岭村", "东坪村", "河口社区"]
    assert {r["name"]: r["received"] for r in s["by_category"]} == {
        "环境卫生": 1, "噪声/油烟扰民": 1, "养犬": 1, "物业": 0, "宅基地地界": 0}
    assert {r["name"]: r["received"] for r in s["by_channel"]} == {
        "入户走访": 1, "意见箱": 1, "12345热线": 1, "在村接访": 0}
    for key in ("by_village", "by_category", "by_channel"):
        for c in COUNTS:
            assert sum(r[c] for r in s[key]) == s[c]


def test_week_lists_and_repeat_residents(town: Ledger) -> None:
    s = town.reports.summary(D("2026-11-12"))
    assert [r["number"] for r in s["carried_over_demands"]] == ["2026-000003"]
    assert [r["number"] for r in s["due_demands"]] == ["2026-000003", "2026-000006"]
    assert s["overdue_demands"] == []
    assert [(r["resident"], r["demands"], r["this_week"]) for r in s["repeat_residents"]] == [
        ("张秀兰", 2, 1), ("王芳", 2, 1)]


def test_a_limit_caps_the_lists_and_the_repeat_residents_but_not_their_counts(town: Ledger) -> None:
    s = town.reports.summary(D("2026-11-12"), limit=1)
    assert [r["number"] for r in s["due_demands"]] == ["2026-000003"]
    assert (s["due_next"], s["repeat_count"]) == (2, 2)
    assert [(r["resident"], r["demands"]) for r in s["repeat_residents"]] == [("张秀兰", 2)]
    assert town.reports.summary(D("2026-11-12"))["repeat_count"] == 2
    assert town.reports.summary(D("2026-08-04"), limit=1)["repeat_count"] == 0


def test_the_current_week_as_of_today(town: Ledger) -> None:
    s = town.reports.summary()
    assert (s["week_start"], s["as_of"]) == ("2026-11-17", "2026-11-17")
    assert {c: s[c] for c in ("received", "open", "carried_over", "overdue", "due_next")} == {
        "received": 0, "open": 2, "carried_over": 2, "overdue": 1, "due_next": 1}
    assert [(r["number"], r["days_late"]) for r in s["overdue_demands"]] == [("2026-000003", 1)]


def test_a_week_with_national_day(town: Ledger) -> None:
    s = town.reports.summary(D("2026-10-01"))
    assert (s["week_start"], s["week_end"]) == ("2026-09-29", "2026-10-05")
    assert {c: s[c] for c in ("received", "assigned", "resolved", "open")} == {
        "received": 1, "assigned": 1, "resolved": 0, "open": 0}
    assert town.reports.summary(D("2026-10-06"))["resolved"] == 1  # resolved 10-09


def test_an_empty_week(town: Ledger) -> None:
    s = town.reports.summary(D("2026-08-04"))
    assert {c: s[c] for c in COUNTS} == {c: 0 for c in COUNTS}
    assert s["by_village"] == s["by_category"] == s["by_channel"] == []
    assert s["carried_over_demands"] == s["due_demands"] == s["overdue_demands"] == []
    assert s["repeat_residents"] == []


def test_a_week_that_has_not_begun_is_refused(town: Ledger) -> None:
    with pytest.raises(BadInput) as e:
        town.reports.summary(D("2026-11-24"))
    assert e.value.key == "summary.future_week"


def rows(r: dict) -> dict:
    keys = ("rank", "received", "resolved", "on_time", "overdue", "response_rate",
            "resolution_rate", "on_time_rate", "satisfaction_rate", "score")
    return {row["name"]: tuple(row[k] for k in keys) for row in r["rows"]}


def test_report_card_by_unit(town: Ledger) -> None:
    r = town.reports.card("unit")
    #               rank rec res ont ovd  resp  resol on_t  satis score
    assert rows(r) == {
        "东坪村委会": (1, 1, 1, 0, 0, 1.0, 1.0, 0.0, 1.0, 100.0),
        "镇司法所":   (1, 1, 1, 1, 0, 1.0, 1.0, 1.0, 1.0, 100.0),
        "镇综治中心": (3, 1, 1, 0, 0, 1.0, 1.0, 0.0, 0.9, 96.0),
        "县住建局":   (4, 1, 0, 0, 1, 1.0, 0.0, None, None, 16.7),
    }
    assert [row["name"] for row in r["rows"]] == ["东坪村委会", "镇司法所", "镇综治中心", "县住建局"]
    assert r["talk"] == [{"name": "县住建局", "overdue": 1, "max_days_late": 1,
                          "numbers": ["2026-000003"]}]


def test_report_card_by_village_and_township(town: Ledger) -> None:
    assert rows(town.reports.card("village")) == {
        "东坪村":   (1, 3, 3, 2, 0, 1.0, 1.0, 0.6667, 1.0, 100.0),
        "河口社区": (2, 1, 1, 0, 0, 1.0, 1.0, 0.0, 0.9, 96.0),
        "西岭村":   (3, 2, 0, 0, 1, 0.5, 0.0, None, None, 8.3),
    }
    r = town.reports.card("township")
    assert rows(r) == {"青石镇": (1, 6, 4, 2, 1, 0.8333, 0.6667, 0.5, 0.975, 80.7)}
    assert r["talk"] == []


def test_report_card_over_a_date_range(town: Ledger) -> None:
    r = town.reports.card("village", D("2026-11-10"), D("2026-11-16"))
    assert {row["name"]: row["received"] for row in r["rows"]} == {"东坪村": 1, "河口社区": 1, "西岭村": 1}
    with pytest.raises(BadInput):
        town.reports.card("village", D("2026-11-16"), D("2026-11-10"))


def test_weights_and_thresholds_are_settings(town: Ledger) -> None:
    town.reports.set_setting("weight.on_time", "0.5")
    assert rows(town.reports.card("unit"))["东坪村委会"][-1] == 66.7  # 100 x 1.0 / 1.5
    town.reports.set_setting("talk.overdue_threshold", "2")
    assert town.reports.card("unit")["talk"] == []
    town.reports.set_setting("satisfaction.basic", "0.8")
    assert rows(town.reports.card("unit"))["镇综治中心"][8] == 0.8
    for key, value in (("weight.nonsense", "1"), ("weight.response", "x"),
                       ("satisfaction.basic", "1.5"), ("talk.overdue_threshold", "0.5")):
        with pytest.raises(BadInput):
            town.reports.set_setting(key, value)


def test_a_reopened_demand_counts_its_final_outcome(town: Ledger) -> None:
    d = town.demands.show("2026-000002")
    assert (d["reopen_count"], d["satisfaction"], d["resolved_on"], d["due_on"]) == \
        (1, "satisfied", "2026-11-12", "2026-11-12")
