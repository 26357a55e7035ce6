"""Fixtures: every test runs against temporary ledgers only, never a real file."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ledger.cli import _app_for
from ledger.services import Ledger
from ledger.services import open_ledger
from ledger.store import LedgerDatabase

os.environ.setdefault("LEDGER_STRICT_I18N", "1")  # a message key without a message fails the test


def _temporary_folders_in_memory() -> None:
    """The tests' temporary folders (tmp_path) on a RAM file system where the machine has one
    (Linux's /dev/shm), unless TMPDIR or PYTEST_DEBUG_TEMPROOT already says where.

    Every command commits, and a commit on disk waits for fsync (2-4 ms here, far more when
    the disk is busy): thousands of them were a large part of the suite's wall time while
    costing no CPU. Nothing a test asserts depends on the disk (a killed process's writes
    survive in the page cache either way). pytest keeps its usual numbered folders there and
    removes all but the last three runs' as it does in /tmp.
    """
    if os.name != "posix" or os.environ.get("PYTEST_DEBUG_TEMPROOT") or os.environ.get("TMPDIR"):
        return
    shm = "/dev/shm"
    try:
        free = os.statvfs(shm)
    except OSError:
        return
    if os.access(shm, os.W_OK | os.X_OK) and free.f_bavail * free.f_frsize >= 2 << 30:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = shm


_temporary_folders_in_memory()

TODAY = date(2026, 11, 17)  # a Tuesday (民情走访日)

# A valid 18-character ID number (checksum X) and a second valid one.
ID_1 = "11010519491231002X"
ID_2 = "110101199003071014"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at a temporary folder; no test touches the user's real ledger."""
    db = tmp_path / "ledger.db"
    monkeypatch.setenv("LEDGER_DB", str(db))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in ("LEDGER_LANG", "LEDGER_TODAY", "LEDGER_USER", "LEDGER_ENCODING"):
        monkeypatch.delenv(var, raising=False)
    return db


def setup_township(ledger: Ledger) -> Ledger:
    """A small township: villages at one township, units at every level, people."""
    ledger.registers.add_township("青石镇")
    for v in ("东坪村", "西岭村", "河口社区"):
        ledger.registers.add_village(v)
    ledger.registers.add_grid("一组", "东坪村")
    ledger.registers.add_unit("东坪村委会", "village")
    ledger.registers.add_unit("镇司法所", "township")
    ledger.registers.add_unit("镇综治中心", "township")
    ledger.registers.add_unit("县住建局", "county")
    ledger.registers.add_unit("县自然资源局", "county")
    ledger.registers.add_cadre("王建国", unit="镇综治中心")
    ledger.registers.add_cadre("李梅", unit="镇司法所")
    ledger.residents.add("张秀兰", "东坪村", phone="13812345678", id_number=ID_1,
                        tags=["独居老人"], grid="一组")
    ledger.residents.add("王芳", "东坪村", phone="13900001111")
    ledger.residents.add("王芳", "西岭村", phone="13900002222", id_number=ID_2)
    return ledger


_entered: dict[tuple[date, str], sqlite3.Connection] = {}


def new_township(today: date = TODAY, user: str = "刘洁") -> Ledger:
    """A new in-memory ledger holding the small township: what
    ``setup_township(Ledger(open_ledger(":memory:"), today=today, user=user))`` makes, copied
    from one entered once per test process for each ``today`` and ``user`` (the registers'
    journal rows carry both). For tests that need many fresh ledgers (property tests make one
    per example) without paying for the migrations and the registers each time."""
    source = _entered.get((today, user))
    if source is None:
        source = setup_township(Ledger(open_ledger(":memory:"), today=today, user=user)).db.conn
        _entered[(today, user)] = source
    conn = sqlite3.connect(":memory:")
    source.backup(conn)
    conn.execute("PRAGMA foreign_keys = ON")  # as open_ledger sets them
    conn.execute("PRAGMA temp_store = MEMORY")
    return Ledger(LedgerDatabase(conn), today=today, user=user)


# The small township is entered once per test process, into a template file, and each test
# gets its own copy of it (a byte-for-byte copy of a finished ledger is that ledger): the
# same content as entering it anew, without paying for the migrations and the registers
# hundreds of times.
@pytest.fixture(scope="session")
def township_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    db = setup_township(Ledger(open_ledger(path), today=TODAY, user="刘洁")).db
    db.conn.close()  # folds the write-ahead log into the file, as a finished command does
    return path


@pytest.fixture(scope="session")
def memory_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second template (its own ledger id) for the in-memory ledgers."""
    path = tmp_path_factory.mktemp("memory-template") / "ledger.db"
    db = setup_township(Ledger(open_ledger(path), today=TODAY, user="刘洁")).db
    db.conn.close()
    return path


@pytest.fixture
def ledger(memory_template: Path) -> Ledger:
    """An in-memory ledger holding the small township."""
    conn = sqlite3.connect(":memory:")
    source = sqlite3.connect(memory_template)
    try:
        source.backup(conn)
    finally:
        source.close()
    conn.execute("PRAGMA foreign_keys = ON")  # as open_ledger sets them
    conn.execute("PRAGMA temp_store = MEMORY")
    return Ledger(LedgerDatabase(conn), today=TODAY, user="刘洁")


@pytest.fixture
def db_path(isolated: Path, township_template: Path) -> Path:
    """The temporary ledger file, with the small township already entered."""
    shutil.copyfile(township_template, isolated)
    os.chmod(isolated, 0o600) if os.name == "posix" else None
    return isolated


def invoke(runner: CliRunner, argv: list[str], **kwargs: Any) -> Result:
    """``ledger ARGV`` in-process, as the console script runs it (``cli.main``): the app with
    only the command being run registered (``_app_for``; the whole app for help and unknown
    words). Typer builds every registered command's parameters on each call, about 0.15 s of
    CPU for the whole app, which was most of what a CLI test cost."""
    return runner.invoke(_app_for(argv), argv, **kwargs)


class Cli:
    """Run `ledger` in-process with today pinned (through ``invoke``); read the file back
    through the domain."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runner = CliRunner()

    def __call__(self, *args: str, today: str = TODAY.isoformat(), lang: str | None = None):
        argv = ["--today", today, "--user", "刘洁"] + (["--lang", lang] if lang else []) + [*args]
        return invoke(self.runner, argv, catch_exceptions=False)

    def ledger(self) -> Ledger:
        return Ledger(open_ledger(self.path), today=TODAY, user="check")

    def digest(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli(db_path)


# The files whose tests are the suite's longest (LibreOffice, several processes at once, a
# command per pseudo-terminal, the weekly scripts): collected first, so that pytest-xdist
# hands them out while both workers are busy, and the run never ends with one worker alone on
# a long test while the other core is idle. Each file's tests keep their order.
LONGEST_FIRST = ("test_safety.py", "test_docs.py", "test_xlsx.py", "test_examples.py",
                 "test_screens.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # a stable sort


def sign_as_sender(bundle: Path) -> None:
    """``bundle`` signed as it now stands with its sender's own key, found among the ledger
    files beside it: what a township can do to its own bundle after changing it, so that
    only the rules past the signature can refuse it."""
    import contextlib
    import sqlite3

    from ledger.io.bundle import content_digest
    from ledger.io.signing import public_key, sign

    with contextlib.closing(sqlite3.connect(bundle)) as c:
        sender = c.execute("select value from info where key = 'from_id'").fetchone()[0]
        seeds = []
        for path in bundle.parent.glob("*.db"):
            with contextlib.closing(sqlite3.connect(path)) as ledger_file:
                meta = dict(ledger_file.execute("select key, value from meta"))
            if meta.get("ledger_id") == sender:
                seeds.append(meta["signing_key"])
        assert len(seeds) == 1, f"the ledger {sender} beside {bundle}: {len(seeds)} found"
        c.execute("delete from info where key in ('signed_by', 'signature')")
        c.execute("insert into info values ('signed_by', ?)", [public_key(seeds[0])])
        c.commit()
        c.execute("insert into info values ('signature', ?)", [sign(seeds[0], content_digest(c))])
        c.commit()
