"""Screens a clerk can read: every list and card of the demo ledger on a real terminal (a
pseudo-terminal) 80, 100 and 120 columns wide; click's words in one language; the first
screen, the version, the forms of dates."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from .conftest import Cli

pytestmark = pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")

TODAY = "2026-11-17"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("screens") / "demo.db"
    subprocess.run([sys.executable, "-m", "ledger", "demo", "--db", str(path)], check=True,
                   capture_output=True, env={**os.environ, "LEDGER_PAGER": "cat"})
    return path


def on_terminal(demo: Path, width: int, *args: str) -> str:
    """What ``ledger ARGS`` shows on a terminal ``width`` columns wide."""
    import pty

    main, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": str(width), "LINES": "40", "LEDGER_PAGER": "cat",
           "TERM": "xterm-256color", "LEDGER_TODAY": TODAY, "LEDGER_DB": str(demo)}
    proc = subprocess.Popen([sys.executable, "-m", "ledger", *args], stdout=secondary,
                            stderr=subprocess.PIPE, env=env, close_fds=True)
    os.close(secondary)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the program is done
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(main)
    assert proc.returncode == 0, proc.stderr.read().decode()
    return ANSI.sub("", out.decode("utf-8")).replace("\r", "")


def plain_json(demo: Path, *args: str) -> object:
    return json.loads(_json_output(demo, args))


@functools.lru_cache(maxsize=None)
def _json_output(demo: Path, args: tuple[str, ...]) -> str:
    """What ``ledger ARGS --format json`` prints: run once per command, as the demo ledger
    is never written here (each width's test compares its screen with the same JSON)."""
    env = {**os.environ, "LEDGER_TODAY": TODAY, "LEDGER_DB": str(demo)}
    r = subprocess.run([sys.executable, "-m", "ledger", *args, "--format", "json"],
                       capture_output=True, text=True, env=env, check=True)
    return r.stdout


SCREENS = [
    ("issue", "list"), ("issue", "show", "2026-000023"), ("resident", "show", "王芳/东坪村"),
    ("visit", "list"), ("summary", "--week", "2026-11-10"), ("report", "--by", "unit"),
    ("report", "--by", "township"), ("report", "--by", "village"), ("due", "--within", "5"),
    ("overdue",), ("calendar", "show", "2026", "--month", "10"), ("policy", "list"),
    ("setting", "list"),
]


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: " ".join(s))
def test_every_screen_fits_the_terminal(demo: Path, screen: tuple[str, ...], width: int) -> None:
    text = on_terminal(demo, width, *screen)
    widest = max(cells(line) for line in text.split("\n"))
    assert widest <= width, f"{widest} columns:\n{text}"
    assert text.strip()


# Every demand number, date and rate that should appear appears whole, on one line.
@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("command, rows", [
    (("issue", "list"), lambda j: j), (("overdue",), lambda j: j["demands"]),
    (("due", "--within", "5"), lambda j: j)])
def test_numbers_and_deadlines_appear_whole(demo: Path, command, rows, width: int) -> None:
    text = on_terminal(demo, width, *command)
    for row in rows(plain_json(demo, *command)):
        line = next((x for x in text.split("\n") if re.search(rf"(^|\s){row['number']}(\s|$)", x)),
                    None)
        assert line is not None, f"{row['number']} not whole on a line at {width}:\n{text}"
        assert row["due_on"] in line


@pytest.mark.parametrize("width", [80, 100, 120])
def test_report_rates_appear_whole(demo: Path, width: int) -> None:
    text = on_terminal(demo, width, "report", "--by", "unit")
    for row in plain_json(demo, "report", "--by", "unit")["rows"]:
        line = next(x for x in text.split("\n") if row["name"] in x and "%" in x)
        assert f"{row['resolution_rate'] * 100:.1f}%" in line and str(row["score"]) in line


def test_a_narrow_terminal_says_which_columns_it_left_out(demo: Path) -> None:
    narrow = on_terminal(demo, 80, "issue", "list")
    assert "未显示:层级、难易" in narrow and "--wide" in narrow
    header = next(x for x in narrow.split("\n") if x.startswith("编号"))
    assert "层级" not in header and "难易" not in header
    wide = on_terminal(demo, 80, "--wide", "issue", "list")
    assert "未显示" not in wide
    assert "层级" in next(x for x in wide.split("\n") if x.startswith("编号"))


def test_summary_and_report_end_with_a_total_row(demo: Path) -> None:
    text = on_terminal(demo, 100, "summary", "--week", "2026-11-10")
    data = plain_json(demo, "summary", "--week", "2026-11-10")
    totals = [x for x in text.split("\n") if x.startswith("合计")]
    assert len(totals) == 3  # by village, by category, by channel
    assert all(x.split()[1] == str(data["received"]) for x in totals)
    card = plain_json(demo, "report", "--by", "unit")
    assert card["total"]["received"] == sum(r["received"] for r in card["rows"])
    assert "合计" in on_terminal(demo, 100, "report", "--by", "unit")


# --- words ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, lang, expected", [
    (["isue", "list"], None, ["错误:没有命令“isue”(用 ledger --help 查看用法)", "是不是要用:issue"]),
    (["isue", "list"], "en", ["error: No such command 'isue' (see ledger --help)",
                              "did you mean: issue"]),
    (["issue", "add"], None, ["错误:缺少 TEXT(用 ledger issue add --help 查看用法)"]),
    (["issue", "add"], "en", ["error: missing TEXT (see ledger issue add --help)"]),
    (["issue", "list", "--colour"], None, ["错误:没有选项 --colour(用 ledger issue list --help 查看用法)"]),
    (["due", "--within", "abc"], None, ["错误:--within 应为整数,不是“abc”(用 ledger due --help 查看用法)"]),
    (["issue", "assign", "1"], None, ["错误:缺少 --unit(用 ledger issue assign --help 查看用法)"]),
])
def test_click_errors_are_one_line_in_one_language(cli: Cli, args, lang, expected) -> None:
    r = cli(*args, lang=lang)
    assert r.exit_code == 2
    lines = r.stderr.strip().split("\n")
    assert len(lines) <= 2 and "Usage" not in r.stderr and "用法:" not in r.stderr
    assert lines == expected


@pytest.mark.parametrize("lang, words, foreign", [
    (None, ["用法:ledger issue [选项] 命令 [参数]...", "选项:", "命令:", "显示此帮助并退出。",
            "受理一件诉求"], ["Usage", "Options", "Show this message", "Accept a demand"]),
    ("en", ["Usage: ledger issue [OPTIONS] COMMAND [ARGS]...", "Options:", "Commands:",
            "Accept a demand"], ["用法", "选项", "受理一件诉求"]),
])
def test_help_is_in_one_language(cli: Cli, lang, words, foreign) -> None:
    r = cli("issue", "--help", lang=lang)
    assert r.exit_code == 0
    for word in words:
        assert word in r.output
    for word in foreign:
        assert word not in r.output


def test_the_first_screen_the_version_and_an_unknown_language(cli: Cli) -> None:
    r = cli.runner.invoke(__import__("ledger.cli", fromlist=["app"]).app, [])
    assert r.exit_code == 0 and len(r.output.rstrip("\n").split("\n")) <= 24
    assert "ledger demo" in r.output and "ledger visit log" in r.output
    r = cli("--version")
    assert r.exit_code == 0 and re.fullmatch(r"ledger \d+\.\d+\.\d+\n", r.output)
    r = cli("--lang", "fr", "issue", "list")
    assert r.exit_code == 2 and "不认识的语言“fr”" in r.stderr and "zh、en" in r.stderr


def test_global_options_work_after_the_command_too(cli: Cli) -> None:
    r = cli.runner.invoke(__import__("ledger.cli", fromlist=["app"]).app,
                          ["issue", "add", "路灯坏了", "--village", "东坪村", "--today",
                           "2026-11-20", "--user", "王建国"])
    assert r.exit_code == 0, r.output
    d = cli.ledger().demands.show("2026-000001")
    assert (d["received_on"], d["events"][0]["actor"]) == ("2026-11-20", "王建国")


@pytest.mark.parametrize("typed, day", [("今天", "2026-11-17"), ("昨天", "2026-11-16"),
                                        ("上周二", "2026-11-10"), ("11月12日", "2026-11-12"),
                                        ("11-13", "2026-11-13")])
def test_dates_as_clerks_type_them_on_the_command_line(cli: Cli, typed: str, day: str) -> None:
    r = cli("issue", "add", "路灯坏了", "--village", "东坪村", "--date", typed)
    assert r.exit_code == 0, r.output
    assert cli.ledger().demands.show("2026-000001")["received_on"] == day
    listed = cli("issue", "list", "--from", typed, "--to", "今天", "--format", "json")
    assert [d["number"] for d in json.loads(listed.output)] == ["2026-000001"]
