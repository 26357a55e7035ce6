"""The ledger's data in and out, and keeping it safe: export, import, merge, check, backup,
restore, undo."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Iterator, Optional

import typer

from .options import DbOpt, ForceOpt, VillageOpt

if TYPE_CHECKING:
    from ..cli import Session
    from ..io.importer import ImportRefused

commands = typer.Typer()  # every command here is of the top level

EXPORT_FILE_NAMES = {"demands": "诉求台账", "visits": "走访记录", "residents": "群众名册"}
CREATED_SHOWN = 20  # names listed per kind after an import; the count is always given


# --- export and import -------------------------------------------------------------------

@commands.command("export")
def export(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(help="demands(诉求,默认)| visits(走访)| residents(群众) || demands (the default) | visits | residents")] = "demands",
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="写入文件,- 为标准输出(默认:当前文件夹下“诉求台账-日期.csv”) || Write to this file, - for standard output (default: 诉求台账-DATE.csv in the current folder)")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="utf-8-sig(默认,带 BOM)| gb18030 | utf-8")] = "utf-8-sig",
    fmt: Annotated[str, typer.Option("--format", help="csv(默认)或 xlsx(Excel 工作簿;-o 给 .xlsx 文件名亦可) || csv (the default) or xlsx (an Excel workbook; or give -o a .xlsx name)")] = "csv",
    unmask: Annotated[bool, typer.Option("--unmask", help="不打码电话和身份证号(记入日志) Do not mask phones and ID numbers (journaled)")] = False,
    mask_names: Annotated[bool, typer.Option("--mask-names", help="姓名也打码(张*) Mask names too")] = False,
    status: Annotated[Optional[str], typer.Option("--status", help="诉求状态 Demand status")] = None,
    village: VillageOpt = None,
    since: Annotated[Optional[str], typer.Option("--from", help="日期起 From date")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="日期止 To date")] = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """导出 CSV 或 Excel 工作簿(Excel/WPS 可直接打开):诉求、走访或群众;个人信息默认打码。 Export as CSV or .xlsx."""
    from ..io.csvformat import export_csv
    from ..io.files import atomic_write, check_target, is_stdout

    s: Session = ctx.obj
    filters = {k: v for k, v in (("status", status), ("village", village), ("since", since),
                                 ("until", until)) if v}
    kind = what.strip().lower()
    book = _export_format(fmt, output) == "xlsx"
    suffix = ".xlsx" if book else ".csv"
    path = output or Path(f"{EXPORT_FILE_NAMES.get(kind, kind)}-{s.day().isoformat()}{suffix}")
    if book:
        from .listing import township_of, write_workbook

        def build(target: Path) -> int:
            from ..io.xlsx import export_workbook

            ledger = s.ledger(db)
            return export_workbook(ledger, kind, target, lang=s.lang, unmask=unmask,
                                   mask_names=mask_names, township=township_of(ledger),
                                   **filters)

        def done(n: int, target: Path) -> None:
            s.say("export.done", n=n, path=str(target))
            if unmask:
                s.say("export.unmasked")

        write_workbook(s, path, "", build, force=force, private=unmask or not mask_names,
                       db=db, done=done)
        if unmask and is_stdout(path):
            s.warn(s.t("export.unmasked"))
        return
    ledger_path = s.resolve(db)
    if not is_stdout(path):
        check_target(Path(path), force=force, keep=[ledger_path])  # refused before reading
    ledger = s.ledger(db)
    # Names in full (unless --mask-names), and phones and ID numbers with --unmask, are
    # personal data: such a file is readable by its owner only.
    with atomic_write(path, binary=True, force=force, private=unmask or not mask_names,
                      keep=[ledger_path]) as out:
        n = export_csv(ledger, kind, out, encoding=encoding, unmask=unmask,
                       mask_names=mask_names, **filters)
    if is_stdout(path):
        if unmask:
            s.warn(s.t("export.unmasked"))  # standard output holds the CSV alone
        return
    s.say("export.done", n=n, path=str(path))
    if unmask:
        s.say("export.unmasked")


def _export_format(fmt: str, output: Path | None) -> str:
    """``export --format``: csv or xlsx; an ``-o`` name ending in .xlsx means xlsx."""
    from ..errors import BadInput

    value = (fmt or "csv").strip().lower()
    if value not in ("csv", "xlsx"):
        raise BadInput("enum.unknown", what="format", name=fmt, choices=["csv", "xlsx"])
    if output is not None and output.suffix.lower() == ".xlsx":
        return "xlsx"
    return value


@commands.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV 文件或 Excel 工作簿 .xlsx(ledger export 的格式) || A CSV or an .xlsx workbook in the export format", dir_okay=False)],
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="工作簿中的工作表(默认第一个) || The workbook's sheet (default: the first)")] = None,
    what: Annotated[str, typer.Option("--what", help="demands(默认)| visits | residents || demands (the default) | visits | residents")] = "demands",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查,不写入 Check only")] = False,
    create_missing: Annotated[bool, typer.Option("--create-missing", help="新建未知的村、单位、类别等 Create unknown villages, units, categories")] = False,
    errors: Annotated[Optional[Path], typer.Option("--errors", help="把问题清单写成 CSV Write the problems as CSV")] = None,
    update: Annotated[bool, typer.Option("--update", help="编号已有而内容不同的行,按文件记一步更正(correct/classify) || Correct rows whose number exists with other content (as correct/classify steps)")] = False,
    force: Annotated[bool, typer.Option("--force", help="覆盖已有的 --errors 文件 || Replace an existing --errors file")] = False,
    allow_duplicates: Annotated[bool, typer.Option("--allow-duplicates", help="无编号的行与台账中已有诉求相同(同村、同类别、同日、内容相近)也导入 || Import unnumbered rows that look like demands already in the ledger")] = False,
    db: DbOpt = None,
) -> None:
    """导入 CSV 或 Excel 工作簿:先逐行检查,有任何问题则全部不导入并列出问题;按编号去重。 Import a CSV or an .xlsx workbook."""
    from ..errors import BadInput
    from ..io.importer import ImportRefused, import_csv, import_xlsx

    s: Session = ctx.obj
    try:
        source = open(file, "rb")
    except OSError as e:
        raise BadInput("file.cannot_read", path=str(file), why=e.strerror or str(e)) from None
    try:
        head = source.read(4)
        source.seek(0)
        book = head.startswith(b"PK\x03\x04")  # a zip: an .xlsx workbook
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise BadInput("import.xls")
        if sheet is not None and not book:
            raise BadInput("import.sheet_not_csv", path=str(file))
        ledger = s.ledger(db, create=True)
        reason = s.t("import.update_reason", file=file.name)
        if book:
            result = import_xlsx(ledger, source, sheet=sheet, what=what.strip().lower(),
                                 dry_run=dry_run, create_missing=create_missing,
                                 update=update, update_reason=reason,
                                 allow_duplicates=allow_duplicates)
        else:
            with _progress(file) as progress:
                result = import_csv(ledger, source, what=what.strip().lower(),
                                    dry_run=dry_run, create_missing=create_missing,
                                    progress=progress, update=update, update_reason=reason,
                                    allow_duplicates=allow_duplicates)
    except ImportRefused as e:
        _list_problems(s, e, errors, force)
        raise
    finally:
        source.close()
    s.say("import.done", rows=result.rows, added=result.added, skipped=result.skipped)
    if result.updated:
        s.say("import.updated", n=result.updated)
    for kind, names in result.created.items():
        n = result.created_count[kind]
        if n <= CREATED_SHOWN:
            s.say("import.created", what=kind, names=names)
        else:
            s.say("import.created_many", what=kind, n=n, names=names[:CREATED_SHOWN])
    if dry_run:
        s.say("import.dry_run")


def _list_problems(s: Session, refused: ImportRefused, errors: Path | None,
                   force: bool = False) -> None:
    """Every problem of a refused import as a line under its one-line message (a note the
    error map prints), and as CSV in ``errors`` when the clerk asked for that file."""
    from ..errors import BadInput, LedgerFileError
    from ..io.files import atomic_write
    from ..io.importer import write_errors_csv

    from ..i18n import shorten

    problems = refused.params["errors"]
    for p in problems:
        row, column, value, why = p.as_row(s.lang)  # the --errors file keeps values whole
        refused.add_note(f"  {row}\t{shorten(column)}\t{shorten(value)}\t{why}")
    if errors is None:
        return
    try:
        # The file's own cells, phones and ID numbers included: readable by its owner only.
        with atomic_write(errors, binary=True, force=force, private=True) as out:
            write_errors_csv(problems, out, lang=s.lang)
    except (LedgerFileError, BadInput) as e:  # the problems are still listed, and the exit code is the import's
        refused.add_note(s.error_line(e.message(s.lang)))
    else:
        refused.add_note(s.t("import.errors_written", path=str(errors)))


@contextlib.contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal for a long file (bytes read); nothing otherwise."""
    size = file.stat().st_size
    if size < (1 << 20) or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(file.name, total=size)
        yield lambda done: bar.update(task, completed=done)


@commands.command("merge")
def merge(
    ctx: typer.Context,
    other: Annotated[Path, typer.Argument(help="另一个乡镇的台账文件 Another ledger file", dir_okay=False)],
    db: DbOpt = None,
) -> None:
    """合并另一本台账(如县里汇总各乡镇):编号重排、来源留记录,重复合并不会重复添加。 Merge a ledger."""
    from ..io.merge import merge_ledger

    from .sync import progress_bar

    s: Session = ctx.obj
    with progress_bar(other.name) as progress:
        result = merge_ledger(s.ledger(db, create=True), other, progress)
    s.say("merge.done", source=result.source, demands=result.demands, skipped=result.skipped,
          visits=result.visits, residents=result.residents)
    for kind, n in sorted(result.created.items()):
        s.say("merge.created", what=kind, n=n)


# --- keeping the record safe ---------------------------------------------------------------

@commands.command("check")
def check_(
    ctx: typer.Context,
    head: Annotated[Optional[str], typer.Option(
        "--head", help="核对以前记下的日志链头 ID:HASH(ledger backup 打印) || Verify against a chain head ID:HASH recorded earlier (ledger backup prints it)")] = None,
    db: DbOpt = None,
) -> None:
    """检查台账:文件完整性、日志哈希链与保护触发器、每件诉求及群众、走访、名录与日志一致、在办诉求有时限。 Check the ledger."""
    from ..services.checks import parse_head

    s: Session = ctx.obj
    recorded = parse_head(head) if head is not None else None
    ledger = s.ledger(db)
    findings = ledger.checks.run(head=recorded)
    problems = ledger.checks.problems(findings)
    warnings = [f for f in findings if f.warning]
    if problems:
        s.warn(s.t("check.found", n=len(problems)))
        for f in problems:
            s.warn("  " + s.t(f.key, **f.params))
    else:
        s.say("check.ok", demands=ledger.demands.count())
        if recorded is not None:
            s.say("check.head_ok", id=recorded[0])
        rid, digest = ledger.checks.head()
        s.say("check.head", id=rid, hash=digest, short=digest[:16])
    if warnings:
        s.warn(s.t("check.warnings", n=len(warnings)))
        for f in warnings:
            s.warn("  " + s.t(f.key, **f.params))
    if problems:
        raise typer.Exit(1)


@commands.command("backup")
def backup_(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(help="备份文件 Backup file")],
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """备份台账(他人同时写入也能得到一致的副本)。 Back up the ledger, consistently, while others write."""
    from ..io.backup import backup
    from ..io.files import check_target

    s: Session = ctx.obj
    check_target(dest, force=force, keep=[s.resolve(db)])
    ledger = s.ledger(db)
    size = backup(ledger, dest, force=force, keep=[s.resolve(db)])
    s.say("backup.done", path=str(dest), size=size)
    rid, digest = ledger.checks.head()
    s.say("check.head", id=rid, hash=digest, short=digest[:16])


@commands.command("restore")
def restore_(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="备份文件 Backup file", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="确认替换现有台账 Replace the existing ledger")] = False,
    db: DbOpt = None,
) -> None:
    """从备份恢复台账:先检查备份,原台账另存一份;已有台账须加 --force。 Restore from a backup."""
    from ..io.backup import restore

    s: Session = ctx.obj
    target = s.resolve(db)
    kept = restore(target, source, today=s.day(), force=force)
    s.say("restore.done", source=str(source), path=str(target))
    if kept:
        s.say("restore.kept", path=str(kept))


@commands.command("undo")
def undo_(ctx: typer.Context, db: DbOpt = None) -> None:
    """撤销自己的上一次操作(打错了时用);办理记录保留原操作和撤销记录。 Undo your last change."""
    from ..i18n import label

    s: Session = ctx.obj
    result = s.ledger(db).history.undo()
    steps = "、".join(f"{label('action', action, s.lang)} {name}".strip()
                      for _, action, name in result["steps"])
    s.say("undo.done", command=result["command"], actor=result["actor"] or "", steps=steps)
