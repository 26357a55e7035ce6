"""A county and its townships in step: journals that travel between ledgers as bundles.

Each ledger keeps working on its own, offline if it must; what one has written that another
should have travels as a bundle file (``io/bundle``), in the manner of git bundles and
Fossil's sync: every journal row has a global identity (``store.journal``), so a row is
recognised wherever it arrives, and importing a bundle twice, or an older one after a newer,
adds nothing.

What a bundle made ``--to`` another ledger holds (``Sync.export``): the events that ledger
has not acknowledged yet (the sender's journal rows after the highest id that ledger said it
had received) of

- the cases that are that ledger's own (first accepted there): the steps recorded here on
  them go back to it, and only to it;
- this ledger's own cases, unless that ledger is one this one gathers (it has sent its own
  cases here): a township's cases go up to its county, a county's do not go down;

never the events that ledger wrote itself. A bundle without ``--to`` holds every event of
every case (a first exchange, or ``merge``). Registers travel by name, residents and visits
by their global identity (the ledger that first wrote them and their id there); a resident's
page follows the ledger that keeps it (what it fills in or tags later travels too), and the
cases that repeat links name travel as names, so that the link holds on the other side.

Taking a bundle in (``Sync.import_``) is all or nothing: the file is checked first (its
format, that it was made by another ledger and for this one, every row against the sender's
hash chain, and that it follows on from what was received from that ledger before: a bundle
that starts after a gap is refused until the missing one is imported), then every new event
is appended with its identity, and each case touched is replayed in the order of
``journal.replay_order``. Events the replay refuses are conflicts: kept, listed by
``ledger sync conflicts`` with both sides, left out of the state, and settled by the next
ordinary step a person records on the case (that step names the conflicts it settles, and
the naming travels with it).

Every bundle is signed with its sender's ledger key (``io/signing``: what bytes, and the
fingerprint). The receiver checks the signature before anything is written, and pins the
sender's key the first time it takes a bundle of that ledger in (trust on first use, as
SSH's known_hosts); from then on a bundle of that ledger signed by another key, a bundle
without a signature (made before ledgers had keys, or stripped), and a bundle of a ledger
never seen that claims the name of one already known (a township's history re-chained under
a new identity) are refused, until a person who compared the fingerprint by phone accepts
the key with ``ledger sync trust BUNDLE --fingerprint FP`` (journaled). A merge takes a
ledger file the clerk gave, not a bundle that travelled: its key is neither pinned nor
checked.

A first sync brings a whole township: its bundle is read case by case (the bundle's index by
case), a batch of new cases at a time, so that memory does not grow with the township; each
case is replayed once (``lifecycle.replay``, step by step only where an event is refused);
and, when the load is large next to this ledger, the secondary indexes and the triggers they
feed are built once after it (``BulkDemands``), all in the one transaction.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .. import lifecycle
from ..errors import BadInput, LedgerFileError, NotFound, Refused
from ..store.journal import GENESIS, chain_hash, head, journal_json, replay_order, undone_events
from .demands import to_row

if TYPE_CHECKING:
    from . import Ledger

# Keys of journal event data that hold ids, and the register or table they are ids of.
ID_KEYS = {"village_id": "village", "grid_id": "grid", "resident_id": "resident",
           "visit_id": "visit", "lead_unit_id": "unit", "unit_id": "unit",
           "co_unit_ids": "unit", "unit_ids": "unit", "locality_id": "village",
           "by_unit_id": "unit", "by_village_id": "village", "meeting_id": "meeting"}
# a key of ID_KEYS with its number, or its list of numbers, in an event's JSON text
_ID_VALUE = re.compile(r'"(%s)"\s*:\s*(\d+|\[[\d,\s]*\])' % "|".join(ID_KEYS))

CACHE_KIB = 4_096  # SQLite's page cache for a large bundle: measured, a larger one costs memory and saves no time
SEPARATOR = ":"  # between a ledger's name and its number: 青石镇:2026-000004

Progress = Callable[[int, int], None]  # (cases written, cases to write)
LARGE_EVENTS = 10_000  # a bundle of more events is a first sync: a load of its own


def _sort_in_files(db: Any) -> None:
    """The indexes a large load builds after it sort in temporary files, not in memory
    (SQLite refuses the change inside a transaction: it is made before one)."""
    db.execute("PRAGMA temp_store = FILE")


@dataclass
class SyncResult:
    """What a bundle brought (``import_``) or held (``export``)."""
    source: str  # the bundle's path (or the merged file's)
    peer: str = ""  # the other ledger's name
    events: int = 0  # new events taken in (or written)
    demands: int = 0  # cases new to this ledger (or in the bundle)
    updated: int = 0  # cases already here that gained events
    skipped: int = 0  # cases already here with nothing new
    residents: int = 0
    pages: int = 0  # residents' pages here brought up to date by the ledger that keeps them
    visits: int = 0
    townships: int = 0
    conflicts: int = 0  # unsettled conflicts on the cases touched, after the import
    range: tuple[int, int] = (0, 0)
    created: dict[str, int] = field(default_factory=dict)
    homes: int = 0  # ledgers whose cases a bundle holds (export)
    pinned: str = ""  # the fingerprint of the sender's key, pinned by this import (first use)


class Sync:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    # --- who is who ------------------------------------------------------------------------

    @property
    def me(self) -> str:
        return self.L.registers.ledger_id()

    def name(self) -> str:
        """This ledger's name as other ledgers show it: the one set with `ledger sync name`,
        else its township's name (a ledger of one township)."""
        row = self.db.execute("select value from meta where key = 'name'").fetchone()
        if row:
            return row[0]
        towns = self.L.registers.names("select name from townships order by id")
        if len(towns) == 1:
            return towns[0]
        raise Refused("sync.needs_name", townships="、".join(towns) or "-")

    def set_name(self, name: str) -> None:
        from ..io.files import safe_file_part
        from ..models import new_name

        name = new_name(name, "ledger_name")
        if SEPARATOR in name or "：" in name:
            raise BadInput("sync.name_separator", name=name)
        if safe_file_part(name) != name:  # it names bundle files: never a folder, nor ../
            raise BadInput("sync.name_unsafe", name=name)
        with self.db.atomic():
            self.db["meta"].upsert({"key": "name", "value": name}, pk="key")
            self.L.journal.write("sync", 0, "name", self.L.today.isoformat(), {"name": name})

    # --- keys --------------------------------------------------------------------------------

    def _seed(self) -> str:
        return self.db.execute("select value from meta where key = 'signing_key'").fetchone()[0]

    def public_key(self) -> str:
        from ..io.signing import public_key

        return public_key(self._seed())

    def new_key(self) -> dict[str, str]:
        """Replace this ledger's key (its file was copied, or the old key is in doubt): the
        ledgers it sends to refuse its bundles until each accepts the new key with ``ledger
        sync trust``. Journaled."""
        import os

        from ..io.signing import fingerprint, public_key

        with self.db.atomic():
            old = fingerprint(self.public_key())
            self.db["meta"].upsert({"key": "signing_key", "value": os.urandom(32).hex()},
                                   pk="key")
            new = fingerprint(public_key(self._seed()))
            self.L.journal.write("sync", 0, "new_key", self.L.today.isoformat(),
                                 {"fingerprint": new, "replaces": old})
        return {"fingerprint": new, "replaced": old}

    def trust(self, path: Path, typed: str) -> dict[str, Any]:
        """Accept the key that signed the bundle ``path`` for its ledger, once a person has
        compared its fingerprint with the sender's (``typed``, read to them by phone): a
        ledger's new key, or a new ledger of a name already known. Journaled."""
        from ..io.bundle import read_bundle
        from ..io.signing import fingerprint, normalise

        given = normalise(typed)
        if given is None:
            raise BadInput("sync.fingerprint_form", given=typed)
        bundle = read_bundle(path)
        try:
            key = verified_key(bundle)
            info = bundle.info
        finally:
            bundle.close()
        src, name = info["from_id"], info["from_name"]
        if src == self.me:
            raise Refused("sync.own_bundle", path=str(path))
        found = fingerprint(key)
        if given != found:
            raise Refused("sync.fingerprint_differs", path=str(path), name=name, found=found,
                          given=given)
        with self.db.atomic():
            peer = self.db.execute("select public_key from sync_peers where ledger_id = ?",
                                   [src]).fetchone()
            old = peer[0] if peer else None
            if old == key:
                return {"name": name, "ledger_id": src, "fingerprint": found, "replaced": None,
                        "already": True}
            if peer is None:
                self.db.execute("insert into sync_peers (ledger_id, name) values (?, ?)",
                                [src, name])
            self.db.execute("update sync_peers set public_key = ?, key_pinned_on = ? where "
                            "ledger_id = ?", [key, self.L.today.isoformat(), src])
            replaced = fingerprint(old) if old else None
            self.L.journal.write("sync", 0, "trust", self.L.today.isoformat(), {
                "origin": src, "name": name, "fingerprint": found, "replaces": replaced,
                "path": str(path)})
        return {"name": name, "ledger_id": src, "fingerprint": found, "replaced": replaced,
                "already": False}

    def peers(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from sync_peers order by name, ledger_id"))

    def peer(self, ref: str) -> dict[str, Any]:
        """A known ledger by its name, the start of its identity, or the path of its file."""
        rows = self.peers()
        found = [p for p in rows if p["name"] == ref or p["ledger_id"] == ref]
        if not found and len(ref) >= 6:
            found = [p for p in rows if p["ledger_id"].startswith(ref)]
        if not found and Path(ref).suffix.lower() == ".db" and Path(ref).is_file():
            other = _ledger_id_of(Path(ref))
            found = [p for p in rows if p["ledger_id"] == other]
        if len(found) != 1:
            raise NotFound("sync.unknown_peer", name=ref,
                           choices=[p["name"] or p["ledger_id"][:8] for p in rows])
        return found[0]

    def _names(self) -> dict[str, str]:
        """Ledger identity -> name, of every ledger known here (this one too)."""
        names = {r[0]: r[1] for r in self.db.execute(
            "select ledger_id, name from origins where name is not null")}
        names.update({r[0]: r[1] for r in self.db.execute(
            "select ledger_id, name from sync_peers where name is not null")})
        try:
            names[self.me] = self.name()
        except Refused:
            pass
        return names

    # --- sending -------------------------------------------------------------------------------

    def export(self, path: Path, to: str | None = None, *, force: bool = False) -> SyncResult:
        """Write a bundle of what ``to`` has not acknowledged yet (without ``to``: every
        event); one transaction, so the file and the record of sending agree."""
        from ..io.bundle import FORMAT, write_bundle
        from ..io.signing import public_key, sign

        db, me = self.db, self.me
        seed = self._seed()
        with db.atomic():
            name = self.name()
            # The name other ledgers know this one by stays, whatever it later receives.
            db["meta"].upsert({"key": "name", "value": name}, pk="key")
            peer = self.peer(to) if to else None
            head_id, head_hash = head(db)
            since = peer["acked_upto"] if peer else 0
            params: dict[str, Any] = {"me": me, "since": since,
                                      "peer": peer["ledger_id"] if peer else None}
            if peer is None:
                cases = "1 = 1"
                events = "1 = 1"
            else:
                gathered = db.execute("select 1 from demands where origin_ledger = ? limit 1",
                                      [peer["ledger_id"]]).fetchone()
                cases = ("d.origin_ledger = :peer" if gathered else
                         "(d.origin_ledger = :peer or d.origin_ledger is null)")
                events = "(j.origin is null or j.origin <> :peer)"
            undone = undone_events(db)
            authority = Authority(db, me)
            rows = [r for r in db.execute(
                "select j.id, j.subject_id, j.action, j.on_date, j.actor, j.os_user, j.reason, "
                "j.data, j.recorded_at, j.command, j.origin, j.origin_id, j.hash, "
                f"coalesce(p.hash, '{GENESIS}') from journal j join demands d on d.id = "
                "j.subject_id left join journal p on p.id = j.id - 1 where j.subject = "
                f"'demand' and j.id > :since and {cases} and {events} order by j.id", params)
                if r[0] not in undone]
            # Never passed on: a step its writer could not write (one taken in before the
            # rule, or written here on a case that is not this ledger's to write).
            homes = {r[1]: None for r in rows}
            if any(r[10] is not None for r in rows):
                db.execute("create temp table if not exists sync_cases (id integer primary key)")
                db.execute("delete from sync_cases")
                db.conn.executemany("insert into sync_cases values (?)", [(i,) for i in homes])
                homes.update(db.execute("select d.id, d.origin_ledger from demands d join "
                                        "sync_cases c on c.id = d.id").fetchall())
                rows = [r for r in rows if r[10] is None or authority.may_write(
                    r[10], homes[r[1]] or me, r[1])]
            # A row's link to the one before it is written only where that row is not in the
            # bundle (the first of a run): elsewhere it is the hash just above it.
            rows = [r if i == 0 or rows[i - 1][0] != r[0] - 1 else (*r[:13], None)
                    for i, r in enumerate(rows)]
            # and the cases their repeat links (重复诉求) name, sent before or not, so that
            # the receiver can find them by number
            linked = {json.loads(r[7]).get("repeat_of") for r in rows if '"repeat_of"' in r[7]}
            demand_ids = sorted({r[1] for r in rows} | (linked - {None}))
            names = self._names()
            db.execute("create temp table if not exists sync_cases (id integer primary key)")
            db.execute("delete from sync_cases")
            db.conn.executemany("insert into sync_cases values (?)", [(i,) for i in demand_ids])
            demands = [(i, home or me, number, names.get(home or me, home or me)) for i, home,
                       number in db.execute(
                           "select d.id, d.origin_ledger, coalesce(d.origin_number, d.number) "
                           "from demands d join sync_cases c on c.id = d.id order by d.id")]
            if peer is None:
                visits_where = residents_where = ""
            else:
                visits_where = ("where v.id in (select visit_id from demands where id in "
                                "(select id from sync_cases))")
                # the people its cases name, and the pages this ledger keeps (their home)
                # changed since the other last acknowledged: every one to the ledger that
                # gathers this one's; to a ledger this one gathers, those its cases name
                residents_where = (
                    "where r.id in (select resident_id from demands where id in (select id "
                    "from sync_cases) union select resident_id from visits where id in "
                    "(select visit_id from demands where id in (select id from sync_cases))) "
                    "or (r.origin_ledger is null and r.id in (select subject_id from journal "
                    "where subject = 'resident' and action in ('update', 'tag', 'phone') and "
                    "id > :since)" + (f" and r.id in (select resident_id from demands d where "
                                      f"{cases}))" if gathered else ")"))
                # and those its events name (a correction may have named another person)
                named = _named(rows, "resident")
                if named:
                    residents_where += f" or r.id in ({', '.join(map(str, named))})"
            residents = db.execute(
                "select r.id, r.name, r.village_id, r.grid_id, r.phone, r.id_number, r.address, "
                "r.note, (select json_group_array(tag) from (select tag from resident_tags t "
                "where t.resident_id = r.id order by tag)), r.created_on, "
                "coalesce(r.origin_ledger, :me), coalesce(r.origin_id, cast(r.id as text)), "
                f"r.org_kind from residents r {residents_where} order by r.id", params).fetchall()
            visits = db.execute(
                "select v.id, v.visited_on, v.village_id, v.grid_id, v.resident_id, v.channel, "
                "v.note, (select json_group_array(cadre_id) from (select cadre_id from "
                "visit_cadres c where c.visit_id = v.id order by c.rowid)), "
                "coalesce(v.origin_ledger, :me), coalesce(v.origin_id, cast(v.id as text)) "
                f"from visits v {visits_where} order by v.id", {"me": me}).fetchall()
            info = {"format": FORMAT, "from_id": me, "from_name": name,
                    "to_id": peer["ledger_id"] if peer else "",
                    "to_name": (peer["name"] or "") if peer else "",
                    "range_from": str(since), "range_to": str(head_id),
                    "head_id": str(head_id), "head_hash": head_hash,
                    "made_on": self.L.today.isoformat(), "made_at": self.L.now or "",
                    "signed_by": public_key(seed)}
            # A bundle for one ledger names only the places and people its cases need (a
            # township never learns of the county's other townships); units and the
            # vocabularies travel whole.
            places = ("" if peer is None else
                      "where id in (select village_id from demands where id in (select id from "
                      "sync_cases) union select village_id from residents where id in ({r}) "
                      "union select village_id from visits where id in ({v}) "
                      "union select value from json_each('[{e}]'))").format(
                r=", ".join(str(r[0]) for r in residents) or "null",
                v=", ".join(str(v[0]) for v in visits) or "null",
                # the villages its events name: a locality (属地), a follow-up's village
                e=", ".join(map(str, _named(rows, "village"))))
            villages = db.execute(f"select id, name, township_id, kind from villages {places}"
                                  ).fetchall()
            townships = db.execute("select id, name from townships" + (
                "" if peer is None else " where id in ({})".format(
                    ", ".join(str(v[2]) for v in villages if v[2] is not None) or "null"))
            ).fetchall()
            grids = db.execute("select id, name, village_id from grids" + (
                "" if peer is None else " where village_id in ({})".format(
                    ", ".join(str(v[0]) for v in villages) or "null"))).fetchall()
            meetings = db.execute("select id, held_on, kind, attendees from meetings" + (
                "" if peer is None else " where id in (select json_extract(data, '$.meeting_id') "
                "from journal where subject = 'demand' and action = 'decide' and id > {} and "
                "subject_id in (select id from sync_cases))".format(int(since)))).fetchall()
            cadres = db.execute("select id, name, unit_id, phone from cadres" + (
                "" if peer is None else " where id in (select cadre_id from visit_cadres where "
                "visit_id in ({}))".format(", ".join(str(v[0]) for v in visits) or "null"))
            ).fetchall()
            tables: dict[str, Iterable[tuple[Any, ...]]] = {
                "info": list(info.items()),
                "acks": db.execute("select ledger_id, name, received_upto from sync_peers"
                                   ).fetchall(),
                "townships": townships, "villages": villages, "grids": grids,
                "units": db.execute("select id, name, level from units").fetchall(),
                "cadres": cadres, "meetings": meetings,
                "merged_residents": self.L.residents.merged_pages(),
                "terms": db.execute("select kind, name from terms order by id").fetchall(),
                "residents": residents, "visits": visits, "demands": demands, "events": rows,
            }
            write_bundle(path, tables, force=force, sign=lambda digest: sign(seed, digest))
            if peer is None:  # carried away all the same: its steps are no longer undone
                db["meta"].upsert({"key": "sync_sent_upto", "value": str(head_id)}, pk="key")
            else:
                db.execute("update sync_peers set sent_upto = ?, sent_on = ?, sent_at = ?, "
                           "bundles_out = bundles_out + 1 where ledger_id = ?",
                           [head_id, self.L.today.isoformat(), self.L.now, peer["ledger_id"]])
            db.execute("drop table temp.sync_cases")
        return SyncResult(source=str(path), peer=(peer["name"] or "") if peer else "",
                          events=len(rows), demands=len(demands), residents=len(residents),
                          visits=len(visits), range=(since, head_id),
                          homes=len({d[1] for d in demands}))

    # --- receiving -----------------------------------------------------------------------------

    def import_(self, path: Path, *, kind: str = "import", source: Path | None = None,
                progress: Progress | None = None) -> SyncResult:
        """Take a bundle in: checked whole first, then all or nothing (``kind`` ``merge``:
        the bundle was made from the ledger file ``source``). ``progress(done, total)`` is
        told now and then how many of the new cases are written."""
        from ..io.bundle import read_bundle

        bundle = read_bundle(path)
        try:
            return _Import(self, bundle, kind, source or path, progress).run()
        finally:
            bundle.close()

    def import_many(self, paths: list[Path], progress: Progress | None = None) -> list[
            SyncResult]:
        """Take in several bundles, or every ``.bundle`` of the folders given (a county's
        week from all its townships), as one transaction: all of them or none. They are taken
        in sender by sender, each sender's in the order of their ranges, so that a week and
        the next may come together."""
        from ..io.bundle import read_bundle

        files: list[Path] = []
        for p in paths:
            if p.is_dir():
                found = sorted(f for f in p.iterdir() if f.suffix.lower() == ".bundle"
                               and f.is_file())
                if not found:
                    raise BadInput("sync.no_bundles", path=str(p))
                files += found
            else:
                files.append(p)
        once: dict[Path, Path] = {}
        for f in files:
            once.setdefault(f.resolve(), f)
        files = list(once.values())
        order = []
        for f in files:
            b = read_bundle(f)  # (each one refused here, before anything, if not a bundle)
            try:
                try:
                    events = b.count("events")
                except sqlite3.DatabaseError as e:  # the bundle's damage, not this ledger's
                    raise BadInput("sync.bundle_damaged", path=str(f),
                                   why=" ".join(str(e).split())[:200]) from None
                try:
                    key = (b.info["from_id"], int(b.info["range_from"] or 0),
                           int(b.info["range_to"]))
                except ValueError:
                    raise BadInput("sync.bad_content", path=str(f), table="info", id="range",
                                   what="range_to") from None
                order.append((events, (key, f)))
            finally:
                b.close()
        if sum(events for events, _ in order) > LARGE_EVENTS:
            _sort_in_files(self.db)
        with self.db.atomic():
            return [self.import_(f, progress=progress)
                    for _, f in sorted(key for _, key in order)]

    def export_each(self, folder: Path, *, force: bool = False) -> list[SyncResult]:
        """One bundle for every ledger this one exchanges with (what each has not
        acknowledged yet), written into ``folder`` as ``this-that-day.bundle``; one
        transaction."""
        from ..io.files import safe_file_part

        peers = self.peers()
        if not peers:
            raise Refused("sync.no_peers")
        if not folder.is_dir():  # a mistyped folder is refused, never created
            raise LedgerFileError("output.no_folder", path=str(folder / "*.bundle"),
                                  folder=str(folder))
        day = self.L.today.isoformat()
        with self.db.atomic():
            me = safe_file_part(self.name())
            return [self.export(folder / "{}-{}-{}.bundle".format(
                me, safe_file_part(p["name"] or p["ledger_id"][:8]), day),
                p["ledger_id"], force=force) for p in peers]

    # --- shared cases --------------------------------------------------------------------------

    def replayed(self, demand_id: int, undone: set[int] | None = None) -> tuple[
            list[Any], lifecycle.State | None, dict[int, Refused], dict[tuple[str, int], int]]:
        """One case replayed from every event it has (not undone), in replay order: the
        rows ``(origin, on, recorded_at, id, action, data, reason, origin_id)``, the state,
        the refused events by index, and what settled them (``replay_tolerant``)."""
        undone = undone_events(self.db) if undone is None else undone
        rows = [r for r in self.db.execute(
            "select coalesce(origin, :me), on_date, coalesce(recorded_at, ''), id, action, data, "
            "reason, coalesce(origin_id, id) from journal where subject = 'demand' and "
            "subject_id = :d order by id", {"me": self.me, "d": demand_id}) if r[3] not in undone]
        ordered = replay_order(rows)
        return (ordered, *replay_tolerant(ordered))

    def refresh(self, demand_id: int) -> None:
        """Replay one case from every event it has, store its state, and its conflicts."""
        db = self.db
        ordered, state, refused, settles = self.replayed(demand_id)
        if state is None:
            raise Refused("sync.case_without_acceptance", id=demand_id)
        db["demands"].update(demand_id, to_row(state))
        self._store_conflicts(demand_id, ordered, refused, settles)
        self.L.clocks.refresh("id = ?", [demand_id])

    def _store_conflicts(self, demand_id: int, ordered: list[Any],
                         refused: dict[int, Refused], settles: dict[tuple[str, int], int]) -> None:
        self.db.execute("delete from sync_conflicts where demand_id = ?", [demand_id])
        self.db.conn.executemany(
            "insert into sync_conflicts (journal_id, demand_id, why, params, settled_by) "
            "values (?, ?, ?, ?, ?)",
            [(ordered[i][3], demand_id, e.key, journal_json(_plain(e.params)),
              settles.get((ordered[i][0], ordered[i][7])))
             for i, e in sorted(refused.items())])

    def open_conflicts(self, demand_id: int) -> list[list[Any]]:
        """The global identities of a case's unsettled conflicts (what a step settles)."""
        return [[o or self.me, oid] for o, oid in self.db.execute(
            "select j.origin, coalesce(j.origin_id, j.id) from sync_conflicts c join journal j "
            "on j.id = c.journal_id where c.demand_id = ? and c.settled_by is null "
            "order by j.id", [demand_id])]

    def settled(self, demand_id: int, by: int) -> None:
        """A step (journal row ``by``) recorded on the case settled its open conflicts."""
        self.db.execute("update sync_conflicts set settled_by = ? where demand_id = ? and "
                        "settled_by is null", [by, demand_id])

    def conflicts(self, *, settled: bool = False) -> list[dict[str, Any]]:
        """Conflicts with both sides: the refused event, and the case's state it met."""
        names = self._names()
        out = []
        where = "" if settled else "where c.settled_by is null"
        for r in self.db.query(
                "select c.journal_id, c.why, c.params, c.settled_by, d.number, d.status, "
                "j.action, j.on_date, j.actor, j.recorded_at, coalesce(j.origin, :me) as origin, "
                "j.data, j.reason from sync_conflicts c join demands d on d.id = c.demand_id "
                f"join journal j on j.id = c.journal_id {where} order by d.number, j.id",
                {"me": self.me}):
            out.append({
                "number": r["number"], "status": r["status"], "action": r["action"],
                "on_date": r["on_date"], "actor": r["actor"], "recorded_at": r["recorded_at"],
                "ledger": names.get(r["origin"], r["origin"][:8]), "why": r["why"],
                "params": {**json.loads(r["params"]), "number": r["number"]},
                "reason": r["reason"],
                "data": json.loads(r["data"]), "settled_by": r["settled_by"],
                "journal_id": r["journal_id"]})
        return out

    def status(self) -> dict[str, Any]:
        """This ledger, and per known ledger what was last sent and received, and when."""
        try:
            name = self.name()
        except Refused:
            name = None
        head_id, _ = head(self.db)
        peers = []
        for p in self.peers():
            # (of the events a bundle to it would hold, those it wrote itself never go back)
            pending = self.db.execute(
                "select count(*) from journal where subject = 'demand' and id > ? and "
                "(origin is null or origin <> ?)", [p["acked_upto"], p["ledger_id"]]).fetchone()[0]
            peers.append({**p, "pending": pending})
        from ..io.signing import fingerprint

        for p in peers:
            p["fingerprint"] = fingerprint(p["public_key"]) if p["public_key"] else None
        open_conflicts = self.db.execute(
            "select count(*) from sync_conflicts where settled_by is null").fetchone()[0]
        return {"ledger_id": self.me, "name": name, "head": head_id,
                "fingerprint": fingerprint(self.public_key()), "peers": peers,
                "conflicts": open_conflicts}


def replay_tolerant(ordered: list[Any], applied: list[Any] | None = None) -> tuple[
        lifecycle.State | None, dict[int, Refused], dict[tuple[str, int], int]]:
    """Replay rows ``(origin, on, recorded_at, id, action, data, reason, origin_id)`` in the
    order given, skipping (and returning, by index) the events the rules refuse; with the
    journal id that settled each refused event (by its global identity), where one did.
    The events applied, as ``(action, data, on)``, are appended to ``applied`` if given."""
    events, named = [], []
    for _, on, _, jid, action, data, reason, _ in ordered:
        d, settled = _data(data, reason)
        events.append((action, d, on))
        if settled:
            named.append((jid, settled))
    try:  # the common case, every event applies: one replay, no copy of the state per step
        state = lifecycle.replay(events)
    except (Refused, ValueError):
        return _replay_refusing(ordered, applied)
    if applied is not None:
        applied.extend(events)
    settles: dict[tuple[str, int], int] = {}
    for jid, settled in named:
        for origin, origin_id in settled:
            settles.setdefault((origin, origin_id), jid)
    return state, {}, settles


def _data(data: str, reason: str | None) -> tuple[dict[str, Any], Any]:
    """An event's data as a step takes it (the reason folded in), and the conflicts it
    names as settled."""
    d = json.loads(data)
    settled = d.pop("settles", None)
    if reason:
        d["reason"] = reason
    return d, settled


def _replay_refusing(ordered: list[Any], applied: list[Any] | None) -> tuple[
        lifecycle.State | None, dict[int, Refused], dict[tuple[str, int], int]]:
    """``replay_tolerant`` step by step, for a case some of whose events are refused."""
    state: lifecycle.State | None = None
    refused: dict[int, Refused] = {}
    settles: dict[tuple[str, int], int] = {}
    for i, (_, on, _, jid, action, data, reason, _) in enumerate(ordered):
        d, named = _data(data, reason)
        try:
            state = lifecycle.apply(state, action, d, on)
        except Refused as e:
            refused[i] = e
            continue
        except ValueError:
            refused[i] = Refused("sync.unknown_action", action=action)
            continue
        if applied is not None:
            applied.append((action, d, on))
        for origin, origin_id in named or ():
            settles.setdefault((origin, origin_id), jid)
    return state, refused, settles


def verified_key(bundle: Any) -> str:
    """The public key that signed a bundle, once its signature is checked against its
    content as written; refused if it has none or it does not match."""
    import sqlite3

    from ..io.bundle import content_digest
    from ..io.signing import verify

    path, info = str(bundle.path), bundle.info
    key, signature = info.get("signed_by"), info.get("signature")
    if not signature:
        raise Refused("sync.unsigned", path=path, name=info.get("from_name") or "?")
    try:
        good = (isinstance(key, str) and isinstance(signature, str)
                and verify(key, signature, content_digest(bundle.conn)))
    except (ValueError, sqlite3.Error):
        good = False
    if not good:
        raise Refused("sync.bad_signature", path=path, name=info.get("from_name") or "?")
    return key


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if isinstance(v, (str, int, float, list)) or v is None}


def _named(rows: Iterable[tuple[Any, ...]], kind: str) -> set[int]:
    """The ids of ``kind`` (``ID_KEYS``) that the events ``rows`` (their data at 7) name."""
    found: set[int] = set()
    for r in rows:
        if "_id" in r[7]:
            for m in _ID_VALUE.finditer(r[7]):
                if ID_KEYS[m.group(1)] == kind:
                    found.update(int(x) for x in re.findall(r"\d+", m.group(2)))
    return found


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_DEPTH = 16  # of an event's data: a step's is 3 at most (settles: [[ledger, id]])


def _json_object(data: Any) -> bool:
    """Whether ``data`` is the JSON text of an object nested no deeper than ``MAX_DEPTH``
    (the depth counted from the text, before it is parsed: 100,000 brackets never reach the
    parser's recursion)."""
    if not isinstance(data, str) or not data.lstrip().startswith("{"):
        return False
    if data.count("[") + data.count("{") > MAX_DEPTH:  # (rare: only then counted exactly)
        if not _shallow(data):
            return False
    try:
        return isinstance(json.loads(data), dict)
    except (ValueError, RecursionError):
        return False


def _shallow(data: str) -> bool:
    depth = 0
    in_string = escaped = False
    for ch in data:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def _ledger_id_of(path: Path) -> str | None:
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("select value from meta where key = 'ledger_id'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


class Authority:
    """Who may write on which case: the one rule, asked by an import (of every event of a
    bundle, and of the ledger that sends it, before anything is written) and by an export
    (a step is never passed on that its writer could not write).

    Cases travel one way up and come back to their home (``Sync.export``): a ledger's own
    cases go to the ledgers whose cases it does not hold (a township's to its county), and an
    upper ledger's steps on them go back to the home only. So the ledgers that hold a case,
    and may write on it, are

    - its home ledger (which alone creates it);
    - the ledger it was sent up to (the county), on cases that went up to it: at the home,
      its upper ledger (one it has received from whose cases it does not hold; before any,
      the sender of a first answer), on cases the home had sent when it last wrote a bundle
      or that the upper acknowledged having received; at the county, the county itself;
    - a ledger a case was sent to (today, by the same export rule, only the upper one). A
      case of a ledger this one knows nothing of (a full bundle relayed whole) is taken from
      its home and from the ledger that relays it, and from no one else.

    ``me``'s view only: what it holds, whom it exchanges with, what it sent."""

    def __init__(self, db: Any, me: str, *, sender: str | None = None, acked: int = 0,
                 arriving: Iterable[str] = ()) -> None:
        self.db, self.me, self.sender = db, me, sender
        # the ledgers whose cases are here (this one is their upper)
        self.gathered = {o for (o,) in db.execute(
            "select distinct origin_ledger from demands where origin_ledger is not null")}
        peers = {r[0]: r for r in db.execute(
            "select ledger_id, sent_upto, acked_upto, bundles_in from sync_peers")}
        self.known = self.gathered | set(peers) | {me}
        # The ledger this one sends its cases up to: one it has received from whose cases
        # it does not hold (nor receive now); before any, the sender of a first answer.
        holders = self.gathered | (set(arriving) - {me})
        self.uppers = {k for k, p in peers.items() if p[3] and k not in holders}
        if not self.uppers and sender is not None and sender not in holders:
            self.uppers = {sender}
        row = db.execute("select value from meta where key = 'sync_sent_upto'").fetchone()
        everyone = int(row[0]) if row and str(row[0]).isdigit() else 0
        # how far this ledger's journal has gone up to each ledger (sent, or acknowledged)
        self.reach = {k: max(everyone, int(p[1] or 0), int(p[2] or 0)) for k, p in peers.items()}
        if sender is not None:
            self.reach[sender] = max(self.reach.get(sender, everyone), int(acked or 0))
        self.everyone = everyone
        self._first: dict[int, int] = {}

    def _first_row(self, case: int) -> int:
        if case not in self._first:
            row = self.db.execute("select min(id) from journal where subject = 'demand' and "
                                  "subject_id = ? and origin is null", [case]).fetchone()
            self._first[case] = row[0] if row and row[0] is not None else 0
        return self._first[case]

    def may_write(self, writer: str, home: str, case: int | None) -> bool:
        """May ledger ``writer`` write events on the case whose home ledger is ``home``
        (``case``: its id here, ``None`` when it is not here)?"""
        if writer == home:
            return True
        if home == self.me:  # this ledger's own case: its upper ledger, once it went up
            return (case is not None and writer in self.uppers
                    and self._first_row(case) <= self.reach.get(writer, self.everyone))
        if home in self.gathered:  # a case sent up here: this ledger only
            return writer == self.me
        if home in self.known:  # a ledger known here, whose cases are not here
            return False
        return writer == self.sender  # relayed whole by the ledger that holds it


class _Import:
    """One bundle taken in: the checks, then the one transaction."""

    def __init__(self, sync: Sync, bundle: Any, kind: str, source: Path,
                 progress: Progress | None = None) -> None:
        self.S, self.L, self.db, self.b = sync, sync.L, sync.db, bundle
        self.progress = progress
        self.kind, self.source = kind, source
        self.info = bundle.info
        self.src = self.info["from_id"]
        self.me = sync.me
        self.key = ""  # the sender's public key, once its signature is checked
        self.ids: dict[str, dict[Any, Any]] = {k: {} for k in (
            "township", "village", "grid", "unit", "cadre", "resident", "visit", "meeting",
            "demand")}

    # the checks, before anything is written

    def check(self) -> dict[str, Any] | None:
        info, path = self.info, str(self.b.path)
        self._check_pages()
        if self.src == self.me:
            raise Refused("sync.own_bundle", path=path)
        if info.get("to_id") and info["to_id"] != self.me:
            raise Refused("sync.not_for_us", path=path, to=info.get("to_name") or info["to_id"])
        peer = next(iter(self.db.query("select * from sync_peers where ledger_id = ?",
                                       [self.src])), None)
        received = peer["received_upto"] if peer else 0
        try:
            start, end = int(info["range_from"] or 0), int(info["range_to"])
            int(info["head_id"])
        except ValueError:
            raise self._bad("info", "range", "range_from, range_to, head_id") from None
        if start > received:
            raise Refused("sync.gap", path=path, name=info["from_name"], have=received,
                          start=start)
        # Who sent it first: a bundle changed on the way is told as changed, whatever the
        # change broke; then its content, by the rules of every door; then its chain.
        self.key = verified_key(self.b)
        if self.kind != "merge":
            self._check_key(peer)
        from ..io.bundle import check_content

        check_content(self.b, self.source)  # the rules of every door, for every value
        # Every row against the sender's chain: its own hash, and its link to the row
        # before when that row is in the bundle too.
        last_id, last_hash = None, None
        cursor = self.b.conn.cursor()
        cursor.row_factory = None
        for r in cursor.execute(
                "select id, 'demand', subject_id, action, on_date, actor, os_user, reason, data, "
                "recorded_at, command, origin, origin_id, prev, hash from events order by id"):
            rid, prev, hash_ = r[0], r[13], r[14]
            if prev is None:  # linked to the row just above it in the bundle
                prev = last_hash if last_id == rid - 1 else None
            if (prev is None or chain_hash(prev, r[:13] if r[11] else r[:11]) != hash_
                    or (last_id == rid - 1 and prev != last_hash) or not start < rid <= end):
                raise Refused("sync.tampered", path=path, id=rid)
            last_id, last_hash = rid, hash_
        if last_id == int(info["head_id"]) and last_hash != info["head_hash"]:
            raise Refused("sync.tampered", path=path, id=last_id)
        self._check_events()
        return dict(peer) if peer else None

    def _check_key(self, peer: Any) -> None:
        """The sender's key against the one pinned for it; a ledger never seen, against the
        names of those known (a new identity may not take a known ledger's name)."""
        from ..io.signing import fingerprint

        info, path = self.info, str(self.b.path)
        name = info["from_name"]
        pinned = peer["public_key"] if peer else None
        if pinned and pinned != self.key:
            raise Refused("sync.key_changed", path=path, name=name,
                          pinned=fingerprint(pinned), found=fingerprint(self.key))
        if peer is None or peer["name"] != name:
            known = {n for (n,) in self.db.execute(
                "select name from sync_peers where ledger_id <> :src union select name from "
                "origins where ledger_id <> :src", {"src": self.src}) if n}
            try:
                known.add(self.S.name())
            except Refused:
                pass
            if name in known and peer is None:
                raise Refused("sync.name_taken", path=path, name=name,
                              found=fingerprint(self.key))
            if name in known:  # a ledger known here, renamed to another's name
                raise Refused("sync.name_claimed", path=path, name=name,
                              was=peer["name"] or self.src[:8])

    def _need(self, kind: str, their_id: Any, table: str, row: Any) -> Any:
        """The id here of the row ``their_id`` of ``kind`` that a row of the bundle names;
        a row the bundle does not hold makes it malformed."""
        try:
            return self.ids[kind][their_id]
        except (KeyError, TypeError):
            raise self._bad(table, row, f"{kind}_id") from None

    def _json_list(self, text: Any, table: str, row: Any) -> list[Any]:
        try:
            value = json.loads(text or "[]")
        except (ValueError, TypeError, RecursionError):
            value = None
        if not isinstance(value, list) or not all(isinstance(x, (int, str)) for x in value):
            raise self._bad(table, row, "json")
        return value

    def _bad(self, table: str, row: Any, what: str) -> BadInput:
        """A bundle whose content does not parse: exit 2, naming the file and the row."""
        return BadInput("sync.bad_content", path=str(self.b.path), table=table, id=row,
                        what=what)

    def _check_pages(self) -> None:
        """Every page of the bundle readable (SQLite's own check), so that a damaged bundle
        is told as the bundle's damage, never as this ledger's."""
        import sqlite3

        try:
            found = [r[0] for r in self.b.conn.execute("pragma quick_check(1)")]
        except sqlite3.DatabaseError as e:
            found = [str(e)]
        if found != ["ok"]:
            raise BadInput("sync.bundle_damaged", path=str(self.b.path),
                           why=" ".join(str(found[0]).split())[:200])

    def _check_events(self) -> None:
        """Every event of the bundle well formed (its data a JSON object, its dates dates) and
        on a case of the bundle; then the one rule (``Authority``): every event written by a
        ledger that may write on its case, and brought by one that may hold it. Before
        anything is written: the bundle is refused whole."""
        path, me, src = str(self.b.path), self.me, self.src
        acked = 0
        for a in self.b.rows("acks"):
            if a["ledger_id"] == me and str(a["upto"] or 0).isdigit():
                acked = int(a["upto"] or 0)
        rule = Authority(self.db, me, sender=src, acked=acked, arriving={
            h for (h,) in self.b.conn.execute("select distinct home from demands where id in "
                                              "(select subject_id from events)")})
        names = self.S._names()
        names[src] = self.info.get("from_name") or src[:8]
        # the bundle's cases: (home, id here or None, the number as shown here)
        cases: dict[int, tuple[str, int | None, str]] = {}
        received = None
        for d in self.b.rows("demands"):
            home, number, home_name = d["home"], d["home_number"], d["home_name"]
            if not (isinstance(d["id"], int) and isinstance(home, str) and home
                    and isinstance(number, str) and number and isinstance(home_name, str)):
                raise self._bad("demands", d["id"], "home, home_number")
            if home == me:
                row = self.db.execute("select id from demands where number = ? and "
                                      "origin_ledger is null", [number]).fetchone()
                local = row[0] if row else None
                shown = number
            else:
                if received is None:
                    received = {(o, n): i for i, o, n in self.db.execute(
                        "select id, origin_ledger, origin_number from demands where "
                        "origin_ledger is not null")}
                local = received.get((home, number))
                shown = f"{home_name}{SEPARATOR}{number}"
            cases[d["id"]] = (home, local, shown)
        cursor = self.b.conn.cursor()
        cursor.row_factory = None
        for rid, subject_id, action, on_date, recorded_at, data, origin, origin_id in \
                cursor.execute("select id, subject_id, action, on_date, recorded_at, data, "
                               "origin, origin_id from events order by id"):
            if subject_id not in cases:
                raise self._bad("events", rid, "subject_id")
            if not isinstance(action, str) or not action:
                raise self._bad("events", rid, "action")
            if not (isinstance(on_date, str) and _DAY.fullmatch(on_date)):
                raise self._bad("events", rid, "on_date")
            if recorded_at is not None and not isinstance(recorded_at, str):
                raise self._bad("events", rid, "recorded_at")
            if origin is not None and not (isinstance(origin, str) and origin
                                           and isinstance(origin_id, int)):
                raise self._bad("events", rid, "origin")
            if not _json_object(data):
                raise self._bad("events", rid, "data")
            home, local, shown = cases[subject_id]
            writer = origin or src
            if writer == me:
                continue  # this ledger's own events: never taken in again
            if home == me and local is None:
                raise Refused("sync.unknown_own", path=path, what="demand", id=shown)
            for who in dict.fromkeys((src, writer)):
                if not rule.may_write(who, home, local):
                    raise Refused("sync.not_allowed", path=path, id=rid, action=action,
                                  number=shown, writer=names.get(who) or who[:8])

    def run(self) -> SyncResult:
        peer = self.check()
        info = self.info
        result = SyncResult(source=str(self.source), peer=info["from_name"],
                            range=(int(info["range_from"] or 0), int(info["range_to"])))
        if self.b.count("events") > LARGE_EVENTS:
            self.db.set_cache(CACHE_KIB)  # a first sync: every index of the journal grows
            if not self.db.conn.in_transaction:  # (import_many has set it already)
                _sort_in_files(self.db)
        with self.db.atomic():
            self._registers(result)
            self._residents(result)
            self._visits(result)
            self._events(result)
            self._note_peer(peer, result)
            if self.kind == "merge":
                self.L.registers.note_origin(self.src, info["from_name"], str(self.source),
                                             self.L.today.isoformat())
            self.L.journal.write("sync", 0, self.kind, self.L.today.isoformat(), {
                "origin": self.src, "name": info["from_name"], "path": str(self.source),
                "range": list(result.range), "events": result.events,
                "demands": result.demands, "updated": result.updated,
                "residents": result.residents, "visits": result.visits,
                **({"pinned": result.pinned} if result.pinned else {})})
        return result

    # registers by name, created when missing

    def _registers(self, result: SyncResult) -> None:
        mine, created = self.L.registers, result.created

        def match(kind: str, table: str, name: str, add: Any, where: str = "",
                  params: tuple[Any, ...] = ()) -> int:
            found = mine.find(table, name, where, params)
            if found:
                return found["id"]
            created[kind] = created.get(kind, 0) + 1
            return add()

        rows = self.b.rows
        for t in rows("townships", "order by id"):
            self.ids["township"][t["id"]] = match(
                "township", "townships", t["name"], lambda: mine.add_township(t["name"]))
        result.townships = len(self.ids["township"])
        for v in rows("villages", "order by id"):
            if v["township_id"] is not None and v["township_id"] not in self.ids["township"]:
                raise self._bad("villages", v["id"], "township_id")
            tid = self.ids["township"].get(v["township_id"])
            self.ids["village"][v["id"]] = match(
                "village", "villages", v["name"],
                lambda: mine.add_village_to(v["name"], tid, v["kind"]),
                "and township_id is ?", (tid,))
        for g in rows("grids", "order by id"):
            vid = self._need("village", g["village_id"], "grids", g["id"])
            self.ids["grid"][g["id"]] = match(
                "grid", "grids", g["name"], lambda: mine.add_grid_to(g["name"], vid),
                "and village_id = ?", (vid,))
        for u in rows("units", "order by id"):
            self.ids["unit"][u["id"]] = match(
                "unit", "units", u["name"], lambda: mine.add_unit(u["name"], u["level"]))
        units = None
        for c in rows("cadres", "order by id"):
            if units is None:
                units = mine.unit_names()
            unit = units.get(self.ids["unit"].get(c["unit_id"]))
            self.ids["cadre"][c["id"]] = match(
                "cadre", "cadres", c["name"], lambda: mine.add_cadre(c["name"], unit, c["phone"]))
        for term in rows("terms"):
            match(term["kind"], "terms", term["name"],
                  lambda: mine.add_term(term["kind"], term["name"]), "and kind = ?",
                  (term["kind"],))
        # A meeting whose decisions travel is the same meeting where it has the same day,
        # kind and attendees; else it is recorded here too.
        for m in rows("meetings", "order by id"):
            record = {"held_on": m["held_on"], "kind": m["kind"], "attendees": m["attendees"]}
            found = self.db.execute("select id from meetings where held_on = ? and kind = ? "
                                    "and attendees = ?", list(record.values())).fetchone()
            if found is None:
                created["meeting"] = created.get("meeting", 0) + 1
            self.ids["meeting"][m["id"]] = found[0] if found else mine._added(
                "meeting", "meetings", record)

    # residents and visits by their global identity

    def _residents(self, result: SyncResult) -> None:
        R = self.L.residents
        known = {(o, i): rid for rid, o, i in self.db.execute(
            "select id, origin_ledger, origin_id from residents where origin_ledger is not null")}
        by_id_number = dict(self.db.execute(
            "select id_number, id from residents where id_number is not null").fetchall())
        new: list[tuple[Any, ...]] = []
        waiting: list[tuple[int, int]] = []  # (their id, index in new)
        for r in self.b.rows("residents", "order by id"):
            home, home_id = r["home"], str(r["home_id"])
            if home == self.me:
                found = int(home_id)
                if not self.db.execute("select 1 from residents where id = ?",
                                       [found]).fetchone():
                    raise Refused("sync.unknown_own", path=str(self.b.path), what="resident",
                                  id=home_id)
            else:
                found = known.get((home, home_id))
                if found is None and r["id_number"]:
                    found = by_id_number.get(r["id_number"])  # one person, by ID number
            if found is None:
                if r["id_number"]:
                    by_id_number[r["id_number"]] = -len(new) - 1  # taken, by this batch
                waiting.append((r["id"], len(new)))
                new.append((r["name"], self._need("village", r["village_id"], "residents", r["id"]),
                            self.ids["grid"].get(r["grid_id"]), r["phone"], r["id_number"],
                            r["address"], r["note"], self._json_list(r["tags"], "residents",
                                                                      r["id"]),
                            (home, home_id), r["created_on"], r["org_kind"]))
            else:
                self.ids["resident"][r["id"]] = found
                if home == self.src and known.get((home, home_id)) == found:
                    result.pages += self._follow_page(found, r)
        ids = R.insert_many(new) if new else []
        for theirs, k in waiting:
            self.ids["resident"][theirs] = ids[k]
        for theirs, mine in list(self.ids["resident"].items()):
            if mine < 0:  # the same person twice in the bundle: the first one written
                self.ids["resident"][theirs] = ids[-mine - 1]
        # A page the sender merged into another is that page here too (its demands' first
        # steps still name it).
        for gone, into in self.b.rows("merged_residents"):
            if into in self.ids["resident"]:
                self.ids["resident"][gone] = self.ids["resident"][into]
        result.residents += len(new)

    # What of a page follows the ledger that keeps it (its home): the phone, the address,
    # the note, and tags it gained. The name, the place and the ID number, which say who the
    # person is, stay as first received.
    FOLLOWED = ("phone", "address", "note")

    def _follow_page(self, resident_id: int, theirs: Any) -> int:
        """A page here brought up to date by its home ledger (journaled as an ``update``);
        1 if anything changed."""
        R = self.L.residents
        mine = self.db.execute(f"select {', '.join(self.FOLLOWED)} from residents where id = ?",
                               [resident_id]).fetchone()
        changes = {k: theirs[k] for k, v in zip(self.FOLLOWED, mine) if theirs[k] != v}
        held = set(R.tags(resident_id))
        tags = [t for t in json.loads(theirs["tags"] or "[]") if t not in held]
        if not changes and not tags:
            return 0
        R.update(resident_id, changes, tags)
        return 1

    def _visits(self, result: SyncResult) -> None:
        known = {(o, i): vid for vid, o, i in self.db.execute(
            "select id, origin_ledger, origin_id from visits where origin_ledger is not null")}
        new: list[tuple[Any, ...]] = []
        waiting: list[tuple[int, int]] = []
        for v in self.b.rows("visits", "order by id"):
            home, home_id = v["home"], str(v["home_id"])
            found = int(home_id) if home == self.me else known.get((home, home_id))
            if found is None:
                waiting.append((v["id"], len(new)))
                new.append((v["visited_on"], self._need("village", v["village_id"], "visits",
                                                         v["id"]),
                            self.ids["grid"].get(v["grid_id"]),
                            self.ids["resident"].get(v["resident_id"]), v["channel"], v["note"],
                            [self._need("cadre", c, "visits", v["id"])
                             for c in self._json_list(v["cadre_ids"], "visits", v["id"])],
                            None, (home, home_id)))
            else:
                self.ids["visit"][v["id"]] = found
        ids = self.L.visits.insert_many(new) if new else []
        for theirs, k in waiting:
            self.ids["visit"][theirs] = ids[k]
        result.visits += len(new)

    # the events

    def _translate(self, data: str, rid: int = 0) -> str:
        """An event's data with the ids it names (``ID_KEYS``) as this ledger's: the numbers
        replaced in the JSON text, the rest of it as the sender wrote it (a key inside a
        string is escaped there, and never matched)."""
        if "_id" not in data:
            return data
        ids = self.ids

        def here(m: re.Match[str]) -> str:
            table = ids[ID_KEYS[m.group(1)]]
            value, head = m.group(2), m.group(0)[:m.start(2) - m.start(0)]
            try:
                if value[0] != "[":
                    return head + str(table[int(value)])
                inner = [x for x in value[1:-1].split(",") if x.strip()]
                return head + "[" + ", ".join(str(table[int(x)]) for x in inner) + "]"
            except (KeyError, ValueError):  # names a row the bundle does not hold
                raise self._bad("events", rid, m.group(1)) from None

        return _ID_VALUE.sub(here, data)

    def _events(self, result: SyncResult) -> None:
        db, me, src = self.db, self.me, self.src
        # The cases: this ledger's own, ones it has from their home ledger, or new ones.
        cases: dict[int, tuple[int | None, str, str, str]] = {}
        received = {(o, n): i for i, o, n in db.execute(
            "select id, origin_ledger, origin_number from demands where origin_ledger is not null")}
        for d in self.b.rows("demands"):
            home, number = d["home"], d["home_number"]
            if home == me:
                row = db.execute("select id from demands where number = ? and origin_ledger "
                                 "is null", [number]).fetchone()
                local = row[0] if row else None
                if local is None:
                    raise Refused("sync.unknown_own", path=str(self.b.path), what="demand",
                                  id=number)
            else:
                local = received.get((home, number))
            cases[d["id"]] = (local, home, number, d["home_name"])
            if local is not None:
                self.ids["demand"][d["id"]] = local
        # The events this ledger has already, by global identity (and, for cases merged
        # before events had one, by what they recorded).
        have: dict[str, set[int]] = {}
        for origin in {r[0] for r in self.b.conn.execute(
                "select distinct coalesce(origin, ?) from events", [src])}:
            if origin != me:
                have[origin] = {i for (i,) in db.execute(
                    "select origin_id from journal where origin = ?", [origin])}
        legacy = self._legacy_copies([c[0] for c in cases.values() if c[0] is not None])
        # Every case new here has its id before any is written (a repeat link may name a
        # later one); they are written in the order of the sender's ids.
        new = _NewCases(self, cases, result, [i for (i,) in self.b.conn.execute(
            "select distinct subject_id from events order by subject_id")
            if cases[i][0] is None])
        old_cases: dict[int, list[tuple[Any, ...]]] = {}
        cursor = self.b.conn.cursor()
        cursor.row_factory = None
        translate = self._translate
        # Case by case (the bundle's index by case), so that a whole township is never held
        # in memory at once.
        rows = cursor.execute(
            "select subject_id, id, action, on_date, actor, os_user, reason, data, "
            "recorded_at, origin, origin_id from events order by subject_id, id")
        for subject_id, group in itertools.groupby(rows, key=itemgetter(0)):
            local = cases[subject_id][0]
            events = []
            for (_, rid, action, on_date, actor, os_user, reason, data, recorded_at,
                 stored_origin, stored_origin_id) in group:
                origin = stored_origin or src
                origin_id = stored_origin_id if stored_origin else rid
                if origin == me or origin_id in have[origin]:
                    continue
                if local is not None and legacy and (local, action, on_date, recorded_at,
                                                     actor) in legacy:
                    continue
                have[origin].add(origin_id)
                events.append((origin, on_date, recorded_at or "", action, translate(data, rid),
                               reason, origin_id, actor, os_user, recorded_at))
            if not events:
                continue
            if local is None:
                new.add(subject_id, events)
            else:
                old_cases[subject_id] = events
        new.finish()
        result.skipped = sum(1 for k, c in cases.items() if c[0] is not None
                             and k not in old_cases)
        self._old_cases(old_cases, cases, result)

    def _legacy_copies(self, local: list[int]) -> set[tuple[Any, ...]]:
        """Events of cases merged before events had a global identity (copied without it),
        of the cases here that the bundle is about."""
        if not local or not self.db.execute(
                "select 1 from journal where subject = 'merge' limit 1").fetchone():
            return set()
        self.db.execute("create temp table if not exists sync_local (id integer primary key)")
        self.db.execute("delete from sync_local")
        self.db.conn.executemany("insert into sync_local values (?)", [(i,) for i in local])
        found = {tuple(r) for r in self.db.execute(
            "select j.subject_id, j.action, j.on_date, j.recorded_at, j.actor from journal j "
            "join demands d on d.id = j.subject_id where j.subject = 'demand' and j.origin "
            "is null and d.origin_ledger is not null and j.subject_id in (select id from "
            "sync_local) and j.command in (select command from journal where subject = "
            "'merge')")}
        self.db.execute("drop table temp.sync_local")
        return found

    def _link(self, events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """A repeat link (重复诉求, ``repeat_of``: the id of another case) as this ledger's id,
        once every case of the bundle has one here; dropped when that case did not come."""
        out = []
        for e in events:
            if '"repeat_of"' in e[4]:
                d = json.loads(e[4])
                if d.get("repeat_of") is not None:
                    d["repeat_of"] = self.ids["demand"].get(d["repeat_of"])
                    e = (*e[:4], journal_json(d), *e[5:])
            out.append(e)
        return out

    def _rows(self, demand_id: int, events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """A case's new events as journal rows (appended by the caller, in this order)."""
        received = self.L.journal.received
        return [received(demand_id, {
            "action": e[3], "on_date": e[1], "actor": e[7], "reason": e[5],
            "recorded_at": e[9], "os_user": e[8]}, e[4], e[0], e[6]) for e in events]

    def _old_cases(self, old_cases: dict[int, list[tuple[Any, ...]]],
                   cases: dict[int, tuple[int | None, str, str, str]], result: SyncResult) -> None:
        for their_id, events in old_cases.items():
            local = cases[their_id][0]
            assert local is not None
            self.L.journal.write_many(self._rows(local, self._link(events)))
            self.S.refresh(local)
            result.updated += 1
            result.events += len(events)
            result.conflicts += self.db.execute(
                "select count(*) from sync_conflicts where demand_id = ? and settled_by is null",
                [local]).fetchone()[0]

    def _note_peer(self, peer: dict[str, Any] | None, result: SyncResult) -> None:
        info, db = self.info, self.db
        acked = 0
        for a in self.b.rows("acks"):
            if a["ledger_id"] == self.me:
                acked = int(a["upto"] or 0)
        end = int(info["range_to"])
        if peer is None:
            db.execute("insert into sync_peers (ledger_id, name) values (?, ?)",
                       [self.src, info["from_name"]])
            peer = {"received_upto": 0, "acked_upto": 0, "public_key": None}
        if not peer["public_key"] and self.kind != "merge":  # trust on first use
            from ..io.signing import fingerprint

            db.execute("update sync_peers set public_key = ?, key_pinned_on = ? where "
                       "ledger_id = ?", [self.key, self.L.today.isoformat(), self.src])
            result.pinned = fingerprint(self.key)
        upto = max(peer["received_upto"], end)
        hash_ = info["head_hash"] if upto == end else None
        db.execute(
            "update sync_peers set name = ?, received_upto = ?, "
            "received_hash = coalesce(?, received_hash), received_on = ?, received_at = ?, "
            "bundles_in = bundles_in + 1, acked_upto = max(acked_upto, ?) where ledger_id = ?",
            [info["from_name"], upto, hash_, self.L.today.isoformat(), self.L.now, acked,
             self.src])


class _NewCases:
    """Cases new to this ledger (a first sync brings a whole township), written a batch at a
    time: their rows in one statement, their events in one append; for a load large next to
    the ledger, with the secondary indexes and their triggers built once at the end
    (BulkDemands), all in the import's one transaction."""

    BATCH = 2_000  # cases held before they are written

    def __init__(self, imp: _Import, cases: dict[int, tuple[int | None, str, str, str]],
                 result: SyncResult, their_ids: list[int]) -> None:
        from .clocks import deadline_of

        self.imp, self.cases, self.result = imp, cases, result
        self.db, L = imp.db, imp.L
        self.deadline_of, self.policies, self.calendar = deadline_of, L.policies, L.calendar
        first = L.demands.next_id()
        for k, their_id in enumerate(their_ids):
            imp.ids["demand"][their_id] = first + k
        self.numbers = {n for (n,) in self.db.execute(
            "select number from demands where number like ?", [f"%{SEPARATOR}%"])}
        self.total = len(their_ids)
        self.bulk = L.demands.bulk()
        self.large = bool(their_ids) and self.bulk.is_large(len(their_ids))
        self.aside: list[str] = []
        if self.large:
            self.bulk.begin_load()
            # and the journal's indexes by case and by global identity, which nothing reads
            # until the load is done (the events already here were found before it)
            for name, sql in self.db.execute(
                    "select name, sql from sqlite_master where type = 'index' and name in "
                    "('idx_journal_subject_subject_id_id', 'idx_journal_origin')").fetchall():
                self.db.execute(f'drop index "{name}"')
                self.aside.append(sql)
        self.rows: list[dict[str, Any]] = []
        self.journal: list[tuple[Any, ...]] = []
        self.conflicts: list[tuple[Any, ...]] = []

    def add(self, their_id: int, events: list[tuple[Any, ...]]) -> None:
        imp = self.imp
        events = imp._link(events)
        _, home, number, home_name = self.cases[their_id]
        ordered = replay_order([(e[0], e[1], e[2], k, e[3], e[4], e[5], e[6])
                                for k, e in enumerate(events)])
        applied: list[Any] = []
        state, refused, settles = replay_tolerant(ordered, applied)
        if state is None:
            raise Refused("sync.case_without_acceptance", id=number)
        local = f"{home_name}{SEPARATOR}{number}"
        if local in self.numbers:  # two ledgers of one name: told apart by their identity
            local = f"{home_name}#{home[:6]}{SEPARATOR}{number}"
        self.numbers.add(local)
        demand_id = imp.ids["demand"][their_id]
        row = {"id": demand_id, "number": local, **to_row(state), "origin_ledger": home,
               "origin_number": number}
        # its deadline by this ledger's calendar and policies, as every step computes it
        row["due_on"], row["due_provisional"] = self.deadline_of(
            state["category"], state["type"], state["complexity"], applied, self.policies,
            self.calendar)
        self.rows.append(row)
        if refused:
            self.conflicts.append((demand_id, len(self.journal), ordered, refused, settles))
        self.journal += imp._rows(demand_id, events)
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        db, rows = self.db, self.rows
        columns = list(rows[0])
        db.conn.executemany(
            f"insert into demands ({', '.join(columns)}) values "
            f"({', '.join('?' for _ in columns)})", [[r[c] for c in columns] for r in rows])
        first = head(db)[0] + 1
        self.imp.L.journal.write_many(self.journal)
        for demand_id, offset, ordered, refused, settles in self.conflicts:
            # ordered[i][3] is the event's place among the case's new rows
            at = [(o[0], o[1], o[2], first + offset + o[3], *o[4:]) for o in ordered]
            self.imp.S._store_conflicts(demand_id, at, refused, settles)
            self.result.conflicts += sum(1 for i in refused
                                         if (at[i][0], at[i][7]) not in settles)
        self.result.demands += len(rows)
        self.result.events += len(self.journal)
        self.rows, self.journal, self.conflicts = [], [], []
        if self.imp.progress is not None:
            self.imp.progress(self.result.demands, self.total)

    def finish(self) -> None:
        self.flush()
        if self.large:
            for sql in self.aside:  # (the one by global identity refuses an event twice)
                self.db.execute(sql)
            self.bulk.end_load()
