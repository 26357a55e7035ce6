"""One rule at every door, and bounded work on any input (issue 24), tried as an attacker:
hostile names and texts typed, imported, received in a bundle; workbooks that do not parse
or that declare a million rows; a template of nested loops. Each case asserts the exit code,
one line of message (never 内部错误 or a traceback), the ledger file byte for byte unchanged
and ``ledger check`` passing afterwards.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Any, Callable

import pytest

from ledger.store.journal import chain_hash

from .conftest import Cli, sign_as_sender
from .test_hostile import out
from .test_sync import at, escalated_case, make_county, make_township

ESC = "\x1b[2J\x1b]0;owned\x07"


def refused(cli: Cli, *args: str, code: int = 2, needle: str = "", db: Path | None = None,
            **kw: Any) -> str:
    """Refused: the exit code, one line, no traceback, the ledger untouched, check passing."""
    path = db or cli.path
    before = path.read_bytes()
    r = cli(*args, **kw)
    text = out(r)
    assert r.exit_code == code, f"exit {r.exit_code}, expected {code}:\n{text}"
    assert "Traceback" not in text and "内部错误" not in text and "\x1b" not in text, text
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    assert lines[0].startswith(("错误:", "error: ")), lines[0]
    assert len(lines[0]) <= 400, lines[0]
    assert needle in text, f"{needle!r} not in {text!r}"
    assert path.read_bytes() == before, "a refused command changed the ledger file"
    checked = cli("check", "--db", str(path))
    assert checked.exit_code == 0, out(checked)
    return text


# --- names and texts typed ---------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["resident", "add", "张/三", "--village", "东坪村"], "张/三"),
    (["resident", "add", "..\\x", "--village", "东坪村"], "..\\x"),
    (["resident", "add", "../x", "--village", "东坪村"], "../x"),
    (["org", "add", "好/超市", "--village", "东坪村", "--kind", "个体工商户"], "好/超市"),
    (["village", "add", "东/坪"], "东/坪"),
    (["township", "add", "../../x"], "../../x"),
    (["category", "add", "../x"], "../x"),
    (["category", "add", ".."], ".."),
    (["unit", "add", "/etc/passwd"], "/etc/passwd"),
    (["sync", "name", "../../x"], "../../x"),
    (["resident", "add", "张三" + ESC, "--village", "东坪村"], ""),
    (["resident", "add", "张\u202e三", "--village", "东坪村"], "U+202E"),
    (["resident", "add", "张三", "--village", "东坪村", "--note", "x" + ESC], ""),
    (["resident", "add", "张三", "--village", "东坪村", "--note", "\x9b31m"], ""),
])
def test_a_hostile_name_or_text_typed_is_refused(cli: Cli, args: list[str], needle: str) -> None:
    refused(cli, *args, needle=needle)


def test_a_category_may_still_hold_a_slash(cli: Cli) -> None:
    r = cli("category", "add", "油烟/噪声")
    assert r.exit_code == 0, out(r)


def test_a_message_never_echoes_an_escape_sequence(cli: Cli) -> None:
    text = refused(cli, "issue", "add", "路灯", "--village", "东坪村", "--date", "2026" + ESC)
    assert "\\x1b" in text


# --- CSV and workbooks --------------------------------------------------------------------------

def import_refused(cli: Cli, path: Path, needle: str = "", code: int = 2,
                   what: str = "demands") -> str:
    """An import refused: its exit code, no traceback, nothing written, check passing."""
    before = cli.path.read_bytes()
    r = cli("import", str(path), "--what", what)
    text = out(r)
    assert r.exit_code == code, f"exit {r.exit_code}:\n{text}"
    assert "Traceback" not in text and "内部错误" not in text and "\x1b" not in text, text
    assert "UserWarning" not in text and "site-packages" not in text, text
    assert needle in text, f"{needle!r} not in {text!r}"
    assert cli.path.read_bytes() == before
    assert cli("check").exit_code == 0
    return text


def test_a_csv_resident_named_with_the_separator_is_refused(cli: Cli, tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("姓名,村/社区\n张/三,东坪村\n", encoding="utf-8")
    import_refused(cli, p, "张/三", what="residents")


def test_a_csv_text_with_an_escape_sequence_is_refused(cli: Cli, tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text(f"受理日期,村/社区,诉求内容\n2026-11-10,东坪村,路灯{ESC}\n", encoding="utf-8")
    import_refused(cli, p)


def workbook(tmp_path: Path, patch: Callable[[str], str] = lambda s: s,
             book: Callable[[str], str] = lambda s: s, name: str = "d.xlsx",
             rows: list[list[Any]] | None = None) -> Path:
    """A small workbook in the ledger's format, its sheet's XML (``patch``) and its
    workbook part (``book``) rewritten as an attacker would."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["受理日期", "村/社区", "诉求内容"])
    for row in rows or [[date(2026, 11, 10), "东坪村", "路灯不亮"]]:
        ws.append(row)
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = patch(data.decode()).encode()
            elif item.filename == "xl/workbook.xml":
                data = book(data.decode()).encode()
            z.writestr(item, data)
    return path


def test_a_good_workbook_still_imports(cli: Cli, tmp_path: Path) -> None:
    r = cli("import", str(workbook(tmp_path)))
    assert r.exit_code == 0, out(r)
    assert cli("check").exit_code == 0


@pytest.mark.parametrize("patch, where", [
    # NaN in a number cell
    (lambda s: s.replace('<c r="A2" s="1" t="n"><v>46336</v></c>',
                         '<c r="A2" t="n"><v>NaN</v></c>'), "A2"),
    # NaN in a date cell
    (lambda s: s.replace("<v>46336</v>", "<v>NaN</v>"), "A2"),
    # a shared-string index past the table
    (lambda s: s.replace('<c r="A2" s="1" t="n"><v>46336</v></c>',
                         '<c r="A2" t="s"><v>99999</v></c>'), "A2"),
    # a cell past the last column Excel has
    (lambda s: s.replace('<c r="A2" s="1" t="n">', '<c r="ZZZZ2" s="1" t="n">'), "ZZZZ2"),
    # a row past the last row Excel has
    (lambda s: s.replace('<row r="2">', '<row r="99999999999">'), "#99999999999"),
    # rows out of order
    (lambda s: s.replace('<row r="2">', '<row r="1">'), "#1"),
    # XML cut short
    (lambda s: s[: s.index("</sheetData>") - 20], "#2"),
])
def test_a_workbook_that_does_not_parse_is_refused_naming_the_cell(
        cli: Cli, tmp_path: Path, patch: Callable[[str], str], where: str) -> None:
    path = workbook(tmp_path, patch)
    text = refused(cli, "import", str(path), needle=where)
    assert "d.xlsx" in text


def test_a_workbook_without_a_worksheet_is_refused(cli: Cli, tmp_path: Path) -> None:
    import re

    path = workbook(tmp_path, book=lambda s: re.sub(r"<sheets>.*</sheets>", "<sheets/>", s))
    text = refused(cli, "import", str(path), needle="d.xlsx")
    assert "内部错误" not in text


@pytest.mark.parametrize("serial, needle", [("-5", "1899"), ("1e300", ""), ("99999999", "")])
def test_a_date_serial_out_of_range_is_refused(cli: Cli, tmp_path: Path, serial: str,
                                               needle: str) -> None:
    path = workbook(tmp_path, lambda s: s.replace("<v>46336</v>", f"<v>{serial}</v>"))
    import_refused(cli, path, needle)


@pytest.mark.parametrize("text", ["路灯\x9b2J", "路灯\u202e不亮", "长" * 6000])
def test_a_workbook_text_with_an_escape_sequence_is_refused(cli: Cli, tmp_path: Path,
                                                            text: str) -> None:
    # (XML cannot hold ESC itself: the C1 CSI and a text-direction override can)
    path = workbook(tmp_path, rows=[[date(2026, 11, 10), "东坪村", text]])
    import_refused(cli, path)


def bomb(path: Path, rows: int = 1_048_576, wide: bool = False) -> Path:
    """A workbook of one header row declaring ``rows`` formatted rows (XFD wide): small on
    disk, and each row empty."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["受理日期", "村/社区", "诉求内容"])
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    last = "XFD" if wide else "C"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode().replace('<dimension ref="A1:C1"/>',
                                             f'<dimension ref="A1:{last}{rows}"/>')
                fill = "".join(f'<row r="{r}" s="0" customFormat="1" ht="15" '
                               f'customHeight="1"/>' for r in range(2, rows + 1))
                data = text.replace("</sheetData>", fill + "</sheetData>").encode()
            z.writestr(item, data)
    return path


def test_a_workbook_declaring_a_million_rows_reads_as_empty(cli: Cli, tmp_path: Path) -> None:
    path = bomb(tmp_path / "bomb.xlsx", wide=True)
    assert path.stat().st_size < 4 << 20
    before = cli.path.read_bytes()
    r = cli("import", str(path))
    text = out(r)
    assert r.exit_code == 0 and "Traceback" not in text, text
    assert cli.path.read_bytes() == before
    assert cli("check").exit_code == 0


def test_openpyxl_warnings_never_reach_the_screen(tmp_path: Path, db_path: Path) -> None:
    # a date cell whose serial no calendar has: openpyxl warns (naming its own file)
    path = workbook(tmp_path, lambda s: s.replace("<v>46336</v>", "<v>1e300</v>"))
    env = {**os.environ, "LEDGER_TODAY": "2026-11-17", "PYTHONWARNINGS": "default"}
    r = subprocess.run([sys.executable, "-m", "ledger", "--db", str(db_path), "import",
                        str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Warning" not in r.stderr and "site-packages" not in r.stderr, r.stderr


# --- templates -----------------------------------------------------------------------------------

def template(tmp_path: Path, body: str) -> Path:
    from importlib.resources import files

    src = zipfile.ZipFile(io.BytesIO((files("ledger") / "templates" / "assign.docx").read_bytes()))
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode()
                i = text.index("<w:body>") + len("<w:body>")
                data = (text[:i] + f"<w:p><w:r><w:t>{body}</w:t></w:r></w:p>" + text[i:]).encode()
            z.writestr(item, data)
    return path


@pytest.mark.parametrize("body", [
    "{% for a in range(99999) %}{% for b in range(99999) %}{{ number }}{% endfor %}{% endfor %}",
    "{% for a in range(9999) %}{% for b in range(9999) %}{% for c in range(9999) %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{{ number * 999999999 }}",
    "{{ 9 ** 99999999 }}",
    "{{ number|center(999999999) }}",
    "{{ number|indent(999999999, true) }}",
])
def test_a_template_bomb_is_refused_in_seconds(cli: Cli, tmp_path: Path, body: str) -> None:
    import time

    started = time.monotonic()
    refused(cli, "doc", "template", "install", "assign", str(template(tmp_path, body)),
            needle="bomb.docx")
    assert time.monotonic() - started < 30


def test_a_template_with_a_loop_still_installs(cli: Cli, tmp_path: Path) -> None:
    body = "{% for a in range(3) %}{{ number }}{% endfor %}"
    r = cli("doc", "template", "install", "assign", str(template(tmp_path, body)))
    assert r.exit_code == 0, out(r)


# --- bundles -------------------------------------------------------------------------------------

def rechain(bundle: Path, change: Callable[[sqlite3.Connection], None]) -> None:
    """What a hostile township does: change its bundle, then compute the chain again."""
    conn = sqlite3.connect(bundle)
    change(conn)
    last = None
    for r in conn.execute("select id, 'demand', subject_id, action, on_date, actor, os_user, "
                          "reason, data, recorded_at, command, origin, origin_id, prev "
                          "from events order by id").fetchall():
        prev = r[13] if r[13] is not None else last
        h = chain_hash(prev, r[:13] if r[11] else r[:11])
        conn.execute("update events set hash = ? where id = ?", [h, r[0]])
        last = h
    conn.execute("update info set value = ? where key = 'head_hash'", [last])
    conn.commit()
    conn.close()
    sign_as_sender(bundle)  # with its own key, which a hostile township holds


@pytest.fixture
def town_bundle(tmp_path: Path) -> tuple[Path, Path, Cli]:
    county, town = tmp_path / "县汇总.db", tmp_path / "青石镇.db"
    make_county(county)
    make_township(town, "青石镇")
    with at(town, "2026-11-03", "10:00") as L:
        escalated_case(L, "屋顶漏水", "2026-11-03")
    bundle = tmp_path / "t.bundle"
    cli = Cli(county)
    r = cli("sync", "export", "--db", str(town), "-o", str(bundle), today="2026-11-03")
    assert r.exit_code == 0, out(r)
    return county, bundle, cli


def _text(value: str) -> Callable[[sqlite3.Connection], None]:
    def change(conn: sqlite3.Connection) -> None:
        rid, data = conn.execute("select id, data from events where action = 'accept' "
                                 "order by id").fetchone()
        d = json.loads(data)
        d["text"] = value
        conn.execute("update events set data = ? where id = ?",
                     [json.dumps(d, ensure_ascii=False), rid])
    return change


def _sql(*statements: str, params: list[Any] | None = None) -> Callable[[sqlite3.Connection], None]:
    def change(conn: sqlite3.Connection) -> None:
        for s in statements:
            conn.execute(s, params or [])
    return change


@pytest.mark.parametrize("change, needle", [
    (_text("屋顶漏水" + ESC), "青石镇:2026-000001"),
    (_text("漏" * 2_000_000), "青石镇:2026-000001"),
    (_text("屋顶\u202e漏水"), "青石镇:2026-000001"),
    (_sql("update events set data = '[1, 2]' where id = (select min(id) from events)"),
     "青石镇:2026-000001"),
    (_sql("update events set data = ? where id = (select min(id) from events)",
          params=['{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"]), "青石镇:2026-000001"),
    (_sql("update events set data = 'not json' where id = (select min(id) from events)"),
     "青石镇:2026-000001"),
    (_sql("update events set on_date = '1899-12-25'"), "1899-12-25"),
    (_sql("update events set reason = ? where reason is not null", params=["需" + ESC]),
     "青石镇:2026-000001"),
    (_sql("update residents set name = '张/三'"), "张/三"),
    (_sql("update residents set note = ?", params=[ESC]), "residents"),
    (_sql("update villages set name = '../../x'"), "../../x"),
    (_sql("update info set value = '../../x' where key = 'from_name'"), "../../x"),
])
def test_a_hostile_bundle_is_refused_whole(town_bundle: tuple[Path, Path, Cli],
                                           change: Callable[[sqlite3.Connection], None],
                                           needle: str) -> None:
    county, bundle, cli = town_bundle
    rechain(bundle, change)
    text = refused(cli, "sync", "import", str(bundle), "--db", str(county), db=county,
                   needle=needle, today="2026-11-04")
    assert "t.bundle" in text


def test_the_untouched_bundle_is_taken_in(town_bundle: tuple[Path, Path, Cli]) -> None:
    county, bundle, cli = town_bundle
    rechain(bundle, lambda conn: None)
    r = cli("sync", "import", str(bundle), "--db", str(county), today="2026-11-04")
    assert r.exit_code == 0, out(r)
    assert cli("check", "--db", str(county)).exit_code == 0


@pytest.mark.parametrize("statement, needle", [
    ("update residents set name = '张/三'", "张/三"),
    ("update residents set address = char(27) || '[2J'", "residents"),
    ("update residents set phone = char(27) || '[2J'", "residents"),
])
def test_a_hostile_ledger_merged_is_refused_naming_its_file(tmp_path: Path, statement: str,
                                                            needle: str) -> None:
    """A township's file changed behind the ledger's back (its journal refuses a rewrite;
    its registers do not): a merge takes it in through the same checks as a bundle, and
    names the file the clerk gave, not the bundle made from it."""
    county, town = tmp_path / "县汇总.db", tmp_path / "青石镇.db"
    make_county(county)
    make_township(town, "青石镇")
    conn = sqlite3.connect(town)
    conn.execute(statement)
    conn.commit()
    conn.close()
    cli = Cli(county)
    text = refused(cli, "merge", str(town), "--db", str(county), db=county, needle=needle)
    assert "青石镇.db" in text and "bundle" not in text
