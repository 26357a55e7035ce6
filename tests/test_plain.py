"""Output off a terminal (a pipe, a file, --output, the tests' CliRunner) is laid out by
``ledger.plain`` without importing rich: every cell, title and column kept, columns padded
by display width; on a terminal rich prints the same objects as before."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from ledger import render
from ledger.plain import Columns, Grid, Group, Text, cell_len, escape, layout, markup_plain


@pytest.mark.parametrize("text, width", [
    ("", 0), ("abc", 3), ("东坪村", 6), ("2026-000001", 11), ("ＡＢ村", 6),  # full-width
    ("已销号…", 7), ("—", 1), ("、", 2), ("(", 1), ("（", 2), ("█▏", 2),
    ("e\u0301", 1),  # a combining accent takes no column
    ("张\u200b三", 4),  # nor an invisible format character
])
def test_display_width(text: str, width: int) -> None:
    assert cell_len(text) == width


@pytest.mark.parametrize("title, headers, rows, show_header, caption, expected", [
    # CJK cells are two columns wide: the next column starts where it does on a terminal
    ("诉求台账", ["编号", "村/社区", "状态"], [["1", "东坪村", "在办"], ["12", "AB村", "已销号"]],
     True, "2 件",
     "诉求台账\n"
     " 编号  村/社区  状态\n"
     " 1     东坪村   在办\n"
     " 12    AB村     已销号\n"
     " 2 件"),
    # an empty table keeps its title and header
    ("走访", ["日期", "村/社区"], [], True, None, "走访\n 日期  村/社区"),
    # a wide cell is never cut off a terminal; the columns after it move over
    (None, ["a", "b"], [["x" * 60, "右"], ["", "y"]], True, None,
     " a" + " " * 61 + "b\n " + "x" * 60 + "  右\n" + " " * 63 + "y"),
    # no header (a label-value grid); trailing blanks dropped
    (None, ["", ""], [["编号", "2026-000003"], ["反映人", ""]], False, None,
     " 编号    2026-000003\n 反映人"),
    # markup is shown as its text: styles dropped, escaped brackets kept as typed
    ("[bold]标题[/]", ["灯"], [["[red]超期[/]"], [escape("[b]急[/b]")]], True, None,
     "标题\n 灯\n 超期\n [b]急[/b]"),
    (None, [], [], True, None, ""),  # no columns at all: nothing
])
def test_layout(title, headers, rows, show_header, caption, expected) -> None:
    assert layout(title, headers, rows, show_header, caption) == expected


@pytest.mark.parametrize("typed", [
    "[b]急[/b]:smile:", "路灯\\", "a\\[b]c", "\\\\[red]x[/red]", "[", "[]", "[1]", "x[/]",
    "[#ff0000]", "[@click]", "普通文字", "a]b[c", "\\", "\\\\",
])
def test_markup_rules_are_riches(typed: str) -> None:
    from rich.markup import escape as rich_escape
    from rich.text import Text as RichText

    assert escape(typed) == rich_escape(typed)
    if not typed.endswith("\\"):  # (rich shows a trailing backslash doubled)
        assert markup_plain(escape(typed)) == typed
    for markup in (escape(typed), f"[bold]{escape(typed)}[/]", escape(typed) + "[red]红[/red]"):
        assert markup_plain(markup) == RichText.from_markup(markup, emoji=False).plain


def test_a_sheet_a_grid_and_a_group_as_plain_text() -> None:
    sheet = render.Sheet("visits", ("date", "village", "visits"), "zh")
    sheet.add_row("2026-11-10", "东坪村", 3)
    sheet.add_total("合计", "", 3)
    facts = Grid()
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("编号", "#2")
    month = Columns(title="2026-10")
    month.add_column("一", justify="right")
    month.add_row("[bold red]1假[/]")
    got = render.plain_text(Group("一人一账", facts, "", sheet, Text("  历史", style="bold"),
                                  month))
    assert got == ("一人一账\n"
                   " 编号  #2\n"
                   "\n"
                   "走访记录\n"
                   " 日期        村/社区  走访次数\n"
                   " 2026-11-10  东坪村   3\n"
                   " 合计                 3\n"
                   "  历史\n"
                   "2026-10\n"
                   " 一\n"
                   " 1假")
    assert render.plain_text(object()) is None


def test_on_a_terminal_rich_prints_the_same_objects() -> None:
    from rich.console import Console

    facts = Grid()
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("编号", escape("[b]急[/b]"))
    console = Console(file=io.StringIO(), force_terminal=True, width=80, emoji=False)
    console.print(Group("标题", facts, Text("[x]", style="bold")))
    shown = console.file.getvalue()
    assert "标题" in shown and "[b]急[/b]" in shown and "[x]" in shown and "\x1b[1m" in shown


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("plain") / "demo.db"
    subprocess.run([sys.executable, "-m", "ledger", "demo", "--db", str(db)],
                   capture_output=True, check=True)
    return db


@pytest.mark.parametrize("args", [
    ["due"], ["resident", "show", "张桂兰"], ["issue", "show", "2026-000003"],
    ["summary", "--week", "2026-11-10"], ["calendar", "show", "2026", "--month", "10"],
    ["report", "--by", "unit"], ["visit", "list"],
])
def test_output_to_a_pipe_never_imports_rich(demo_db, args: list[str]) -> None:
    db = demo_db
    code = ("import sys, atexit; "
            "atexit.register(lambda: sys.stderr.write('RICH' if any(m.split('.')[0] == 'rich' "
            "for m in sys.modules) else 'NO-RICH')); "
            "from ledger.cli import main; sys.argv = ['ledger', *sys.argv[1:]]; main()")
    p = subprocess.run([sys.executable, "-c", code, "--db", str(db), "--today", "2026-11-17",
                        *args], capture_output=True, text=True, encoding="utf-8")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() and p.stderr.endswith("NO-RICH"), p.stderr
