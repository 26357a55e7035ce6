"""ledger sync: the county and its townships in step, by bundle files that go both ways."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterator, Optional

import typer

from ..errors import BadInput
from .options import DbOpt, ForceOpt, FormatOpt, output_format

if TYPE_CHECKING:
    from ..cli import Session

sync_app = typer.Typer(help="与县里/乡镇交换台账(同步包) || Exchange with the county or townships (bundles)",
                       no_args_is_help=True)

GROUPS = (("sync", sync_app),)

STATUS_KEYS = ("name", "ledger_id", "received_upto", "received_on", "bundles_in", "acked_upto",
               "sent_upto", "sent_on", "bundles_out", "pending", "fingerprint")
CONFLICT_KEYS = ("number", "status", "ledger", "action", "on_date", "actor", "recorded_at",
                 "why", "reason", "settled_by")


@contextlib.contextmanager
def progress_bar(label: str, least: int = 2_000) -> Iterator[Callable[[int, int], None]]:
    """A bar on a terminal while a long bundle's cases are written (of at least ``least``
    cases); nothing otherwise, and nothing imported for it."""
    state: dict[str, Any] = {}

    def tell(done: int, total: int) -> None:
        if "bar" not in state:
            if total < least or not sys.stderr.isatty():
                return
            from rich.console import Console
            from rich.progress import Progress

            state["bar"] = Progress(console=Console(stderr=True), transient=True)
            state["bar"].start()
            state["task"] = state["bar"].add_task(label, total=total)
        state["bar"].update(state["task"], completed=done)

    try:
        yield tell
    finally:
        if "bar" in state:
            state["bar"].stop()


@sync_app.command("export")
def export(
    ctx: typer.Context,
    to: Annotated[Optional[str], typer.Option("--to", help="对方台账(名称、标识开头或其文件);不加则写出全部 || The other ledger (name, start of its identity, or its file); without it: everything")] = None,
    each: Annotated[bool, typer.Option("--each", help="给每个往来台账各写一个同步包,放在 -o 指定的文件夹(默认当前文件夹) || One bundle for every ledger this one exchanges with, into the folder -o names (default: the current folder)")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="同步包文件(默认:当前文件夹下“本台账名-日期.bundle”) || Bundle file (default: NAME-DATE.bundle in the current folder)")] = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """写出同步包:对方尚未确认收到的事件(及其所需的名录、群众、走访);U 盘、邮件、共享文件夹均可。 Write a bundle of what the other ledger has not acknowledged."""
    s: Session = ctx.obj
    if each and to:
        raise BadInput("sync.each_option")
    ledger = s.ledger(db)
    if each:
        for result in ledger.sync.export_each(output or Path("."), force=force):
            _exported(s, result)
        return
    from ..io.files import safe_file_part

    path = output or Path(f"{safe_file_part(ledger.sync.name())}-{s.day().isoformat()}.bundle")
    result = ledger.sync.export(Path(path), to, force=force)
    _exported(s, result)
    if not to and result.homes > 1:  # a county's whole register, every township's people
        s.warn(s.t("sync.whole_county", n=result.homes))


def _exported(s: Session, result: Any) -> None:
    s.say("sync.exported", path=result.source, events=result.events, demands=result.demands,
          start=result.range[0], end=result.range[1],
          to=result.peer or s.t("sync.everyone"))


@sync_app.command("import")
def import_(
    ctx: typer.Context,
    bundles: Annotated[list[Path], typer.Argument(help="同步包文件,或放同步包的文件夹(可多个) || Bundle files, or folders of bundles")],
    db: DbOpt = None,
) -> None:
    """导入同步包:先整体校验(格式、来源、哈希链、与上次的衔接),再全部写入或全不写入;重复导入不会重复添加。可一次导入多个文件或整个文件夹(同一事务)。 Take bundles in (all or nothing, idempotent)."""
    s: Session = ctx.obj
    with progress_bar(bundles[0].name) as progress:
        results = s.ledger(db, create=True).sync.import_many(bundles, progress=progress)
    for result in results:
        if result.pinned:
            s.warn(s.t("sync.pinned", name=result.peer, fingerprint=result.pinned))
        s.say("sync.imported", path=result.source, name=result.peer, events=result.events,
              demands=result.demands, updated=result.updated)
        for kind, n in sorted(result.created.items()):
            s.say("merge.created", what=kind, n=n)
        if result.pages:
            s.say("sync.pages_followed", n=result.pages, name=result.peer)
    if len(results) > 1:
        s.say("sync.imported_all", n=len(results), events=sum(r.events for r in results),
              demands=sum(r.demands for r in results), updated=sum(r.updated for r in results))
    conflicts = sum(r.conflicts for r in results)
    if conflicts:
        s.warn(s.t("sync.conflicts_open", n=conflicts))


@sync_app.command("status")
def status(
    ctx: typer.Context,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """同步情况:本台账的名称与标识,每个往来台账上次收到、发出什么、何时,待发事件数。 What was last sent and received, per ledger."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    st = s.ledger(db).sync.status()
    if fmt == "json":
        s.emit_json(st)
        return
    if fmt == "csv":
        s.emit_csv(st["peers"], STATUS_KEYS)
        return
    s.say("sync.me", name=st["name"] or "-", id=st["ledger_id"], head=st["head"])
    s.say("sync.my_key", fingerprint=st["fingerprint"])
    render = s.render()
    sheet = render.Sheet("sync_status", ("name", "ledger_id", "received_upto", "got_on",
                                         "sent_upto", "sent_on", "acked_upto", "pending",
                                         "key_fingerprint"), s.lang)
    for p in st["peers"]:
        sheet.add_row(p["name"] or "", p["ledger_id"][:8], f"#{p['received_upto']}",
                      p["received_on"] or "", f"#{p['sent_upto']}" if p["bundles_out"] else "",
                      p["sent_on"] or "", f"#{p['acked_upto']}", p["pending"],
                      p["fingerprint"] or "-")
    if st["peers"]:
        s.print(sheet)
    else:
        s.say("sync.no_peers")
    if st["conflicts"]:
        s.warn(s.t("sync.conflicts_open", n=st["conflicts"]))


@sync_app.command("conflicts")
def conflicts(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="也列出已处理的 || Settled ones too")] = False,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """冲突:两本台账的记录使某件诉求无法成立时被拒绝的步骤,双方情况并列;在该诉求上办一个普通步骤即为处理。 Conflicts to settle."""
    from ..i18n import t

    s: Session = ctx.obj
    fmt = output_format(fmt)
    rows = s.ledger(db).sync.conflicts(settled=all_)
    for r in rows:
        r["why_text"] = t(r["why"], s.lang, **r["params"])
    if fmt == "json":
        s.emit_json(rows)
        return
    if fmt == "csv":
        s.emit_csv(rows, (*CONFLICT_KEYS, "why_text"))
        return
    if not rows:
        s.say("sync.no_conflicts")
        return
    from ..i18n import label

    render = s.render()
    sheet = render.Sheet("sync_conflicts", ("number", "action", "date", "source", "actor",
                                            "detail"), s.lang, keep=("number",))
    for r in rows:
        sheet.add_row(r["number"], label("action", r["action"], s.lang), r["on_date"],
                      r["ledger"], r["actor"] or "",
                      r["why_text"] + (f"(#{r['settled_by']})" if r["settled_by"] else ""))
    sheet.caption = s.t("sync.conflicts_hint")
    s.print(sheet)


@sync_app.command("name")
def name(
    ctx: typer.Context,
    value: Annotated[str, typer.Argument(help="本台账的名称,如 某某县社会工作部 || This ledger's name")],
    db: DbOpt = None,
) -> None:
    """给本台账起名(往来台账上显示,如县汇总台账);只有一个镇的台账默认用镇名。 Name this ledger."""
    s: Session = ctx.obj
    s.ledger(db, create=True).sync.set_name(value)
    s.say("sync.named", name=value)


@sync_app.command("trust")
def trust(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="对方的同步包(其签名密钥即被信任的密钥) || The other ledger's bundle (the key that signed it is the one trusted)")],
    fingerprint: Annotated[str, typer.Option("--fingerprint", help="打电话时对方从 ledger sync status 念出的密钥指纹 || The key fingerprint the other side read to you from ledger sync status")],
    db: DbOpt = None,
) -> None:
    """信任对方的新密钥(对方重装台账或换了密钥):先打电话核对指纹,一致才记下;记入日志。 Accept another ledger's new key, once its fingerprint is checked by phone."""
    s: Session = ctx.obj
    done = s.ledger(db).sync.trust(bundle, fingerprint)
    if done["already"]:
        s.say("sync.trusted_already", name=done["name"], fingerprint=done["fingerprint"])
    elif done["replaced"]:
        s.say("sync.trusted_replaces", name=done["name"], fingerprint=done["fingerprint"],
              old=done["replaced"])
    else:
        s.say("sync.trusted", name=done["name"], fingerprint=done["fingerprint"])


@sync_app.command("new-key")
def new_key(
    ctx: typer.Context,
    db: DbOpt = None,
) -> None:
    """换一把新密钥(台账文件被人拷走,或旧密钥不再可信):之后每个往来台账都要打电话核对新指纹并运行 ledger sync trust;记入日志。 Replace this ledger's key."""
    s: Session = ctx.obj
    done = s.ledger(db).sync.new_key()
    s.say("sync.new_key", fingerprint=done["fingerprint"], old=done["replaced"])
