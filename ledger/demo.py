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

from .services import Ledger

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
    "close": "close", "reopen": "reopen", "receive": "receive", "urge": "urge",
    "supervise": "supervise",
}


def load_township(ledger: Ledger, data: dict[str, Any]) -> dict[str, int]:
    """Enter everything the description holds; returns how many of each were entered."""
    counts = {"villages": 0, "units": 0, "cadres": 0, "residents": 0, "visits": 0,
              "demands": 0, "steps": 0}
    with ledger.db.atomic():
        ledger.registers.add_township(data["township"])
        for name in data.get("categories", []):
            ledger.registers.add_term("category", name)
        for name in data.get("channels", []):
            ledger.registers.add_term("channel", name)
        for v in data.get("villages", []):
            ledger.registers.add_village(v["name"], kind=v.get("kind", "村"))
            for g in v.get("grids", []):
                ledger.registers.add_grid(g, v["name"])
            counts["villages"] += 1
        for u in data.get("units", []):
            ledger.registers.add_unit(u["name"], u.get("level", "township"))
            counts["units"] += 1
        for c in data.get("cadres", []):
            ledger.registers.add_cadre(c["name"], unit=c.get("unit"), phone=c.get("phone"))
            counts["cadres"] += 1
        for r in data.get("residents", []):
            ledger.residents.add(
                r["name"], r["village"], phone=r.get("phone"), id_number=r.get("id_number"),
                tags=r.get("tags", []), grid=r.get("grid"), address=r.get("address"),
                note=r.get("note"))
            counts["residents"] += 1
        # Visits and stand-alone demands in the order they happened, so numbers follow dates.
        entries = [("visit", v) for v in data.get("visits", [])] + \
                  [("issue", i) for i in data.get("issues", [])]
        for kind, entry in sorted(entries, key=lambda e: e[1]["date"]):
            if kind == "visit":
                issues = entry.get("issues", [])
                logged = ledger.visits.log(
                    village=entry.get("village"), on=entry["date"], resident=entry.get("resident"),
                    cadres=entry.get("cadres", []), channel=entry.get("channel"),
                    grid=entry.get("grid"), note=entry.get("note"),
                    issues=[i["text"] for i in issues])
                counts["visits"] += 1
                pairs = list(zip(logged["numbers"], issues))
            else:
                number = ledger.demands.add(
                    entry["text"], village=entry.get("village"), on=entry["date"],
                    resident=entry.get("resident"), channel=entry.get("channel"),
                    level=entry.get("level"))
                pairs = [(number, entry)]
            for number, issue in pairs:
                counts["steps"] += _describe(ledger, number, issue, entry["date"])
                counts["demands"] += 1
    return counts


def _describe(ledger: Ledger, number: str, issue: dict[str, Any], received: str) -> int:
    """Classify a fresh demand as described, then take its steps in order."""
    current = ledger.demands.show(number)
    wanted = {k: issue[k] for k in ("category", "complexity", "type") if k in issue}
    if "complexity" in wanted and wanted["complexity"] == current["complexity"]:
        del wanted["complexity"]  # general is the default: restating it changes nothing
    if wanted:
        ledger.demands.classify(number, on=received, **wanted)
    for step in issue.get("steps", []):
        kwargs = {k: v for k, v in step.items() if k not in ("action", "date")}
        getattr(ledger.demands, _STEPS[step["action"]])(number, on=step["date"], **kwargs)
    return len(issue.get("steps", []))
