"""Nothing lost: concurrent writers, a killed import, backups, check, undo, old schemas."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ledger.errors import BadInput, LedgerError, Refused
from ledger.services import Ledger
from ledger.io.backup import backup, restore
from ledger.services import open_ledger
from ledger.store.migrations import migrations

from .conftest import Cli, new_township, setup_township

TODAY = date(2026, 11, 17)
FIXTURES = Path(__file__).parent / "fixtures"


def make(path: Path, user: str = "刘洁") -> Ledger:
    L = setup_township(Ledger(open_ledger(path), today=TODAY, user=user))
    return L


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- several clerks at once ----------------------------------------------------------------

WRITER = """
import sys
from datetime import date
from ledger.services import Ledger
from ledger.services import open_ledger
path, who = sys.argv[1], sys.argv[2]
for i in range(250):
    # A new connection per write, as separate commands would be.
    ledger = Ledger(open_ledger(path), today=date(2026, 11, 17), user=who)
    ledger.demands.add(f"{who} 第{i}件", village="东坪村")
    ledger.db.conn.close()
"""


def test_four_processes_writing_at_once_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    make(path).db.conn.close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"文书{k}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for k in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    L = Ledger(open_ledger(path), today=TODAY)
    numbers = [r[0] for r in L.db.execute("select number from demands")]
    assert len(numbers) == 1000 and len(set(numbers)) == 1000
    assert sorted(numbers) == [f"2026-{i:06d}" for i in range(1, 1001)]
    assert L.db.execute("select journal_mode from pragma_journal_mode").fetchone()[0] == "wal"
    assert L.checks.run() == []


# --- a killed import -----------------------------------------------------------------------

IMPORTER = """
import sys
from datetime import date
from pathlib import Path
from ledger.io.importer import import_csv
from ledger.services import Ledger
from ledger.services import open_ledger
ledger = Ledger(open_ledger(sys.argv[1]), today=date(2026, 11, 17), user="导入")
print("started", flush=True)
import_csv(ledger, Path(sys.argv[2]).read_bytes(), create_missing=True)
print("done", flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_an_import_killed_halfway_leaves_none_or_all_of_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    make(path).db.conn.close()
    rows = ["受理日期,村/社区,诉求内容"] + [f"2026-11-{1 + i % 16:02d},东坪村,第{i}件诉求"
                                          for i in range(50_000)]
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(path), str(csv_file)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"started"
    time.sleep(1.5)  # well into validating or writing 50,000 rows
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    L = Ledger(open_ledger(path), today=TODAY)
    assert L.db["demands"].count in (0, 50_000)
    assert L.checks.run() == []


# An import that kills itself the moment its COMMIT begins to run (SQLite's statement trace
# fires as the statement starts): a large load, with its indexes set aside and rebuilt.
IMPORTER_KILLED_IN_COMMIT = """
import os, signal, sys
from datetime import date
from pathlib import Path
from ledger.io.importer import import_csv
from ledger.services import Ledger
from ledger.services import open_ledger
ledger = Ledger(open_ledger(sys.argv[1]), today=date(2026, 11, 17), user="导入")
def trace(sql):
    if sql.strip().upper() == "COMMIT":
        print("committing", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
ledger.db.conn.set_trace_callback(trace)
import_csv(ledger, Path(sys.argv[2]).read_bytes(), create_missing=True)
print("done", flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_an_import_killed_as_its_commit_begins_leaves_none_or_all(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    make(path).db.conn.close()
    schema = sqlite3.connect(path).execute(
        "select type, name, sql from sqlite_master order by name").fetchall()
    rows = ["受理日期,村/社区,诉求内容"] + [f"2026-11-{1 + i % 16:02d},东坪村,第{i}件诉求"
                                          for i in range(6_000)]  # large: the bulk path
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    child = subprocess.run([sys.executable, "-c", IMPORTER_KILLED_IN_COMMIT, str(path),
                            str(csv_file)], capture_output=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.strip() == b"committing"
    L = Ledger(open_ledger(path), today=TODAY)
    assert L.db["demands"].count in (0, 6_000)
    assert L.checks.run() == []
    assert L.db.execute("select type, name, sql from sqlite_master order by name").fetchall() \
        == schema  # the indexes and the trigger set aside during the load are all there


# --- backups while others write ------------------------------------------------------------

def test_a_backup_taken_during_writes_passes_the_check(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    make(path).db.conn.close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "文书"],
                              stderr=subprocess.PIPE)
    copies = []
    try:
        for k in range(5):
            time.sleep(0.3)
            dest = tmp_path / f"backup-{k}.db"
            backup(Ledger(open_ledger(path), today=TODAY), dest)
            copies.append(dest)
    finally:
        assert writer.wait(timeout=300) == 0, writer.stderr.read()
    for dest in copies:
        copy = Ledger(open_ledger(dest), today=TODAY)
        assert copy.checks.run() == [], dest
    assert copies[-1].stat().st_mode & 0o777 == 0o600 or os.name != "posix"


def test_restore_checks_the_copy_and_keeps_the_replaced_ledger(tmp_path: Path) -> None:
    path, dest = tmp_path / "ledger.db", tmp_path / "b.db"
    L = make(path)
    L.demands.add("路灯坏了", village="东坪村")
    backup(L, dest)
    L.demands.add("漏水", village="东坪村")
    L.db.conn.close()
    with pytest.raises(Refused):
        restore(path, dest, today=TODAY)
    kept = restore(path, dest, today=TODAY, force=True)
    assert Ledger(open_ledger(path), today=TODAY).db["demands"].count == 1
    assert Ledger(open_ledger(kept), today=TODAY).db["demands"].count == 2
    broken = tmp_path / "broken.db"
    shutil.copyfile(dest, broken)
    conn = sqlite3.connect(broken)
    conn.execute("update demands set status = 'closed'")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(Refused) as e:
        restore(path, broken, today=TODAY, force=True)
    assert e.value.key == "restore.bad_copy"
    assert digest(path) == before


def test_check_reports_what_is_wrong(tmp_path: Path) -> None:
    L = make(tmp_path / "l.db")
    n = L.demands.add("路灯坏了", village="东坪村")
    assert L.checks.run() == []
    L.db.execute("update demands set level = 'county', due_on = null where number = ?", [n])
    keys = sorted(f.key for f in L.checks.run())
    assert keys == ["check.no_deadline", "journal.disagrees"]


def test_check_through_the_cli(cli: Cli) -> None:
    r = cli("check")
    assert r.exit_code == 0 and "检查通过" in r.output
    conn = sqlite3.connect(cli.path)
    conn.execute("insert into demands (number, text, village_id, received_on, status, level) "
                 "values ('2026-999999', 'x', 1, '2026-11-17', 'open', 'village')")
    conn.commit()
    conn.close()
    r = cli("check")
    assert r.exit_code == 1 and "2026-999999" in r.output


def test_ledger_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    open_ledger(path).conn.close()
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- undo ----------------------------------------------------------------------------------

def test_undo_reverses_the_users_last_command_and_keeps_both_in_the_journal(tmp_path) -> None:
    L = make(tmp_path / "l.db")
    n = L.demands.add("路灯坏了", village="东坪村")
    L.demands.escalate(n, reason="修不了")
    journal = L.db["journal"].count
    result = L.history.undo()
    assert [s[1] for s in result["steps"]] == ["escalate"]
    d = L.demands.show(n)
    assert (d["level"], d["escalations"]) == ("village", 0)
    assert [(e["action"], e["undone"]) for e in d["events"]] == [("accept", False),
                                                                 ("escalate", True)]
    assert L.db["journal"].count == journal + 1 and L.demands.disagreements(n) == []
    L.history.undo()  # the acceptance itself
    assert L.db["demands"].count == 0
    assert L.demands.add("漏水", village="东坪村") == "2026-000002"  # 000001 stays void
    assert L.checks.run() == []


def test_undo_refuses_when_someone_else_changed_the_ledger_after(tmp_path) -> None:
    path = tmp_path / "l.db"
    L = make(path, user="刘洁")
    n = L.demands.add("路灯坏了", village="东坪村")
    other = Ledger(L.db, today=TODAY, user="王明")
    other.demands.escalate(n, reason="村里修不了")
    with pytest.raises(Refused) as e:
        L.history.undo()
    assert e.value.params["actor"] == "王明"
    assert L.demands.show(n)["level"] == "township"


def test_undo_of_a_visit_removes_it_and_its_demands(tmp_path) -> None:
    L = make(tmp_path / "l.db")
    L.visits.log(village="东坪村", resident="张秀兰", cadres=["王建国"], issues=["a", "b"])
    L.history.undo()
    assert (L.db["visits"].count, L.db["visit_cadres"].count, L.db["demands"].count) == (0, 0, 0)


def test_undo_will_not_reverse_a_calendar_or_a_resident_in_use(tmp_path) -> None:
    L = make(tmp_path / "l.db")
    L.clocks.set_policy("complexity", "general", amount=2)
    with pytest.raises(Refused) as e:
        L.history.undo()
    assert e.value.key == "undo.cannot"
    L2 = make(tmp_path / "m.db")
    L2.residents.add("赵六", "东坪村")
    L2.demands.add("x", village="东坪村", resident="赵六")
    L2.history.undo()  # the demand
    L2.history.undo()  # then the resident, now unused
    with pytest.raises(LedgerError):
        L2.residents.get("赵六")


# --- old schemas ---------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("ledger-*.db")), ids=lambda p: p.stem)
def test_every_past_schema_migrates_and_passes_the_check(tmp_path, fixture: Path) -> None:
    path = tmp_path / fixture.name
    shutil.copyfile(fixture, path)
    L = Ledger(open_ledger(path), today=TODAY)
    assert [m.name for m in migrations.applied(L.db)] == [m.name for m in migrations._migrations]
    assert L.checks.run() == []
    d = L.demands.show("2026-000001")
    assert (d["text"], d["level"], d["due_on"]) == ("路灯坏了", "township", "2026-11-12")


def undo_migration(L: Ledger, path: Path, name: str, *statements: str) -> Ledger:
    """The file as it was before migration ``name``, opened again (so migrated again)."""
    for sql in statements:
        L.db.execute(sql)
    L.db.execute("delete from _sqlite_migrations where name = ?", [name])
    L.db.conn.commit()
    L.db.conn.close()
    return Ledger(open_ledger(path), today=TODAY)


def test_m007_fills_the_last_escalation_and_assignment_as_the_replay_does(tmp_path) -> None:
    from ledger.io.importer import import_csv

    path = tmp_path / "l.db"
    L = make(path)
    twice = L.demands.add("路灯坏了", village="东坪村", on="2026-11-02")
    L.demands.escalate(twice, reason="修不了", on="2026-11-03")
    L.demands.assign(twice, unit="镇司法所", on="2026-11-04")
    L.demands.escalate(twice, reason="镇里也修不了", on="2026-11-05")
    L.demands.assign(twice, unit="县住建局", on="2026-11-06")  # undone below
    L.history.undo()
    plain = L.demands.add("漏水", village="东坪村", on="2026-11-09")
    data = ("编号,受理日期,村/社区,诉求内容,层级,上报日期,交办日期,牵头单位\r\n"
            "2026-000101,2026-11-02,东坪村,桥坏了,镇级,2026-11-03,2026-11-04,镇司法所\r\n")
    import_csv(L, data.encode("utf-8"))
    later = "2026-000101"
    L.demands.escalate(later, reason="需县里", on="2026-11-10")
    def milestones(L: Ledger, n: str) -> tuple[str | None, str | None]:
        return L.db.execute("select escalated_on, assigned_on from demands where number = ?",
                            [n]).fetchone()

    expected = {n: milestones(L, n) for n in (twice, plain, later)}
    assert expected == {twice: ("2026-11-05", "2026-11-04"), plain: (None, None),
                        later: ("2026-11-10", "2026-11-04")}
    # The same file as m006 left it, opened again: the migration must find the same dates.
    L = undo_migration(L, path, "m007_milestones",
                       # m011's report indexes carry assigned_on: gone with it
                       "drop index idx_demands_unit_report", "drop index idx_demands_village_report",
                       "alter table demands drop column escalated_on",
                       "alter table demands drop column assigned_on")
    assert {n: milestones(L, n) for n in expected} == expected
    assert L.checks.run() == []


def test_m009_finds_the_milestones_of_imports_made_before_it(tmp_path) -> None:
    from ledger.io.importer import import_csv

    path = tmp_path / "l.db"
    L = make(path)
    data = ("编号,受理日期,村/社区,诉求内容,状态,层级,上报日期,交办日期,牵头单位,办结日期,办理结果,"
            "当场解决,回访日期,满意度,销号日期\r\n"
            "2026-000101,2026-11-02,东坪村,桥坏了,已销号,镇级,2026-11-03,2026-11-04,镇司法所,"
            "2026-11-09,修好,否,2026-11-10,满意,2026-11-11\r\n"
            "2026-000102,2026-11-02,东坪村,吵架,已办结,村级,,,,2026-11-02,调解,是,,,\r\n")
    import_csv(L, data.encode("utf-8"))
    steps = "select demand_id, action, \"to\", on_date from import_steps order by rowid"
    made = L.db.execute(steps).fetchall()
    assert [tuple(r[1:]) for r in made] == [
        ("escalate", "township", "2026-11-03"), ("assign", None, "2026-11-04"),
        ("resolve", None, "2026-11-09"), ("close", None, "2026-11-11"),
        ("settle", None, "2026-11-02")]
    L = undo_migration(L, path, "m009_import_steps", "drop trigger import_steps_of_import",
                       "drop table import_steps")
    assert sorted(L.db.execute(steps).fetchall()) == sorted(made)


def test_there_is_a_fixture_for_every_past_schema() -> None:
    names = [m.name for m in migrations._migrations]
    have = {p.stem.removeprefix("ledger-") for p in FIXTURES.glob("ledger-*.db")}
    assert have == set(names[:-1]), "make one with tests/fixtures/make_fixtures.py"


# --- the state machine, driven at random ---------------------------------------------------

class DemandLife(RuleBasedStateMachine):
    """Random clerks' steps on one demand: after each, the state equals the journal, and a
    refused step changed nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.L = new_township(TODAY, "刘洁")
        self.n = self.L.demands.add("屋顶漏水", village="东坪村")
        self.meeting = self.L.meetings.add(on=TODAY, attendees=["马国强"])

    def snapshot(self) -> tuple:
        exists = self.L.db["demands"].count > 0
        return (self.L.db["journal"].count, self.L.demands.show(self.n) if exists else None)

    def take(self, step) -> None:
        before = self.snapshot()
        try:
            step()
        except LedgerError:  # refused, or (after undoing the acceptance) no such demand
            assert self.snapshot() == before

    @rule()
    def escalate(self) -> None:
        self.take(lambda: self.L.demands.escalate(self.n, reason="本级解决不了"))

    @rule()
    def assign(self) -> None:
        self.take(lambda: self.L.demands.assign(self.n, unit="镇司法所", co_units=["镇综治中心"]))

    @rule()
    def settle(self) -> None:
        self.take(lambda: self.L.demands.settle(self.n, result="当场解决"))

    @rule()
    def suspend(self) -> None:
        self.take(lambda: self.L.demands.suspend(self.n, reason="等材料"))

    @rule()
    def resume(self) -> None:
        self.take(lambda: self.L.demands.resume(self.n))

    @rule()
    def resolve(self) -> None:
        self.take(lambda: self.L.demands.resolve(self.n, result="已解决"))

    @rule()
    def satisfied(self) -> None:
        self.take(lambda: self.L.demands.follow_up(self.n, satisfaction="满意"))

    @rule()
    def dissatisfied_reopen(self) -> None:
        self.take(lambda: self.L.demands.follow_up(self.n, satisfaction="不满意", reopen=True))

    @rule()
    def close(self) -> None:
        self.take(lambda: self.L.demands.close(self.n))

    @rule()
    def reopen(self) -> None:
        self.take(lambda: self.L.demands.reopen(self.n, reason="又坏了"))

    @rule()
    def whistle(self) -> None:
        self.take(lambda: self.L.demands.whistle(self.n, units=["镇司法所", "县住建局"]))

    @rule()
    def return_(self) -> None:
        self.take(lambda: self.L.demands.return_(self.n, unit="镇司法所", reason="不属本单位"))

    @rule()
    def receive(self) -> None:
        self.take(lambda: self.L.demands.receive(self.n))

    @rule()
    def receive_co(self) -> None:
        self.take(lambda: self.L.demands.receive(self.n, unit="镇综治中心"))

    @rule()
    def urge(self) -> None:
        self.take(lambda: self.L.demands.urge(self.n, copy="分管副镇长"))

    @rule()
    def supervise(self) -> None:
        self.take(lambda: self.L.demands.supervise(self.n, leader="李副镇长"))

    @rule()
    def assign_with_locality(self) -> None:
        self.take(lambda: self.L.demands.assign(self.n, unit="镇司法所", locality="西岭村"))

    @rule()
    def follow_up_both_ways(self) -> None:
        self.take(lambda: self.L.demands.follow_up(self.n, satisfaction="满意", by="河口社区",
                                                   method="电话"))

    @rule()
    def follow_up_unknown_unit(self) -> None:
        self.take(lambda: self.L.demands.follow_up(self.n, satisfaction="满意", by="无此单位"))

    @rule()
    def two_follow_ups_required(self) -> None:
        self.take(lambda: self.L.reports.set_setting("followup.required", "2"))

    @rule()
    def decide(self) -> None:
        self.take(lambda: self.L.meetings.decide(self.meeting, self.n, decision="镇里协调"))

    @rule()
    def decide_and_assign(self) -> None:
        self.take(lambda: self.L.meetings.decide(self.meeting, self.n, decision="交县住建局",
                                                 unit="镇综治中心", deadline=TODAY))

    @rule()
    def decide_at_no_meeting(self) -> None:
        self.take(lambda: self.L.meetings.decide(99, self.n, decision="无此会议"))

    @rule()
    def undo(self) -> None:
        self.take(self.L.history.undo)

    @invariant()
    def state_equals_journal(self) -> None:
        if self.L.db["demands"].count:
            assert self.L.demands.disagreements(self.n) == []
        assert self.L.checks.run() == []


DemandLife.TestCase.settings = settings(max_examples=40, stateful_step_count=20, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
test_demand_life = DemandLife.TestCase


# --- bad files never hurt ------------------------------------------------------------------

def _sqlite_file(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()


def _newer(path: Path) -> None:
    db = open_ledger(path)
    db["_sqlite_migrations"].insert({"migration_set": "ledger", "name": "m999_future",
                                     "applied_at": "2030"})
    db.conn.close()


FILE_CASES = {
    "text-file": (lambda p: p.write_text("这不是台账" * 100, encoding="utf-8"), 1, "不是台账文件"),
    "other-sqlite": (lambda p: _sqlite_file(p, "create table sales (id integer);"), 1, "不是台账文件"),
    "newer-ledger": (lambda p: _newer(p), 1, "更新版本"),
    "empty-file": (lambda p: p.write_bytes(b""), 0, ""),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_a_file_that_is_not_this_ledger_is_left_byte_for_byte(tmp_path: Path, case: str) -> None:
    path = tmp_path / "x.db"
    prepare, code, needle = FILE_CASES[case]
    prepare(path)
    if code == 0:  # an empty file is a new ledger: first use creates the schema
        assert Cli(path)("village", "list", "--db", str(path)).exit_code == 0
        return
    before = digest(path)
    for args in (["issue", "list"], ["issue", "add", "路灯", "--village", "东坪村"], ["check"]):
        r = Cli(path)(*args, "--db", str(path))
        assert r.exit_code == code and needle in r.output, (case, args, r.output)
        assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    assert digest(path) == before


def test_missing_folders_and_folders_that_are_files(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    for path in (tmp_path / "no-such-folder" / "l.db", blocker / "l.db"):
        r = Cli(path)("village", "list", "--db", str(path))
        assert r.exit_code == 1 and "不存在" in r.output and "Traceback" not in r.output
        assert not path.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_a_read_only_ledger_refuses_writes_cleanly(cli: Cli) -> None:
    cli.path.chmod(0o400)
    try:
        r = cli("issue", "add", "路灯", "--village", "东坪村")
        assert r.exit_code == 1 and "Traceback" not in r.output
    finally:
        cli.path.chmod(0o600)


def test_enormous_text_is_refused_and_nothing_written(cli: Cli) -> None:
    before = cli.digest()
    r = cli("issue", "add", "路" * 100_000, "--village", "东坪村")
    assert r.exit_code == 2 and "100000" in r.output and cli.digest() == before
