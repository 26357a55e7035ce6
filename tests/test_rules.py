"""Each rule of the domain has one home, and every path (steps, replay, import) obeys it."""

from __future__ import annotations

import ast
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from ledger import lifecycle
from ledger.deadlines import due_sql, light_sql, overdue_sql
from ledger.errors import Refused
from ledger.io.importer import ImportRefused, import_csv
from ledger.services import Ledger

ACCEPT = ("accept", {"text": "路灯坏了", "village_id": 1, "level": "village"}, "2026-11-10")


@pytest.mark.parametrize("level, unit_levels, refused", [
    ("village", ["village"], False),
    ("village", ["township"], True),
    ("township", ["village", "township"], False),
    ("township", ["township", "county"], True),
    ("county", ["county", "township", "village"], False),
])
def test_replay_enforces_the_unit_level_rule(level, unit_levels, refused) -> None:
    events = [ACCEPT]
    for _ in range(lifecycle.LEVELS.index(level)):
        events.append(("escalate", {"from": "", "to": ""}, "2026-11-11"))
    assign = {"lead_unit_id": 1, "co_unit_ids": list(range(2, len(unit_levels) + 1)),
              "unit_levels": unit_levels}
    events.append(("assign", assign, "2026-11-12"))
    if refused:
        with pytest.raises(Refused) as e:
            lifecycle.replay(events)
        assert e.value.key == "step.assign.above_level"
        assert e.value.params["level"] == level
    else:
        assert lifecycle.replay(events)["lead_unit_id"] == 1


@pytest.mark.parametrize("extensions, key", [
    ([{"days": 10, "max_extensions": 1, "max_days": 30}], None),
    ([{"days": 10, "max_extensions": 1}, {"days": 5, "max_extensions": 1}], "extend.too_many"),
    ([{"days": 31, "max_days": 30}], "extend.too_long"),
    ([{"days": 31}], None),  # no cap recorded: journals from before caps were kept
])
def test_replay_enforces_the_extension_caps_recorded_with_the_step(extensions, key) -> None:
    events = [ACCEPT] + [("extend", {"approver": "李局长", **x}, "2026-11-11") for x in extensions]
    if key:
        with pytest.raises(Refused) as e:
            lifecycle.replay(events)
        assert e.value.key == key
    else:
        assert lifecycle.replay(events)["extensions"] == len(extensions)


def test_a_later_policy_does_not_move_an_extension_already_granted(ledger: Ledger) -> None:
    n = ledger.demands.add("多年信访积案", village="东坪村", category="信访积案",
                           on="2026-09-01")
    before = ledger.demands.show(n)["due_on"]
    ledger.demands.extend(n, reason="需复查", approver="李局长", on="2026-10-15")
    extended = ledger.demands.show(n)["due_on"]
    ledger.clocks.set_policy("category", "信访积案", amount=60, unit="自然日",
                             max_extensions=1, extension_days=10)
    assert (before, extended, ledger.demands.show(n)["due_on"]) == \
        ("2026-11-02", "2026-11-30", "2026-11-30")
    assert ledger.checks.run() == []


def test_an_import_refuses_a_number_that_was_given_out_and_undone(ledger: Ledger) -> None:
    ledger.demands.add("第一件", village="东坪村")
    ledger.demands.add("第二件", village="东坪村")
    ledger.history.undo()
    csv = "编号,受理日期,村/社区,诉求内容\r\n2026-000002,2026-11-16,东坪村,热线转来\r\n"
    with pytest.raises(ImportRefused) as e:
        import_csv(ledger, csv.encode("utf-8-sig"))
    assert [(p.row, p.column, p.key) for p in e.value.params["errors"]] == \
        [(2, "编号", "import.number_void")]


# The light, over a demand row, on 2026-11-17 (a Tuesday; due soon until Wednesday 11-18).
@pytest.mark.parametrize("status, due_on, light", [
    ("resolved", "2026-11-01", "done"), ("closed", None, "done"),
    ("suspended", "2026-11-01", "suspended"), ("open", None, "none"),
    ("open", "2026-11-16", "overdue"), ("open", "2026-11-17", "due_soon"),
    ("open", "2026-11-18", "due_soon"), ("open", "2026-11-19", "on_time"),
])
def test_the_light_is_defined_once_and_agrees_with_overdue_and_due(status, due_on, light) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("create table demands (status text, due_on text)")
    db.execute("insert into demands values (?, ?)", [status, due_on])
    got, overdue, due_today = db.execute(
        f"select {light_sql(':today', ':soon')}, {overdue_sql(':today')}, "
        f"{due_sql(':today', ':today')} from demands d",
        {"today": "2026-11-17", "soon": "2026-11-18"}).fetchone()
    assert (got, bool(overdue), bool(due_today)) == \
        (light, light == "overdue", light == "due_soon" and due_on == "2026-11-17")


def test_migrations_never_import_domain_code() -> None:
    tree = ast.parse((Path(__file__).parent.parent / "ledger" / "store" / "migrations.py")
                     .read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {("." * node.level) + (node.module or "") for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    # (os: m019 makes the ledger's key from os.urandom, the system's random source)
    assert imported <= {"__future__", "uuid", "hashlib", "json", "os", "sqlite_utils",
                        "sqlite_utils.migrations"}


def test_a_ledger_from_before_deadlines_gets_them_when_opened(tmp_path: Path) -> None:
    import shutil

    from ledger.services import open_ledger

    path = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "ledger-m001_initial.db", path)
    old = Ledger(open_ledger(path), today=date(2026, 11, 17))
    assert old.demands.show("2026-000001")["due_on"] == "2026-11-12"
    assert old.checks.run() == []


def test_every_function_the_readme_names_for_a_rule_exists() -> None:
    import re

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Where each rule lives"):]
    table = table[:table.index("\n## ")] if "\n## " in table else table
    source = "\n".join(p.read_text(encoding="utf-8") for p in (root / "ledger").rglob("*.py"))
    named = {n.split(".")[-1] for n in re.findall(r"`([A-Za-z_][\w.]*)`", table)} - {"_x", "x"}
    # Every name the source defines (``def``, ``class``, or assigned at a line's start), read
    # in one pass each, rather than a search of the whole source for each name.
    defined = (set(re.findall(r"(?:^|\s)(?:def|class)\s+(\w+)", source))
               | set(re.findall(r"^\s*(\w+)\s*[:=]", source, re.M)))
    missing = [n for n in sorted(named) if n not in defined]
    assert len(named) > 40 and missing == [], missing
