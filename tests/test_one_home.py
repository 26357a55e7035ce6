"""Wrong behaviours of issue 10, seen from the command line, failing before the fix.

Each test acts only through the ``ledger`` commands (typer's CliRunner, through the ``cli``
fixture) and reads the ledger file back with plain ``sqlite3``, never through the domain
classes, so that the tests keep working while those are renamed or moved. Each states the
right behaviour: what a clerk would check.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from .conftest import Cli

FORMULA = "=cmd|' /C calc'!A0"


# --- helpers -----------------------------------------------------------------------------

def run(cli: Cli, *args: str, code: int = 0, **kw: Any) -> Any:
    """Run one command, insist on its exit code; the result (stdout, stderr) for checks."""
    r = cli(*args, **kw)
    assert r.exit_code == code, f"exit {r.exit_code}, expected {code}; output:\n{r.output}"
    assert "Traceback" not in r.output
    return r


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a CSV a command wrote, read the way a spreadsheet program reads them."""
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of the ledger file, read with plain sqlite3 (read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def numbers(path: Path) -> list[str]:
    return [n for n, in query(path, "select number from demands order by number")]


def exported_texts(cli: Cli) -> list[str]:
    """The 诉求内容 cells of `ledger export` (to standard output), which escapes every cell."""
    r = run(cli, "export", "-o", "-")
    return [row["诉求内容"] for row in csv_rows(r.stdout_bytes.decode("utf-8-sig"))]


# --- 1. every CSV output escapes its cells by the rule of `ledger export` --------------------

# (what the clerk typed, the cell as `ledger export` writes it)
RISKY_TEXTS = {
    "equals": (FORMULA, "'" + FORMULA),
    "at": ("@SUM(1+1)", "'@SUM(1+1)"),
    "minus": ("-1+1", "'-1+1"),
    "apostrophe": ("'引号开头", "''引号开头"),
    "long-digits": ("13812345678", "\t13812345678"),
}

# (the command, the day the demand is received so that the command lists it today)
DEMAND_LISTS = [
    (("issue", "list"), "2026-11-17"),
    (("due",), "2026-11-16"),       # general: 1 working day, due today 2026-11-17
    (("overdue",), "2026-11-12"),   # due 2026-11-13, overdue today
]


@pytest.mark.parametrize("command,received", DEMAND_LISTS,
                         ids=["-".join(c) for c, _ in DEMAND_LISTS])
@pytest.mark.parametrize("typed,escaped", RISKY_TEXTS.values(), ids=RISKY_TEXTS.keys())
def test_demand_list_csv_escapes_the_text_cell_like_export(
        cli: Cli, command: tuple[str, ...], received: str, typed: str, escaped: str) -> None:
    """A clerk opens `issue list` / `due` / `overdue --format csv` in Excel: a demand text
    that looks like a formula (or a long digit string) is written escaped, exactly as
    `ledger export` writes it, so nothing runs and nothing is mangled."""
    run(cli, "issue", "add", "--village", "东坪村", "--date", received, "--", typed)
    rows = csv_rows(run(cli, *command, "--format", "csv").stdout)
    assert [row["text"] for row in rows] == [escaped]
    assert exported_texts(cli) == [escaped]


def _risky_places(cli: Cli) -> None:
    """A township, village, unit, category and channel whose names start with a formula
    character, and one demand through them, received and assigned today."""
    run(cli, "township", "add", "+新区街道")
    run(cli, "village", "add", '=HYPERLINK("x")', "--township", "+新区街道")
    run(cli, "unit", "add", "@镇信访办", "--level", "镇级")
    run(cli, "category", "add", "--", "-临时类别")
    run(cli, "channel", "add", "'微信群")
    run(cli, "issue", "add", "路灯不亮", "--village", '=HYPERLINK("x")',
        "--category=-临时类别", "--channel", "'微信群", "--level", "镇级")
    run(cli, "issue", "assign", "2026-000001", "--unit", "@镇信访办")


def test_summary_csv_escapes_village_category_and_channel_names(cli: Cli) -> None:
    """`summary --format csv` for the Tuesday meeting: the names of a village, a category
    and a channel that start with =, - or ' are written escaped, as `ledger export` does."""
    _risky_places(cli)
    rows = csv_rows(run(cli, "summary", "--format", "csv").stdout)
    names = {(row["dimension"], row["name"]) for row in rows
             if row["dimension"] != "total" and row["received"] == "1"}
    assert names == {("village", '\'=HYPERLINK("x")'), ("category", "'-临时类别"),
                     ("channel", "''微信群")}


@pytest.mark.parametrize("by,escaped", [
    ("township", "'+新区街道"),
    ("village", '\'=HYPERLINK("x")'),
    ("unit", "'@镇信访办"),
], ids=["township", "village", "unit"])
def test_report_csv_escapes_the_name_cell(cli: Cli, by: str, escaped: str) -> None:
    """`report --by unit|township|village --format csv`: a name that starts with =, +, @
    is written with a leading apostrophe, as `ledger export` does."""
    _risky_places(cli)
    rows = csv_rows(run(cli, "report", "--by", by, "--format", "csv").stdout)
    assert [(row["name"], row["received"]) for row in rows] == [(escaped, "1")]


# --- 2. a voided (undone) demand number is never given out again -----------------------------

def _two_demands_the_second_undone(cli: Cli, *db: str) -> None:
    run(cli, *db, "issue", "add", "门口路灯不亮", "--village", "东坪村")
    run(cli, *db, "issue", "add", "打错了的一件", "--village", "东坪村")
    r = run(cli, *db, "undo")
    assert "2026-000002" in r.stdout


def test_issue_add_after_an_undo_skips_the_voided_number(cli: Cli) -> None:
    """For contrast (this already works): after the clerk undoes 2026-000002, the next
    demand accepted by hand is 2026-000003; 2026-000002 may be on a printed slip."""
    _two_demands_the_second_undone(cli)
    r = run(cli, "issue", "add", "村道积水", "--village", "东坪村")
    assert r.stdout.strip() == "已受理诉求 2026-000003"
    assert numbers(cli.path) == ["2026-000001", "2026-000003"]


def test_import_after_an_undo_skips_the_voided_number(cli: Cli, tmp_path: Path) -> None:
    """A hotline file's unnumbered row, imported after the clerk undid 2026-000002, gets
    2026-000003, not the voided 2026-000002; the next demand by hand is 2026-000004."""
    _two_demands_the_second_undone(cli)
    hotline = tmp_path / "12345.csv"
    hotline.write_bytes("受理日期,村/社区,诉求内容\r\n2026-11-17,东坪村,热线转来:噪声扰民\r\n"
                        .encode("utf-8-sig"))
    r = run(cli, "import", str(hotline))
    assert "新增 1 条" in r.stdout
    assert query(cli.path, "select number, text from demands order by number") == [
        ("2026-000001", "门口路灯不亮"), ("2026-000003", "热线转来:噪声扰民")]
    r = run(cli, "issue", "add", "村道积水", "--village", "东坪村")
    assert r.stdout.strip() == "已受理诉求 2026-000004"


def test_merge_after_an_undo_skips_the_voided_number(cli: Cli, tmp_path: Path) -> None:
    """A county ledger where 2026-000002 was accepted and undone merges a township's file:
    the township's demand keeps its own number (shown with the township's name), takes none
    of the county's, and the county's next number is 2026-000003, never the voided one."""
    township = tmp_path / "青石镇.db"
    other = ("--db", str(township))
    run(cli, *other, "township", "add", "青石镇")
    run(cli, *other, "village", "add", "东坪村")
    run(cli, *other, "issue", "add", "宅基地界址纠纷", "--village", "东坪村")
    _two_demands_the_second_undone(cli)
    r = run(cli, "merge", str(township))
    assert "诉求 1 件" in r.stdout
    assert query(cli.path, "select number, origin_number, text from demands order by number") == [
        ("2026-000001", None, "门口路灯不亮"), ("青石镇:2026-000001", "2026-000001", "宅基地界址纠纷")]
    r = run(cli, "issue", "add", "村道积水", "--village", "东坪村")
    assert r.stdout.strip() == "已受理诉求 2026-000003"


# --- 3. a backward date range is refused everywhere ------------------------------------------

@pytest.mark.parametrize("lang,message", [
    ("zh", "错误:起始日期 2026-11-20 晚于截止日期 2026-11-10"),
    ("en", "error: start date 2026-11-20 is after end date 2026-11-10"),
], ids=["zh", "en"])
def test_visit_list_refuses_a_backward_date_range(cli: Cli, lang: str, message: str) -> None:
    """`visit list --from 2026-11-20 --to 2026-11-10` is refused as `issue list` refuses
    it: exit 2, that one line on stderr, nothing on stdout, the file untouched."""
    run(cli, "visit", "log", "--village", "东坪村", "--resident", "张秀兰", "--date", "2026-11-16")
    before = cli.digest()
    contrast = run(cli, "issue", "list", "--from", "2026-11-20", "--to", "2026-11-10",
                   code=2, lang=lang)
    assert contrast.stderr == message + "\n"
    r = run(cli, "visit", "list", "--from", "2026-11-20", "--to", "2026-11-10", code=2, lang=lang)
    assert (r.stdout, r.stderr) == ("", message + "\n")
    assert cli.digest() == before


# --- 5. importing a file that is not there ---------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_import_of_a_missing_file_names_the_file_not_a_calendar(
        cli: Cli, tmp_path: Path, lang: str) -> None:
    """`ledger import 缺失.csv` of a file that does not exist: exit 2, one line on stderr
    naming the file and saying it cannot be read; it is not about a calendar file."""
    missing = tmp_path / "缺失.csv"
    before = cli.digest()
    r = run(cli, "import", str(missing), code=2, lang=lang)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误:" if lang == "zh" else "error: ")
    assert str(missing) in lines[0]
    rest = lines[0].replace(str(missing), "")
    assert "日历" not in rest and "calendar" not in rest.lower()
    assert ("无法读取" if lang == "zh" else "cannot read") in rest
    assert cli.digest() == before
