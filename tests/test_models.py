"""The domain tier: the Ledger on in-memory ledgers, no CLI."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import BadInput, LedgerFileError, NotFound, Refused
from ledger.models import check_id_number, check_phone, enum_value
from ledger.privacy import mask_id_number, mask_name, mask_phone
from ledger.services import Ledger, open_ledger
from ledger.store import resolve_path
from ledger.store.migrations import migrations

from .conftest import ID_1, TODAY, new_township, setup_township


def journal_count(ledger: Ledger) -> int:
    return ledger.db.execute("select count(*) from journal").fetchone()[0]


# --- registers and lookups -------------------------------------------------------------

def test_unknown_names_suggest_the_nearest_valid_ones(ledger: Ledger) -> None:
    with pytest.raises(NotFound) as e:
        ledger.registers.village("东平村")
    assert e.value.params["choices"][0] == "东坪村"
    assert e.value.message() == "没有村/社区“东平村”;最接近的:东坪村"
    assert e.value.exit_code == 2
    with pytest.raises(NotFound) as e:
        ledger.registers.unit("住建局")
    assert e.value.params["choices"] == ["县住建局"]


@pytest.mark.parametrize("call,what", [
    (lambda L: L.registers.add_village("东坪村"), "village"),
    (lambda L: L.registers.add_unit("镇司法所"), "unit"),
    (lambda L: L.registers.add_cadre("李梅"), "cadre"),
    (lambda L: L.registers.add_term("category", "物业"), "category"),
    (lambda L: L.registers.add_term("channel", "12345热线"), "channel"),
    (lambda L: L.registers.add_township("青石镇"), "township"),
])
def test_duplicates_are_refused_and_nothing_is_written(ledger: Ledger, call, what) -> None:
    before = journal_count(ledger)
    with pytest.raises(Refused) as e:
        call(ledger)
    assert (e.value.key, e.value.params["what"], e.value.exit_code) == ("exists", what, 1)
    assert journal_count(ledger) == before


def test_township_extends_its_own_vocabulary(ledger: Ledger) -> None:
    ledger.registers.add_term("category", "秸秆禁烧")
    ledger.registers.add_term("channel", "村民说事会")
    n = ledger.demands.add("邻村焚烧秸秆", village="西岭村", category="秸秆禁烧", channel="村民说事会")
    d = ledger.demands.show(n)
    assert (d["category"], d["channel"]) == ("秸秆禁烧", "村民说事会")
    assert "秸秆禁烧" in ledger.registers.terms("category")


def test_village_needs_a_township_when_there_are_several(ledger: Ledger) -> None:
    ledger.registers.add_township("白关镇")
    with pytest.raises(BadInput) as e:
        ledger.registers.add_village("新村")
    assert e.value.params["choices"] == ["白关镇", "青石镇"]
    ledger.registers.add_village("东坪村", township="白关镇")  # same name, other township: fine
    with pytest.raises(BadInput) as e:
        ledger.registers.village("东坪村")
    assert e.value.key == "ambiguous"
    assert ledger.registers.village("白关镇/东坪村")["township"] == "白关镇"


@pytest.mark.parametrize("kind,typed,stored", [
    ("level", "县级", "county"), ("level", "街道", "township"), ("level", "村", "village"),
    ("level", "County", "county"), ("complexity", "疑难复杂", "complex"),
    ("complexity", "一般", "general"), ("satisfaction", "基本满意", "basically_satisfied"),
    ("satisfaction", "不满意", "dissatisfied"), ("status", "已销号", "closed"),
    ("status", "办理中", "open"),
])
def test_chinese_and_english_enumerations(kind: str, typed: str, stored: str) -> None:
    assert enum_value(kind, typed) == stored


def test_unknown_enumeration_lists_the_choices() -> None:
    with pytest.raises(BadInput) as e:
        enum_value("satisfaction", "很满意")
    assert "满意" in e.value.params["choices"] and "不满意" in e.value.params["choices"]


# --- identity checks and masking -------------------------------------------------------

@pytest.mark.parametrize("value,key", [
    ("11010519491231002", "id_number.malformed"),      # 17 characters
    ("1101051949123100AX", "id_number.malformed"),
    ("110105194902300020", "id_number.birth_date"),     # 30 February
    ("110105194912310021", "id_number.checksum"),
])
def test_bad_id_numbers(value: str, key: str) -> None:
    with pytest.raises(BadInput) as e:
        check_id_number(value)
    assert e.value.key == key


def test_id_number_lowercase_x_is_normalised() -> None:
    assert check_id_number(ID_1.lower()) == ID_1


@pytest.mark.parametrize("value,stored", [
    ("138 1234 5678", "13812345678"), ("+86 13812345678", "13812345678"),
    ("0931-8123456", "09318123456"),
])
def test_phone_numbers_are_normalised(value: str, stored: str) -> None:
    assert check_phone(value) == stored


@pytest.mark.parametrize("value", ["12345", "23812345678", "1381234567", "电话"])
def test_bad_phone_numbers(value: str) -> None:
    with pytest.raises(BadInput):
        check_phone(value)


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("110101199003071014") == "110101********1014"
    assert mask_name("张秀兰") == "张*"
    assert mask_name("欧阳修") == "欧*"
    assert mask_name("张") == "张*"
    assert mask_phone(None) is None


# --- residents -------------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["张秀兰", "#1", "1", ID_1, "13812345678"])
def test_resident_found_by_name_number_id_or_phone(ledger: Ledger, ref: str) -> None:
    assert ledger.residents.get(ref)["name"] == "张秀兰"


def test_same_name_residents_need_a_village(ledger: Ledger) -> None:
    with pytest.raises(BadInput) as e:
        ledger.residents.get("王芳")
    assert e.value.params["choices"] == ["#2 王芳(东坪村, 尾号1111)", "#3 王芳(西岭村, 尾号2222)"]
    assert ledger.residents.get("王芳/西岭村")["id"] == 3


def test_an_id_number_is_registered_once(ledger: Ledger) -> None:
    with pytest.raises(Refused) as e:
        ledger.residents.add("张秀兰", "西岭村", id_number=ID_1)
    assert e.value.params == {"id": 1, "name": "张秀兰"}


def test_find_residents(ledger: Ledger) -> None:
    assert [r["id"] for r in ledger.residents.find("王")] == [2, 3]
    assert [r["id"] for r in ledger.residents.find("2222")] == [3]
    assert [r["id"] for r in ledger.residents.find(village="东坪村")] == [1, 2]
    assert [r["id"] for r in ledger.residents.find(tag="独居老人")] == [1]


def test_tags_added_and_removed(ledger: Ledger) -> None:
    assert ledger.residents.tag("张秀兰", add=["困难群体"]) == ["困难群体", "独居老人"]
    assert ledger.residents.tag("张秀兰", remove=["独居老人"]) == ["困难群体"]
    with pytest.raises(BadInput):
        ledger.residents.tag("张秀兰", remove=["长期上访户"])


def test_resident_page_holds_every_visit_and_demand(ledger: Ledger) -> None:
    ledger.visits.log(village="东坪村", resident="张秀兰", cadres=["王建国"], on="2026-11-10",
                     issues=["屋顶漏水"])
    ledger.visits.log(resident="张秀兰", cadres=["王建国", "李梅"], on="2026-11-17",
                     issues=["低保咨询", "路灯坏了"], channel="在村接访")
    ledger.demands.add("养犬扰民", village="东坪村", resident="王芳/东坪村")
    page = ledger.residents.page("张秀兰")
    assert page["tags"] == ["独居老人"]
    assert [(v["visited_on"], v["cadres"], v["demands"]) for v in page["visits"]] == [
        ("2026-11-10", "王建国", 1), ("2026-11-17", "王建国、李梅", 2)]
    assert [d["number"] for d in page["demands"]] == ["2026-000001", "2026-000002", "2026-000003"]
    assert {d["resident"] for d in page["demands"]} == {"张秀兰"}


# --- visits and demands ----------------------------------------------------------------

def test_a_visit_without_a_resident_counts_too(ledger: Ledger) -> None:
    v = ledger.visits.log(village="河口社区", cadres=["李梅"], channel="意见箱", on="2026-11-17",
                         note="开箱 3 封")
    assert v["numbers"] == []
    assert ledger.visits.list()[0]["village"] == "河口社区"


def test_a_visit_with_a_bad_cadre_writes_nothing(ledger: Ledger) -> None:
    before = journal_count(ledger)
    with pytest.raises(NotFound):
        ledger.visits.log(village="东坪村", cadres=["王建国", "赵六"], issues=["屋顶漏水"])
    assert journal_count(ledger) == before
    assert ledger.db["visits"].count == 0 and ledger.db["demands"].count == 0


def test_numbers_run_per_year_of_receipt(ledger: Ledger) -> None:
    assert ledger.demands.add("a", village="东坪村", on="2025-12-30") == "2025-000001"
    assert ledger.demands.add("b", village="东坪村", on="2026-01-04") == "2026-000001"
    assert ledger.demands.add("c", village="东坪村", on="2025-12-31") == "2025-000002"
    assert ledger.demands.add("d", village="东坪村") == "2026-000002"


@pytest.mark.parametrize("typed", ["2026-000002", "2026-2", "2026-02", " 2026-000002 "])
def test_demand_numbers_may_be_typed_short(ledger: Ledger, typed: str) -> None:
    ledger.demands.add("a", village="东坪村")
    ledger.demands.add("b", village="东坪村")
    assert ledger.demands.show(typed)["text"] == "b"


def test_a_bare_sequence_number_must_be_unambiguous(ledger: Ledger) -> None:
    ledger.demands.add("a", village="东坪村", on="2025-12-30")
    ledger.demands.add("b", village="东坪村")
    with pytest.raises(BadInput) as e:
        ledger.demands.show("1")
    assert e.value.params["choices"] == ["2025-000001", "2026-000001"]


@pytest.mark.parametrize("on,key", [("2026-11-18", "date.future"), ("2026-02-30", "date.impossible"),
                                    ("17/11/2026", "date.malformed")])
def test_bad_dates(ledger: Ledger, on: str, key: str) -> None:
    with pytest.raises(BadInput) as e:
        ledger.demands.add("a", village="东坪村", on=on)
    assert e.value.key == key


@pytest.mark.parametrize("typed", ["2026-11-03", "2026/11/3", "2026.11.03", "20261103", "2026年11月3日"])
def test_dates_as_clerks_write_them(ledger: Ledger, typed: str) -> None:
    n = ledger.demands.add("a", village="东坪村", on=typed)
    assert ledger.demands.show(n)["received_on"] == "2026-11-03"


@pytest.mark.parametrize("text,key", [("", "text.empty"), ("   ", "text.empty"),
                                      ("a\x07b", "text.control"), ("长" * 5001, "text.too_long")])
def test_bad_demand_text(ledger: Ledger, text: str, key: str) -> None:
    with pytest.raises(BadInput) as e:
        ledger.demands.add(text, village="东坪村")
    assert e.value.key == key


def test_a_unit_above_the_demands_level_needs_escalation_first(ledger: Ledger) -> None:
    n = ledger.demands.add("宅基地边界争议", village="东坪村")
    ledger.demands.assign(n, unit="东坪村委会")
    with pytest.raises(Refused) as e:
        ledger.demands.assign(n, unit="镇司法所")
    assert e.value.message() == "镇司法所是镇级单位,诉求 2026-000001 目前在村级,须先上报"
    ledger.demands.escalate(n, reason="村调解两次未果")
    ledger.demands.assign(n, unit="镇司法所", co_units=["镇综治中心", "镇司法所"], handler="李梅")
    d = ledger.demands.show(n)
    assert (d["level"], d["unit"], d["co_units"], d["handler"]) == \
        ("township", "镇司法所", ["镇综治中心"], "李梅")


def test_whole_life_of_a_demand_escalated_twice_and_reopened(ledger: Ledger) -> None:
    n = ledger.visits.log(village="东坪村", resident="张秀兰", cadres=["王建国"], on="2026-10-27",
                         issues=["违章搭建导致屋顶渗水"])["numbers"][0]
    steps = [
        lambda: ledger.demands.classify(n, category="违章搭建", complexity="疑难复杂", type="投诉", on="2026-10-27"),
        lambda: ledger.demands.escalate(n, reason="涉及邻村业主,村里协调不了", on="2026-10-27"),
        lambda: ledger.demands.whistle(n, units=["镇司法所", "镇综治中心"], on="2026-10-28"),
        lambda: ledger.demands.report_in(n, unit="镇司法所", on="2026-10-29"),
        lambda: ledger.demands.escalate(n, reason="需县住建局认定", on="2026-10-30"),
        lambda: ledger.demands.assign(n, unit="县自然资源局", on="2026-10-30"),
        lambda: ledger.demands.return_(n, unit="县自然资源局", reason="属住建职责", on="2026-11-02"),
        lambda: ledger.demands.assign(n, unit="县住建局", co_units=["镇综治中心"], handler="周工", on="2026-11-02"),
        lambda: ledger.demands.take_charge(n, leader="副县长 陈立", on="2026-11-03"),
        lambda: ledger.demands.notify(n, text="已现场勘查,正在拟定整改方案", on="2026-11-05"),
        lambda: ledger.demands.extend(n, reason="需等待业主整改", approver="分管领导", days=5, on="2026-11-06"),
        lambda: ledger.demands.suspend(n, reason="等待业主回乡", on="2026-11-06"),
        lambda: ledger.demands.resume(n, on="2026-11-09"),
        lambda: ledger.demands.resolve(n, result="违建拆除,屋顶修复", feedback="已电话告知", on="2026-11-10"),
        lambda: ledger.demands.follow_up(n, satisfaction="不满意", note="仍有渗水", reopen=True, on="2026-11-12"),
        lambda: ledger.demands.resolve(n, result="重新做防水", on="2026-11-16"),
        lambda: ledger.demands.follow_up(n, satisfaction="满意", on="2026-11-17"),
        lambda: ledger.demands.close(n, on="2026-11-17"),
    ]
    for take in steps:
        take()
        assert ledger.demands.disagreements(n) == []
    d = ledger.demands.show(n)
    assert (d["status"], d["level"], d["unit"], d["satisfaction"], d["resolved_on"],
            d["closed_on"], d["reopen_count"], d["suspended_days"], d["leader"]) == (
        "closed", "county", "县住建局", "satisfied", "2026-11-16", "2026-11-17", 1, 3, "副县长 陈立")
    assert d["summoned"] == [("镇司法所", "2026-10-29"), ("镇综治中心", None)]
    assert [e["action"] for e in d["events"]] == [
        "accept", "classify", "escalate", "whistle", "report_in", "escalate", "assign", "return",
        "assign", "take_charge", "notify", "extend", "suspend", "resume", "resolve", "follow_up",
        "resolve", "follow_up", "close"]
    assert d["events"][7]["reason"] == "属住建职责"
    assert d["events"][1]["data"]["before"] == {"category": None, "complexity": "general", "type": None}


def test_corrections_keep_the_original_text(ledger: Ledger) -> None:
    n = ledger.demands.add("路灯怀了", village="东坪村")
    ledger.demands.correct(n, "路灯坏了", reason="错别字")
    d = ledger.demands.show(n)
    assert d["text"] == "路灯坏了"
    assert d["events"][0]["data"]["text"] == "路灯怀了"
    assert d["events"][1]["data"] == {"text": "路灯坏了", "before": "路灯怀了"}


def test_a_refused_step_writes_nothing(ledger: Ledger) -> None:
    n = ledger.demands.add("a", village="东坪村")
    before = journal_count(ledger)
    with pytest.raises(Refused) as e:
        ledger.demands.close(n)
    assert e.value.message() == "诉求 2026-000001 尚未办结,不能销号"
    assert e.value.message("en") == "demand 2026-000001 has not been resolved; it cannot be closed"
    assert journal_count(ledger) == before
    assert ledger.demands.show(n)["status"] == "open"


def test_classify_with_nothing_new_is_refused(ledger: Ledger) -> None:
    n = ledger.demands.add("a", village="东坪村", category="物业")
    with pytest.raises(BadInput) as e:
        ledger.demands.classify(n, category="物业")
    assert e.value.key == "nothing_to_change"


def test_journal_is_append_only_in_the_file_itself(ledger: Ledger) -> None:
    ledger.demands.add("a", village="东坪村")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        ledger.db.execute("update journal set reason = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        ledger.db.execute("delete from journal")


def test_tampering_with_the_state_is_detected(ledger: Ledger) -> None:
    n = ledger.demands.add("a", village="东坪村")
    ledger.db.execute("update demands set status = 'closed' where number = ?", [n])
    assert ledger.demands.disagreements(n) == ["status"]


# --- lists -----------------------------------------------------------------------------

@pytest.fixture
def busy(ledger: Ledger) -> Ledger:
    a = ledger.demands.add("a", village="东坪村", resident="张秀兰", category="物业", on="2026-11-03")
    b = ledger.demands.add("b", village="西岭村", category="养犬", on="2026-11-10")
    c = ledger.demands.add("c", village="东坪村", on="2026-11-17")
    ledger.demands.escalate(b, reason="x")
    ledger.demands.assign(b, unit="镇司法所", co_units=["镇综治中心"])
    ledger.demands.settle(a, result="当场调解", on="2026-11-03")
    ledger.demands.escalate(c, reason="x")
    ledger.demands.assign(c, unit="镇综治中心")
    return ledger


@pytest.mark.parametrize("filters,numbers", [
    ({}, ["2026-000001", "2026-000002", "2026-000003"]),
    ({"status": "办理中"}, ["2026-000002", "2026-000003"]),
    ({"status": "resolved"}, ["2026-000001"]),
    ({"village": "东坪村"}, ["2026-000001", "2026-000003"]),
    ({"category": "养犬"}, ["2026-000002"]),
    ({"unit": "镇综治中心"}, ["2026-000002", "2026-000003"]),  # cooperating and lead
    ({"unit": "镇司法所"}, ["2026-000002"]),
    ({"level": "镇级"}, ["2026-000002", "2026-000003"]),
    ({"resident": "张秀兰"}, ["2026-000001"]),
    ({"since": "2026-11-04", "until": "2026-11-16"}, ["2026-000002"]),
    ({"since": "2026-11-10"}, ["2026-000002", "2026-000003"]),
    ({"village": "东坪村", "status": "open"}, ["2026-000003"]),
])
def test_list_filters(busy: Ledger, filters: dict, numbers: list[str]) -> None:
    assert [r["number"] for r in busy.demands.list(**filters)] == numbers


def test_list_refuses_a_backward_date_range(busy: Ledger) -> None:
    with pytest.raises(BadInput) as e:
        busy.demands.list(since="2026-11-17", until="2026-11-01")
    assert e.value.key == "date.range"


# --- the journal agrees with the state, whatever the clerk does -------------------------

STEPS = {
    "classify": lambda L, n: L.demands.classify(n, category="物业" if L.demands.show(n)["category"] != "物业" else "养犬"),
    "settle": lambda L, n: L.demands.settle(n, result="当场调解"),
    "escalate": lambda L, n: L.demands.escalate(n, reason="本级解决不了"),
    "assign_village": lambda L, n: L.demands.assign(n, unit="东坪村委会"),
    "assign_township": lambda L, n: L.demands.assign(n, unit="镇司法所", co_units=["镇综治中心"]),
    "assign_county": lambda L, n: L.demands.assign(n, unit="县住建局"),
    "whistle": lambda L, n: L.demands.whistle(n, units=["镇司法所", "镇综治中心"]),
    "report_in": lambda L, n: L.demands.report_in(n, unit="镇司法所"),
    "return": lambda L, n: L.demands.return_(n, unit="镇司法所", reason="不属本单位"),
    "take_charge": lambda L, n: L.demands.take_charge(n, leader="镇党委书记"),
    "notify": lambda L, n: L.demands.notify(n, text="正在办理"),
    "extend": lambda L, n: L.demands.extend(n, reason="需协调", approver="分管领导", days=3),
    "suspend": lambda L, n: L.demands.suspend(n, reason="等材料"),
    "resume": lambda L, n: L.demands.resume(n),
    "resolve": lambda L, n: L.demands.resolve(n, result="已解决"),
    "follow_up_ok": lambda L, n: L.demands.follow_up(n, satisfaction="满意"),
    "follow_up_reopen": lambda L, n: L.demands.follow_up(n, satisfaction="不满意", reopen=True),
    "close": lambda L, n: L.demands.close(n),
    "reopen": lambda L, n: L.demands.reopen(n, reason="又出现了"),
    "correct": lambda L, n: L.demands.correct(n, L.demands.show(n)["text"] + "。", reason="补充"),
    "receive": lambda L, n: L.demands.receive(n),
    "receive_co": lambda L, n: L.demands.receive(n, unit="镇综治中心"),
    "receive_other": lambda L, n: L.demands.receive(n, unit="县自然资源局"),
    "urge": lambda L, n: L.demands.urge(n, text="请加快办理", copy="分管副镇长"),
    "supervise": lambda L, n: L.demands.supervise(n, leader="李副镇长"),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=25))
def test_any_sequence_of_steps_keeps_state_equal_to_journal(actions: list[str]) -> None:
    ledger = new_township(TODAY, "刘洁")
    n = ledger.demands.add("屋顶漏水", village="东坪村")
    for action in actions:
        before = (journal_count(ledger), ledger.demands.show(n))
        try:
            STEPS[action](ledger, n)
        except (Refused, BadInput):
            assert (journal_count(ledger), ledger.demands.show(n)) == before
        else:
            assert journal_count(ledger) == before[0] + 1
        assert ledger.demands.disagreements(n) == []
        assert ledger.demands.show(n)["status"] in ("open", "suspended", "resolved", "closed")


# --- storage ---------------------------------------------------------------------------

def test_reopening_a_ledger_applies_no_migration_twice(tmp_path) -> None:
    path = tmp_path / "l.db"
    setup_township(Ledger(open_ledger(path), today=TODAY))
    db = open_ledger(path)
    assert [m.name for m in migrations.applied(db)] == [m.name for m in migrations._migrations]
    assert db["residents"].count == 3


def test_a_database_that_is_not_a_ledger_is_refused_untouched(tmp_path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("create table sales (id integer)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LedgerFileError) as e:
        open_ledger(path)
    assert e.value.key == "file.not_ledger"
    assert path.read_bytes() == before


def test_a_text_file_is_not_a_ledger(tmp_path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("这不是台账" * 200, encoding="utf-8")
    with pytest.raises(LedgerFileError) as e:
        open_ledger(path)
    assert e.value.key == "file.not_ledger"


def test_a_ledger_from_a_newer_version_is_refused(tmp_path) -> None:
    path = tmp_path / "new.db"
    db = open_ledger(path)
    db["_sqlite_migrations"].insert({"migration_set": "ledger", "name": "m999_future",
                                     "applied_at": "2030-01-01"})
    db.conn.commit()
    with pytest.raises(LedgerFileError) as e:
        open_ledger(path)
    assert e.value.key == "file.too_new"
    assert "m999_future" in e.value.message()


def test_where_the_ledger_lives(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("LEDGER_DB")
    assert resolve_path(None).name == "ledger.db"
    assert "ledger" in str(resolve_path(None).parent).lower()
    monkeypatch.setenv("LEDGER_DB", str(tmp_path / "env.db"))
    assert resolve_path(None) == tmp_path / "env.db"
    assert resolve_path(tmp_path / "flag.db") == tmp_path / "flag.db"


def test_domain_never_reads_the_clock(ledger: Ledger) -> None:
    later = Ledger(ledger.db, today=date(2030, 1, 1))
    assert later.demands.add("x", village="东坪村") == "2030-000001"


@pytest.mark.parametrize("query,ids", [("13900002222", [3]), ("222", [3]), ("1111", [2]),
                                       ("139", [])])  # the start is not a tail
def test_find_residents_by_any_end_of_their_phone(ledger: Ledger, query: str, ids: list[int]) -> None:
    assert [r["id"] for r in ledger.residents.find(query)] == ids


def test_a_long_name_is_called_a_name() -> None:
    from ledger.models import clean_name

    with pytest.raises(BadInput) as e:
        clean_name("张" * 61, "resident")
    assert e.value.message() == "群众的名称太长(61 字,最多 60 字)"


def test_hints_do_not_repeat_a_name(ledger: Ledger) -> None:
    with pytest.raises(NotFound) as e:
        ledger.residents.get("王方")
    assert e.value.params["choices"].count("王芳") == 1


def test_a_residents_grid_is_not_carried_into_another_village(ledger: Ledger) -> None:
    home = ledger.demands.add("a", village="东坪村", resident="张秀兰")
    away = ledger.demands.add("b", village="西岭村", resident="张秀兰")
    grids = dict(ledger.db.execute("select number, grid_id from demands").fetchall())
    assert (grids[home], grids[away]) == (1, None)
