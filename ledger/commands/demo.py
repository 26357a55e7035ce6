"""``ledger demo``: a demo ledger of the township in ``examples/township.toml``, built in a
file of its own, and what a clerk looks at in it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .options import ForceOpt

if TYPE_CHECKING:
    from ..cli import Session

commands = typer.Typer()  # demo: a command of the top level


@commands.command("demo")
def demo(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option(
        "--db", dir_okay=False, help="建在此文件(默认临时文件) Build it in this file (default: a temporary one)")] = None,
    force: ForceOpt = False,
) -> None:
    """用 examples/ 中的示例乡镇建一个演示台账,并显示文书常看的内容。 Build and show a demo ledger."""
    import tempfile
    from datetime import date

    s: Session = ctx.obj
    render = s.render()
    from ..demo import load_township, read_township
    from ..services import Ledger, open_ledger

    # Deliberately not $LEDGER_DB: the demo must never write into a clerk's real ledger.
    if db is None:
        path = Path(tempfile.mkdtemp(prefix="ledger-demo-")) / "demo.db"
    else:
        path = db
    from ..io.files import atomic_ledger

    data = read_township()
    today = date.fromisoformat(data["today"])
    # Built in a temporary file beside the target, which takes the target's name only when
    # the township is in it whole (the overwrite rule of every output, ledger.io.files: never
    # without --force, never over a symlink, pipe, device or folder). Interrupted, it leaves
    # nothing, and an existing file given with --force is kept as it was.
    # Nor ever over the ledger the clerk works in ($LEDGER_DB, or the app folder's).
    with atomic_ledger(path, force=force, keep=[s.resolve(None)]) as tmp:
        built = open_ledger(tmp)
        try:
            built.execute("PRAGMA journal_mode = WAL")  # as every new ledger
            counts = load_township(Ledger(built, today=today, user=data["user"]), data)
        finally:
            built.close()
    try:  # the ledger is there now: an interruption from here on says so
        ledger = Ledger(open_ledger(path), today=today, user=data["user"])
        s.opened.append(ledger.db)  # closed, like any ledger a command opens, when it ends
        lang = s.lang
        s.say("demo.built", path=str(path))
        typer.echo("  ".join(f"{k}={v}" for k, v in counts.items()))
        s.print(render.register(ledger.registers.listing("village"),
                                ("name", "township", "kind", "residents", "demands"),
                                "villages", lang))
        s.print(render.demands(ledger.demands.list(status="open"), lang))
        busiest = ledger.residents.busiest()
        if busiest:
            s.print(render.resident_page(ledger.residents.page(busiest), lang))
        longest = ledger.demands.longest_history()
        if longest:
            s.print(render.demand_detail(ledger.demands.show(longest), lang))
        s.say("demo.next", today=today.isoformat(), path=str(path))
    except KeyboardInterrupt:
        from ..errors import Interrupted

        raise Interrupted("interrupted.demo_built", path=str(path)) from None
