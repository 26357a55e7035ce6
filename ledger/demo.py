"""Build a ledger from a township description (``examples/township.toml``).

The file describes a township as a clerk would enter it: villages and grids, units, cadres,
residents, then Tuesday after Tuesday the visits, the demands raised in them and every step
each demand went through. Loading goes through the same ``Ledger`` methods the CLI uses, so
the demo and the tests exercise the real rules.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .models import Ledger

EXAMPLE_NAME = "township.toml"


def example_path() -> Path:
    """The demo township: the checkout's ``examples/`` or the copy inside the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "examples" / EXAMPLE_NAME, here / "examples" / EXAMPLE_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(EXAMPLE_NAME)


def read_township(path: Path | None = None) -> dict[str, Any]:
    with open(path or example_path(), "rb") as f:
        return tomllib.load(f)


_STEPS = {
    "classify": "classify", "correct": "correct", "settle": "settle", "escalate": "escalate",
    "assign": "assign", "whistle": "whistle", "report_in": "report_in",
    "take_charge": "take_charge", "return": "return_", "notify": "notify", "extend": "extend",
    "suspend": "suspend", "resume": "resume", "resolve": "resolve", "follow_up": "follow_up",
    "close": "close", "reopen": "reopen",
}


def load_township(ledger: Ledger, data: dict[str, Any]) -> dict[str, int]:
    """Enter everything the description holds; returns how many of each were entered."""
    counts = {"villages": 0, "units": 0, "cadres": 0, "residents": 0, "visits": 0,
              "demands": 0, "steps": 0}
    with ledger.db.atomic():
        ledger.add_township(data["township"])
        for name in data.get("categories", []):
            ledger.add_term("category", name)
        for name in data.get("channels", []):
            ledger.add_term("channel", name)
        for v in data.get("villages", []):
            ledger.add_village(v["name"], kind=v.get("kind", "村"))
            for g in v.get("grids", []):
                ledger.add_grid(g, v["name"])
            counts["villages"] += 1
        for u in data.get("units", []):
            ledger.add_unit(u["name"], u.get("level", "township"))
            counts["units"] += 1
        for c in data.get("cadres", []):
            ledger.add_cadre(c["name"], unit=c.get("unit"), phone=c.get("phone"))
            counts["cadres"] += 1
        for r in data.get("residents", []):
            ledger.add_resident(
                r["name"], r["village"], phone=r.get("phone"), id_number=r.get("id_number"),
                tags=r.get("tags", []), grid=r.get("grid"), address=r.get("address"),
                note=r.get("note"))
            counts["residents"] += 1
        for visit in data.get("visits", []):
            issues = visit.get("issues", [])
            logged = ledger.log_visit(
                village=visit.get("village"), on=visit["date"], resident=visit.get("resident"),
                cadres=visit.get("cadres", []), channel=visit.get("channel"),
                grid=visit.get("grid"), note=visit.get("note"),
                issues=[i["text"] for i in issues])
            counts["visits"] += 1
            for number, issue in zip(logged["numbers"], issues):
                counts["steps"] += _describe(ledger, number, issue, visit["date"])
                counts["demands"] += 1
        for issue in data.get("issues", []):
            number = ledger.add_demand(
                issue["text"], village=issue.get("village"), on=issue["date"],
                resident=issue.get("resident"), channel=issue.get("channel"),
                level=issue.get("level"))
            counts["steps"] += _describe(ledger, number, issue, issue["date"])
            counts["demands"] += 1
    return counts


def _describe(ledger: Ledger, number: str, issue: dict[str, Any], received: str) -> int:
    """Classify a fresh demand as described, then take its steps in order."""
    if any(k in issue for k in ("category", "complexity", "type")):
        ledger.classify(number, category=issue.get("category"),
                        complexity=issue.get("complexity"), type=issue.get("type"), on=received)
    for step in issue.get("steps", []):
        kwargs = {k: v for k, v in step.items() if k not in ("action", "date")}
        getattr(ledger, _STEPS[step["action"]])(number, on=step["date"], **kwargs)
    return len(issue.get("steps", []))
