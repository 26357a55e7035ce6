"""Pairing and coverage (issue 16): roles, pairs, organisations and their kinds, and
``ledger coverage``. (``ledger village key`` is with the other village commands.)"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from .options import DbOpt, ForceOpt, FormatOpt, OutputOpt, PhoneOpt, VillageOpt, output_format

if TYPE_CHECKING:
    from ..cli import Session

commands = typer.Typer()  # coverage: a command of the top level
role_app = typer.Typer(help="包联角色(四个一、包村、联户……) Pairing roles", no_args_is_help=True)
pair_app = typer.Typer(help="包联:干部/单位联村,干部联户 Pairings of cadres and units with villages and households", no_args_is_help=True)
org_app = typer.Typer(help="单位/企业(非公企业、个体工商户、学校……),一单位一账 Organisations visited, a page each", no_args_is_help=True)
org_kind_app = typer.Typer(help="单位/企业类型 Organisation kinds", no_args_is_help=True)

GROUPS = (("role", role_app), ("pair", pair_app), ("org", org_app), ("org-kind", org_kind_app))

# The columns of `pair list` for scripts (documented in the README).
PAIR_KEYS = ("id", "village", "role", "kind", "cadre", "unit", "cadre_unit", "resident",
             "created_on")


# --- roles and organisation kinds: built-in names, and a township's own --------------------

def _vocabulary(group: typer.Typer, kind: str, title: str, zh: str, en: str) -> None:
    @group.command("add")
    def add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="名称 Name")],
            db: DbOpt = None) -> None:
        s: Session = ctx.obj
        s.ledger(db).pairing.add_term(kind, name)
        s.say("ok.added", what=kind, name=name.strip())

    @group.command("list")
    def list_(ctx: typer.Context, db: DbOpt = None) -> None:
        s: Session = ctx.obj
        render = s.render()
        s.print(render.names(s.ledger(db).pairing.terms(kind), title, s.lang))

    add.__doc__ = f"新增{zh}。 Add a {en}."
    list_.__doc__ = f"列出{zh}(内置的在前)。 List the {en}s, the built-in ones first."


_vocabulary(role_app, "role", "roles", "包联角色", "role")
_vocabulary(org_kind_app, "org_kind", "org_kinds", "单位/企业类型", "organisation kind")


# --- pairs ---------------------------------------------------------------------------------

def _pair_words(s: Session, p: dict[str, Any]) -> dict[str, str]:
    target = p["village"] or ""
    if p["resident"]:
        target = f"#{p['resident_id']} {p['resident']}({p['village']})"
    return {"id": str(p["id"]), "target": target, "who": p["cadre"] or p["unit"] or "",
            "role": p["role"]}


@pair_app.command("add")
def pair_add(
    ctx: typer.Context,
    village: Annotated[Optional[str], typer.Option("--village", help="包联的村/社区 Village paired with")] = None,
    resident: Annotated[Optional[str], typer.Option("--resident", help="联系户(联户) Household paired with")] = None,
    cadre: Annotated[Optional[str], typer.Option("--cadre", help="干部 Cadre")] = None,
    unit: Annotated[Optional[str], typer.Option("--unit", help="单位(单位联村) Unit")] = None,
    role: Annotated[Optional[str], typer.Option("--role", help="角色:县级领导、县级部门、镇主要领导、镇科级领导、包村干部、联户干部、网格员…… || Role")] = None,
    db: DbOpt = None,
) -> None:
    """包联:干部或单位联村(--village,须 --role),干部联户(--resident)。 Pair a cadre or unit with a village, or a cadre with a household."""
    s: Session = ctx.obj
    ledger = s.ledger(db)
    pid = ledger.pairing.add(village=village, cadre=cadre, unit=unit, resident=resident,
                             role=role)
    s.say("ok.pair", **_pair_words(s, ledger.pairing.get(str(pid))))


@pair_app.command("remove")
def pair_remove(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(metavar="NUMBER", help="包联编号(见 pair list),如 3 || Pairing number, as pair list shows it")],
    db: DbOpt = None,
) -> None:
    """移除一项包联(可用 ledger undo 恢复)。 Remove a pairing (ledger undo puts it back)."""
    s: Session = ctx.obj
    p = s.ledger(db).pairing.remove(number)
    s.say("ok.pair_removed", **_pair_words(s, p))


@pair_app.command("list")
def pair_list(
    ctx: typer.Context,
    village: VillageOpt = None,
    cadre: Annotated[Optional[str], typer.Option("--cadre", help="干部 Cadre")] = None,
    unit: Annotated[Optional[str], typer.Option("--unit", help="单位 Unit")] = None,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """列出包联(按村、角色)。 List pairings, by village and role."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    render = s.render()
    rows = s.ledger(db).pairing.list(village=village, cadre=cadre, unit=unit)
    if fmt == "json":
        s.emit_json([{k: r[k] for k in PAIR_KEYS} for r in rows])
    elif fmt == "csv":
        s.emit_csv(rows, PAIR_KEYS)
    else:
        s.print(render.pairs(rows, s.lang))
        s.say("count", n=len(rows))


# --- organisations -----------------------------------------------------------------------------

@org_app.command("add")
def org_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="名称 Name")],
    village: Annotated[str, typer.Option("--village", help="所在村/社区 Village")],
    kind: Annotated[str, typer.Option("--kind", help="类型:非公企业、个体工商户、学校…… || Kind")],
    phone: PhoneOpt = None,
    address: Annotated[Optional[str], typer.Option("--address", help="地址 Address")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="备注 Note")] = None,
    db: DbOpt = None,
) -> None:
    """登记单位/企业,建立一单位一账。 Register an organisation (a page of its own)."""
    s: Session = ctx.obj
    oid = s.ledger(db).organisations.add(name, village, kind, phone=phone, address=address,
                                         note=note)
    s.say("ok.added", what="organisation", name=f"#{oid} {name.strip()}")


@org_app.command("list")
def org_list(
    ctx: typer.Context,
    village: VillageOpt = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="类型 Kind")] = None,
    fmt: FormatOpt = "table",
    db: DbOpt = None,
) -> None:
    """列出单位/企业及走访情况。 List organisations and their visits."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    render = s.render()
    rows = s.ledger(db).organisations.list(village=village, kind=kind)
    keys = ("id", "name", "kind", "village", "visits", "last_visit_on", "demands")
    if fmt == "json":
        s.emit_json([{k: r[k] for k in keys} for r in rows])
    elif fmt == "csv":
        s.emit_csv(rows, keys)
    else:
        s.print(render.organisations(rows, s.lang))
        s.say("count", n=len(rows))


@org_app.command("show")
def org_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="NAME-OR-ID", help="名称或 #编号;重名时用 名称/村名 Name or #number")],
    unmask: Annotated[bool, typer.Option("--unmask", help="显示完整电话(记入日志) Show the full phone (journaled)")] = False,
    db: DbOpt = None,
) -> None:
    """一单位一账:单位/企业的每次走访、每件诉求。 One organisation's page."""
    s: Session = ctx.obj
    render = s.render()
    page = s.ledger(db).organisations.page(ref, unmask=unmask)  # an unmasked view is journaled
    s.print(render.organisation_page(page, s.lang, unmask=unmask))


# --- coverage -------------------------------------------------------------------------------

@commands.command("coverage")
def coverage(
    ctx: typer.Context,
    week: Annotated[Optional[str], typer.Option("--week", help="含该日的台账周(星期二至下星期一,默认本周) The ledger week containing this date (default: this week)")] = None,
    since: Annotated[Optional[str], typer.Option("--from", help="起 From date")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="止(默认今天) To date (default: today)")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="显示群众全名(记入日志) Show residents' full names (journaled)")] = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
) -> None:
    """走访覆盖:重点村包联人是否到村、干部联户、重点人群和单位/企业的走访情况。 Who was visited."""
    s: Session = ctx.obj
    fmt = output_format(fmt)
    with s.output_to(output, fmt, force=force, private=unmask, db=db):
        _coverage(s, week, since, until, unmask, fmt, db)


def _coverage(s: Session, week: str | None, since: str | None, until: str | None,
              unmask: bool, fmt: str, db: Path | None) -> None:
    from ..privacy import mask_name

    render = s.render()
    ledger = s.ledger(db)
    c = ledger.coverage.report(week, since, until,
                               limit=render.COVERAGE_LIST_LIMIT if fmt == "table" else None)
    people = [r for r in c["not_visited"] if r["kind"] is None]
    people += [h for row in c["households"] for h in row["not_visited"]]
    if unmask:  # residents' full names, shown or written: journaled
        ledger.unmasked("coverage", {"from": c["from"], "to": c["to"], "format": fmt,
                                     "residents": len(people)})
    else:
        for r in people:
            r["name"] = mask_name(r["name"])
    if fmt == "json":
        s.emit_json(c)
    elif fmt == "csv":
        s.emit_csv(_csv_rows(c), ("section", "name", "item", "role", "village", "total",
                                  "visited", "rate", "last_visit_on"))
    else:
        s.print(render.coverage(c, s.lang))


def _csv_rows(c: dict[str, Any]) -> list[dict[str, Any]]:
    """Every section of the coverage as rows of one sheet (README: Everyone covered)."""
    rows: list[dict[str, Any]] = []
    for v in c["key_villages"]:
        rows += [{"section": "key_village", "name": v["village"], "item": p["name"],
                  "role": p["role"], "visited": int(p["visited"]),
                  "last_visit_on": p["last_visit_on"]} for p in v["people"]]
        if not v["people"]:
            rows.append({"section": "key_village", "name": v["village"], "visited": 0})
    for h in c["households"]:
        rows.append({"section": "household", "name": h["cadre"], "total": h["paired"],
                     "visited": h["visited"]})
        rows += [{"section": "household_not_visited", "name": h["cadre"],
                  "item": f"#{r['id']} {r['name']}", "village": r["village"], "visited": 0,
                  "last_visit_on": r["last_visit_on"]} for r in h["not_visited"]]
    rows += [{"section": "tag", "name": r["tag"], **r} for r in c["tags"]]
    rows += [{"section": "organisation", "name": r["kind"], **r} for r in c["organisations"]]
    rows += [{"section": "not_visited", "name": f"#{r['id']} {r['name']}",
              "item": r["kind"] or r["tags"], "village": r["village"], "visited": 0,
              "last_visit_on": r["last_visit_on"]} for r in c["not_visited"]]
    return rows
