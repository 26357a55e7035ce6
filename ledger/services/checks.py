"""The ledger's own check: SQLite's integrity check, then the ledger's invariants.

An empty list of problems means all is well:

* the file is sound and every reference points to something that exists;
* the journal is whole: its triggers are those its migrations made (nothing dropped, altered
  or added), its ids run 1, 2, 3 ... without a gap, and every row's hash is the hash of its
  content and of the row before it (``store.journal``: the chain); with ``head`` (an id and
  hash recorded earlier, e.g. printed by ``ledger backup``), the chain still passes through
  that row with that hash;
* every projection agrees with its journal: every demand's stored state is the replay of its
  journal, and every resident, visit, township, village, grid, unit, cadre and vocabulary
  entry is what its journal rows (added, tagged, baseline ...) say, no more and no fewer;
* every open demand has a deadline.

Warnings do not make the ledger wrong but want a clerk's eye: names of one register that
look alike (``A村`` and ``Ａ村``) or carry invisible characters, written before names were
normalised on input.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from .. import lifecycle
from ..errors import BadInput
from ..models import name_key
from ..store.journal import GENESIS, chain_hash, chained_rows, head, undone_events
from ..store.journal import all_demand_events
from ..store.migrations import DEFAULT_CATEGORIES, DEFAULT_CHANNELS, DEFAULT_TYPES, migrations
from .demands import state_of

if TYPE_CHECKING:
    from . import Ledger


@dataclass
class Finding:
    """One thing wrong (or, ``warning``, worth a look), as a message key and parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    warning: bool = False


HEAD_PREFIX_MIN = 16  # hex digits of a recorded head that must be given (64 bits)


def parse_head(text: str) -> tuple[int, str]:
    """A chain head as recorded, ``ID:HASH`` (the hash in full or its first 16 or more hex
    digits; ``#`` before the id and spaces are allowed)."""
    m = re.fullmatch(r"\s*#?(\d{1,12})\s*[:：]\s*(?:sha256:)?([0-9a-fA-F]+)\s*", text or "")
    if not m or not HEAD_PREFIX_MIN <= len(m[2]) <= 64:
        raise BadInput("head.malformed", value=text, min=HEAD_PREFIX_MIN)
    return int(m[1]), m[2].lower()


@functools.lru_cache(maxsize=1)
def expected_triggers() -> dict[str, str]:
    """The triggers a ledger's migrations make, as SQL (whitespace folded), by name."""
    from sqlite_utils import Database

    mem = Database(sqlite3.connect(":memory:"))
    migrations.apply(mem)
    return {name: _fold(sql) for name, sql in mem.execute(
        "select name, sql from sqlite_master where type = 'trigger'")}


def _fold(sql: str | None) -> str:
    return " ".join((sql or "").split())


# The registers and people each journal subject stands for: its table and the columns its
# journal rows record (a row recorded before a column was journaled is held to the columns
# its rows have; migration m012 recorded a baseline of every resident, visit and cadre).
PROJECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "township": ("townships", ("name",)),
    "village": ("villages", ("name", "township_id", "kind", "key")),
    "grid": ("grids", ("name", "village_id")),
    "unit": ("units", ("name", "level")),
    "cadre": ("cadres", ("name", "unit_id", "phone")),
    "term": ("terms", ("kind", "name")),
    "resident": ("residents", ("name", "village_id", "grid_id", "phone", "id_number",
                               "address", "note", "org_kind")),
    "visit": ("visits", ("visited_on", "village_id", "grid_id", "resident_id", "channel",
                         "note")),
    "pair": ("pairs", ("village_id", "cadre_id", "unit_id", "resident_id", "role")),
    "meeting": ("meetings", ("held_on", "kind", "attendees")),
}
_SETS = {"resident": ("tags", "select group_concat(tag, char(31)) from resident_tags "
                              "where resident_id = x.id"),
         "visit": ("cadre_ids", "select group_concat(cadre_id, char(31)) from visit_cadres "
                                "where visit_id = x.id")}
_CREATES = ("add", "log", "baseline")


def _seeded_terms() -> Iterator[tuple[int, dict[str, Any]]]:
    """The vocabularies migration m001 seeds (ids 1 ...), which no journal row records."""
    names = [("channel", n) for n in DEFAULT_CHANNELS] + \
        [("category", n) for n in DEFAULT_CATEGORIES] + [("type", n) for n in DEFAULT_TYPES]
    for i, (kind, name) in enumerate(names, start=1):
        yield i, {"kind": kind, "name": name}


# Where a name is unique, for lookalikes: table -> the column it is unique within.
_NAME_SCOPES = {"townships": None, "villages": "township_id", "grids": "village_id",
                "units": None, "cadres": None, "terms": "kind", "residents": "village_id"}
_WHAT = {"townships": "township", "villages": "village", "grids": "grid", "units": "unit",
         "cadres": "cadre", "terms": "term", "residents": "resident"}


class Checks:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    def run(self, limit: int = 50, head: tuple[int, str] | None = None) -> list[Finding]:
        """Everything wrong with the ledger (at most ``limit`` findings of each kind), then
        the warnings."""
        db = self.db
        found: list[Finding] = []
        rows = db.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            found += [Finding("check.integrity", {"detail": r[0]}) for r in rows[:limit]]
            return found  # a damaged file: nothing below can be trusted
        found += self._triggers()
        found += self._chain(head, limit)
        for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()[:limit]:
            found.append(Finding("check.reference", {"table": table, "id": rowid, "parent": parent}))
        units = set(self.L.registers.unit_names())
        bad_units = []
        for number, co, summoned in db.execute("select number, co_unit_ids, summoned from demands"):
            ids = json.loads(co or "[]") + [u for u, _ in json.loads(summoned or "[]")]
            if any(u not in units for u in ids):
                bad_units.append(number)
        found += [Finding("check.unit_reference", {"number": n}) for n in bad_units[:limit]]
        # 双向派单 and the meeting: a locality is a village; a decision names a meeting.
        no_place = db.execute("select number from demands where locality_id is not null and "
                              "locality_id not in (select id from villages) order by number "
                              f"limit {int(limit)}").fetchall()
        found += [Finding("check.locality_reference", {"number": n}) for (n,) in no_place]
        no_meeting = db.execute(
            "select j.id, d.number from journal j join demands d on d.id = j.subject_id "
            "where j.subject = 'demand' and j.action = 'decide' and "
            "json_extract(j.data, '$.meeting_id') not in (select id from meetings) "
            "order by j.id").fetchall()
        undone_now = undone_events(db) if no_meeting else set()
        found += [Finding("check.meeting_reference", {"number": n})
                  for jid, n in no_meeting if jid not in undone_now][:limit]
        # A demand whose acceptance was undone has a journal and, rightly, no row.
        undone = undone_events(db)
        orphans = db.execute("select subject_id, group_concat(id) from journal where subject = "
                             "'demand' and subject_id not in (select id from demands) "
                             "group by subject_id").fetchall()
        orphans = [i for i, ids in orphans if not set(map(int, ids.split(","))) <= undone]
        found += [Finding("check.orphan_journal", {"id": i}) for i in orphans[:limit]]
        no_clock = db.execute("select number from demands where status = 'open' and due_on is "
                              "null and due_provisional = 0 order by number").fetchall()
        found += [Finding("check.no_deadline", {"number": n}) for (n,) in no_clock[:limit]]
        found += self._journal_agreement(limit)
        found += self._conflicts(limit)
        found += self._projections(undone, limit)
        found += self._templates()
        return found + self._lookalikes(limit)

    @staticmethod
    def problems(findings: list[Finding]) -> list[Finding]:
        """The findings that make the ledger wrong (not the warnings)."""
        return [f for f in findings if not f.warning]

    def head(self) -> tuple[int, str]:
        """The chain head: the last journal row's id and hash."""
        return head(self.db)

    # --- the journal itself ---------------------------------------------------------------

    def _triggers(self) -> list[Finding]:
        have = {name: _fold(sql) for name, sql in self.db.execute(
            "select name, sql from sqlite_master where type = 'trigger'")}
        out = []
        for name, sql in expected_triggers().items():
            if name not in have:
                out.append(Finding("check.trigger_missing", {"name": name}))
            elif have[name] != sql:
                out.append(Finding("check.trigger_altered", {"name": name}))
        out += [Finding("check.trigger_unknown", {"name": n})
                for n in sorted(set(have) - set(expected_triggers()))]
        return out

    def _chain(self, recorded: tuple[int, str] | None, limit: int) -> list[Finding]:
        """Ids without gaps and every hash recomputed: the first row where the chain breaks
        (rows after it are checked against the hash stored before them, so each altered
        row is counted once), and the recorded head against the chain recomputed from the
        first row, which a rewrite with every hash recomputed does not escape."""
        out: list[Finding] = []
        stored_prev = true_prev = GENESIS
        expected, broken, first_break, gaps = 1, 0, None, 0
        head_seen = None
        for stored, *values in chained_rows(self.db):
            rid = values[0]
            if rid != expected:
                if gaps < limit:
                    out.append(Finding("check.chain_gap", {"after": expected - 1, "next": rid}))
                gaps += 1
            expected = rid + 1 if isinstance(rid, int) else expected + 1
            h = chain_hash(stored_prev, values)
            true = h if true_prev == stored_prev else chain_hash(true_prev, values)
            if h != stored:
                broken += 1
                if first_break is None:
                    first_break = {"id": rid, "on": values[4], "subject": values[1],
                                   "action": values[3]}
            if recorded is not None and rid == recorded[0]:
                head_seen = true
            stored_prev, true_prev = stored or h, true
        if first_break is not None:
            out.append(Finding("check.chain_broken", {**first_break, "n": broken}))
        if recorded is not None:
            rid, wanted = recorded
            if head_seen is None:
                out.append(Finding("check.head_missing", {"id": rid, "last": expected - 1}))
            elif not head_seen.startswith(wanted):
                out.append(Finding("check.head_differs", {"id": rid}))
        return out

    # --- projections ---------------------------------------------------------------------------

    def _journal_agreement(self, limit: int) -> list[Finding]:
        """Every demand's stored state equals the replay of its journal (streamed, one pass)."""
        out: list[Finding] = []
        journals = all_demand_events(self.db)
        current = next(journals, None)
        for row in self.db.query("select * from demands order by id"):
            while current is not None and current[0] < row["id"]:
                current = next(journals, None)
            events = current[1] if current is not None and current[0] == row["id"] else []
            try:
                state = lifecycle.replay(events)
            except Exception as e:  # a journal that cannot be replayed is a finding, not a crash
                out.append(Finding("check.replay_fails", {"number": row["number"], "why": str(e)}))
                continue
            stored = state_of(row)
            fields = [k for k in lifecycle.STATE_FIELDS if stored.get(k) != (state or {}).get(k)]
            if fields:
                out.append(Finding("journal.disagrees", {"number": row["number"],
                                                         "fields": ", ".join(fields)}))
            if len(out) >= limit:
                break
        return out

    def _conflicts(self, limit: int) -> list[Finding]:
        """Shared cases: the conflicts recorded are exactly the events their replay refuses,
        and every one is settled (an unsettled conflict waits for a person)."""
        out: list[Finding] = []
        undone = undone_events(self.db)
        shared = [i for (i,) in self.db.execute(
            "select distinct subject_id from journal where subject = 'demand' and origin is not "
            "null and subject_id in (select id from demands) order by subject_id")]
        for demand_id in shared:
            ordered, _, refused, _ = self.L.sync.replayed(demand_id, undone)
            stored = {i for (i,) in self.db.execute(
                "select journal_id from sync_conflicts where demand_id = ?", [demand_id])}
            if {ordered[i][3] for i in refused} != stored:
                out.append(Finding("journal.disagrees", {
                    "number": self.L.demands.number_of(demand_id), "fields": "sync_conflicts"}))
        for number, action, on in self.db.execute(
                "select d.number, j.action, j.on_date from sync_conflicts c join demands d on "
                "d.id = c.demand_id join journal j on j.id = c.journal_id where c.settled_by "
                "is null order by d.number, j.id"):
            out.append(Finding("check.sync_conflict", {"number": number, "action": action,
                                                       "on": on}))
        return out[:limit]

    def _folded(self, subject: str, undone: set[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        """What the journal says each row of ``subject`` is, in id order (None: removed)."""
        rows = self.db.execute(
            "select subject_id, id, action, on_date, data from journal where subject = ? "
            "order by subject_id, id", [subject])
        for sid, group in itertools.groupby(rows, key=lambda r: r[0]):
            rec: dict[str, Any] | None = None
            for _, eid, action, on, data in group:
                if eid in undone:
                    continue
                d = json.loads(data)
                if action in _CREATES:
                    rec = {k: v for k, v in d.items() if k != "numbers"}
                    if subject == "visit":
                        rec["visited_on"] = on
                elif rec is not None and action == "tag":
                    tags = set(rec.get("tags", [])) | set(d.get("add", []))
                    rec["tags"] = sorted(tags - set(d.get("remove", [])))
                elif rec is not None and action == "phone":
                    rec["phone"] = d.get("phone")
                elif rec is not None and action == "key":  # 重点村 marked or unmarked
                    rec["key"] = d.get("key")
                elif action == "remove" and subject == "pair":  # a pair taken away
                    rec = None
                elif rec is not None and action == "update":  # --same, a merge's kept page
                    rec.update(d.get("set", {}))
                    rec["tags"] = sorted(set(rec.get("tags", [])) | set(d.get("tags", [])))
                elif action == "merged":  # merged into another page: gone
                    rec = None
                elif rec is not None and action == "resident":  # a visit moved by a merge
                    rec["resident_id"] = d.get("resident_id")
            if rec is not None:
                yield sid, rec

    def _projections(self, undone: set[int], limit: int) -> list[Finding]:
        """Every register and person row is what its journal says, and has one."""
        out: list[Finding] = []
        for subject, (table, columns) in PROJECTIONS.items():
            found: list[Finding] = []
            expected: Iterator[tuple[int, dict[str, Any]]] = self._folded(subject, undone)
            if subject == "term":
                expected = _merged(_seeded_terms(), expected)
            extra = _SETS.get(subject)
            sql = f"select x.id, {', '.join('x.' + c for c in columns)}"
            if extra:
                sql += f", ({extra[1]})"
            rows = self.db.execute(sql + f" from {table} x order by x.id")
            for sid, rec, row in _join(expected, rows):
                if len(found) >= limit:
                    break
                if row is None:
                    found.append(Finding("check.row_missing", {"table": table, "id": sid}))
                    continue
                if rec is None:
                    found.append(Finding("check.row_unjournaled", {"table": table, "id": sid}))
                    continue
                have = dict(zip(columns, row[1:]))
                if extra:
                    joined = row[-1]
                    values = joined.split("\x1f") if joined else []
                    have[extra[0]] = sorted(int(v) if extra[0] == "cadre_ids" else v
                                            for v in values)
                    if extra[0] in rec:
                        rec = {**rec, extra[0]: sorted(rec[extra[0]])}
                differ = [k for k in have if k in rec and rec[k] != have[k]]
                if differ:
                    found.append(Finding("check.row_disagrees", {
                        "table": table, "id": sid, "fields": ", ".join(differ)}))
            out += found
        return out

    def _templates(self) -> list[Finding]:
        """Each township template (``ledger doc template``) is the file its last install
        recorded: the same SHA-256, stored and of its content; none where it was reset."""
        import hashlib

        recorded: dict[str, str | None] = {}
        for action, data in self.db.execute("select action, data from journal where subject = "
                                            "'template' order by id"):
            d = json.loads(data)
            recorded[d.get("kind")] = d.get("sha256") if action == "install" else None
        stored = {kind: (sha, content) for kind, sha, content in self.db.execute(
            "select kind, sha256, content from templates")}
        out = []
        for kind in sorted(set(recorded) | set(stored), key=str):
            want, have = recorded.get(kind), stored.get(kind)
            if (have is None) != (want is None) or (have is not None and (
                    have[0] != want or hashlib.sha256(bytes(have[1])).hexdigest() != have[0])):
                out.append(Finding("check.template_disagrees", {"kind": kind}))
        return out

    # --- warnings ------------------------------------------------------------------------------

    def _lookalikes(self, limit: int) -> list[Finding]:
        """Names of one register (within its township, village or kind) that normalise
        alike, and names that are not as a clerk would type them now."""
        out: list[Finding] = []
        for table, scope in _NAME_SCOPES.items():
            sql = f"select id, name, {scope or 'null'} from {table} order by id"
            seen: dict[tuple[Any, str], str] = {}
            unusual = 0
            for _, name, where in self.db.execute(sql):
                if not isinstance(name, str):
                    continue
                key = name_key(name)
                if key != name and unusual < limit:
                    out.append(Finding("check.name_unusual", {"what": _WHAT[table], "name": name},
                                       warning=True))
                    unusual += 1
                other = seen.setdefault((where, key), name)
                if other != name and len(out) < limit * 2:
                    out.append(Finding("check.lookalike", {"what": _WHAT[table], "name": other,
                                                           "other": name}, warning=True))
        return out


def _merged(first: Iterator[tuple[int, Any]],
            second: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """Two id-ordered streams as one; the second wins for an id in both."""
    seeded = dict(first)
    for sid, rec in second:
        for k in sorted(k for k in seeded if k < sid):
            yield k, seeded.pop(k)
        seeded.pop(sid, None)
        yield sid, rec
    yield from sorted(seeded.items())


def _join(expected: Iterator[tuple[int, dict[str, Any]]],
          rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, Any, Any]]:
    """Journal records and table rows matched by id: (id, record or None, row or None)."""
    exp, row = next(expected, None), next(rows, None)
    while exp is not None or row is not None:
        if row is None or (exp is not None and exp[0] < row[0]):
            yield exp[0], exp[1], None  # type: ignore[index]
            exp = next(expected, None)
        elif exp is None or row[0] < exp[0]:
            yield row[0], None, row
            row = next(rows, None)
        else:
            yield row[0], exp[1], row
            exp, row = next(expected, None), next(rows, None)
