"""The demand state machine on its own: which step is allowed from which status, and what it
leaves behind. Pure functions, no database."""

from __future__ import annotations

import pytest

from ledger import lifecycle
from ledger.errors import Refused

DAY = "2026-11-17"
ACCEPT = ("accept", {"text": "屋顶漏水", "village_id": 1}, DAY)

# How to bring a fresh demand to each status.
TO_STATUS = {
    "open": [],
    "suspended": [("suspend", {"reason": "等待群众补充材料"}, DAY)],
    "resolved": [("resolve", {"result": "已修复"}, DAY)],
    "closed": [("resolve", {"result": "已修复"}, DAY),
               ("follow_up", {"satisfaction": "satisfied"}, DAY), ("close", {}, DAY)],
}


def at(status: str) -> dict:
    state = lifecycle.replay([ACCEPT, *TO_STATUS[status]])
    assert state is not None and state["status"] == status
    return state


STEP_DATA = {
    "classify": {"category": "物业"}, "correct": {"text": "屋顶漏雨", "before": "屋顶漏水"},
    "settle": {"result": "当场调解"}, "escalate": {"reason": "村里解决不了"},
    "assign": {"lead_unit_id": 3, "co_unit_ids": [4], "handler": "王工"},
    "whistle": {"unit_ids": [3, 4]}, "take_charge": {"leader": "镇党委书记"},
    "notify": {"text": "正在协调"}, "extend": {"approver": "分管领导", "days": 5},
    "suspend": {"reason": "等材料"}, "resume": {}, "resolve": {"result": "已修复"},
    "follow_up": {"satisfaction": "satisfied"}, "reopen": {"reason": "又漏了"},
    "decide": {"meeting_id": 1, "decision": "镇里协调"},
}

# action -> status it leaves from each starting status; None means refused.
EXPECTED = {
    "classify": {"open": "open", "suspended": "suspended", "resolved": "resolved", "closed": None},
    "correct": {"open": "open", "suspended": "suspended", "resolved": "resolved", "closed": "closed"},
    "settle": {"open": "resolved", "suspended": None, "resolved": None, "closed": None},
    "escalate": {"open": "open", "suspended": None, "resolved": None, "closed": None},
    "assign": {"open": "open", "suspended": None, "resolved": None, "closed": None},
    "whistle": {"open": "open", "suspended": "suspended", "resolved": None, "closed": None},
    "take_charge": {"open": "open", "suspended": "suspended", "resolved": None, "closed": None},
    "notify": {"open": "open", "suspended": "suspended", "resolved": None, "closed": None},
    "extend": {"open": "open", "suspended": "suspended", "resolved": None, "closed": None},
    "suspend": {"open": "suspended", "suspended": None, "resolved": None, "closed": None},
    "resume": {"open": None, "suspended": "open", "resolved": None, "closed": None},
    "resolve": {"open": "resolved", "suspended": None, "resolved": None, "closed": None},
    "follow_up": {"open": None, "suspended": None, "resolved": "resolved", "closed": None},
    "reopen": {"open": None, "suspended": None, "resolved": "open", "closed": "open"},
    "decide": {"open": "open", "suspended": "suspended", "resolved": "resolved", "closed": None},
}
CASES = [(a, s, after) for a, row in EXPECTED.items() for s, after in row.items()]


@pytest.mark.parametrize("action,status,after", CASES, ids=[f"{a}-from-{s}" for a, s, _ in CASES])
def test_each_step_from_each_status(action: str, status: str, after: str | None) -> None:
    before = at(status)
    if after is None:
        with pytest.raises(Refused) as e:
            lifecycle.apply(before, action, STEP_DATA[action], DAY)
        assert e.value.key.startswith("step.")
    else:
        assert lifecycle.apply(before, action, STEP_DATA[action], DAY)["status"] == after
    assert before == at(status), "apply must not modify the state it was given"


def test_escalation_climbs_one_level_at_a_time_and_stops_at_county() -> None:
    s = at("open")
    s = lifecycle.apply(s, "assign", {"lead_unit_id": 2}, DAY)
    s = lifecycle.apply(s, "escalate", {}, "2026-11-18")
    assert (s["level"], s["lead_unit_id"], s["stage_started_on"], s["escalations"]) == \
        ("township", None, "2026-11-18", 1)
    s = lifecycle.apply(s, "escalate", {}, "2026-11-19")
    assert s["level"] == "county"
    with pytest.raises(Refused) as e:
        lifecycle.apply(s, "escalate", {}, "2026-11-19")
    assert e.value.key == "step.escalate.top"


def test_settle_on_the_spot_is_refused_once_escalated() -> None:
    s = lifecycle.apply(at("open"), "escalate", {}, DAY)
    with pytest.raises(Refused) as e:
        lifecycle.apply(s, "settle", {"result": "x"}, DAY)
    assert e.value.key == "step.settle.not_on_spot"


def test_settle_marks_settled_on_spot_and_resolves() -> None:
    s = lifecycle.apply(at("open"), "settle", {"result": "当场调解"}, DAY)
    assert (s["status"], s["settled_on_spot"], s["resolved_on"], s["result"]) == \
        ("resolved", 1, DAY, "当场调解")


def test_whistle_and_report_in() -> None:
    s = lifecycle.apply(at("open"), "whistle", {"unit_ids": [3, 4, 5]}, DAY)
    s = lifecycle.apply(s, "report_in", {"unit_id": 4}, "2026-11-18")
    assert s["summoned"] == [[3, None], [4, "2026-11-18"], [5, None]]
    for data, key in (({"unit_id": 4}, "step.report_in.already"),
                      ({"unit_id": 9}, "step.report_in.not_summoned")):
        with pytest.raises(Refused) as e:
            lifecycle.apply(s, "report_in", data, "2026-11-18")
        assert e.value.key == key
    with pytest.raises(Refused) as e:
        lifecycle.apply(s, "whistle", {"unit_ids": [3, 5]}, "2026-11-18")
    assert e.value.key == "step.whistle.all_summoned"


def test_return_only_by_the_lead_unit_and_clears_the_assignment() -> None:
    s = lifecycle.apply(at("open"), "assign", {"lead_unit_id": 3, "co_unit_ids": [4],
                                                "handler": "王工"}, DAY)
    with pytest.raises(Refused) as e:
        lifecycle.apply(s, "return", {"unit_id": 4}, DAY)
    assert e.value.key == "step.return.not_lead"
    s = lifecycle.apply(s, "return", {"unit_id": 3}, DAY)
    assert (s["lead_unit_id"], s["co_unit_ids"], s["handler"], s["returns"]) == (None, [], None, 1)
    with pytest.raises(Refused) as e:
        lifecycle.apply(s, "return", {"unit_id": 3}, DAY)
    assert e.value.key == "step.return.unassigned"


@pytest.mark.parametrize("satisfaction,reason,closes", [
    ("satisfied", None, True),
    ("basically_satisfied", None, True),
    ("dissatisfied", None, False),
    ("dissatisfied", "诉求不合理,已解释", True),
])
def test_close_needs_follow_up_and_a_reason_when_dissatisfied(satisfaction, reason, closes) -> None:
    s = at("resolved")
    with pytest.raises(Refused) as e:
        lifecycle.apply(s, "close", {}, DAY)
    assert e.value.key == "step.close.no_follow_up"
    s = lifecycle.apply(s, "follow_up", {"satisfaction": satisfaction}, DAY)
    data = {"reason": reason} if reason else {}
    if closes:
        s = lifecycle.apply(s, "close", data, DAY)
        assert (s["status"], s["closed_on"]) == ("closed", DAY)
    else:
        with pytest.raises(Refused) as e:
            lifecycle.apply(s, "close", data, DAY)
        assert e.value.key == "step.close.dissatisfied_needs_reason"


def test_dissatisfied_follow_up_can_reopen_and_needs_a_new_resolution() -> None:
    s = lifecycle.apply(at("resolved"), "follow_up",
                        {"satisfaction": "dissatisfied", "reopen": True}, "2026-11-18")
    assert (s["status"], s["resolved_on"], s["satisfaction"], s["reopen_count"]) == \
        ("open", None, None, 1)
    with pytest.raises(Refused):
        lifecycle.apply(s, "close", {}, "2026-11-18")


def test_reopen_flag_needs_dissatisfaction() -> None:
    with pytest.raises(Refused) as e:
        lifecycle.apply(at("resolved"), "follow_up", {"satisfaction": "satisfied", "reopen": True}, DAY)
    assert e.value.key == "step.follow_up.reopen_needs_dissatisfied"


def test_suspension_days_are_counted_out() -> None:
    s = lifecycle.apply(at("open"), "suspend", {}, "2026-11-18")
    s = lifecycle.apply(s, "resume", {}, "2026-11-23")
    assert (s["status"], s["suspended_days"], s["suspended_since"]) == ("open", 5, None)


@pytest.mark.parametrize("on,key", [("2026-11-16", "step.before_received"),
                                    ("2026-11-17", None)])
def test_steps_cannot_be_dated_before_receipt(on: str, key: str | None) -> None:
    if key:
        with pytest.raises(Refused) as e:
            lifecycle.apply(at("open"), "notify", {"text": "x"}, on)
        assert e.value.key == key
    else:
        assert lifecycle.apply(at("open"), "notify", {"text": "x"}, on)["notices"] == 1


def test_steps_of_one_demand_are_in_date_order() -> None:
    s = lifecycle.apply(at("open"), "notify", {"text": "x"}, "2026-11-20")
    with pytest.raises(Refused) as e:
        lifecycle.apply(s, "resolve", {"result": "x"}, "2026-11-19")
    assert e.value.key == "step.before_last"


def test_a_demand_is_accepted_once() -> None:
    with pytest.raises(Refused):
        lifecycle.apply(at("open"), "accept", {"text": "x", "village_id": 1}, DAY)
    with pytest.raises(Refused):
        lifecycle.apply(None, "resolve", {"result": "x"}, DAY)
