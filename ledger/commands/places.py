"""Places, units, people and vocabularies: township, village (and grid), unit, cadre,
category, channel, type. Villages, units, categories and channels are data: a township adds
its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .options import DbOpt, PhoneOpt

if TYPE_CHECKING:
    from ..cli import Session

township_app = typer.Typer(help="镇/街道 Townships", no_args_is_help=True)
village_app = typer.Typer(help="村/社区与网格 Villages, communities and grids", no_args_is_help=True)
unit_app = typer.Typer(help="责任单位 Units (departments)", no_args_is_help=True)
cadre_app = typer.Typer(help="干部 Cadres", no_args_is_help=True)
category_app = typer.Typer(help="诉求类别 Demand categories", no_args_is_help=True)
channel_app = typer.Typer(help="走访渠道 Visit channels", no_args_is_help=True)
type_app = typer.Typer(help="诉求类型(咨询/求助/投诉/建议...) Demand types", no_args_is_help=True)
method_app = typer.Typer(help="回访方式(电话/现场/入户/短信...) Follow-up methods", no_args_is_help=True)

GROUPS = (("township", township_app), ("village", village_app), ("unit", unit_app),
          ("cadre", cadre_app), ("category", category_app), ("channel", channel_app),
          ("type", type_app), ("method", method_app))


@township_app.command("add")
def township_add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="名称 Name")],
                 db: DbOpt = None) -> None:
    """新增镇/街道。 Add a township."""
    s: Session = ctx.obj
    s.ledger(db, create=True).registers.add_township(name)
    s.say("ok.added", what="township", name=name.strip())


@township_app.command("list")
def township_list(ctx: typer.Context, db: DbOpt = None) -> None:
    """列出镇/街道。 List townships."""
    s: Session = ctx.obj
    render = s.render()
    s.print(render.register(s.ledger(db).registers.listing("township"), ("name", "villages"),
                            "townships", s.lang))


@village_app.command("add")
def village_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="村/社区名 Name")],
    township: Annotated[Optional[str], typer.Option("--township", help="所属镇/街道 Township")] = None,
    kind: Annotated[str, typer.Option("--kind", help="村 或 社区 || 村 (village) or 社区 (community)")] = "村",
    db: DbOpt = None,
) -> None:
    """新增村/社区。 Add a village or community."""
    s: Session = ctx.obj
    s.ledger(db, create=True).registers.add_village(name, township=township, kind=kind)
    s.say("ok.added", what="village", name=name.strip())


@village_app.command("list")
def village_list(ctx: typer.Context, db: DbOpt = None) -> None:
    """列出村/社区。 List villages."""
    s: Session = ctx.obj
    render = s.render()
    s.print(render.register(s.ledger(db).registers.listing("village"),
                            ("name", "township", "kind", "residents", "demands"), "villages",
                            s.lang))


@village_app.command("key")
def village_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="村/社区名 Village")],
    off: Annotated[bool, typer.Option("--off", help="取消重点村 No longer a key village")] = False,
    db: DbOpt = None,
) -> None:
    """设为重点村(基层治理重点村),--off 取消。 Mark a key village (--off: no longer)."""
    s: Session = ctx.obj
    v = s.ledger(db).pairing.set_key(name, key=not off)
    s.say("ok.key_off" if off else "ok.key", name=v["name"])


@village_app.command("grid")
def village_grid(
    ctx: typer.Context,
    village: Annotated[str, typer.Argument(help="村/社区 Village")],
    name: Annotated[str, typer.Argument(help="网格名 Grid name")],
    db: DbOpt = None,
) -> None:
    """在村/社区下新增网格。 Add a grid to a village."""
    s: Session = ctx.obj
    s.ledger(db).registers.add_grid(name, village)
    s.say("ok.added", what="grid", name=name.strip())


@unit_app.command("add")
def unit_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="单位名称 Name")],
    level: Annotated[str, typer.Option("--level", help="县级/镇级/村级(county|township|village) || county|township|village (县级/镇级/村级)")] = "township",
    db: DbOpt = None,
) -> None:
    """新增责任单位。 Add a unit (department) at its level."""
    s: Session = ctx.obj
    s.ledger(db, create=True).registers.add_unit(name, level)
    s.say("ok.added", what="unit", name=name.strip())


@unit_app.command("list")
def unit_list(ctx: typer.Context, db: DbOpt = None) -> None:
    """列出责任单位。 List units."""
    s: Session = ctx.obj
    render = s.render()
    s.print(render.register(s.ledger(db).registers.listing("unit"),
                            ("name", "level", "open_demands"), "units", s.lang))


@cadre_app.command("add")
def cadre_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="姓名 Name")],
    unit: Annotated[Optional[str], typer.Option("--unit", help="所在单位 Unit")] = None,
    phone: PhoneOpt = None,
    db: DbOpt = None,
) -> None:
    """新增干部。 Add a cadre."""
    s: Session = ctx.obj
    s.ledger(db, create=True).registers.add_cadre(name, unit=unit, phone=phone)
    s.say("ok.added", what="cadre", name=name.strip())


@cadre_app.command("list")
def cadre_list(ctx: typer.Context, db: DbOpt = None) -> None:
    """列出干部。 List cadres."""
    s: Session = ctx.obj
    render = s.render()
    s.print(render.register(s.ledger(db).registers.listing("cadre"), ("name", "unit"), "cadres",
                            s.lang))


def _term_commands(group: typer.Typer, kind: str, title: str, zh: str, en: str) -> None:
    """``add`` and ``list`` of one vocabulary (categories, channels, types)."""

    @group.command("add")
    def add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="名称 Name")],
            db: DbOpt = None) -> None:
        s: Session = ctx.obj
        s.ledger(db, create=True).registers.add_term(kind, name)
        s.say("ok.added", what=kind, name=name.strip())

    @group.command("list")
    def list_(ctx: typer.Context, db: DbOpt = None) -> None:
        s: Session = ctx.obj
        render = s.render()
        s.print(render.names(s.ledger(db).registers.terms(kind), title, s.lang))

    add.__doc__ = f"新增{zh}。 Add a {en}."
    list_.__doc__ = f"列出{zh}。 List the {en}s."


_term_commands(category_app, "category", "categories", "诉求类别", "demand category")
_term_commands(channel_app, "channel", "channels", "走访渠道", "visit channel")
_term_commands(type_app, "type", "types", "诉求类型", "demand type")
_term_commands(method_app, "method", "methods", "回访方式", "follow-up method")
