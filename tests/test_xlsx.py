"""Excel workbooks (issue 14): every workbook the ledger writes, read back with openpyxl —
values, cell types, frozen panes, print titles, merged headers, the 合计 rows, the charts —
and workbooks read by `ledger import`. Built on the demo township (examples/township.toml),
today pinned to 2026-11-17."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from ledger.cli import app
from ledger.services import Ledger, open_ledger

from .conftest import invoke

TODAY = "2026-11-17"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(app, ["--today", TODAY, "demo", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    shutil.copy(demo_file, path)
    return path


def run(db: Path, *args: str, code: int = 0, lang: str | None = None):
    pre = ["--today", TODAY, "--user", "刘洁", "--db", str(db)] + (["--lang", lang] if lang else [])
    result = invoke(CliRunner(), [*pre, *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def json_of(db: Path, *args: str):
    return json.loads(run(db, *args, "--format", "json").stdout)


def values(ws, row: int) -> list:
    return [c.value for c in ws[row]]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_printed_like_a_table(ws, header_rows: str = "$3:$3", frozen: str = "B4") -> None:
    assert ws.freeze_panes == frozen
    assert ws.print_title_rows == header_rows
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "9"  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.oddFooter.center.text == "第 &P 页,共 &N 页"
    assert ws.auto_filter.ref is not None


def no_formulas_but_sums(wb) -> None:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert c.value.startswith("=SUM(") and ws.cell(c.row, 1).value == "合计", (
                        ws.title, c.coordinate, c.value)


# --- the summary workbook --------------------------------------------------------------------

def test_summary_workbook_has_a_sheet_per_table_each_with_its_total(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "周汇总.xlsx"
    r = run(demo, "summary", "--week", "2026-11-10", "-o", str(out))
    assert r.stdout.strip() == f"已写入 {out}"
    week = json_of(demo, "summary", "--week", "2026-11-10")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["图表", "按村社区", "按类别", "按渠道", "往周结转", "7日内到期", "超期",
                             "多次反映"]
    ws = wb["按村社区"]
    assert values(ws, 1)[0] == "青石镇 民情走访周汇总 · 按村社区"
    assert values(ws, 2)[0] == "2026-11-10 至 2026-11-16  数据截至 2026-11-16"
    assert values(ws, 3) == ["名称", "受理", "当场解决", "上报到镇", "上报到县", "交办", "办结", "销号",
                             "在办", "往周结转", "超期件数", "7日内到期"]
    keys = ("received", "settled_on_spot", "to_township", "escalated", "assigned", "resolved",
            "closed", "open", "carried_over", "overdue", "due_next")
    rows = [values(ws, r) for r in range(4, 4 + len(week["by_village"]))]
    assert rows == [[v["name"], *(v[k] for k in keys)] for v in week["by_village"]]
    assert rows[0][:3] == ["青石社区", 4, 2]  # as the README's screen shows
    total = values(ws, 4 + len(week["by_village"]))
    n = 3 + len(week["by_village"])
    assert total[0] == "合计" and total[1] == f"=SUM(B4:B{n})" and total[11] == f"=SUM(L4:L{n})"
    cached = openpyxl.load_workbook(out, data_only=True)["按村社区"]
    assert values(cached, n + 1) == ["合计", *(week[k] for k in keys)]
    assert_printed_like_a_table(ws)
    assert ws.auto_filter.ref == f"A3:L{n}"
    # Column widths fit Chinese text: 名称 at least as wide as 青石社区 (4 wide characters).
    assert ws.column_dimensions["A"].width >= 8
    # The demand lists: all of them, numbers as text, dates as dates, a count as 合计.
    ws = wb["往周结转"]
    assert values(ws, 3)[:3] == ["编号", "状态", "层级"]
    listed = [ws.cell(r, 1) for r in range(4, 4 + week["carried_over"])]
    assert [c.value for c in listed] == [d["number"] for d in week["carried_over_demands"]]
    assert all(c.data_type == "s" and c.number_format == "@" for c in listed)
    received = ws.cell(4, 10)
    assert received.is_date and received.value == datetime(2026, 11, 3)
    assert received.number_format == "yyyy-mm-dd"
    assert values(ws, 4 + week["carried_over"])[:2] == ["合计", f"{week['carried_over']} 件"]
    ws = wb["超期"]
    assert values(ws, 3)[-1] == "超期工作日"
    assert [ws.cell(4 + i, 19).value for i in range(week["overdue"])] == [
        d["days_late"] for d in week["overdue_demands"]]
    no_formulas_but_sums(wb)


def test_summary_workbook_charts_the_weekly_series_and_the_categories(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "周汇总.xlsx"
    run(demo, "summary", "-o", str(out))  # this week: 2026-11-17 .. 11-23, as of today
    trend = json_of(demo, "trend")["weeks"]
    assert len(trend) == 12 and trend[-1]["week_start"] == "2026-11-17"
    wb = openpyxl.load_workbook(out)
    ws = wb["图表"]
    assert len(ws._charts) == 2
    head = values(ws, 28)
    assert head[:5] == ["台账周", "周起", "受理", "办结", "超期"]
    assert [values(ws, 29 + i)[2:5] for i in range(12)] == [
        [w["received"], w["resolved"], w["overdue"]] for w in trend]
    assert ws.cell(29, 2).is_date and ws.cell(29, 2).value == datetime(2026, 9, 1)
    week = json_of(demo, "summary")
    # One rule: this week's point is the summary's own count.
    assert (trend[-1]["received"], trend[-1]["resolved"], trend[-1]["overdue"]) == (
        week["received"], week["resolved"], week["overdue"])
    cats = sorted(((c["name"], c["received"]) for c in week["by_category"] if c["received"]),
                  key=lambda x: (-x[1], x[0]))
    assert [(ws.cell(29 + i, 7).value, ws.cell(29 + i, 8).value) for i in range(len(cats))] == cats
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(names)
        chart = z.read("xl/charts/chart1.xml").decode()
        assert "<c:barChart>" in chart and "<c:lineChart>" in chart  # columns and a line
        assert "图表!$C$29:$C$40" in chart
        assert "<c:barDir val=\"bar\"/>" in z.read("xl/charts/chart2.xml").decode()
        assert not any(n.startswith("xl/media/") for n in names)  # charts, not pictures


def test_summary_workbook_masks_names_unless_unmasked(demo: Path, tmp_path: Path) -> None:
    masked, full = tmp_path / "m.xlsx", tmp_path / "f.xlsx"
    run(demo, "summary", "--week", "2026-11-10", "-o", str(masked))
    run(demo, "summary", "--week", "2026-11-10", "-o", str(full), "--unmask")
    names = [c.value for c in openpyxl.load_workbook(masked)["多次反映"]["A"][3:-1]]
    assert names and all(n.endswith("*") and len(n) == 2 for n in names)
    shown = [c.value for c in openpyxl.load_workbook(full)["多次反映"]["A"][3:-1]]
    assert [n[0] for n in shown] == [n[0] for n in names] and "*" not in "".join(shown)
    assert full.stat().st_mode & 0o077 == 0  # personal data: the owner's only
    L = Ledger(open_ledger(demo), today=date(2026, 11, 17))
    row = L.db.execute("select data from journal where subject = 'view' order by id desc"
                       ).fetchone()
    assert row is not None and '"format": "xlsx"' in row[0]


# --- the report card -------------------------------------------------------------------------

def test_report_workbook_has_the_county_header_and_its_mapping(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "考核.xlsx"
    run(demo, "report", "-o", str(out))
    card = json_of(demo, "report")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["成绩单", "约谈名单", "图表"]
    ws = wb["成绩单"]
    assert values(ws, 1)[0] == "青石镇 督查成绩单"
    assert values(ws, 2)[0] == "全部日期  数据截至 2026-11-17"
    assert values(ws, 3)[:8] == ["排名", "单位", "派遣总数", "办结情况", None, None, "其中超期", "结案率"]
    assert values(ws, 4)[3:6] == ["按时办结", "超时办结", "未办结"]
    assert values(ws, 3)[8:] == ["按时结案率", "响应率", "满意率", "不满意数", "不满意率", "综合得分"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert "D3:F3" in merged and {"A3:A4", "B3:B4", "C3:C4", "N3:N4"} <= merged
    assert_printed_like_a_table(ws, "$3:$4", "B5")
    rows = card["rows"]
    for i, r in enumerate(rows):
        got = values(ws, 5 + i)
        assert got[:7] == [r["rank"], r["name"], r["received"], r["on_time"],
                           r["resolved"] - r["on_time"], r["received"] - r["resolved"], r["overdue"]]
        assert got[7] == r["resolution_rate"] and got[8] == r["on_time_rate"]
        assert got[13] == r["score"]
    assert ws.cell(5, 8).number_format == "0.0%" and ws.cell(5, 14).number_format == "0.0"
    first = values(ws, 5)
    assert first[:3] == [1, "镇社会事务办", 3] and first[13] == 100.0  # the README's first row
    n = 4 + len(rows)
    total = values(ws, n + 1)
    assert total[0] == "合计" and total[2] == f"=SUM(C5:C{n})"
    assert total[7] == card["total"]["resolution_rate"] and total[13] == card["total"]["score"]
    cached = values(openpyxl.load_workbook(out, data_only=True)["成绩单"], n + 1)
    assert cached[2:7] == [card["total"]["received"], card["total"]["on_time"],
                           card["total"]["resolved"] - card["total"]["on_time"],
                           card["total"]["received"] - card["total"]["resolved"],
                           card["total"]["overdue"]]
    talk = wb["约谈名单"]
    assert [values(talk, 4 + i)[:3] for i in range(len(card["talk"]))] == [
        [u["name"], u["overdue"], u["max_days_late"]] for u in card["talk"]]
    assert values(talk, 4)[3] == "、".join(card["talk"][0]["numbers"])
    assert len(wb["图表"]._charts) == 1
    with zipfile.ZipFile(out) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert f"成绩单!$N$5:$N${n}" in chart and f"成绩单!$B$5:$B${n}" in chart
    no_formulas_but_sums(wb)


def test_report_counts_the_dissatisfied(demo: Path) -> None:
    L = Ledger(open_ledger(demo), today=date(2026, 11, 17))
    card = L.reports.card("unit")
    rated = L.db.execute("select count(*), sum(satisfaction = 'dissatisfied') from demands "
                         "where satisfaction is not null and lead_unit_id is not null").fetchone()
    assert card["total"]["dissatisfied"] == rated[1]
    assert card["total"]["dissatisfaction_rate"] == (round(rated[1] / rated[0], 4) if rated[0] else None)


# --- export and import -----------------------------------------------------------------------

def test_export_workbook_keeps_ids_and_phones_as_text_masked(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "群众.xlsx"
    r = run(demo, "export", "residents", "-o", str(out))
    assert "已导出 22 条" in r.stdout
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.title == "群众名册"
    assert values(ws, 3) == ["群众编号", "姓名", "镇/街道", "村/社区", "网格", "联系电话", "身份证号",
                             "地址", "标签", "备注"]
    phones = [ws.cell(r, 6) for r in range(4, ws.max_row + 1) if ws.cell(r, 6).value]
    ids = [ws.cell(r, 7) for r in range(4, ws.max_row + 1) if ws.cell(r, 7).value]
    assert phones and ids
    assert all(c.data_type == "s" and c.number_format == "@" and "****" in c.value for c in phones)
    assert all(c.data_type == "s" and "********" in c.value and len(c.value) == 18 for c in ids)
    assert ws.cell(4, 1).value == 1 and ws.cell(4, 1).data_type == "n"
    full = tmp_path / "全.xlsx"
    run(demo, "export", "residents", "--format", "xlsx", "-o", str(full), "--unmask")
    ws = openpyxl.load_workbook(full).worksheets[0]
    ids = [ws.cell(r, 7).value for r in range(4, ws.max_row + 1) if ws.cell(r, 7).value]
    assert ids and all(isinstance(v, str) and len(v) == 18 and "*" not in v for v in ids)
    L = Ledger(open_ledger(demo), today=date(2026, 11, 17))
    data = json.loads(L.db.execute("select data from journal where subject = 'export' "
                                   "order by id desc").fetchone()[0])
    assert data["what"] == "residents" and data["encoding"] == "xlsx" and data["rows"] == 22


def test_export_workbook_dates_are_dates_and_text_is_never_a_formula(demo: Path, tmp_path: Path) -> None:
    run(demo, "issue", "add", "=1+1 路灯", "--village", "东坪村")
    out = tmp_path / "诉求.xlsx"
    run(demo, "export", "-o", str(out))
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert_printed_like_a_table(ws)
    assert values(ws, 1)[0] == "青石镇 诉求台账"
    head = values(ws, 3)
    assert head[:3] == ["编号", "受理日期", "镇/街道"]
    last = ws.max_row
    assert ws.cell(last, head.index("诉求内容") + 1).value == "=1+1 路灯"
    assert ws.cell(last, head.index("诉求内容") + 1).data_type == "s"
    assert ws.cell(4, 2).is_date and ws.cell(4, 1).data_type == "s"
    assert ws.cell(4, head.index("重办次数") + 1).data_type == "n"
    no_formulas_but_sums(openpyxl.load_workbook(out))


def test_export_then_import_round_trips(demo: Path, tmp_path: Path) -> None:
    book = tmp_path / "诉求台账.xlsx"
    run(demo, "export", "-o", str(book), "--unmask")
    other = tmp_path / "other.db"
    r = run(other, "import", str(book), "--create-missing")
    assert "读取 46 行:新增 46 条,已有跳过 0 条" in r.stdout
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run(demo, "export", "-o", str(a), "--unmask")
    run(other, "export", "-o", str(b), "--unmask")
    assert a.read_bytes() == b.read_bytes()
    again = run(other, "import", str(book))
    assert "新增 0 条,已有跳过 46 条" in again.stdout
    # Residents, then visits, then demands, each by its sheet's name: all three round-trip.
    fresh = tmp_path / "fresh.db"
    for what, name in (("residents", "群众名册"), ("visits", "走访记录"), ("demands", "诉求台账")):
        f = tmp_path / f"{what}.xlsx"
        run(demo, "export", what, "-o", str(f), "--unmask")
        run(fresh, "import", str(f), "--what", what, "--sheet", name, "--create-missing")
    for what in ("residents", "visits", "demands"):
        x, y = tmp_path / f"{what}-a.csv", tmp_path / f"{what}-b.csv"
        run(demo, "export", what, "-o", str(x), "--unmask")
        run(fresh, "export", what, "-o", str(y), "--unmask")
        assert x.read_bytes() == y.read_bytes(), what


def _book(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["群众名册"])  # a title row above the header is skipped
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_an_id_or_phone_that_became_a_number_is_refused_naming_the_column(demo: Path, tmp_path: Path) -> None:
    book = _book(tmp_path / "名单.xlsx", [
        ["姓名", "村/社区", "身份证号", "联系电话"],
        ["甲", "东坪村", 1.1010519491231e17, 13812345678],
        ["乙", "东坪村", 11010519491231002, "13812345679"],
        ["丙", "东坪村", "11010519491231002X", 1012345678],
    ])
    before = digest(demo)
    r = run(demo, "import", str(book), "--what", "residents", code=2)
    assert r.stderr.splitlines()[0].startswith(
        "错误:文件有 3 处问题,未导入任何内容;第一处:第 3 行“身份证号”列“1.1010519491231e+17”:"
        "“身份证号”是数字格式,号码可能已丢失位数")
    lines = r.stderr.splitlines()[1:]
    assert [line.split("\t")[:2] for line in lines] == [["  3", "身份证号"], ["  4", "身份证号"],
                                                         ["  5", "联系电话"]]
    assert digest(demo) == before  # nothing written
    en = run(demo, "import", str(book), "--what", "residents", code=2, lang="en")
    assert "身份证号 is a number, not text" in en.stderr
    # A whole 11-digit mobile number held as a number lost nothing: it imports.
    ok = _book(tmp_path / "ok.xlsx", [["姓名", "村/社区", "联系电话"], ["丁", "东坪村", 13812340000]])
    assert "新增 1 条" in run(demo, "import", str(ok), "--what", "residents").stdout
    L = Ledger(open_ledger(demo), today=date(2026, 11, 17))
    assert L.db.execute("select phone from residents where name = '丁'").fetchone()[0] == "13812340000"


def test_import_refuses_an_unknown_sheet_and_sheet_for_a_csv(demo: Path, tmp_path: Path) -> None:
    book = tmp_path / "x.xlsx"
    run(demo, "export", "-o", str(book))
    before = digest(demo)
    r = run(demo, "import", str(book), "--sheet", "Sheet9", code=2)
    assert r.stderr.strip() == "错误:工作簿中没有工作表“Sheet9”;可选:诉求台账"
    csv_file = tmp_path / "x.csv"
    run(demo, "export", "-o", str(csv_file))
    r = run(demo, "import", str(csv_file), "--sheet", "诉求台账", code=2)
    assert "--sheet 只用于 Excel 工作簿" in r.stderr
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    r = run(demo, "import", str(bad), code=2)
    assert r.stderr.startswith("错误:无法读取 Excel 工作簿")
    assert digest(demo) == before


# --- lists and the trend ---------------------------------------------------------------------

def test_overdue_due_and_issue_list_as_workbooks(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "超期.xlsx"
    run(demo, "overdue", "-o", str(out))
    result = json_of(demo, "overdue")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["超期诉求", "超期按责任单位", "超期按村社区"]  # no ":" in a sheet's name
    ws = wb["超期诉求"]
    n = len(result["demands"])
    assert [ws.cell(4 + i, 1).value for i in range(n)] == [d["number"] for d in result["demands"]]
    assert values(ws, 4 + n)[:2] == ["合计", f"{n} 件"]
    units = wb["超期按责任单位"]
    k = len(result["by_unit"])
    assert [values(units, 4 + i) for i in range(k)] == [
        [g["name"] or "(未交办)", g["overdue"], g["max_days_late"]] for g in result["by_unit"]]
    assert values(units, 4 + k)[:2] == ["合计", f"=SUM(B4:B{3 + k})"]
    due = tmp_path / "临期.xlsx"
    run(demo, "due", "--format", "xlsx", "-o", str(due))
    rows = json_of(demo, "due")
    ws = openpyxl.load_workbook(due).worksheets[0]
    assert [ws.cell(4 + i, 1).value for i in range(len(rows))] == [d["number"] for d in rows]
    listed = tmp_path / "台账.xlsx"
    run(demo, "issue", "list", "--status", "open", "-o", str(listed))
    rows = json_of(demo, "issue", "list", "--status", "open")
    ws = openpyxl.load_workbook(listed).worksheets[0]
    assert [ws.cell(4 + i, 2).value for i in range(len(rows))] == ["办理中"] * len(rows)
    # csv and json through --output too (the weekly script needs no shell redirect)
    od = tmp_path / "overdue.csv"
    run(demo, "overdue", "--format", "csv", "--output", str(od))
    assert od.read_bytes().startswith(b"\xef\xbb\xbfnumber,status")


def test_a_workbook_name_with_another_format_is_refused(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    r = run(demo, "summary", "--format", "csv", "-o", str(out), code=2)
    assert "是 Excel 工作簿,而 --format 是 csv" in r.stderr and not out.exists()
    run(demo, "report", "--format", "pdf", code=2)
    r = run(demo, "urge", "--format", "xlsx", code=2)  # not a workbook command
    existing = tmp_path / "有.xlsx"
    existing.write_bytes(b"old")
    run(demo, "report", "-o", str(existing), code=1)
    assert existing.read_bytes() == b"old"


def test_trend_table_json_csv_and_workbook(demo: Path, tmp_path: Path) -> None:
    rows = json_of(demo, "trend", "--weeks", "4")["weeks"]
    assert [(w["week_start"], w["received"], w["resolved"], w["overdue"]) for w in rows] == [
        ("2026-10-27", 12, 5, 1), ("2026-11-03", 13, 12, 3), ("2026-11-10", 12, 12, 1),
        ("2026-11-17", 9, 3, 3)]
    text = run(demo, "trend", "--weeks", "4").stdout
    lines = text.splitlines()
    assert lines[0] == "每周趋势:受理、办结、超期(台账周为星期二至下星期一)"
    assert lines[2].split()[:5] == ["2026-10-27", "至", "11-02", "12", "█████████▎"]
    assert "██████████ " in lines[3]  # the longest bar: 13, ten cells
    csv_text = run(demo, "trend", "--weeks", "2", "--format", "csv").stdout
    assert csv_text.splitlines() == ["week_start,week_end,as_of,received,resolved,overdue",
                                     "2026-11-10,2026-11-16,2026-11-16,12,12,1",
                                     "2026-11-17,2026-11-23,2026-11-17,9,3,3"]
    out = tmp_path / "趋势.xlsx"
    run(demo, "trend", "--weeks", "4", "-o", str(out))
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert [values(ws, 4 + i)[2:] for i in range(4)] == [[12, 5, 1], [13, 12, 3], [12, 12, 1],
                                                         [9, 3, 3]]
    assert len(ws._charts) == 1
    run(demo, "trend", "--weeks", "0", code=2)
    run(demo, "trend", "--week", "2026-12-01", code=2)  # a week after today


def test_the_trend_rule_in_the_service(demo: Path) -> None:
    L = Ledger(open_ledger(demo), today=date(2026, 11, 17))
    weeks = L.trends.weekly(3, "2026-11-16")
    assert [w["week_start"] for w in weeks] == ["2026-10-27", "2026-11-03", "2026-11-10"]
    assert weeks[-1]["as_of"] == "2026-11-16"
    # Overdue at a past week's end: received by then, unresolved then, deadline before it.
    n = L.db.execute(
        "select count(*) from demands where due_on < '2026-11-09' and received_on <= '2026-11-09' "
        "and (resolved_on is null or resolved_on > '2026-11-09') "
        "and not (status = 'suspended' and coalesce(suspended_since, received_on) <= '2026-11-09')"
    ).fetchone()[0]
    assert weeks[1]["overdue"] == n == 3
    for w in weeks:
        s = L.reports.summary(w["week_start"])
        assert (w["received"], w["resolved"]) == (s["received"], s["resolved"])


# --- start-up --------------------------------------------------------------------------------

def test_the_workbook_libraries_are_not_imported_at_start_up() -> None:
    code = ("import sys, ledger.cli, ledger.io.importer, ledger.io.csvformat, ledger.io.xlsx, "
            "ledger.services.trends; "
            "print(sorted(m for m in ('xlsxwriter', 'openpyxl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_empty_list_and_an_empty_card_still_make_a_workbook(tmp_path: Path) -> None:
    from ledger.io.xlsx import Title, demands_workbook, report_workbook

    out = tmp_path / "空.xlsx"
    demands_workbook(out, [], Title("青石镇", "临期诉求", "", "2026-11-17"), "zh",
                     groups=[("按单位", [])])
    wb = openpyxl.load_workbook(out)
    assert values(wb.worksheets[0], 4)[:2] == ["合计", "0 件"]
    assert values(wb.worksheets[1], 4) == ["合计", 0, None]  # no SUM over nothing
    no_formulas_but_sums(wb)
    card = {"by": "village", "from": None, "to": None, "rows": [], "talk": [],
            "total": {"name": None, "received": 0, "resolved": 0, "on_time": 0, "overdue": 0,
                      "response_rate": None, "resolution_rate": None, "on_time_rate": None,
                      "satisfaction_rate": None, "dissatisfied": 0,
                      "dissatisfaction_rate": None, "score": None}}
    report_workbook(tmp_path / "空卡.xlsx", card, "青石镇", "zh", "2026-11-17")
    wb = openpyxl.load_workbook(tmp_path / "空卡.xlsx")
    assert wb.sheetnames == ["成绩单", "图表"] and values(wb["成绩单"], 3)[1] == "村/社区"
    assert values(wb["成绩单"], 5)[:3] == ["合计", None, 0]


def test_a_workbook_without_a_name_is_named_by_date_here(demo: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = run(demo, "summary", "--week", "上周二", "--format", "xlsx")  # a date as typed
    assert r.stdout.strip() == "已写入 民情走访周汇总-2026-11-10.xlsx"
    ws = openpyxl.load_workbook(tmp_path / "民情走访周汇总-2026-11-10.xlsx")["按村社区"]
    assert values(ws, 2)[0].startswith("2026-11-10 至 2026-11-16")
    assert run(demo, "summary", "--week", "上周二", "--format", "json").stdout.count("2026-11-10")
    run(demo, "export", "--format", "xlsx")
    assert (tmp_path / "诉求台账-2026-11-17.xlsx").exists()
    run(demo, "export", "--format", "xlsx", code=1)  # never over an existing file
    run(demo, "export", "--format", "ods", code=2)


def test_a_workbook_to_standard_output_only_when_asked(demo: Path) -> None:
    r = run(demo, "report", "--format", "xlsx", "-o", "-")
    assert r.stdout_bytes.startswith(b"PK\x03\x04")
    import io

    wb = openpyxl.load_workbook(io.BytesIO(r.stdout_bytes))
    assert wb.sheetnames[0] == "成绩单"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_workbooks_convert_to_pdf_with_libreoffice(demo: Path, tmp_path: Path) -> None:
    files = []
    for args, name in ((("summary", "--week", "2026-11-10"), "周汇总.xlsx"), (("report",), "考核.xlsx"),
                       (("export",), "诉求台账.xlsx"), (("overdue",), "超期.xlsx")):
        run(demo, *args, "-o", str(tmp_path / name))
        files.append(str(tmp_path / name))
    out = tmp_path / "pdf"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(out), *files],
                   capture_output=True, timeout=300, check=True)
    for f in files:
        pdf = (out / Path(f).name).with_suffix(".pdf")
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and data.count(b"/Type /Page") + data.count(b"/Type/Page") >= 1
