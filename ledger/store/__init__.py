"""The ledger file: where it lives, opening it, its transactions.

Everything that touches SQLite directly lives in this package and in ``ledger.services``:
the schema (``migrations``), the journal writer (``journal``), and the opener here, which
brings an older file's schema up to date and refuses a file that is not a ledger.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
from pathlib import Path
from typing import Callable, Iterator

from ..errors import LedgerFileError
from .migrations import REFRESH_AFTER, migrations

APP_NAME = "ledger"
DB_FILENAME = "ledger.db"

BUSY_TIMEOUT_SECONDS = 30  # a writer waits this long for another clerk's command to finish


class LedgerDatabase:
    """The ledger's database: the ``sqlite3`` connection, with the part of sqlite-utils'
    ``Database`` API the ledger uses (``conn``, ``execute``, ``query``, ``executescript``,
    ``atomic``, ``table_names``, ``db["table"]``), done on the standard library alone.

    sqlite-utils itself (with click, pluggy, dateutil and importlib.metadata, a third of a
    command's start-up) is imported only when its table API is really needed: creating or
    changing the schema (the migrations), an ``upsert``, or anything this class does not
    offer itself, which is handed to a sqlite-utils ``Database`` over the same connection
    (``db.sqlite_utils``) on first use. ``db["t"].insert(row)``, ``.update(id, values)`` and
    ``.count`` of plain values are done here, as sqlite-utils does them.

    Transactions take the write lock when they begin: with SQLite's default deferred
    BEGIN, two processes can both read (say, the largest demand number) and then fail to
    upgrade to writing; BEGIN IMMEDIATE makes the second wait for the first instead, so
    concurrent writers all succeed and numbers stay unique.
    """

    command_id: int | None = None  # the command whose journal rows are being written

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._full = None  # the sqlite-utils Database, once needed
        self._columns: dict[str, list[tuple]] = {}
        conn.execute("PRAGMA recursive_triggers = on")  # as sqlite-utils' Database sets it

    # --- the statements --------------------------------------------------------------------

    def execute(self, sql: str, parameters=None) -> sqlite3.Cursor:
        """As sqlite-utils' ``execute``: a write outside a transaction is committed."""
        conn = self.conn
        was_in_transaction = conn.in_transaction
        try:
            cursor = conn.execute(sql) if parameters is None else conn.execute(sql, parameters)
        except Exception:
            if not was_in_transaction and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if not was_in_transaction and conn.in_transaction and cursor.description is None \
                and _first_word(sql) not in _TRANSACTION_WORDS:
            conn.execute("COMMIT")
        return cursor

    def executescript(self, sql: str) -> sqlite3.Cursor:
        if self.conn.in_transaction:  # never sqlite3's implicit COMMIT inside ours
            return self.sqlite_utils.executescript(sql)
        return self.conn.executescript(sql)

    def query(self, sql: str, params=None) -> Iterator[dict]:
        """The rows of ``sql`` as dictionaries (executed now, fetched as iterated)."""
        if _first_word(sql) in _NOT_QUERIES:
            raise ValueError("query() can only be used with SQL that returns rows - "
                             "use execute() for other statements")
        conn = self.conn
        was_in_transaction = conn.in_transaction
        cursor = conn.execute(sql) if params is None else conn.execute(sql, params)
        if cursor.description is None:
            if not was_in_transaction and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise ValueError("query() can only be used with SQL that returns rows - "
                             "use execute() for other statements")
        keys = _unique_keys([d[0] for d in cursor.description])
        if not was_in_transaction and conn.in_transaction:  # INSERT ... RETURNING
            rows = cursor.fetchall()
            conn.execute("COMMIT")
            return (dict(zip(keys, row)) for row in rows)
        return (dict(zip(keys, row)) for row in cursor)

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "select name from sqlite_master where type = 'table'")]

    @contextlib.contextmanager
    def atomic(self) -> Iterator["LedgerDatabase"]:
        conn = self.conn
        if conn.in_transaction:  # a savepoint inside the outer transaction
            name = f"ledger_{next(_savepoints)}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        self.command_id = None
        self._columns.clear()  # another process may have changed the schema
        try:
            yield self
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.execute("COMMIT")
        finally:
            self.command_id = None

    def next_command(self) -> int | None:
        """The number of the command now writing (one transaction); None before m006."""
        if self.command_id is None and "command" in {c[1] for c in self.conn.execute(
                "PRAGMA table_info(journal)")}:
            last = self.conn.execute("select max(command) from journal").fetchone()[0]
            self.command_id = (last or 0) + 1
        return self.command_id

    def columns(self, table: str) -> list[tuple]:
        """``PRAGMA table_info`` of a table (cached until the next transaction begins)."""
        got = self._columns.get(table)
        if got is None:
            got = self._columns[table] = self.conn.execute(
                f"PRAGMA table_info({_quote(table)})").fetchall()
        return got

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

    # --- sqlite-utils, when really needed --------------------------------------------------

    @property
    def sqlite_utils(self):
        """A sqlite-utils ``Database`` over this connection (imported on first use); its
        transactions are this database's."""
        self._columns.clear()  # the schema may change through it
        if self._full is None:
            from ._full import full_database

            self._full = full_database(self)
        return self._full

    def __getitem__(self, name: str) -> "_Table":
        return _Table(self, name)

    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("_full", "conn", "_columns"):
            raise AttributeError(name)
        return getattr(self.sqlite_utils, name)


_savepoints = itertools.count(1)
_TRANSACTION_WORDS = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}
_NOT_QUERIES = _TRANSACTION_WORDS | {"VACUUM", "ATTACH", "DETACH"}
_PLAIN = (str, int, float, bytes, type(None))


def _first_word(sql: str) -> str:
    """The statement's first keyword, upper-cased, after blanks and comments."""
    s = sql.lstrip("\ufeff; \t\r\n")
    while s.startswith(("--", "/*")):
        if s.startswith("--"):
            s = s.split("\n", 1)[1] if "\n" in s else ""
        else:
            s = s.split("*/", 1)[1] if "*/" in s else ""
        s = s.lstrip("; \t\r\n")
    word = []
    for ch in s:
        if not (ch.isalnum() or ch == "_"):
            break
        word.append(ch)
    return "".join(word).upper()


def _unique_keys(keys: list[str]) -> list[str]:
    """Duplicate column names renamed ``name_2``, ``name_3``, as sqlite-utils does."""
    if len(set(keys)) == len(keys):
        return keys
    from sqlite_utils.utils import dedupe_keys

    return dedupe_keys(keys)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Table:
    """``db["name"]``: sqlite-utils' ``Table`` for the calls the ledger makes every day
    (``insert`` of one row, ``update`` by primary key, ``count``), done as sqlite-utils
    does them; every other call, or values sqlite-utils would convert (lists, dicts,
    dates), goes to sqlite-utils' own ``Table``."""

    def __init__(self, db: LedgerDatabase, name: str) -> None:
        self.db = db
        self.name = name
        self.last_rowid: int | None = None
        self.last_pk = None

    @property
    def _real(self):
        return self.db.sqlite_utils[self.name]  # (forgets the cached table_info)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._real, name)

    @property
    def count(self) -> int:
        return self.db.conn.execute(f"select count(*) from {_quote(self.name)}").fetchone()[0]

    def _rowid_pk(self) -> bool:
        """Whether the table's primary key is its rowid (one INTEGER PRIMARY KEY column)."""
        cols = self.db.columns(self.name)
        pks = [c for c in cols if c[5]]
        return bool(cols) and len(pks) == 1 and pks[0][2].upper() == "INTEGER"

    def _one_pk(self) -> str | None:
        pks = [c for c in self.db.columns(self.name) if c[5]]
        return pks[0][1] if len(pks) == 1 else None

    def insert(self, record: dict, **options):
        if options or not record or not all(isinstance(v, _PLAIN) for v in record.values()) \
                or not self._rowid_pk():
            real = self._real.insert(record, **options)
            self.last_rowid, self.last_pk = real.last_rowid, real.last_pk
            return self
        sql = (f"INSERT INTO {_quote(self.name)} ({', '.join(map(_quote, record))}) "
               f"VALUES ({', '.join('?' for _ in record)})")
        with self.db.atomic():
            cursor = self.db.conn.execute(sql, list(record.values()))
        self.last_rowid = self.last_pk = cursor.lastrowid
        return self

    def update(self, pk_values, updates: dict | None = None, **options):
        pk = self._one_pk()
        key = pk_values[0] if isinstance(pk_values, (list, tuple)) and len(pk_values) == 1 \
            else pk_values
        if options or pk is None or isinstance(key, (list, tuple)) or not updates or \
                not all(isinstance(v, _PLAIN) for v in updates.values()):
            self._real.update(pk_values, updates, **options)
            self.last_pk = key
            return self
        sql = (f"update {_quote(self.name)} set {', '.join(f'{_quote(k)} = ?' for k in updates)}"
               f" where {_quote(pk)} = ?")
        with self.db.atomic():
            done = self.db.conn.execute(sql, [*updates.values(), key]).rowcount
        if done != 1:  # no such row: sqlite-utils' own update says so (NotFoundError)
            self._real.update(pk_values, updates)
        self.last_pk = key
        return self


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
            src.backup(target, progress=_give_up_when_busy)  # type: ignore[union-attr]
        if single_file:
            target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
        if src is not source:
            src.close()  # type: ignore[union-attr]


def _give_up_when_busy(status: int, remaining: int, total: int) -> None:
    """The online backup's progress: a step that found the file locked (SQLITE_BUSY or
    SQLITE_LOCKED) had waited the busy timeout already, and Python's ``backup`` would retry
    it for ever (a restore over a ledger a database browser holds would never end): it
    ends the copy, undone, as any locked write does."""
    if status in (5, 6):
        raise sqlite3.OperationalError("database is locked")


def ledger_id(db: LedgerDatabase) -> str:
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
        try:
            is_dir, is_file = p.is_dir(), p.is_file()
        except OSError as e:  # a name too long, say
            raise path_error(e, p) from None
        if is_dir:
            raise LedgerFileError("file.is_dir", path=str(p))
        if not is_file:
            # A ledger about to be created (or, on Windows, a device such as NUL) needs a
            # name Windows can hold as a file: a ledger moves between systems.
            from ..io.files import check_name

            check_name(p)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise path_error(e, p, "file.cannot_create") from None
        new = not is_file
        try:
            if new:
                # Created readable by its owner only from its first byte (an empty file is
                # an empty SQLite database).
                os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            new = False  # another clerk's command created it a moment ago
        except OSError as e:
            raise path_error(e, p, "file.cannot_create") from None
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


def file_error(e: sqlite3.Error, path: object, *, opening: bool = False,
               replacing: bool = False) -> LedgerFileError:
    """An SQLite error met on a ledger file as the one line a clerk reads: a full disk, a
    file locked past the timeout, a read-only file, a failing disk and a file that is not a
    ledger each have their own message. ``replacing`` (a restore): a file locked past the
    timeout is told as held open by another program, to be closed."""
    code = getattr(e, "sqlite_errorcode", None)
    kind = _SQLITE_CODES.get(code & 0xFF) if isinstance(code, int) else None
    if kind is None:
        text = str(e).lower()
        kind = next((k for word, k in _SQLITE_WORDS if word in text), None)
    if kind is None:
        kind = "not_ledger" if opening and isinstance(e, sqlite3.DatabaseError) else "sql_error"
    if kind == "busy" and replacing:
        return LedgerFileError("file.in_use", path=str(path))
    return LedgerFileError(f"file.{kind}", path=str(path), why=str(e))


def path_error(e: OSError, path: Path, key: str = "file.cannot_open") -> LedgerFileError:
    """An operating-system error met on a ledger file (not SQLite's) as its one line: a file
    another program holds open (Windows) and a path too long have their own message, any
    other is ``key`` with the system's words."""
    from ..io.files import in_use, too_long

    if in_use(e, path):
        return LedgerFileError("file.in_use", path=str(path))
    if too_long(e, path):
        return LedgerFileError("file.too_long", path=str(path))
    return LedgerFileError(key, path=str(path), why=e.strerror or str(e))


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


def _refuse_foreign_file(db: LedgerDatabase, path: str) -> None:
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
