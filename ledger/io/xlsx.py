"""Excel workbooks (.xlsx) for the meeting: the one module that knows how a workbook is laid
out. XlsxWriter is imported here, inside the functions that write, never at start-up.

Every table sheet has the same layout:

* row 1 the title (the township, what the sheet is), row 2 the period and "数据截至 DATE";
* the header row (two rows for the report card, whose upper row groups 按时办结 / 超时办结 /
  未办结 under a merged 办结情况), frozen with the first column, repeated on every printed
  page, with an autofilter;
* the rows: dates as date cells (yyyy-mm-dd), counts as numbers, rates as percentages
  (0.0%), scores as numbers, and demand numbers, phone numbers and ID numbers as text cells
  (format ``@``), so that no 18-digit number becomes 1.1E+17; text is written as text,
  never as a formula (a cell starting with ``=`` stays text);
* where the sheet sums up, a last 合计 row whose counts are ``SUM`` formulas over the
  column (written with their value, so a reader without a calculator sees the numbers);
  no other cell is a formula;
* column widths that fit Chinese text (a wide character counts as two), measured on the
  header and the first ``WIDTH_ROWS`` rows, at most ``MAX_WIDTH``; long text wraps;
* printed on A4 landscape, fit to the page width, gridlines printed, the title in the page
  header and "第 N 页,共 M 页" in the footer.

Charts are the spreadsheet's own (they redraw when a clerk edits a number): the summary
workbook's 图表 sheet has intake, resolved and overdue per ledger week (``services.trends``)
and this week's intake by category; the report workbook's 图表 sheet the score of each unit.

A big export is written with XlsxWriter's ``constant_memory`` mode: each row goes to disk
as it is written, so memory does not grow with the ledger.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..i18n import label, t

WIDTH_ROWS = 1000  # rows measured for the column widths
MAX_WIDTH = {"long": 36, "text": 24}
MIN_WIDTH = 6
FONT = "宋体"  # on every Chinese Windows (Excel, WPS); elsewhere the system's CJK font

# What a column holds, and so how each cell is written.
TEXT, LONG, CODE, DATE, INT, RATE, SCORE = "text", "long", "code", "date", "int", "rate", "score"

# The ledger format's columns (csvformat.COLUMNS) that are not plain text.
EXPORT_KINDS = {
    "number": CODE, "phone": CODE, "id_number": CODE, "numbers": CODE,
    "received_on": DATE, "due_on": DATE, "escalated_on": DATE, "assigned_on": DATE,
    "suspended_since": DATE, "resolved_on": DATE, "followed_up_on": DATE, "closed_on": DATE,
    "first_step_on": DATE, "visited_on": DATE,
    "reopen_count": INT, "id": INT,
    "text": LONG, "result": LONG, "feedback": LONG, "note": LONG, "address": LONG,
}


def display_width(text: str) -> int:
    """Columns ``text`` takes: East Asian wide and full-width characters count as two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass
class Col:
    header: str
    kind: str = TEXT
    total: bool = False  # summed in the 合计 row


@dataclass
class Title:
    """What a sheet's first two rows say."""

    township: str  # the ledger's township(s)
    what: str  # 民情走访周汇总, 督查成绩单 ...
    period: str  # "2026-11-10 至 2026-11-16", or "全部日期"
    as_of: str  # ISO date


@dataclass
class Placed:
    """Where a table landed on its sheet (rows and columns counted from 0)."""

    sheet: Any
    name: str
    header: int  # the (last) header row
    first: int  # the first data row
    last: int  # the last data row (first - 1 when there are none)
    total: int | None  # the 合计 row
    columns: int


class Book:
    """One workbook being written to ``path``."""

    def __init__(self, path: Path | str, lang: str = "zh", *,
                 constant_memory: bool = False) -> None:
        import xlsxwriter

        self.lang = lang
        self.wb = xlsxwriter.Workbook(str(path), {
            "constant_memory": constant_memory,
            # A clerk's text is text: never a number, a formula or a link.
            "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
            "default_format_properties": {"font_name": FONT, "font_size": 11},
        })
        self.wb.set_properties({"title": "", "author": "ledger", "comments": "ledger"})
        f = self.wb.add_format
        plain = {"font_name": FONT, "font_size": 11, "valign": "top"}
        # Table cells are ruled; a big export (constant memory) prints the gridlines instead
        # and writes no empty cells (a third of an export's cells, and of its time).
        self.ruled = not constant_memory
        base = {**plain, "border": 1, "border_color": "#A6A6A6"} if self.ruled else plain
        self.fmt = {
            "title": f({**plain, "bold": True, "font_size": 14}),
            "subtitle": f({**plain, "font_color": "#444444"}),
            "header": f({**base, "bold": True, "border": 1, "bg_color": "#DDEBF7",
                         "align": "center", "valign": "vcenter", "text_wrap": True}),
            TEXT: f(base), LONG: f({**base, "text_wrap": True}),
            CODE: f({**base, "num_format": "@"}),
            DATE: f({**base, "num_format": "yyyy-mm-dd", "align": "left"}),
            INT: f({**base, "num_format": "0"}),
            RATE: f({**base, "num_format": "0.0%"}),
            SCORE: f({**base, "num_format": "0.0"}),
        }
        bold = {**base, "bold": True, "top": 2, "top_color": "#000000"}
        self.total_fmt = {
            TEXT: f(bold), LONG: f(bold), CODE: f({**bold, "num_format": "@"}),
            DATE: f({**bold, "num_format": "yyyy-mm-dd"}), INT: f({**bold, "num_format": "0"}),
            RATE: f({**bold, "num_format": "0.0%"}), SCORE: f({**bold, "num_format": "0.0"}),
        }

    def close(self) -> None:
        self.wb.close()

    # --- the sheets ----------------------------------------------------------------------

    def sheet(self, name: str) -> Any:
        return self.wb.add_worksheet(_sheet_name(name))

    def table(self, name: str, title: Title, columns: Sequence[Col],
              rows: Iterable[Sequence[Any]], *, total: bool = False,
              groups: Sequence[tuple[str, int, int]] = (),
              total_cells: dict[int, Any] | None = None) -> Placed:
        """A sheet holding one table: title rows, header (``groups``: merged upper headers
        over columns first..last), the rows, and a 合计 row when ``total`` (SUM of the
        columns marked ``total``; ``total_cells`` gives other cells of it by column)."""
        ws = self.sheet(name)
        ws.write_string(0, 0, f"{title.township} {title.what}".strip(), self.fmt["title"])
        ws.write_string(1, 0, f"{title.period}{'  ' if title.period else ''}"
                              f"{t('xlsx.as_of', self.lang, day=title.as_of)}",
                        self.fmt["subtitle"])
        header = 2
        widths = [display_width(c.header) for c in columns]
        if groups:
            grouped = {c for _, a, b in groups for c in range(a, b + 1)}
            for text, a, b in groups:
                ws.merge_range(header, a, header, b, text, self.fmt["header"])
                widths[a] = max(widths[a], display_width(text) // (b - a + 1))
            for i, c in enumerate(columns):
                if i in grouped:
                    ws.write_string(header + 1, i, c.header, self.fmt["header"])
                else:
                    ws.merge_range(header, i, header + 1, i, c.header, self.fmt["header"])
            header += 1
        else:
            for i, c in enumerate(columns):
                ws.write_string(header, i, c.header, self.fmt["header"])
        writers = [self._writer(c.kind) for c in columns]
        blanks = [self.fmt[c.kind] for c in columns]  # an empty cell keeps its rules
        ruled = self.ruled
        sums = [0.0] * len(columns)
        summed = [i for i, c in enumerate(columns) if c.total]
        r = header
        for r, cells in enumerate(rows, start=header + 1):
            measure = r - header <= WIDTH_ROWS
            for i, value in enumerate(cells):
                if value is None or value == "":
                    if ruled:
                        ws.write_blank(r, i, None, blanks[i])
                    continue
                writers[i](ws, r, i, value)
                if measure:
                    w = display_width(value if isinstance(value, str) else str(value))
                    if w > widths[i]:
                        widths[i] = w
            for i in summed:
                sums[i] += cells[i] or 0
        last = r
        total_row = None
        if total:
            total_row = last + 1
            fmt = self.total_fmt
            ws.write_string(total_row, 0, t("total", self.lang), fmt[TEXT])
            for i, c in enumerate(columns[1:], start=1):
                if c.total and last > header:
                    col = _col_name(i)
                    value = sums[i]
                    ws.write_formula(total_row, i, f"=SUM({col}{header + 2}:{col}{last + 1})",
                                     fmt[c.kind], int(value) if c.kind == INT else value)
                elif c.total:  # no rows: nothing to sum
                    ws.write_number(total_row, i, 0, fmt[c.kind])
                elif total_cells and total_cells.get(i) is not None:
                    self._writer(c.kind, fmt[c.kind])(ws, total_row, i, total_cells[i])
                else:
                    ws.write_blank(total_row, i, None, fmt[c.kind])
        for i, c in enumerate(columns):
            cap = MAX_WIDTH.get(c.kind, MAX_WIDTH["text"])
            width = {DATE: 11, RATE: 8, SCORE: 7}.get(c.kind, 0)
            ws.set_column(i, i, max(MIN_WIDTH, width, min(widths[i], cap)) * 1.15 + 1.5)
        ws.freeze_panes(header + 1, 1)
        ws.autofilter(header, 0, max(last, header), len(columns) - 1)
        self.page(ws, title, repeat=(2, header))
        return Placed(ws, _sheet_name(name), header, header + 1, last, total_row, len(columns))

    def page(self, ws: Any, title: Title, repeat: tuple[int, int] | None = None) -> None:
        """A4 landscape, fit to the page width, the title above and the page numbers below."""
        ws.set_paper(9)  # A4
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
        if repeat and not self.ruled:
            ws.hide_gridlines(0)  # printed too
        if repeat:
            ws.repeat_rows(*repeat)
        head = f"{title.township} {title.what}".strip().replace("&", "&&")
        ws.set_header(f"&L{head}&R{t('xlsx.as_of', self.lang, day=title.as_of)}")
        ws.set_footer("&C" + t("xlsx.page", self.lang))

    def _writer(self, kind: str, fmt: Any = None) -> Any:
        fmt = fmt or self.fmt[kind]
        if kind == DATE:
            def write(ws: Any, r: int, c: int, v: Any) -> None:
                ws.write_datetime(r, c, date.fromisoformat(v) if isinstance(v, str) else v, fmt)
        elif kind in (INT, RATE, SCORE):
            def write(ws: Any, r: int, c: int, v: Any) -> None:
                ws.write_number(r, c, v, fmt)
        else:
            def write(ws: Any, r: int, c: int, v: Any) -> None:
                ws.write_string(r, c, str(v), fmt)
        return write

    # --- charts ---------------------------------------------------------------------------

    def chart(self, kind: str, subtype: str | None = None) -> Any:
        spec = {"type": kind}
        if subtype:
            spec["subtype"] = subtype
        chart = self.wb.add_chart(spec)
        chart.set_style(10)
        return chart


def _sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    for ch in "[]:*?/\\":
        name = name.replace(ch, "")
    return name[:31] or "Sheet"


def _col_name(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        name = chr(65 + rem) + name
    return name


def _font(size: int = 10, bold: bool = False) -> dict[str, Any]:
    return {"name": FONT, "size": size, "bold": bold}


# --- the workbooks ---------------------------------------------------------------------------

def export_workbook(ledger: Any, what: str, path: Path, *, lang: str = "zh",
                    unmask: bool = False, mask_names: bool = False,
                    township: str = "", **filters: Any) -> int:
    """``ledger export --format xlsx``: the ledger format (the CSV's columns and headers, so
    ``import`` reads it back) on one sheet, written row by row in constant memory; masked as
    the CSV is. Returns the rows written."""
    from .csvformat import COLUMNS, export_source, journal_unmasked

    with ledger.db.atomic():
        what, given, source = export_source(ledger, what, unmask=unmask,
                                            mask_names=mask_names, filters=filters,
                                            escaped=False)
        columns = [Col(zh, EXPORT_KINDS.get(key, TEXT)) for key, zh, _ in COLUMNS[what]]
        since, until = given.get("since"), given.get("until")
        title = Title(township, label("sheet", f"export_{what}", lang),
                      _period(lang, since, until), ledger.today.isoformat())
        n = 0

        def counted() -> Iterable[Sequence[Any]]:
            nonlocal n
            for row in source:
                n += 1
                yield row

        book = Book(path, lang, constant_memory=True)
        book.table(label("sheet", f"export_{what}", lang), title, columns, counted())
        book.close()
        if unmask:
            journal_unmasked(ledger, what, n, "xlsx", mask_names, given)
    return n


def _period(lang: str, since: Any = None, until: Any = None) -> str:
    if not since and not until:
        return t("xlsx.all_dates", lang)
    return t("xlsx.range", lang, start=str(since or "…"), end=str(until or "…"))


DEMAND_KEYS = ("number", "status", "level", "village", "category", "complexity", "type",
               "channel", "unit", "received_on", "due_on", "due_provisional", "light",
               "resolved_on", "closed_on", "satisfaction", "settled_on_spot", "text")
_DEMAND_KINDS = {"number": CODE, "received_on": DATE, "due_on": DATE, "resolved_on": DATE,
                 "closed_on": DATE, "text": LONG, "days_late": INT, "urges": INT,
                 "last_urged_on": DATE}
_LABELLED = {"status": "status", "level": "level", "complexity": "complexity",
             "light": "light", "satisfaction": "satisfaction"}


def _header(key: str, lang: str) -> str:
    text = label("col", key, lang)
    return label("sheet", f"col_{key}", lang) if text == key else text


def _yes_no(value: Any, lang: str) -> str:
    return label("sheet", "yes" if value else "no", lang)


def demand_cells(rows: Iterable[dict[str, Any]], lang: str,
                 extra: Sequence[str] = ()) -> Iterable[list[Any]]:
    """Demand rows (``issue list``, ``due``, ``overdue``, the summary's lists) as cells under
    ``DEMAND_KEYS`` and ``extra``: stored values in words, flags as 是/否."""
    for r in rows:
        cells: list[Any] = []
        for key in (*DEMAND_KEYS, *extra):
            v = r.get(key)
            if key in _LABELLED:
                v = label(_LABELLED[key], v, lang) if v else None
            elif key in ("due_provisional", "settled_on_spot"):
                v = _yes_no(v, lang) if (v is not None or key == "settled_on_spot") else None
                if key == "due_provisional" and not r.get("due_on"):
                    v = None
            cells.append(v)
        yield cells


def demand_columns(lang: str, extra: Sequence[str] = ()) -> list[Col]:
    return [Col(_header(k, lang), _DEMAND_KINDS.get(k, TEXT)) for k in (*DEMAND_KEYS, *extra)]


def demands_workbook(path: Path, rows: list[dict[str, Any]], title: Title, lang: str, *,
                     extra: Sequence[str] = (),
                     groups: Sequence[tuple[str, list[dict[str, Any]]]] = ()) -> None:
    """``issue list``, ``due``, ``overdue`` as a workbook: the demands on one sheet (with a
    合计 row counting them), and each grouping (``overdue``: by unit, by village) on its own
    sheet with a 合计 row."""
    book = Book(path, lang, constant_memory=len(rows) > 50_000)
    _demand_sheet(book, title.what, title, rows, lang, extra)
    for name, group in groups:
        cols = [Col(_header("name", lang)), Col(_header("overdue", lang), INT, total=True),
                Col(_header("max_days_late", lang), INT)]
        unnamed = t("unassigned", lang)
        book.table(name, Title(title.township, name, title.period, title.as_of), cols,
                   ([g["name"] or unnamed, g["overdue"], g["max_days_late"]] for g in group),
                   total=True, total_cells={2: max((g["max_days_late"] for g in group),
                                                   default=None)})
    book.close()


def _demand_sheet(book: Book, name: str, title: Title, rows: list[dict[str, Any]], lang: str,
                  extra: Sequence[str] = ()) -> Placed:
    """Demands, and a 合计 row giving how many (``N 件``)."""
    return book.table(name, title, demand_columns(lang, extra), demand_cells(rows, lang, extra),
                      total=True, total_cells={1: t("xlsx.count", lang, n=len(rows))})


# The summary's count columns, in the order of the meeting's tables.
SUMMARY_KEYS = ("received", "settled_on_spot", "to_township", "escalated", "assigned",
                "resolved", "closed", "open", "carried_over", "overdue", "due_next")


def summary_workbook(path: Path, week: dict[str, Any], trend: list[dict[str, Any]],
                     township: str, lang: str) -> None:
    """``ledger summary -o 周汇总.xlsx``: the chart sheet first (图表), then one sheet per
    table of the summary (by village, by category, by channel, carried over, due, overdue,
    repeat residents), each ending with its 合计 row."""
    book = Book(path, lang)
    period = t("xlsx.range", lang, start=week["week_start"], end=week["week_end"])
    what = label("title", "summary", lang)

    def title(key: str) -> Title:
        return Title(township, f"{what} · {label('sheet', key, lang)}", period, week["as_of"])

    charts = book.sheet(label("sheet", "charts", lang))
    cols = [Col(_header("name", lang)), *(Col(_header(k, lang), INT, total=True)
                                          for k in SUMMARY_KEYS)]
    for key in ("village", "category", "channel"):
        book.table(label("sheet", f"by_{key}", lang), title(f"by_{key}"), cols,
                   ([r["name"] or "—", *(r[k] for k in SUMMARY_KEYS)] for r in week[f"by_{key}"]),
                   total=True)
    for key, extra in (("carried_over_demands", ()), ("due_demands", ()),
                       ("overdue_demands", ("days_late",))):
        _demand_sheet(book, label("sheet", key, lang), title(key), week[key], lang, extra)
    people = [Col(_header("person", lang)), Col(_header("village", lang)),
              Col(_header("demands", lang), INT, total=True),
              Col(_header("this_week", lang), INT, total=True), Col(_header("first_on", lang), DATE)]
    book.table(label("sheet", "repeat_residents", lang), title("repeat_residents"), people,
               ([r["resident"], r["village"], r["demands"], r["this_week"], r["first_on"]]
                for r in week["repeat_residents"]), total=True)
    _summary_charts(book, charts, title("charts"), trend, week, lang)
    book.close()


def trend_rows(trend: list[dict[str, Any]], lang: str) -> list[list[Any]]:
    return [[t("xlsx.week", lang, start=w["week_start"][5:], end=w["week_end"][5:]),
             w["week_start"], w["received"], w["resolved"], w["overdue"]] for w in trend]


def trend_columns(lang: str) -> list[Col]:
    return [Col(label("sheet", "col_week", lang)), Col(label("sheet", "col_week_start", lang), DATE),
            Col(label("sheet", "col_intake", lang), INT),
            Col(label("sheet", "col_resolved", lang), INT),
            Col(label("sheet", "col_overdue", lang), INT)]


def _trend_chart(book: Book, sheet: str, first: int, last: int, lang: str) -> Any:
    """Intake and resolved as columns, overdue as a line, one point per ledger week; the
    data in ``sheet`` rows first..last (weeks in column A, the counts in C, D, E)."""
    chart = book.chart("column")
    for col, colour in ((2, "#4472C4"), (3, "#70AD47")):
        chart.add_series({"name": [sheet, first - 1, col],
                          "categories": [sheet, first, 0, last, 0],
                          "values": [sheet, first, col, last, col],
                          "fill": {"color": colour}, "gap": 80})
    line = book.chart("line")
    line.add_series({"name": [sheet, first - 1, 4], "categories": [sheet, first, 0, last, 0],
                     "values": [sheet, first, 4, last, 4],
                     "line": {"color": "#C00000", "width": 2.25},
                     "marker": {"type": "circle", "size": 6,
                                "fill": {"color": "#C00000"}, "border": {"color": "#C00000"}}})
    chart.combine(line)
    chart.set_title({"name": label("sheet", "chart_weekly", lang), "name_font": _font(13, True)})
    chart.set_x_axis({"num_font": _font(9, False)})
    chart.set_y_axis({"num_font": _font(9), "major_gridlines": {"visible": True,
                                                                  "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": _font(10)})
    return chart


def _summary_charts(book: Book, ws: Any, title: Title, trend: list[dict[str, Any]],
                    week: dict[str, Any], lang: str) -> None:
    """The 图表 sheet: both charts at the top, the numbers they draw beneath them."""
    fmt = book.fmt
    ws.write_string(0, 0, f"{title.township} {title.what}".strip(), fmt["title"])
    ws.write_string(1, 0, f"{title.period}  {t('xlsx.as_of', lang, day=title.as_of)}",
                    fmt["subtitle"])
    top = 27  # the tables start under the charts
    columns = trend_columns(lang)
    for i, c in enumerate(columns):
        ws.write_string(top, i, c.header, fmt["header"])
    for r, cells in enumerate(trend_rows(trend, lang), start=top + 1):
        for i, (c, v) in enumerate(zip(columns, cells)):
            book._writer(c.kind)(ws, r, i, v)
    last = top + len(trend)
    name = _sheet_name(label("sheet", "charts", lang))
    weekly = _trend_chart(book, name, top + 1, last, lang)
    weekly.set_size({"width": 640, "height": 430})
    ws.insert_chart(3, 0, weekly, {"x_offset": 4, "y_offset": 4})
    # This week's intake by category, largest first (the categories that had any).
    cats = sorted(((r["name"] or "—", r["received"]) for r in week["by_category"]
                   if r["received"]), key=lambda x: (-x[1], x[0]))
    if not cats:
        cats = [(t("xlsx.none", lang), 0)]
    cx = len(columns) + 1
    ws.write_string(top, cx, _header("category", lang), fmt["header"])
    ws.write_string(top, cx + 1, label("sheet", "col_intake", lang), fmt["header"])
    for r, (cat, n) in enumerate(cats, start=top + 1):
        ws.write_string(r, cx, cat, fmt[TEXT])
        ws.write_number(r, cx + 1, n, fmt[INT])
    bar = book.chart("bar")
    # Largest at the top: a bar chart draws its first category at the bottom.
    bar.add_series({"name": [name, top, cx + 1],
                    "categories": [name, top + 1, cx, top + len(cats), cx],
                    "values": [name, top + 1, cx + 1, top + len(cats), cx + 1],
                    "fill": {"color": "#4472C4"}, "gap": 60,
                    "data_labels": {"value": True, "font": _font(9)}})
    bar.set_title({"name": label("sheet", "chart_category", lang), "name_font": _font(13, True)})
    bar.set_y_axis({"reverse": True, "num_font": _font(9)})
    most = max(n for _, n in cats)
    bar.set_x_axis({"min": 0, "major_unit": max(1, -(-most // 5)), "num_format": "0",
                    "num_font": _font(9),
                    "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    bar.set_legend({"none": True})
    bar.set_size({"width": 440, "height": 430})
    ws.insert_chart(3, 0, bar, {"x_offset": 660, "y_offset": 4})
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 4, 9)
    ws.set_column(cx, cx, 14)
    ws.set_column(cx + 1, cx + 1, 9)
    book.page(ws, title)
    ws.fit_to_pages(1, 1)
    ws.activate()


def trend_workbook(path: Path, trend: list[dict[str, Any]], township: str, lang: str,
                   as_of: str) -> None:
    """``ledger trend --format xlsx``: the weekly series as a table and its chart."""
    book = Book(path, lang)
    name = label("sheet", "trend", lang)
    period = t("xlsx.range", lang, start=trend[0]["week_start"], end=trend[-1]["week_end"])
    placed = book.table(name, Title(township, name, period, as_of), trend_columns(lang),
                        trend_rows(trend, lang))
    chart = _trend_chart(book, placed.name, placed.first, placed.last, lang)
    chart.set_size({"width": 720, "height": 400})
    placed.sheet.insert_chart(placed.last + 2, 0, chart)
    book.close()


# The report card as the county's 通报表 heads it (README: "Files for the meeting").
REPORT_LAYOUT = (
    ("rank", INT), ("name", TEXT), ("dispatched", INT), ("on_time", INT), ("late", INT),
    ("unresolved", INT), ("overdue", INT), ("closure_rate", RATE), ("on_time_closure_rate", RATE),
    ("response_rate", RATE), ("satisfaction_rate", RATE), ("dissatisfied", INT),
    ("dissatisfaction_rate", RATE), ("score", SCORE),
)


def report_cells(row: dict[str, Any]) -> list[Any]:
    """A report card row under ``REPORT_LAYOUT``: 派遣总数 = received; 按时办结 = on_time;
    超时办结 = resolved − on_time; 未办结 = received − resolved; 其中超期 = overdue;
    结案率 = resolution_rate; 按时结案率 = on_time_rate; 不满意数 = dissatisfied;
    不满意率 = dissatisfaction_rate."""
    return [row.get("rank"), row["name"], row["received"], row["on_time"],
            row["resolved"] - row["on_time"], row["received"] - row["resolved"], row["overdue"],
            row["resolution_rate"], row["on_time_rate"], row["response_rate"],
            row["satisfaction_rate"], row["dissatisfied"], row["dissatisfaction_rate"],
            row["score"]]


def report_workbook(path: Path, card: dict[str, Any], township: str, lang: str,
                    as_of: str) -> None:
    """``ledger report -o 考核.xlsx``: the card with the two-level header (办结情况 over
    按时办结 / 超时办结 / 未办结), its 合计 row; the 约谈名单 (by unit); a chart of each
    one's score."""
    book = Book(path, lang)
    what = label("title", "report", lang)
    period = _period(lang, card["from"], card["to"])
    by = card["by"]
    columns = []
    for key, kind in REPORT_LAYOUT:
        header = label("sheet", f"by_{by}_name", lang) if key == "name" else \
            label("sheet", f"col_{key}", lang) if key not in ("rank", "overdue", "response_rate",
                                                               "satisfaction_rate", "score") \
            else _header(key, lang)
        if key == "overdue":
            header = label("sheet", "col_of_which_overdue", lang)
        columns.append(Col(header, kind, total=kind == INT and key != "rank"))
    total = card["total"]
    cells = report_cells({**total, "rank": None, "name": ""})
    placed = book.table(
        label("sheet", "report", lang), Title(township, what, period, as_of), columns,
        (report_cells(r) for r in card["rows"]), total=True,
        groups=[(label("sheet", "col_handled", lang), 3, 5)],
        total_cells={i: v for i, v in enumerate(cells) if REPORT_LAYOUT[i][1] in (RATE, SCORE)})
    if by == "unit":
        cols = [Col(_header("name", lang)), Col(_header("overdue", lang), INT, total=True),
                Col(_header("max_days_late", lang), INT), Col(_header("numbers", lang), CODE)]
        book.table(label("title", "talk", lang), Title(township, label("title", "talk", lang),
                                                      period, as_of), cols,
                   ([u["name"], u["overdue"], u["max_days_late"], "、".join(u["numbers"])]
                    for u in card["talk"]), total=True,
                   total_cells={2: max((u["max_days_late"] for u in card["talk"]), default=None)})
    ws = book.sheet(label("sheet", "charts", lang))
    title = Title(township, f"{what} · {label('sheet', 'chart_score', lang)}", period, as_of)
    ws.write_string(0, 0, f"{title.township} {title.what}".strip(), book.fmt["title"])
    ws.write_string(1, 0, f"{period}  {t('xlsx.as_of', lang, day=as_of)}", book.fmt["subtitle"])
    n = len(card["rows"])
    if not n:  # nothing ranked: no chart
        book.page(ws, title)
        book.close()
        return
    chart = book.chart("bar")
    score_col = [k for k, _ in REPORT_LAYOUT].index("score")
    chart.add_series({"name": [placed.name, placed.header, score_col],
                      "categories": [placed.name, placed.first, 1, max(placed.last, placed.first), 1],
                      "values": [placed.name, placed.first, score_col,
                                 max(placed.last, placed.first), score_col],
                      "fill": {"color": "#4472C4"}, "gap": 50,
                      "data_labels": {"value": True, "num_format": "0.0", "font": _font(9)}})
    chart.set_title({"name": label("sheet", "chart_score", lang), "name_font": _font(13, True)})
    chart.set_y_axis({"reverse": True, "num_font": _font(9)})
    chart.set_x_axis({"min": 0, "max": 100, "num_font": _font(9),
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 900, "height": max(300, 60 + 24 * n)})
    ws.insert_chart(3, 0, chart, {"x_offset": 4, "y_offset": 4})
    book.page(ws, title)
    ws.fit_to_pages(1, 0)
    book.close()
