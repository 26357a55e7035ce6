"""Tables for what the domain returns. Each function takes results and a language and
returns something ``Session.print`` shows; none of them reads the ledger. Cells are rich
markup, but rich itself is imported only when a terminal prints them: off a terminal
``plain_text`` lays them out (``ledger.plain``)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from .i18n import label, t
from .plain import Columns, Grid, Group, Text, escape, layout
from .privacy import mask_id_number, mask_phone

TEXT_WIDTH = 28

# Tables on a terminal get a header rule; in a file or a pipe they are plain columns, with
# no box-drawing characters that a GBK file or a printer would garble.
PLAIN = False


def set_plain(plain: bool) -> None:
    global PLAIN
    PLAIN = plain


def _col(name: str, lang: str) -> str:
    return label("col", name, lang)


def _short(text: str | None, width: int = TEXT_WIDTH) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return escape(text if len(text) <= width else text[: width - 1] + "…")


# How a column behaves on a narrow terminal. Free text is cut to one line with "…"; every
# other cell (numbers, dates, statuses, lights, rates, names) is never wrapped or broken.
TEXT = frozenset({"text", "detail", "reason", "note", "notice", "result", "feedback",
                  "decision", "attendees",
                  "schedule_notice", "numbers", "cadres", "tags", "not_visited_names"})
NUMBERS = frozenset({"received", "settled_on_spot", "to_township", "escalated", "assigned",
                     "resolved", "closed", "open", "carried_over", "overdue", "due_next",
                     "on_time", "response_rate", "resolution_rate", "on_time_rate",
                     "satisfaction_rate", "score", "rank", "count", "days_late", "max_days_late",
                     "visits", "demands", "residents", "villages", "open_demands", "this_week",
                     "rest", "work", "amount", "max_extensions", "extension_days", "year",
                     "urges", "red", "yellow", "blue", "return_rate", "reopen_rate",
                     "total", "visited", "paired", "rate", "studied", "pending",
                     "repeats", "repeat_demands"})
# When a table is still too wide with its text cut short, these columns are left out, first
# to last (the README lists the order); a line under the table says which, and how to see them.
DROP_ORDER = ("level", "complexity", "channel", "type", "resident", "category", "handler",
              "actor", "received_on", "village", "locality", "cadres", "tags", "unit", "reason", "phone",
              "source", "repeats", "urges", "reopen_rate", "return_rate", "on_time", "settled_on_spot", "to_township", "assigned", "closed",
              "carried_over", "due_next", "first_on", "max_extensions", "extension_days",
              "on_time_rate", "resolved", "response_rate")
TEXT_MIN = 10  # a text column is not cut below this many cells before columns are dropped
WIDE = False  # --wide: never leave a column out (a pager scrolls sideways)


class Sheet:
    """A table that fits the terminal it is printed on.

    Built like a rich ``Table`` (``add_row``, ``caption``); when rich prints it, it knows the
    console's width and lays itself out: text cut to one line, then the columns of least
    value left out (``DROP_ORDER``) with a note saying so. Off a terminal ``plain_text``
    prints every column in full.
    """

    def __init__(self, title: str | None, keys: Sequence[str], lang: str,
                 keep: Sequence[str] = ()) -> None:
        self.title = label("title", title, lang) if title else None
        self.keep = set(keep)  # never left out (the column the rows are grouped by)
        self.keys = list(keys)
        self.headers = [_col(k, lang) for k in keys]
        self.rows: list[list[str]] = []
        self.caption: str | None = None
        self.footer: list[str] | None = None  # a 合计 row, set apart by a rule
        self.lang = lang

    def add_row(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])

    def add_total(self, *cells: Any) -> None:
        self.footer = [str(c) for c in cells]

    @property
    def show_header(self) -> bool:
        return True

    def _all_rows(self) -> list[list[str]]:
        return self.rows + ([self.footer] if self.footer else [])

    def widths(self) -> list[int]:
        from rich.text import Text

        out = []
        for i, h in enumerate(self.headers):
            cells = [Text.from_markup(r[i], emoji=False).cell_len for r in self._all_rows()]
            out.append(max([Text.from_markup(h, emoji=False).cell_len, *cells]))
        return out

    def _layout(self, shown: list[int], text_width: int | None, natural: list[int]) -> Any:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.title, box=None if PLAIN else box.SIMPLE,
                      title_justify="left", show_edge=False, show_footer=self.footer is not None, caption=self.caption,
                      caption_justify="left", collapse_padding=True, pad_edge=False)
        for i in shown:
            key = self.keys[i]
            is_text = key in TEXT
            table.add_column(self.headers[i], footer=self.footer[i] if self.footer else "",
                             justify="right" if key in NUMBERS else "left",
                             no_wrap=True, overflow="ellipsis" if is_text else "crop",
                             max_width=text_width if is_text and text_width else None,
                             min_width=None if is_text else natural[i])
        for r in self.rows:
            table.add_row(*(Text.from_markup(r[i], emoji=False) for i in shown))
        return table

    def fit(self, console: Any, options: Any) -> tuple[Any, list[str]]:
        """The table laid out for the console's width, and the keys left out: free text is
        cut first (to no less than TEXT_MIN), then columns go in DROP_ORDER."""
        from rich.measure import Measurement

        width = options.max_width
        natural = self.widths()
        shown = list(range(len(self.keys)))
        dropped: list[str] = []
        order = [k for k in DROP_ORDER if k in self.keys and k not in self.keep]

        def need(table: Any) -> int:
            return Measurement.get(console, options.update(width=10_000), table).maximum

        while True:
            table = self._layout(shown, None, natural)
            if WIDE or need(table) <= width:
                return table, dropped
            text = [i for i in shown if self.keys[i] in TEXT]
            if text:
                least = need(self._layout(shown, TEXT_MIN, natural))
                if least <= width or not order:
                    spare = max(width - least, 0) // len(text)
                    return self._layout(shown, TEXT_MIN + spare, natural), dropped
            if not order:
                return table, dropped
            key = order.pop(0)
            shown.remove(self.keys.index(key))
            dropped.append(key)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        table, dropped = self.fit(console, options)
        yield table
        if dropped:
            yield t("columns.dropped", self.lang, names=[_col(k, self.lang) for k in dropped])


def _table(title: str | None, columns: Sequence[str], lang: str,
           keep: Sequence[str] = ()) -> Sheet:
    return Sheet(title, columns, lang, keep)


def register(rows: list[dict[str, Any]], columns: Sequence[str], title: str, lang: str) -> Sheet:
    """Any plain register: townships, villages, units, cadres."""
    table = _table(title, columns, lang)
    for r in rows:
        table.add_row(*(label(c, r[c], lang) if c == "level" else _cell(r.get(c)) for c in columns))
    return table


def names(values: Iterable[str], title: str, lang: str) -> Sheet:
    table = _table(title, ["name"], lang)
    for v in values:
        table.add_row(_cell(v))
    return table


def _cell(value: Any) -> str:
    """User text as a cell: never read as rich markup."""
    return "" if value is None else escape(str(value))


DEMAND_COLUMNS = ("number", "received_on", "status", "level", "village", "resident",
                  "category", "complexity", "unit", "due_on", "light", "text")
LIGHT_STYLE = {"overdue": "bold red", "due_soon": "yellow", "on_time": "green",
               "suspended": "magenta", "done": "dim"}


def due_cell(r: dict[str, Any]) -> str:
    """The deadline, starred when it is provisional (its year's schedule is unknown)."""
    if not r.get("due_on"):
        return ""
    return r["due_on"] + ("*" if r.get("due_provisional") else "")


def light_cell(r: dict[str, Any], lang: str) -> str:
    style = LIGHT_STYLE.get(r["light"])
    text = label("light", r["light"], lang)
    return f"[{style}]{text}[/]" if style else text


def demands(rows: list[dict[str, Any]], lang: str, title: str | None = "issue_list",
            extra: Sequence[str] = ()) -> Sheet:
    # 属地 (双向派单) only when a case shown has one: most ledgers never set it.
    local = any(r.get("locality") for r in rows)
    columns = (*DEMAND_COLUMNS[:9], *(("locality",) if local else ()), *DEMAND_COLUMNS[9:-1])
    table = _table(title, (*columns, *extra, DEMAND_COLUMNS[-1]), lang)
    for r in rows:
        table.add_row(
            r["number"], r["received_on"], label("status", r["status"], lang),
            label("level", r["level"], lang), _cell(r["village"]), _cell(r["resident"]),
            _cell(r["category"]), label("complexity", r["complexity"], lang), _cell(r["unit"]),
            *((_cell(r.get("locality")),) if local else ()),
            due_cell(r), light_cell(r, lang), *(_cell(r[c]) for c in extra), _short(r["text"]),
        )
    if rows:
        table.caption = t("count", lang, n=len(rows))
    return table


def provisional_years(rows: Iterable[dict[str, Any]]) -> list[str]:
    return sorted({r["due_on"][:4] for r in rows if r.get("due_provisional") and r.get("due_on")})


def demand_detail(d: dict[str, Any], lang: str) -> Group:
    facts = Grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    rows: list[tuple[str, Any]] = [
        ("number", d["number"]), ("text", d["text"]), ("status", label("status", d["status"], lang)),
        ("level", label("level", d["level"], lang)), ("received_on", d["received_on"]),
        ("village", d["village"]), ("resident", d["resident"]), ("channel", d["channel"]),
        ("category", d["category"]), ("complexity", label("complexity", d["complexity"], lang)),
        ("type", d["type"]), ("unit", d["unit"]), ("co_units", "、".join(d["co_units"])),
        ("locality", d.get("locality")),
        ("handler", d["handler"]), ("leader", d["leader"]),
        ("supervisor", d.get("supervisor")),
        ("summoned", "、".join(f"{u}({on or '—'})" for u, on in d["summoned"])),
        ("signed_on", d.get("signed_on")),
        ("co_signed", "、".join(f"{u}({on})" for u, on in d.get("co_signed") or [])),
        ("urges", d.get("urges") or None), ("last_urged_on", d.get("last_urged_on")),
        ("suspended_since", d["suspended_since"]),
        ("stage_started_on", d["stage_started_on"]), ("due_on", due_cell(d)),
        ("light", label("light", d["light"], lang)), ("result", d["result"]),
        ("feedback", d["feedback"]), ("resolved_on", d["resolved_on"]),
        ("satisfaction", label("satisfaction", d["satisfaction"], lang)),
        ("follow_ups", d.get("follow_ups") or None),
        ("closed_on", d["closed_on"]), ("reopen_count", d["reopen_count"] or None),
        ("meetings", "、".join(meeting_name(m, lang) for m in d.get("meetings") or [])),
    ]
    for key, value in rows:
        if value not in (None, ""):
            facts.add_row(_col(key, lang), _cell(value))
    # The history as lines, not a wide table: a step's details and reason are what a clerk
    # reads, and at 80 columns a table would cut them short.
    history: list[Any] = [label("title", "history", lang)]
    sep = ": " if lang == "en" else ":"
    for e in d["events"]:
        step = label("action", e["action"], lang) + (t("undone", lang) if e.get("undone") else "")
        if e.get("conflict"):
            step += t("history.conflict", lang)
        who = (e["actor"] or "") + (t("history.recorded_at", lang, name=e["ledger"])
                                    if e.get("ledger") else "")
        history.append(Text(f"{e['on']}  {step}  {who}".rstrip(), style="bold"))
        detail = describe_event(e, lang)
        if detail:
            history.append(Text("    " + detail))
        if e["reason"]:
            history.append(Text(f"    {_col('reason', lang)}{sep}{e['reason']}"))
    return Group(facts, "", *history)


def describe_event(e: dict[str, Any], lang: str) -> str:
    """One line saying what a journal event did, from its data."""
    d = e["data"]
    sep = "; " if lang == "en" else ";"
    parts: list[str] = []

    def add(col: str, value: Any) -> None:
        if value not in (None, "", []):
            parts.append(f"{_col(col, lang)}: {value}" if lang == "en" else f"{_col(col, lang)}:{value}")

    action = e["action"]
    if action == "accept":
        add("text", d.get("text"))
        add("channel", d.get("channel"))
    elif action == "classify":
        for key in ("category", "complexity", "type"):
            if key in d:
                before = d.get("before", {}).get(key)
                kind = "complexity" if key == "complexity" else ""
                old = label(kind, before, lang) if kind else before
                new = label(kind, d[key], lang) if kind else d[key]
                add(key, f"{old or '—'} → {new}")
    elif action == "correct":
        add("text", f"{d.get('before')} → {d.get('text')}")
    elif action in ("settle", "resolve"):
        add("result", d.get("result"))
        add("feedback", d.get("feedback"))
    elif action == "assign":
        add("unit", d.get("lead_unit"))
        add("co_units", "、".join(d.get("co_units") or []))
        add("handler", d.get("handler"))
        add("locality", d.get("locality"))
    elif action == "decide":
        add("meeting", f"#{d.get('meeting_id')} {d.get('meeting_on') or ''}".strip())
        add("decision", d.get("decision"))
        add("unit", d.get("lead_unit"))
        add("co_units", "、".join(d.get("co_units") or []))
        add("due_on", d.get("due_on"))
    elif action == "whistle":
        add("summoned", "、".join(d.get("units") or []))
    elif action in ("report_in", "return", "receive"):
        add("unit", d.get("unit"))
    elif action == "take_charge":
        add("leader", d.get("leader"))
    elif action == "supervise":
        add("supervisor", d.get("leader"))
    elif action == "notify":
        add("notice", d.get("text"))
    elif action == "urge":
        add("urge_text", d.get("text"))
        add("copy", d.get("copy"))
    elif action == "extend":
        parts.append(("approver: " if lang == "en" else "审批人:") + str(d.get("approver")))
        if d.get("days"):
            parts.append(f"+{d['days']} " + ("days" if lang == "en" else "天"))
    elif action == "follow_up":
        add("satisfaction", label("satisfaction", d.get("satisfaction"), lang))
        add("followed_up_by", d.get("by_unit") or d.get("by_village"))
        add("method", d.get("method"))
        add("note", d.get("note"))
        if d.get("reopen"):
            parts.append(label("action", "reopen", lang))
    elif action == "merge_resident":
        add("resident", f"#{d.get('from')} → #{d.get('resident_id')}")
    elif action == "print":  # ledger doc: which document, which file
        add("document", label("document", d.get("document"), lang))
        add("file", d.get("file"))
        if d.get("template") == "ledger":
            add("template", label("doc_source", "ledger", lang))
    if action == "accept" and d.get("repeat_of"):
        add("repeat_of", d.get("repeat_of_number") or f"#{d['repeat_of']}")
    return sep.join(parts)


def residents(rows: list[dict[str, Any]], lang: str, unmask: bool = False) -> Sheet:
    table = _table("residents", ("id", "person", "village", "phone", "tags", "visits", "demands"), lang)
    for r in rows:
        phone = r["phone"] if unmask else mask_phone(r["phone"])
        table.add_row(f"#{r['id']}", _cell(r["name"]), _cell(r["village"]), _cell(phone), _cell(r["tags"]),
                      str(r["visits"]), str(r["demands"]))
    return table


def resident_page(page: dict[str, Any], lang: str, unmask: bool = False) -> Group:
    r = page["resident"]
    facts = Grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    phone = r["phone"] if unmask else mask_phone(r["phone"])
    idn = r["id_number"] if unmask else mask_id_number(r["id_number"])
    for key, value in (("id", f"#{r['id']}"), ("person", r["name"]), ("village", r["village"]),
                       ("grid", r["grid"]), ("phone", phone), ("id_number", idn),
                       ("address", r["address"]), ("tags", "、".join(page["tags"])),
                       ("note", r["note"])):
        if value:
            facts.add_row(_col(key, lang), _cell(value))
    merged = page.get("merged") or []
    if merged:
        facts.add_row(t("resident.merged_from", lang), _cell("、".join(
            f"#{m['id']} {m['name'] or ''}({m['on']})" for m in merged)))
    visits = _table("visits", ("date", "village", "channel", "cadres", "note"), lang)
    for v in page["visits"]:
        visits.add_row(v["visited_on"], _cell(v["village"]), _cell(v["channel"]), _cell(v["cadres"]),
                       _short(v["note"], 40))
    parts: list[Any] = [label("title", "resident", lang), facts, "", visits]
    if not page["visits"]:
        parts.append(t("none", lang))
    parts += ["", demands(page["demands"], lang, title="demands")]
    if not page["demands"]:
        parts.append(t("none", lang))
    return Group(*parts)


def visits(rows: list[dict[str, Any]], lang: str) -> Sheet:
    table = _table("visits", ("visit", "date", "village", "resident", "channel", "cadres",
                              "demands", "note"), lang)
    for v in rows:
        table.add_row(f"#{v['id']}", v["visited_on"], _cell(v["village"]), _cell(v["resident"]),
                      _cell(v["channel"]), _cell(v["cadres"]), str(v["demands"]),
                      _short(v["note"], 30))
    return table


def groups(rows: list[dict[str, Any]], columns: Sequence[str], title: str, lang: str) -> Sheet:
    table = _table(title, columns, lang)
    unnamed = t("unassigned", lang)
    for r in rows:
        table.add_row(*(_cell(unnamed if c == "name" and r[c] is None else r[c]) for c in columns))
    return table


def calendar_years(rows: list[dict[str, Any]], lang: str) -> Sheet:
    table = _table("calendar_years", ("year", "rest", "work", "source", "schedule_notice"), lang)
    for r in rows:
        source = {"shipped": ("随软件发布", "shipped"), "ledger": ("本台账添加", "added here")}[r["source"]]
        table.add_row(str(r["year"]), str(r["rest"]), str(r["work"]),
                      source[1 if lang == "en" else 0], _cell(r["notice"]))
    return table


WEEKDAYS = {"zh": ("一", "二", "三", "四", "五", "六", "日"),
            "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
DAY_STYLE = {"holiday": "bold red", "makeup": "bold yellow", "weekend": "dim"}


def month_grid(days: list[dict[str, Any]], lang: str) -> Columns:
    """A month as a calendar: holidays (假) and make-up working days (补班) marked."""
    first = days[0]["date"]
    table = Columns(title=f"{first.year}-{first.month:02d}")
    for name in WEEKDAYS["en" if lang == "en" else "zh"]:
        table.add_column(name, justify="right")
    week: list[str] = [""] * first.weekday()
    for d in days:
        mark = {"holiday": label("day_kind", "holiday", lang),
                "makeup": label("day_kind", "makeup", lang)}.get(d["kind"], "")
        text = f"{d['date'].day}{mark}"
        style = DAY_STYLE.get(d["kind"])
        week.append(f"[{style}]{text}[/]" if style else text)
        if len(week) == 7:
            table.add_row(*week)
            week = []
    if week:
        table.add_row(*(week + [""] * (7 - len(week))))
    return table


def policies(rows: list[dict[str, Any]], lang: str) -> Sheet:
    table = _table("policies", ("policy_kind", "value", "amount", "max_extensions",
                                "extension_days"), lang)
    for r in rows:
        value = label("complexity", r["value"], lang) if r["kind"] == "complexity" else r["value"]
        table.add_row(label("policy_kind", r["kind"], lang), _cell(value),
                      f"{r['amount']} {label('unit_of_time', r['unit'], lang)}",
                      _cell(r["max_extensions"]), _cell(r["extension_days"]))
    return table


SUMMARY_LIST_LIMIT = 30
SUMMARY_COLUMNS = ("received", "settled_on_spot", "to_township", "escalated", "assigned",
                   "resolved", "closed", "open", "overdue")
TOTAL_ROWS = ("received", "settled_on_spot", "to_township", "escalated", "assigned", "resolved",
              "closed", "open", "carried_over", "overdue", "due_next", "repeat_demands")


def summary(s: dict[str, Any], lang: str, unmask: bool = False) -> Group:
    """The Tuesday summary, table by table in the order the meeting goes through it."""
    from .privacy import mask_name

    parts: list[Any] = [
        label("title", "summary", lang),
        t("summary.week", lang, start=s["week_start"], end=s["week_end"], as_of=s["as_of"]),
    ]
    kv = s.get("key_villages")
    if kv and kv["total"]:  # a township that marks key villages: were they all visited?
        line = t("summary.key_villages", lang, visited=kv["visited"], total=kv["total"])
        if kv["missed"]:
            line += t("summary.key_missed", lang,
                      names=kv["missed"])
        parts.append(_cell(line))
    for key in ("village", "category", "channel"):
        table = _table(f"summary_by_{key}", ("name", *SUMMARY_COLUMNS), lang)
        for r in s[f"by_{key}"]:
            table.add_row(_cell(r["name"] or "—"), *(str(r[c]) for c in SUMMARY_COLUMNS))
        if s[f"by_{key}"]:  # the rows add up to the week's totals
            table.add_total(t("total", lang), *(str(s[c]) for c in SUMMARY_COLUMNS))
        parts.append(table)
    totals = _table("summary_totals", ("item", "count"), lang)
    for c in TOTAL_ROWS:
        totals.add_row(_col(c, lang), str(s[c]))
    if "meeting_studied" in s:
        totals.add_row(_col("meeting_studied", lang), str(s["meeting_studied"]))
    parts.append(totals)
    for key, count, extra in (("carried_over_demands", "carried_over", ()),
                              ("due_demands", "due_next", ()),
                              ("overdue_demands", "overdue", ("days_late",))):
        rows = s[key][:SUMMARY_LIST_LIMIT]
        # A meeting reads the first ones; the CSV and JSON carry every demand.
        parts.append(demands(rows, lang, title=count, extra=extra))
        if not rows:
            parts.append(t("none", lang))
        elif s[count] > len(rows):
            parts.append(t("summary.more", lang, n=s[count] - len(rows)))
    repeat = _table("repeat_residents", ("person", "village", "demands", "this_week", "first_on"),
                    lang)
    for r in s["repeat_residents"]:
        name = r["resident"] if unmask else mask_name(r["resident"])
        repeat.add_row(_cell(name), _cell(r["village"]), str(r["demands"]), str(r["this_week"]),
                       r["first_on"])
    parts.append(repeat)
    if not s["repeat_residents"]:
        parts.append(t("none", lang))
    elif s["repeat_count"] > len(s["repeat_residents"]):
        parts.append(t("summary.more_people", lang,
                       n=s["repeat_count"] - len(s["repeat_residents"])))
    return Group(*parts)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


TALK_NUMBERS = 10  # on screen; JSON and CSV list every overdue demand
REPORT_COLUMNS = ("rank", "name", "received", "resolved", "on_time", "overdue", "response_rate",
                  "resolution_rate", "on_time_rate", "satisfaction_rate", "return_rate",
                  "reopen_rate", "urges", "repeats", "score")


def report(r: dict[str, Any], lang: str) -> Group:
    table = _table("report", REPORT_COLUMNS, lang)

    def cells(row: dict[str, Any]) -> list[str]:
        return [percent(row[c]) if c.endswith("_rate") else
                ("—" if row.get(c) is None else _cell(row[c])) for c in REPORT_COLUMNS]

    for row in r["rows"]:
        table.add_row(*cells(row))
    if r["rows"]:
        table.add_total("", t("total", lang), *cells(r["total"])[2:])
    parts: list[Any] = [table]
    if r["by"] == "unit":
        talk = _table("talk", ("name", "overdue", "max_days_late", "numbers"), lang)
        for u in r["talk"]:
            shown = "、".join(u["numbers"][:TALK_NUMBERS])
            if len(u["numbers"]) > TALK_NUMBERS:
                shown += t("talk.more", lang, n=len(u["numbers"]))
            talk.add_row(_cell(u["name"]), str(u["overdue"]), str(u["max_days_late"]), shown)
        parts.append(talk)
        if not r["talk"]:
            parts.append(t("none", lang))
    return Group(*parts)


SUPERVISE_COLUMNS = ("number", "unit", "colour", "reason", "supervisor", "due_on", "urges",
                     "text")
COLOUR_STYLE = {"red": "bold red", "yellow": "bold yellow", "blue": "bold blue"}


def supervision(result: dict[str, Any], lang: str) -> Group:
    """三色督办: the cases by lead unit, each with its colour and why; then the counts."""
    # grouped by unit; the reason is what makes a case yellow
    local = any(r.get("locality") for r in result["demands"])
    columns = SUPERVISE_COLUMNS[:2] + (("locality",) if local else ()) + SUPERVISE_COLUMNS[2:]
    table = _table("supervise", columns, lang, keep=("unit", "reason"))
    unnamed = t("unassigned", lang)
    for r in result["demands"]:
        colour = label("colour", r["colour"], lang)
        table.add_row(r["number"], _cell(r["unit"] or unnamed),
                      *((_cell(r.get("locality")),) if local else ()),
                      f"[{COLOUR_STYLE[r['colour']]}]{colour}[/]",
                      label("colour_reason", r["reason"], lang), _cell(r["supervisor"]),
                      due_cell(r), str(r["urges"]), _short(r["text"]))
    if result["demands"]:
        table.caption = t("count", lang, n=len(result["demands"]))
    counts = _table("supervise_by_unit", ("name", "red", "yellow", "blue"), lang)
    for g in result["by_unit"]:
        counts.add_row(_cell(g["name"] or unnamed), str(g["red"]), str(g["yellow"]), str(g["blue"]))
    if result["by_unit"]:
        counts.add_total(t("total", lang), *(str(sum(g[c] for g in result["by_unit"]))
                                             for c in ("red", "yellow", "blue")))
    parts: list[Any] = [table]
    if not result["demands"]:
        parts.append(t("none", lang))
    else:
        parts.append(counts)
    return Group(*parts)


def settings(values: dict[str, Any], lang: str) -> Sheet:
    table = _table("settings", ("key", "value"), lang)
    for k, v in sorted(values.items()):
        table.add_row(k, f"{v:g}" if isinstance(v, float) else _cell(v))
    return table


# --- the Tuesday meeting -------------------------------------------------------------------

def meeting_name(m: dict[str, Any], lang: str) -> str:
    """#3 2026-11-17 党委会议"""
    return f"#{m['id']} {m['held_on']} {label('meeting_kind', m['kind'], lang)}"


AGENDA_COLUMNS = ("number", "why", "village", "unit", "status", "due_on", "text")


def agenda(result: dict[str, Any], lang: str) -> Group:
    """What the meeting should study, each case once with all its reasons."""
    table = _table("agenda", AGENDA_COLUMNS, lang, keep=("why",))
    sep = ", " if lang == "en" else "、"
    for r in result["demands"]:
        table.add_row(r["number"], sep.join(label("agenda_reason", w, lang) for w in r["why"]),
                      _cell(r["village"]), _cell(r["unit"]), label("status", r["status"], lang),
                      due_cell(r), _short(r["text"]))
    table.title = t("agenda.title", lang, date=result["date"], since=result["since"])
    counts = sep.join(f"{label('agenda_reason', k, lang)} {n}" for k, n in result["counts"].items())
    table.caption = t("agenda.count", lang, n=len(result["demands"]), counts=counts)
    parts: list[Any] = [table]
    if not result["demands"]:
        parts.append(t("none", lang))
    return Group(*parts)


def meetings(rows: list[dict[str, Any]], lang: str) -> Sheet:
    table = _table("meetings", ("id", "date", "kind", "attendees", "studied"), lang)
    for r in rows:
        table.add_row(f"#{r['id']}", r["held_on"], label("meeting_kind", r["kind"], lang),
                      _short("、".join(r["attendees"])), str(r["studied"]))
    if rows:
        table.caption = t("count", lang, n=len(rows))
    return table


def meeting_detail(m: dict[str, Any], lang: str) -> Group:
    facts = Grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for key, value in (("meeting", f"#{m['id']}"), ("date", m["held_on"]),
                       ("kind", label("meeting_kind", m["kind"], lang)),
                       ("attendees", "、".join(m["attendees"])), ("studied", m["studied"])):
        if value not in (None, ""):
            facts.add_row(_col(key, lang), _cell(value))
    table = _table("decisions", ("number", "date", "decision", "unit", "due_on", "actor"), lang)
    for d in m["decisions"]:
        table.add_row(d["number"], d["on"], _short(d["decision"], 40), _cell(d["unit"]),
                      _cell(d["due_on"]), _cell(d["actor"]))
    parts: list[Any] = [facts, "", table]
    if not m["decisions"]:
        parts.append(t("none", lang))
    return Group(*parts)


def plain_text(renderable: Any) -> str | None:
    """Tables, grids, groups and strings as plain aligned text, for files and pipes (rich
    is not imported); None for anything else. Columns are padded by display width (a
    Chinese character is two columns wide); strings are shown as they are."""
    if isinstance(renderable, str):
        return renderable
    if isinstance(renderable, Text):
        return renderable.plain
    if isinstance(renderable, Group):
        parts = [plain_text(r) for r in renderable.renderables]
        return None if any(p is None for p in parts) else "\n".join(parts)  # type: ignore[arg-type]
    if isinstance(renderable, Sheet):
        return layout(renderable.title, renderable.headers, renderable._all_rows(),
                      renderable.show_header, renderable.caption)
    if isinstance(renderable, Columns):
        return layout(renderable.title, renderable.headers, renderable.rows,
                      renderable.show_header, renderable.caption)
    return None


# --- issue 16 (pairing, coverage) ---

COVERAGE_LIST_LIMIT = 20  # residents not visited longest, on screen; CSV and JSON list all


def pairs(rows: list[dict[str, Any]], lang: str) -> Sheet:
    table = _table("pairs", ("pair", "village", "role", "paired_with", "pair_kind",
                             "cadre_unit", "household", "since"), lang)
    for r in rows:
        household = f"#{r['resident_id']} {r['resident']}" if r["resident_id"] else ""
        table.add_row(f"#{r['id']}", _cell(r["village"]), _cell(r["role"]),
                      _cell(r["cadre"] or r["unit"]), label("pair_kind", r["kind"], lang),
                      _cell(r["cadre_unit"]), _cell(household), r["created_on"] or "")
    return table


def organisations(rows: list[dict[str, Any]], lang: str) -> Sheet:
    table = _table("organisations", ("id", "org", "org_kind", "village", "visits",
                                     "last_visit_on", "demands"), lang)
    for r in rows:
        table.add_row(f"#{r['id']}", _cell(r["name"]), _cell(r["kind"]), _cell(r["village"]),
                      str(r["visits"]), r["last_visit_on"] or "", str(r["demands"]))
    return table


def organisation_page(page: dict[str, Any], lang: str, unmask: bool = False) -> Group:
    """An organisation's page: the resident page's tables, with its kind; its phone (and an
    ID number, should the page hold one) masked as a resident's are, unless ``unmask``."""
    r = page["resident"]
    facts = Grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    phone = r["phone"] if unmask else mask_phone(r["phone"])
    idn = r.get("id_number")
    idn = idn if unmask else mask_id_number(idn)
    for key, value in (("id", f"#{r['id']}"), ("org", r["name"]), ("org_kind", r["org_kind"]),
                       ("village", r["village"]), ("phone", phone), ("id_number", idn),
                       ("address", r["address"]), ("note", r["note"])):
        if value:
            facts.add_row(_col(key, lang), _cell(value))
    visits = _table("visits", ("date", "village", "channel", "cadres", "note"), lang)
    for v in page["visits"]:
        visits.add_row(v["visited_on"], _cell(v["village"]), _cell(v["channel"]),
                       _cell(v["cadres"]), _short(v["note"], 40))
    parts: list[Any] = [label("title", "organisation", lang), facts, "", visits]
    if not page["visits"]:
        parts.append(t("none", lang))
    parts += ["", demands(page["demands"], lang, title="demands")]
    if not page["demands"]:
        parts.append(t("none", lang))
    return Group(*parts)


def _rate_rows(rows: list[dict[str, Any]], key: str, col: str, title: str, lang: str) -> Sheet:
    table = _table(title, (col, "total", "visited", "rate"), lang)
    for r in rows:
        table.add_row(_cell(r[key]), str(r["total"]), str(r["visited"]), percent(r["rate"]))
    return table


def coverage(c: dict[str, Any], lang: str) -> Group:
    """ledger coverage: key villages, households, tags, organisations, not visited longest."""
    yes, no, never = t("coverage.yes", lang), t("coverage.no", lang), t("coverage.never", lang)
    parts: list[Any] = [label("title", "coverage", lang),
                        t("coverage.period", lang, start=c["from"], end=c["to"],
                          as_of=c["as_of"])]
    if c["visit_day_rest"]:
        parts.append(t("coverage.rest_day", lang, day=c["from"]))
    kv = c["key_villages"]
    if kv:
        parts.append(t("coverage.key_line", lang, visited=sum(v["covered"] for v in kv),
                       total=len(kv)))
        table = _table("coverage_key_villages", ("village", "role", "paired_with",
                                                 "visited_mark", "visits", "last_visit_on"),
                       lang, keep=("village",))
        for v in kv:
            first = True
            for p in v["people"] or [None]:
                name = _cell(v["village"]) if first else ""
                first = False
                if p is None:
                    table.add_row(name, "", t("none", lang), no, "0", "")
                    continue
                mark = yes if p["visited"] else f"[bold red]{no}[/]"
                table.add_row(name, _cell(p["role"]), _cell(p["name"]), mark, str(p["visits"]),
                              p["last_visit_on"] or "")
        parts.append(table)
    else:
        parts.append(t("coverage.no_key", lang))
    parts.append(t("coverage.households_window", lang, days=c["household_days"],
                   since=c["households_from"], as_of=c["as_of"]))
    hh = _table("coverage_households", ("cadre", "cadre_unit", "paired", "visited",
                                        "not_visited_names"), lang)
    for h in c["households"]:
        if not h["paired"]:
            continue
        names = "、".join(f"#{r['id']} {r['name']}" for r in h["not_visited"])
        hh.add_row(_cell(h["cadre"]), _cell(h["unit"]), str(h["paired"]), str(h["visited"]),
                   _cell(names))
    parts.append(hh)
    if not hh.rows:
        parts.append(t("none", lang))
    unpaired = [h["cadre"] for h in c["households"] if not h["paired"]]
    if unpaired:  # on screen in one line; CSV and JSON have a row for each
        parts.append(_cell(t("coverage.no_households", lang, n=len(unpaired),
                             names=unpaired)))
    parts.append(_rate_rows(c["tags"], "tag", "tag", "coverage_tags", lang))
    if not c["tags"]:
        parts.append(t("none", lang))
    if c["organisations"]:
        parts.append(_rate_rows(c["organisations"], "kind", "org_kind", "coverage_orgs", lang))
    nv = _table("coverage_not_visited", ("id", "person", "village", "group", "last_visit_on"),
                lang)
    for r in c["not_visited"]:
        nv.add_row(f"#{r['id']}", _cell(r["name"]), _cell(r["village"]),
                   _cell(r["kind"] or r["tags"]), r["last_visit_on"] or never)
    parts.append(nv)
    if not c["not_visited"]:
        parts.append(t("none", lang))
    elif c["not_visited_count"] > len(c["not_visited"]):
        parts.append(t("coverage.more", lang, n=c["not_visited_count"] - len(c["not_visited"])))
    return Group(*parts)
BAR_WIDTH = 10  # cells of the longest bar of ``ledger trend``
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: int, most: int, width: int = BAR_WIDTH) -> str:
    """``value`` as a bar of block characters, ``most`` filling ``width`` cells."""
    if not most or not value:
        return ""
    eighths = max(1, round(8 * width * value / most))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def trend(rows: list[dict[str, Any]], lang: str) -> Sheet:
    """``ledger trend``: each ledger week's intake, resolved and overdue, with a bar for
    each (all bars on one scale, so they compare across the columns)."""
    keys = ("week", "received", "bar_received", "resolved", "bar_resolved", "overdue",
            "bar_overdue")
    table = Sheet(None, keys, lang, keep=keys)
    table.title = t("trend.title", lang)
    table.headers = [label("sheet", "col_week", lang), label("sheet", "col_intake", lang), "",
                     label("sheet", "col_resolved", lang), "",
                     label("sheet", "col_overdue", lang), ""]
    most = max((max(r["received"], r["resolved"], r["overdue"]) for r in rows), default=0)
    for r in rows:
        table.add_row(t("xlsx.week", lang, start=r["week_start"], end=r["week_end"][5:]),
                      r["received"], f"[blue]{bar(r['received'], most)}[/]",
                      r["resolved"], f"[green]{bar(r['resolved'], most)}[/]",
                      r["overdue"], f"[red]{bar(r['overdue'], most)}[/]")
    return table
