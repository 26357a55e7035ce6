"""CSV export and import: demands, visits and residents in the ledger's CSV format, the one a
township clerk double-clicks in Excel or WPS on Chinese Windows, and the one ``import``
reads back, so that export then import round-trips.

The format
----------
* One header row of Chinese column names (``DEMAND_COLUMNS``, ``VISIT_COLUMNS``,
  ``RESIDENT_COLUMNS``), then one row per record, one column per field. Import also accepts
  the English key of each column (``number``, ``received_on`` ...) and a few Chinese
  variants; column order does not matter on import.
* Dates are ISO 8601 (2026-11-17); import also reads 2026/11/17, 2026年11月17日 ...
  Stored values are written in Chinese (办理中/已挂起/已办结/已销号, 村级/镇级/县级,
  一般性/疑难复杂, 满意/基本满意/不满意, 是/否) and read back from Chinese or English.
  Several names in one cell are joined with "、" (import also splits on , ， ; ；).
* Encoding: UTF-8 with a BOM by default (Chinese Excel opens a CSV without one as GBK),
  ``gb18030`` on request, ``utf-8`` without a BOM for programs. Import detects UTF-8 (with
  or without a BOM) and GB18030 (which includes GBK); anything else is refused whole.
* Personal data is masked unless ``unmask=True``: phone 138****5678, ID number
  110101********1234, and names 张* when ``mask_names=True``. An unmasked export is
  recorded in the journal (subject ``export``, action ``unmask``). Import never stores a
  masked phone or ID number (they contain ``*``); a masked phone still helps tell same-named
  residents apart. Masked names are refused.

The escaping rule (no cell runs as a formula; long digit strings stay text)
--------------------------------------------------------------------------
On export, every cell is written as follows:

1. a value whose first character is ``=``, ``+``, ``-``, ``@``, a tab, a carriage return
   or an apostrophe ``'`` gets one apostrophe in front: ``=1+1`` -> ``'=1+1``,
   ``'abc`` -> ``''abc``;
2. otherwise, a value made only of digits that Excel would turn into a number and mangle
   (11 or more digits, a leading zero, or an 18-character ID number ending in X) gets a tab
   in front: ``13812345678`` -> ``\\t13812345678``. Masked values contain ``*`` and
   need nothing.

On import, a cell that begins with an apostrophe loses exactly that one apostrophe and
nothing else; any other cell that begins with a tab loses the tab. Since rule 1 also escapes
values beginning with an apostrophe or a tab, every value comes back exactly as it was.

How an imported demand enters the ledger
----------------------------------------
Rows are keyed by demand number: a number already in the ledger is skipped (so importing a
file twice adds nothing the second time); a row without a number gets the next number of its
year of receipt. Every row is checked before anything is written; any problem refuses the
whole file (``ImportRefused`` with every problem: row as Excel numbers it, column, value,
reason). A new demand is written with one journal event, ``import``, whose data is its whole
state as the row gives it (``lifecycle.IMPORT_FIELDS``), so the stored demand always agrees
with the replay of its journal. The stage of its deadline starts on the latest of 受理日期,
上报日期 and 交办日期, and the days its 办理时限 lies beyond that stage's period (extensions,
past suspensions, a reopening) are kept as ``extra_days``, so the imported demand has the
办理时限 the file gives (unless the ledger's own rule gives a later one).

Residents are matched by ID number, else by name and village (and phone, when both have
one); visits by date, village, resident, channel, note and cadres: a match is skipped. A
visit's 诉求编号 is kept with the imported visit, and a demand imported afterwards is linked
to it, so residents, then visits, then demands round-trip together; 走访编号 and 群众编号 are
the ledger's own ids and are not read back.

What the format does not carry: the units summoned by a whistle (吹哨报到), the counts of
returns, progress notices and extensions, the days already spent suspended, the step-by-step
history, and the visit a demand came from (unless the visits are imported first). The imported demand starts its journal with the
snapshot; the number of escalations is taken as the levels climbed (at least 1 when 上报日期
is given).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Sequence

from . import lifecycle
from .deadlines import demand_deadline, parse_date, pick_policy
from .errors import BadInput, LedgerError, NotFound
from .i18n import label, t
from .models import (
    Ledger, _NUMBER, check_id_number, check_phone, clean_name, clean_text, enum_value,
)
from .privacy import mask_id_number, mask_name, mask_phone

WHATS = ("demands", "visits", "residents")
ENCODINGS = ("utf-8-sig", "gb18030", "utf-8")
SEP = "、"
_SPLIT = re.compile(r"\s*[、,，;；]\s*")

# --- the columns -------------------------------------------------------------------------
# (key, Chinese header, other accepted headers). The Chinese header is what export writes.

Column = tuple[str, str, tuple[str, ...]]

DEMAND_COLUMNS: tuple[Column, ...] = (
    ("number", "编号", ("诉求编号",)),
    ("received_on", "受理日期", ("received",)),
    ("township", "镇/街道", ("镇街",)),
    ("village", "村/社区", ("村社区",)),
    ("grid", "网格", ()),
    ("resident", "反映人", ("群众",)),
    ("phone", "联系电话", ("电话",)),
    ("channel", "渠道", ()),
    ("category", "类别", ()),
    ("complexity", "难易程度", ("难易", "difficulty")),
    ("type", "诉求类型", ("类型",)),
    ("text", "诉求内容", ("demand",)),
    ("status", "状态", ()),
    ("level", "层级", ()),
    ("unit", "牵头单位", ("lead_unit", "责任单位")),
    ("co_units", "配合单位", ()),
    ("handler", "责任人", ()),
    ("leader", "包案领导", ()),
    ("due_on", "办理时限", ("due",)),
    ("due_provisional", "时限暂定", ()),
    ("settled_on_spot", "当场解决", ()),
    ("escalated_on", "上报日期", ()),
    ("assigned_on", "交办日期", ()),
    ("suspended_since", "挂起日期", ("suspended_on",)),
    ("resolved_on", "办结日期", ()),
    ("result", "办理结果", ()),
    ("feedback", "反馈情况", ()),
    ("followed_up_on", "回访日期", ()),
    ("satisfaction", "满意度", ()),
    ("closed_on", "销号日期", ()),
    ("reopen_count", "重办次数", ()),
)

VISIT_COLUMNS: tuple[Column, ...] = (
    ("id", "走访编号", ("visit_id",)),
    ("visited_on", "走访日期", ("date",)),
    ("township", "镇/街道", ("镇街",)),
    ("village", "村/社区", ("村社区",)),
    ("grid", "网格", ()),
    ("resident", "走访对象", ("反映人", "群众")),
    ("phone", "联系电话", ("电话",)),
    ("channel", "渠道", ()),
    ("cadres", "走访干部", ()),
    ("note", "走访情况", ("备注",)),
    ("numbers", "诉求编号", ("demands",)),
)

RESIDENT_COLUMNS: tuple[Column, ...] = (
    ("id", "群众编号", ("resident_id",)),
    ("name", "姓名", ()),
    ("township", "镇/街道", ("镇街",)),
    ("village", "村/社区", ("村社区",)),
    ("grid", "网格", ()),
    ("phone", "联系电话", ("电话",)),
    ("id_number", "身份证号", ("身份证",)),
    ("address", "地址", ()),
    ("tags", "标签", ()),
    ("note", "备注", ()),
)

COLUMNS = {"demands": DEMAND_COLUMNS, "visits": VISIT_COLUMNS, "residents": RESIDENT_COLUMNS}
REQUIRED = {"demands": ("received_on", "village", "text"), "visits": ("visited_on", "village"),
            "residents": ("name", "village")}
ERROR_COLUMNS = ("行号", "列", "值", "原因")

_YES = {"是": 1, "否": 0, "yes": 1, "no": 0, "y": 1, "n": 0, "true": 1, "false": 0, "1": 1, "0": 0}


def headers(what: str) -> list[str]:
    """The Chinese header row export writes for ``what``."""
    return [zh for _, zh, _ in COLUMNS[_what(what)]]


def _what(what: str) -> str:
    w = (what or "").strip().lower()
    if w not in WHATS:
        raise BadInput("enum.unknown", what="export", name=what, choices=list(WHATS))
    return w


# --- cells: escaping -------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_LONG_DIGITS = re.compile(r"\d{11,}|0\d+|\d{17}[Xx]")


def escape_cell(value: Any) -> str:
    """One cell as written to the CSV (see the module docstring for the rule)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    if _LONG_DIGITS.fullmatch(text):
        return "\t" + text
    return text


# Only a value starting with one of these can need escaping (rule 1, or rule 2's digits).
_RISKY_START = frozenset("=+-@\t\r'0123456789")


def _esc(value: str | None) -> str | None:
    """``escape_cell`` for a text cell, decided by its first character in the common case."""
    if value and value[0] in _RISKY_START:
        return escape_cell(value)
    return value


def unescape_cell(cell: str) -> str:
    """The value a cell holds, undoing ``escape_cell``."""
    if cell.startswith("'"):
        return cell[1:]
    if cell.startswith("\t"):
        return cell[1:]
    return cell


# --- export ----------------------------------------------------------------------------

class _Writer:
    """CSV rows encoded and written in chunks, so that no export holds every row at once."""

    CHUNK = 500

    def __init__(self, out: BinaryIO, encoding: str) -> None:
        self.out = out
        self.codec = "gb18030" if encoding == "gb18030" else "utf-8"
        self.buf = io.StringIO()
        self.csv = csv.writer(self.buf)  # CRLF line ends, quoting only where needed
        self.waiting = 0
        if encoding == "utf-8-sig":
            out.write(codecs.BOM_UTF8)

    def row(self, cells: Iterable[Any]) -> None:
        self.escaped([escape_cell(c) for c in cells])

    def escaped(self, cells: Sequence[Any]) -> None:
        """A row whose cells are escaped already (None and numbers need nothing)."""
        self.csv.writerow(cells)
        self.waiting += 1
        if self.waiting >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.buf.tell():
            self.out.write(self.buf.getvalue().encode(self.codec))
            self.buf.seek(0)
            self.buf.truncate()
        self.waiting = 0


def _encoding(encoding: str | None) -> str:
    e = (encoding or "utf-8-sig").strip().lower().replace("_", "-")
    e = {"utf8-sig": "utf-8-sig", "utf8": "utf-8", "gb-18030": "gb18030"}.get(e, e)
    if e not in ENCODINGS:
        raise BadInput("enum.unknown", what="encoding", name=encoding, choices=list(ENCODINGS))
    return e


_FILTERS = {
    "demands": ("status", "village", "category", "unit", "level", "since", "until"),
    "visits": ("village", "since", "until"),
    "residents": ("village", "tag"),
}


def export_csv(ledger: Ledger, what: str, out: BinaryIO, *, encoding: str = "utf-8-sig",
               unmask: bool = False, mask_names: bool = False, **filters: Any) -> int:
    """Write ``what`` (demands, visits or residents) as CSV to ``out``; returns rows written.

    Filters: demands ``status``, ``village``, ``category``, ``unit``, ``level``, ``since``,
    ``until`` (received); visits ``village``, ``since``, ``until``; residents ``village``,
    ``tag``. Names are resolved as everywhere in the ledger (nearest names on a typo).
    """
    what = _what(what)
    encoding = _encoding(encoding)
    unknown = sorted(set(filters) - set(_FILTERS[what]))
    if unknown:
        raise TypeError(f"export_csv({what!r}) got unknown filters {unknown}")
    given = {k: v for k, v in filters.items() if v not in (None, "", ())}
    rows = {"demands": _demand_rows, "visits": _visit_rows, "residents": _resident_rows}[what]
    masks = _Masks(unmask=unmask, mask_names=mask_names)
    with ledger.db.atomic():
        source = rows(ledger, masks, given)  # names resolved (and refused) before any output
        writer = _Writer(out, encoding)
        writer.row(headers(what))
        n = 0
        for cells in source:
            writer.escaped(cells)
            n += 1
        writer.flush()
        if unmask:
            ledger._journal("export", 0, "unmask", ledger.today.isoformat(), {
                "what": what, "rows": n, "encoding": encoding, "mask_names": bool(mask_names),
                "filters": {k: str(v) for k, v in sorted(given.items())},
            })
    return n


@dataclass(frozen=True)
class _Masks:
    unmask: bool
    mask_names: bool

    def phone(self, v: str | None) -> str | None:
        return v if self.unmask else mask_phone(v)

    def id_number(self, v: str | None) -> str | None:
        return v if self.unmask else mask_id_number(v)

    def name(self, v: str | None) -> str | None:
        return mask_name(v) if self.mask_names else v


def _date_filters(where: list[str], params: list[Any], column: str,
                  given: dict[str, Any]) -> None:
    since = parse_date(given["since"]).isoformat() if "since" in given else None
    until = parse_date(given["until"]).isoformat() if "until" in given else None
    if since and until and since > until:
        raise BadInput("date.range", since=since, until=until)
    if since:
        where.append(f"{column} >= ?")
        params.append(since)
    if until:
        where.append(f"{column} <= ?")
        params.append(until)


def _where(where: list[str]) -> str:
    return (" where " + " and ".join(where)) if where else ""


_DEMAND_SQL = (
    "select d.number, d.received_on, t.name as township, v.name as village, g.name as grid, "
    "r.name as resident, r.phone, d.channel, d.category, d.complexity, d.type, d.text, "
    "d.status, d.level, d.lead_unit_id, d.co_unit_ids, d.handler, d.leader, d.due_on, "
    "d.due_provisional, d.settled_on_spot, d.escalated_on, d.assigned_on, d.suspended_since, d.resolved_on, d.result, d.feedback, d.followed_up_on, "
    "d.satisfaction, d.closed_on, d.reopen_count "
    "from demands d join villages v on v.id = d.village_id "
    "left join townships t on t.id = v.township_id left join grids g on g.id = d.grid_id "
    "left join residents r on r.id = d.resident_id"
)


def _demand_rows(ledger: Ledger, m: _Masks, given: dict[str, Any]) -> Iterator[list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if "status" in given:
        where.append("d.status = ?")
        params.append(enum_value("status", given["status"]))
    if "village" in given:
        where.append("d.village_id = ?")
        params.append(ledger.village(given["village"])["id"])
    if "category" in given:
        where.append("d.category = ?")
        params.append(ledger.term("category", given["category"]))
    if "unit" in given:
        uid = ledger.unit(given["unit"])["id"]
        where.append("(d.lead_unit_id = ? or exists (select 1 from json_each(d.co_unit_ids) j"
                     " where j.value = ?))")
        params += [uid, uid]
    if "level" in given:
        where.append("d.level = ?")
        params.append(enum_value("level", given["level"]))
    _date_filters(where, params, "d.received_on", given)
    units = dict(ledger.db.execute("select id, name from units").fetchall())
    cursor = ledger.db.execute(_DEMAND_SQL + _where(where) + " order by d.received_on, d.number",
                               params)
    return _demand_cells(cursor, units, m)


def _labels(kind: str, values: Iterable[str]) -> dict[str | None, str]:
    return {None: "", **{v: label(kind, v) for v in values}}


def _demand_cells(cursor: Iterable[tuple[Any, ...]], units: dict[int, str],
                  m: _Masks) -> Iterator[list[Any]]:
    """Escaped cells, row by row. The ledger's own values (numbers, ISO dates, labels,
    counts) never need escaping; text a clerk typed goes through ``_esc``."""
    complexity = _labels("complexity", lifecycle.COMPLEXITIES)
    status = _labels("status", lifecycle.STATUSES)
    level = _labels("level", lifecycle.LEVELS)
    satisfaction = _labels("satisfaction", lifecycle.SATISFACTIONS)
    lead_names = {u: _esc(name) for u, name in units.items()}
    esc, name, phone = _esc, m.name, m.phone
    for (number, received_on, township, village, grid, resident, tel, channel, category,
         cx, type_, text, st, lv, lead, co, handler, leader, due_on, provisional, settled,
         escalated_on, assigned_on, suspended_since, resolved_on, result, feedback,
         followed_up_on, sat, closed_on, reopen_count) in cursor:
        yield [
            number, received_on, esc(township), esc(village), esc(grid), esc(name(resident)),
            esc(phone(tel)), esc(channel), esc(category), complexity[cx], esc(type_), esc(text),
            status[st], level[lv], lead_names.get(lead) if lead else None,
            esc(SEP.join(units[u] for u in json.loads(co))) if co and co != "[]" else "",
            esc(handler), esc(leader), due_on,
            ("是" if provisional else "否") if due_on else None, "是" if settled else "否",
            escalated_on, assigned_on, suspended_since, resolved_on, esc(result),
            esc(feedback), followed_up_on, satisfaction[sat], closed_on, reopen_count or 0,
        ]


_VISIT_SQL = (
    "select x.id, x.visited_on, t.name as township, v.name as village, g.name as grid, "
    "r.name as resident, r.phone, x.channel, "
    "(select group_concat(name, '、') from (select c.name from visit_cadres vc join cadres c"
    " on c.id = vc.cadre_id where vc.visit_id = x.id order by vc.rowid)) as cadres, "
    "x.note, (select group_concat(number, '、') from (select number from demands"
    " where visit_id = x.id order by number)) as numbers "
    "from visits x join villages v on v.id = x.village_id "
    "left join townships t on t.id = v.township_id left join grids g on g.id = x.grid_id "
    "left join residents r on r.id = x.resident_id"
)


def _visit_rows(ledger: Ledger, m: _Masks, given: dict[str, Any]) -> Iterator[list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if "village" in given:
        where.append("x.village_id = ?")
        params.append(ledger.village(given["village"])["id"])
    _date_filters(where, params, "x.visited_on", given)
    cursor = ledger.db.query(_VISIT_SQL + _where(where) + " order by x.visited_on, x.id", params)
    return ([escape_cell(c) for c in (
        x["id"], x["visited_on"], x["township"], x["village"], x["grid"], m.name(x["resident"]),
        m.phone(x["phone"]), x["channel"], x["cadres"], x["note"], x["numbers"])]
        for x in cursor)


_RESIDENT_SQL = (
    "select r.id, r.name, t.name as township, v.name as village, g.name as grid, r.phone, "
    "r.id_number, r.address, (select group_concat(tag, '、') from (select tag from"
    " resident_tags where resident_id = r.id order by tag)) as tags, r.note "
    "from residents r join villages v on v.id = r.village_id "
    "left join townships t on t.id = v.township_id left join grids g on g.id = r.grid_id"
)


def _resident_rows(ledger: Ledger, m: _Masks, given: dict[str, Any]) -> Iterator[list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if "village" in given:
        where.append("r.village_id = ?")
        params.append(ledger.village(given["village"])["id"])
    if "tag" in given:
        where.append("exists (select 1 from resident_tags x where x.resident_id = r.id"
                     " and x.tag = ?)")
        params.append(clean_name(given["tag"], "tag"))
    cursor = ledger.db.query(_RESIDENT_SQL + _where(where) + " order by r.id", params)
    return ([escape_cell(c) for c in (
        r["id"], m.name(r["name"]), r["township"], r["village"], r["grid"], m.phone(r["phone"]),
        m.id_number(r["id_number"]), r["address"], r["tags"], r["note"])] for r in cursor)


# --- import: problems --------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    """One problem in an imported file: the row as Excel numbers it (the header is row 1),
    the column as headed in the file, the value found, and why (a message key)."""

    row: int
    column: str
    value: str
    key: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def why(self, lang: str = "zh") -> str:
        return t(self.key, lang, **self.params)

    def as_row(self, lang: str = "zh") -> tuple[int, str, str, str]:
        return (self.row, self.column, self.value, self.why(lang))


class ImportRefused(BadInput):
    """The file has problems; nothing was written. ``params["errors"]`` lists every one."""

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        super().__init__("import.refused", count=len(errors), row=first.row,
                         column=first.column, value=first.value, errors=errors)

    def message(self, lang: str = "zh") -> str:
        first = self.params["errors"][0]
        return t(self.key, lang, count=self.params["count"], row=first.row,
                 column=first.column, value=first.value, why=first.why(lang))


def write_errors_csv(errors: Sequence[RowError], out: BinaryIO,
                     encoding: str = "utf-8-sig", lang: str = "zh") -> int:
    """The problems of a refused import as CSV (行号, 列, 值, 原因); returns rows written."""
    writer = _Writer(out, _encoding(encoding))
    writer.row(ERROR_COLUMNS)
    for e in errors:
        writer.row(e.as_row(lang))
    writer.flush()
    return len(errors)


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    what: str
    encoding: str = ""
    rows: int = 0  # data rows read; blank rows are not counted
    added: int = 0
    skipped: int = 0  # already in the ledger (or repeated in the file, for residents/visits)
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> names created
    errors: list[RowError] = field(default_factory=list)  # always empty: problems raise
    dry_run: bool = False
    numbers: list[str] = field(default_factory=list)  # numbers of the demands added


# --- import: reading the file ------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (with or without a BOM)
    or GB18030 (GBK included). Anything else is refused, naming where it went wrong."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadInput("csv.workbook")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadInput("csv.utf16")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise BadInput("csv.encoding", position=e.start + 4) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_at = e.start
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        # Counted from 1, as a person counts: the first byte neither encoding can read.
        raise BadInput("csv.encoding", position=max(utf8_at, e.start) + 1) from None


@dataclass
class _Row:
    number: int  # as Excel numbers it
    values: dict[str, str]  # key -> unescaped, stripped value ("" when empty)
    header: dict[str, str]  # key -> the header as written in the file (else the Chinese one)


def _read(text: str, what: str) -> tuple[dict[str, str], list[_Row], list[RowError]]:
    """Header map and data rows of a CSV text; refuses unknown, repeated or missing columns."""
    alias: dict[str, str] = {}
    for key, zh, others in COLUMNS[what]:
        for name in (key, zh, *others):
            alias[_header_key(name)] = key
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        head = next(reader, None)
        if head is None or not any(h.strip() for h in head):
            raise BadInput("csv.empty")
        keys: list[str | None] = []
        header: dict[str, str] = {}
        unknown, repeated = [], []
        for h in head:
            name = h.replace("\ufeff", "").strip()
            if not name:
                keys.append(None)
                continue
            key = alias.get(_header_key(name))
            if key is None:
                unknown.append(name)
            elif key in header:
                repeated.append(name)
            else:
                header[key] = name
            keys.append(key if key is not None and header.get(key) == name else None)
        if unknown:
            raise BadInput("csv.unknown_columns", names="、".join(unknown),
                           choices=headers(what))
        if repeated:
            raise BadInput("csv.repeated_columns", names="、".join(repeated))
        missing = [zh for key, zh, _ in COLUMNS[what]
                   if key in REQUIRED[what] and key not in header]
        if missing:
            raise BadInput("csv.missing_columns", names="、".join(missing))
        labels = {key: zh for key, zh, _ in COLUMNS[what]} | header
        rows: list[_Row] = []
        problems: list[RowError] = []
        for n, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            values: dict[str, str] = {}
            for i, cell in enumerate(cells):
                key = keys[i] if i < len(keys) else None
                value = unescape_cell(cell).strip()
                if key is None:
                    if value:
                        problems.append(RowError(n, f"#{i + 1}", value, "import.no_header"))
                    continue
                values[key] = value
            rows.append(_Row(n, values, labels))
    except csv.Error as e:
        raise BadInput("csv.malformed", line=reader.line_num, why=str(e)) from None
    return header, rows, problems


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


# --- import: names in the file, resolved against the ledger (or to be created) -----------

@dataclass(frozen=True)
class _New:
    """A register entry the import will create (create_missing)."""

    kind: str
    key: tuple[Any, ...]


Ref = Any  # an existing id, or a _New


class _Refs:
    """Every name of a file resolved once: an existing id or name, a _New to create, or the
    LedgerError saying why not. Nothing is written here."""

    def __init__(self, ledger: Ledger, create: bool) -> None:
        self.L = ledger
        self.create = create
        self.cache: dict[tuple[Any, ...], Any] = {}
        self.new: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {
            k: {} for k in ("township", "village", "grid", "unit", "category", "channel",
                            "type", "cadre", "resident")}
        # Residents to be created, by name: a file of many rows meets each name again.
        self.new_residents: dict[str, list[tuple[Any, ...]]] = {}
        self.resident_rows: dict[tuple[str, Any], list[dict[str, Any]]] = {}

    def _cached(self, key: tuple[Any, ...], fn: Callable[[], Any]) -> Any:
        if key not in self.cache:
            try:
                self.cache[key] = fn()
            except LedgerError as e:
                self.cache[key] = e
        got = self.cache[key]
        if isinstance(got, LedgerError):
            raise got
        return got

    def _add(self, kind: str, key: tuple[Any, ...], **info: Any) -> _New:
        self.new[kind].setdefault(key, info)
        return _New(kind, key)

    # places
    def township(self, name: str) -> Ref:
        name = clean_name(name, "township")

        def find() -> Ref:
            row = self.L._one("select id from townships where name = ?", [name])
            if row:
                return row["id"]
            if self.create:
                return self._add("township", (name,), name=name)
            return self.L.township(name)  # NotFound with the nearest names

        return self._cached(("township", name), find)

    def village(self, township: str, name: str) -> Ref:
        name = clean_name(name, "village")

        def find() -> Ref:
            if township:
                tref = self.township(township)
                if isinstance(tref, int):
                    row = self.L._one("select id from villages where name = ? and "
                                      "township_id = ?", [name, tref])
                    if row:
                        return row["id"]
                if self.create:
                    return self._add("village", (township, name), name=name, township=township)
                return self.L.village(f"{township}/{name}")["id"]
            try:
                return self.L.village(name)["id"]
            except NotFound:
                if not self.create:
                    raise
            towns = self.L._names("select name from townships order by name")
            towns += [k[0] for k in self.new["township"] if k[0] not in towns]
            if len(towns) > 1:
                raise BadInput("import.which_township", choices=towns)
            return self._add("village", (towns[0] if towns else "", name), name=name,
                             township=towns[0] if towns else None)

        return self._cached(("village", township, name), find)

    def grid(self, village: Ref, name: str) -> Ref:
        name = clean_name(name, "grid")

        def find() -> Ref:
            if isinstance(village, int):
                row = self.L._one("select id from grids where village_id = ? and name = ?",
                                  [village, name])
                if row:
                    return row["id"]
                if not self.create:
                    return self.L.grid(name, village)["id"]
            return self._add("grid", (village, name), name=name, village=village)

        return self._cached(("grid", village, name), find)

    def unit(self, name: str, level: str) -> tuple[Ref, str]:
        """A unit and its level; a unit to be created takes the lowest level it is used at."""
        name = clean_name(name, "unit")

        def find() -> Ref:
            row = self.L._one("select id, level from units where name = ?", [name])
            if row:
                return (row["id"], row["level"])
            if self.create:
                return (self._add("unit", (name,), name=name, level=level), None)
            return self.L.unit(name)

        ref, have = self._cached(("unit", name), find)
        if have is None:  # to be created
            info = self.new["unit"][(name,)]
            if lifecycle.LEVELS.index(level) < lifecycle.LEVELS.index(info["level"]):
                info["level"] = level
            return ref, level
        return ref, have

    def term(self, kind: str, name: str) -> str:
        name = clean_name(name, kind)

        def find() -> str:
            row = self.L._one("select name from terms where kind = ? and name = ?", [kind, name])
            if row:
                return row["name"]
            if self.create:
                self._add(kind, (name,), name=name)
                return name
            return self.L.term(kind, name)

        return self._cached((kind, name), find)

    def cadre(self, name: str) -> Ref:
        name = clean_name(name, "cadre")

        def find() -> Ref:
            row = self.L._one("select id from cadres where name = ?", [name])
            if row:
                return row["id"]
            if self.create:
                return self._add("cadre", (name,), name=name)
            return self.L.cadre(name)

        return self._cached(("cadre", name), find)

    def resident(self, name: str, village: Ref, phone: "_Phone") -> Ref:
        """Matched by name and village; the phone (in full, or masked as 138****5678) tells
        same-named residents apart and finds one who lives in another village. Created when
        absent, with the phone if it was given in full."""
        if "*" in name:
            raise BadInput("import.masked_name")
        name = clean_name(name, "resident")
        rows: list[dict[str, Any]] = []
        if isinstance(village, int):
            if (name, village) not in self.resident_rows:
                self.resident_rows[(name, village)] = list(self.L.db.query(
                    "select r.id, r.name, r.phone, v.name as village from residents r join "
                    "villages v on v.id = r.village_id where r.name = ? and r.village_id = ? "
                    "order by r.id", [name, village]))
            rows = self.resident_rows[(name, village)]
        if phone.pattern:
            hits = [r for r in rows if phone.matches(r["phone"])]
            if not hits:  # someone of that name and phone living in another village?
                hits = list(self.L.db.query("select id from residents where name = ? and "
                                            "phone like ?", [name, phone.pattern]))
                if len(hits) == 1:
                    return hits[0]["id"]
            elif len(hits) == 1 or len(rows) > 1:
                rows = hits
        if len(rows) == 1:
            return rows[0]["id"]
        if len(rows) > 1:
            raise BadInput("resident.ambiguous", name=name,
                           choices=[self.L._resident_label(r) for r in rows])
        for key in self.new_residents.get(name, ()):  # met earlier in the file
            info = self.new["resident"][key]
            if phone.matches(info["phone"]):
                return _New("resident", key)
            if key[1] == village and (info["phone"] is None or not phone.pattern):
                info["phone"] = info["phone"] or phone.full
                return _New("resident", key)
        key = (name, village, phone.full)
        if key not in self.new["resident"]:
            self.new_residents.setdefault(name, []).append(key)
        return self._add("resident", key, name=name, village=village, phone=phone.full,
                         grid=None)


@dataclass(frozen=True)
class _Phone:
    """A phone cell: the number in full (None when masked or empty) and a LIKE pattern that
    finds it (a masked 138****5678 gives 138____5678)."""

    full: str | None = None
    pattern: str | None = None

    def matches(self, phone: str | None) -> bool:
        if not (self.pattern and phone):
            return False
        return re.fullmatch(self.pattern.replace("_", r"\d"), phone) is not None


# --- import: checking one row --------------------------------------------------------------

class _Check:
    """The checks of one row, collecting problems instead of stopping at the first."""

    def __init__(self, ledger: Ledger, row: _Row, problems: list[RowError]) -> None:
        self.L = ledger
        self.row = row
        self.problems = problems
        self.bad = False

    def v(self, key: str) -> str:
        return self.row.values.get(key, "")

    def fail(self, key: str, msg: str, **params: Any) -> None:
        column = self.row.header[key]
        self.problems.append(RowError(self.row.number, column, self.v(key), msg, params))
        self.bad = True

    def take(self, key: str, fn: Callable[[str], Any], *, required: bool = False) -> Any:
        """``fn(value)`` of a non-empty cell; None for an empty one; a problem if it raises."""
        value = self.v(key)
        if not value:
            if required:
                self.fail(key, "import.required")
            return None
        try:
            return fn(value)
        except LedgerError as e:
            params = {k: v for k, v in e.params.items() if k != "number"}
            self.fail(key, e.key, **params)
            return None

    def day(self, key: str, *, required: bool = False) -> str | None:
        def parse(value: str) -> str:
            d = parse_date(value)
            if d > self.L.today:
                raise BadInput("date.future", value=d.isoformat(), today=self.L.today.isoformat())
            return d.isoformat()

        return self.take(key, parse, required=required)

    def yes_no(self, key: str) -> int | None:
        def parse(value: str) -> int:
            got = _YES.get(value.lower())
            if got is None:
                raise BadInput("import.yes_no")
            return got

        return self.take(key, parse)

    def count(self, key: str) -> int:
        def parse(value: str) -> int:
            if not re.fullmatch(r"\d{1,4}", value):
                raise BadInput("import.count")
            return int(value)

        return self.take(key, parse) or 0

    def personal(self, key: str, check: Callable[[str], str]) -> str | None:
        """A phone or ID number given in full; masked ones (with ``*``) are ignored."""
        return self.take(key, lambda value: None if "*" in value else check(value))

    def phone(self, key: str = "phone") -> _Phone:
        value = self.v(key)
        if "*" in value:
            m = re.fullmatch(r"(\d*)(\*+)(\d*)", value)
            if m is None:
                self.fail(key, "phone.malformed", value=value)
                return _Phone()
            return _Phone(None, m[1] + "_" * len(m[2]) + m[3])
        full = self.take(key, check_phone)
        return _Phone(full, full)


def _names(value: str) -> list[str]:
    return [p for p in _SPLIT.split(value.strip()) if p]


def _number(value: str) -> str:
    m = _NUMBER.match(value)
    if not m or len(m[2]) > 6:
        raise BadInput("issue.number_malformed", value=value)
    return f"{m[1]}-{int(m[2]):06d}"


# --- import: demands -----------------------------------------------------------------------

_DEMAND_DATES = ("escalated_on", "assigned_on", "suspended_since", "resolved_on",
                 "followed_up_on", "closed_on")
_DONE_ONLY = ("resolved_on", "result", "feedback", "followed_up_on", "satisfaction", "closed_on")


def _check_demand(L: Ledger, refs: _Refs, row: _Row, problems: list[RowError],
                  seen: dict[str, int]) -> dict[str, Any] | None:
    """The plan for one demand row (None when it is skipped or has problems)."""
    c = _Check(L, row, problems)
    number = c.take("number", _number)
    if number:
        if number in seen:
            c.fail("number", "import.repeated_number", first=seen[number])
            return None
        seen[number] = row.number
        if L._one("select 1 from demands where number = ?", [number]):
            return {"skip": True}
    received = c.day("received_on", required=True)
    text = c.take("text", lambda v: clean_text(v, "issue"), required=True)
    village = _place(c, refs)
    status = c.take("status", lambda v: enum_value("status", v)) or "open"
    level = c.take("level", lambda v: enum_value("level", v))
    known_level = level is not None or not c.v("level")  # a bad level is not checked further
    level = level or "village"
    complexity = c.take("complexity", lambda v: enum_value("complexity", v)) or "general"
    satisfaction = c.take("satisfaction", lambda v: enum_value("satisfaction", v))
    grid = c.take("grid", lambda v: refs.grid(village, v)) if village is not None else None
    phone = c.phone()
    resident = c.take("resident", lambda v: refs.resident(v, village, phone)) \
        if village is not None else None
    channel = c.take("channel", lambda v: refs.term("channel", v))
    category = c.take("category", lambda v: refs.term("category", v))
    type_ = c.take("type", lambda v: refs.term("type", v))
    unit_level = level if known_level else None
    lead = c.take("unit", lambda v: _unit(refs, v, unit_level))
    co: list[Ref] = []
    if c.v("co_units"):
        for name in _names(c.v("co_units")):
            got = c.take("co_units", lambda _: _unit(refs, name, unit_level))
            if got is not None and got != lead and got not in co:
                co.append(got)
        if lead is None and not c.v("unit"):
            c.fail("co_units", "import.co_without_lead")
    handler = c.take("handler", lambda v: clean_name(v, "handler"))
    leader = c.take("leader", lambda v: clean_name(v, "leader"))
    result = c.take("result", lambda v: clean_text(v, "result"))
    feedback = c.take("feedback", lambda v: clean_text(v, "feedback"))
    due_on = c.take("due_on", lambda v: parse_date(v).isoformat())
    c.yes_no("due_provisional")
    settled = c.yes_no("settled_on_spot") or 0
    reopen_count = c.count("reopen_count")
    days = {k: c.day(k) for k in _DEMAND_DATES}
    if c.bad:
        return None

    # The row must describe a state the lifecycle can reach.
    done = status in ("resolved", "closed")
    if done:
        for key in ("resolved_on", "result"):
            if not c.v(key):
                c.fail(key, "import.needed_for_status", status=status)
    else:
        for key in _DONE_ONLY:
            if c.v(key):
                c.fail(key, "import.not_with_status", status=status)
    if status == "closed":
        for key in ("followed_up_on", "satisfaction", "closed_on"):
            if not c.v(key):
                c.fail(key, "import.needed_for_status", status=status)
    elif status == "resolved" and days["closed_on"]:
        c.fail("closed_on", "import.not_with_status", status=status)
    if status == "resolved" and bool(satisfaction) != bool(days["followed_up_on"]):
        key, other = ("satisfaction", "followed_up_on") if not satisfaction else \
            ("followed_up_on", "satisfaction")
        c.fail(key, "import.needed_with", other=row.header[other])
    if status == "suspended" and not days["suspended_since"]:
        c.fail("suspended_since", "import.needed_for_status", status=status)
    if status != "suspended" and days["suspended_since"]:
        c.fail("suspended_since", "import.not_with_status", status=status)
    if days["escalated_on"] and level == "village":
        c.fail("escalated_on", "import.escalated_at_village")
    if settled:
        if not done:
            c.fail("settled_on_spot", "import.not_with_status", status=status)
        elif days["escalated_on"] or lead is not None:
            c.fail("settled_on_spot", "import.settled_but_escalated")
    order = [("received_on", received), *((k, days[k]) for k in _DEMAND_DATES)]
    after = {"resolved_on": ("escalated_on", "assigned_on"), "followed_up_on": ("resolved_on",),
             "closed_on": ("followed_up_on", "resolved_on")}
    for key, day in order[1:]:
        earlier = [("received_on", received)] + [(k, days[k]) for k in after.get(key, ())]
        for other, before in earlier:
            if day and before and day < before:
                c.fail(key, "import.date_order", other=row.header[other], other_value=before)
                break
    if c.bad:
        return None

    stage = max(d for d in (received, days["escalated_on"], days["assigned_on"]) if d)
    updated = max([received, *(d for d in days.values() if d)])
    data = {
        "text": text, "village_id": village, "grid_id": grid, "resident_id": resident,
        "channel": channel, "category": category, "complexity": complexity, "type": type_,
        "status": status, "level": level, "lead_unit_id": lead, "co_unit_ids": co,
        "handler": handler, "leader": leader, "settled_on_spot": settled, "result": result,
        "feedback": feedback, "resolved_on": days["resolved_on"], "satisfaction": satisfaction,
        "followed_up_on": days["followed_up_on"], "closed_on": days["closed_on"],
        "suspended_since": days["suspended_since"], "stage_started_on": stage,
        "escalations": max(1, lifecycle.LEVELS.index(level)) if days["escalated_on"] else 0,
        "reopen_count": reopen_count, "updated_on": updated,
        "escalated_on": days["escalated_on"], "assigned_on": days["assigned_on"],
    }
    return {"skip": False, "number": number, "received_on": received, "data": data,
            "due_on": due_on}


def _place(c: _Check, refs: _Refs) -> Ref | None:
    """The row's village (by 镇/街道 and 村/社区), or None with the problem recorded."""
    township = c.v("township")
    if township and c.take("township", refs.township) is None:
        if not c.v("village"):
            c.fail("village", "import.required")
        return None
    return c.take("village", lambda v: refs.village(township, v), required=True)


def _unit(refs: _Refs, name: str, level: str | None) -> Ref:
    """A lead or cooperating unit, which may not sit above the demand's level (as `assign`
    refuses); ``level`` None when the row's level is itself wrong."""
    ref, unit_level = refs.unit(name, level or "county")
    if level and lifecycle.LEVELS.index(unit_level) > lifecycle.LEVELS.index(level):
        raise BadInput("import.unit_above_level", unit=name, unit_level=unit_level, level=level)
    return ref


def _extra_days(L: Ledger, data: dict[str, Any], on: str, due_on: str | None) -> int:
    """The days beyond its stage's period that make the demand due on ``due_on``."""
    if not due_on:
        return 0
    policy = pick_policy(L.policies, category=data["category"], type=data["type"],
                         complexity=data["complexity"])
    dl = demand_deadline([("import", data, on)], policy, L.calendar)
    wanted = date.fromisoformat(due_on)
    if policy is None or dl is None or wanted <= dl.due_on:
        return 0
    if policy.unit == "working_days":
        return L.calendar.working_days_between(dl.due_on, wanted)
    length = policy.amount if policy.unit == "calendar_days" else -(-policy.amount // 24)
    return (wanted - dl.stage_started_on).days - length


class _Numbers:
    """New demand numbers: after the largest number of the year in the ledger or the file."""

    def __init__(self, L: Ledger, in_file: Iterable[str]) -> None:
        self.L = L
        self.in_file: dict[str, int] = {}
        for n in in_file:
            self.in_file[n[:4]] = max(self.in_file.get(n[:4], 0), int(n[5:]))
        self.top: dict[str, int] = {}

    def next(self, year: str) -> str:
        if year not in self.top:
            last = self.L.db.execute(
                "select max(number) from demands where number >= ? and number < ?",
                [f"{year}-", f"{year}."]).fetchone()[0]
            self.top[year] = max(self.in_file.get(year, 0), int(last[5:]) if last else 0)
        self.top[year] += 1
        return f"{year}-{self.top[year]:06d}"


def _import_demands(L: Ledger, rows: list[_Row], refs: _Refs, problems: list[RowError],
                    result: ImportResult) -> Callable[[dict[_New, int]], None]:
    seen: dict[str, int] = {}
    plans = []
    for row in rows:
        plan = _check_demand(L, refs, row, problems, seen)
        if plan is None:
            continue
        if plan["skip"]:
            result.skipped += 1
        else:
            plans.append(plan)
    numbers = _Numbers(L, [p["number"] for p in plans if p["number"]])
    for p in plans:
        if not p["number"]:
            p["number"] = numbers.next(p["received_on"][:4])
    result.added = len(plans)
    result.numbers = [p["number"] for p in plans]

    def write(ids: dict[_New, int]) -> None:
        visits = _imported_visits(L) if plans else {}
        conn = L.db.conn
        columns = ["number", *lifecycle.STATE_FIELDS, "due_on", "due_provisional"]
        insert = (f"insert into demands ({', '.join(columns)}) "
                  f"values ({', '.join('?' for _ in columns)})")
        journal = []
        for p in plans:
            data = {k: _real(v, ids) for k, v in p["data"].items()}
            data["visit_id"] = visits.get(p["number"])
            data["co_unit_ids"] = [_real(u, ids) for u in p["data"]["co_unit_ids"]]
            data["extra_days"] = _extra_days(L, data, p["received_on"], p["due_on"])
            state = lifecycle.apply(None, "import", data, p["received_on"])
            # The deadline from the one event this demand's journal will hold.
            policy = pick_policy(L.policies, category=state["category"], type=state["type"],
                                 complexity=state["complexity"])
            dl = demand_deadline([("import", data, p["received_on"])], policy, L.calendar)
            row = L._to_row(state)
            did = conn.execute(insert, [p["number"], *(row[c] for c in lifecycle.STATE_FIELDS),
                                        dl.due_on.isoformat() if dl else None,
                                        int(dl.provisional) if dl else 0]).lastrowid
            journal.append(("demand", did, "import", p["received_on"], L.user, None,
                            json.dumps(data, ensure_ascii=False, sort_keys=True), L.now,
                            L.db.next_command()))
        conn.executemany("insert into journal (subject, subject_id, action, on_date, actor, "
                         "reason, data, recorded_at, command) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         journal)

    return write


def _imported_visits(L: Ledger) -> dict[str, int]:
    """Demand number -> the imported visit whose 诉求编号 listed it (visits imported first)."""
    links: dict[str, int] = {}
    for e in L.db.query("select subject_id, data from journal where subject = 'visit' and "
                        "action = 'log' and json_extract(data, '$.numbers') is not null "
                        "order by id"):
        for n in json.loads(e["data"])["numbers"]:
            links.setdefault(n, e["subject_id"])
    return links


def _real(v: Any, ids: dict[_New, int]) -> Any:
    return ids[v] if isinstance(v, _New) else v


# --- import: residents ---------------------------------------------------------------------

def _import_residents(L: Ledger, rows: list[_Row], refs: _Refs, problems: list[RowError],
                      result: ImportResult) -> Callable[[dict[_New, int]], None]:
    plans: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        c = _Check(L, row, problems)
        if "*" in c.v("name"):
            c.fail("name", "import.masked_name")
        name = c.take("name", lambda v: clean_name(v, "resident"), required=True)
        village = _place(c, refs)
        grid = c.take("grid", lambda v: refs.grid(village, v)) if village is not None else None
        phone = c.phone()
        id_number = c.personal("id_number", check_id_number)
        address = c.take("address", lambda v: clean_text(v, "address"))
        note = c.take("note", lambda v: clean_text(v, "note"))
        tags = c.take("tags", lambda v: list(dict.fromkeys(clean_name(x, "tag")
                                                            for x in _names(v)))) or []
        if c.bad:
            continue
        key = ("id", id_number) if id_number else ("name", name, village, phone.pattern)
        if key in seen or _resident_exists(L, name, village, phone, id_number):
            result.skipped += 1
            continue
        seen.add(key)
        plans.append({"name": name, "village": village, "grid": grid, "phone": phone.full,
                      "id_number": id_number, "address": address, "note": note, "tags": tags})
    result.added = len(plans)

    def write(ids: dict[_New, int]) -> None:
        for p in plans:
            _insert_resident(L, p["name"], _real(p["village"], ids), _real(p["grid"], ids),
                             p["phone"], p["id_number"], p["address"], p["note"], p["tags"])

    return write


def _resident_exists(L: Ledger, name: str, village: Ref, phone: _Phone,
                     id_number: str | None) -> bool:
    """Already registered: the same ID number, or the same name in the same village (with a
    phone that matches, when both have one)."""
    if id_number and L._one("select 1 from residents where id_number = ?", [id_number]):
        return True
    if not isinstance(village, int):
        return False
    sql, params = "select 1 from residents where name = ? and village_id = ?", [name, village]
    if phone.pattern:
        sql += " and (phone like ? or phone is null)"
        params.append(phone.pattern)
    return L._one(sql, params) is not None


def _insert_resident(L: Ledger, name: str, village_id: int, grid_id: int | None,
                     phone: str | None, id_number: str | None, address: str | None,
                     note: str | None, tags: list[str]) -> int:
    """As ``Ledger.add_resident`` does, by ids (a village name may be ambiguous)."""
    rid = L.db["residents"].insert({
        "name": name, "village_id": village_id, "grid_id": grid_id, "phone": phone,
        "id_number": id_number, "address": address, "note": note,
        "created_on": L.today.isoformat(),
    }).last_pk
    L.db["resident_tags"].insert_all({"resident_id": rid, "tag": tg} for tg in tags)
    L._journal("resident", rid, "add", L.today.isoformat(),
               {"name": name, "village_id": village_id, "tags": tags})
    return rid


# --- import: visits ------------------------------------------------------------------------

def _import_visits(L: Ledger, rows: list[_Row], refs: _Refs, problems: list[RowError],
                   result: ImportResult) -> Callable[[dict[_New, int]], None]:
    plans: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        c = _Check(L, row, problems)
        day = c.day("visited_on", required=True)
        village = _place(c, refs)
        grid = c.take("grid", lambda v: refs.grid(village, v)) if village is not None else None
        phone = c.phone()
        resident = c.take("resident", lambda v: refs.resident(v, village, phone)) \
            if village is not None else None
        channel = c.take("channel", lambda v: refs.term("channel", v))
        cadres: list[Ref] = []
        for name in _names(c.v("cadres")):
            got = c.take("cadres", lambda _: refs.cadre(name))
            if got is not None and got not in cadres:
                cadres.append(got)
        note = c.take("note", lambda v: clean_text(v, "note"))
        numbers = [c.take("numbers", lambda _: _number(n)) for n in _names(c.v("numbers"))]
        if c.bad:
            continue
        if channel is None:
            try:
                channel = refs.term("channel", "入户走访")  # as `ledger visit` defaults
            except LedgerError as e:
                c.fail("channel", e.key, **e.params)
                continue
        key = (day, village, grid, resident, channel, note, tuple(sorted(map(repr, cadres))))
        if key in seen or _visit_exists(L, day, village, resident, channel, note, cadres):
            result.skipped += 1
            continue
        seen.add(key)
        plans.append({"day": day, "village": village, "grid": grid, "resident": resident,
                      "channel": channel, "note": note, "cadres": cadres, "numbers": numbers})
    result.added = len(plans)

    def write(ids: dict[_New, int]) -> None:
        for p in plans:
            village_id, rid = _real(p["village"], ids), _real(p["resident"], ids)
            cadre_ids = [_real(x, ids) for x in p["cadres"]]
            vid = L.db["visits"].insert({
                "visited_on": p["day"], "village_id": village_id,
                "grid_id": _real(p["grid"], ids), "resident_id": rid, "channel": p["channel"],
                "note": p["note"],
            }).last_pk
            L.db["visit_cadres"].insert_all({"visit_id": vid, "cadre_id": x} for x in cadre_ids)
            L._journal("visit", vid, "log", p["day"], {
                "village_id": village_id, "resident_id": rid, "cadre_ids": cadre_ids,
                "channel": p["channel"], "numbers": p["numbers"],
            })

    return write


def _visit_exists(L: Ledger, day: str, village: Ref, resident: Ref | None, channel: str,
                  note: str | None, cadres: list[Ref]) -> bool:
    if not isinstance(village, int) or isinstance(resident, _New) or \
            any(isinstance(x, _New) for x in cadres):
        return False
    for x in L.db.query("select id from visits where visited_on = ? and village_id = ? and "
                        "resident_id is ? and channel = ? and note is ?",
                        [day, village, resident, channel, note]):
        have = L._names("select cadre_id from visit_cadres where visit_id = ?", [x["id"]])
        if sorted(have) == sorted(cadres):
            return True
    return False


# --- import: the whole file ----------------------------------------------------------------

_ORDER = ("township", "village", "grid", "unit", "category", "channel", "type", "cadre",
          "resident")


def import_csv(ledger: Ledger, data: bytes, *, what: str = "demands", dry_run: bool = False,
               create_missing: bool = False) -> ImportResult:
    """Read a CSV in the ledger's format and add what is new, all or nothing.

    Every row is checked first; any problem raises ``ImportRefused`` (exit 2) listing them
    all, and nothing is written. With ``dry_run`` nothing is written either way. Unknown
    villages, grids, units, categories, channels, types (and cadres, for visits) are
    problems unless ``create_missing``; residents are matched by name and village and
    created when absent.
    """
    what = _what(what)
    text, encoding = decode(data)
    _, rows, problems = _read(text, what)
    result = ImportResult(what=what, encoding=encoding, rows=len(rows), dry_run=dry_run)
    refs = _Refs(ledger, create_missing)
    check = {"demands": _import_demands, "visits": _import_visits,
             "residents": _import_residents}[what]
    write = check(ledger, rows, refs, problems, result)
    if problems:
        problems.sort(key=lambda e: e.row)
        raise ImportRefused(problems)
    result.created = {k: [_new_label(k, info) for info in refs.new[k].values()]
                      for k in _ORDER if refs.new[k]}
    if dry_run or not (result.added or result.created):
        return result
    with ledger.db.atomic():
        ids = _create(ledger, refs)
        write(ids)
        ledger._journal("import", 0, "csv", ledger.today.isoformat(), {
            "what": what, "rows": result.rows, "added": result.added, "skipped": result.skipped,
            "encoding": encoding, "created": {k: len(v) for k, v in result.created.items()},
        })
    return result


def _new_label(kind: str, info: dict[str, Any]) -> str:
    if kind == "village" and info["township"]:
        return f"{info['township']}/{info['name']}"
    return info["name"]


def _create(L: Ledger, refs: _Refs) -> dict[_New, int]:
    """Create the register entries an import needs, journalled as the add commands do."""
    ids: dict[_New, int] = {}
    for kind in _ORDER:
        for key, info in refs.new[kind].items():
            new = _New(kind, key)
            if kind == "township":
                ids[new] = L.add_township(info["name"])
            elif kind == "village":
                tid = _township_id(L, info["township"])
                vid = L.db["villages"].insert({"name": info["name"], "township_id": tid,
                                               "kind": "村"}).last_pk
                L._journal("village", vid, "add", L.today.isoformat(),
                           {"name": info["name"], "township_id": tid, "kind": "村"})
                ids[new] = vid
            elif kind == "grid":
                vid = _real(info["village"], ids)
                gid = L.db["grids"].insert({"name": info["name"], "village_id": vid}).last_pk
                L._journal("grid", gid, "add", L.today.isoformat(),
                           {"name": info["name"], "village_id": vid})
                ids[new] = gid
            elif kind == "unit":
                ids[new] = L.add_unit(info["name"], info["level"])
            elif kind in ("category", "channel", "type"):
                L.add_term(kind, info["name"])
            elif kind == "cadre":
                ids[new] = L.add_cadre(info["name"])
            elif kind == "resident":
                ids[new] = _insert_resident(L, info["name"], _real(info["village"], ids),
                                            _real(info["grid"], ids), info["phone"], None, None,
                                            None, [])
    return ids


def _township_id(L: Ledger, name: str | None) -> int | None:
    if not name:
        return None
    row = L._one("select id from townships where name = ?", [name])
    assert row is not None
    return row["id"]
