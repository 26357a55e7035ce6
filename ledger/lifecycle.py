"""The life of a demand as a pure state machine.

``apply(state, action, data, on)`` returns the state after one recorded step, or raises
``Refused`` when the step makes no sense for the demand as it stands. The ledger writes a
journal event and the new state through this one function, and ``replay`` folds the journal
through it again, so the stored state can always be checked against what the journal says.
Nothing here touches the database or the clock.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from .errors import Refused

STATUSES = ("open", "suspended", "resolved", "closed")
LEVELS = ("village", "township", "county")
COMPLEXITIES = ("general", "complex")
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")

# Every field of the state, with its value before the demand is accepted.
# These are exactly the columns of the ``demands`` projection (besides id and number).
BLANK: dict[str, Any] = {
    "text": None, "village_id": None, "grid_id": None, "resident_id": None, "visit_id": None,
    "channel": None, "received_on": None, "category": None, "complexity": "general",
    "type": None, "status": None, "level": None, "lead_unit_id": None, "co_unit_ids": [],
    "handler": None, "leader": None, "summoned": [], "settled_on_spot": 0, "result": None,
    "feedback": None, "resolved_on": None, "satisfaction": None, "followed_up_on": None,
    "closed_on": None, "suspended_since": None, "suspended_days": 0,
    "stage_started_on": None, "escalations": 0, "returns": 0, "extensions": 0,
    "notices": 0, "reopen_count": 0, "updated_on": None, "first_step_on": None,
    "escalated_on": None, "assigned_on": None,  # the last escalation and assignment
    # 签收: the day the lead unit signed for its assignment; co-units' sign-fors [unit, day].
    "signed_on": None, "co_signed": [],
    # 催办: how many urges, and the last one's day.
    "urges": 0, "last_urged_on": None,
    # 督办: the leader supervising the case (not 包案's leader, who handles it), and since when.
    "supervisor": None, "supervised_on": None,
    # 双向派单: the village or community committee working the case with the lead unit
    # (set by an assignment, cleared with it); 双向回访: follow-ups since the last resolution.
    "locality_id": None, "follow_ups": 0,
    # 重复诉求: the earlier demand this one repeats (its id), linked when it was accepted.
    "repeat_of": None,
}
STATE_FIELDS = tuple(BLANK)
LIST_FIELDS = tuple(k for k, v in BLANK.items() if isinstance(v, list))  # stored as JSON

# Steps that begin a demand's journal: accepted here, or brought in whole from a CSV export
# (``import``, whose data is the demand's state at the time of the export).
FIRST_STEPS = ("accept", "import")
# Steps that are not the demand's handling but the ledger's bookkeeping: taken in any status,
# on any day after receipt, they neither respond to the demand nor move its last-step day.
BOOKKEEPING = ("merge_resident",)

# Steps recorded in a demand's journal that change nothing of its state: a printed notice
# (``ledger doc``: which document, which file). Replay passes over them; they are not the
# demand's response, nor its last step (a step dated before a print is still in order).
NO_OP_STEPS = ("print",)

State = dict[str, Any]
_Step = Callable[[State, dict[str, Any], str], None]
_STEPS: dict[str, tuple[tuple[str, ...], _Step]] = {}

ACTIONS: tuple[str, ...] = ()  # filled below, in the order of a demand's life


def step(action: str, allowed: tuple[str, ...]) -> Callable[[_Step], _Step]:
    """Register a step and the statuses it may be taken from."""

    def register(fn: _Step) -> _Step:
        _STEPS[action] = (allowed, fn)
        return fn

    return register


def apply(state: State | None, action: str, data: dict[str, Any], on: str) -> State:
    """The state after ``action`` taken on day ``on`` (ISO date). Does not modify ``state``."""
    return _advance(state, action, data, on, True)


def replay(events: list[tuple[str, dict[str, Any], str]]) -> State | None:
    """Fold journal events ``(action, data, on)`` into the state they describe, by ``apply``'s
    rules; raises ``Refused`` at the first step they refuse."""
    state: State | None = None
    for action, data, on in events:
        # One state advanced step by step (no copy at each step: a replay keeps only its end;
        # a refused step ends it).
        state = _advance(state, action, data, on, False)
    return state


def _copy(state: State) -> State:
    return {k: (list(v) if isinstance(v, list) else v) for k, v in state.items()}


def _advance(state: State | None, action: str, data: dict[str, Any], on: str,
             copy: bool) -> State:
    """``apply``, on a copy of ``state`` or (``copy`` false) on ``state`` itself."""
    if action not in _STEPS:
        raise ValueError(f"unknown action {action!r}")
    allowed, fn = _STEPS[action]
    if action in NO_OP_STEPS:
        if state is None:
            raise Refused("step.not_accepted")
        return _copy(state) if copy else state
    if action in FIRST_STEPS:
        if state is not None:
            raise Refused("step.already_accepted")
        new = dict(BLANK)
        for k in LIST_FIELDS:
            new[k] = []
    elif action in BOOKKEEPING:
        if state is None:
            raise Refused("step.not_accepted")
        new = _copy(state) if copy else state
        fn(new, data, on)
        return new
    else:
        if state is None:
            raise Refused("step.not_accepted")
        if state["status"] not in allowed:
            raise Refused(f"step.{action}.from_{state['status']}")
        if on < state["received_on"]:
            raise Refused("step.before_received", on=on, received=state["received_on"])
        # One demand's steps are recorded in the order they happened.
        if on < state["updated_on"]:
            raise Refused("step.before_last", on=on, last=state["updated_on"])
        new = _copy(state) if copy else state
    fn(new, data, on)
    if action not in FIRST_STEPS and new["first_step_on"] is None:
        new["first_step_on"] = on  # the response to the demand: its first step after acceptance
    # An imported snapshot carries the date of its last recorded step.
    new["updated_on"] = max(on, data.get("updated_on") or on) if action == "import" else on
    return new


# --- the steps -------------------------------------------------------------------------

LIVE = ("open", "suspended")


@step("accept", ())
def _accept(s: State, d: dict[str, Any], on: str) -> None:
    for key in ("text", "village_id", "grid_id", "resident_id", "visit_id", "channel",
                "category", "type", "repeat_of"):
        s[key] = d.get(key)
    s["complexity"] = d.get("complexity") or "general"
    s["level"] = d.get("level") or "village"
    s["received_on"] = on
    s["stage_started_on"] = on
    s["status"] = "open"


# What an imported snapshot may set; the rest (summoned units, counts of returns, notices,
# extensions, paused days) keep their blank value: an export does not carry them.
IMPORT_FIELDS = (
    "text", "village_id", "grid_id", "resident_id", "visit_id", "channel", "category",
    "complexity", "type", "status", "level", "lead_unit_id", "co_unit_ids", "handler", "leader",
    "settled_on_spot", "result", "feedback", "resolved_on", "satisfaction", "followed_up_on",
    "closed_on", "suspended_since", "stage_started_on", "escalations", "reopen_count",
    "escalated_on", "assigned_on", "first_step_on", "locality_id",
)


@step("import", ())
def _import(s: State, d: dict[str, Any], on: str) -> None:
    """A demand imported from a CSV export: its whole state at once, received on ``on``."""
    for key in IMPORT_FIELDS:
        if key in d and d[key] is not None:
            s[key] = list(d[key]) if isinstance(d[key], list) else d[key]
    s["status"] = s["status"] or "open"
    s["level"] = s["level"] or "village"
    checks = (("status", STATUSES), ("level", LEVELS), ("complexity", COMPLEXITIES))
    for key, allowed in checks:
        if s[key] not in allowed:
            raise Refused("step.import.bad_value", field=key, value=s[key])
    if s["satisfaction"] is not None and s["satisfaction"] not in SATISFACTIONS:
        raise Refused("step.import.bad_value", field="satisfaction", value=s["satisfaction"])
    s["received_on"] = on
    s["stage_started_on"] = s["stage_started_on"] or on
    if s["status"] == "suspended" and s["suspended_since"] is None:
        s["suspended_since"] = s["stage_started_on"]
    # An export carries the last follow-up's day, not how many there were: one.
    s["follow_ups"] = 1 if s["followed_up_on"] or s["satisfaction"] else 0


@step("classify", ("open", "suspended", "resolved"))
def _classify(s: State, d: dict[str, Any], on: str) -> None:
    for key in ("category", "complexity", "type"):
        if key in d:
            s[key] = d[key]


@step("correct", STATUSES)
def _correct(s: State, d: dict[str, Any], on: str) -> None:
    s["text"] = d["text"]


@step("settle", ("open",))
def _settle(s: State, d: dict[str, Any], on: str) -> None:
    if s["escalations"] or s["lead_unit_id"] is not None:
        raise Refused("step.settle.not_on_spot")
    s["status"] = "resolved"
    s["settled_on_spot"] = 1
    s["result"] = d["result"]
    s["feedback"] = d.get("feedback")
    s["resolved_on"] = on
    s["follow_ups"] = 0


@step("escalate", ("open",))
def _escalate(s: State, d: dict[str, Any], on: str) -> None:
    i = LEVELS.index(s["level"])
    if i == len(LEVELS) - 1:
        raise Refused("step.escalate.top")
    s["level"] = LEVELS[i + 1]
    # The level above decides afresh who handles it: a new stage starts.
    s["lead_unit_id"] = None
    s["co_unit_ids"] = []
    s["handler"] = None
    s["locality_id"] = None
    _unsign(s)
    s["stage_started_on"] = on
    s["escalations"] += 1
    s["escalated_on"] = on


def unit_may_take(unit_level: str, demand_level: str) -> bool:
    """A unit handles demands at its own level or above it, never below: a county bureau
    may take a township's demand, a village committee may not take the county's (the demand
    must be escalated first)."""
    return LEVELS.index(unit_level) <= LEVELS.index(demand_level)


@step("assign", ("open",))
def _assign(s: State, d: dict[str, Any], on: str) -> None:
    # The units' levels as they stood when assigned (journals before they were recorded
    # were checked when written).
    units = [d["lead_unit_id"], *(d.get("co_unit_ids") or [])]
    for unit_id, level in zip(units, d.get("unit_levels") or ()):
        if not unit_may_take(level, s["level"]):
            raise Refused("step.assign.above_level", unit_id=unit_id, unit_level=level,
                          level=s["level"])
    s["lead_unit_id"] = d["lead_unit_id"]
    s["co_unit_ids"] = list(d.get("co_unit_ids") or [])
    s["handler"] = d.get("handler")
    # 双向派单: each assignment names its locality (none when not given).
    s["locality_id"] = d.get("locality_id")
    _unsign(s)
    s["stage_started_on"] = on
    s["assigned_on"] = on


def _unsign(s: State) -> None:
    """A new assignment (or none) is signed for afresh."""
    s["signed_on"] = None
    s["co_signed"] = []


@step("receive", LIVE)
def _receive(s: State, d: dict[str, Any], on: str) -> None:
    """签收: the lead unit, or a cooperating unit, signs for the case assigned to it."""
    unit = d.get("unit_id")
    if s["lead_unit_id"] is None:
        raise Refused("step.receive.unassigned")
    if unit == s["lead_unit_id"]:
        if s["signed_on"] is not None:
            raise Refused("step.receive.already", on=s["signed_on"])
        s["signed_on"] = on
        return
    if unit not in s["co_unit_ids"]:
        raise Refused("step.receive.not_assigned_unit", unit_id=unit)
    for u, signed in s["co_signed"]:
        if u == unit:
            raise Refused("step.receive.already", on=signed)
    s["co_signed"] = s["co_signed"] + [[unit, on]]


@step("whistle", ("open", "suspended"))
def _whistle(s: State, d: dict[str, Any], on: str) -> None:
    already = {u for u, _ in s["summoned"]}
    fresh = [u for u in d["unit_ids"] if u not in already]
    if not fresh:
        raise Refused("step.whistle.all_summoned")
    s["summoned"] = s["summoned"] + [[u, None] for u in fresh]


@step("report_in", ("open", "suspended"))
def _report_in(s: State, d: dict[str, Any], on: str) -> None:
    for pair in s["summoned"]:
        if pair[0] == d["unit_id"]:
            if pair[1] is not None:
                raise Refused("step.report_in.already", on=pair[1])
            pair[1] = on
            return
    raise Refused("step.report_in.not_summoned")


@step("take_charge", LIVE)
def _take_charge(s: State, d: dict[str, Any], on: str) -> None:
    s["leader"] = d["leader"]


@step("return", ("open",))
def _return(s: State, d: dict[str, Any], on: str) -> None:
    if s["lead_unit_id"] is None:
        raise Refused("step.return.unassigned")
    if d["unit_id"] != s["lead_unit_id"]:
        raise Refused("step.return.not_lead")
    s["lead_unit_id"] = None
    s["co_unit_ids"] = []
    s["handler"] = None
    s["locality_id"] = None
    _unsign(s)
    s["returns"] += 1


@step("urge", LIVE)
def _urge(s: State, d: dict[str, Any], on: str) -> None:
    """催办: an urge notice sent on a live case."""
    s["urges"] += 1
    s["last_urged_on"] = on


@step("supervise", LIVE)
def _supervise(s: State, d: dict[str, Any], on: str) -> None:
    """督办: a leader supervises the case (a later one takes over)."""
    if s["supervisor"] == d["leader"]:
        raise Refused("step.supervise.already", leader=d["leader"], on=s["supervised_on"])
    s["supervisor"] = d["leader"]
    s["supervised_on"] = on


@step("notify", LIVE)
def _notify(s: State, d: dict[str, Any], on: str) -> None:
    s["notices"] += 1


@step("extend", LIVE)
def _extend(s: State, d: dict[str, Any], on: str) -> None:
    # The policy's caps as they stood when the extension was approved, recorded with it, so
    # a later change of policy does not rewrite what was allowed then.
    most, longest, days = d.get("max_extensions"), d.get("max_days"), d.get("days")
    if most is not None and s["extensions"] >= most:
        raise Refused("extend.too_many", max=most)
    if longest and days and days > longest:
        raise Refused("extend.too_long", days=days, max=longest)
    s["extensions"] += 1


@step("suspend", ("open",))
def _suspend(s: State, d: dict[str, Any], on: str) -> None:
    s["status"] = "suspended"
    s["suspended_since"] = on


@step("resume", ("suspended",))
def _resume(s: State, d: dict[str, Any], on: str) -> None:
    # The day of suspension up to the day of resumption is counted out of the clock.
    paused = (date.fromisoformat(on) - date.fromisoformat(s["suspended_since"])).days
    s["suspended_days"] += paused
    s["suspended_since"] = None
    s["status"] = "open"


@step("decide", ("open", "suspended", "resolved"))
def _decide(s: State, d: dict[str, Any], on: str) -> None:
    """研判意见: a meeting's decision on the case (a closed case is reopened first). With a
    unit it assigns the case in the same step, by the assignment's own rule."""
    if d.get("lead_unit_id") is not None:
        if s["status"] != "open":
            raise Refused("step.decide.assign_not_open", status=s["status"])
        _assign(s, d, on)


@step("resolve", ("open",))
def _resolve(s: State, d: dict[str, Any], on: str) -> None:
    s["status"] = "resolved"
    s["result"] = d["result"]
    s["feedback"] = d.get("feedback")
    s["resolved_on"] = on
    s["follow_ups"] = 0


@step("follow_up", ("resolved",))
def _follow_up(s: State, d: dict[str, Any], on: str) -> None:
    s["satisfaction"] = d["satisfaction"]
    s["followed_up_on"] = on
    s["follow_ups"] += 1  # by whom and how (双向回访) is in the step's data
    if d.get("reopen"):
        if d["satisfaction"] != "dissatisfied":
            raise Refused("step.follow_up.reopen_needs_dissatisfied")
        _reopen_now(s)


@step("close", ("resolved",))
def _close(s: State, d: dict[str, Any], on: str) -> None:
    if s["satisfaction"] is None:
        raise Refused("step.close.no_follow_up")
    if s["satisfaction"] == "dissatisfied" and not d.get("reason"):
        raise Refused("step.close.dissatisfied_needs_reason")
    # followup.required as it stood when closing, recorded with the step.
    required = d.get("followups_required") or 0
    if s["follow_ups"] < required:
        raise Refused("step.close.followups_missing", missing=required - s["follow_ups"],
                      required=required, done=s["follow_ups"])
    s["status"] = "closed"
    s["closed_on"] = on


@step("reopen", ("resolved", "closed"))
def _reopen(s: State, d: dict[str, Any], on: str) -> None:
    _reopen_now(s)


def _reopen_now(s: State) -> None:
    # The earlier result and satisfaction stay in the journal; the reopened demand needs
    # a new resolution and a new follow-up before it can be closed.
    s["status"] = "open"
    for key in ("result", "feedback", "resolved_on", "satisfaction", "followed_up_on", "closed_on"):
        s[key] = None
    s["settled_on_spot"] = 0
    s["follow_ups"] = 0
    s["reopen_count"] += 1


@step("merge_resident", STATUSES)
def _merge_resident(s: State, d: dict[str, Any], on: str) -> None:
    """Two pages were one person (``ledger resident merge A B``): the demand follows to A."""
    s["resident_id"] = d["resident_id"]


@step("print", STATUSES)
def _print(s: State, d: dict[str, Any], on: str) -> None:
    """A document printed for the demand (交办单, 催办通知书, 回访记录表): recorded, no change."""


ACTIONS = tuple(_STEPS)
