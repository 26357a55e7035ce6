"""How a list of demands is shown (``issue list``, ``due``, ``overdue``, the lists of the
Tuesday summary): a table, or for scripts CSV or JSON with stable English keys (documented
in the README)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..cli import Session

# Stable English keys of a demand row for scripts (documented in the README).
JSON_KEYS = ("number", "status", "level", "village", "category", "complexity", "type", "channel",
             "unit", "received_on", "due_on", "due_provisional", "light", "resolved_on",
             "closed_on", "satisfaction", "settled_on_spot", "text", "locality")


def json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Demand rows as scripts get them: the keys of ``JSON_KEYS``, flags as booleans."""
    out = []
    for r in rows:
        row = {k: r.get(k) for k in JSON_KEYS}
        row["due_provisional"] = bool(row["due_provisional"])
        row["settled_on_spot"] = bool(row["settled_on_spot"])
        out.append(row)
    return out


def show_demands(s: Session, rows: list[dict[str, Any]], fmt: str, title: str = "issue_list",
                 extra: tuple[str, ...] = ()) -> None:
    """Demand rows in ``fmt`` (table, csv or json), with the ``extra`` columns after the
    usual ones."""
    render = s.render()

    if fmt == "json":
        s.emit_json(json_rows(rows))
        return
    if fmt == "csv":
        s.emit_csv([{**j, **{k: r[k] for k in extra}} for j, r in zip(json_rows(rows), rows)],
                   (*JSON_KEYS, *extra))
        return
    s.print(render.demands(rows, s.lang, title=title, extra=extra))
    if not rows:
        s.say("none")
    warn_provisional(s, rows)


def warn_provisional(s: Session, rows: list[dict[str, Any]]) -> None:
    """One line on standard error when a deadline shown is provisional (its year's holiday
    schedule is not in the ledger yet)."""
    render = s.render()

    years = render.provisional_years(rows)
    if years:
        n = sum(1 for r in rows if r.get("due_provisional"))
        s.warn(s.t("provisional.warning", n=n, years="、".join(years)))
