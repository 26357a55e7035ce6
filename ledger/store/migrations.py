"""The ledger's schema: append-only named migrations (``m001_initial``, ``m002_...``),
applied every time a ledger is opened, so a file written by an older version opens in a
newer one.

Frozen: a migration never imports domain code, and the values it writes are written here
as literals, so what it produces is fixed forever whatever the domain becomes. Never edit a
migration that has shipped: add the next one. A projection that only the domain can compute
(deadlines, in m002) is named in ``REFRESH_AFTER`` and recomputed by the opener, in the
same transaction, with the domain of the day.
"""

from __future__ import annotations

if False:  # for the annotations only: each migration is given a sqlite-utils Database
    from sqlite_utils import Database


class _Migration:
    def __init__(self, name: str, fn, transactional: bool) -> None:
        self.name, self.fn, self.transactional = name, fn, transactional

    def __repr__(self) -> str:
        return f"_Migration({self.name!r})"


class _Applied:
    def __init__(self, name: str, applied_at: str) -> None:
        self.name, self.applied_at = name, applied_at


class Migrations:
    """sqlite-utils' ``Migrations`` (the same ``_sqlite_migrations`` table, the same
    decorator), registered and checked without importing sqlite-utils: opening a ledger
    whose schema is up to date asks one SQL query, and sqlite-utils is imported only to
    apply a migration (``apply``)."""

    migrations_table = "_sqlite_migrations"

    def __init__(self, name: str) -> None:
        self.name = name
        self._migrations: list[_Migration] = []

    def __call__(self, *, name: str | None = None, transactional: bool = True):
        def inner(fn):
            migration_name = name or fn.__name__
            if any(m.name == migration_name for m in self._migrations):
                raise ValueError(f"Migration '{migration_name}' is already registered")
            self._migrations.append(_Migration(migration_name, fn, transactional))
            return fn

        return inner

    def applied(self, db) -> list[_Applied]:
        """The migrations applied to ``db``, in the order they were applied."""
        conn = db.conn
        if not conn.execute("select count(*) from sqlite_master where type = 'table' "
                            "and name = ?", (self.migrations_table,)).fetchone()[0]:
            return []
        return [_Applied(name, at) for name, at in conn.execute(
            f"select name, applied_at from {self.migrations_table} where migration_set = ? "
            f"order by rowid", (self.name,))]

    def pending(self, db) -> list[_Migration]:
        done = {m.name for m in self.applied(db)}
        return [m for m in self._migrations if m.name not in done]

    def apply(self, db, **options) -> None:
        """Apply the pending migrations, by sqlite-utils' own ``Migrations.apply``."""
        from sqlite_utils.migrations import Migrations as SqliteUtilsMigrations

        real = SqliteUtilsMigrations(self.name)
        for m in self._migrations:
            real(name=m.name, transactional=m.transactional)(m.fn)
        real.apply(db, **options)


migrations = Migrations("ledger")

# Seeded vocabularies: data, not code. A township adds its own with `ledger category add`,
# `ledger channel add` and `ledger type add`.
DEFAULT_CHANNELS = [
    "入户走访", "在村接访", "带案下访", "民情联系卡", "意见箱",
    "工作电话", "网格群", "说事室", "线上平台", "12345热线",
]
DEFAULT_CATEGORIES = [
    "邻里纠纷", "宅基地地界", "婚姻家庭", "土地征用", "回迁安置", "物业", "环境卫生",
    "噪声/油烟扰民", "养犬", "违章搭建", "基础设施", "生活困难", "信访积案", "公共安全",
    "法治宣传", "意见建议",
]
DEFAULT_TYPES = ["咨询", "求助", "投诉", "建议", "举报", "其他"]


@migrations()
def m001_initial(db: Database) -> None:
    db["townships"].create({"id": int, "name": str}, pk="id", not_null={"name"})
    db["townships"].create_index(["name"], unique=True)

    db["villages"].create(
        {"id": int, "name": str, "township_id": int, "kind": str},
        pk="id", not_null={"name"}, foreign_keys=[("township_id", "townships", "id")],
    )
    db["villages"].create_index(["township_id", "name"], unique=True)
    db["villages"].create_index(["name"])

    db["grids"].create(
        {"id": int, "name": str, "village_id": int},
        pk="id", not_null={"name", "village_id"}, foreign_keys=[("village_id", "villages", "id")],
    )
    db["grids"].create_index(["village_id", "name"], unique=True)

    db["units"].create(
        {"id": int, "name": str, "level": str}, pk="id", not_null={"name", "level"},
    )
    db["units"].create_index(["name"], unique=True)

    db["cadres"].create(
        {"id": int, "name": str, "unit_id": int, "phone": str},
        pk="id", not_null={"name"}, foreign_keys=[("unit_id", "units", "id")],
    )
    db["cadres"].create_index(["name"], unique=True)

    # Categories, channels and demand types: one vocabulary table, kind tells which.
    db["terms"].create({"id": int, "kind": str, "name": str}, pk="id", not_null={"kind", "name"})
    db["terms"].create_index(["kind", "name"], unique=True)
    for kind, names in (
        ("channel", DEFAULT_CHANNELS), ("category", DEFAULT_CATEGORIES), ("type", DEFAULT_TYPES),
    ):
        db["terms"].insert_all({"kind": kind, "name": n} for n in names)

    db["residents"].create(
        {
            "id": int, "name": str, "village_id": int, "grid_id": int, "phone": str,
            "id_number": str, "address": str, "note": str, "created_on": str,
        },
        pk="id", not_null={"name", "village_id"},
        foreign_keys=[("village_id", "villages", "id"), ("grid_id", "grids", "id")],
    )
    db["residents"].create_index(["name"])
    db["residents"].create_index(["village_id"])
    db["residents"].create_index(["phone"])
    db["residents"].create_index(["id_number"], unique=True)

    db["resident_tags"].create(
        {"resident_id": int, "tag": str}, pk=("resident_id", "tag"),
        foreign_keys=[("resident_id", "residents", "id")],
    )
    db["resident_tags"].create_index(["tag"])

    db["visits"].create(
        {
            "id": int, "visited_on": str, "village_id": int, "grid_id": int,
            "resident_id": int, "channel": str, "note": str,
        },
        pk="id", not_null={"visited_on", "village_id"},
        foreign_keys=[
            ("village_id", "villages", "id"), ("grid_id", "grids", "id"),
            ("resident_id", "residents", "id"),
        ],
    )
    db["visits"].create_index(["visited_on"])
    db["visits"].create_index(["resident_id"])
    db["visit_cadres"].create(
        {"visit_id": int, "cadre_id": int}, pk=("visit_id", "cadre_id"),
        foreign_keys=[("visit_id", "visits", "id"), ("cadre_id", "cadres", "id")],
    )

    # The demand row is a projection: it always equals the replay of its journal events.
    db["demands"].create(
        {
            "id": int, "number": str, "text": str, "village_id": int, "grid_id": int,
            "resident_id": int, "visit_id": int, "channel": str, "received_on": str,
            "category": str, "complexity": str, "type": str, "status": str, "level": str,
            "lead_unit_id": int, "co_unit_ids": str, "handler": str, "leader": str,
            "summoned": str, "settled_on_spot": int, "result": str, "feedback": str,
            "resolved_on": str, "satisfaction": str, "followed_up_on": str, "closed_on": str,
            "suspended_since": str, "suspended_days": int, "stage_started_on": str,
            "escalations": int, "returns": int, "extensions": int, "notices": int,
            "reopen_count": int, "updated_on": str,
        },
        pk="id", not_null={"number", "text", "village_id", "received_on", "status", "level"},
        foreign_keys=[
            ("village_id", "villages", "id"), ("grid_id", "grids", "id"),
            ("resident_id", "residents", "id"), ("visit_id", "visits", "id"),
            ("lead_unit_id", "units", "id"),
        ],
    )
    db["demands"].create_index(["number"], unique=True)
    for cols in (["status", "received_on"], ["village_id", "received_on"], ["resident_id"],
                 ["lead_unit_id"], ["category"], ["received_on"], ["visit_id"]):
        db["demands"].create_index(cols)

    # The journal: append-only; every change to the ledger is one row here.
    db["journal"].create(
        {
            "id": int, "subject": str, "subject_id": int, "action": str, "on_date": str,
            "actor": str, "reason": str, "data": str, "recorded_at": str,
        },
        pk="id", not_null={"subject", "subject_id", "action", "on_date"},
    )
    db["journal"].create_index(["subject", "subject_id", "id"])
    # Append-only is enforced by the file itself, not just by the code's good manners.
    db.execute(
        "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END"
    )


# The clocks seen in practice (DOMAIN.md): general demands 1 working day, complex ones 7,
# petition cases 60 calendar days with at most one extension of at most 30 days.
DEFAULT_POLICIES = [
    {"kind": "complexity", "value": "general", "amount": 1, "unit": "working_days"},
    {"kind": "complexity", "value": "complex", "amount": 7, "unit": "working_days"},
    {"kind": "category", "value": "信访积案", "amount": 60, "unit": "calendar_days",
     "max_extensions": 1, "extension_days": 30},
]


@migrations()
def m002_deadlines(db: Database) -> None:
    db["policies"].create(
        {"id": int, "kind": str, "value": str, "amount": int, "unit": str,
         "max_extensions": int, "extension_days": int},
        pk="id", not_null={"kind", "value", "amount", "unit"},
    )
    db["policies"].create_index(["kind", "value"], unique=True)
    db["policies"].insert_all(DEFAULT_POLICIES)
    # Years of the working calendar a clerk added (or corrected); they take precedence over
    # the schedules shipped with the package.
    db["calendar_years"].create(
        {"year": int, "notice": str, "rest": str, "work": str, "added_on": str}, pk="year",
        not_null={"notice", "rest", "work"},
    )
    db["demands"].add_column("due_on", str)
    db["demands"].add_column("due_provisional", int, not_null_default=0)
    db["demands"].create_index(["status", "due_on"])
    # Ledgers written before deadlines existed get theirs from their journals: the opener
    # recomputes them (REFRESH_AFTER), since a deadline is the domain's to compute.


# Migrations after which a projection must be recomputed by the domain, in the same
# transaction: migration name -> what to refresh.
REFRESH_AFTER = {"m002_deadlines": "deadlines", "m016_lookup": "name_keys"}


# Supervision settings (DOMAIN.md: rates, weights and thresholds differ between localities).
DEFAULT_SETTINGS = {
    "weight.response": "0.1",          # 响应率 in the weighted score
    "weight.resolution": "0.5",        # 解决率
    "weight.satisfaction": "0.4",      # 满意率
    "weight.on_time": "0",             # 按期办结率 (not weighted by default)
    "satisfaction.basic": "0.9",       # 基本满意 counts as 0.9 of 满意
    "response.working_days": "1",      # a first step within this many working days is a response
    "talk.overdue_threshold": "1",     # units with at least this many overdue demands: 约谈
}


@migrations()
def m003_reports(db: Database) -> None:
    db["settings"].create({"key": str, "value": str}, pk="key", not_null={"value"})
    db["settings"].insert_all({"key": k, "value": v} for k, v in DEFAULT_SETTINGS.items())
    # Week summaries and report cards aggregate the journal by date.
    db["journal"].create_index(["subject", "on_date"])


@migrations()
def m004_origins(db: Database) -> None:
    # Each ledger has an identity, so that what is merged from it can be recognised again.
    import uuid

    db["meta"].create({"key": str, "value": str}, pk="key", not_null={"value"})
    db["meta"].insert({"key": "ledger_id", "value": uuid.uuid4().hex})
    # Where a merged row came from: the other ledger's identity and its own number or id.
    for table, key in (("demands", "origin_number"), ("visits", "origin_id"),
                       ("residents", "origin_id")):
        db[table].add_column("origin_ledger", str)
        db[table].add_column(key, str)
        db[table].create_index(["origin_ledger", key], unique=True)
    db["origins"].create({"ledger_id": str, "name": str, "path": str, "merged_on": str},
                         pk="ledger_id")


@migrations()
def m005_speed(db: Database) -> None:
    # Repeat residents in the week summary count a resident's demands from the index alone.
    db["demands"].create_index(["resident_id", "received_on"])
    # The date of the first step after acceptance (the response), kept on the demand so the
    # report card need not search the journal of every demand.
    db["demands"].add_column("first_step_on", str)
    db.execute("""
        update demands set first_step_on = (
            select min(j.on_date) from journal j where j.subject = 'demand'
            and j.subject_id = demands.id and j.action not in ('accept', 'import'))""")
    # Covering indexes for the report card: one pass over narrow index rows, by unit or by
    # village, instead of over the wide demand rows.
    report_columns = ["received_on", "status", "resolved_on", "due_on", "satisfaction",
                      "first_step_on"]
    db["demands"].create_index(["lead_unit_id", *report_columns], index_name="idx_demands_unit_report")
    db["demands"].create_index(["village_id", *report_columns], index_name="idx_demands_village_report")


@migrations()
def m006_commands(db: Database) -> None:
    # Which command wrote each journal row, so that `ledger undo` reverses a whole command.
    db["journal"].add_column("command", int)
    db["journal"].create_index(["command"])


@migrations()
def m007_milestones(db: Database) -> None:
    # The dates of a demand's last escalation and last assignment are part of its state now
    # (as the replay computes them), so an export need not search every demand's journal.
    db["demands"].add_column("escalated_on", str)
    db["demands"].add_column("assigned_on", str)
    step = ("(select max(j.on_date) from journal j where j.subject = 'demand' and "
            "j.subject_id = demands.id and j.action = '{action}' and j.id not in undone)")
    imported = ("(select json_extract(j.data, '$.{key}') from journal j where j.subject = "
                "'demand' and j.subject_id = demands.id and j.action = 'import' and "
                "j.id not in undone)")
    db.execute(
        "with undone(id) as (select cast(e.value as integer) from journal u, "
        "json_each(u.data, '$.events') e where u.subject = 'undo') "
        "update demands set "
        f"escalated_on = coalesce({step.format(action='escalate')}, "
        f"{imported.format(key='escalated_on')}), "
        f"assigned_on = coalesce({step.format(action='assign')}, "
        f"{imported.format(key='assigned_on')})")


@migrations()
def m008_resident_lookup(db: Database) -> None:
    # A resident is found by name, within a village, told apart by phone (visits, demands,
    # imports): everyone of a name comes from this index alone, without a walk over the
    # village or a visit to each row.
    db["residents"].create_index(["name", "village_id", "phone"])


# The milestones an imported snapshot carries, as the steps they stand for (action, "to",
# date): the summary counts them in their weeks as it counts the journal's own steps.
_IMPORT_STEPS = (
    ("'escalate'", "json_extract({d}, '$.level')", "json_extract({d}, '$.escalated_on')"),
    ("'assign'", "null", "json_extract({d}, '$.assigned_on')"),
    ("case when json_extract({d}, '$.settled_on_spot') then 'settle' else 'resolve' end",
     "null", "json_extract({d}, '$.resolved_on')"),
    ("'close'", "null", "json_extract({d}, '$.closed_on')"),
)


def _import_steps(row: str, source: str) -> str:
    """The import_steps rows of the import event ``row`` (``new`` or a journal alias)."""
    return " union all ".join(
        f"select {row}.id, {row}.subject_id, {a.format(d=row + '.data')}, "
        f"{t.format(d=row + '.data')}, {on.format(d=row + '.data')} {source} "
        f"{'where' if 'where' not in source else 'and'} {on.format(d=row + '.data')} is not null"
        for a, t, on in _IMPORT_STEPS)


@migrations()
def m009_import_steps(db: Database) -> None:
    # Derived from the journal, like the demands table: filled by a trigger whenever an
    # import event is written (import, merge), and from the import events already there.
    db.execute("""create table import_steps (
        journal_id integer not null references journal(id),
        demand_id integer not null, action text not null, "to" text, on_date text not null)""")
    db["import_steps"].create_index(["on_date"])
    columns = 'insert into import_steps (journal_id, demand_id, action, "to", on_date) '
    db.execute("create trigger import_steps_of_import after insert on journal "
               "when new.subject = 'demand' and new.action = 'import' begin "
               f"{columns}{_import_steps('new', '')}; end")
    db.execute(columns + _import_steps(
        "j", "from journal j where j.subject = 'demand' and j.action = 'import'"))


@migrations()
def m010_fewer_indexes(db: Database) -> None:
    # Each is the first part of a longer index (resident and date; the report card's unit
    # and village indexes), which serves the same lookups: every demand written updates
    # three indexes fewer.
    for name in ("idx_demands_resident_id", "idx_demands_lead_unit_id",
                 "idx_demands_village_id_received_on"):
        db.execute(f"drop index if exists {name}")




@migrations()
def m011_supervision(db: Database) -> None:
    # Supervision as the townships run it: 签收 (the lead unit's day, the co-units' pairs of
    # unit and day, as JSON) and 催办 (how many urges, the last one's day). Demands written
    # before took neither step: their journals replay to these blank values.
    db["demands"].add_column("signed_on", str)
    db["demands"].add_column("co_signed", str, not_null_default="[]")
    db["demands"].add_column("urges", int, not_null_default=0)
    db["demands"].add_column("last_urged_on", str)
    db["demands"].add_column("supervisor", str)
    db["demands"].add_column("supervised_on", str)
    # The report card's covering indexes (m005) also carry what its supervision rates count:
    # ever assigned, returns, reopenings, urges; still one pass over narrow index rows.
    report_columns = ["received_on", "status", "resolved_on", "due_on", "satisfaction",
                      "first_step_on", "assigned_on", "returns", "reopen_count", "urges"]
    for by, name in (("lead_unit_id", "idx_demands_unit_report"),
                     ("village_id", "idx_demands_village_report")):
        db.execute(f"drop index if exists {name}")
        db["demands"].create_index([by, *report_columns], index_name=name)
    # The few returned demands, whose journals say which unit returned them.
    db.execute("create index idx_demands_returned on demands (received_on) where returns > 0")


# m012: the tamper-evident journal. Frozen copy of the chain rule of store/journal.py (the
# tests check that both give the same hashes): a migration never imports the code it
# migrates for.
_M012_PREFIX = "ledger-journal-v1\n"
_M012_GENESIS = "0" * 64
_M012_CHAINED = ("id", "subject", "subject_id", "action", "on_date", "actor", "os_user",
                 "reason", "data", "recorded_at", "command")
_M012_NO_UPDATE = ("CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
                   "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END")
# A row is added only at the end, with the next id, and with its hash: this refuses INSERT
# OR REPLACE of an existing row (whose hidden delete fires no delete trigger), an insert
# into a gap, and a row written by anything but ledger's journal writer.
_M012_APPEND_ONLY = (
    "CREATE TRIGGER journal_append_only BEFORE INSERT ON journal "
    "WHEN new.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM journal) "
    "OR new.hash IS NULL OR length(new.hash) <> 64 "
    "BEGIN SELECT RAISE(ABORT, 'the journal is append-only: rows are added at its end, "
    "by ledger'); END")


@migrations()
def m012_chain(db: Database) -> None:
    import hashlib
    import json

    # Who ran each command: the operating-system account, beside the --user name.
    db["journal"].add_column("os_user", str)
    db["journal"].add_column("hash", str)
    # What the journal did not record of the rows already there (a resident's phone, ID
    # number, address; a visit's note; a cadre's phone; anything merged from another
    # ledger; any register row a past version did not journal), recorded once as found, so that `ledger check` can hold every row of these
    # tables to its journal from now on. Not a command: undo never reverses them.
    baseline = ("insert into journal (subject, subject_id, action, on_date, data) "
                "select '{subject}', id, 'baseline', {on}, json_object({fields}) "
                "from {table} order by id")
    tags = ("'tags', json((select json_group_array(tag) from (select tag from resident_tags "
            "where resident_id = residents.id order by tag)))")
    cadres = ("'cadre_ids', json((select json_group_array(cadre_id) from (select cadre_id "
              "from visit_cadres where visit_id = visits.id order by rowid)))")
    for subject, table, on, fields in (
        ("resident", "residents", "coalesce(created_on, '')",
         "'name', name, 'village_id', village_id, 'grid_id', grid_id, 'phone', phone, "
         "'id_number', id_number, 'address', address, 'note', note, " + tags),
        ("visit", "visits", "visited_on",
         "'village_id', village_id, 'grid_id', grid_id, 'resident_id', resident_id, "
         "'channel', channel, 'note', note, " + cadres),
        ("cadre", "cadres", "''", "'name', name, 'unit_id', unit_id, 'phone', phone"),
        ("township", "townships", "''", "'name', name"),
        ("village", "villages", "''", "'name', name, 'township_id', township_id, 'kind', kind"),
        ("grid", "grids", "''", "'name', name, 'village_id', village_id"),
        ("unit", "units", "''", "'name', name, 'level', level"),
    ):
        db.execute(baseline.format(subject=subject, table=table, on=on, fields=fields))
    # The vocabularies m001 seeded are known without a journal; any other entry is recorded.
    seeded = [(i, kind, name) for i, (kind, name) in enumerate(
        [("channel", n) for n in DEFAULT_CHANNELS] + [("category", n) for n in DEFAULT_CATEGORIES]
        + [("type", n) for n in DEFAULT_TYPES], start=1)]
    db.execute("create temp table m012_seeded (id integer, kind text, name text)")
    db.conn.executemany("insert into temp.m012_seeded values (?, ?, ?)", seeded)
    db.execute("insert into journal (subject, subject_id, action, on_date, data) "
               "select 'term', id, 'baseline', '', json_object('kind', kind, 'name', name) "
               "from terms t where not exists (select 1 from temp.m012_seeded s where "
               "s.id = t.id and s.kind is t.kind and s.name is t.name) order by id")
    db.execute("drop table temp.m012_seeded")
    # The chain over the journal as it stands, once.
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    db.execute("DROP TRIGGER IF EXISTS journal_no_update")
    prev, last, rows = _M012_GENESIS, 0, 0
    while True:
        chunk = db.execute(f"select {', '.join(_M012_CHAINED)} from journal where id > ? "
                           "order by id limit 10000", [last]).fetchall()
        if not chunk:
            break
        updates = []
        for values in chunk:
            text = _M012_PREFIX + prev + "\n" + encode(list(values))
            prev = hashlib.sha256(text.encode("utf-8")).hexdigest()
            updates.append((prev, values[0]))
        db.conn.executemany("update journal set hash = ? where id = ?", updates)
        last = chunk[-1][0]
        rows += len(chunk)
    db.execute(_M012_NO_UPDATE)
    db.execute(_M012_APPEND_ONLY)
    db["meta"].upsert({"key": "chain_migrated", "value": str(rows)}, pk="key")


@migrations()
def m013_sync(db: Database) -> None:
    # Every journal row has a global identity: the ledger it was first written in and its id
    # there. A row written here leaves both empty (it is this ledger's, with its own id); a
    # row received from another ledger keeps where it came from, so that it is recognised
    # wherever it arrives again. Both are part of the row's hash once set.
    db.execute("alter table journal add column origin text")
    db.execute("alter table journal add column origin_id integer")
    db.execute("create unique index idx_journal_origin on journal (origin, origin_id) "
               "where origin is not null")
    # The other ledgers this one exchanges bundles with: what was last received from each
    # (the highest id of its journal a bundle covered, and that row's hash), what it has
    # acknowledged receiving from this one, and what was last sent to it.
    db.execute("""
        create table sync_peers (
            ledger_id text primary key,
            name text,
            received_upto integer not null default 0,
            received_hash text,
            received_on text,
            received_at text,
            bundles_in integer not null default 0,
            acked_upto integer not null default 0,
            sent_upto integer not null default 0,
            sent_on text,
            sent_at text,
            bundles_out integer not null default 0
        )""")
    # Events of a shared case that its replay refused (a conflict between two ledgers), kept
    # and listed until a person settles them with an ordinary step. Derived from the journal.
    db.execute("""
        create table sync_conflicts (
            journal_id integer primary key references journal(id),
            demand_id integer not null references demands(id),
            why text not null,
            params text not null default '{}',
            settled_by integer references journal(id)
        )""")
    db.execute("create index idx_sync_conflicts_demand on sync_conflicts (demand_id)")


@migrations()
def m014_meetings(db: Database) -> None:
    # 双向派单: the village or community committee working a case with its lead unit; 双向回访:
    # the follow-ups since the last resolution (the opener recounts those of demands that were
    # followed up, REFRESH_AFTER; an imported snapshot counts its one follow-up, if any).
    db["demands"].add_column("locality_id", int)
    db["demands"].add_column("follow_ups", int, not_null_default=0)
    db.execute("update demands set follow_ups = "
               "(followed_up_on is not null or satisfaction is not null)")
    db.execute("create index idx_demands_locality on demands (locality_id, received_on) "
               "where locality_id is not null")
    # The party committee's meetings (党委会议, 联席会, 会商会); what each decided on a case is a
    # step of that case's journal (``decide``, with the meeting's id).
    db["meetings"].create({"id": int, "held_on": str, "kind": str, "attendees": str},
                          pk="id", not_null={"held_on", "kind", "attendees"})
    db["meetings"].create_index(["held_on"])


REFRESH_AFTER["m014_meetings"] = "follow_ups"


@migrations()
def m015_pairing(db: Database) -> None:
    # 重点村: a village marked key (`ledger village key`); 0 for every village before.
    db["villages"].add_column("key", int, not_null_default=0)
    # Organisations visited (非公企业, 个体工商户, 学校 ...) are pages of the residents table
    # with their kind here; NULL for people.
    db["residents"].add_column("org_kind", str)
    db["residents"].create_index(["org_kind"])
    # Pairing (包联): a cadre or a unit with a village in a role (四个一, 单位联村), or a
    # cadre with a household (联户, resident_id). Roles are names of the role vocabulary.
    db.execute("""create table pairs (
        id integer primary key,
        village_id integer references villages(id),
        cadre_id integer references cadres(id),
        unit_id integer references units(id),
        resident_id integer references residents(id),
        role text not null,
        created_on text)""")
    db.execute("create unique index idx_pairs_unique on pairs (coalesce(village_id, 0), "
               "coalesce(cadre_id, 0), coalesce(unit_id, 0), coalesce(resident_id, 0), role)")
    db["pairs"].create_index(["cadre_id"])
    db["pairs"].create_index(["resident_id"])
    # Coverage looks up visits by village and day, and by resident and day.
    # (the second serves every lookup by resident alone too: that index goes).
    db["visits"].create_index(["village_id", "visited_on"])
    db["visits"].create_index(["resident_id", "visited_on"])
    db.execute("drop index if exists idx_visits_resident_id")


@migrations()
def m016_lookup(db: Database) -> None:
    # Pinyin lookup: every key a name may be typed as (zhangxiulan, zxl, zhangxl; every
    # reading of a polyphonic character), one row each, found by its index alone. The keys
    # are the domain's to compute (REFRESH_AFTER: the opener fills them for the rows already
    # there); they are derived from the names, like a projection, and never journaled.
    db.execute("""create table name_keys (
        kind text not null, ref_id integer not null, key text not null,
        primary key (kind, key, ref_id)) without rowid""")
    db.execute("create index idx_name_keys_ref on name_keys (kind, ref_id)")
    # 重复诉求: the earlier demand a demand repeats (its id; recorded with its acceptance).
    db["demands"].add_column("repeat_of", int)
    db.execute("create index idx_demands_repeats on demands (received_on) "
               "where repeat_of is not null")


@migrations()
def m017_templates(db: Database) -> None:
    # A township's own templates of the printed notices (ledger doc), kept in the ledger so
    # that they travel with it and its backups: one row per kind of document (assign, urge,
    # follow-up, resident), the .docx as installed, its file name and SHA-256. A kind without
    # a row prints from the template shipped with ledger. Installing and resetting are
    # journaled (subject 'template').
    db["templates"].create(
        {"kind": str, "file": str, "content": bytes, "sha256": str, "size": int,
         "installed_on": str, "installed_by": str},
        pk="kind", not_null={"content", "sha256"},
    )


# m018: what the week summary shows, bounded by the week. Its repeat residents (多次反映)
# count each resident's demands over all history; a small table keeps that count (and the
# first day received) per resident, by triggers on the same writes, so the summary reads
# one row per resident of the week instead of every demand they ever raised.
_M018_ADD = ("insert into resident_demands (resident_id, demands, first_on) "
             "select new.resident_id, 1, new.received_on where new.resident_id is not null "
             "on conflict(resident_id) do update "
             "set demands = demands + 1, "
             "first_on = coalesce(min(first_on, excluded.first_on), excluded.first_on);")
_M018_REMOVE = ("update resident_demands set demands = demands - 1, first_on = "
                "(select min(received_on) from demands where resident_id = old.resident_id) "
                "where resident_id = old.resident_id;")


@migrations()
def m018_bounded(db: Database) -> None:
    db.execute("create table resident_demands (resident_id integer primary key, "
               "demands integer not null, first_on text)")
    db.execute("insert into resident_demands select resident_id, count(*), min(received_on) "
               "from demands where resident_id is not null group by resident_id")
    db.execute("create trigger resident_demands_insert after insert on demands "
               f"when new.resident_id is not null begin {_M018_ADD} end")
    db.execute("create trigger resident_demands_delete after delete on demands "
               f"when old.resident_id is not null begin {_M018_REMOVE} end")
    db.execute("create trigger resident_demands_update after update of resident_id, "
               "received_on on demands when old.resident_id is not new.resident_id or "
               f"old.received_on is not new.received_on begin {_M018_REMOVE} {_M018_ADD} end")


@migrations()
def m019_keys(db: Database) -> None:
    # Every ledger has an Ed25519 key pair that signs the bundles it writes (services/keys).
    # An Ed25519 private key is 32 random bytes (RFC 8032, the "seed"): made here by the
    # operating system's random source, without the signing library, so that this migration
    # stays frozen; the public key is derived from it where a bundle is signed or verified.
    # It stays in the file (as the identity does): a copy of the file can sign as this ledger.
    import os

    db["meta"].insert({"key": "signing_key", "value": os.urandom(32).hex()})
    # The key each other ledger signs with, pinned the first time a bundle of it is taken in
    # (trust on first use), replaced only by `ledger sync trust` (journaled); the day it was.
    db["sync_peers"].add_column("public_key", str)
    db["sync_peers"].add_column("key_pinned_on", str)
