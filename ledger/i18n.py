"""Every word the ledger shows a person, in Chinese (the default) and English.

``t(key, lang, **params)`` renders a message; ``label(kind, value, lang)`` names a stored
value (status, level, action ...). Lists passed as ``choices`` become a "nearest valid
choices" hint at the end of the message.
"""

from __future__ import annotations

import os
from typing import Any

LANGS = ("zh", "en")


def current_lang(explicit: str | None = None) -> str:
    lang = (explicit or os.environ.get("LEDGER_LANG") or "zh").strip().lower()
    return "en" if lang.startswith("en") else "zh"


# kind -> value -> (zh, en)
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "open": ("办理中", "open"), "suspended": ("已挂起", "suspended"),
        "resolved": ("已办结", "resolved"), "closed": ("已销号", "closed"),
    },
    "level": {"village": ("村级", "village"), "township": ("镇级", "township"),
              "county": ("县级", "county")},
    "complexity": {"general": ("一般性", "general"), "complex": ("疑难复杂", "complex")},
    "satisfaction": {
        "satisfied": ("满意", "satisfied"), "basically_satisfied": ("基本满意", "basically satisfied"),
        "dissatisfied": ("不满意", "dissatisfied"),
    },
    "action": {
        "accept": ("受理", "accept"), "classify": ("分类", "classify"),
        "correct": ("更正", "correct"), "settle": ("当场解决", "settle on the spot"),
        "escalate": ("上报", "escalate"), "assign": ("交办", "assign"),
        "whistle": ("吹哨", "whistle"), "report_in": ("报到", "report in"),
        "take_charge": ("包案", "take charge"), "return": ("退回", "return"),
        "notify": ("告知进度", "progress notice"), "extend": ("延期", "extend"),
        "suspend": ("挂起", "suspend"), "resume": ("恢复办理", "resume"),
        "resolve": ("办结", "resolve"), "follow_up": ("回访", "follow up"),
        "close": ("销号", "close"), "reopen": ("重新办理", "reopen"),
    },
    # What a name or a text field is, in messages.
    "what": {
        "township": ("镇/街道", "township"), "village": ("村/社区", "village"),
        "grid": ("网格", "grid"), "unit": ("单位", "unit"), "cadre": ("干部", "cadre"),
        "category": ("类别", "category"), "channel": ("渠道", "channel"),
        "type": ("诉求类型", "demand type"), "resident": ("群众", "resident"),
        "level": ("层级", "level"), "complexity": ("难易程度", "difficulty"),
        "satisfaction": ("满意度", "satisfaction"), "status": ("状态", "status"),
        "tag": ("标签", "tag"), "issue": ("诉求内容", "demand text"),
        "reason": ("原因", "reason"), "result": ("办理结果", "result"),
        "feedback": ("反馈情况", "feedback"), "note": ("备注", "note"),
        "notice": ("告知内容", "notice"), "handler": ("责任人", "responsible person"),
        "leader": ("包案领导", "leader"), "approver": ("审批人", "approver"),
        "address": ("地址", "address"), "number": ("编号", "number"),
        "file": ("文件", "file"),
    },
    "col": {
        "number": ("编号", "No."), "received_on": ("受理日期", "Received"),
        "status": ("状态", "Status"), "level": ("层级", "Level"),
        "village": ("村/社区", "Village"), "resident": ("反映人", "Resident"),
        "category": ("类别", "Category"), "complexity": ("难易", "Difficulty"),
        "type": ("类型", "Type"), "channel": ("渠道", "Channel"), "unit": ("责任单位", "Unit"),
        "text": ("诉求内容", "Demand"), "resolved_on": ("办结日期", "Resolved"),
        "satisfaction": ("满意度", "Satisfaction"), "date": ("日期", "Date"),
        "action": ("环节", "Step"), "actor": ("经办人", "By"), "detail": ("内容", "Details"),
        "reason": ("原因", "Reason"), "name": ("名称", "Name"), "person": ("姓名", "Name"), "township": ("镇/街道", "Township"),
        "kind": ("类型", "Kind"), "residents": ("群众数", "Residents"),
        "demands": ("诉求数", "Demands"), "open_demands": ("在办诉求", "Open demands"),
        "villages": ("村/社区数", "Villages"), "phone": ("电话", "Phone"),
        "id_number": ("身份证号", "ID number"), "tags": ("标签", "Tags"),
        "visits": ("走访次数", "Visits"), "cadres": ("走访干部", "Cadres"),
        "note": ("备注", "Note"), "notice": ("告知内容", "Notice"), "visit": ("走访", "Visit"), "id": ("编号", "No."),
        "grid": ("网格", "Grid"), "handler": ("责任人", "Responsible"),
        "co_units": ("配合单位", "Cooperating units"), "leader": ("包案领导", "Leader"),
        "summoned": ("吹哨报到", "Summoned units"), "result": ("办理结果", "Result"),
        "feedback": ("反馈情况", "Feedback"), "address": ("地址", "Address"),
        "closed_on": ("销号日期", "Closed"), "reopen_count": ("重办次数", "Reopened"),
        "suspended_since": ("挂起自", "Suspended since"),
    },
    "title": {
        "issue_list": ("诉求台账", "Demands"), "history": ("办理记录", "History"),
        "resident": ("一人一账", "Resident ledger page"), "visits": ("走访记录", "Visits"),
        "demands": ("诉求", "Demands"), "residents": ("群众", "Residents"),
        "townships": ("镇/街道", "Townships"), "villages": ("村/社区", "Villages"),
        "units": ("责任单位", "Units"), "cadres": ("干部", "Cadres"),
        "categories": ("诉求类别", "Categories"), "channels": ("走访渠道", "Channels"),
        "types": ("诉求类型", "Demand types"),
    },
}

# key -> (zh, en). Parameters in braces; ``what``/``status``/``level``/``action`` given as
# stored values are turned into labels before formatting.
MESSAGES: dict[str, tuple[str, str]] = {
    "file.is_dir": ("台账文件路径 {path} 是一个文件夹", "ledger path {path} is a folder"),
    "file.cannot_create": ("无法创建台账文件夹 {path}:{why}", "cannot create the folder for {path}: {why}"),
    "file.cannot_open": ("无法打开台账文件 {path}:{why}", "cannot open ledger file {path}: {why}"),
    "file.not_ledger": ("{path} 不是台账文件({why})", "{path} is not a ledger file ({why})"),
    "file.too_new": ("台账文件 {path} 由更新版本的 ledger 写入({names}),请升级 ledger",
                     "ledger file {path} was written by a newer ledger ({names}); please upgrade"),
    "date.malformed": ("日期“{value}”格式不对,请写成 2026-11-17", "malformed date '{value}': write it as 2026-11-17"),
    "date.impossible": ("日期“{value}”不存在", "date '{value}' does not exist"),
    "date.future": ("日期 {value} 晚于今天({today})", "date {value} is after today ({today})"),
    "date.range": ("起始日期 {since} 晚于截止日期 {until}", "start date {since} is after end date {until}"),
    "enum.unknown": ("不认识的{what}“{name}”", "unknown {what} '{name}'"),
    "text.empty": ("{what}不能为空", "{what} must not be empty"),
    "text.control": ("{what}含有控制字符或换行", "{what} contains control characters or line breaks"),
    "text.too_long": ("{what}太长({length} 字,最多 {max} 字)", "{what} is too long ({length} characters, at most {max})"),
    "id_number.malformed": ("身份证号“{value}”应为 18 位(末位可为 X)", "ID number '{value}' must be 18 characters (the last may be X)"),
    "id_number.birth_date": ("身份证号“{value}”中的出生日期不存在", "ID number '{value}' has an impossible birth date"),
    "id_number.checksum": ("身份证号“{value}”校验位不对,请核对", "ID number '{value}' fails its check digit; please check it"),
    "phone.malformed": ("电话号码“{value}”不对:手机 11 位,座机请带区号", "phone number '{value}' is not valid: 11-digit mobile, or a landline with area code"),
    "phone.tail": ("电话尾号“{value}”应为 3 到 8 位数字", "phone tail '{value}' must be 3 to 8 digits"),
    "exists": ("{what}“{name}”已经存在", "{what} '{name}' already exists"),
    "unknown": ("没有{what}“{name}”", "no {what} named '{name}'"),
    "ambiguous": ("{what}“{name}”有重名,请写明是哪一个", "{what} '{name}' is ambiguous; say which one"),
    "village.which_township": ("台账里有多个镇/街道,请用 --township 指明", "the ledger has several townships; name one with --township"),
    "resident.id_taken": ("这个身份证号已登记为 #{id} {name}", "this ID number is already registered as #{id} {name}"),
    "resident.ambiguous": ("有多位群众叫“{name}”,请用编号(如 #12)或 姓名/村名", "several residents are called '{name}'; use the number (e.g. #12) or name/village"),
    "tag.not_held": ("{name} 没有标签“{tag}”", "{name} has no tag '{tag}'"),
    "nothing_to_change": ("没有要改动的内容", "nothing to change"),
    "visit.needs_village": ("请用 --village 指明走访的村/社区", "name the village visited with --village"),
    "issue.needs_village": ("请用 --village 指明诉求所在的村/社区", "name the demand's village with --village"),
    "issue.number_malformed": ("诉求编号“{value}”格式不对,应如 2026-000123", "malformed demand number '{value}': expected e.g. 2026-000123"),
    "issue.number_ambiguous": ("编号“{value}”对应多件诉求,请写全", "number '{value}' matches several demands; write it in full"),
    "issue.unknown": ("没有编号为 {value} 的诉求", "no demand numbered {value}"),
    "whistle.no_units": ("吹哨至少要召集一个单位(--unit)", "a whistle must summon at least one unit (--unit)"),
    "extend.days": ("延期天数 {value} 不合理(1 到 366)", "extension of {value} days is out of range (1 to 366)"),
    "step.already_accepted": ("这件诉求已经受理过", "this demand has already been accepted"),
    "step.not_accepted": ("这件诉求尚未受理", "this demand has not been accepted"),
    "step.before_received": ("诉求 {number}:日期 {on} 早于受理日期 {received}", "demand {number}: date {on} is before it was received ({received})"),
    "step.before_last": ("诉求 {number}:日期 {on} 早于上一步办理日期 {last}", "demand {number}: date {on} is before its last step ({last})"),
    "step.refused": ("诉求 {number} 当前{status},不能{action}", "demand {number} is {status}; cannot {action} it"),
    "step.settle.not_on_spot": ("诉求 {number} 已上报或交办,不能再算当场解决;请用 resolve 办结", "demand {number} was escalated or assigned, so it is not settled on the spot; use resolve"),
    "step.escalate.top": ("诉求 {number} 已在县级,不能再上报", "demand {number} is already at county level; it cannot go higher"),
    "step.assign.above_level": ("{unit}是{unit_level}单位,诉求 {number} 目前在{level},须先上报", "{unit} is a {unit_level} unit but demand {number} is at {level} level; escalate it first"),
    "step.whistle.all_summoned": ("这些单位已经被召集过", "these units have already been summoned"),
    "step.report_in.already": ("该单位已于 {on} 报到", "this unit already reported in on {on}"),
    "step.report_in.not_summoned": ("该单位没有被吹哨召集,不能报到", "this unit was not summoned, so it cannot report in"),
    "step.return.unassigned": ("诉求 {number} 尚未交办,无可退回", "demand {number} is not assigned to anyone; nothing to return"),
    "step.return.not_lead": ("只有牵头单位可以退回诉求 {number}", "only the lead unit can return demand {number}"),
    "step.follow_up.reopen_needs_dissatisfied": ("只有“不满意”的回访才能重新办理", "only a dissatisfied follow-up can reopen the demand"),
    "step.close.no_follow_up": ("诉求 {number} 还没有回访,不能销号", "demand {number} has not been followed up; it cannot be closed"),
    "step.close.dissatisfied_needs_reason": ("群众对诉求 {number} 不满意;如仍要销号,请用 --reason 说明原因", "the resident is dissatisfied with demand {number}; to close it anyway, give --reason"),
    "step.close.from_open": ("诉求 {number} 尚未办结,不能销号", "demand {number} has not been resolved; it cannot be closed"),
    "step.close.from_suspended": ("诉求 {number} 已挂起且未办结,不能销号", "demand {number} is suspended and unresolved; it cannot be closed"),
    "step.resolve.from_suspended": ("诉求 {number} 已挂起,请先恢复办理(resume)", "demand {number} is suspended; resume it first"),
    "step.resolve.from_resolved": ("诉求 {number} 已经办结", "demand {number} is already resolved"),
    "step.resolve.from_closed": ("诉求 {number} 已销号,不能再办结;如需重办请用 reopen", "demand {number} is closed; reopen it to handle it again"),
    "step.close.from_closed": ("诉求 {number} 已经销号", "demand {number} is already closed"),
    "step.follow_up.from_open": ("诉求 {number} 尚未办结,不能回访", "demand {number} has not been resolved; nothing to follow up"),
    "step.reopen.from_open": ("诉求 {number} 正在办理,无需重新办理", "demand {number} is still open; nothing to reopen"),
    "hint.choices": (";可选:{choices}", "; choices: {choices}"),
    "hint.nearest": (";最接近的:{choices}", "; nearest: {choices}"),
    # CLI words
    "ok.added": ("已新增{what}:{name}", "added {what}: {name}"),
    "ok.visit": ("已记录走访 #{id}", "visit #{id} logged"),
    "ok.issue_added": ("已受理诉求 {number}", "demand {number} accepted"),
    "ok.step": ("诉求 {number}:{action}完成,当前{status}({level})", "demand {number}: {action} done; now {status} ({level})"),
    "ok.tags": ("{name} 的标签:{tags}", "tags of {name}: {tags}"),
    "none": ("(无)", "(none)"),
    "demo.built": ("演示台账已建好:{path}", "demo ledger built: {path}"),
    "demo.next": ("试试:ledger --today {today} issue list --db {path}", "try: ledger --today {today} issue list --db {path}"),
    "count": ("共 {n} 条", "{n} in all"),
    "journal.disagrees": ("诉求 {number} 的当前状态与办理记录不一致:{fields}", "demand {number} disagrees with its journal: {fields}"),
    "interrupted": ("已中断,未写入任何内容", "interrupted; nothing was written"),
    "internal": ("内部错误:{why}(未写入任何内容)", "internal error: {why} (nothing was written)"),
}

_LABEL_PARAMS = {"what": "what", "status": "status", "level": "level", "unit_level": "level",
                 "action": "action"}


def label(kind: str, value: Any, lang: str = "zh") -> str:
    if value is None:
        return ""
    pair = LABELS.get(kind, {}).get(str(value))
    if pair is None:
        return str(value)
    return pair[1 if lang == "en" else 0]


def t(key: str, lang: str = "zh", **params: Any) -> str:
    i = 1 if lang == "en" else 0
    if key in MESSAGES:
        template = MESSAGES[key][i]
    elif key.startswith("step."):
        # step.<action>.from_<status> without a message of its own
        _, action, status = (key.split(".") + ["", ""])[:3]
        params = {"action": action, "status": status.removeprefix("from_"), **params}
        template = MESSAGES["step.refused"][i]
    else:
        template = key
    shown = {}
    for name, value in params.items():
        if name in _LABEL_PARAMS and isinstance(value, str):
            shown[name] = label(_LABEL_PARAMS[name], value, lang)
        elif name == "choices":
            continue
        else:
            shown[name] = value
    text = template.format_map(_Missing(shown))
    choices = params.get("choices")
    if choices:
        sep = ", " if lang == "en" else "、"
        hint = "hint.nearest" if key in ("unknown",) else "hint.choices"
        text += MESSAGES[hint][i].format(choices=sep.join(str(c) for c in choices))
    return text


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
