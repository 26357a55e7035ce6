"""Both ways (双向派单、双向回访) and the Tuesday meeting (党委会议研判): the locality of an
assignment, who followed up and how, the follow-ups a case needs before closing, the agenda,
the meetings and their decisions, and the sign-for basis of 响应率.

Ledgers with known contents; one of them around the 2026 National Day holiday (rest
10/1-10/7, Saturday 10/10 a make-up working day).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from ledger.errors import BadInput, NotFound, Refused
from ledger.services import Ledger

from .conftest import Cli, new_township


def township(today: str) -> Ledger:
    return new_township(date.fromisoformat(today), "刘洁")


def journal_count(L: Ledger) -> int:
    return L.db.execute("select count(*) from journal").fetchone()[0]


# --- both ways ---------------------------------------------------------------------------

def test_an_assignment_names_its_locality_and_a_new_one_or_a_return_clears_it(
        ledger: Ledger) -> None:
    n = ledger.demands.add("路灯坏了", village="东坪村", on="2026-11-16", level="township")
    d = ledger.demands.assign(n, unit="镇司法所", locality="河口社区", on="2026-11-16")
    hekou = ledger.registers.village("河口社区")["id"]
    assert d["locality_id"] == hekou
    assert [r["locality"] for r in ledger.demands.list()] == ["河口社区"]
    assert ledger.demands.show(n)["locality"] == "河口社区"
    assert ledger.demands.colours()["demands"][0]["locality"] == "河口社区"
    assert ledger.demands.assign(n, unit="镇综治中心")["locality_id"] is None
    ledger.demands.assign(n, unit="镇司法所", locality="西岭村")
    assert ledger.demands.return_(n, unit="镇司法所", reason="不属本单位")["locality_id"] is None
    assert ledger.demands.disagreements(n) == []
    assert ledger.checks.run() == []


def test_an_unknown_locality_is_refused_and_writes_nothing(ledger: Ledger) -> None:
    n = ledger.demands.add("路灯坏了", village="东坪村", level="township")
    before = journal_count(ledger)
    with pytest.raises(NotFound):
        ledger.demands.assign(n, unit="镇司法所", locality="东平村")
    assert journal_count(ledger) == before
    assert ledger.demands.row(n)["lead_unit_id"] is None


def test_a_case_counts_for_its_village_and_its_locality_in_the_village_card(
        ledger: Ledger) -> None:
    a = ledger.demands.add("路灯坏了", village="东坪村", on="2026-11-16", level="township")
    ledger.demands.assign(a, unit="镇司法所", locality="河口社区", on="2026-11-16")
    ledger.demands.resolve(a, result="已修", on="2026-11-16")
    b = ledger.demands.add("垃圾清运", village="河口社区", on="2026-11-16", level="township")
    ledger.demands.assign(b, unit="镇司法所", locality="河口社区", on="2026-11-16")
    c = ledger.demands.add("水管", village="西岭村", on="2026-11-16")
    rows = {r["name"]: r for r in ledger.reports.card("village")["rows"]}
    assert {k: (r["received"], r["resolved"]) for k, r in rows.items()} == {
        "东坪村": (1, 1), "河口社区": (2, 1), "西岭村": (1, 0)}
    assert c  # a case whose locality is its own village counts once (b)
    total = ledger.reports.card("village")["total"]
    assert (total["received"], total["resolved"]) == (3, 1)  # each case once
    by_unit = {r["name"]: r["received"] for r in ledger.reports.card("unit")["rows"]}
    assert by_unit == {"镇司法所": 2}


def test_follow_ups_record_who_and_how_and_the_setting_says_how_many_to_close(
        ledger: Ledger) -> None:
    n = ledger.demands.add("路灯坏了", village="东坪村", on="2026-11-16", level="township")
    ledger.demands.assign(n, unit="镇司法所", on="2026-11-16")
    ledger.demands.resolve(n, result="已修", on="2026-11-16")
    ledger.reports.set_setting("followup.required", "2")
    ledger.demands.follow_up(n, satisfaction="满意", by="镇司法所", method="电话")
    before = journal_count(ledger)
    with pytest.raises(Refused) as e:
        ledger.demands.close(n)
    assert e.value.key == "step.close.followups_missing"
    assert e.value.message() == "诉求 2026-000001 还差 1 次回访才能销号(需回访 2 次,已回访 1 次)"
    assert journal_count(ledger) == before
    ledger.demands.follow_up(n, satisfaction="基本满意", by="东坪村", method="入户")
    assert ledger.demands.close(n)["status"] == "closed"
    steps = [e for e in ledger.demands.show(n)["events"] if e["action"] == "follow_up"]
    assert [(e["data"].get("by_unit"), e["data"].get("by_village"), e["data"]["method"])
            for e in steps] == [("镇司法所", None, "电话"), (None, "东坪村", "入户")]
    assert ledger.demands.show(n)["follow_ups"] == 2
    assert ledger.checks.run() == []


def test_the_follow_ups_count_afresh_after_a_reopening(ledger: Ledger) -> None:
    n = ledger.demands.add("路灯坏了", village="东坪村", on="2026-11-16")
    ledger.demands.resolve(n, result="已修", on="2026-11-16")
    ledger.demands.follow_up(n, satisfaction="不满意", reopen=True)
    ledger.demands.resolve(n, result="又修了")
    ledger.demands.follow_up(n, satisfaction="满意")
    assert ledger.demands.row(n)["follow_ups"] == 1
    ledger.reports.set_setting("followup.required", "0")
    assert ledger.demands.close(n)["status"] == "closed"


@pytest.mark.parametrize("by,method,key", [
    ("无此单位", None, "unknown"), (None, "微信", "unknown"), ("镇司法所", "飞鸽", "unknown")])
def test_a_follow_up_by_an_unknown_unit_or_method_is_refused(
        ledger: Ledger, by: str | None, method: str | None, key: str) -> None:
    n = ledger.demands.add("路灯坏了", village="东坪村")
    ledger.demands.resolve(n, result="已修")
    before = journal_count(ledger)
    with pytest.raises(NotFound) as e:
        ledger.demands.follow_up(n, satisfaction="满意", by=by, method=method)
    assert e.value.key == key and e.value.exit_code == 2
    assert journal_count(ledger) == before and ledger.demands.row(n)["satisfaction"] is None


def test_a_township_adds_its_own_follow_up_method(ledger: Ledger) -> None:
    assert ledger.registers.terms("method") == ["电话", "现场", "入户", "短信"]
    ledger.registers.add_term("method", "微信")
    with pytest.raises(Refused):
        ledger.registers.add_term("method", "电话")
    n = ledger.demands.add("路灯坏了", village="东坪村")
    ledger.demands.resolve(n, result="已修")
    ledger.demands.follow_up(n, satisfaction="满意", method="微信")
    assert ledger.checks.run() == []


def test_follow_up_cli_exit_codes_and_nothing_written(cli: Cli) -> None:
    assert cli("issue", "add", "路灯", "--village", "东坪村").exit_code == 0
    assert cli("issue", "resolve", "1", "--result", "修好").exit_code == 0
    before = cli.digest()
    r = cli("issue", "follow-up", "1", "--satisfaction", "满意", "--by", "无此单位")
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1
    assert "回访单位或村/社区“无此单位”" in r.output and cli.digest() == before
    r = cli("issue", "follow-up", "1", "--satisfaction", "满意", "--by", "河口社区",
            "--method", "现场")
    assert r.exit_code == 0
    assert cli("setting", "set", "followup.required", "2").exit_code == 0
    before = cli.digest()
    r = cli("issue", "close", "1")
    assert r.exit_code == 1 and "还差 1 次回访" in r.output and cli.digest() == before


# --- the meeting -------------------------------------------------------------------------

def agenda_ledger() -> tuple[Ledger, dict[str, str]]:
    """A ledger whose agenda for Tuesday 2026-11-17 is known, case by case."""
    L = township("2026-11-17")
    d = L.demands
    n = {}
    n["new"] = d.add("新来的:路灯坏了", village="东坪村", on="2026-11-17")
    n["spot"] = d.add("当场解决的咨询", village="东坪村", resident="张秀兰", on="2026-11-17")
    d.settle(n["spot"], result="当场讲解", on="2026-11-17")
    n["late"] = d.add("超期的:水管漏水", village="西岭村", on="2026-11-03")
    n["twice"] = d.add("两次上报的:宅基地", village="东坪村", on="2026-11-10")
    d.escalate(n["twice"], reason="村里解决不了", on="2026-11-10")
    d.escalate(n["twice"], reason="镇里解决不了", on="2026-11-16")
    n["unhappy"] = d.add("不满意的:噪声", village="河口社区", on="2026-11-02")
    d.resolve(n["unhappy"], result="已协调", on="2026-11-03")
    d.follow_up(n["unhappy"], satisfaction="不满意", on="2026-11-04")
    n["reopened"] = d.add("不满意重办的:排水", village="西岭村", on="2026-11-02")
    d.resolve(n["reopened"], result="已疏通", on="2026-11-03")
    d.follow_up(n["reopened"], satisfaction="不满意", reopen=True, on="2026-11-04")
    n["again"] = d.add("多次反映的:低保", village="东坪村", resident="张秀兰", on="2026-11-10")
    d.suspend(n["again"], reason="等群众补材料", on="2026-11-11")
    n["done"] = d.add("已销号的", village="东坪村", on="2026-11-02")
    d.resolve(n["done"], result="好了", on="2026-11-02")
    d.follow_up(n["done"], satisfaction="满意", on="2026-11-03")
    d.close(n["done"], on="2026-11-03")
    return L, n


def test_the_agenda_lists_each_case_once_with_all_its_reasons_in_order() -> None:
    L, n = agenda_ledger()
    agenda = L.meetings.agenda()  # no meeting yet: new cases from a week before, 11-10
    got = [(r["number"], r["why"]) for r in agenda["demands"]]
    assert got == [
        (n["twice"], ["new", "escalated"]),
        (n["again"], ["new", "repeat"]),
        (n["new"], ["new"]),
        (n["reopened"], ["overdue", "dissatisfied"]),
        (n["late"], ["overdue"]),
        (n["unhappy"], ["dissatisfied"]),
    ]  # settled on the spot, closed: not on it (张秀兰's settled case is not studied again)
    assert agenda["counts"] == {"new": 3, "overdue": 2, "escalated": 1, "dissatisfied": 2,
                                "repeat": 1}
    assert (agenda["date"], agenda["since"]) == ("2026-11-17", "2026-11-10")


def test_new_cases_are_those_since_the_last_meeting() -> None:
    L, n = agenda_ledger()
    L.meetings.add(on="2026-11-11")
    agenda = L.meetings.agenda()
    assert agenda["since"] == "2026-11-12"
    assert [(r["number"], r["why"]) for r in agenda["demands"]] == [
        (n["new"], ["new"]),
        (n["reopened"], ["overdue", "dissatisfied"]),
        (n["late"], ["overdue"]),
        (n["twice"], ["escalated"]),
        (n["unhappy"], ["dissatisfied"]),
        (n["again"], ["repeat"]),
    ]
    L.meetings.add(on="2026-11-17")  # a meeting the same day does not move the line
    assert L.meetings.agenda()["since"] == "2026-11-12"


def test_the_agenda_of_a_later_day() -> None:
    L, n = agenda_ledger()
    L.meetings.add(on="2026-11-17")
    L.today = date(2026, 11, 23)
    got = {r["number"]: r["why"] for r in L.meetings.agenda("2026-11-23")["demands"]}
    assert n["new"] not in got or got[n["new"]] == ["overdue"]  # studied on 11-17 already
    assert got[n["new"]] == ["overdue"]
    assert got[n["twice"]] == ["overdue", "escalated"]  # the county's clock ran out on 11-17


def test_meetings_and_their_decisions_are_in_the_demands_history() -> None:
    L, n = agenda_ledger()
    first = L.meetings.add(on="2026-11-17", attendees=["马国强", "李梅", "马国强"])
    joint = L.meetings.add(on="2026-11-17", kind="联席会")
    assert (first, joint) == (1, 2)
    L.meetings.decide(first, n["twice"], decision="县住建局牵头,一周内答复", unit="县住建局",
                      deadline="2026-11-24")
    L.meetings.decide(joint, n["twice"], decision="联席会再议")
    L.meetings.decide(first, n["unhappy"], decision="再次回访")
    row = L.demands.row(n["twice"])
    assert (row["lead_unit_id"], row["assigned_on"], row["due_on"]) == (
        L.registers.unit("县住建局")["id"], "2026-11-17", "2026-11-24")
    shown = L.demands.show(n["twice"])
    assert shown["meetings"] == [
        {"id": 1, "held_on": "2026-11-17", "kind": "party_committee"},
        {"id": 2, "held_on": "2026-11-17", "kind": "joint"}]
    decided = [e["data"] for e in shown["events"] if e["action"] == "decide"]
    assert [(d["meeting_id"], d["decision"], d.get("lead_unit")) for d in decided] == [
        (1, "县住建局牵头,一周内答复", "县住建局"), (2, "联席会再议", None)]
    m = L.meetings.show("#1")
    assert (m["attendees"], m["studied"]) == (["马国强", "李梅"], 2)
    assert [(d["number"], d["unit"], d["due_on"]) for d in m["decisions"]] == [
        (n["twice"], "县住建局", "2026-11-24"), (n["unhappy"], None, None)]
    assert [(r["id"], r["studied"]) for r in L.meetings.list()] == [(2, 1), (1, 2)]
    assert L.reports.summary()["meeting_studied"] == 2
    assert L.reports.summary()["assigned"] == 1  # the meeting's assignment
    assert L.checks.run() == []
    # undo takes the last decision back; the meeting still studied the other case
    L.history.undo()
    assert L.meetings.show(1)["studied"] == 1 and L.reports.summary()["meeting_studied"] == 1


@pytest.mark.parametrize("case,error,key", [
    ("no_meeting", NotFound, "meeting.unknown"),
    ("closed", Refused, "step.decide.from_closed"),
    ("assign_resolved", Refused, "step.decide.assign_not_open"),
    ("above_level", Refused, "step.assign.above_level"),
    ("before_meeting", BadInput, "meeting.decide_before"),
    ("deadline_past", BadInput, "meeting.deadline_past"),
    ("empty", BadInput, "text.empty"),
])
def test_a_decision_that_makes_no_sense_is_refused_and_writes_nothing(case, error, key) -> None:
    L, n = agenda_ledger()
    m = L.meetings.add(on="2026-11-16")
    calls = {
        "no_meeting": lambda: L.meetings.decide(9, n["new"], decision="x"),
        "closed": lambda: L.meetings.decide(m, n["done"], decision="x"),
        "assign_resolved": lambda: L.meetings.decide(m, n["unhappy"], decision="x",
                                                     unit="镇司法所"),
        "above_level": lambda: L.meetings.decide(m, n["new"], decision="x", unit="县住建局"),
        "before_meeting": lambda: L.meetings.decide(m, n["new"], decision="x", on="2026-11-15"),
        "deadline_past": lambda: L.meetings.decide(m, n["new"], decision="x",
                                                   deadline="2026-11-16"),
        "empty": lambda: L.meetings.decide(m, n["new"], decision="  "),
    }
    before = journal_count(L), L.demands.show(n["new"])
    with pytest.raises(error) as e:
        calls[case]()
    assert e.value.key.startswith(key)
    assert (journal_count(L), L.demands.show(n["new"])) == before


def test_meeting_cli_add_prints_its_number_and_agenda_json(cli: Cli) -> None:
    assert cli("issue", "add", "路灯坏了", "--village", "东坪村", "--level", "镇级").exit_code == 0
    r = cli("meeting", "add", "--date", "2026-11-17", "--kind", "会商会", "--attendee", "马国强")
    assert (r.exit_code, r.output.strip()) == (0, "#1")
    r = cli("meeting", "agenda", "--format", "json")
    rows = json.loads(r.output)
    assert [(x["number"], x["why"]) for x in rows] == [("2026-000001", ["new"])]
    assert {"number", "why", "status", "unit", "due_on", "locality", "text"} <= set(rows[0])
    r = cli("meeting", "decide", "1", "2026-000001", "--decision", "镇司法所牵头",
            "--unit", "镇司法所")
    assert r.exit_code == 0 and "#1" in r.output
    r = cli("issue", "show", "2026-000001")
    assert "#1 2026-11-17 会商会" in r.output and "镇司法所牵头" in r.output
    m = json.loads(cli("meeting", "show", "1", "--format", "json").output)
    assert (m["meeting"], m["kind"], m["attendees"], m["studied"]) == (
        1, "consultation", ["马国强"], 1)
    s = json.loads(cli("summary", "--format", "json").output)
    assert s["meeting_studied"] == 1


def test_meeting_cli_refusals_one_line_exit_codes_nothing_written(cli: Cli) -> None:
    assert cli("issue", "add", "路灯坏了", "--village", "东坪村").exit_code == 0
    before = cli.digest()
    for args, code in ((("meeting", "decide", "3", "1", "--decision", "x"), 2),
                       (("meeting", "add", "--date", "2026-11-17", "--kind", "茶话会"), 2),
                       (("meeting", "add", "--date", "2026-11-18"), 2),
                       (("meeting", "show", "5"), 2)):
        r = cli(*args)
        assert r.exit_code == code, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
        assert cli.digest() == before
    assert cli("meeting", "add", "--date", "2026-11-17").exit_code == 0
    assert cli("issue", "settle", "1", "--result", "当场解决").exit_code == 0
    assert cli("issue", "follow-up", "1", "--satisfaction", "满意").exit_code == 0
    assert cli("issue", "close", "1").exit_code == 0
    before = cli.digest()
    r = cli("meeting", "decide", "1", "1", "--decision", "x")
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1
    assert cli.digest() == before


def test_a_meeting_deadline_and_assignment_across_the_holiday() -> None:
    L = township("2026-10-09")
    n = L.demands.add("路灯坏了", village="东坪村", on="2026-09-29", level="township")
    m = L.meetings.add(on="2026-09-29")
    L.meetings.decide(m, n, decision="镇司法所牵头", unit="镇司法所", on="2026-09-30")
    # assigned 9/30: one working day is 10/8 (10/1-10/7 rest)
    assert L.demands.row(n)["due_on"] == "2026-10-08"
    assert [r["why"] for r in L.meetings.agenda("2026-10-08")["demands"]] == []
    assert [r["why"] for r in L.meetings.agenda("2026-10-09")["demands"]] == [["overdue"]]
    # an extension after the meeting's deadline adds working days to it (10/10 make-up day)
    L.meetings.decide(m, n, decision="限 10 月 9 日办结", deadline="2026-10-09")
    L.demands.extend(n, reason="等材料", approver="分管领导", days=1)
    assert L.demands.row(n)["due_on"] == "2026-10-10"
    assert L.checks.run() == []


# --- 响应率 on sign-for ------------------------------------------------------------------

def test_response_on_sign_for_counts_working_days_across_the_holiday() -> None:
    L = township("2026-10-13")
    signed = {}
    for text, signed_on in (("签收及时", "2026-10-08"), ("签收迟了", "2026-10-09"),
                            ("未签收", None)):
        n = L.demands.add(text, village="东坪村", on="2026-09-30", level="township")
        L.demands.assign(n, unit="镇司法所", on="2026-09-30")
        if signed_on:
            L.demands.receive(n, on=signed_on)
        signed[text] = n
    L.demands.add("村里当场解决", village="东坪村", on="2026-09-30")
    first = L.reports.card("unit")["rows"][0]
    assert first["response_rate"] == 1.0  # every assignment was a step on the day received
    L.reports.set_setting("response.basis", "sign_for")
    first = L.reports.card("unit")["rows"][0]
    assert (first["name"], first["received"], first["response_rate"]) == ("镇司法所", 3, 0.3333)
    village = L.reports.card("village")["rows"][0]
    assert (village["received"], village["response_rate"]) == (4, 0.3333)  # of 3 assigned
    with pytest.raises(BadInput):
        L.reports.set_setting("response.basis", "签收")
    assert L.reports.settings()["response.basis"] == "sign_for"


# --- the locality in the CSV -----------------------------------------------------------

def test_the_locality_goes_out_in_the_csv_and_comes_back(ledger: Ledger) -> None:
    import io

    from ledger.io.csvformat import export_csv
    from ledger.io.importer import ImportRefused, import_csv

    n = ledger.demands.add("路灯坏了", village="东坪村", on="2026-11-16", level="township")
    ledger.demands.assign(n, unit="镇司法所", locality="河口社区", on="2026-11-16")
    ledger.demands.add("水管", village="西岭村", on="2026-11-16")
    out = io.BytesIO()
    export_csv(ledger, "demands", out)
    data = out.getvalue()
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].endswith(",首次响应日期,属地")
    assert text.splitlines()[1].endswith(",河口社区")
    other = township("2026-11-17")
    assert import_csv(other, data).added == 2
    assert other.demands.show(n)["locality"] == "河口社区"
    assert [r["locality"] for r in other.demands.list()] == ["河口社区", None]
    again = io.BytesIO()
    export_csv(other, "demands", again)
    assert again.getvalue() == data  # export, import, export: the same bytes
    assert other.checks.run() == []
    # a locality without a lead unit describes no assignment: refused, nothing written
    bad = text.replace(",镇司法所,", ",,", 1).encode("utf-8-sig")
    third = township("2026-11-17")
    before = journal_count(third)
    with pytest.raises(ImportRefused) as e:
        import_csv(third, bad)
    assert [p.column for p in e.value.params["errors"]] == ["属地"]
    assert journal_count(third) == before


def test_m014_counts_the_follow_ups_as_the_replay_does(tmp_path) -> None:
    from .test_safety import make, undo_migration

    path = tmp_path / "l.db"
    L = make(path)
    twice = L.demands.add("路灯坏了", village="东坪村", on="2026-11-02")
    L.demands.resolve(twice, result="修好", on="2026-11-03")
    L.demands.follow_up(twice, satisfaction="满意", on="2026-11-04")
    L.demands.follow_up(twice, satisfaction="满意", on="2026-11-05")
    reopened = L.demands.add("漏水", village="东坪村", on="2026-11-02")
    L.demands.resolve(reopened, result="修好", on="2026-11-03")
    L.demands.follow_up(reopened, satisfaction="不满意", reopen=True, on="2026-11-04")
    never = L.demands.add("噪声", village="东坪村", on="2026-11-02")
    L = undo_migration(L, path, "m014_meetings", "drop index idx_demands_locality",
                       "alter table demands drop column locality_id",
                       "alter table demands drop column follow_ups", "drop table meetings")
    assert [L.demands.row(n)["follow_ups"] for n in (twice, reopened, never)] == [2, 0, 0]
    assert L.checks.run() == []


def test_check_names_a_locality_or_a_meeting_that_is_not_there(ledger: Ledger) -> None:
    n = ledger.demands.add("路灯坏了", village="东坪村", level="township")
    ledger.demands.assign(n, unit="镇司法所", locality="河口社区")
    m = ledger.meetings.add(on="2026-11-17")
    ledger.meetings.decide(m, n, decision="镇司法所牵头")
    assert ledger.checks.run() == []
    ledger.db.execute("pragma foreign_keys = off")
    ledger.db.execute("delete from meetings")
    ledger.db.execute("update demands set locality_id = 99")
    keys = {f.key for f in ledger.checks.run()}
    assert {"check.locality_reference", "check.meeting_reference", "check.row_missing",
            "journal.disagrees"} <= keys
