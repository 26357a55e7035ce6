"""The example township (examples/township.toml) and `ledger demo`."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.cli import app
from ledger.demo import example_path, load_township, read_township
from ledger.services import Ledger
from ledger.services import open_ledger


@pytest.fixture(scope="module")
def township() -> tuple[Ledger, dict]:
    data = read_township()
    ledger = Ledger(open_ledger(":memory:"), today=date.fromisoformat(data["today"]),
                    user=data["user"])
    return ledger, load_township(ledger, data)


def test_the_example_is_the_checkouts_examples_file() -> None:
    assert example_path().parent.name == "examples"


def test_the_example_township_loads_whole(township) -> None:
    ledger, counts = township
    data = read_township()
    assert counts == {
        "villages": len(data["villages"]), "units": len(data["units"]),
        "cadres": len(data["cadres"]), "residents": len(data["residents"]),
        "visits": len(data["visits"]),
        "demands": sum(len(v.get("issues", [])) for v in data["visits"]) + len(data.get("issues", [])),
        "steps": sum(len(i.get("steps", [])) for v in data["visits"] for i in v.get("issues", []))
                 + sum(len(i.get("steps", [])) for i in data.get("issues", [])),
    }
    assert ledger.db["demands"].count == counts["demands"]
    assert ledger.db["visits"].count == counts["visits"]


def test_every_example_demand_agrees_with_its_journal(township) -> None:
    ledger, _ = township
    for row in ledger.demands.list():
        assert ledger.demands.disagreements(row["number"]) == [], row["number"]


def test_the_example_covers_a_real_mix_of_work(township) -> None:
    ledger, _ = township
    rows = ledger.demands.list()
    statuses = Counter(r["status"] for r in rows)
    levels = Counter(r["level"] for r in rows)
    assert set(statuses) >= {"open", "resolved", "closed"}
    assert set(levels) == {"village", "township", "county"}
    assert sum(r["settled_on_spot"] for r in rows) >= 5
    actions = {a for (a,) in ledger.db.execute(
        "select distinct action from journal where subject = 'demand'").fetchall()}
    assert actions >= {"accept", "classify", "settle", "escalate", "assign", "whistle",
                       "report_in", "take_charge", "return", "notify", "extend", "suspend",
                       "resume", "resolve", "follow_up", "close"}
    # Residents who came back more than once.
    repeat = ledger.db.execute(
        "select count(*) from (select resident_id from demands where resident_id is not null"
        " group by resident_id having count(*) > 1)").fetchone()[0]
    assert repeat >= 3


def test_numbers_follow_the_date_received(township) -> None:
    ledger, _ = township
    rows = ledger.db.execute("select number, received_on from demands order by number").fetchall()
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)


def test_demo_builds_in_a_named_file_and_prints_what_a_clerk_looks_at(tmp_path: Path,
                                                                     isolated: Path) -> None:
    target = tmp_path / "演示.db"
    result = CliRunner().invoke(app, ["demo", "--db", str(target)])
    assert result.exit_code == 0, result.output
    assert f"演示台账已建好:{target}" in result.output
    for heading in ("村/社区", "诉求台账", "一人一账", "办理记录"):
        assert heading in result.output
    assert Ledger(open_ledger(target), today=date(2026, 11, 17)).db["demands"].count == \
        township_count()
    assert not isolated.exists(), "the demo must never write into $LEDGER_DB"


def test_demo_will_not_overwrite_a_file_without_force(tmp_path: Path) -> None:
    target = tmp_path / "mine.db"
    target.write_bytes(b"precious")
    result = CliRunner().invoke(app, ["demo", "--db", str(target)])
    assert result.exit_code == 1
    assert target.read_bytes() == b"precious"
    result = CliRunner().invoke(app, ["demo", "--db", str(target), "--force"])
    assert result.exit_code == 0, result.output


def township_count() -> int:
    data = read_township()
    return sum(len(v.get("issues", [])) for v in data["visits"]) + len(data.get("issues", []))
