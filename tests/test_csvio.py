"""CSV export and import (ledger/csvio.py), in the domain tier: ledgers built with the
fixtures and Ledger methods, files as bytes in memory, read back as bytes."""

from __future__ import annotations

import codecs
import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.io import csvformat as csvio
from ledger.io import importer
from ledger.io.csvformat import escape_cell, export_csv, unescape_cell
from ledger.io.importer import ImportRefused, import_csv
from ledger.errors import BadInput, NotFound, Refused
from ledger.services import Ledger
from ledger.services import open_ledger

from .conftest import ID_1, ID_2, TODAY, setup_township

BOM = b"\xef\xbb\xbf"
HEADER = ("编号,受理日期,镇/街道,村/社区,网格,反映人,联系电话,渠道,类别,难易程度,诉求类型,"
          "诉求内容,状态,层级,牵头单位,配合单位,责任人,包案领导,办理时限,时限暂定,当场解决,"
          "上报日期,交办日期,挂起日期,办结日期,办理结果,反馈情况,回访日期,满意度,销号日期,重办次数,首次响应日期,属地")


def one(ledger, sql: str, params=()):
    """The first row of a query on a ledger's file, as a dict (None if none)."""
    return next(iter(ledger.db.query(sql, params)), None)


def counts(ledger: Ledger) -> dict[str, int]:
    tables = ("demands", "residents", "visits", "villages", "townships", "grids", "units",
              "terms", "cadres", "journal")
    return {t: ledger.db.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def journal_count(ledger: Ledger) -> int:
    return ledger.db.execute("select count(*) from journal").fetchone()[0]


def export(ledger: Ledger, what: str = "demands", **kw) -> bytes:
    out = io.BytesIO()
    export_csv(ledger, what, out, **kw)
    return out.getvalue()


def cells(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def by_header(data: bytes) -> list[dict[str, str]]:
    head, *rows = cells(data)
    return [dict(zip(head, r)) for r in rows]


def registers(ledger: Ledger) -> Ledger:
    """The small township, plus a resident with address, note, tags and a landline."""
    setup_township(ledger)
    ledger.residents.add("李四", "河口社区", phone="02887654321", address="河口社区3栋2单元",
                        note="=备注以等号开头", tags=["困难群体", "独居老人"])
    return ledger


def fresh(create: bool = False) -> Ledger:
    """A second ledger: with the same registers, or (create) one with nothing in it."""
    ledger = Ledger(open_ledger(":memory:"), today=TODAY, user="刘洁")
    return ledger if create else registers(ledger)


@pytest.fixture
def full(ledger: Ledger) -> Ledger:
    """Demands in every status and at every level, with every milestone the CSV carries."""
    L = ledger
    L.residents.add("李四", "河口社区", phone="02887654321", address="河口社区3栋2单元",
                   note="=备注以等号开头", tags=["困难群体", "独居老人"])
    # 2025-000001: a petition case (calendar-day clock) from last year, at township level.
    old = L.demands.add("多年宅基地纠纷", village="西岭村", resident="王芳/西岭村", on="2025-12-30",
                       category="信访积案", channel="带案下访")
    L.demands.escalate(old, reason="村里调解不成", on="2026-01-05")
    # 2026-000001: escalated twice, assigned with a cooperating unit, reopened after 不满意,
    # resolved again and closed.
    n = L.visits.log(village="东坪村", resident="张秀兰", cadres=["王建国", "李梅"], on="2026-10-27",
                    issues=["违章搭建导致屋顶渗水"], note="入户走访,老人独居")["numbers"][0]
    L.demands.classify(n, category="违章搭建", complexity="疑难复杂", type="投诉", on="2026-10-27")
    L.demands.escalate(n, reason="涉及邻村业主", on="2026-10-27")
    L.demands.whistle(n, units=["镇司法所", "镇综治中心"], on="2026-10-28")
    L.demands.escalate(n, reason="需县住建局认定", on="2026-10-30")
    L.demands.assign(n, unit="县自然资源局", on="2026-10-30")
    L.demands.return_(n, unit="县自然资源局", reason="属住建职责", on="2026-11-02")
    L.demands.assign(n, unit="县住建局", co_units=["镇综治中心"], handler="周工", on="2026-11-02")
    L.demands.take_charge(n, leader="副县长 陈立", on="2026-11-03")
    L.demands.extend(n, reason="需等待业主整改", approver="分管领导", days=5, on="2026-11-06")
    L.demands.resolve(n, result="违建拆除,屋顶修复", feedback="已电话告知", on="2026-11-10")
    L.demands.follow_up(n, satisfaction="不满意", reopen=True, on="2026-11-12")
    L.demands.resolve(n, result="重新做防水", on="2026-11-16")
    L.demands.follow_up(n, satisfaction="满意", on="2026-11-17")
    L.demands.close(n, on="2026-11-17")
    # 2026-000002: settled on the spot, followed up and closed.
    s = L.demands.add("邻里噪声扰民", village="东坪村", resident="王芳/东坪村", on="2026-11-02",
                     category="噪声/油烟扰民", channel="在村接访")
    L.demands.settle(s, result="当场调解", feedback="双方签字", on="2026-11-02")
    L.demands.follow_up(s, satisfaction="满意", on="2026-11-03")
    L.demands.close(s, on="2026-11-03")
    # 2026-000003: assigned to the village committee, resolved, 基本满意, not yet closed.
    r = L.demands.add("村道积水", village="东坪村", on="2026-11-03", category="基础设施")
    L.demands.assign(r, unit="东坪村委会", handler="村主任", on="2026-11-04")
    L.demands.resolve(r, result="疏通排水沟", on="2026-11-05")
    L.demands.follow_up(r, satisfaction="基本满意", on="2026-11-06")
    # 2026-000004: closed although dissatisfied (with a reason).
    d = L.demands.add("要求补偿", village="西岭村", resident="王芳/西岭村", on="2026-11-05")
    L.demands.resolve(d, result="依政策答复", on="2026-11-06")
    L.demands.follow_up(d, satisfaction="不满意", on="2026-11-09")
    L.demands.close(d, reason="诉求超出政策范围", on="2026-11-10")
    # 2026-000005: closed, then reopened: open again.
    o = L.demands.add("自来水发黄", village="河口社区", resident="李四", on="2026-11-02")
    L.demands.resolve(o, result="冲洗管道", on="2026-11-03")
    L.demands.follow_up(o, satisfaction="满意", on="2026-11-04")
    L.demands.close(o, on="2026-11-04")
    L.demands.reopen(o, reason="又发黄了", on="2026-11-16")
    # 2026-000006: complex, suspended a second time after an earlier pause.
    p = L.demands.add("低保申请材料不全", village="河口社区", resident="李四", on="2026-11-09",
                     complexity="疑难复杂", type="求助", category="生活困难")
    L.demands.suspend(p, reason="等待补材料", on="2026-11-10")
    L.demands.resume(p, on="2026-11-12")
    L.demands.suspend(p, reason="仍缺户口本", on="2026-11-13")
    # 2026-000007: at township, assigned with co-unit and handler, extended.
    t = L.demands.add("路灯坏了", village="河口社区", on="2026-11-10", type="投诉")
    L.demands.escalate(t, reason="村里无维修资金", on="2026-11-11")
    L.demands.assign(t, unit="镇司法所", co_units=["镇综治中心"], handler="周工", on="2026-11-12")
    L.demands.extend(t, reason="需采购灯具", approver="分管领导", days=3, on="2026-11-13")
    # 2026-000008: at county, not assigned, a leader in charge.
    c = L.demands.add("历史遗留安置问题", village="西岭村", on="2026-11-11", category="回迁安置")
    L.demands.escalate(c, reason="镇里协调不了", on="2026-11-12")
    L.demands.escalate(c, reason="需县里决策", on="2026-11-13")
    L.demands.take_charge(c, leader="县委副书记", on="2026-11-13")
    # 2026-000009: text Excel would run as a formula, on several lines, with quotes.
    L.demands.add('=SUM(A1,A2)\n第二行"带引号"', village="河口社区", on="2026-11-16")
    # 2026-000010: a resident of 东坪村 raising a demand in 西岭村, where another 王芳 lives.
    L.demands.add("@某人 +86电话", village="西岭村", resident="王芳/东坪村", on="2026-11-17")
    return L


NUMBERS = ["2025-000001"] + [f"2026-{i:06d}" for i in range(1, 11)]
# Exported oldest first (by date received, then number).
EXPORTED = ["2025-000001", "2026-000001", "2026-000002", "2026-000005", "2026-000003",
            "2026-000004", "2026-000006", "2026-000007", "2026-000008", "2026-000009",
            "2026-000010"]


# --- the bytes of an export ------------------------------------------------------------

def test_utf8_with_bom_by_default(full: Ledger) -> None:
    data = export(full)
    assert data.startswith(BOM + HEADER.encode("utf-8") + b"\r\n")
    assert [r[0] for r in cells(data)[1:]] == EXPORTED


def test_gb18030_on_request(full: Ledger) -> None:
    data = export(full, encoding="gb18030")
    assert not data.startswith(BOM)
    assert "受理日期".encode("gb18030") in data
    assert "受理日期".encode("utf-8") not in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gb18030")
    assert text.startswith(HEADER + "\r\n")
    assert text == export(full).decode("utf-8-sig")


def test_plain_utf8_for_programs_and_bad_encodings_refused(full: Ledger) -> None:
    assert export(full, encoding="utf-8") == export(full)[3:]
    with pytest.raises(BadInput) as e:
        export(full, encoding="big5")
    assert e.value.params["choices"] == ["utf-8-sig", "gb18030", "utf-8"]


def test_demand_row_exactly(full: Ledger) -> None:
    rows = {r["编号"]: r for r in by_header(export(full, unmask=True))}
    assert rows["2026-000001"] == {
        "编号": "2026-000001", "受理日期": "2026-10-27", "镇/街道": "青石镇", "村/社区": "东坪村",
        "网格": "一组", "反映人": "张秀兰", "联系电话": "\t13812345678", "渠道": "入户走访",
        "类别": "违章搭建", "难易程度": "疑难复杂", "诉求类型": "投诉",
        "诉求内容": "违章搭建导致屋顶渗水", "状态": "已销号", "层级": "县级",
        "牵头单位": "县住建局", "配合单位": "镇综治中心", "责任人": "周工", "包案领导": "副县长 陈立",
        "办理时限": "2026-11-23", "时限暂定": "否", "当场解决": "否", "上报日期": "2026-10-30",
        "交办日期": "2026-11-02", "挂起日期": "", "办结日期": "2026-11-16",
        "办理结果": "重新做防水", "反馈情况": "", "回访日期": "2026-11-17", "满意度": "满意",
        "销号日期": "2026-11-17", "重办次数": "1", "首次响应日期": "2026-10-27", "属地": "",
    }
    assert [(r["状态"], r["层级"], r["当场解决"], r["满意度"]) for _, r in sorted(rows.items())] == [
        ("办理中", "镇级", "否", ""), ("已销号", "县级", "否", "满意"),
        ("已销号", "村级", "是", "满意"), ("已办结", "村级", "否", "基本满意"),
        ("已销号", "村级", "否", "不满意"), ("办理中", "村级", "否", ""),
        ("已挂起", "村级", "否", ""), ("办理中", "镇级", "否", ""), ("办理中", "县级", "否", ""),
        ("办理中", "村级", "否", ""), ("办理中", "村级", "否", "")]
    assert rows["2026-000006"]["挂起日期"] == "2026-11-13"
    assert rows["2025-000001"]["办理时限"] == "2026-03-06"  # 60 calendar days from the escalation


# --- personal data -----------------------------------------------------------------------

def test_phones_and_id_numbers_masked_by_default(full: Ledger) -> None:
    demands, residents = export(full), export(full, "residents")
    for data in (demands, residents):
        assert "138****5678".encode() in data
        assert b"13812345678" not in data
        assert b"02887654321" not in data
    assert "110105********002X".encode() in residents
    assert ID_1.encode() not in residents and ID_2.encode() not in residents
    assert "张秀兰".encode() in demands  # names only on request


def test_unmask_gives_full_numbers_as_text_and_is_journalled(full: Ledger) -> None:
    before = journal_count(full)
    data = export(full, "residents", unmask=True)
    assert b"\t" + ID_1.encode() in data and b"\t13812345678" in data
    assert b"\t02887654321" in data  # the landline's leading zero survives Excel
    assert "*".encode() not in data
    assert journal_count(full) == before + 1
    event = one(full, "select * from journal order by id desc limit 1")
    assert (event["subject"], event["subject_id"], event["action"], event["on_date"],
            event["actor"]) == ("export", 0, "unmask", "2026-11-17", "刘洁")
    assert json.loads(event["data"]) == {"what": "residents", "rows": 4, "encoding": "utf-8-sig",
                                         "mask_names": False, "filters": {}}


def test_masked_export_is_not_journalled(full: Ledger) -> None:
    before = journal_count(full)
    export(full)
    export(full, "visits")
    assert journal_count(full) == before


def test_names_masked_on_request(full: Ledger) -> None:
    data = export(full, "residents", mask_names=True)
    assert [r["姓名"] for r in by_header(data)] == ["张*", "王*", "王*", "李*"]
    assert "张秀兰".encode() not in data
    demands = by_header(export(full, mask_names=True))
    assert {r["反映人"] for r in demands} == {"", "张*", "王*", "李*"}


def test_unmasked_export_with_a_filter_records_it(full: Ledger) -> None:
    out = io.BytesIO()
    assert export_csv(full, "demands", out, unmask=True, village="东坪村", status="已销号") == 2
    event = json.loads(one(full, "select data from journal order by id desc limit 1")["data"])
    assert (event["rows"], event["filters"]) == (2, {"status": "已销号", "village": "东坪村"})


# --- no formulas ---------------------------------------------------------------------------

def test_no_cell_starts_like_a_formula(full: Ledger) -> None:
    for what in csvio.WHATS:
        for unmask in (False, True):
            for row in cells(export(full, what, unmask=unmask)):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@")), (what, cell)


@pytest.mark.parametrize("value,cell", [
    ("=1+1", "'=1+1"), ("-5度", "'-5度"), ("@某人", "'@某人"), ("+86电话", "'+86电话"),
    ("'=x", "''=x"), ("'abc", "''abc"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("13812345678", "\t13812345678"), ("0123", "\t0123"), (ID_1, "\t" + ID_1),
    ("138****5678", "138****5678"), ("12345", "12345"), ("0", "0"), ("a=b", "a=b"), ("", ""),
    (None, ""), (3, "3"),
])
def test_escaping_rule(value, cell: str) -> None:
    assert escape_cell(value) == cell
    if isinstance(value, str):
        assert unescape_cell(cell) == value


@pytest.mark.parametrize("text,cell", [
    ("=1+1", "'=1+1"), ("-5度", "'-5度"), ("@某人", "'@某人"), ("+86电话", "'+86电话"),
    ("'=x", "''=x"), ("'abc", "''abc"), ("''", "'''"), ("13812345678", "\t13812345678"),
    ("第一行\n=第二行", "第一行\n=第二行"),
])
def test_formula_like_text_survives_export_and_import(ledger: Ledger, text: str, cell: str) -> None:
    n = ledger.demands.add(text, village="东坪村", on="2026-11-16")
    data = export(ledger)
    assert by_header(data)[0]["诉求内容"] == cell
    other = fresh()
    assert import_csv(other, data).numbers == [n]
    assert other.demands.show(n)["text"] == text
    assert export(other) == data


# --- the round trip --------------------------------------------------------------------------

def test_lossless_round_trip_into_a_ledger_with_the_same_registers(full: Ledger) -> None:
    data = export(full, unmask=True)
    other = fresh()
    result = import_csv(other, data)
    assert (result.rows, result.added, result.skipped, result.created, result.numbers,
            result.encoding) == (11, 11, 0, {}, EXPORTED, "utf-8-sig")
    assert export(other, unmask=True) == data
    assert export(other) == export(full)
    for n in NUMBERS:
        assert other.demands.disagreements(n) == []
        mine, theirs = full.demands.show(n), other.demands.show(n)
        for key in ("status", "level", "due_on", "due_provisional", "resident", "unit",
                    "co_units", "reopen_count", "stage_started_on", "suspended_since"):
            assert mine[key] == theirs[key], (n, key)


def test_lossless_round_trip_into_an_empty_ledger(full: Ledger) -> None:
    data = export(full, unmask=True)
    empty = fresh(create=True)
    result = import_csv(empty, data, create_missing=True)
    assert result.created == {
        "township": ["青石镇"], "village": ["青石镇/西岭村", "青石镇/东坪村", "青石镇/河口社区"],
        "grid": ["东坪村/一组"], "unit": ["县住建局", "镇综治中心", "东坪村委会", "镇司法所"],
        "resident": ["王芳", "张秀兰", "王芳", "李四"],
    }
    assert export(empty, unmask=True) == data
    assert all(empty.demands.disagreements(n) == [] for n in NUMBERS)
    assert [(u["name"], u["level"]) for u in empty.registers.listing("unit")] == [
        ("县住建局", "county"), ("镇综治中心", "township"), ("东坪村委会", "village"),
        ("镇司法所", "township")]
    # 王芳 of 东坪村 raised 2026-000010 in 西岭村: her phone finds her, not 王芳 of 西岭村.
    assert empty.demands.show("2026-000010")["resident_id"] == empty.demands.show("2026-000002")["resident_id"]


def test_round_trip_of_residents_visits_and_demands_together(full: Ledger) -> None:
    files = {w: export(full, w, unmask=True) for w in ("residents", "visits", "demands")}
    empty = fresh(create=True)
    for what, data in files.items():  # people first, then visits, then demands
        import_csv(empty, data, what=what, create_missing=True)
    for what, data in files.items():
        assert export(empty, what, unmask=True) == data, what
    assert empty.demands.show("2026-000001")["visit_id"] == 1
    assert by_header(files["visits"])[0]["诉求编号"] == "2026-000001"


def test_a_masked_export_imports_too(full: Ledger) -> None:
    data = export(full)
    other = fresh()
    assert import_csv(other, data).added == 11
    assert export(other) == data
    assert counts(other)["residents"] == 4  # matched by name, village and the masked phone


def test_importing_the_same_file_twice_adds_nothing(full: Ledger) -> None:
    data = export(full, unmask=True)
    other = fresh()
    import_csv(other, data)
    before = counts(other)
    again = import_csv(other, data)
    assert (again.rows, again.added, again.skipped, again.created) == (11, 0, 11, {})
    assert counts(other) == before
    assert import_csv(full, data).skipped == 11  # into the ledger it came from


def test_imported_demands_carry_on_like_the_originals(full: Ledger) -> None:
    other = fresh()
    import_csv(other, export(full, unmask=True))
    for L in (full, other):
        L.demands.resume("2026-000006", on="2026-11-16")
        L.demands.resolve("2026-000007", result="已更换灯具", on="2026-11-17")
        L.demands.follow_up("2026-000003", satisfaction="满意", on="2026-11-17")
        L.demands.close("2026-000003", on="2026-11-17")
    assert export(other, unmask=True) == export(full, unmask=True)
    due = [L.demands.show("2026-000006")["due_on"] for L in (full, other)]
    assert due == ["2026-11-23", "2026-11-23"]
    assert all(other.demands.disagreements(n) == [] for n in NUMBERS)
    events = other.demands.show("2026-000006")["events"]
    assert [e["action"] for e in events] == ["import", "resume"]
    assert events[0]["on"] == "2026-11-09"


def test_an_imported_demand_cannot_be_stepped_before_its_last_milestone(full: Ledger) -> None:
    other = fresh()
    import_csv(other, export(full, unmask=True))
    with pytest.raises(Refused) as e:
        other.demands.resume("2026-000006", on="2026-11-12")
    assert e.value.key == "step.before_last"


def test_import_event_holds_the_snapshot(full: Ledger) -> None:
    other = fresh()
    import_csv(other, export(full, unmask=True))
    event = other.demands.show("2026-000007")["events"][0]
    assert (event["action"], event["on"], event["actor"]) == ("import", "2026-11-10", "刘洁")
    data = event["data"]
    assert (data["status"], data["level"], data["lead_unit"], data["co_units"], data["handler"],
            data["stage_started_on"], data["escalated_on"], data["assigned_on"],
            data["extra_days"], data["escalations"]) == (
        "open", "township", "镇司法所", ["镇综治中心"], "周工", "2026-11-12", "2026-11-11",
        "2026-11-12", 3, 1)
    summary = one(other, "select * from journal where subject = 'import'")
    assert (summary["action"], json.loads(summary["data"])) == ("csv", {
        "what": "demands", "rows": 11, "added": 11, "skipped": 0, "updated": 0,
        "encoding": "utf-8-sig", "created": {}})


# --- reading what clerks write ---------------------------------------------------------------

def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


BASE = {"受理日期": "2026-11-16", "村/社区": "东坪村", "诉求内容": "路灯不亮"}


def one_row(**cells_: str) -> bytes:
    row = {**BASE, **cells_}
    return csv_bytes([list(row), list(row.values())])


def test_new_rows_without_a_number_get_the_next_numbers_of_their_year(ledger: Ledger) -> None:
    ledger.demands.add("已有", village="东坪村", on="2026-11-02")
    data = csv_bytes([["受理日期", "村/社区", "诉求内容", "编号"],
                      ["2026/11/16", "西岭村", "甲", ""], ["2025年12月1日", "东坪村", "乙", ""],
                      ["2026-11-17", "东坪村", "丙", "2026-7"], ["20261117", "东坪村", "丁", ""]])
    result = import_csv(ledger, data)
    assert result.numbers == ["2026-000008", "2025-000001", "2026-000007", "2026-000009"]
    d = ledger.demands.show("2026-000008")
    assert (d["text"], d["village"], d["received_on"], d["status"], d["level"], d["due_on"]) == (
        "甲", "西岭村", "2026-11-16", "open", "village", "2026-11-17")


def test_the_first_response_is_read_or_else_taken_from_the_earliest_step(ledger: Ledger) -> None:
    data = csv_bytes([["编号", "受理日期", "村/社区", "诉求内容", "状态", "层级", "上报日期",
                       "办结日期", "办理结果", "首次响应日期"],
                      ["2026-000001", "2026-11-02", "东坪村", "甲", "已办结", "镇级", "2026-11-05",
                       "2026-11-09", "已修", "2026-11-03"],
                      ["2026-000002", "2026-11-02", "东坪村", "乙", "已办结", "镇级", "2026-11-05",
                       "2026-11-09", "已修", ""],
                      ["2026-000003", "2026-11-02", "东坪村", "丙", "办理中", "", "", "", "", ""]])
    import_csv(ledger, data)
    firsts = [ledger.db.execute("select first_step_on from demands where number = ?",
                                [n]).fetchone()[0] for n in ("2026-000001", "2026-000002",
                                                             "2026-000003")]
    assert firsts == ["2026-11-03", "2026-11-05", None]
    assert all(ledger.demands.disagreements(n) == [] for n in ("2026-000001", "2026-000002"))
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, one_row(首次响应日期="2026-11-15"))
    assert [(p.column, p.key) for p in e.value.params["errors"]] == [("首次响应日期", "import.date_order")]


def test_english_headers_and_values(ledger: Ledger) -> None:
    data = csv_bytes([
        ["Number", "received_on", "village", "resident", "phone", "channel", "category",
         "complexity", "type", "text", "status", "level", "unit", "co_units", "handler",
         "leader", "escalated_on", "assigned_on", "resolved_on", "result", "feedback",
         "followed_up_on", "satisfaction", "closed_on", "reopen_count", "settled_on_spot"],
        ["2026-000042", "2026-11-02", "西岭村", "王芳", "13900002222", "12345热线", "物业",
         "complex", "投诉", "Property fee dispute", "closed", "township", "镇司法所",
         "镇综治中心", "周工", "镇长", "2026-11-03", "2026-11-04", "2026-11-09", "Mediated",
         "Told by phone", "2026-11-10", "basically_satisfied", "2026-11-11", "2", "no"],
    ], encoding="utf-8")
    result = import_csv(ledger, data)
    assert (result.encoding, result.numbers) == ("utf-8", ["2026-000042"])
    d = ledger.demands.show("2026-000042")
    assert (d["village"], d["resident"], d["channel"], d["complexity"], d["status"], d["level"],
            d["unit"], d["co_units"], d["handler"], d["leader"], d["satisfaction"],
            d["closed_on"], d["reopen_count"], d["resident_id"]) == (
        "西岭村", "王芳", "12345热线", "complex", "closed", "township", "镇司法所",
        ["镇综治中心"], "周工", "镇长", "basically_satisfied", "2026-11-11", 2, 3)
    assert ledger.demands.disagreements("2026-000042") == []


def test_gbk_files_are_read(ledger: Ledger) -> None:
    result = import_csv(ledger, one_row(类别="物业", 渠道="网格群").replace(BOM, b"").decode()
                        .encode("gbk"))
    assert result.encoding == "gb18030"
    assert ledger.demands.show(result.numbers[0])["category"] == "物业"


@pytest.mark.parametrize("data,key", [
    ("编号,受理日期\n".encode() + b"\xff\xfe\xfd", "csv.encoding"),
    (BOM + "受理日期".encode() + b"\x80\n", "csv.encoding"),
    (b"PK\x03\x04rest of a workbook", "csv.workbook"),
    (codecs.BOM_UTF16_LE + "受理日期".encode("utf-16-le"), "csv.utf16"),
    (b"", "csv.empty"),
    (b"\r\n\r\n", "csv.empty"),
])
def test_unreadable_files_are_refused_whole(ledger: Ledger, data: bytes, key: str) -> None:
    before = counts(ledger)
    with pytest.raises(BadInput) as e:
        import_csv(ledger, data)
    assert (e.value.key, e.value.exit_code) == (key, 2)
    assert counts(ledger) == before


def test_invalid_bytes_message(ledger: Ledger) -> None:
    with pytest.raises(BadInput) as e:
        import_csv(ledger, "受理日期,村/社区\n".encode("gbk") + b"\xff\xff")
    assert e.value.message() == ("文件既不是 UTF-8 也不是 GB18030/GBK 编码(第 18 字节处无法识别),"
                                 "未导入任何内容;请在 Excel 中另存为 CSV UTF-8(逗号分隔)")


@pytest.mark.parametrize("header,key,names", [
    (["受理日期", "村/社区", "诉求内容", "备注", "colour"], "csv.unknown_columns", "备注、colour"),
    (["受理日期", "村/社区"], "csv.missing_columns", "诉求内容"),
    (["编号", "村/社区"], "csv.missing_columns", "受理日期、诉求内容"),
    (["受理日期", "村/社区", "诉求内容", "received_on"], "csv.repeated_columns", "received_on"),
])
def test_bad_headers_are_named(ledger: Ledger, header: list[str], key: str, names: str) -> None:
    with pytest.raises(BadInput) as e:
        import_csv(ledger, csv_bytes([header, ["x"] * len(header)]))
    assert (e.value.key, "、".join(e.value.params["names"])) == (key, names)
    assert names in e.value.message() and "[" not in e.value.message()


# --- bad rows: every problem, nothing written ------------------------------------------------

BAD_ROWS = [  # (cells changed, column, value, message key, reason shown to the clerk)
    ({"村/社区": "东平村"}, "村/社区", "东平村", "unknown", "没有村/社区“东平村”;最接近的:东坪村"),
    ({"受理日期": "2026-13-01"}, "受理日期", "2026-13-01", "date.impossible", "日期“2026-13-01”不存在"),
    ({"受理日期": "2026-02-30"}, "受理日期", "2026-02-30", "date.impossible", "日期“2026-02-30”不存在"),
    ({"受理日期": "上周二"}, "受理日期", "上周二", "date.malformed", "日期“上周二”格式不对,请写成 2026-11-17"),
    ({"受理日期": "2026-11-18"}, "受理日期", "2026-11-18", "date.future", "日期 2026-11-18 晚于今天(2026-11-17)"),
    ({"受理日期": ""}, "受理日期", "", "import.required", "必填,不能为空"),
    ({"诉求内容": "  "}, "诉求内容", "", "import.required", "必填,不能为空"),
    ({"状态": "处理中"}, "状态", "处理中", "enum.unknown",
     "不认识的状态“处理中”;可选:办理中、在办、挂起、已挂起、办结、已办结、销号、已销号、closed、open、resolved、suspended"),
    ({"层级": "省级"}, "层级", "省级", "enum.unknown",
     "不认识的层级“省级”;可选:村、村级、社区、镇、镇级、乡镇、街道、乡、县、县级、区、区级、市级、county、township、village"),
    ({"状态": "已办结", "办结日期": "2026-11-17", "办理结果": "好", "回访日期": "2026-11-17",
      "满意度": "很满意"}, "满意度", "很满意", "enum.unknown",
     "不认识的满意度“很满意”;可选:满意、基本满意、不满意、basically_satisfied、dissatisfied、satisfied"),
    ({"牵头单位": "镇城管办"}, "牵头单位", "镇城管办", "unknown", "没有单位“镇城管办”;最接近的:东坪村委会、镇司法所、镇综治中心、县住建局、县自然资源局"),
    ({"层级": "镇级", "牵头单位": "镇司法所", "配合单位": "镇司法所、县环保局"}, "配合单位",
     "镇司法所、县环保局", "unknown", "没有单位“县环保局”;最接近的:县住建局、县自然资源局"),
    ({"牵头单位": "镇司法所"}, "牵头单位", "镇司法所", "import.unit_above_level", "镇司法所是镇级单位,高于诉求所在的村级"),
    ({"类别": "外星人"}, "类别", "外星人", "unknown", None),
    ({"渠道": "飞鸽传书"}, "渠道", "飞鸽传书", "unknown", None),
    ({"诉求类型": "抱怨"}, "诉求类型", "抱怨", "unknown", None),
    ({"网格": "九组"}, "网格", "九组", "unknown", "没有网格“九组”;最接近的:一组"),
    ({"镇/街道": "白关镇"}, "镇/街道", "白关镇", "unknown", "没有镇/街道“白关镇”;最接近的:青石镇"),
    ({"编号": "第3号"}, "编号", "第3号", "issue.number_malformed", "诉求编号“第3号”格式不对,应如 2026-000123"),
    ({"状态": "已办结", "办理结果": "修好了"}, "办结日期", "", "import.needed_for_status",
     "状态为已办结的诉求必须填写这一项"),
    ({"办结日期": "2026-11-17"}, "办结日期", "2026-11-17", "import.not_with_status", "状态为办理中的诉求不应填写这一项"),
    ({"状态": "已挂起"}, "挂起日期", "", "import.needed_for_status", "状态为已挂起的诉求必须填写这一项"),
    ({"上报日期": "2026-11-16"}, "上报日期", "2026-11-16", "import.escalated_at_village",
     "有上报日期的诉求不可能还在村级"),
    ({"层级": "镇级", "上报日期": "2026-11-15"}, "上报日期", "2026-11-15", "import.date_order",
     "早于“受理日期”(2026-11-16)"),
    ({"当场解决": "也许"}, "当场解决", "也许", "import.yes_no", "应填“是”或“否”"),
    ({"重办次数": "-1"}, "重办次数", "-1", "import.count", "应为 0 或正整数"),
    ({"联系电话": "12345", "反映人": "赵六"}, "联系电话", "12345", "phone.malformed", None),
    ({"反映人": "张*"}, "反映人", "张*", "import.masked_name", None),
    ({"配合单位": "镇综治中心", "层级": "镇级"}, "配合单位", "镇综治中心", "import.co_without_lead", "有配合单位时必须写明牵头单位"),
]


@pytest.mark.parametrize("change,column,value,key,why", BAD_ROWS,
                         ids=[f"{b[3]}-{b[1]}" for b in BAD_ROWS])
def test_each_bad_row_is_reported(ledger: Ledger, change: dict, column: str, value: str,
                                  key: str, why: str | None) -> None:
    before = counts(ledger)
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, one_row(**change))
    [problem] = e.value.params["errors"]
    assert (problem.row, problem.column, problem.value, problem.key) == (2, column, value, key)
    if why is not None:
        assert problem.why() == why
    assert e.value.exit_code == 2
    assert counts(ledger) == before


def test_every_problem_of_a_file_is_listed_and_nothing_written(ledger: Ledger) -> None:
    header = list(dict.fromkeys(k for change, *_ in BAD_ROWS for k in [*BASE, *change]))
    good = {**BASE}
    rows = [header, [good.get(h, "") for h in header]]  # row 2 is fine
    for change, *_ in BAD_ROWS:
        row = {**BASE, **change}
        rows.append([row.get(h, "") for h in header])
    rows.append([{"编号": "2026-000005", **good}.get(h, "") for h in header])
    rows.append([{"编号": "2026-5", **good}.get(h, "") for h in header])  # the same number
    before = counts(ledger)
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, csv_bytes(rows), create_missing=False)
    errors = e.value.params["errors"]
    assert [(p.row, p.column) for p in errors] == [
        (i + 3, b[1]) for i, b in enumerate(BAD_ROWS)] + [(len(BAD_ROWS) + 4, "编号")]
    assert errors[-1].why() == "编号在文件中重复(第 32 行已有)"
    assert e.value.params["count"] == len(BAD_ROWS) + 1
    assert e.value.message() == (
        f"文件有 {len(BAD_ROWS) + 1} 处问题,未导入任何内容;第一处:第 3 行“村/社区”列“东平村”:"
        "没有村/社区“东平村”;最接近的:东坪村")
    assert e.value.message("en") == (
        f"the file has {len(BAD_ROWS) + 1} problem(s); nothing was imported. First: row 3, "
        "column '村/社区', value '东平村': no village named '东平村'; nearest: 东坪村")
    assert counts(ledger) == before


def test_a_number_repeated_batches_later_is_found(ledger: Ledger,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "BATCH", 2)
    ledger.demands.add("已有", village="东坪村", on="2026-11-02")  # 2026-000001
    rows = [["编号", "受理日期", "村/社区", "诉求内容"],
            ["2026-000050", "2026-11-16", "东坪村", "新的"],          # row 2: written
            ["2026-000001", "2026-11-02", "东坪村", "已有"],          # row 3: skipped
            ["2026-000060", "2026-11-16", "东坪村", ""],              # row 4: refused
            ["", "2026-11-16", "东坪村", "无编号"],
            ["2026-50", "2026-11-16", "东坪村", "重复"],              # row 6
            ["2026-1", "2026-11-16", "东坪村", "重复"],               # row 7
            ["2026-000060", "2026-11-16", "东坪村", "重复"]]          # row 8
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, csv_bytes(rows))
    assert [(p.row, p.key, p.params.get("first")) for p in e.value.params["errors"]] == [
        (4, "import.required", None), (6, "import.repeated_number", 2),
        (7, "import.repeated_number", 3), (8, "import.repeated_number", 4)]
    assert ledger.db["demands"].count == 1


def test_rows_are_numbered_as_excel_shows_them(ledger: Ledger) -> None:
    data = csv_bytes([list(BASE), list(BASE.values()), ["", "", ""],
                      ["2026-11-16", "东坪村", "第一行\n第二行"], ["2026-11-16", "东坪村", ""]])
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, data)
    assert [(p.row, p.column) for p in e.value.params["errors"]] == [(5, "诉求内容")]


def test_write_errors_csv(ledger: Ledger) -> None:
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, csv_bytes([["受理日期", "村/社区", "诉求内容"],
                                      ["2026-02-30", "''=东平村", "x"]]))
    out = io.BytesIO()
    assert importer.write_errors_csv(e.value.params["errors"], out, "utf-8-sig") == 2
    data = out.getvalue()
    assert data.startswith(BOM)
    assert cells(data) == [
        ["行号", "列", "值", "原因"],
        ["2", "受理日期", "2026-02-30", "日期“2026-02-30”不存在"],
        ["2", "村/社区", "''=东平村", "没有村/社区“'=东平村”;最接近的:东坪村"],
    ]


def test_unknown_names_are_created_on_request(ledger: Ledger) -> None:
    data = one_row(**{"镇/街道": "白关镇", "村/社区": "新村", "网格": "三组", "类别": "秸秆禁烧",
                      "渠道": "村民说事会", "诉求类型": "反映", "层级": "镇级", "牵头单位": "镇城管办",
                      "配合单位": "镇司法所、镇林业站", "反映人": "赵六", "联系电话": "13700001111"})
    before = counts(ledger)
    dry = import_csv(ledger, data, create_missing=True, dry_run=True)
    assert counts(ledger) == before
    assert (dry.dry_run, dry.added, dry.numbers) == (True, 1, ["2026-000001"])
    result = import_csv(ledger, data, create_missing=True)
    assert result.created == dry.created == {
        "township": ["白关镇"], "village": ["白关镇/新村"], "grid": ["新村/三组"],
        "unit": ["镇城管办", "镇林业站"], "category": ["秸秆禁烧"], "channel": ["村民说事会"],
        "type": ["反映"], "resident": ["赵六"]}
    d = ledger.demands.show("2026-000001")
    assert (d["village"], d["unit"], d["co_units"], d["category"], d["resident"]) == (
        "新村", "镇城管办", ["镇司法所", "镇林业站"], "秸秆禁烧", "赵六")
    assert ledger.residents.get("赵六")["phone"] == "13700001111"
    assert ledger.registers.unit("镇林业站")["level"] == "township"
    # 9 register entries added, the demand imported, and the import itself
    assert counts(ledger)["journal"] == before["journal"] + 11


def test_a_long_file_keeps_the_first_names_it_created_and_counts_them_all(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "NAMES_KEPT", 2)
    rows = [["受理日期", "村/社区", "诉求内容", "反映人"]] + [
        ["2026-11-16", "东坪村", f"第{i}件", name] for i, name in enumerate(["甲", "乙", "丙", "甲"])]
    result = import_csv(ledger, csv_bytes(rows))
    assert (result.created, result.created_count) == ({"resident": ["甲", "乙"]}, {"resident": 3})
    assert ledger.db.execute("select count(*) from residents where name in ('甲', '乙', '丙')"
                             ).fetchone()[0] == 3


def test_dry_run_writes_nothing(full: Ledger) -> None:
    data = export(full, unmask=True)
    other = fresh()
    before = counts(other)
    result = import_csv(other, data, dry_run=True)
    assert (result.dry_run, result.rows, result.added, result.skipped, result.numbers) == (
        True, 11, 11, 0, EXPORTED)
    assert counts(other) == before
    with pytest.raises(ImportRefused):
        import_csv(other, one_row(**{"村/社区": "东平村"}), dry_run=True)


def test_same_named_residents_told_apart_by_phone(ledger: Ledger) -> None:
    ledger.residents.add("王芳", "东坪村", phone="13900003333", new=True)  # a namesake
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, one_row(反映人="王芳"))
    assert e.value.params["errors"][0].key == "resident.ambiguous"
    for phone, rid in (("139****3333", 4), ("13900001111", 2)):
        n = import_csv(ledger, one_row(反映人="王芳", 联系电话=phone)).numbers[0]
        assert ledger.demands.show(n)["resident_id"] == rid


def test_export_filters(full: Ledger) -> None:
    def numbers(**f) -> list[str]:
        return [r[0] for r in cells(export(full, **f))[1:]]

    assert numbers(status="办理中") == [
        "2025-000001", "2026-000005", "2026-000007", "2026-000008", "2026-000009", "2026-000010"]
    assert numbers(village="东坪村") == ["2026-000001", "2026-000002", "2026-000003"]
    assert numbers(since="2026-11-10", until="2026-11-16") == [
        "2026-000007", "2026-000008", "2026-000009"]
    assert numbers(unit="镇综治中心", level="镇级") == ["2026-000007"]
    assert numbers(category="信访积案") == ["2025-000001"]
    with pytest.raises(NotFound):
        export(full, village="东平村")
    with pytest.raises(BadInput) as e:
        export(full, since="2026-11-17", until="2026-11-01")
    assert e.value.key == "date.range"
    with pytest.raises(BadInput):
        export(full, "payments")


def test_visits_and_residents_exports(full: Ledger) -> None:
    visits = cells(export(full, "visits"))
    assert visits == [
        ["走访编号", "走访日期", "镇/街道", "村/社区", "网格", "走访对象", "联系电话", "渠道",
         "走访干部", "走访情况", "诉求编号"],
        ["1", "2026-10-27", "青石镇", "东坪村", "一组", "张秀兰", "138****5678", "入户走访",
         "王建国、李梅", "入户走访,老人独居", "2026-000001"],
    ]
    residents = cells(export(full, "residents"))
    assert residents[0] == ["群众编号", "姓名", "镇/街道", "村/社区", "网格", "联系电话", "身份证号",
                            "地址", "标签", "备注"]
    assert residents[4] == ["4", "李四", "青石镇", "河口社区", "", "028****4321", "",
                            "河口社区3栋2单元", "困难群体、独居老人", "'=备注以等号开头"]


def test_residents_import_skips_people_already_registered(full: Ledger) -> None:
    data = export(full, "residents", unmask=True)
    result = import_csv(full, data, what="residents")
    assert (result.rows, result.added, result.skipped) == (4, 0, 4)
    other = fresh(create=True)
    with pytest.raises(ImportRefused) as e:
        import_csv(other, data, what="residents")
    assert {p.key for p in e.value.params["errors"]} == {"unknown"}
    result = import_csv(other, data, what="residents", create_missing=True)
    assert result.added == 4
    r = other.residents.get(ID_1)
    assert (r["name"], r["village"], r["grid"], r["phone"]) == ("张秀兰", "东坪村", "一组", "13812345678")
    assert other.residents.page("李四")["tags"] == ["困难群体", "独居老人"]


def test_streaming_export_counts_every_row(ledger: Ledger) -> None:
    for i in range(507):
        ledger.demands.add(f"第{i}件", village="东坪村", on="2026-11-16")
    out = io.BytesIO()
    assert export_csv(ledger, "demands", out) == 507
    assert len(cells(out.getvalue())) == 508
    assert not out.closed  # the caller's stream is the caller's


def test_a_masked_residents_file_adds_people_without_their_numbers(full: Ledger) -> None:
    empty = fresh(create=True)
    result = import_csv(empty, export(full, "residents"), what="residents", create_missing=True)
    assert (result.added, result.created["village"]) == (
        4, ["青石镇/东坪村", "青石镇/西岭村", "青石镇/河口社区"])
    assert [(r["name"], r["phone"], r["id_number"]) for r in empty.residents.find()] == [
        ("张秀兰", None, None), ("王芳", None, None), ("王芳", None, None), ("李四", None, None)]


def test_visits_import_matches_people_and_skips_visits_already_there(full: Ledger) -> None:
    data = export(full, "visits", unmask=True)
    assert import_csv(full, data, what="visits").skipped == 1
    other = fresh()
    with pytest.raises(ImportRefused) as e:  # the cadres are not registered there
        import_csv(other, csv_bytes([["走访日期", "村/社区", "走访干部"],
                                     ["2026-11-17", "东坪村", "王建国、赵大"]]), what="visits")
    [problem] = e.value.params["errors"]
    assert (problem.row, problem.column, problem.value, problem.key) == (
        2, "走访干部", "王建国、赵大", "unknown")
    result = import_csv(other, data, what="visits")
    assert (result.added, result.created) == (1, {})
    [visit] = other.visits.list()
    assert (visit["visited_on"], visit["resident"], visit["cadres"], visit["note"]) == (
        "2026-10-27", "张秀兰", "王建国、李梅", "入户走访,老人独居")
    assert import_csv(other, data, what="visits").skipped == 1


def test_a_value_under_a_column_without_header_is_a_problem(ledger: Ledger) -> None:
    data = csv_bytes([["受理日期", "村/社区", "诉求内容", ""],
                      ["2026-11-16", "东坪村", "路灯", ""], ["2026-11-16", "东坪村", "路灯", "多余"],
                      ["2026-11-16", "东坪村", "路灯", "", "", "又多余"]])
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, data)
    assert [(p.row, p.column, p.value) for p in e.value.params["errors"]] == [
        (3, "#4", "多余"), (4, "#6", "又多余")]


def test_export_to_a_file_and_import_from_it(full: Ledger, tmp_path) -> None:
    path = tmp_path / "诉求台账.csv"
    with path.open("wb") as f:
        assert export_csv(full, "demands", f, encoding="gb18030", unmask=True) == 11
    raw = path.read_bytes()
    assert raw.decode("gb18030").startswith(HEADER)
    other = fresh()
    result = import_csv(other, raw)
    assert (result.encoding, result.added) == ("gb18030", 11)
    assert export(other, encoding="gb18030", unmask=True) == raw


def test_what_clerks_do_to_a_file_in_excel_is_read_back(ledger: Ledger) -> None:
    # Excel drops the tab, rewrites dates with slashes and may save as GBK without a BOM.
    data = csv_bytes([["编号", "受理日期", "村/社区", "反映人", "联系电话", "诉求内容", "状态",
                       "办结日期", "办理结果", "当场解决"],
                      ["2026-000003", "2026/11/2", "东坪村", "张秀兰", "13812345678",
                       "路灯不亮", "已办结", "2026/11/3", "已修好", "否"]], encoding="gbk")
    result = import_csv(ledger, data)
    d = ledger.demands.show("2026-000003")
    assert (result.encoding, d["received_on"], d["resolved_on"], d["resident_id"]) == (
        "gb18030", "2026-11-02", "2026-11-03", 1)


@given(st.one_of(st.none(), st.text(), st.from_regex(r"[0-9]{9,19}[Xx]?", fullmatch=True)))
def test_the_quick_escape_agrees_with_the_rule(value) -> None:
    assert csvio._esc(value) == (None if value is None else escape_cell(value))
