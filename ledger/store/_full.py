"""sqlite-utils' ``Database`` over a ledger's connection, for the schema and the table API
(imported only when needed: ``LedgerDatabase.sqlite_utils``)."""

from __future__ import annotations

import contextlib
from typing import Iterator

from sqlite_utils import Database


class _FullDatabase(Database):
    """sqlite-utils' Database whose transactions are the ledger's (BEGIN IMMEDIATE)."""

    def __init__(self, ledger_db) -> None:
        # recursive triggers are already on; no plugins: the ledger registers no functions
        super().__init__(ledger_db.conn, recursive_triggers=False, execute_plugins=False)
        self.ledger_db = ledger_db

    @contextlib.contextmanager
    def atomic(self) -> Iterator["_FullDatabase"]:
        with self.ledger_db.atomic():
            yield self

    @property
    def command_id(self):
        return self.ledger_db.command_id

    def next_command(self):
        return self.ledger_db.next_command()


def full_database(ledger_db) -> _FullDatabase:
    return _FullDatabase(ledger_db)
