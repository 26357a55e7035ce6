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

1. a value whose first character is ``=``, ``+``, ``-``, ``@``, a tab, a carriage return,
   a line feed or an apostrophe ``'``, or whose first character after leading spaces (any
   white space or invisible character) is one of ``=+-@``, gets one apostrophe in front:
   ``=1+1`` -> ``'=1+1``, `` =1+1`` -> ``' =1+1``, ``'abc`` -> ``''abc``;
2. otherwise, a value made only of digits that Excel would turn into a number and mangle
   (11 or more digits, a leading zero, or an 18-character ID number ending in X) gets a tab
   in front: ``13812345678`` -> ``\\t13812345678``. Masked values contain ``*`` and
   need nothing.

Why leading spaces, and not the full-width ``＝＋－＠``: converting CSVs with LibreOffice
Calc 7.4 headless (``soffice --convert-to xlsx``) and reading the cells back, only a cell
starting with an ASCII ``=`` became a formula, and, with its import option "trim spaces" on,
`` =1+1`` too; the full-width ``＝1+1``, ``＋1+1``, ``－1+1``, ``＠SUM(1;1)``, the small
``﹦`` ``﹢`` and ``−`` (minus sign) stayed text in every setting tried, as did a value
behind a no-break space, an ideographic space, a zero-width space or a BOM. Excel reads
formulas in half-width characters only (full-width ``＝`` starts text, as Excel's Japanese
and Chinese help pages tell users who typed one by mistake); Excel and Google Sheets also
run ``+ - @``. WPS was not available to test; it follows Excel. So the full-width leaders
need no apostrophe, and leading spaces before an ASCII leader do.

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

首次响应日期 is the demand's first step after acceptance (the report card's response); a file
from another system without it takes the earliest of 上报日期, 交办日期, 挂起日期 and 办结日期.
The milestones a row carries (上报日期 to its level, 交办日期, 办结日期 or 当场解决, 销号日期)
count in the Tuesday summary of their weeks as the journal's own steps would
(``import_steps``), so a county that imports a township's export gets the township's
summaries and report card.

What the format does not carry: the units summoned by a whistle (吹哨报到), the counts of
returns, progress notices and extensions, the days already spent suspended, the step-by-step
history (an escalation before the last one, an assignment before the last one, a resolution
before a reopening), and the visit a demand came from (unless the visits are imported
first). The imported demand starts its journal with the snapshot; the number of escalations
is taken as the levels climbed (at least 1 when 上报日期 is given). How the file is read
(streamed, all or nothing) is in ``ledger/importer.py``.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterable, Iterator, Mapping, Sequence, TextIO

from .. import lifecycle
from ..errors import BadInput
from ..i18n import label
from ..privacy import mask_id_number, mask_name, mask_phone
from ..services import Ledger

WHATS = ("demands", "visits", "residents")
ENCODINGS = ("utf-8-sig", "gb18030", "utf-8")
SEP = "、"
# Several names in one cell: written with SEP, read back split on any of these.
NAME_SEPARATORS = re.compile(r"\s*[、,，;；]\s*")

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
    ("first_step_on", "首次响应日期", ("响应日期",)),
    ("locality", "属地", ("属地村/社区",)),
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

YES_NO = {"是": 1, "否": 0, "yes": 1, "no": 0, "y": 1, "n": 0, "true": 1, "false": 0, "1": 1, "0": 0}


def headers(what: str) -> list[str]:
    """The Chinese header row export writes for ``what``."""
    return [zh for _, zh, _ in COLUMNS[what_of(what)]]


def what_of(what: str) -> str:
    w = (what or "").strip().lower()
    if w not in WHATS:
        raise BadInput("enum.unknown", what="export", name=what, choices=list(WHATS))
    return w


# --- cells: escaping -------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
_LEADERS = "=+-@"
_LONG_DIGITS = re.compile(r"\d{11,}|0\d+|\d{17}[Xx]")


def _blank(ch: str) -> bool:
    """White space or an invisible character, which a spreadsheet may trim."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def escape_cell(value: Any) -> str:
    """One cell as written to the CSV (see the module docstring for the rule)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    if text and _blank(text[0]):
        i = 0
        while i < len(text) and _blank(text[i]):
            i += 1
        if text[i:i + 1] and text[i] in _LEADERS:
            return "'" + text
    if _LONG_DIGITS.fullmatch(text):
        return "\t" + text
    return text


# Only a value starting with one of these can need escaping (rule 1, or rule 2's digits).
_RISKY_START = frozenset("=+-@\t\r\n'0123456789")


def _esc(value: str | None) -> str | None:
    """``escape_cell`` for a text cell, decided by its first character in the common case."""
    if value and (value[0] in _RISKY_START or _blank(value[0])):
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

class CsvWriter:
    """CSV rows encoded as they are written, so that no export holds every row at once."""

    def __init__(self, out: BinaryIO, encoding: str) -> None:
        if encoding == "utf-8-sig":
            out.write(codecs.BOM_UTF8)
        self.text = io.TextIOWrapper(out, encoding="gb18030" if encoding == "gb18030" else
                                     "utf-8", newline="")
        self.csv = csv.writer(self.text)  # CRLF line ends, quoting only where needed

    def row(self, cells: Iterable[Any]) -> None:
        self.csv.writerow([escape_cell(c) for c in cells])

    def escaped(self, rows: Iterable[Sequence[Any]]) -> int:
        """Rows whose cells are escaped already (None and numbers need nothing); how many."""
        counted = itertools.count(1)  # compress() keeps every row, counting it, in C
        self.csv.writerows(itertools.compress(rows, counted))
        return next(counted) - 1

    def finish(self) -> None:
        """Everything written out; the caller's stream stays open (also after an error:
        a wrapper left to the garbage collector would close it)."""
        self.text.flush()
        self.text.detach()


def write_rows(out: TextIO, header: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """A listing (``issue list``, ``due``, ``overdue``, ``summary``, ``report`` with
    ``--format csv``) as CSV text on ``out``: the header of English keys, then each row's
    values under them (other keys ignored), every cell escaped by the rule above; line ends
    "\\n", as for any text on standard output. Returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([escape_cell(row.get(key)) for key in header])
        n += 1
    return n


def check_encoding(encoding: str | None) -> str:
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
    encoding = check_encoding(encoding)
    with ledger.db.atomic():
        # names resolved (and refused) before any output
        what, given, source = export_source(ledger, what, unmask=unmask, mask_names=mask_names,
                                            filters=filters)
        writer = CsvWriter(out, encoding)
        try:
            writer.row(headers(what))
            n = writer.escaped(source)
        finally:
            writer.finish()
        if unmask:
            journal_unmasked(ledger, what, n, encoding, mask_names, given)
    return n


def export_source(ledger: Ledger, what: str, *, unmask: bool, mask_names: bool,
                  filters: dict[str, Any], escaped: bool = True
                  ) -> tuple[str, dict[str, Any], Iterator[list[Any]]]:
    """The rows of an export of ``what`` (see ``export_csv`` for the filters), one list of
    cells a row in the order of ``COLUMNS[what]``, masked as the export masks them; with
    ``escaped`` each cell as the CSV writes it, else the values themselves (for a workbook,
    whose text cells never run as formulas). Returns (what, the filters given, the rows)."""
    what = what_of(what)
    unknown = sorted(set(filters) - set(_FILTERS[what]))
    if unknown:
        raise TypeError(f"export({what!r}) got unknown filters {unknown}")
    given = {k: v for k, v in filters.items() if v not in (None, "", ())}
    rows = {"demands": _demand_rows, "visits": _visit_rows, "residents": _resident_rows}[what]
    masks = _Masks(unmask=unmask, mask_names=mask_names)
    return what, given, rows(ledger, masks, given, escaped)


def journal_unmasked(ledger: Ledger, what: str, n: int, encoding: str, mask_names: bool,
                     given: dict[str, Any]) -> None:
    """An export with phones and ID numbers in full, recorded in the journal."""
    ledger.journal.write("export", 0, "unmask", ledger.today.isoformat(), {
        "what": what, "rows": n, "encoding": encoding, "mask_names": bool(mask_names),
        "filters": {k: str(v) for k, v in sorted(given.items())},
    })


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


def _labels(kind: str, values: Iterable[str]) -> dict[str | None, str]:
    return {None: "", **{v: label(kind, v) for v in values}}


def _same(value: Any) -> Any:
    return value


class _Memo(dict):
    """``f`` of each distinct key, worked out once (a dict look-up after that)."""

    def __init__(self, f: Any) -> None:
        super().__init__()
        self.f = f

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.f(key)
        return value


# Whether a text cell starting with this character may need escaping (rule 1 or 2).
_RISKY_FIRST = _Memo(lambda ch: ch in _RISKY_START or _blank(ch))
_NEVER = _Memo(lambda ch: False)
_DIGITS = frozenset("0123456789")


def _demand_cells(cursor: Iterable[tuple[Any, ...]], units: dict[int, str],
                  m: _Masks, escaped: bool = True) -> Iterator[list[Any]]:
    """The cells of each row, escaped (``escaped``) or the values themselves. The ledger's
    own values (numbers, ISO dates, labels, counts) never need escaping; text a clerk typed
    is escaped by ``escape_cell``: the names of registers (townships, villages, grids,
    channels, categories, types, cadres, co-units) once for each distinct name, free text
    only when its first character may need it. Row by row this is the export's only work
    beside SQLite's and the csv module's."""
    complexity = _labels("complexity", lifecycle.COMPLEXITIES)
    status = _labels("status", lifecycle.STATUSES)
    level = _labels("level", lifecycle.LEVELS)
    satisfaction = _labels("satisfaction", lifecycle.SATISFACTIONS)
    esc = escape_cell if escaped else _same
    risky = _RISKY_FIRST if escaped else _NEVER
    names = _Memo(lambda v: None if v is None else esc(v))  # the registers' names
    lead_names = {u: esc(name) for u, name in units.items()}
    co_names = _Memo(lambda co: esc(SEP.join(units[u] for u in json.loads(co)))
                     if co and co != "[]" else "")
    mask_names, unmask = m.mask_names, m.unmask
    digits = _DIGITS
    # a masked name is its first character and a star (mask_name): one cell per character
    masked = _Memo(lambda ch: esc(ch + "*") if risky[ch] else ch + "*")
    for (number, received_on, township, village, grid, resident, tel, channel, category,
         cx, type_, text, st, lv, lead, co, handler, leader, due_on, provisional, settled,
         escalated_on, assigned_on, suspended_since, resolved_on, result, feedback,
         followed_up_on, sat, closed_on, reopen_count, first_step_on, locality) in cursor:
        if mask_names:
            person = masked[resident[0]] if resident else resident
        else:
            person = esc(resident) if resident and risky[resident[0]] else resident
        if tel and not unmask:  # mask_phone, written out for the common mobile number
            tel = tel[:3] + "****" + tel[-4:] if len(tel) == 11 else mask_phone(tel)
        yield [
            number, received_on, names[township], names[village], names[grid], person,
            # a masked number (138****5678) is never read as digits: only rule 1 applies
            esc(tel) if tel and risky[tel[0]] and not (tel[0] in digits and "*" in tel)
            else tel,
            names[channel], names[category], complexity[cx], names[type_],
            esc(text) if text and risky[text[0]] else text,
            status[st], level[lv], lead_names.get(lead) if lead else None, co_names[co],
            names[handler], names[leader], due_on,
            ("是" if provisional else "否") if due_on else None, "是" if settled else "否",
            escalated_on, assigned_on, suspended_since, resolved_on,
            esc(result) if result and risky[result[0]] else result,
            esc(feedback) if feedback and risky[feedback[0]] else feedback,
            followed_up_on, satisfaction[sat], closed_on, reopen_count or 0,
            first_step_on, names[locality],
        ]


def _visit_rows(ledger: Ledger, m: _Masks, given: dict[str, Any],
                escaped: bool = True) -> Iterator[list[Any]]:
    esc = escape_cell if escaped else _same
    return ([esc(c) for c in (
        x["id"], x["visited_on"], x["township"], x["village"], x["grid"], m.name(x["resident"]),
        m.phone(x["phone"]), x["channel"], x["cadres"], x["note"], x["numbers"])]
        for x in ledger.visits.export_rows(**given))


def _resident_rows(ledger: Ledger, m: _Masks, given: dict[str, Any],
                   escaped: bool = True) -> Iterator[list[Any]]:
    esc = escape_cell if escaped else _same
    return ([esc(c) for c in (
        r["id"], m.name(r["name"]), r["township"], r["village"], r["grid"], m.phone(r["phone"]),
        m.id_number(r["id_number"]), r["address"], r["tags"], r["note"])]
        for r in ledger.residents.export_rows(**given))


def _demand_rows(ledger: Ledger, m: _Masks, given: dict[str, Any],
                 escaped: bool = True) -> Iterator[list[Any]]:
    return _demand_cells(ledger.demands.export_rows(**given), ledger.registers.unit_names(), m,
                         escaped)
