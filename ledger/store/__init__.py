"""The ledger file: where it lives, opening it, its transactions.

Everything that touches SQLite directly lives in this package and in ``ledger.services``:
the schema (``migrations``), the journal writer (``journal``), and the opener here, which
brings an older file's schema up to date and refuses a file that is not a ledger.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Callable, Iterator

from sqlite_utils import Database

from ..errors import LedgerFileError
from .migrations import REFRESH_AFTER, migrations

APP_NAME = "ledger"
DB_FILENAME = "ledger.db"

BUSY_TIMEOUT_SECONDS = 30  # a writer waits this long for another clerk's command to finish


class LedgerDatabase(Database):
    """A sqlite-utils Database whose transactions take the write lock when they begin.

    With SQLite's default deferred BEGIN, two processes can both read (say, the largest
    demand number) and then fail to upgrade to writing; BEGIN IMMEDIATE makes the second
    wait for the first instead, so concurrent writers all succeed and numbers stay unique.
    """

    command_id: int | None = None  # the command whose journal rows are being written

    @contextlib.contextmanager
    def atomic(self) -> Iterator["LedgerDatabase"]:
        if self.conn.in_transaction:
            with super().atomic():  # a savepoint inside the outer transaction
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self.command_id = None
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self.command_id = None

    def next_command(self) -> int | None:
        """The number of the command now writing (one transaction); None before m006."""
        if self.command_id is None and "command" in self["journal"].columns_dict:
            last = self.conn.execute("select max(command) from journal").fetchone()[0]
            self.command_id = (last or 0) + 1
        return self.command_id


    def set_cache(self, kib: int) -> None:
        """SQLite's page cache for a long bulk write (the default is 2 MiB)."""
        self.execute(f"PRAGMA cache_size = -{int(kib)}")

    def close(self) -> None:
        """Fold the write-ahead log into the file and close it: after every command the
        file itself holds everything, and a refused command leaves it as it was."""
        try:
            self.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.conn.close()
        except sqlite3.Error:
            pass


def copy_database(source: sqlite3.Connection | Path, dest: Path, *, read_only: bool = False,
                  single_file: bool = False) -> None:
    """A consistent copy of a database (an open connection, or a file read through SQLite's
    online backup, so others may keep writing to it) into ``dest``. ``read_only`` never
    writes to the source file; ``single_file`` leaves no write-ahead log beside the copy."""
    src = source
    if isinstance(source, Path):
        src = (sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True) if read_only
               else sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS))
    target = sqlite3.connect(dest, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        with target:
            src.backup(target)  # type: ignore[union-attr]
        if single_file:
            target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
        if src is not source:
            src.close()  # type: ignore[union-attr]


def ledger_id(db: Database) -> str:
    return db.execute("select value from meta where key = 'ledger_id'").fetchone()[0]


def default_path() -> Path:
    """The ledger file in the user's application folder (typer's app dir rule)."""
    from typer import get_app_dir

    return Path(get_app_dir(APP_NAME)) / DB_FILENAME


def resolve_path(explicit: str | os.PathLike[str] | None) -> Path:
    """``--db`` if given, else ``LEDGER_DB``, else the application folder."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("LEDGER_DB")
    if env:
        return Path(env)
    return default_path()


# Recomputes projections the migrations named in REFRESH_AFTER left to the domain; given the
# database and the names of what to refresh, inside the migrating transaction.
Finisher = Callable[[LedgerDatabase, set[str]], None]


def open_ledger(path: str | os.PathLike[str] | None = None,
                finish: Finisher | None = None) -> LedgerDatabase:
    """Open (creating if needed) a ledger file and bring its schema up to date.

    ``":memory:"`` gives an in-memory ledger for tests. ``finish`` is called, in the same
    transaction as the migrations, with what they left to recompute.
    """
    if path is None or str(path) == ":memory:":
        db = LedgerDatabase(sqlite3.connect(":memory:"))
    else:
        p = Path(path)
        if p.is_dir():
            raise LedgerFileError("file.is_dir", path=str(p))
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LedgerFileError("file.cannot_create", path=str(p), why=e.strerror or str(e)) from None
        new = not p.exists()
        try:
            if new:
                # Created readable by its owner only from its first byte (an empty file is
                # an empty SQLite database).
                os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            new = False  # another clerk's command created it a moment ago
        except OSError as e:
            raise LedgerFileError("file.cannot_create", path=str(p), why=e.strerror or str(e)) from None
        try:
            db = LedgerDatabase(sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_SECONDS))
            if new:
                db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
                owner_only(p)
        except sqlite3.Error as e:
            raise file_error(e, p, opening=True) from None
    try:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA temp_store = MEMORY")  # the summary's working tables
        _refuse_foreign_file(db, str(path))
        pending = migrations.pending(db)
        if pending:
            # Under the write lock, so two processes opening a new ledger migrate it once.
            with db.atomic():
                had_tables = bool(db.table_names())
                migrations.apply(db)
                stale = {REFRESH_AFTER[m.name] for m in pending if m.name in REFRESH_AFTER}
                if stale and had_tables and finish is not None:
                    finish(db, stale)
    except sqlite3.Error as e:
        db.conn.close()
        raise file_error(e, path, opening=True) from None
    except BaseException:
        db.conn.close()
        raise
    return db


# SQLite's primary result codes (https://sqlite.org/rescode.html) a clerk can meet, as the
# message each is told with (``file.<kind>``).
_SQLITE_CODES = {3: "no_permission", 5: "busy", 6: "busy", 8: "read_only", 10: "io_error",
                 11: "not_ledger", 13: "disk_full", 14: "cannot_open", 23: "no_permission",
                 26: "not_ledger"}
_SQLITE_WORDS = (("locked", "busy"), ("busy", "busy"), ("readonly", "read_only"),
                 ("read-only", "read_only"), ("disk is full", "disk_full"),
                 ("disk i/o", "io_error"), ("not a database", "not_ledger"),
                 ("malformed", "not_ledger"), ("unable to open", "cannot_open"))


def file_error(e: sqlite3.Error, path: object, *, opening: bool = False) -> LedgerFileError:
    """An SQLite error met on a ledger file as the one line a clerk reads: a full disk, a
    file locked past the timeout, a read-only file, a failing disk and a file that is not a
    ledger each have their own message."""
    code = getattr(e, "sqlite_errorcode", None)
    kind = _SQLITE_CODES.get(code & 0xFF) if isinstance(code, int) else None
    if kind is None:
        text = str(e).lower()
        kind = next((k for word, k in _SQLITE_WORDS if word in text), None)
    if kind is None:
        kind = "not_ledger" if opening and isinstance(e, sqlite3.DatabaseError) else "sql_error"
    return LedgerFileError(f"file.{kind}", path=str(path), why=str(e))


def discard_if_unused(path: Path) -> None:
    """Remove a ledger file a failed command created, if nothing was ever recorded in it
    (no journal row): a new ledger is only kept once something is in it."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            used = conn.execute("select count(*) from journal").fetchone()[0]
        except sqlite3.Error:
            used = 0 if not conn.execute("select count(*) from sqlite_master where "
                                         "name = 'journal'").fetchone()[0] else 1
        finally:
            conn.close()
    except sqlite3.Error:
        return
    if not used:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                Path(str(path) + suffix).unlink()


def owner_only(path: Path) -> None:
    """The ledger holds personal data: readable and writable by its owner only, where the
    system has such permissions (on Windows the user's profile folder already is private)."""
    if os.name == "posix":
        try:
            os.chmod(path, 0o600)
        except OSError:
            pass


def _refuse_foreign_file(db: Database, path: str) -> None:
    """Never write our schema into someone else's database, nor open a newer ledger."""
    tables = db.table_names()
    if not tables:
        return
    applied = {m.name for m in migrations.applied(db)}
    if not applied:
        raise LedgerFileError("file.not_ledger", path=path, why="no ledger schema")
    known = {m.name for m in migrations._migrations}
    if applied - known:
        raise LedgerFileError("file.too_new", path=path, names=", ".join(sorted(applied - known)))
