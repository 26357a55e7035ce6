"""Masking everywhere by default (issue 24): every command that shows or writes personal
data (phones, ID numbers, and the residents' names where a command masks them) is in the
table below, checked without ``--unmask`` (nothing in full, nothing journaled) and, where
the command takes it, with ``--unmask`` (in full, and one journal row says so).

The table is complete by construction: the test walks the commands registered on the app
and fails for one that is neither in ``SHOWN`` nor in ``NO_PERSONAL_DATA`` (with the reason
it shows none) nor in ``ELSEWHERE`` (whose own tests check it). A new command cannot forget.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest

from ledger.cli import app
from ledger.services import Ledger, open_ledger

from .conftest import ID_1, ID_2, Cli
from .test_reports import build_town

ORG_PHONE = "13987654321"
# Everything of the small township that is never shown in full unless unmasked.
PERSONAL = ("13812345678", "13900001111", "13900002222", ORG_PHONE, ID_1, ID_2)


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]  # after ``ledger``; "{out}" is a file in the test's folder
    unmask: bool = False  # takes --unmask
    full: tuple[str, ...] = ()  # what --unmask shows in full
    names: tuple[str, ...] = ()  # residents' names the command masks unless --unmask
    never: tuple[str, ...] = ()  # masked even with --unmask (export --mask-names)
    journaled: int = 1  # journal rows an unmasked run records

    @property
    def id(self) -> str:
        return " ".join(self.argv).replace("{out}", "FILE")


def c(*argv: str, **kw: Any) -> Case:
    return Case(argv, **kw)


# Demands of build_town: 000001 F (no resident), 000002 A 张秀兰, 000003 B 王芳/西岭村
# (assigned to 县住建局), 000004 C 张秀兰, 000005 D, 000006 E 王芳/西岭村; 000007 the
# organisation's.
SHOWN: dict[str, list[Case]] = {
    "resident show": [c("resident", "show", "张秀兰", unmask=True, full=("13812345678", ID_1)),
                      c("resident", "show", "王芳/西岭村", unmask=True,
                        full=("13900002222", ID_2))],
    "resident find": [c("resident", "find", "王", unmask=True, full=("13900001111", "13900002222")),
                      c("resident", "find", "王", "--format", "json", unmask=True,
                        full=("13900001111",)),
                      c("resident", "find", "张", "--format", "csv", unmask=True,
                        full=("13812345678",))],
    "org show": [c("org", "show", "张记小卖部", unmask=True, full=(ORG_PHONE,))],
    "org list": [c("org", "list"), c("org", "list", "--format", "json"),
                 c("org", "list", "--format", "csv")],
    "issue show": [c("issue", "show", "2026-000002"), c("issue", "show", "2026-000007")],
    "issue list": [c("issue", "list"), c("issue", "list", "--format", "json"),
                   c("issue", "list", "--format", "csv")],
    "visit list": [c("visit", "list")],
    "export": [c("export", "residents", "-o", "{out}.csv", unmask=True,
                 full=("13812345678", ID_1, ORG_PHONE)),
               c("export", "-o", "{out}.csv", unmask=True, full=("13812345678",)),
               c("export", "visits", "-o", "{out}.csv", unmask=True),
               c("export", "residents", "--format", "xlsx", "-o", "{out}.xlsx", unmask=True,
                 full=("13900002222", ID_2)),
               c("export", "residents", "-o", "{out}.csv", "--mask-names", unmask=True,
                 never=("张秀兰", "王芳"), full=(ID_1,))],
    "summary": [c("summary", "--week", "2026-11-12", unmask=True, names=("张秀兰",)),
                c("summary", "--week", "2026-11-12", "--format", "json", unmask=True,
                  names=("张秀兰",)),
                c("summary", "--week", "2026-11-12", "--format", "csv", unmask=True),
                c("summary", "--week", "2026-11-12", "--format", "xlsx", "-o", "{out}.xlsx",
                  unmask=True, names=("张秀兰",)),
                c("summary", "--week", "2026-11-12", "-o", "{out}.txt", unmask=True,
                  names=("张秀兰",))],
    "report": [c("report"), c("report", "--by", "village", "--format", "json"),
               c("report", "--format", "xlsx", "-o", "{out}.xlsx")],
    "trend": [c("trend", "--format", "json")],
    "due": [c("due", "--within", "10"), c("due", "--within", "10", "--format", "json")],
    "overdue": [c("overdue"), c("overdue", "--format", "csv")],
    "meeting agenda": [c("meeting", "agenda"), c("meeting", "agenda", "--format", "json")],
    "meeting list": [c("meeting", "list")],
    "supervise": [c("supervise"), c("supervise", "--format", "json")],
    "urge": [c("urge"), c("urge", "--format", "json")],
    "coverage": [c("coverage", unmask=True, names=("张秀兰",)),
                 c("coverage", "--format", "json", unmask=True, names=("张秀兰",)),
                 c("coverage", "--format", "csv", "-o", "{out}.csv", unmask=True,
                   names=("张秀兰",))],
    "pair list": [c("pair", "list"), c("pair", "list", "--format", "json")],
    "cadre list": [c("cadre", "list")],
    "sync status": [c("sync", "status")],
    "sync conflicts": [c("sync", "conflicts", "--all")],
    "doc assign": [c("doc", "assign", "2026-000003", "-o", "{out}.docx", unmask=True,
                     full=("13900002222",))],
    "doc urge": [c("doc", "urge", "2026-000003", "-o", "{out}.docx", unmask=True)],
    # A printed document is journaled on each demand it lists (three resolved that week).
    "doc follow-up": [c("doc", "follow-up", "--week", "2026-11-12", "-o", "{out}.docx",
                        unmask=True, full=("13812345678",), journaled=3)],
    "doc resident": [c("doc", "resident", "张秀兰", "-o", "{out}.docx", unmask=True,
                       full=("13812345678", ID_1))],
}

# Commands that show no personal data: what they print is the clerk's own input echoed
# (a name, a number), counts, registers of places, units and vocabularies, or settings.
RECORDS = "records what was typed; echoes a number or the name typed, never a phone or ID number"
REGISTER = "a register of places, units, vocabularies or settings: no residents"
NO_PERSONAL_DATA: dict[str, str] = {
    **{name: RECORDS for name in (
        "township add", "village add", "village key", "village grid", "unit add", "cadre add",
        "category add", "channel add", "type add", "method add", "role add", "org-kind add",
        "resident add", "resident merge", "resident tag", "visit log", "org add",
        "pair add", "pair remove", "meeting add", "meeting decide",
        "calendar add", "policy set", "policy remove", "setting set", "sync name",
        "doc template install", "doc template reset")},
    **{f"issue {step}": RECORDS for step in (
        "add", "classify", "correct", "settle", "escalate", "assign", "whistle", "report-in",
        "take-charge", "supervise", "return", "receive", "urge", "notify", "extend", "suspend",
        "resume", "resolve", "follow-up", "close", "reopen")},
    **{name: REGISTER for name in (
        "township list", "village list", "unit list", "category list", "channel list",
        "type list", "method list", "role list", "org-kind list", "calendar show",
        "calendar list", "policy list", "setting list", "doc template list",
        "doc template export")},
    "meeting show": "a meeting's decisions: demand numbers, units and texts",
    "check": "the file's integrity and the chain head; problems name rows and numbers",
    "undo": "names the step undone and its number",
    "import": "reads; its --errors file gives the clerk's own rows back (0600, as a backup)",
    "merge": "reads another ledger into this one; prints counts",
    "backup": "the ledger itself, whole, readable by its owner only (a copy, not a view)",
    "restore": "writes the ledger from a backup; prints file names",
    "sync export": "the ledger's events for another ledger, whole by design (private file)",
    "sync import": "reads a bundle; prints counts and conflicts by number",
    "sync trust": "pins a ledger's key; prints its name and fingerprint",
    "sync new-key": "makes this ledger a new key; prints its fingerprint",
}

# Checked by tests of their own.
ELSEWHERE: dict[str, str] = {
    "demo": "test_masking.py::test_demo_shows_its_people_masked",
}


def registered(group: Any = app, prefix: str = "") -> Iterator[str]:
    for info in group.registered_commands:
        yield prefix + (info.name or info.callback.__name__)
    for sub in group.registered_groups:
        yield from registered(sub.typer_instance, f"{prefix}{sub.name} ")


def test_every_command_is_in_the_table_or_said_to_show_no_personal_data() -> None:
    commands = set(registered())
    listed = [set(SHOWN), set(NO_PERSONAL_DATA), set(ELSEWHERE)]
    assert not (listed[0] & listed[1] or listed[0] & listed[2] or listed[1] & listed[2])
    missing = sorted(commands - set().union(*listed))
    assert not missing, f"commands neither in SHOWN nor in NO_PERSONAL_DATA: {missing}"
    gone = sorted(set().union(*listed) - commands)
    assert not gone, f"no such commands: {gone}"


@pytest.fixture
def town(db_path: Path) -> Cli:
    L = build_town(Ledger(open_ledger(db_path), today=date(2026, 11, 17), user="刘洁"))
    oid = L.organisations.add("张记小卖部", "东坪村", "个体工商户", phone=ORG_PHONE,
                              address="东坪村一组3号")
    L.demands.add("门口路灯坏了", village="东坪村", resident=f"#{oid}", on="2026-11-16")
    L.db.conn.close()
    return Cli(db_path)


def unmasked_rows(path: Path) -> int:
    """Journal rows that record personal data shown or written in full: a view or an
    export unmasked (action ``unmask``), a document printed unmasked."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "select count(*) from journal where action = 'unmask' or "
            "(action = 'print' and json_extract(data, '$.unmasked'))").fetchone()[0]
    finally:
        conn.close()


def text_of(path: Path) -> str:
    """A written file as text: a workbook's or a document's XML without its tags (a value
    may be split across runs), anything else decoded."""
    raw = path.read_bytes()
    if raw[:2] == b"PK":
        with zipfile.ZipFile(path) as z:
            return "".join(re.sub(r"<[^>]+>", "", z.read(n).decode("utf-8"))
                           for n in z.namelist() if n.endswith(".xml"))
    return raw.decode("utf-8-sig")


def run(town: Cli, case: Case, out: Path, *extra: str) -> str:
    argv = [a.replace("{out}", str(out)) for a in case.argv]
    r = town(*argv, *extra)
    assert r.exit_code == 0, (case.id, r.output)
    text = r.output
    for a in argv:
        if a.startswith(str(out)):
            text += "\n" + text_of(Path(a))
    return text


CASES = [pytest.param(case, id=case.id) for cases in SHOWN.values() for case in cases]


@pytest.mark.parametrize("case", CASES)
def test_masked_unless_asked(town: Cli, tmp_path: Path, case: Case) -> None:
    before = unmasked_rows(town.path)
    text = run(town, case, tmp_path / "masked")
    shown = [p for p in PERSONAL + case.names + case.never if p in text]
    assert not shown, f"{case.id} shows {shown} in full"
    assert unmasked_rows(town.path) == before
    if not case.unmask:
        assert town("check").exit_code == 0
        return
    text = run(town, case, tmp_path / "unmasked", "--unmask")
    hidden = [p for p in case.full + case.names if p not in text]
    assert not hidden, f"{case.id} --unmask does not show {hidden}"
    shown = [p for p in case.never if p in text]
    assert not shown, f"{case.id} --unmask shows {shown}"
    assert unmasked_rows(town.path) == before + case.journaled
    assert town("check").exit_code == 0


def test_every_command_taking_unmask_is_checked_with_it() -> None:
    """A command that takes --unmask has its cases in the table marked so."""
    def takes_unmask(info: Any) -> bool:
        import inspect

        return any("--unmask" in str(p.default) or name == "unmask"
                   for name, p in inspect.signature(info.callback).parameters.items())

    def infos(group: Any = app, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for info in group.registered_commands:
            yield prefix + (info.name or info.callback.__name__), info
        for sub in group.registered_groups:
            yield from infos(sub.typer_instance, f"{prefix}{sub.name} ")

    for name, info in infos():
        if takes_unmask(info):
            assert name in SHOWN and any(case.unmask for case in SHOWN[name]), name


def test_org_show_masks_the_phone_and_unmask_is_journaled(town: Cli) -> None:
    r = town("org", "show", "张记小卖部")
    assert r.exit_code == 0
    assert "139****4321" in r.output and ORG_PHONE not in r.output
    assert "东坪村一组3号" in r.output  # an address is shown, as on a resident's page
    r = town("org", "show", "张记小卖部", "--unmask")
    assert r.exit_code == 0 and ORG_PHONE in r.output
    conn = sqlite3.connect(town.path)
    try:
        row = conn.execute("select subject, action, data from journal "
                           "where action = 'unmask' order by id desc limit 1").fetchone()
    finally:
        conn.close()
    assert row[:2] == ("view", "unmask")
    assert json.loads(row[2])["view"] == "org show"


def test_demo_shows_its_people_masked(tmp_path: Path) -> None:
    township = tomllib.loads(
        (Path(__file__).resolve().parent.parent / "examples" / "township.toml").read_text("utf-8"))
    personal = [p[k] for p in township["residents"] for k in ("phone", "id_number") if p.get(k)]
    assert personal
    r = Cli(tmp_path / "x.db")("demo", "--db", str(tmp_path / "demo.db"))
    assert r.exit_code == 0, r.output
    assert not [p for p in personal if p in r.output]
