"""The ledger's services: small aggregates over one session.

A ``Ledger`` is one session: an open database, the day that counts as today, who is
recording (the ``--user`` name and the operating-system account), and when. The services hang off it, one per aggregate, each created on first
use:

    ledger.registers   townships, villages, grids, units, cadres, the vocabularies
    ledger.residents   一人一账: residents, their tags and pages
    ledger.visits      visits and the demands raised in them
    ledger.demands     a demand's life: accepting, numbering, every step, the lists
    ledger.clocks      the working calendar, the deadline policies, recomputing deadlines
    ledger.reports     the Tuesday summary, the report card, the supervision settings
    ledger.meetings    the Tuesday meeting: its agenda, meetings and their decisions
    ledger.trends      the weekly series: intake, resolved, overdue per ledger week
    ledger.history     undo
    ledger.checks      the ledger's own check
    ledger.sync        bundles exchanged with other ledgers, shared cases, conflicts
    ledger.pairing     key villages, roles, pairs (包联)
    ledger.organisations  organisations visited (非公企业 ...), a page each
    ledger.coverage    who was visited: key villages, households, tags, organisations
    ledger.documents   the printed notices (ledger doc) and the township's templates

Every method that changes anything is one transaction and writes its journal rows through
``ledger.journal``; it either succeeds whole or raises a ``LedgerError`` and leaves the file
as it was. Nothing here reads the clock: ``today`` is given.
"""

from __future__ import annotations

import os
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from ..deadlines import Policy, WorkCalendar, parse_date
from ..errors import BadInput
from ..store import LedgerDatabase
from ..store import open_ledger as _open_store
from ..store.journal import Journal

if TYPE_CHECKING:
    from .checks import Checks
    from .clocks import Clocks
    from .coverage import Coverage
    from .demands import Demands
    from .documents import Documents
    from .history import History
    from .meetings import Meetings
    from .organisations import Organisations
    from .pairing import Pairing
    from .registers import Registers
    from .reports import Reports
    from .trends import Trends
    from .residents import Residents
    from .sync import Sync
    from .visits import Visits


class Ledger:
    """One session over an open ledger: the database, today, the user, and the services."""

    def __init__(self, db: LedgerDatabase, *, today: date, user: str = "",
                 now: str | None = None, os_user: str | None = None) -> None:
        self.db = db
        self.today = today
        self.user = user or None
        self.os_user = os_user  # the operating-system account running the command
        self.now = now
        self.journal = Journal(db, self.user, now, os_user)
        self._calendar: WorkCalendar | None = None
        self._policies: list[Policy] | None = None

    # --- what the rules read, loaded once per session ------------------------------------

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            from .clocks import load_calendar

            self._calendar = load_calendar(self.db)
        return self._calendar

    @property
    def policies(self) -> list[Policy]:
        if self._policies is None:
            from .clocks import load_policies

            self._policies = load_policies(self.db)
        return self._policies

    def forget_clocks(self) -> None:
        """The calendar or the policies changed: read them again when next needed."""
        self._calendar = None
        self._policies = None

    def date(self, value: str | date) -> date:
        """A date as a clerk typed it (``今天`` and ``上周二`` counted from today)."""
        return parse_date(value, self.today)

    def day(self, on: str | date | None) -> str:
        """The ISO date of a step: today when not given; never after today."""
        day = self.today if on is None else parse_date(on, self.today)
        if day > self.today:
            raise BadInput("date.future", value=day.isoformat(), today=self.today.isoformat())
        return day.isoformat()

    def unmasked(self, view: str, data: dict[str, object]) -> None:
        """Personal data shown in full on request (``--unmask``): recorded in the journal
        (who, when, what), as an unmasked export is. A ledger that cannot record it (a
        read-only file) does not show it."""
        with self.db.atomic():
            self.journal.write("view", 0, "unmask", self.today.isoformat(),
                               {"view": view, **data})

    # --- the services ----------------------------------------------------------------------

    @cached_property
    def registers(self) -> "Registers":
        from .registers import Registers

        return Registers(self)

    @cached_property
    def residents(self) -> "Residents":
        from .residents import Residents

        return Residents(self)

    @cached_property
    def visits(self) -> "Visits":
        from .visits import Visits

        return Visits(self)

    @cached_property
    def demands(self) -> "Demands":
        from .demands import Demands

        return Demands(self)

    @cached_property
    def clocks(self) -> "Clocks":
        from .clocks import Clocks

        return Clocks(self)

    @cached_property
    def reports(self) -> "Reports":
        from .reports import Reports

        return Reports(self)

    @cached_property
    def meetings(self) -> "Meetings":
        from .meetings import Meetings

        return Meetings(self)

    @cached_property
    def trends(self) -> "Trends":
        from .trends import Trends

        return Trends(self)

    @cached_property
    def history(self) -> "History":
        from .history import History

        return History(self)

    @cached_property
    def sync(self) -> "Sync":
        from .sync import Sync

        return Sync(self)

    @cached_property
    def documents(self) -> "Documents":
        from .documents import Documents

        return Documents(self)

    @cached_property
    def checks(self) -> "Checks":
        from .checks import Checks

        return Checks(self)

    # --- issue 16 (pairing, coverage) ---

    @cached_property
    def pairing(self) -> "Pairing":
        from .pairing import Pairing

        return Pairing(self)

    @cached_property
    def organisations(self) -> "Organisations":
        from .organisations import Organisations

        return Organisations(self)

    @cached_property
    def coverage(self) -> "Coverage":
        from .coverage import Coverage

        return Coverage(self)


def _finish_migrations(db: LedgerDatabase, stale: set[str]) -> None:
    """Projections that older migrations left to the domain (store.migrations.REFRESH_AFTER)."""
    if "deadlines" in stale:
        from .clocks import refresh_deadlines

        refresh_deadlines(db)
    if "follow_ups" in stale:
        # How many follow-ups since the last resolution, as the replay counts them, for the
        # demands that were ever followed up here (m014 counted the rest).
        from .. import lifecycle
        from ..store.journal import demand_events, skipped_events

        undone = skipped_events(db)
        ids = [i for (i,) in db.execute("select distinct subject_id from journal where "
                                        "subject = 'demand' and action = 'follow_up'")]
        for did in ids:
            state = lifecycle.replay(demand_events(db, did, undone))
            if state is not None:
                db.execute("update demands set follow_ups = ? where id = ?",
                           [state["follow_ups"], did])
    if "name_keys" in stale:
        from .lookup import refill

        refill(db)


def open_ledger(path: str | os.PathLike[str] | None = None) -> LedgerDatabase:
    """Open a ledger file (``":memory:"`` for tests), migrated and ready for a session."""
    return _open_store(path, finish=_finish_migrations)
