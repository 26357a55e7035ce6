"""Residents, one ledger page each (一人一账): add, show, find, tag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .options import DbOpt, FormatOpt, GridOpt, PhoneOpt, VillageOpt, output_format

if TYPE_CHECKING:
    from ..cli import Session

resident_app = typer.Typer(help="群众,一人一账 Residents, one ledger page each", no_args_is_help=True)

GROUPS = (("resident", resident_app),)


@resident_app.command("add")
def resident_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="姓名 Name")],
    village: Annotated[str, typer.Option("--village", help="村/社区 Village")],
    phone: PhoneOpt = None,
    id_number: Annotated[Optional[str], typer.Option("--id-number", help="身份证号 ID number")] = None,
    tag: Annotated[Optional[list[str]], typer.Option(
        "--tag", help="标签,可多次:困难群体、独居老人、长期上访户、多次拨打12345 …… || Tag, repeatable: 困难群体, 独居老人, 长期上访户, 多次拨打12345 ...")] = None,
    grid: GridOpt = None,
    address: Annotated[Optional[str], typer.Option("--address", help="地址 Address")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="备注 Note")] = None,
    new: Annotated[bool, typer.Option("--new", help="同村已有同名群众,确是另一个人:照样登记 || A namesake in the same village is another person: add anyway")] = False,
    same: Annotated[bool, typer.Option("--same", help="同村同名的就是此人:用已有的一页(补上缺的项、加标签) || The namesake is this person: use that page (fill what it lacks, add tags)")] = False,
    db: DbOpt = None,
) -> None:
    """登记群众,建立一人一账。 Register a resident (one ledger page each)."""
    s: Session = ctx.obj
    if new and same:
        from ..errors import BadInput

        raise BadInput("resident.new_or_same")
    residents = s.ledger(db).residents
    if same:
        got = residents.same(name, village, phone=phone, id_number=id_number, tags=tag or [],
                             grid=grid, address=address, note=note)
        s.say("resident.same_used", id=got["id"], name=got["name"],
              changed=len(got["changed"]) + len(got["tags"]))
        return
    rid = residents.add(name, village, phone=phone, id_number=id_number, tags=tag or [],
                        grid=grid, address=address, note=note, new=new)
    s.say("ok.added", what="resident", name=f"#{rid} {name.strip()}")


@resident_app.command("merge")
def resident_merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(metavar="A", help="留下的一页(姓名、#编号……) || The page kept")],
    gone: Annotated[str, typer.Argument(metavar="B", help="并入 A 的一页 || The page merged into A")],
    db: DbOpt = None,
) -> None:
    """两页是同一个人:B 的走访、诉求并入 A(记入日志,可 undo)。 Merge page B into page A."""
    s: Session = ctx.obj
    got = s.ledger(db).residents.merge(keep, gone)
    s.say("resident.merged_ok", gone=got["gone"], into=got["label"], visits=got["visits"],
          demands=got["demands"])


@resident_app.command("show")
def resident_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(
        metavar="NAME-OR-ID", help="姓名、#编号、身份证号或手机号;重名时用 姓名/村名 Name, #number, ID number or phone")],
    unmask: Annotated[bool, typer.Option("--unmask", help="显示完整电话和身份证号(记入日志) Show full phone and ID number (journaled)")] = False,
    db: DbOpt = None,
) -> None:
    """一人一账:群众的身份、标签、每次走访、每件诉求及结果。 One resident's whole page."""
    s: Session = ctx.obj
    render = s.render()
    page = s.ledger(db).residents.page(ref, unmask=unmask)  # an unmasked view is journaled
    s.print(render.resident_page(page, s.lang, unmask=unmask))


@resident_app.command("find")
def resident_find(
    ctx: typer.Context,
    query: Annotated[Optional[str], typer.Argument(help="姓名的一部分,或电话尾号 Part of a name, or a phone tail")] = None,
    village: VillageOpt = None,
    phone_tail: Annotated[Optional[str], typer.Option("--phone-tail", help="电话尾号 Phone tail")] = None,
    tag: Annotated[Optional[str], typer.Option("--tag", help="标签 Tag")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="显示完整电话(记入日志) Show full phone (journaled)")] = False,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """按姓名(汉字或拼音、首字母)、电话尾号、村或标签查找群众。 Find residents by name (Chinese, pinyin or initials), phone tail, village or tag."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    rows = s.ledger(db).residents.find(query, village=village, phone_tail=phone_tail, tag=tag,
                                       unmask=unmask)
    if fmt != "table":
        from ..privacy import mask_phone

        out = [{"id": r["id"], "name": r["name"], "village": r["village"],
                "phone": r["phone"] if unmask else mask_phone(r["phone"]),
                "tags": r["tags"].split("、") if r["tags"] else [],
                "visits": r["visits"], "demands": r["demands"]} for r in rows]
        if fmt == "json":
            s.emit_json(out)
        else:
            s.emit_csv([{**r, "tags": "、".join(r["tags"])} for r in out],
                       ("id", "name", "village", "phone", "tags", "visits", "demands"))
        return
    render = s.render()
    s.print(render.residents(rows, s.lang, unmask=unmask))
    s.say("count", n=len(rows))


@resident_app.command("tag")
def resident_tag(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="NAME-OR-ID", help="群众 Resident")],
    add: Annotated[Optional[list[str]], typer.Option("--add", help="加标签 Tag to add")] = None,
    remove: Annotated[Optional[list[str]], typer.Option("--remove", help="去标签 Tag to remove")] = None,
    db: DbOpt = None,
) -> None:
    """给群众加/去标签。 Add or remove a resident's tags."""
    s: Session = ctx.obj
    tags = s.ledger(db).residents.tag(ref, add=add or [], remove=remove or [])
    s.say("ok.tags", name=ref, tags="、".join(tags) or s.t("none"))
