"""How a list of demands is shown (``issue list``, ``due``, ``overdue``, the lists of the
Tuesday summary): a table, or for scripts CSV or JSON with stable English keys (documented
in the README)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

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


def write_workbook(s: Session, output: Path | None, default: str,
                   build: Callable[[Path], Any], *, force: bool = False,
                   private: bool = False, db: Path | None = None,
                   done: Callable[[Any, Path], None] | None = None) -> Any:
    """An Excel workbook built by ``build(path)`` (``ledger.io.xlsx``) written to ``output``
    (default: ``default`` in the current folder) by the rules of every output
    (``ledger.io.files``: whole or not at all, never over an existing file without
    ``force``, the owner's only when ``private``); ``-`` is standard output. The target is
    checked before any work is done. ``done(result, path)`` says what was written (default:
    已写入 PATH)."""
    from ..io.files import atomic_path, check_target, is_stdout

    path = output or Path(default)
    keep = [s.resolve(db)]
    if is_stdout(path):
        import sys
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder) / "book.xlsx"
            result = build(tmp)
            data = tmp.read_bytes()
        raw = getattr(sys.stdout, "buffer", None)
        if raw is None:  # a test's capture holds text only
            sys.stdout.write(data.decode("latin-1"))
        else:
            sys.stdout.flush()
            raw.write(data)
            raw.flush()
        return result
    check_target(path, force=force, keep=keep)  # refused before the work is done
    with atomic_path(path, force=force, private=private, keep=keep) as tmp:
        result = build(tmp)
    if done is not None:
        done(result, path)
    else:
        s.say("xlsx.written", path=str(path))
    return result


def township_of(ledger: Any) -> str:
    """The township(s) a ledger keeps, as a workbook's title names them."""
    return "、".join(ledger.registers.township_names())
