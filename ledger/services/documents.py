"""The printed notices (``ledger doc``): what each document says, read from the ledger; the
township's own templates; and the record of every document printed.

A document is written whole or not at all (``io.files``), in the same transaction as its
journal rows: one ``print`` step on each demand it is about (``{"document": kind, "file":
name, "template": "ledger" | "default"}``; a no-op for the demand's state, see
``lifecycle.NO_OP_STEPS``), or on the resident for ``doc resident``. Phone and ID numbers are
masked unless ``unmask`` (then ``"unmasked": true`` is recorded with the print); a document
names residents in full, so its file is readable by its owner only.

The refusals a clerk meets (exit 1, nothing written, nothing recorded):

* ``assign``: the demand has no lead unit (``issue assign`` first);
* ``urge``: the demand is not live (resolved or closed), has no lead unit, or is neither past
  its deadline nor urged (``issue urge`` records an urge before the deadline; the notice then
  says the deadline is near instead of how late it is);
* ``follow-up``: no demand was resolved in the week.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .. import lifecycle
from ..errors import Refused
from ..i18n import label, t
from ..io import docs
from ..privacy import mask_id_number, mask_phone
from ..store.journal import demand_journal
from .demands import days_late, state_of
from .reports import ledger_week

if TYPE_CHECKING:
    from . import Ledger

ZH = "zh"  # the documents are official forms, in Chinese whatever --lang says


def cn_date(day: str | date | None) -> str:
    """2026年12月1日."""
    if not day:
        return ""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.year}年{d.month}月{d.day}日"


def default_name(kind: str, key: str, today: date) -> str:
    """The file name when ``-o`` is not given: 交办单-2026-000004-2026-12-01.docx (a
    character Windows does not allow in a file name, from a resident's name, becomes _)."""
    from ..io.files import safe_file_part

    key = safe_file_part(re.sub(r'[\\/:*?"<>|\s]+', "_", key).strip("._") or "_")
    return f"{docs.TITLES[kind]}-{key}-{today.isoformat()}.docx"


class Documents:
    def __init__(self, ledger: "Ledger") -> None:
        self.L = ledger
        self.db = ledger.db

    # --- what each document says -----------------------------------------------------------

    def _common(self, kind: str, township: str) -> dict[str, Any]:
        return {"township": township, "title": docs.TITLES[kind],
                "printed_on": self.L.today.isoformat(), "printed_on_cn": cn_date(self.L.today),
                "printed_by": self.L.user or ""}

    def _township_of_villages(self, village_ids: Iterable[int]) -> str:
        ids = sorted(set(village_ids))
        names = [n for (n,) in self.db.execute(
            "select distinct t.name from villages v join townships t on t.id = v.township_id "
            f"where v.id in ({', '.join('?' * len(ids))}) order by t.name", ids)] if ids else []
        if not names:  # villages recorded without a township: the ledger's only one, if any
            names = [n for (n,) in self.db.execute("select name from townships order by id")]
            names = names if len(names) == 1 else []
        return "、".join(names)

    def _demand(self, kind: str, number: str, unmask: bool) -> dict[str, Any]:
        """The placeholders every notice about one demand has."""
        demands = self.L.demands
        row = demands.row(number)
        d = demands.show(row["number"])
        state = state_of(row)
        phone = self.db.execute("select phone from residents where id = ?",
                                [row["resident_id"]]).fetchone() if row["resident_id"] else None
        phone = phone[0] if phone else None
        policy = self.L.clocks.policy_for(row["category"], row["type"], row["complexity"])
        rule = (f"{policy.amount}{label('unit_of_time', policy.unit, ZH)}" if policy else "")
        due = row["due_on"] or ""
        grid = self.db.execute("select name from grids where id = ?",
                               [row["grid_id"]]).fetchone() if row["grid_id"] else None
        return {
            **self._common(kind, self._township_of_villages([row["village_id"]])),
            "number": row["number"], "text": row["text"], "received_on": row["received_on"],
            "received_on_cn": cn_date(row["received_on"]), "village": d["village"] or "",
            "grid": grid[0] if grid else "", "resident": d["resident"] or "",
            "resident_phone": (phone if unmask else mask_phone(phone)) or "",
            "channel": row["channel"] or "", "category": row["category"] or "",
            "complexity": label("complexity", row["complexity"], ZH),
            "type": row["type"] or "", "level": label("level", row["level"], ZH),
            "lead_unit": d["unit"] or "", "co_units": "、".join(d["co_units"]),
            "handler": row["handler"] or "", "leader": row["leader"] or "",
            "supervisor": row["supervisor"] or "",
            "assigned_on": row["assigned_on"] or "", "assigned_on_cn": cn_date(row["assigned_on"]),
            "due_on": due + ("*" if due and row["due_provisional"] else ""),
            "due_on_cn": cn_date(due) if due else "", "due_rule": rule,
            "status": label("status", row["status"], ZH),
            "_row": row, "_state": state, "_events": d["events"],
        }

    def assign_context(self, number: str, *, quality: str | None = None,
                       unmask: bool = False) -> dict[str, Any]:
        """交办单: the case as assigned to its lead unit."""
        ctx = self._demand("assign", number, unmask)
        if not ctx["_row"]["lead_unit_id"]:
            raise Refused("doc.not_assigned", number=ctx["number"])
        reasons = [e["reason"] for e in ctx["_events"]
                   if e["action"] == "escalate" and e["reason"] and not e["undone"]]
        ctx["reason"] = "；".join(reasons) or t("doc.reason_none", ZH, channel=ctx["channel"]
                                               or t("doc.channel_unknown", ZH))
        ctx["quality"] = quality or t("doc.quality_default", ZH)
        return ctx

    def urge_context(self, number: str, *, unmask: bool = False) -> dict[str, Any]:
        """催办通知书: how late the case is, as the ledger counts it (working days past the
        deadline, ``services.demands.days_late``), and who is copied."""
        ctx = self._demand("urge", number, unmask)
        row = ctx["_row"]
        if row["status"] not in lifecycle.LIVE:
            raise Refused("doc.urge_not_live", number=ctx["number"], status=row["status"])
        if not row["lead_unit_id"]:
            raise Refused("doc.not_assigned", number=ctx["number"])
        today = self.L.today
        late = (days_late(self.L.calendar, row["due_on"], today)
                if row["status"] == "open" and row["due_on"] and row["due_on"] < today.isoformat()
                else 0)
        urges = [e for e in ctx["_events"] if e["action"] == "urge" and not e["undone"]]
        if not late and not urges:
            raise Refused("doc.urge_not_due", number=ctx["number"], due=ctx["due_on"] or "—")
        last = urges[-1]["data"] if urges else {}
        ctx.update({
            "days_late": late, "urges": row["urges"], "last_urged_on": row["last_urged_on"] or "",
            "urge_text": last.get("text") or t("doc.urge_default", ZH),
            "copy": last.get("copy") or row["supervisor"] or "",
        })
        return ctx

    def follow_up_context(self, week: str | date | None = None,
                          unmask: bool = False) -> dict[str, Any]:
        """回访记录表: the demands resolved (or settled on the spot) in the ledger week."""
        start, end = ledger_week(self.L.date(week) if week else self.L.today)
        rows = list(self.db.query(
            "select d.id, d.number, d.text, d.result, d.resolved_on, d.village_id, "
            "r.name as resident, r.phone, u.name as unit from demands d "
            "left join residents r on r.id = d.resident_id "
            "left join units u on u.id = d.lead_unit_id "
            "where d.resolved_on between ? and ? order by d.resolved_on, d.number",
            [start.isoformat(), end.isoformat()]))
        if not rows:
            raise Refused("doc.follow_up_none", start=start.isoformat(), end=end.isoformat())
        blank = dict.fromkeys(("date", "satisfaction", "method", "visitor", "note"), "")
        return {
            **self._common("follow-up", self._township_of_villages(r["village_id"] for r in rows)),
            "week_start": start.isoformat(), "week_end": end.isoformat(), "count": len(rows),
            "rows": [{**blank, "number": r["number"], "resident": r["resident"] or "",
                      "phone": (r["phone"] if unmask else mask_phone(r["phone"])) or "",
                      "text": r["text"], "result": r["result"] or "",
                      "resolved_on": r["resolved_on"], "unit": r["unit"] or ""} for r in rows],
            "_ids": [r["id"] for r in rows], "_key": start.isoformat(),
        }

    def resident_context(self, ref: str, unmask: bool = False) -> dict[str, Any]:
        """一人一账: the resident, every visit, every demand and what became of it."""
        r = self.L.residents.get(ref)
        visits = self.L.visits.of_resident(r["id"])
        demands = self.L.demands.list(resident_id=r["id"])

        def outcome(d: dict[str, Any]) -> str:
            if d["resolved_on"]:
                sat = label("satisfaction", d["satisfaction"], ZH)
                return f"{d['resolved_on']}办结" + (f"，{sat}" if sat else "")
            if d["due_on"]:
                return f"时限 {d['due_on']}{'*' if d['due_provisional'] else ''}"
            return ""

        return {
            **self._common("resident", self._township_of_villages([r["village_id"]])),
            "name": r["name"], "resident_no": f"#{r['id']}", "village": r["village"],
            "grid": r["grid"] or "",
            "phone": (r["phone"] if unmask else mask_phone(r["phone"])) or "",
            "id_number": (r["id_number"] if unmask else mask_id_number(r["id_number"])) or "",
            "address": r["address"] or "", "tags": "、".join(self.L.residents.tags(r["id"])),
            "note": r["note"] or "",
            "visits": [{"date": v["visited_on"], "village": v["village"],
                        "channel": v["channel"] or "", "cadres": v["cadres"] or "",
                        "note": v["note"] or ""} for v in visits],
            "demands": [{"number": d["number"], "received_on": d["received_on"],
                         "text": d["text"], "status": label("status", d["status"], ZH),
                         "unit": d["unit"] or "", "due_on": d["due_on"] or "",
                         "resolved_on": d["resolved_on"] or "",
                         "satisfaction": label("satisfaction", d["satisfaction"], ZH),
                         "outcome": outcome(d)} for d in demands],
            "_resident_id": r["id"], "_key": f"{r['id']}-{r['name']}",
        }

    def context(self, kind: str, ref: str | None, *, unmask: bool = False,
                quality: str | None = None) -> dict[str, Any]:
        if kind == "assign":
            return self.assign_context(ref or "", quality=quality, unmask=unmask)
        if kind == "urge":
            return self.urge_context(ref or "", unmask=unmask)
        if kind == "follow-up":
            return self.follow_up_context(ref, unmask=unmask)
        return self.resident_context(ref or "", unmask=unmask)

    # --- printing ------------------------------------------------------------------------

    def print_document(self, kind: str, ref: str | None, output: Path | None, *, force: bool = False,
              unmask: bool = False, quality: str | None = None,
              keep: Iterable[Path] = ()) -> dict[str, Any]:
        """Write the document ``kind`` about ``ref`` (a demand number, a week's day, a
        resident) to ``output`` (default: its dated name in the current folder), and record
        it in the journal; one transaction, nothing written or recorded on a refusal."""
        from ..io.files import atomic_write, check_target, is_stdout

        kind = docs.kind_of(kind)
        keep = tuple(keep)
        with self.db.atomic():
            ctx = self.context(kind, ref, unmask=unmask, quality=quality)
            key = ctx.get("_key") or ctx["number"]
            path = output or Path(default_name(kind, key, self.L.today))
            if not is_stdout(path):
                check_target(Path(path), force=force, keep=keep)  # refused before the work
            template, source = self.template(kind)
            content = docs.render(template, {k: v for k, v in ctx.items()
                                             if not k.startswith("_")})
            data = {"document": kind, "file": Path(path).name, "template": source}
            if unmask:
                data["unmasked"] = True
            day = self.L.today.isoformat()
            if kind == "resident":
                rows = [self.L.journal.row("resident", ctx["_resident_id"], "print", day, data)]
                numbers: list[str] = []
            else:
                ids = ctx.get("_ids") or [ctx["_row"]["id"]]
                numbers = [r["number"] for r in ctx["rows"]] if kind == "follow-up" \
                    else [ctx["number"]]
                rows = [self.L.journal.row("demand", i, "print", day, data) for i in ids]
            self.L.journal.write_many(rows)
            # Names in full: readable by its owner only, as an export with names is.
            with atomic_write(path, binary=True, force=force, private=True, keep=keep) as out:
                out.write(content)
        return {"document": kind, "title": docs.TITLES[kind], "path": str(path),
                "template": source, "numbers": numbers, "unmasked": unmask,
                "days_late": ctx.get("days_late")}

    # --- the township's templates ------------------------------------------------------------

    def template(self, kind: str) -> tuple[bytes, str]:
        """The template in use for ``kind`` and where it comes from: ``ledger`` (installed
        in this ledger) or ``default`` (shipped)."""
        row = self.db.execute("select content from templates where kind = ?",
                              [kind]).fetchone()
        if row:
            return bytes(row[0]), "ledger"
        return docs.default_template(kind), "default"

    def install(self, kind: str, content: bytes, file: str) -> dict[str, Any]:
        """Put a township's own template in place of ``kind``'s (checked first: a .docx that
        renders with the documented placeholders)."""
        kind = docs.kind_of(kind)
        docs.validate(kind, content, file)
        digest = hashlib.sha256(content).hexdigest()
        with self.db.atomic():
            self.db["templates"].upsert({
                "kind": kind, "file": file, "content": content, "sha256": digest,
                "size": len(content), "installed_on": self.L.today.isoformat(),
                "installed_by": self.L.user}, pk="kind")
            self.L.journal.write("template", docs.KINDS.index(kind) + 1, "install",
                                 self.L.today.isoformat(),
                                 {"kind": kind, "file": file, "sha256": digest,
                                  "size": len(content)})
        return {"kind": kind, "file": file, "sha256": digest, "size": len(content)}

    def reset(self, kind: str) -> dict[str, Any]:
        """Back to the shipped template."""
        kind = docs.kind_of(kind)
        with self.db.atomic():
            row = self.db.execute("select file, sha256 from templates where kind = ?",
                                  [kind]).fetchone()
            if row is None:
                raise Refused("doc.template_is_default", document=kind)
            self.db.execute("delete from templates where kind = ?", [kind])
            self.L.journal.write("template", docs.KINDS.index(kind) + 1, "reset",
                                 self.L.today.isoformat(),
                                 {"kind": kind, "file": row[0], "sha256": row[1]})
        return {"kind": kind, "file": row[0]}

    def templates(self) -> list[dict[str, Any]]:
        """Each kind of document, with the template it prints from."""
        rows = {r["kind"]: r for r in self.db.query(
            "select kind, file, sha256, size, installed_on, installed_by from templates")}
        out = []
        for kind in docs.KINDS:
            r = rows.get(kind)
            out.append({"kind": kind, "title": docs.TITLES[kind],
                        "source": "ledger" if r else "default",
                        "file": r["file"] if r else f"{kind}.docx",
                        "sha256": r["sha256"] if r else
                        hashlib.sha256(docs.default_template(kind)).hexdigest(),
                        "installed_on": r["installed_on"] if r else None,
                        "installed_by": r["installed_by"] if r else None})
        return out

    def exported(self, kind: str, default: bool = False) -> bytes:
        """The template in use for ``kind`` (or the shipped one), to start from."""
        kind = docs.kind_of(kind)
        return docs.default_template(kind) if default else self.template(kind)[0]

