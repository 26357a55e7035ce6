"""The printed notices (``ledger doc``): 交办单, 催办通知书, 回访记录表 and 一人一账 as Word
documents, each recorded in the journal; and the township's own templates (``ledger doc
template``). docxtpl and python-docx are imported only inside these commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .options import DbOpt, ForceOpt, FormatOpt, Number, output_format

if TYPE_CHECKING:
    from ..cli import Session

doc_app = typer.Typer(help="打印文书:交办单、催办通知书、回访记录表、一人一账 || Printed notices (Word .docx)",
                      no_args_is_help=True)
template_app = typer.Typer(help="文书模板:安装本镇模板、恢复默认、列出、导出 || The notices' templates",
                           no_args_is_help=True)
doc_app.add_typer(template_app, name="template")

GROUPS = (("doc", doc_app),)

DocOutputOpt = Annotated[Optional[Path], typer.Option(
    "--output", "-o", dir_okay=False,
    help="写入文件(默认:当前文件夹下“文书名-编号-日期.docx”) || Write to this file (default: NAME-NUMBER-DATE.docx in the current folder)")]
UnmaskOpt = Annotated[bool, typer.Option(
    "--unmask", help="不打码电话和身份证号(记入日志) Do not mask phones and ID numbers (journaled)")]
KindArg = Annotated[str, typer.Argument(
    help="文书:assign(交办单)| urge(催办通知书)| follow-up(回访记录表)| resident(一人一账) || assign | urge | follow-up | resident",
    show_default=False)]


def _print(s: "Session", kind: str, ref: Optional[str], output: Optional[Path], force: bool,
           unmask: bool, db: Optional[Path], quality: Optional[str] = None) -> None:
    done = s.ledger(db).documents.print_document(
        kind, ref, output, force=force, unmask=unmask, quality=quality, keep=[s.resolve(db)])
    if done["path"] == "-":
        return
    s.say("doc.written", document=done["document"], path=done["path"])
    if unmask:
        s.say("doc.unmasked")


@doc_app.command("assign")
def doc_assign(
    ctx: typer.Context,
    number: Number,
    quality: Annotated[Optional[str], typer.Option("--quality", help="办理要求(默认见 README) || Quality required (default: see README)")] = None,
    output: DocOutputOpt = None, unmask: UnmaskOpt = False, force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """交办单:交给牵头单位的诉求、配合单位、责任人、办理时限和要求。 Assignment notice."""
    _print(ctx.obj, "assign", number, output, force, unmask, db, quality=quality)


@doc_app.command("urge")
def doc_urge(
    ctx: typer.Context,
    number: Number,
    output: DocOutputOpt = None, unmask: UnmaskOpt = False, force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """催办通知书:超期工作日、办理时限、抄送领导(须已超期或已记催办)。 Urge notice."""
    _print(ctx.obj, "urge", number, output, force, unmask, db)


@doc_app.command("follow-up")
def doc_follow_up(
    ctx: typer.Context,
    week: Annotated[Optional[str], typer.Option("--week", help="该周任一天(默认本周;周二至下周一) || Any day of the week (default: this week; Tuesday to Monday)")] = None,
    output: DocOutputOpt = None, unmask: UnmaskOpt = False, force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """回访记录表:本周办结的诉求,每件一行,留空供填写。 Follow-up sheet of the week."""
    _print(ctx.obj, "follow-up", week, output, force, unmask, db)


@doc_app.command("resident")
def doc_resident(
    ctx: typer.Context,
    resident: Annotated[str, typer.Argument(help="群众:姓名、姓名/村、编号 12、电话或身份证号 || Resident: name, name/village, number, phone or ID", show_default=False)],
    output: DocOutputOpt = None, unmask: UnmaskOpt = False, force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """一人一账:一位群众的身份、走访和诉求。 A resident's ledger page."""
    _print(ctx.obj, "resident", resident, output, force, unmask, db)


# --- templates ---------------------------------------------------------------------------

@template_app.command("install")
def template_install(
    ctx: typer.Context,
    kind: KindArg,
    file: Annotated[Path, typer.Argument(help="Word 模板 .docx(占位符见 README) || A .docx template (placeholders: README)", dir_okay=False, show_default=False)],
    db: DbOpt = None,
) -> None:
    """安装本镇的模板(存入台账,随台账和备份走)。 Install the township's own template."""
    from ..errors import BadInput

    s: Session = ctx.obj
    try:
        content = file.read_bytes()
    except OSError as e:
        raise BadInput("doc.template_unreadable", file=str(file),
                       why=e.strerror or str(e)) from None
    done = s.ledger(db).documents.install(kind, content, file.name)
    s.say("doc.template_installed", document=done["kind"], file=done["file"],
          sha=done["sha256"][:12])


@template_app.command("reset")
def template_reset(ctx: typer.Context, kind: KindArg, db: DbOpt = None) -> None:
    """恢复为随软件发布的默认模板。 Back to the default template."""
    s: Session = ctx.obj
    done = s.ledger(db).documents.reset(kind)
    s.say("doc.template_reset", document=done["kind"], file=done["file"])


@template_app.command("list")
def template_list(ctx: typer.Context, fmt: FormatOpt = "table", db: DbOpt = None) -> None:
    """每种文书所用的模板:本台账安装的或默认的。 Which template each notice prints from."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    rows = s.ledger(db).documents.templates()
    keys = ("kind", "title", "source", "file", "sha256", "installed_on", "installed_by")
    if fmt == "json":
        s.emit_json(rows)
    elif fmt == "csv":
        s.emit_csv(rows, keys)
    else:
        from ..i18n import label

        shown = [{**r, "source": label("doc_source", r["source"], s.lang),
                  "sha256": r["sha256"][:12]} for r in rows]
        s.print(s.render().register(shown, ("kind", "title", "source", "file", "sha256",
                                            "installed_on", "installed_by"),
                                    "templates", s.lang))


@template_app.command("export")
def template_export(
    ctx: typer.Context,
    kind: KindArg,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", dir_okay=False, help="写入文件(默认:当前文件夹下 KIND.docx) || Write to this file (default: KIND.docx here)")] = None,
    default: Annotated[bool, typer.Option("--default", help="导出默认模板(而非本台账安装的) || The shipped template, not the installed one")] = False,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """导出所用的模板,作为本镇模板的起点。 Export a template to start from."""
    from ..io.docs import kind_of
    from ..io.files import atomic_write, check_target, is_stdout

    s: Session = ctx.obj
    path = output or Path(f"{kind_of(kind)}.docx")
    keep = [s.resolve(db)]
    if not is_stdout(path):
        check_target(path, force=force, keep=keep)
    content = s.ledger(db).documents.exported(kind, default=default)
    with atomic_write(path, binary=True, force=force, keep=keep) as out:
        out.write(content)
    if not is_stdout(path):
        s.say("doc.template_exported", document=kind_of(kind), path=str(path))
