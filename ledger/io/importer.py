"""CSV import: a file in the ledger's CSV format (``csvio``) read into the ledger, all or
nothing, in one pass and in bounded memory.

How a file is read
------------------
The file is streamed row by row inside one write transaction: every row is checked, and the
rows that pass are written as they come (demands in batches, with their journal). When the
file ends, any problem rolls the whole transaction back and raises ``ImportRefused`` with
every problem (row as Excel numbers it, column, value, reason); ``dry_run`` rolls back too.
So nothing is ever half written, and memory does not grow with the file: a million rows
are held one batch at a time.

Because rows are written as they come, names the import creates (``create_missing``:
townships, villages, grids, units, categories, channels, types, cadres, and the residents a
demand or visit names) exist as soon as they are first met, and later rows find them as
they would find any entry of the ledger. A unit created here takes the lowest level it is
used at in the file. Rows without a demand number get, when the file ends, the next numbers
of their year of receipt after every number of that year in the ledger or the file, in the
order of the file.

The file's encoding is UTF-8 (with or without a BOM) or GB18030 (which includes GBK): UTF-8
is tried first; if the file is not UTF-8, the work is rolled back and done again as GB18030;
a file that is neither is refused, naming the first byte that cannot be read.

A workbook (.xlsx, ``import_xlsx``) is one more row source for the same reading: its first
sheet (or the one named) streamed by openpyxl (read-only), each cell turned into the text a
CSV would hold (``_BookRows``: a date cell its ISO date, a number its digits), the header
found below any title rows, and then the same checks, problems and all-or-nothing rule. Only
a workbook can hold an ID or phone number as a number, whose digits may be lost: such a
cell is a problem naming its column (``_number_lost_digits``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
from array import array
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator, Sequence

from .. import lifecycle
from ..deadlines import Deadline, Policy, demand_deadline, parse_date, year_in_range
from ..errors import BadInput, LedgerError, NotFound
from ..i18n import label, t
from ..models import (
    check_id_number, check_phone, clean_name, clean_text, enum_value, number_seq, parse_number,
)
from ..services import Ledger
from ..services.lookup import deferred as deferred_keys
from ..services.residents import label as resident_label
if TYPE_CHECKING:
    from ..store.journal import Journal
from .csvformat import (
    COLUMNS, ERROR_COLUMNS, NAME_SEPARATORS, REQUIRED, YES_NO, CsvWriter, check_encoding, headers,
    what_of,
)

BATCH = 500  # demand rows checked and written together
CACHE_KIB = 8_192  # SQLite's page cache while importing (the default is 2 MiB; 16 MiB measured no faster)
NUMBERS_KEPT = 1000  # ImportResult.numbers keeps the first ones, in the order of the file
NAMES_KEPT = 1000  # ImportResult.created keeps the first names of each kind
_ESCAPES = ("'", "\t")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- problems and results -------------------------------------------------------------------

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
    writer = CsvWriter(out, check_encoding(encoding))
    try:
        writer.row(ERROR_COLUMNS)
        for e in errors:
            writer.row(e.as_row(lang))
    finally:
        writer.finish()
    return len(errors)


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    what: str
    encoding: str = ""
    rows: int = 0  # data rows read; blank rows are not counted
    added: int = 0
    skipped: int = 0  # already in the ledger (or earlier in the file), the same
    updated: int = 0  # already in the ledger, corrected from the file (``update``)
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> the first names
    created_count: dict[str, int] = field(default_factory=dict)  # kind -> how many created
    dry_run: bool = False
    numbers: list[str] = field(default_factory=list)  # the first NUMBERS_KEPT demands added


class _Rollback(Exception):
    """Ends the import's transaction without keeping anything."""


# --- the whole file -------------------------------------------------------------------------

def import_csv(ledger: Ledger, source: bytes | BinaryIO, *, what: str = "demands",
               dry_run: bool = False, create_missing: bool = False,
               progress: Callable[[int], None] | None = None, update: bool = False,
               update_reason: str = "按导入文件更正",
               allow_duplicates: bool = False) -> ImportResult:
    """Read a CSV in the ledger's format and add what is new, all or nothing.

    ``source`` is the file's bytes or a binary file open for reading (seekable). Every row
    is checked; any problem raises ``ImportRefused`` (exit 2) listing them all, and nothing
    is written. With ``dry_run`` nothing is written either way. Unknown villages, grids,
    units, categories, channels, types (and cadres, for visits) are problems unless
    ``create_missing``; residents are matched by ID number, or name and village (and phone)
    and created when absent. ``progress(bytes_read)`` is called now and then.

    A demand row whose number is in the ledger already is skipped when it says the same
    (the cells it leaves empty say nothing; 办理时限 and 时限暂定 are the ledger's own
    clock); when it says otherwise, each differing column is a problem (number, column,
    the ledger's value, the file's). With ``update`` a different text is recorded as a
    ``correct`` step and a different category, difficulty or type as a ``classify`` step
    (``update_reason`` is the correction's reason); a difference no single step can make
    (another status, unit, date ...) stays a problem: the state is never rewritten.

    An unnumbered row that matches a demand already in the ledger (same village, category
    and day received, texts at least ``import.duplicate_similarity`` alike) is a likely
    duplicate: a problem naming that demand's number, unless ``allow_duplicates``.
    """
    what = what_of(what)
    raw = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    head = raw.read(4)
    raw.seek(0)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadInput("csv.workbook")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadInput("csv.utf16")
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return _import(ledger, _CsvRows(raw, encoding), what, dry_run, create_missing, progress,
                       (update, update_reason), allow_duplicates)
    except UnicodeDecodeError:
        pass  # everything done so far was rolled back
    if encoding == "utf-8-sig":
        raise BadInput("csv.encoding", position=_first_bad_byte(raw, "utf-8") + 1)
    utf8_at = _first_bad_byte(raw, "utf-8")
    gb_at = _first_bad_byte(raw, "gb18030")
    if gb_at >= 0:
        # Counted from 1, as a person counts: the first byte neither encoding can read.
        raise BadInput("csv.encoding", position=max(utf8_at, gb_at) + 1)
    raw.seek(0)
    return _import(ledger, _CsvRows(raw, "gb18030"), what, dry_run, create_missing, progress,
                   (update, update_reason), allow_duplicates)


def _first_bad_byte(raw: BinaryIO, encoding: str, chunk: int = 1 << 20) -> int:
    """The offset of the first byte ``encoding`` cannot read (after a UTF-8 BOM), or -1."""
    raw.seek(0)
    offset = 3 if raw.read(3) == codecs.BOM_UTF8 else 0
    raw.seek(offset)
    decoder = codecs.getincrementaldecoder(encoding)()
    while True:
        data = raw.read(chunk)
        try:
            decoder.decode(data, final=not data)
        except UnicodeDecodeError as e:
            pending = len(e.object) - len(data)  # bytes held back from the chunk before
            return offset - pending + e.start
        if not data:
            return -1
        offset += len(data)


def _import(L: Ledger, source: "_CsvRows | _BookRows", what: str, dry_run: bool,
            create_missing: bool, progress: Callable[[int], None] | None,
            update: tuple[bool, str] = (False, ""),
            allow_duplicates: bool = False) -> ImportResult:
    """Read ``source`` (a row source: a CSV's rows, or a workbook sheet's) into the ledger:
    every row through the same checks, all or nothing."""
    result = ImportResult(what=what, encoding=source.encoding, dry_run=dry_run)
    problems: list[RowError] = []
    L.db.set_cache(CACHE_KIB)
    # A large load builds its indexes after it: their sorts spill to temporary files, not
    # to memory (a million rows would hold hundreds of MiB).
    if not L.db.conn.in_transaction:
        L.db.execute("PRAGMA temp_store = FILE")
    try:
        with L.db.atomic():
            try:
                head, first = source.header(what)
                keys, labels = _header(head, what)
                refs = _Refs(L, create_missing)
                rows = _rows(source.rows(), keys, labels, problems, result, source.raw,
                             progress, start=first, escaped=source.escaped,
                             numbers=source.numbers)
                kind = {"demands": _Demands, "visits": _Visits, "residents": _Residents}[what](
                    L, refs, problems, result)
                kind.update, kind.update_reason = update
                kind.allow_duplicates = allow_duplicates
                kind.raw = source.raw
                with deferred_keys(L.db):  # the new residents' pinyin keys, at once
                    kind.run(rows)
            except csv.Error as e:
                raise BadInput("csv.malformed", line=source.line(), why=str(e)) from None
            refs.finish()
            result.created_count = {k: n for k, n in refs.created_count.items() if n}
            result.created = {k: refs.created[k] for k in result.created_count}
            if problems or dry_run or not (result.added or result.created or result.updated):
                raise _Rollback
            L.journal.write("import", 0, source.kind, L.today.isoformat(), {
                "what": what, "rows": result.rows, "added": result.added,
                "skipped": result.skipped, "updated": result.updated,
                "encoding": source.encoding, "created": result.created_count,
            })
    except _Rollback:
        pass
    finally:
        source.close()  # the caller's file stays open
    if problems:
        problems.sort(key=lambda e: e.row)
        raise ImportRefused(problems)
    return result


class _CsvRows:
    """The rows of a CSV file, as text cells escaped by ``csvformat.escape_cell``."""

    kind = "csv"
    escaped = True  # a leading apostrophe or tab is the export's escape
    numbers = False  # every cell is text

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        self.raw = raw
        self.encoding = encoding
        self.text = io.TextIOWrapper(raw, encoding=encoding, newline="", errors="strict")
        self.reader = csv.reader(self.text)

    def header(self, what: str) -> tuple[list[str] | None, int]:
        """The header row, and the number (as Excel counts) of the first row after it."""
        return next(self.reader, None), 2

    def rows(self) -> Iterator[list[str]]:
        return self.reader

    def line(self) -> int:
        return self.reader.line_num

    def close(self) -> None:
        self.text.detach()


class _Number(str):
    """A workbook cell that held a number, as the text of that number."""


HEADER_SEARCH = 10  # rows of a sheet searched for its header (title rows above it)


class _BookRows:
    """The rows of one sheet of a workbook (.xlsx, read with openpyxl, streamed), as text
    cells: a date cell as its ISO date, a number as its digits (a ``_Number``, so that an ID
    or phone number a spreadsheet turned into a number is refused), 是/否 for a boolean.
    The header is the first of the sheet's first rows whose cells are all columns of the
    format (a title above it, as ``export --format xlsx`` writes, is skipped)."""

    kind = "xlsx"
    encoding = "xlsx"
    escaped = False  # a workbook's text cells are never formulas: nothing was escaped
    numbers = True
    raw = None

    def __init__(self, book: Any, sheet: Any, path: str = "") -> None:
        self.book = book
        self.cells = _sheet_rows(book, sheet, path)
        self.n = 0
        self.pending: list[list[str]] = []

    def _next(self) -> list[str] | None:
        row = next(self.cells, None)
        if row is None:
            return None
        self.n += 1
        return row

    def header(self, what: str) -> tuple[list[str] | None, int]:
        alias = _aliases(what)
        seen: list[list[str]] = []
        while len(seen) < HEADER_SEARCH:
            row = self._next()
            if row is None:
                break
            seen.append(row)
            names = [_header_key(c.replace("\ufeff", "")) for c in row if c.strip()]
            if names and all(n in alias for n in names):
                return row, self.n + 1
        # No header among them: the first non-empty row is read as one (and refused).
        while seen and not any(c.strip() for c in seen[0]):
            seen.pop(0)
        if not seen:
            return None, 2
        first = self.n - len(seen) + 1
        self.pending = seen[1:]
        return seen[0], first + 1

    def rows(self) -> Iterator[list[str]]:
        yield from self.pending
        while True:
            row = self._next()
            if row is None:
                return
            yield row

    def line(self) -> int:
        return self.n

    def close(self) -> None:
        self.book.close()


LAST_ROW, LAST_COLUMN = 1_048_576, 16_384  # the largest sheet Excel makes
WIDE = 256  # cells of a row kept apart; any beyond are read as one more cell (no header)


class _Forget(dict):  # type: ignore[type-arg]
    """A dict that keeps nothing: openpyxl records every formatted row's attributes."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _sheet_rows(book: Any, sheet: Any, path: str) -> Iterator[list[str]]:
    """The rows of a sheet as text cells (``_book_cell``), in constant memory whatever size
    the sheet declares: its cells are read by openpyxl's cell parser as the XML streams by,
    each row dropped once read (openpyxl's own reader keeps every row it has passed, and
    pads each to the declared width). A row missing between two is an empty row; a cell
    that cannot be read (a number that is not one, a shared string past the table, a date
    serial no calendar has) is ``BadInput`` naming the file and the cell."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS

    row_tag, data_tag = f"{{{SHEET_MAIN_NS}}}row", f"{{{SHEET_MAIN_NS}}}sheetData"
    parser = WorkSheetParser(None, book.shared_strings, data_only=True, epoch=book.epoch,
                             date_formats=book._date_formats,
                             timedelta_formats=book._timedelta_formats)
    parser.row_dimensions = _Forget()
    counter = 0

    def bad(where: str, why: str) -> BadInput:
        return BadInput("import.bad_cell", path=path, cell=where, why=why)

    try:
        source = sheet._get_source()
    except Exception as e:  # the sheet's part is missing from the zip
        raise BadInput("import.bad_workbook", path=path, why=_one_line(e)) from None
    with source:
        holder = None
        events = iterparse(source, events=("start", "end"))
        while True:
            try:
                event, el = next(events)
            except StopIteration:
                break
            except Exception as e:  # XML that does not parse, a zip member cut short
                raise bad(f"#{counter + 1}", _one_line(e)) from None
            if event == "start":
                if el.tag == data_tag:
                    holder = el
                continue
            if el.tag == data_tag:
                break  # the rest of the sheet (merged cells, print settings) is not read
            if el.tag != row_tag:
                continue
            r = el.get("r")
            try:
                index = int(r) if r is not None else counter + 1
            except ValueError:
                raise bad(f"#{counter + 1}", f"r={r[:20]!r}") from None
            if not counter < index <= LAST_ROW:
                raise bad(f"#{index}", f"r={index}")
            parser.row_counter, parser.col_counter = index, 0
            values: dict[int, str] = {}
            for c in el:
                try:
                    cell = parser.parse_cell(c)
                    column = cell["column"]
                    if not 1 <= column <= LAST_COLUMN or cell["row"] != index:
                        raise ValueError(c.get("r"))
                    text = _book_cell(cell["value"])
                except Exception as e:
                    where = c.get("r") or f"{_column_name(parser.col_counter)}{index}"
                    raise bad(where[:20], _one_line(e)) from None
                if text:
                    values.setdefault(min(column, WIDE + 1), text)
            el.clear()
            if holder is not None:
                holder.clear()  # the rows read so far are let go
            while counter < index - 1:  # rows the sheet left out
                counter += 1
                yield []
            counter = index
            if not values:
                yield []
                continue
            row = [""] * max(values)
            for column, text in values.items():
                row[column - 1] = text
            yield row


def _column_name(i: int) -> str:
    from openpyxl.utils import get_column_letter

    try:
        return get_column_letter(i)
    except ValueError:
        return f"#{i}"


def _one_line(e: BaseException) -> str:
    return " ".join(f"{type(e).__name__}: {e}".split())[:200]


def _book_cell(value: Any) -> str:
    from datetime import datetime, time

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, int):
        return _Number(str(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value} is not a number")
        if value.is_integer() and abs(value) < 1e15:
            return _Number(str(int(value)))
        return _Number(repr(value))
    return str(value)


def _number_lost_digits(key: str, cell: str) -> bool:
    """Whether a number cell cannot be the ``key`` column's value: an ID number never (a
    spreadsheet keeps 15 digits of a number; an ID has 18), a phone unless it is a whole
    11-digit mobile number (which a number holds exactly; a landline's leading 0 is lost)."""
    if key == "id_number":
        return True
    return not (cell.isdigit() and len(cell) == 11 and cell.startswith("1"))


_PERSONAL = ("phone", "id_number")


def import_xlsx(ledger: Ledger, path: Any, *, sheet: str | None = None,
                what: str = "demands", dry_run: bool = False, create_missing: bool = False,
                update: bool = False, update_reason: str = "按导入文件更正",
                allow_duplicates: bool = False) -> ImportResult:
    """Read a workbook (.xlsx) in the ledger's format, from its first sheet or ``sheet``,
    with the checks, the report and the all-or-nothing rule of ``import_csv``."""
    what = what_of(what)
    name = str(getattr(path, "name", path))
    _quiet_openpyxl()
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # a zip that is not a workbook, a damaged file
        raise BadInput("import.bad_workbook", path=name, why=str(e) or type(e).__name__) from None
    try:
        sheets = [ws for ws in book.worksheets if hasattr(ws, "_get_source")]
        if sheet is None:
            if not sheets:
                raise BadInput("import.no_worksheet", path=name)
            ws = sheets[0]
        elif sheet in book.sheetnames and hasattr(book[sheet], "_get_source"):
            ws = book[sheet]
        else:
            raise BadInput("import.no_sheet", name=sheet, choices=[s.title for s in sheets])
    except BaseException:
        book.close()
        raise
    return _import(ledger, _BookRows(book, ws, name), what, dry_run, create_missing, None,
                   (update, update_reason), allow_duplicates)


def _quiet_openpyxl() -> None:
    """openpyxl's warnings (a style it does not know, a date serial out of range ...) name
    its own files: never on the clerk's screen. Set here, the one place that reads
    workbooks."""
    import warnings

    warnings.filterwarnings("ignore", module=r"openpyxl(\.|$)")


def _header(head: list[str] | None, what: str) -> tuple[list[str | None], dict[str, str]]:
    """The key of each column (None for a column without a header) and each key's label as
    written in the file (else the Chinese one). Refuses unknown, repeated, missing columns."""
    if head is None or not any(h.strip() for h in head):
        raise BadInput("csv.empty")
    alias = _aliases(what)
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
        raise BadInput("csv.unknown_columns", names=unknown, choices=headers(what))
    if repeated:
        raise BadInput("csv.repeated_columns", names=repeated)
    missing = [zh for key, zh, _ in COLUMNS[what] if key in REQUIRED[what] and key not in header]
    if missing:
        raise BadInput("csv.missing_columns", names=missing)
    return keys, {key: zh for key, zh, _ in COLUMNS[what]} | header


def _aliases(what: str) -> dict[str, str]:
    """Every header a column of ``what`` may have (its key, Chinese name, variants), as
    ``_header_key`` spells it, and the column's key."""
    alias: dict[str, str] = {}
    for key, zh, others in COLUMNS[what]:
        for name in (key, zh, *others):
            alias[_header_key(name)] = key
    return alias


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


@dataclass
class _Row:
    number: int  # as Excel numbers it
    values: dict[str, str]  # key -> unescaped, stripped value ("" when empty)
    header: dict[str, str]  # key -> the header as written in the file (else the Chinese one)


def _rows(reader: Iterator[list[str]], keys: list[str | None], labels: dict[str, str],
          problems: list[RowError], result: ImportResult, raw: BinaryIO | None,
          progress: Callable[[int], None] | None, *, start: int = 2, escaped: bool = True,
          numbers: bool = False) -> Iterator[_Row]:
    """The data rows, unescaped (``escaped``: a CSV's cells) and stripped; blank rows left
    out, values under a column without a header recorded as problems; with ``numbers`` (a
    workbook's cells), an ID or phone number held as a number is a problem naming its
    column."""
    width = len(keys)
    plain = None not in keys
    escapes = _ESCAPES if escaped else ()
    personal = [(i, k) for i, k in enumerate(keys) if k in _PERSONAL] if numbers else []
    for n, cells in enumerate(reader, start=start):
        for i, key in personal:
            cell = cells[i] if i < len(cells) else ""
            if isinstance(cell, _Number) and _number_lost_digits(key, cell):
                problems.append(RowError(n, labels[key], cell, "import.xlsx_number",
                                         {"column": labels[key]}))
                cells = [*cells[:i], "", *cells[i + 1:]]  # checked no further
        if plain and len(cells) <= width and not (
                escaped and ("\x1f'" in "\x1f".join(cells) or cells and cells[0][:1] == "'")):
            # No cell escaped by an apostrophe (a tab escape is stripped with the blanks).
            values = dict(zip(keys, map(str.strip, cells)))  # type: ignore[arg-type]
            if not any(values.values()):
                continue
        elif plain and len(cells) <= width:
            values = {k: (c[1:] if c[:1] in escapes else c).strip()
                      for k, c in zip(keys, cells)}  # type: ignore[misc]
            if not any(values.values()) and not any(c.strip() for c in cells):
                continue
        else:
            if not any(c.strip() for c in cells):
                continue
            values = {}
            for i, cell in enumerate(cells):
                key = keys[i] if i < width else None
                value = (cell[1:] if cell[:1] in escapes else cell).strip()
                if key is None:
                    if value:
                        problems.append(RowError(n, f"#{i + 1}", value, "import.no_header"))
                    continue
                values[key] = value
        result.rows += 1
        if progress is not None and raw is not None and result.rows % 5000 == 0:
            progress(raw.tell())
        yield _Row(n, values, labels)


# --- names in the file, resolved against the ledger (created when asked) ---------------------

class _Refs:
    """Every name of a file resolved once: an id (or a vocabulary name), or the LedgerError
    saying why not. With ``create``, what is missing is created the first time it is met."""

    RESIDENTS_CACHED = 30_000  # people remembered by name; forgotten in bulk beyond

    def __init__(self, ledger: Ledger, create: bool) -> None:
        self.L = ledger
        self.registers = ledger.registers
        self.create = create
        self.cache: dict[tuple[Any, ...], Any] = {}
        self.created: dict[str, list[str]] = {k: [] for k in (
            "township", "village", "grid", "unit", "category", "channel", "type", "cadre",
            "resident")}
        self.created_count = {k: 0 for k in self.created}
        self.unit_levels: dict[int, str] = {}  # units created here -> the lowest level used
        # Residents with a larger id were created by this import.
        self.residents_before = ledger.residents.last_id()
        self.people: dict[str, list[list[Any]]] = {}
        self.people_cached = 0
        self.today = ledger.today.isoformat()
        # While a batch is checked (``hold``): the journal rows of what it creates, held,
        # and the residents it creates, written together (``_flush_people``).
        self.held: _HeldJournal | None = None
        self.new_people: list[tuple[Any, ...]] = []
        self.next_resident = 0

    def hold(self) -> "Journal | None":
        """From now until ``release``: the journal rows written are held (in order) and the
        residents created are written a batch at a time; returns the journal to restore."""
        if self.held is not None:
            return None
        journal = self.L.journal
        self.held = self.L.journal = _HeldJournal(journal)  # type: ignore[assignment]
        return journal

    def release(self, journal: "Journal | None", write: bool = True) -> None:
        """The residents created written, and every held journal row appended, in the
        order they were written (one ``write_many``); ``write`` False: dropped (after an
        error, before the transaction is rolled back)."""
        if journal is None:
            return
        try:
            if write:
                self._flush_people()
        finally:
            held, self.held = self.held, None
            self.new_people = []
            self.L.journal = journal
        assert held is not None
        if write:
            journal.write_many(held.rows)

    def _flush_people(self) -> None:
        """The residents created since the last flush, written (their journal rows take
        the places held for them when they were created)."""
        if not self.new_people:
            return
        people, self.new_people = self.new_people, []
        assert self.held is not None
        with self.held.filling():
            ids = self.L.residents.insert_many(people)
        if ids[0] != self.next_resident - len(people):  # nobody else writes residents here
            raise RuntimeError("resident ids out of step")

    def _cached(self, key: tuple[Any, ...], fn: Callable[[], Any]) -> Any:
        got = self.cache.get(key, self)
        if got is self:
            try:
                got = fn()
            except LedgerError as e:
                got = e
            self.cache[key] = got
        if isinstance(got, LedgerError):
            raise got
        return got

    def _created(self, kind: str, name: str) -> None:
        if self.created_count[kind] < NAMES_KEPT:
            self.created[kind].append(name)
        self.created_count[kind] += 1

    # places
    def township(self, name: str) -> int:
        name = clean_name(name, "township")

        def find() -> int:
            row = self.registers.find("townships", name)
            if row:
                return row["id"]
            if not self.create:
                self.registers.township(name)  # NotFound with the nearest names
            self._created("township", name)
            return self.registers.add_township(name)

        return self._cached(("township", name), find)

    def village(self, township: str, name: str) -> int:
        name = clean_name(name, "village")

        def find() -> int:
            if township:
                tid = self.township(township)
                row = self.registers.find("villages", name, "and township_id = ?", [tid])
                if row:
                    return row["id"]
                if not self.create:
                    return self.registers.village(f"{township}/{name}")["id"]
                return self._add_village(name, tid, township)
            try:
                return self.registers.village(name)["id"]
            except NotFound:
                if not self.create:
                    raise
            towns = self.registers.township_names()
            if len(towns) > 1:
                raise BadInput("import.which_township", choices=towns)
            tid = self.township(towns[0]) if towns else None
            return self._add_village(name, tid, towns[0] if towns else None)

        return self._cached(("village", township, name), find)

    def _add_village(self, name: str, tid: int | None, township: str | None) -> int:
        vid = self.registers.add_village_to(name, tid)
        self._created("village", f"{township}/{name}" if township else name)
        return vid

    def grid(self, village: int, name: str) -> int:
        name = clean_name(name, "grid")

        def find() -> int:
            row = self.registers.find("grids", name, "and village_id = ?", [village])
            if row:
                return row["id"]
            if not self.create:
                return self.registers.grid(name, village)["id"]
            gid = self.registers.add_grid_to(name, village)
            # Grids repeat from village to village (一网格, 二组): named with their village.
            self._created("grid", f"{self._village_name(village)}/{name}")
            return gid

        return self._cached(("grid", village, name), find)

    def unit(self, name: str, level: str) -> tuple[int, str]:
        """A unit and its level; a unit created here takes the lowest level it is used at."""
        name = clean_name(name, "unit")

        def find() -> tuple[int, str]:
            row = self.registers.find("units", name)
            if row:
                return (row["id"], row["level"])
            if not self.create:
                self.registers.unit(name)
            # Journalled when the file ends, with the lowest level the file used it at.
            uid = self.registers.add_unit_unjournaled(name, level)
            self.unit_levels[uid] = level
            self._created("unit", name)
            return (uid, level)

        uid, have = self._cached(("unit", name), find)
        if uid in self.unit_levels:
            if lifecycle.LEVELS.index(level) < lifecycle.LEVELS.index(self.unit_levels[uid]):
                self.unit_levels[uid] = level
            return uid, level
        return uid, have

    def term(self, kind: str, name: str) -> str:
        name = clean_name(name, kind)

        def find() -> str:
            row = self.registers.find("terms", name, "and kind = ?", [kind])
            if row:
                return row["name"]
            if not self.create:
                return self.registers.term(kind, name)
            self.registers.add_term(kind, name)
            self._created(kind, name)
            return name

        return self._cached((kind, name), find)

    def cadre(self, name: str) -> int:
        name = clean_name(name, "cadre")

        def find() -> int:
            row = self.registers.find("cadres", name)
            if row:
                return row["id"]
            if not self.create:
                return self.registers.cadre(name)["id"]
            self._created("cadre", name)
            return self.registers.add_cadre(name)

        return self._cached(("cadre", name), find)

    def resident(self, name: str, village: int, phone: "_Phone") -> int:
        """Matched by name and village; the phone (in full, or masked as 138****5678) tells
        same-named residents apart and finds one who lives in another village. Created when
        absent, with the phone if it was given in full."""
        if "*" in name:
            raise BadInput("import.masked_name")
        name = clean_name(name, "resident")
        everyone = self._people(name)
        rows = [r for r in everyone if r[2] == village]
        if phone.pattern:
            hits = [r for r in rows if phone.matches(r[1])]
            if not hits:  # someone of that name and phone living in another village?
                other = [r for r in everyone if phone.matches(r[1])]
                if len(other) == 1:
                    return other[0][0]
            elif len(hits) == 1 or len(rows) > 1:
                rows = hits
        if len(rows) == 1:
            found = rows[0]
            if found[1] is None and phone.full and found[0] > self.residents_before:
                # Created earlier in this file without a phone: a later row gives it.
                self._flush_people()
                self.L.residents.set_phone(found[0], phone.full)
                found[1] = phone.full
            return found[0]
        if len(rows) > 1:
            raise BadInput("resident.ambiguous", name=name, choices=[
                resident_label({"id": r[0], "name": name, "phone": r[1],
                                        "village": self._village_name(r[2])}) for r in rows])
        # Residents are created whether or not other names may be (as `issue add` would).
        if self.held is not None:  # written with the batch's other new residents
            if not self.new_people:
                self.next_resident = self.L.residents.last_id() + 1
            rid = self.next_resident
            self.next_resident += 1
            self.new_people.append((name, village, None, phone.full, None, None, None, [],
                                    None, None, None))
            self.held.reserve()
        else:
            rid = self.L.residents.insert(name, village, None, phone.full, None, None, None, [])
        self._created("resident", name)
        everyone.append([rid, phone.full, village])
        self.people_cached += 1
        return rid

    def _people(self, name: str) -> list[list[Any]]:
        """Everyone of that name, [id, phone, village id], oldest first; remembered, in
        bulk up to RESIDENTS_CACHED people."""
        rows = self.people.get(name)
        if rows is None:
            if self.people_cached >= self.RESIDENTS_CACHED:
                self._flush_people()  # the look-ups from now on find them
                self.people.clear()
                self.people_cached = 0
            rows = self.people[name] = self.L.residents.named_like(name)
            self.people_cached += len(rows)
        return rows

    def _village_name(self, village: int) -> str:
        return self._cached(("village name", village),
                            lambda: self.registers.village_name(village))

    def finish(self) -> None:
        """Units created here get the lowest level the file used them at."""
        for uid, level in self.unit_levels.items():
            self.registers.set_unit_level(uid, level)


class _HeldJournal:
    """The ledger's journal while a batch is checked: the rows written are held in the
    order written, to be appended by one ``Journal.write_many``; ``reserve`` keeps the place
    of a row written later (a resident created now, written with the batch's others), which
    the rows written ``filling()`` take, in order."""

    def __init__(self, journal: "Journal") -> None:
        self.journal = journal
        self.rows: list[Any] = []
        self.places: list[int] = []
        self.fill = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.journal, name)

    def row(self, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        return self.journal.row(*args, **kwargs)

    def write(self, subject: str, subject_id: int, action: str, on: str,
              data: dict[str, Any] | None = None, reason: str | None = None) -> None:
        self.write_many([self.row(subject, subject_id, action, on, data, reason)])

    def write_many(self, rows: Any) -> None:
        if not self.fill:
            self.rows.extend(rows)
            return
        rows = list(rows)
        places, self.places = self.places[:len(rows)], self.places[len(rows):]
        if len(places) != len(rows):
            raise RuntimeError("journal rows without a place held")
        for at, content in zip(places, rows):
            self.rows[at] = content

    def reserve(self) -> None:
        self.places.append(len(self.rows))
        self.rows.append(None)

    @contextlib.contextmanager
    def filling(self) -> Iterator[None]:
        self.fill = True
        try:
            yield
        finally:
            self.fill = False


@dataclass(frozen=True)
class _Phone:
    """A phone cell: the number in full (None when masked or empty) and a LIKE pattern that
    finds it (a masked 138****5678 gives 138____5678)."""

    full: str | None = None
    pattern: str | None = None

    def matches(self, phone: str | None) -> bool:
        if not (self.pattern and phone):
            return False
        if self.full:
            return phone == self.full
        return re.fullmatch(self.pattern.replace("_", r"\d"), phone) is not None


# --- checking one row ---------------------------------------------------------------------------

class _Check:
    """The checks of one row, collecting problems instead of stopping at the first."""

    def __init__(self, ledger: Ledger, row: _Row, problems: list[RowError]) -> None:
        self.L = ledger
        self.row = row
        self.values = row.values
        self.problems = problems
        self.bad = False

    def v(self, key: str) -> str:
        return self.values.get(key, "")

    def fail(self, key: str, msg: str, **params: Any) -> None:
        column = self.row.header[key]
        self.problems.append(RowError(self.row.number, column, self.v(key), msg, params))
        self.bad = True

    def take(self, key: str, fn: Callable[[str], Any], *, required: bool = False) -> Any:
        """``fn(value)`` of a non-empty cell; None for an empty one; a problem if it raises."""
        value = self.values.get(key)
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
        return self.take(key, self._day, required=required)

    def _day(self, value: str) -> str:
        # A file has few distinct dates: each is read once.
        got = _DAYS.get(value)
        if got is None:
            got = self._read_day(value)
            if len(_DAYS) < 100_000:
                _DAYS[value] = got
        if got > self.L.today.isoformat():
            raise BadInput("date.future", value=got, today=self.L.today.isoformat())
        return got

    @staticmethod
    def _read_day(value: str) -> str:
        if _ISO.fullmatch(value):
            try:
                d = date.fromisoformat(value)
            except ValueError:
                d = parse_date(value)  # says why
            year_in_range(d.year, value)  # (a workbook's serial -5 is 1899-12-25)
        else:
            d = parse_date(value)
        return d.isoformat()

    def yes_no(self, key: str) -> int | None:
        return self.take(key, _yes_no)

    def count(self, key: str) -> int:
        return self.take(key, _count) or 0

    def personal(self, key: str, check: Callable[[str], str]) -> str | None:
        """A phone or ID number given in full; masked ones (with ``*``) are ignored."""
        return self.take(key, lambda value: None if "*" in value else check(value))

    def phone(self, key: str = "phone") -> _Phone:
        value = self.values.get(key)
        if not value:
            return _NO_PHONE
        if "*" in value:
            m = re.fullmatch(r"(\d*)(\*+)(\d*)", value)
            if m is None:
                self.fail(key, "phone.malformed", value=value)
                return _NO_PHONE
            return _Phone(None, m[1] + "_" * len(m[2]) + m[3])
        full = self.take(key, check_phone)
        return _Phone(full, full)


_NO_PHONE = _Phone()
_DAYS: dict[str, str] = {}  # a date as written -> ISO (bad dates raise, and are not kept)


def _yes_no(value: str) -> int:
    got = YES_NO.get(value.lower())
    if got is None:
        raise BadInput("import.yes_no")
    return got


def _count(value: str) -> int:
    if not re.fullmatch(r"\d{1,4}", value):
        raise BadInput("import.count")
    return int(value)


def _names(value: str) -> list[str]:
    return [p for p in NAME_SEPARATORS.split(value.strip()) if p]


def _place(c: _Check, refs: _Refs) -> int | None:
    """The row's village (by 镇/街道 and 村/社区), or None with the problem recorded."""
    township = c.v("township")
    if township and c.take("township", refs.township) is None:
        if not c.v("village"):
            c.fail("village", "import.required")
        return None
    return c.take("village", lambda v: refs.village(township, v), required=True)


def _enum(kind: str) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def parse(value: str) -> str:
        got = cache.get(value)
        if got is None:
            got = cache[value] = enum_value(kind, value)
        return got

    return parse


_STATUS, _LEVEL, _COMPLEXITY, _SATISFACTION = (
    _enum("status"), _enum("level"), _enum("complexity"), _enum("satisfaction"))


# --- demands ----------------------------------------------------------------------------------

_DEMAND_DATES = ("escalated_on", "assigned_on", "suspended_since", "resolved_on",
                 "followed_up_on", "closed_on", "first_step_on")
# Steps after acceptance a row can show: the earliest is the response when 首次响应日期 is
# not given (a file from another system), so the report card does not count it unanswered.
_STEP_DATES = ("escalated_on", "assigned_on", "suspended_since", "resolved_on")
_DONE_ONLY = ("resolved_on", "result", "feedback", "followed_up_on", "satisfaction", "closed_on")
_AFTER = {"resolved_on": ("escalated_on", "assigned_on"), "followed_up_on": ("resolved_on",),
          "closed_on": ("followed_up_on", "resolved_on")}


# The columns of a demand row compared with the ledger's demand of that number: column ->
# the state field it gives (办理时限 and 时限暂定 are left out: the ledger's clock computes
# them; 镇/街道 and 联系电话 only help find the village and the resident).
_CONTENT = {
    "received_on": "received_on", "village": "village_id", "grid": "grid_id",
    "resident": "resident_id", "channel": "channel", "category": "category",
    "complexity": "complexity", "type": "type", "text": "text", "status": "status",
    "level": "level", "unit": "lead_unit_id", "co_units": "co_unit_ids", "handler": "handler",
    "leader": "leader", "settled_on_spot": "settled_on_spot", "escalated_on": "escalated_on",
    "assigned_on": "assigned_on", "suspended_since": "suspended_since",
    "resolved_on": "resolved_on", "result": "result", "feedback": "feedback",
    "followed_up_on": "followed_up_on", "satisfaction": "satisfaction",
    "closed_on": "closed_on", "reopen_count": "reopen_count", "first_step_on": "first_step_on",
    "locality": "locality_id",
}
# What one lifecycle step can correct: the text (correct), the classification (classify).
_BY_STEP = ("text", "category", "complexity", "type")
_LABELLED = ("status", "level", "complexity", "satisfaction")


def _differences(row: _Row, plan: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """The columns a row fills in with a value other than the ledger's."""
    data = {**plan["data"], "received_on": plan["received_on"]}
    out = []
    for key, field in _CONTENT.items():
        if not row.values.get(key):
            continue  # an empty cell says nothing
        have = stored[field]
        if field == "co_unit_ids":
            have = json.loads(have or "[]")
        if data.get(field) != have:
            out.append(key)
    return out


# --- checking a batch column by column ----------------------------------------------------------

class _Bad:
    """A cell's problem, found once for its value: the message key and its parameters (as
    ``_Check.take`` reports a LedgerError)."""

    __slots__ = ("key", "params")

    def __init__(self, e: LedgerError) -> None:
        self.key = e.key
        self.params = {k: v for k, v in e.params.items() if k != "number"}


_UNSEEN = object()


def _attempt(fn: Callable[[str], Any], value: str) -> Any:
    """``fn(value)``, or the ``_Bad`` of the LedgerError it raises."""
    try:
        return fn(value)
    except LedgerError as e:
        return _Bad(e)


class _Columns:
    """The cells of the demand rows checked by column, each distinct value once: a column
    that needs nothing but itself (a date, an enum, a yes/no, a name, a text, a phone) keeps,
    for each value met, its result or its problem (``cell``), while the column has few
    distinct values (columns of one check, the dates, share them); a column naming something
    of the ledger (village, grid, unit, term) keeps each name in its context resolved
    (``ref``), the first time a row meets it, in the order of the file (what it creates is
    created in that order, as row by row). A row reads its cells from these, and its problems
    are reported as ``_Check`` reports them, row by row, with the same messages."""

    KEPT = 5_000  # distinct values of a column kept (then forgotten, and found again)

    def __init__(self, checks: dict[str, Callable[[str], Any]]) -> None:
        self.checks = checks
        # Columns of one check (the dates, the yes/no columns) share what it found.
        found: dict[Callable[[str], Any], dict[str, Any]] = {}
        self.memo: dict[str, dict[str, Any]] = {
            k: found.setdefault(fn, {}) for k, fn in checks.items()}
        self.refs: dict[str, dict[tuple[Any, str], Any]] = {}

    def cell(self, c: _Check, key: str, required: bool = False) -> Any:
        """A self-contained cell's value (None when empty), its problem recorded on ``c``."""
        value = c.values.get(key)
        if not value:
            if required:
                c.fail(key, "import.required")
            return None
        memo = self.memo[key]
        got = memo.get(value, _UNSEEN)
        if got is _UNSEEN:  # the first row with this value: checked
            if len(memo) >= self.KEPT:
                memo.clear()
            got = memo[value] = _attempt(self.checks[key], value)
        if type(got) is _Bad:
            c.fail(key, got.key, **got.params)
            return None
        return got

    def ref(self, c: _Check, key: str, context: Any, fn: Callable[[str], Any],
            value: str | None = None, required: bool = False) -> Any:
        """A cell naming something of the ledger in ``context`` (``fn`` resolves it; run
        for the first row that names it), or None with its problem recorded."""
        if value is None:
            value = c.values.get(key)
        if not value:
            if required:
                c.fail(key, "import.required")
            return None
        memo = self.refs.get(key)
        if memo is None:
            memo = self.refs[key] = {}
        got = memo.get((context, value), _UNSEEN)
        if got is _UNSEEN:
            if len(memo) >= self.KEPT:
                memo.clear()
            got = memo[(context, value)] = _attempt(fn, value)
        if type(got) is _Bad:
            c.fail(key, got.key, **got.params)
            return None
        return got


def _day_check(today: str) -> Callable[[str], str]:
    """A date cell as ``_Check.day`` reads it (not after ``today``)."""

    def day(value: str) -> str:
        got = _Check._read_day(value)
        if got > today:
            raise BadInput("date.future", value=got, today=today)
        return got

    return day


def _phone_cell(value: str) -> "_Phone":
    """A phone cell as ``_Check.phone`` reads it."""
    if "*" in value:
        m = re.fullmatch(r"(\d*)(\*+)(\d*)", value)
        if m is None:
            raise BadInput("phone.malformed", value=value)
        return _Phone(None, m[1] + "_" * len(m[2]) + m[3])
    full = check_phone(value)
    return _Phone(full, full)


def _demand_columns(today: str) -> _Columns:
    """The self-contained columns of a demand row and the check of each."""
    day = _day_check(today)
    checks: dict[str, Callable[[str], Any]] = {
        "received_on": day, "text": lambda v: clean_text(v, "issue"),
        "status": _STATUS, "level": _LEVEL, "complexity": _COMPLEXITY,
        "satisfaction": _SATISFACTION, "phone": _phone_cell,
        "handler": lambda v: clean_name(v, "handler"),
        "leader": lambda v: clean_name(v, "leader"),
        "result": lambda v: clean_text(v, "result"),
        "feedback": lambda v: clean_text(v, "feedback"),
        "due_on": lambda v: parse_date(v).isoformat(),
        "due_provisional": _yes_no, "settled_on_spot": _yes_no, "reopen_count": _count,
    }
    for key in _DEMAND_DATES:
        checks[key] = day
    return _Columns(checks)


class _Kind:
    """The rows of one kind of file: ``run`` checks them, and writes those that pass."""

    update = False  # rows already in the ledger with other content: corrected by steps
    update_reason = ""
    raw: Any = None  # the file read (its size tells how large a load is)

    def __init__(self, L: Ledger, refs: _Refs, problems: list[RowError],
                 result: ImportResult) -> None:
        self.L, self.refs, self.problems, self.result = L, refs, problems, result

    def run(self, rows: Iterator[_Row]) -> None:
        raise NotImplementedError


class _Demands(_Kind):
    """Demand rows, checked and written a batch at a time."""

    allow_duplicates = False

    def __init__(self, L: Ledger, refs: _Refs, problems: list[RowError],
                 result: ImportResult) -> None:
        super().__init__(L, refs, problems, result)
        # The numbers of rows met but not written, and their rows (a scratch table); the
        # rows of the demands written, by id from first_id.
        self.bulk = L.demands.bulk()
        self.rows_of = array("L")
        self.first_id = L.demands.next_id()
        self.next_id = self.first_id
        self.unnumbered = False
        self.kept: list[str | int] = []  # numbers, or the ids of rows numbered at the end
        self.visits = L.visits.linked_numbers()
        self.policies: dict[tuple[Any, ...], Policy | None] = {}
        self.columns = _demand_columns(L.today.isoformat())
        self.deadlines: dict[tuple[Any, ...], Deadline | None] = {}

    def run(self, rows: Iterator[_Row]) -> None:
        batch: list[_Row] = []
        first = True
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                if first and self.bulk.is_large(self._rows_expected(row.number)):
                    self.bulk.begin_load()
                first = False
                self._batch(batch)
                batch = []
        if batch:
            self._batch(batch)
        if not self.problems and not self.result.dry_run:  # else all is rolled back
            self.bulk.end_load()
        self.bulk.done()
        if self.unnumbered:
            self.bulk.number_unnumbered(self.first_id)
        self.result.numbers = self._kept_numbers()

    def _rows_expected(self, rows_read: int) -> int:
        """The rows the whole file holds, from the bytes the first rows took."""
        raw = self.raw
        try:
            at, end = raw.tell(), raw.seek(0, 2)
            raw.seek(at)
        except (AttributeError, OSError, ValueError):  # not a file that can tell its size
            return 0
        return int(rows_read * end / max(at, 1))

    def _batch(self, batch: list[_Row]) -> None:
        # Numbers first: one look each at the file so far and at the ledger, for the batch.
        numbers: dict[int, str] = {}
        for row in batch:
            value = row.values.get("number")
            if value:
                try:
                    numbers[row.number] = parse_number(value)
                except LedgerError:
                    pass  # reported with the rest of the row
        wanted = sorted(set(numbers.values()))
        # A number met before in the file is in the ledger (written by this import, id from
        # first_id on) or, when its row was skipped or refused, in temp.import_numbers.
        in_ledger = self.bulk.ids_of(wanted)
        unwritten = self.bulk.unwritten(wanted)
        void = self.L.demands.voided(wanted)
        plans, first, not_written, present = [], {}, [], []
        held = self.refs.hold()  # what the checks create, written at once below
        try:
            self._check_batch(batch, numbers, in_ledger, unwritten, void, plans, first,
                              not_written, present)
        except BaseException:
            self.refs.release(held, write=False)  # the transaction is rolled back
            raise
        self.refs.release(held)
        self.bulk.not_written(not_written)
        if not self.allow_duplicates:
            plans = self._not_duplicates(plans)
        self._write(plans)
        self._present(present)

    def _check_batch(self, batch: list[_Row], numbers: dict[int, str], in_ledger: dict[str, int],
                     unwritten: dict[str, int], void: set[str], plans: list[dict[str, Any]],
                     first: dict[str, int], not_written: list[tuple[str, int]],
                     present: list[tuple[_Row, str, int]]) -> None:
        for row in batch:
            number = numbers.get(row.number)
            if number is not None:
                seen = first.get(number) or unwritten.get(number)
                did = in_ledger.get(number)
                if seen is None and did is not None and did >= self.first_id:
                    seen = self.rows_of[did - self.first_id]
                if seen is not None:
                    _Check(self.L, row, self.problems).fail(
                        "number", "import.repeated_number", first=seen)
                    continue
                first[number] = row.number
                if number in void:
                    _Check(self.L, row, self.problems).fail("number", "import.number_void")
                    continue
                if did is not None:
                    present.append((row, number, did))
                    not_written.append((number, row.number))
                    continue
            plan = self._check(row, number)
            if plan is not None:
                plan["row"] = row.number
                plan["source"] = row
                plans.append(plan)
            elif number is not None:
                not_written.append((number, row.number))

    def _not_duplicates(self, plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The plans that are not likely duplicates of a demand the ledger held before this
        import (unnumbered rows only: same village, category and day received, not two
        different residents, texts at least ``import.duplicate_similarity`` alike); each
        duplicate is a problem naming it."""
        kept, fuzz, floor = [], None, None
        for p in plans:
            if p["number"] is not None:
                kept.append(p)
                continue
            d = p["data"]
            rows = self.L.db.execute(
                "select number, text from demands where village_id = ? and received_on = ? "
                "and category is ? and id < ? and (resident_id is null or ? is null or "
                "resident_id = ?) order by id",
                [d["village_id"], p["received_on"], d["category"], self.first_id,
                 d["resident_id"], d["resident_id"]]).fetchall()
            found = None
            if rows:
                if fuzz is None:
                    from rapidfuzz import fuzz

                    floor = self.L.reports.settings()["import.duplicate_similarity"]
                for number, text in rows:
                    score = fuzz.ratio(d["text"], text)
                    if score >= floor:
                        found = (number, round(score))
                        break
            if found is None:
                kept.append(p)
                continue
            _Check(self.L, p["source"], self.problems).fail(
                "text", "import.likely_duplicate", number=found[0], similarity=found[1])
        return kept

    def _present(self, present: list[tuple[_Row, str, int]]) -> None:
        """Rows whose number the ledger holds: the same (skipped), or what differs, as
        problems or (``update``) as correction steps."""
        if not present:
            return
        stored = {r["id"]: r for r in self.L.db.query(
            f"select * from demands where id in ({', '.join('?' * len(present))})",
            [did for _, _, did in present])}
        for row, number, did in present:
            if self._as_shown(row, stored[did]):
                self.result.skipped += 1  # the row reads as the ledger's own export of it
                continue
            plan = self._check(row, number)
            if plan is None:
                continue  # the row's own problems are listed
            differ = _differences(row, plan, stored[did])
            if not differ:
                self.result.skipped += 1
                continue
            c = _Check(self.L, row, self.problems)
            by_step = [k for k in differ if k in _BY_STEP]
            no_step = [k for k in differ if k not in _BY_STEP]
            for key in differ:
                if self.update and key in _BY_STEP:
                    continue
                c.fail(key, "import.conflict" if not self.update else "import.conflict_no_step",
                       number=number, ledger=self._shown(key, row.number, stored[did]))
            if not self.update or no_step or not by_step:
                continue
            try:
                with self.L.db.atomic():
                    if "text" in by_step:
                        self.L.demands.correct(number, plan["data"]["text"],
                                               reason=self.update_reason)
                    classify = {k: plan["data"][k] for k in ("category", "complexity", "type")
                                if k in by_step}
                    if classify:
                        self.L.demands.classify(number, **classify)
            except LedgerError as e:
                c.fail(by_step[0], e.key, **{**e.params, "number": number})
                continue
            self.result.updated += 1

    def _as_shown(self, row: _Row, stored: dict[str, Any]) -> bool:
        """Every filled cell of the row is the ledger's value as the export writes it (a
        masked name is not compared): the quick way to know a row is the same."""
        for key in _CONTENT:
            cell = row.values.get(key)
            if not cell or (key == "resident" and "*" in cell):
                continue
            if cell != self._shown(key, row.number, stored):
                return False
        return True

    def _shown(self, key: str, row: int, stored: dict[str, Any]) -> str:
        """The ledger's value of a column as the export writes it."""
        field = _CONTENT[key]
        value = stored[field]
        if value is None or value == "":
            return ""
        registers = self.L.registers
        if field in ("village_id", "grid_id", "resident_id", "lead_unit_id", "locality_id"):
            table = {"village_id": "villages", "grid_id": "grids", "resident_id": "residents",
                     "lead_unit_id": "units", "locality_id": "villages"}[field]
            return self.refs._cached(("shown", table, value), lambda: registers.names(
                f"select name from {table} where id = ?", [value])[0])
        if field == "co_unit_ids":
            units = registers.unit_names()
            return "、".join(units.get(u, "") for u in json.loads(value or "[]"))
        if field == "settled_on_spot":
            return "是" if value else "否"
        if field in _LABELLED:
            return label(field, value)
        return str(value)

    def _check(self, row: _Row, number: str | None) -> dict[str, Any] | None:
        """The plan for one demand row (None when it has problems): its cells read from the
        batch's columns (``_Columns``), each problem reported as row by row."""
        L, refs, cols = self.L, self.refs, self.columns
        c = _Check(L, row, self.problems)
        values = row.values
        cell, ref = cols.cell, cols.ref
        if values.get("number") and number is None:
            c.take("number", parse_number)  # the malformed number, as a problem
        received = cell(c, "received_on", True)
        text = cell(c, "text", True)
        # The row's village (by 镇/街道 and 村/社区), or None with the problem recorded.
        township = values.get("township", "")
        if township and ref(c, "township", None, refs.township) is None:
            if not values.get("village"):
                c.fail("village", "import.required")
            village = None
        else:
            village = ref(c, "village", township, lambda v: refs.village(township, v),
                          required=True)
        status = cell(c, "status") or "open"
        level = cell(c, "level")
        known_level = level is not None or not values.get("level")  # a bad level: no further
        level = level or "village"
        complexity = cell(c, "complexity") or "general"
        satisfaction = cell(c, "satisfaction")
        grid = ref(c, "grid", village, lambda v: refs.grid(village, v)) \
            if village is not None else None
        phone = cell(c, "phone") or _NO_PHONE
        resident = c.take("resident", lambda v: refs.resident(v, village, phone)) \
            if village is not None else None
        channel = ref(c, "channel", None, lambda v: refs.term("channel", v))
        category = ref(c, "category", None, lambda v: refs.term("category", v))
        type_ = ref(c, "type", None, lambda v: refs.term("type", v))
        unit_level = level if known_level else None
        lead = ref(c, "unit", unit_level, lambda v: _unit(refs, v, unit_level))
        co: list[int] = []
        if values.get("co_units"):
            for name in _names(values["co_units"]):
                got = ref(c, "co_units", unit_level, lambda v: _unit(refs, v, unit_level),
                          value=name)
                if got is not None and got != lead and got not in co:
                    co.append(got)
            if lead is None and not values.get("unit"):
                c.fail("co_units", "import.co_without_lead")
        handler = cell(c, "handler")
        # 双向派单: the locality goes with an assignment
        locality = ref(c, "locality", None, lambda v: refs.village("", v))
        if locality is not None and lead is None and not values.get("unit"):
            c.fail("locality", "import.locality_without_lead")
        leader = cell(c, "leader")
        result = cell(c, "result")
        feedback = cell(c, "feedback")
        due_on = cell(c, "due_on")
        cell(c, "due_provisional")
        settled = cell(c, "settled_on_spot") or 0
        reopen_count = cell(c, "reopen_count") or 0
        days = {k: cell(c, k) for k in _DEMAND_DATES}
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
        for key in _DEMAND_DATES:
            day = days[key]
            if not day:
                continue
            for other in ("received_on", *_AFTER.get(key, ())):
                before = received if other == "received_on" else days[other]
                if before and day < before:
                    c.fail(key, "import.date_order", other=row.header[other], other_value=before)
                    break
        if c.bad:
            return None

        stage = max(d for d in (received, days["escalated_on"], days["assigned_on"]) if d)
        updated = max([received, *(d for d in days.values() if d)])
        first_step = days["first_step_on"] or min(
            (days[k] for k in _STEP_DATES if days[k]), default=None)
        data = {
            "text": text, "village_id": village, "grid_id": grid, "resident_id": resident,
            "channel": channel, "category": category, "complexity": complexity, "type": type_,
            "status": status, "level": level, "lead_unit_id": lead, "co_unit_ids": co,
            "handler": handler, "leader": leader, "settled_on_spot": settled, "result": result,
            "feedback": feedback, "resolved_on": days["resolved_on"],
            "satisfaction": satisfaction, "followed_up_on": days["followed_up_on"],
            "closed_on": days["closed_on"], "suspended_since": days["suspended_since"],
            "stage_started_on": stage,
            "escalations": max(1, lifecycle.LEVELS.index(level)) if days["escalated_on"] else 0,
            "reopen_count": reopen_count, "updated_on": updated,
            "escalated_on": days["escalated_on"], "assigned_on": days["assigned_on"],
            "first_step_on": first_step, "locality_id": locality,
        }
        return {"number": number, "received_on": received, "data": data, "due_on": due_on}

    def _policy(self, data: dict[str, Any]) -> Policy | None:
        key = (data["category"], data["type"], data["complexity"])
        if key not in self.policies:
            self.policies[key] = self.L.clocks.policy_for(*key)
        return self.policies[key]

    def _deadline(self, data: dict[str, Any], on: str, policy: Policy | None) -> Deadline | None:
        """``demand_deadline`` of the import event alone: a journal of one import event has
        its stage begin on the stage start imported, with the extra days imported and no
        pause counted yet, so demands alike in these and in their policy share one
        deadline, computed once."""
        key = (data["category"], data["type"], data["complexity"],
               data["stage_started_on"] or on, data.get("extra_days") or 0)
        got = self.deadlines.get(key, _UNSEEN)
        if got is _UNSEEN:
            if len(self.deadlines) > _Columns.KEPT:
                self.deadlines.clear()
            got = self.deadlines[key] = demand_deadline([("import", data, on)], policy,
                                                        self.L.calendar)
        return got

    def _write(self, plans: list[dict[str, Any]]) -> None:
        if not plans:
            return
        L = self.L
        demands, journal = [], []
        for p in plans:
            did = self.next_id
            self.next_id += 1
            number = p["number"]
            if number is None:
                number = f"~{did:012d}"  # numbered when the file ends
                self.unnumbered = True
            self.rows_of.append(p["row"])
            if len(self.kept) < NUMBERS_KEPT:
                self.kept.append(p["number"] or did)
            data, on = p["data"], p["received_on"]
            data["visit_id"] = self.visits.get(number)
            policy = self._policy(data)
            # The deadline from the one event this demand's journal will hold; the days the
            # file's 办理时限 lies beyond the stage's period are kept as extra days.
            dl = self._deadline(data, on, policy)
            data["extra_days"] = _extra_days(L, policy, dl, p["due_on"])
            if data["extra_days"]:
                dl = self._deadline(data, on, policy)
            state = lifecycle.apply(None, "import", data, on)
            demands.append((did, number, state, dl))
            journal.append(L.journal.row("demand", did, "import", on, data))
        self.bulk.insert(demands)
        L.journal.write_many(journal)
        self.result.added += len(plans)

    def _kept_numbers(self) -> list[str]:
        named = self.bulk.numbers_of([k for k in self.kept if isinstance(k, int)])
        return [named[k] if isinstance(k, int) else k for k in self.kept]





def _unit(refs: _Refs, name: str, level: str | None) -> int:
    """A lead or cooperating unit, which may not sit above the demand's level (as `assign`
    refuses); ``level`` None when the row's level is itself wrong."""
    ref, unit_level = refs.unit(name, level or "county")
    if level and not lifecycle.unit_may_take(unit_level, level):
        raise BadInput("import.unit_above_level", unit=name, unit_level=unit_level, level=level)
    return ref


def _extra_days(L: Ledger, policy: Policy | None, dl: Deadline | None,
                due_on: str | None) -> int:
    """The days beyond its stage's period (due ``dl``) that make the demand due on
    ``due_on``."""
    if not due_on or policy is None:
        return 0
    wanted = date.fromisoformat(due_on)
    if dl is None or wanted <= dl.due_on:
        return 0
    if policy.unit == "working_days":
        return L.calendar.working_days_between(dl.due_on, wanted)
    length = policy.amount if policy.unit == "calendar_days" else -(-policy.amount // 24)
    return (wanted - dl.stage_started_on).days - length


# --- residents ---------------------------------------------------------------------------------

class _Residents(_Kind):
    """Resident rows: people already registered (or earlier in the file) are skipped."""

    def run(self, rows: Iterator[_Row]) -> None:
        L, refs = self.L, self.refs
        for row in rows:
            c = _Check(L, row, self.problems)
            if "*" in c.v("name"):
                c.fail("name", "import.masked_name")
            name = c.take("name", lambda v: clean_name(v, "resident"), required=True)
            village = _place(c, refs)
            grid = c.take("grid", lambda v: refs.grid(village, v)) if village is not None else None
            phone = c.phone()
            id_number = c.personal("id_number", check_id_number)
            address = c.take("address", lambda v: clean_text(v, "address"))
            note = c.take("note", lambda v: clean_text(v, "note"))
            tags = c.take("tags", lambda v: list(dict.fromkeys(
                clean_name(x, "tag") for x in _names(v)))) or []
            if c.bad:
                continue
            if L.residents.registered(name, village, phone.pattern, id_number):
                self.result.skipped += 1
                continue
            L.residents.insert(name, village, grid, phone.full, id_number, address, note, tags)
            self.result.added += 1


# --- visits ---------------------------------------------------------------------------------------

class _Visits(_Kind):
    """Visit rows: a visit already in the ledger (or earlier in the file) is skipped."""

    def run(self, rows: Iterator[_Row]) -> None:
        L, refs = self.L, self.refs
        for row in rows:
            c = _Check(L, row, self.problems)
            day = c.day("visited_on", required=True)
            village = _place(c, refs)
            grid = c.take("grid", lambda v: refs.grid(village, v)) if village is not None else None
            phone = c.phone()
            resident = c.take("resident", lambda v: refs.resident(v, village, phone)) \
                if village is not None else None
            channel = c.take("channel", lambda v: refs.term("channel", v))
            cadres: list[int] = []
            for name in _names(c.v("cadres")):
                got = c.take("cadres", lambda _: refs.cadre(name))
                if got is not None and got not in cadres:
                    cadres.append(got)
            note = c.take("note", lambda v: clean_text(v, "note"))
            numbers = [c.take("numbers", lambda _: parse_number(n)) for n in _names(c.v("numbers"))]
            if c.bad:
                continue
            if channel is None:
                try:
                    channel = refs.term("channel", "入户走访")  # as `ledger visit` defaults
                except LedgerError as e:
                    c.fail("channel", e.key, **e.params)
                    continue
            if L.visits.exists(day, village, resident, channel, note, cadres):
                self.result.skipped += 1
                continue
            L.visits.insert(day, village, grid, resident, channel, note, cadres, numbers)
            self.result.added += 1
