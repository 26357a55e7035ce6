"""What ``ledger.render`` builds, without rich: cells in rich's markup, text, groups and
grids as small plain objects, laid out here as aligned columns for a file, a pipe or a test,
and handed to rich (``__rich__``, importing it then) only when a terminal prints them.

Output that does not go to a terminal never imports rich: every command's start-up pays
for what it shows, not for a terminal's layout. The markup rules are rich's own (``escape``
and ``markup_plain`` mirror ``rich.markup.escape`` and the text of ``Text.from_markup``), so
the one cell reads the same either way; widths count a wide (East Asian "W" or "F")
character as two columns and a combining mark as none.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable, Sequence

_ESCAPE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])").sub
_TAGS = re.compile(r"((\\*)\[([a-z#/@][^[]*?)])")


def escape(markup: str) -> str:
    """User text as markup that reads as itself (``rich.markup.escape``)."""
    markup = _ESCAPE(lambda m: f"{m[1]}{m[1]}\\{m[2]}", markup)
    if markup.endswith("\\") and not markup.endswith("\\\\"):
        return markup + "\\"
    return markup


def markup_plain(markup: str) -> str:
    """The text a markup string shows, its tags left out (``Text.from_markup(s).plain``)."""
    if "[" not in markup:
        return markup
    out: list[str] = []
    position = 0
    for match in _TAGS.finditer(markup):
        full, escapes, _ = match.groups()
        start, end = match.span()
        if start > position:
            out.append(markup[position:start].replace("\\[", "["))
        position = end
        if escapes:
            backslashes, escaped = divmod(len(escapes), 2)
            out.append("\\" * backslashes)
            if escaped:  # \[tag] is the text "[tag]"
                out.append(full[len(escapes):].replace("\\[", "["))
    if position < len(markup):
        out.append(markup[position:].replace("\\[", "["))
    return "".join(out)


_WIDTHS: dict[str, int] = {}


def _char_width(ch: str) -> int:
    o = ord(ch)
    if o < 32 or 0x7F <= o < 0xA0 or unicodedata.combining(ch) \
            or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        width = 0
    else:
        width = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    _WIDTHS[ch] = width
    return width


def cell_len(text: str) -> int:
    """How many terminal columns ``text`` takes (a Chinese character: two)."""
    if text.isascii():
        return len(text)
    get = _WIDTHS.get
    return sum(get(ch) if ch in _WIDTHS else _char_width(ch) for ch in text)


class Text:
    """Text shown as it is (never read as markup), in a ``style`` on a terminal."""

    def __init__(self, plain: str, style: str = "") -> None:
        self.plain = plain
        self.style = style

    def __rich__(self) -> Any:
        from rich.text import Text as RichText

        return RichText(self.plain, style=self.style)


class Group:
    """Things shown one under the other (``rich.console.Group``)."""

    def __init__(self, *renderables: Any) -> None:
        self.renderables = list(renderables)

    def __rich__(self) -> Any:
        from rich.console import Group as RichGroup

        return RichGroup(*self.renderables)


class Columns:
    """A table of markup cells: ``Grid`` (label and value, no header) or a table with a
    title and headers (the month calendar). On a terminal rich lays it out with the
    styles and justification given; elsewhere ``layout`` pads it by display width."""

    def __init__(self, title: str | None = None, *, show_header: bool = True,
                 grid: bool = False, padding: tuple[int, int] = (0, 1)) -> None:
        self.title = title
        self.caption: str | None = None
        self.show_header = show_header and not grid
        self.grid = grid
        self.padding = padding
        self.headers: list[str] = []
        self.styles: list[str] = []
        self.justify: list[str] = []
        self.rows: list[list[str]] = []

    def add_column(self, header: str = "", *, style: str = "", justify: str = "left") -> None:
        self.headers.append(header)
        self.styles.append(style)
        self.justify.append(justify)

    def add_row(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])

    def __rich__(self) -> Any:
        from rich import box
        from rich.table import Table

        from . import render

        if self.grid:
            table = Table.grid(padding=self.padding)
        else:
            table = Table(title=self.title, box=None if render.PLAIN else box.SIMPLE,
                          title_justify="left", show_edge=False, show_header=self.show_header)
        for header, style, justify in zip(self.headers, self.styles, self.justify):
            table.add_column(header, style=style or None, justify=justify)  # type: ignore[arg-type]
        for row in self.rows:
            table.add_row(*row)
        return table


def Grid(padding: tuple[int, int] = (0, 2)) -> Columns:  # noqa: N802 (a kind of table)
    """Label and value side by side (``rich.table.Table.grid``)."""
    return Columns(grid=True, padding=padding)


def layout(title: str | None, headers: Sequence[str], rows: Iterable[Sequence[str]],
           show_header: bool = True, caption: str | None = None) -> str:
    """Markup cells as plain aligned columns: each column as wide as its widest cell, two
    spaces between columns, one before the first, no trailing blanks."""
    columns = [[markup_plain(h)] for h in headers]
    for row in rows:
        for col, cell in zip(columns, row):
            col.append(markup_plain(cell))
    if not columns:
        return ""
    lines = []
    if title:
        lines.append(markup_plain(title))
    widths = [max(map(cell_len, col)) for col in columns]
    for i in range(0 if show_header else 1, len(columns[0])):
        cells = [col[i] + " " * (w - cell_len(col[i])) for col, w in zip(columns, widths)]
        lines.append(" " + "  ".join(cells).rstrip())
    if caption:
        lines.append(" " + markup_plain(caption))
    return "\n".join(lines)
