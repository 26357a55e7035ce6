"""Every word the ledger shows a person, in Chinese (the default) and English.

``t(key, lang, **params)`` renders a message; ``label(kind, value, lang)`` names a stored
value (status, level, action ...; the closed sets of stored values are in ``vocabulary``).
Lists passed as ``choices`` become a "nearest valid choices" hint at the end of the message.

A key with no message is shown as itself, so that a clerk never sees a traceback; when
``LEDGER_STRICT_I18N`` is set (the tests set it) it raises ``KeyError`` instead. A refusal
``step.<action>.from_<status>`` without a message of its own is told with ``step.refused``.
"""

from __future__ import annotations

import os
import re
from typing import Any

from . import vocabulary

LANGS = ("zh", "en")


def current_lang(explicit: str | None = None) -> str:
    lang = (explicit or os.environ.get("LEDGER_LANG") or "zh").strip().lower()
    return "en" if lang.startswith("en") else "zh"


# kind -> value -> (zh, en): steps, what a name is, columns, titles, kinds of day. The
# labels of the closed sets of stored values (status, level, complexity, satisfaction, unit
# of time, policy kind, light) are in ``vocabulary``, with what a clerk may type for them.
LABELS: dict[str, dict[str, tuple[str, str]]] = {
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
        "import": ("导入", "import"), "log": ("记录走访", "log visit"), "add": ("新增", "add"),
        "tag": ("改标签", "tag"), "undo": ("撤销", "undo"),
        "receive": ("签收", "sign for"), "urge": ("催办", "urge"),
        "supervise": ("督办", "supervise"),
        "baseline": ("升级时的现状", "as found at upgrade"), "phone": ("补电话", "phone added"),
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
        "file": ("文件", "file"), "policy": ("时限规则类型", "policy kind"),
        "unit_of_time": ("时限单位", "unit of time"), "format": ("输出格式", "format"), "report_by": ("排名对象", "report grouping"),
        "setting": ("设置项", "setting"), "amount": ("时限", "period"),
        "export": ("导出内容", "what to export"), "encoding": ("编码", "encoding"),
        "ledger_name": ("台账名称", "ledger name"), "demand": ("诉求", "demand"),
    },
    "file_kind": {
        "symlink": ("符号链接", "symlink"), "pipe": ("命名管道", "named pipe"),
        "device": ("设备文件", "device"), "socket": ("套接字", "socket"),
        "folder": ("文件夹", "folder"),
    },
    "day_kind": {
        "workday": ("班", "work"), "weekend": ("休", "off"), "holiday": ("假", "holiday"),
        "makeup": ("补班", "make-up"),
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
        "due_on": ("办理时限", "Due"), "light": ("状态灯", "Light"),
        "days_late": ("超期工作日", "Working days late"), "overdue": ("超期件数", "Overdue"),
        "max_days_late": ("最长超期(工作日)", "Most days late"), "year": ("年份", "Year"),
        "schedule_notice": ("依据", "Notice"), "source": ("来源", "Source"), "rest": ("休息日", "Rest days"),
        "work": ("调休上班日", "Make-up days"), "policy_kind": ("适用于", "Applies to"),
        "value": ("取值", "Value"), "amount": ("时限", "Period"),
        "max_extensions": ("最多延期次数", "Max extensions"),
        "extension_days": ("每次最多延期", "Max days per extension"),
        "stage_started_on": ("本阶段起算", "Stage started"),
        "received": ("受理", "Received"), "settled_on_spot": ("当场解决", "Settled on the spot"),
        "to_township": ("上报到镇", "To township"), "escalated": ("上报到县", "To county"),
        "assigned": ("交办", "Assigned"), "resolved": ("办结", "Resolved"),
        "closed": ("销号", "Closed"), "open": ("在办", "Open"),
        "carried_over": ("往周结转", "Carried over"), "due_next": ("7日内到期", "Due in 7 days"),
        "on_time": ("按期办结", "On time"), "response_rate": ("响应率", "Response"),
        "resolution_rate": ("解决率", "Resolution"), "on_time_rate": ("按期办结率", "On time"),
        "satisfaction_rate": ("满意率", "Satisfaction"), "score": ("综合得分", "Score"),
        "rank": ("排名", "Rank"), "numbers": ("超期诉求", "Overdue demands"),
        "this_week": ("本周反映", "This week"), "first_on": ("首次反映", "First raised"),
        "key": ("设置项", "Setting"), "item": ("项目", "Item"), "count": ("数量", "Count"),
        "signed_on": ("签收日期", "Signed for"), "co_signed": ("配合单位签收", "Co-units signed"),
        "urges": ("催办次数", "Urges"), "last_urged_on": ("最近催办", "Last urged"),
        "copy": ("抄送", "Copied to"), "urge_text": ("催办内容", "Urge notice"),
        "colour": ("颜色", "Colour"), "supervisor": ("督办领导", "Supervised by"),
        "red": ("红", "Red"), "yellow": ("黄", "Yellow"), "blue": ("蓝", "Blue"),
        "return_rate": ("回退率", "Returned"), "reopen_rate": ("重办率", "Reopened"),
        # --- issue 13 (sync) ---
        "ledger_id": ("标识", "Identity"), "received_upto": ("已收到", "Received up to"),
        "sent_upto": ("已发出", "Sent up to"), "sent_on": ("发出日期", "Sent"),
        "got_on": ("收到日期", "Received"),
        "acked_upto": ("对方确认至", "Acknowledged"), "pending": ("待发事件", "Pending events"),
        "key_fingerprint": ("密钥指纹", "Key fingerprint"),
    },
    "title": {
        "issue_list": ("诉求台账", "Demands"), "history": ("办理记录", "History"),
        "resident": ("一人一账", "Resident ledger page"), "visits": ("走访记录", "Visits"),
        "demands": ("诉求", "Demands"), "residents": ("群众", "Residents"),
        "townships": ("镇/街道", "Townships"), "villages": ("村/社区", "Villages"),
        "units": ("责任单位", "Units"), "cadres": ("干部", "Cadres"),
        "categories": ("诉求类别", "Categories"), "channels": ("走访渠道", "Channels"),
        "types": ("诉求类型", "Demand types"),
        "due": ("临期诉求", "Due"), "overdue": ("超期诉求", "Overdue demands"),
        "overdue_by_unit": ("超期:按责任单位", "Overdue by unit"),
        "overdue_by_village": ("超期:按村/社区", "Overdue by village"),
        "summary": ("民情走访周汇总", "Weekly summary"),
        "summary_by_village": ("本周受理:按村/社区", "This week by village"),
        "summary_by_category": ("本周受理:按类别", "This week by category"),
        "summary_by_channel": ("本周受理:按渠道", "This week by channel"),
        "summary_totals": ("本周办理情况", "This week's handling"),
        "carried_over": ("往周结转、仍在办理的诉求", "Still open, carried over"),
        "due_next": ("7日内到期的诉求", "Due in the coming week"),
        "repeat_residents": ("多次反映的群众", "Residents who came back"),
        "report": ("督查成绩单", "Report card"), "talk": ("约谈名单", "Talk-with-head list"),
        "settings": ("督查设置", "Supervision settings"),
        "urge": ("今日应催办", "To urge today"),
        "supervise": ("三色督办", "Supervision by colour"),
        "supervise_by_unit": ("三色督办:按责任单位", "By unit"),
        "calendar_years": ("工作日历", "Working calendar"), "policies": ("办理时限规则", "Deadline policies"),
        # --- issue 13 (sync) ---
        "sync_status": ("往来台账", "Other ledgers"), "sync_conflicts": ("同步冲突", "Sync conflicts"),
    },
    # --- issue 14 (workbooks) ---
    "sheet": {
        "export_demands": ("诉求台账", "Demands"), "export_visits": ("走访记录", "Visits"),
        "export_residents": ("群众名册", "Residents"),
        "charts": ("图表", "Charts"), "trend": ("每周趋势", "Weekly trend"),
        "by_village": ("按村社区", "By village"), "by_category": ("按类别", "By category"),
        "by_channel": ("按渠道", "By channel"),
        "carried_over_demands": ("往周结转", "Carried over"),
        "due_demands": ("7日内到期", "Due in 7 days"), "overdue_demands": ("超期", "Overdue"),
        "repeat_residents": ("多次反映", "Came back"), "report": ("成绩单", "Report card"),
        "chart_weekly": ("近12个台账周:受理、办结、超期", "Last ledger weeks: received, resolved, overdue"),
        "chart_category": ("本周受理:按类别", "This week's intake by category"),
        "chart_score": ("综合得分", "Score"),
        "col_week": ("台账周", "Ledger week"), "col_week_start": ("周起", "Week from"),
        "col_intake": ("受理", "Received"), "col_resolved": ("办结", "Resolved"),
        "col_overdue": ("超期", "Overdue"), "col_due_provisional": ("时限暂定", "Provisional"),
        "col_dispatched": ("派遣总数", "Dispatched"), "col_handled": ("办结情况", "Handled"),
        "col_on_time": ("按时办结", "On time"), "col_late": ("超时办结", "Late"),
        "col_unresolved": ("未办结", "Unresolved"), "col_of_which_overdue": ("其中超期", "Of which overdue"),
        "col_closure_rate": ("结案率", "Closure rate"),
        "col_on_time_closure_rate": ("按时结案率", "On-time rate"),
        "col_dissatisfied": ("不满意数", "Dissatisfied"),
        "col_dissatisfaction_rate": ("不满意率", "Dissatisfaction rate"),
        "by_unit_name": ("单位", "Unit"), "by_township_name": ("镇/街道", "Township"),
        "by_village_name": ("村/社区", "Village"),
        "bar_received": ("", ""), "bar_resolved": ("", ""), "bar_overdue": ("", ""),
        "yes": ("是", "yes"), "no": ("否", "no"),
    },
}

# --- issue 16 (pairing, coverage) ---
for _kind, _words in {
    "action": {"key": ("重点村标记", "key village mark"), "remove": ("移除", "remove")},
    "what": {"role": ("包联角色", "role"), "org_kind": ("单位类型", "organisation kind"),
             "organisation": ("单位/企业", "organisation"), "pair": ("包联", "pairing")},
    "col": {
        "pair": ("编号", "No."), "role": ("角色", "Role"), "paired_with": ("包联人/单位", "Paired"),
        "pair_kind": ("类型", "Kind"), "household": ("联系户", "Household"),
        "key": ("重点村", "Key village"), "cadre": ("干部", "Cadre"),
        "cadre_unit": ("所在单位", "Unit"), "since": ("包联自", "Since"),
        "visited": ("已走访", "Visited"), "visited_mark": ("到村", "Went"),
        "paired": ("包联数", "Paired"), "missing": ("未到村", "Did not go"),
        "last_visit_on": ("最近走访", "Last visit"), "total": ("总数", "Total"),
        "rate": ("走访率", "Rate"), "tag": ("标签", "Tag"), "org_kind": ("单位类型", "Kind"),
        "not_visited_names": ("未走访的户", "Households not visited"),
        "group": ("类别", "Group"), "org": ("单位/企业", "Organisation"),
    },
    "title": {
        "coverage": ("走访覆盖", "Visit coverage"),
        "coverage_key_villages": ("重点村包联走访", "Key villages and their pairs"),
        "coverage_households": ("干部联户走访", "Cadres and their households"),
        "coverage_tags": ("重点人群走访", "Tagged residents visited"),
        "coverage_orgs": ("单位/企业走访", "Organisations visited"),
        "coverage_not_visited": ("最久未走访", "Not visited longest"),
        "pairs": ("包联", "Pairings"), "roles": ("包联角色", "Roles"),
        "org_kinds": ("单位类型", "Organisation kinds"),
        "organisations": ("单位/企业", "Organisations"),
        "organisation": ("单位/企业台账", "Organisation page"),
    },
    "pair_kind": {"cadre": ("干部", "cadre"), "unit": ("单位", "unit"),
                  "household": ("联户", "household")},
}.items():
    LABELS.setdefault(_kind, {}).update(_words)
# --- issue 15 (both ways, the Tuesday meeting) ---
LABELS["action"]["decide"] = ("研判", "meeting decision")
LABELS["what"].update({
    "method": ("回访方式", "follow-up method"), "follower": ("回访单位或村/社区", "follower (unit or village)"),
    "attendee": ("参会人", "attendee"), "decision": ("研判意见", "decision"),
    "meeting_kind": ("会议类型", "meeting kind"), "setting_value": ("设置值", "setting value"),
})
LABELS["col"].update({
    "locality": ("属地", "Locality"), "follow_ups": ("回访次数", "Follow-ups"),
    "meetings": ("研判会议", "Studied at"), "meeting": ("会议", "Meeting"),
    "decision": ("研判意见", "Decision"), "followed_up_by": ("回访人", "Followed up by"),
    "method": ("回访方式", "Method"), "why": ("列入原因", "Why"),
    "attendees": ("参会人", "Attendees"), "studied": ("研判件数", "Cases studied"),
    "meeting_studied": ("本周会议研判", "Studied by the week's meetings"),
})
LABELS["title"].update({
    "agenda": ("研判议题", "Agenda"), "meetings": ("会议", "Meetings"),
    "decisions": ("研判意见", "Decisions"), "methods": ("回访方式", "Follow-up methods"),
})

# key -> (zh, en). Parameters in braces; ``what``/``status``/``level``/``action`` given as
# stored values are turned into labels before formatting.
MESSAGES: dict[str, tuple[str, str]] = {
    "file.is_dir": ("台账文件路径 {path} 是一个文件夹", "ledger path {path} is a folder"),
    "file.cannot_create": ("无法创建台账文件夹 {path}:{why}", "cannot create the folder for {path}: {why}"),
    "file.no_folder": ("文件夹 {folder} 不存在,没有打开也没有新建台账 {path}", "folder {folder} does not exist; ledger {path} was neither opened nor created"),
    "file.busy": ("台账 {path} 正被其他人长时间占用,请稍后再试(未写入任何内容)", "ledger {path} is busy with someone else's long command; try again later (nothing was written)"),
    "file.cannot_write": ("无法写入文件 {path}:{why}", "cannot write {path}: {why}"),
    "file.cannot_read": ("无法读取文件 {path}:{why}", "cannot read {path}: {why}"),
    "file.cannot_open": ("无法打开台账文件 {path}:{why}", "cannot open ledger file {path}: {why}"),
    "file.not_ledger": ("{path} 不是台账文件({why})", "{path} is not a ledger file ({why})"),
    "file.too_new": ("台账文件 {path} 由更新版本的 ledger 写入({names}),请升级 ledger",
                     "ledger file {path} was written by a newer ledger ({names}); please upgrade"),
    "date.malformed": ("日期“{value}”格式不对,请写成 2026-11-17", "malformed date '{value}': write it as 2026-11-17"),
    "date.out_of_range": ("日期“{value}”不在 {first} 到 {last} 年之间", "date '{value}' is not between the years {first} and {last}"),
    "date.impossible": ("日期“{value}”不存在", "date '{value}' does not exist"),
    "date.future": ("日期 {value} 晚于今天({today})", "date {value} is after today ({today})"),
    "date.range": ("起始日期 {since} 晚于截止日期 {until}", "start date {since} is after end date {until}"),
    "enum.unknown": ("不认识的{what}“{name}”", "unknown {what} '{name}'"),
    "text.empty": ("{what}不能为空", "{what} must not be empty"),
    "text.control": ("{what}含有控制字符或换行", "{what} contains control characters or line breaks"),
    "text.too_long": ("{what}太长({length} 字,最多 {max} 字)", "{what} is too long ({length} characters, at most {max})"),
    "name.empty": ("{what}的名称不能为空", "the {what} name must not be empty"),
    "name.control": ("{what}的名称含有控制字符或换行", "the {what} name contains control characters or line breaks"),
    "name.separator": ("{what}的名称“{name}”不能含 / 或 \\(查找时 / 用来分隔姓名和村/社区)", "the {what} name '{name}' must not contain / or \\ (a lookup reads / as the separator of a name and its village)"),
    "name.path": ("{what}的名称“{name}”像文件路径(含 . 或 .. 或以 / 开头、结尾),请换一个名称", "the {what} name '{name}' reads as a file path (. or .., or a leading or trailing /); choose another name"),
    "text.not_text": ("{what}不是文字", "{what} is not text"),
    "name.too_long": ("{what}的名称太长({length} 字,最多 {max} 字)", "the {what} name is too long ({length} characters, at most {max})"),
    "id_number.malformed": ("身份证号“{value}”应为 18 位(末位可为 X)", "ID number '{value}' must be 18 characters (the last may be X)"),
    "id_number.birth_date": ("身份证号“{value}”中的出生日期不存在", "ID number '{value}' has an impossible birth date"),
    "id_number.checksum": ("身份证号“{value}”校验位不对,请核对", "ID number '{value}' fails its check digit; please check it"),
    "phone.malformed": ("电话号码“{value}”不对:手机 11 位,座机请带区号", "phone number '{value}' is not valid: 11-digit mobile, or a landline with area code"),
    "phone.tail": ("电话尾号“{value}”应为 3 到 11 位数字", "phone tail '{value}' must be 3 to 11 digits"),
    "exists": ("{what}“{name}”已经存在", "{what} '{name}' already exists"),
    "unknown": ("没有{what}“{name}”", "no {what} named '{name}'"),
    "ambiguous": ("{what}“{name}”有重名,请写明是哪一个", "{what} '{name}' is ambiguous; say which one"),
    "village.which_township": ("台账里有多个镇/街道,请用 --township 指明", "the ledger has several townships; name one with --township"),
    "resident.id_taken": ("这个身份证号已登记为 #{id} {name}", "this ID number is already registered as #{id} {name}"),
    "resident.ambiguous": ("有多位群众叫“{name}”,请用编号(如 12,或加引号的 \"#12\")或 姓名/村名", "several residents are called '{name}'; use the number (12, or \"#12\" in quotes) or name/village"),
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
    "step.refused": ("诉求 {number} 当前{status},不能{action}", "demand {number} is {status}: step '{action}' is not allowed"),
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
    "extend.too_many": ("诉求 {number} 最多只能延期 {max} 次", "demand {number} may be extended at most {max} time(s)"),
    "extend.too_long": ("诉求 {number} 每次最多延期 {max} 天,不能延期 {days} 天", "demand {number} may be extended by at most {max} days, not {days}"),
    "calendar.malformed": ("日历文件格式不对:{why}", "the calendar file is malformed: {why}"),
    "calendar.year": ("日历文件中的年份“{value}”不对,应如 year = 2027", "bad year '{value}' in the calendar file: write e.g. year = 2027"),
    "calendar.notice": ("日历文件须写明依据的通知(notice = \"...\")", "the calendar file must name the notice it comes from (notice = \"...\")"),
    "calendar.backward_range": ("日期范围“{value}”前后颠倒", "date range '{value}' runs backwards"),
    "calendar.outside_year": ("日期“{value}”不在 {year} 年内", "'{value}' is not inside {year}"),
    "calendar.work_not_weekend": ("调休上班日 {value} 不是周末", "make-up working day {value} is not a weekend day"),
    "calendar.both": ("{value} 同时被列为休息日和调休上班日", "{value} is listed both as a rest day and as a make-up day"),
    "calendar.no_rest": ("{year} 年的日历文件没有列出任何休息日", "the {year} calendar file lists no rest days"),
    "calendar.month": ("月份 {year}-{month} 不对", "bad month {year}-{month}"),
    "calendar.unknown_year": ("台账里没有 {year} 年的节假日安排;该年按“仅周末休息”计算,相关时限标为“暂定”", "the ledger has no holiday schedule for {year}: weekends only are assumed and deadlines are marked provisional"),
    "calendar.added": ("已加入 {year} 年节假日安排;重算 {recomputed} 件诉求的时限,仍暂定 {still_provisional} 件", "{year} schedule added; {recomputed} deadlines recomputed, {still_provisional} still provisional"),
    "calendar.file": ("无法读取日历文件 {path}:{why}", "cannot read calendar file {path}: {why}"),
    "policy.number": ("{what} 的数值 {value} 不合理", "{what} {value} is out of range"),
    "policy.keep_complexity": ("一般性/疑难复杂的时限规则不能删除,只能修改", "the general/complex policies can be changed but not removed"),
    "policy.unknown": ("没有这条时限规则:{kind}={value}", "no policy for {kind} = {value}"),
    "policy.set": ("时限规则已更新;重算 {n} 件在办诉求的时限", "policy set; {n} live deadlines recomputed"),
    "policy.target": ("请只给出一个:--category、--type 或 --complexity", "give exactly one of --category, --type or --complexity"),
    "summary.future_week": ("{start} 开始的那一周还没到(今天 {today})", "the week starting {start} has not begun (today is {today})"),
    "list.more": ("只显示了前 {n} 条;加筛选条件,或用 --limit 0 显示全部", "only the first {n} are shown; filter, or use --limit 0 for all"),
    "summary.more": ("……另有 {n} 件未列出;完整清单见 --format csv 或 --format json", "… {n} more not shown; --format csv or --format json lists them all"),
    "summary.more_people": ("……另有 {n} 人未列出;完整名单见 --format json", "… {n} more not shown; --format json lists them all"),
    "talk.more": ("等 {n} 件", " ({n} in all)"),
    "summary.week": ("{start} 至 {end}(星期二至下星期一),数据截至 {as_of}", "{start} to {end} (Tuesday to Monday), as of {as_of}"),
    "setting.number": ("设置 {setting} 的值“{value}”不是数字", "setting {setting}: '{value}' is not a number"),
    "setting.range": ("设置 {setting} 的值 {value} 应在 {lo} 到 {hi} 之间", "setting {setting}: {value} must be between {lo} and {hi}"),
    "setting.set": ("已设置 {setting} = {value}", "{setting} set to {value}"),
    "due.within": ("--within 应在 0 到 60 个工作日之间", "--within must be between 0 and 60 working days"),
    "provisional.warning": ("{n} 件时限跨入未加节假日安排的 {years} 年,“*”者暂定;用 ledger calendar add 加入", "{n} deadlines reach {years}, a year without a holiday schedule; * marks them provisional: ledger calendar add"),
    "merge.same_ledger": ("{path} 就是这本台账本身,不能合并自己", "{path} is this very ledger; it cannot be merged into itself"),
    "merge.done": ("已合并 {source}:诉求 {demands} 件(此前已合并、跳过 {skipped} 件),走访 {visits} 次,群众 {residents} 人", "merged {source}: {demands} demands ({skipped} merged before and skipped), {visits} visits, {residents} residents"),
    "merge.created": ("新建{what} {n} 个", "created {n} {what}(s)"),
    "check.integrity": ("SQLite 完整性检查发现问题:{detail}", "SQLite's integrity check: {detail}"),
    "check.reference": ("表 {table} 第 {id} 行引用的 {parent} 不存在", "row {id} of {table} refers to a missing {parent}"),
    "check.unit_reference": ("诉求 {number} 引用了不存在的单位", "demand {number} refers to a unit that does not exist"),
    "check.orphan_journal": ("办理记录指向不存在的诉求(内部编号 {id})", "journal events refer to a missing demand (id {id})"),
    "check.no_deadline": ("在办诉求 {number} 没有办理时限", "open demand {number} has no deadline"),
    "check.replay_fails": ("诉求 {number} 的办理记录无法重演:{why}", "the journal of demand {number} cannot be replayed: {why}"),
    "check.ok": ("检查通过:完整性正常,{demands} 件诉求的状态均与办理记录一致", "check passed: the file is sound and all {demands} demands agree with their journals"),
    "check.found": ("检查发现 {n} 处问题:", "the check found {n} problem(s):"),
    "backup.done": ("已备份到 {path}({size} 字节)", "backed up to {path} ({size} bytes)"),
    "restore.exists": ("台账 {path} 已存在;确认要用备份替换它请加 --force", "ledger {path} exists; add --force to replace it with the backup"),
    "restore.bad_copy": ("备份 {path} 未通过检查({n} 处问题),未做任何恢复;可用 ledger check --db {path} 查看", "backup {path} fails the check ({n} problems); nothing was restored; see ledger check --db {path}"),
    "restore.done": ("已从 {source} 恢复台账 {path}", "ledger {path} restored from {source}"),
    "restore.kept": ("原台账另存为 {path}", "the replaced ledger was kept as {path}"),
    "undo.nothing": ("没有可以撤销的操作", "there is nothing to undo"),
    "undo.someone_else": ("最后一次改动是 {actor} 在 {on} 做的({action}),不能撤销别人的改动", "the last change was made by {actor} on {on} ({action}); you cannot undo someone else's change"),
    "undo.cannot": ("最后一次改动({subject} {action})不能用 undo 撤销,请用相应命令更正", "the last change ({subject} {action}) cannot be undone; correct it with its own command"),
    "undo.in_use": ("{what}“{name}”已被其他记录使用,不能撤销", "{what} '{name}' is already used elsewhere; it cannot be undone"),
    "undo.done": ("已撤销第 {command} 号操作({actor}):{steps}", "undid command {command} ({actor}): {steps}"),
    "hint.choices": (";可选:{choices}", "; choices: {choices}"),
    "hint.nearest": (";最接近的:{choices}", "; nearest: {choices}"),
    # CLI words
    "ok.added": ("已新增{what}:{name}", "added {what}: {name}"),
    "ok.visit": ("已记录走访 #{id}", "visit #{id} logged"),
    "ok.issue_added": ("已受理诉求 {number}", "demand {number} accepted"),
    "ok.step": ("诉求 {number}:{action}完成,当前{status}({level})", "demand {number}: {action} done; now {status} ({level})"),
    "ok.tags": ("{name} 的标签:{tags}", "tags of {name}: {tags}"),
    "none": ("(无)", "(none)"),
    "undone": ("(已撤销)", " (undone)"),
    "unassigned": ("(未交办)", "(unassigned)"),
    "demo.built": ("演示台账已建好:{path}", "demo ledger built: {path}"),
    "demo.next": ("试试:ledger --today {today} issue list --db {path}", "try: ledger --today {today} issue list --db {path}"),
    "count": ("共 {n} 条", "{n} in all"),
    "total": ("合计", "Total"),
    "hint.did_you_mean": ("是不是要用:{names}", "did you mean: {names}"),
    "lang.unknown": ("不认识的语言“{value}”", "unknown language '{value}'"),
    "screen.double_click": (
        "这是在命令窗口里使用的程序:在 ledger 文件夹的地址栏输入 cmd 并回车,\n"
        "在打开的窗口里输入 ledger.exe demo 试一试。详见文件夹里的 使用说明.txt。\n"
        "按回车键关闭这个窗口。",
        "This program runs in a command window: type cmd in the address bar of the ledger\n"
        "folder and press Enter, then type ledger.exe demo in the window that opens. See\n"
        "使用说明.txt in the folder. Press Enter to close this window.",
    ),
    "screen.first": (
        "ledger 民情走访台账:走访、一人一账、诉求办理、周汇总、督查成绩单。\n"
        "\n"
        "每周二常用:\n"
        "  ledger visit log --village 东坪村 --resident 张秀兰 --issue \"屋顶漏水\"   登记走访和诉求\n"
        "  ledger issue list --status 办理中                  在办诉求\n"
        "  ledger issue show 2026-000001                      一件诉求及其办理记录\n"
        "  ledger due                                         临期诉求;ledger overdue 超期诉求\n"
        "  ledger summary                                     本周汇总(党委会议用)\n"
        "\n"
        "第一次用:ledger demo 建一个演示台账看看。\n"
        "全部命令:ledger --help;某个命令:ledger issue --help。\n"
        "English: ledger --lang en (or LEDGER_LANG=en).",
        "ledger, the township visit-and-demand ledger: visits, one page per resident,\n"
        "every demand's handling, the Tuesday summary, the report card.\n"
        "\n"
        "Most used on a Tuesday:\n"
        "  ledger visit log --village 东坪村 --resident 张秀兰 --issue \"屋顶漏水\"   log a visit\n"
        "  ledger issue list --status open                    open demands\n"
        "  ledger issue show 2026-000001                      one demand and its history\n"
        "  ledger due                                         due soon; ledger overdue: overdue\n"
        "  ledger summary                                     this week's summary\n"
        "\n"
        "First time: ledger demo builds a demo ledger to look at.\n"
        "Every command: ledger --help; one command: ledger issue --help."),
    "columns.dropped": ("未显示:{names}(--wide 显示全部列)", "not shown: {names} (--wide shows every column)"),
    "journal.disagrees": ("诉求 {number} 的当前状态与办理记录不一致:{fields}", "demand {number} disagrees with its journal: {fields}"),
    # CSV export and import (ledger/csvio.py)
    "csv.workbook": ("这是 Excel 工作簿(.xlsx/.xls),不是 CSV;请在 Excel 中“另存为”CSV UTF-8(逗号分隔)后再导入,未导入任何内容", "this is an Excel workbook (.xlsx/.xls), not a CSV: save it as CSV UTF-8 (comma delimited) in Excel and import that; nothing was imported"),
    "csv.utf16": ("文件是 UTF-16 编码(Excel 的“Unicode 文本”),请另存为 CSV UTF-8(逗号分隔)后再导入,未导入任何内容", "the file is UTF-16 (Excel's Unicode Text): save it as CSV UTF-8 (comma delimited) and import that; nothing was imported"),
    "csv.encoding": ("文件既不是 UTF-8 也不是 GB18030/GBK 编码(第 {position} 字节处无法识别),未导入任何内容;请在 Excel 中另存为 CSV UTF-8(逗号分隔)", "the file is neither UTF-8 nor GB18030/GBK (unreadable at byte {position}); nothing was imported: save it as CSV UTF-8 (comma delimited)"),
    "csv.malformed": ("CSV 文件第 {line} 行格式不对:{why},未导入任何内容", "the CSV file is malformed at line {line}: {why}; nothing was imported"),
    "csv.empty": ("文件是空的,没有表头行", "the file is empty: it has no header row"),
    "csv.unknown_columns": ("不认识的列:{names}(未导入任何内容)", "unknown columns: {names} (nothing was imported)"),
    "csv.repeated_columns": ("这些列出现了不止一次:{names}(未导入任何内容)", "these columns appear more than once: {names} (nothing was imported)"),
    "csv.missing_columns": ("缺少必需的列:{names}(未导入任何内容)", "required columns missing: {names} (nothing was imported)"),
    "import.refused": ("文件有 {count} 处问题,未导入任何内容;第一处:第 {row} 行“{column}”列“{value}”:{why}", "the file has {count} problem(s); nothing was imported. First: row {row}, column '{column}', value '{value}': {why}"),
    "import.required": ("必填,不能为空", "required: must not be empty"),
    "import.no_header": ("这一列没有表头", "this column has no header"),
    "import.number_void": ("这个编号曾被撤销作废,不能再用;请清空编号列,导入时会给新编号", "this number was given out and undone, so it is void: leave the number empty and the import gives a new one"),
    "import.repeated_number": ("编号在文件中重复(第 {first} 行已有)", "this number is repeated in the file (first on row {first})"),
    "import.yes_no": ("应填“是”或“否”", "must be 是 or 否 (yes or no)"),
    "import.count": ("应为 0 或正整数", "must be 0 or a whole number"),
    "import.masked_name": ("姓名已打码(含 *),无法对应到群众;请用不打码姓名的导出文件", "the name is masked (contains *) and cannot be matched to a resident; use an export without masked names"),
    "import.which_township": ("台账里有多个镇/街道,请在“镇/街道”列写明该村属于哪一个", "the ledger has several townships: say which one in the 镇/街道 (township) column"),
    "import.needed_for_status": ("状态为{status}的诉求必须填写这一项", "must be filled in for a demand that is {status}"),
    "import.not_with_status": ("状态为{status}的诉求不应填写这一项", "must be empty for a demand that is {status}"),
    "import.needed_with": ("填写了“{other}”就必须同时填写这一项", "must be filled in together with '{other}'"),
    "import.co_without_lead": ("有配合单位时必须写明牵头单位", "cooperating units need a lead unit"),
    "import.escalated_at_village": ("有上报日期的诉求不可能还在村级", "a demand with an escalation date cannot still be at village level"),
    "import.settled_but_escalated": ("已上报或交办的诉求不能算当场解决", "a demand that was escalated or assigned was not settled on the spot"),
    "import.unit_above_level": ("{unit}是{unit_level}单位,高于诉求所在的{level}", "{unit} is a {unit_level} unit, above the demand's level ({level})"),
    "import.date_order": ("早于“{other}”({other_value})", "is before '{other}' ({other_value})"),
    "import.done": ("读取 {rows} 行:新增 {added} 条,已有跳过 {skipped} 条", "{rows} rows read: {added} added, {skipped} already present and skipped"),
    "import.dry_run": ("试导入:未写入任何内容", "dry run: nothing was written"),
    "import.created": ("新建{what}:{names}", "created {what}: {names}"),
    "import.created_many": ("新建{what} {n} 个,前 20 个:{names}", "created {n} {what}; the first 20: {names}"),
    "import.errors_written": ("问题清单已写入 {path}", "the list of problems was written to {path}"),
    "export.done": ("已导出 {n} 条到 {path}", "{n} rows exported to {path}"),
    "export.unmasked": ("注意:导出文件含未打码的个人信息,本次导出已记入台账日志", "note: the file holds unmasked personal data; this export is recorded in the journal"),
    "step.import.bad_value": ("导入的诉求 {field} 取值“{value}”不对", "imported demand: bad {field} '{value}'"),
    "interrupted": ("已中断,未写入任何内容", "interrupted; nothing was written"),
    "interrupted.demo_built": ("已中断;演示台账已建好:{path}", "interrupted; the demo ledger was built: {path}"),
    "internal": ("内部错误:{why}(未写入任何内容)", "internal error: {why} (nothing was written)"),
    # --- Supervision as the townships run it (签收, 催办, 三色督办) ---
    "step.receive.unassigned": ("诉求 {number} 尚未交办,无从签收", "demand {number} is not assigned; there is nothing to sign for"),
    "step.receive.not_assigned_unit": ("{unit}不是诉求 {number} 的牵头或配合单位,不能签收", "{unit} is neither the lead nor a cooperating unit of demand {number}; it cannot sign for it"),
    "step.supervise.already": ("{leader} 已于 {on} 督办诉求 {number}", "{leader} has supervised demand {number} since {on}"),
    "urge.needs_all": ("--text 和 --copy 只用于 --all(对列出的诉求各记一次催办)", "--text and --copy go with --all (one urge for each demand listed)"),
    "urge.recorded": ("已对 {n} 件诉求各记一次催办", "one urge recorded for each of {n} demands"),
    "step.receive.already": ("该单位已于 {on} 签收诉求 {number}", "this unit already signed for demand {number} on {on}"),
    # --- issue 12: a record nobody can quietly rewrite, and outputs that cannot hurt -------
    "file.no_ledger": ("{path} 没有台账(未新建任何文件);新建台账请先 ledger township add 镇名,或用 ledger demo 看一个演示台账", "there is no ledger at {path} (no file was created); start one with ledger township add NAME, or try ledger demo"),
    "file.read_only": ("台账文件 {path} 是只读的,不能写入(未写入任何内容)", "ledger file {path} is read-only; nothing was written"),
    "file.disk_full": ("磁盘已满,台账文件 {path} 无法写入(未写入任何内容);请腾出空间后再试", "the disk is full: ledger file {path} could not be written (nothing was written); free some space and try again"),
    "file.io_error": ("读写台账文件 {path} 时磁盘出错({why}),未写入任何内容;请检查磁盘或 U 盘", "the disk failed while reading or writing ledger file {path} ({why}); nothing was written: check the disk or USB drive"),
    "file.no_permission": ("没有权限读写台账文件 {path}(未写入任何内容)", "no permission to read or write ledger file {path}; nothing was written"),
    "file.sql_error": ("台账文件 {path} 拒绝了这次写入:{why}(未写入任何内容)", "ledger file {path} refused the change: {why} (nothing was written)"),
    "usage.no_such_option": ("没有选项 {option}(用 {command} --help 查看用法)", "no such option {option} (see {command} --help)"),
    "usage.missing": ("缺少 {param}(用 {command} --help 查看用法)", "missing {param} (see {command} --help)"),
    "usage.bad_value": ("{param} 的值不对:{why}(用 {command} --help 查看用法)", "bad value for {param}: {why} (see {command} --help)"),
    "usage.other": ("{why}(用 {command} --help 查看用法)", "{why} (see {command} --help)"),
    "usage.not_a_number": ("{param} 应为整数,不是“{value}”(用 {command} --help 查看用法)", "{param} must be a whole number, not '{value}' (see {command} --help)"),
    "name.invisible": ("{what}的名称含有看不见的字符 {char}(零宽字符或文字方向控制符),请重新输入", "the {what} name contains an invisible character {char} (zero-width or text-direction); type it again"),
    "text.invisible": ("{what}含有文字方向控制符 {char},请重新输入", "{what} contains a text-direction control {char}; type it again"),
    "head.malformed": ("链头“{value}”格式不对,应写成 编号:哈希,哈希至少 {min} 位,如 1234:9f2c4e1a0b7d3c55", "malformed chain head '{value}': write ID:HASH with at least {min} hex digits of the hash, e.g. 1234:9f2c4e1a0b7d3c55"),
    "check.trigger_missing": ("日志的保护触发器 {name} 被删除了", "the journal's protecting trigger {name} has been dropped"),
    "check.trigger_altered": ("日志的保护触发器 {name} 被改动了", "the journal's protecting trigger {name} has been altered"),
    "check.trigger_unknown": ("台账文件里多了一个不是 ledger 建的触发器 {name}", "the file holds a trigger {name} that ledger did not make"),
    "check.chain_gap": ("办理日志缺行:第 {after} 行之后是第 {next} 行", "journal rows are missing: row {after} is followed by row {next}"),
    "check.chain_broken": ("办理日志的哈希链在第 {id} 行断开({on} {subject} {action}):该行在写入后被改动过;共 {n} 行对不上", "the journal's hash chain breaks at row {id} ({on} {subject} {action}): the row was changed after it was written; {n} row(s) in all do not match"),
    "check.head_missing": ("记录的链头第 {id} 行已不在日志中(日志只到第 {last} 行):日志被截短了", "the recorded head, row {id}, is no longer in the journal (it ends at row {last}): the journal was cut short"),
    "check.head_differs": ("日志与记录的链头第 {id} 行不符:该行或之前的行在记录链头之后被改写过", "the journal does not match the recorded head at row {id}: it or an earlier row was rewritten after the head was recorded"),
    "check.row_missing": ("表 {table} 第 {id} 行在日志中有记录,但已不在表中(被直接删除)", "row {id} of {table} is in the journal but no longer in the table (deleted directly)"),
    "check.row_unjournaled": ("表 {table} 第 {id} 行在日志中没有记录(被直接写入)", "row {id} of {table} has no journal rows (written directly)"),
    "check.row_disagrees": ("表 {table} 第 {id} 行与日志不一致:{fields}(被直接改动)", "row {id} of {table} disagrees with its journal: {fields} (changed directly)"),
    "check.lookalike": ("提醒:{what}“{name}”和“{other}”看起来是同一个名称,请核对", "note: {what} '{name}' and '{other}' look like the same name; please check"),
    "check.name_unusual": ("提醒:{what}“{name}”含全角字符、多余空格或看不见的字符,现在已不能这样输入", "note: {what} '{name}' holds full-width characters, extra spaces or invisible characters that can no longer be typed so"),
    "check.warnings": ("另有 {n} 条提醒:", "and {n} note(s):"),
    "check.head": ("日志链头 {id}:{hash}(请另行抄存,前 16 位即可;日后用 ledger check --head {id}:{short} 核对)", "journal chain head {id}:{hash} (keep it elsewhere, the first 16 digits will do; check later with ledger check --head {id}:{short})"),
    "check.head_ok": ("与记录的链头第 {id} 行一致", "agrees with the recorded head at row {id}"),
    "output.exists": ("{path} 已存在,未写入;确认要替换它请加 --force", "{path} already exists and was not written; add --force to replace it"),
    "output.not_regular": ("{path} 是{file_kind},不是普通文件;不会替换它(--force 也不会),请换一个文件名", "{path} is a {file_kind}, not a regular file; it is never replaced (not even with --force): choose another name"),
    "output.is_ledger": ("{path} 就是台账文件本身,不能把输出写到它上面", "{path} is the ledger file itself; no output is written over it"),
    "output.other_ledger": ("{path} 是一本台账文件,不会写到它上面(--force 也不会);请换一个文件名", "{path} is a ledger file; nothing is written over it (not even with --force): choose another name"),
    "output.no_folder": ("文件夹 {folder} 不存在,未写入 {path}(不会自动新建文件夹)", "folder {folder} does not exist; {path} was not written (folders are never created)"),
    "output.disk_full": ("磁盘已满,未能写入 {path};原有文件未动", "the disk is full: {path} was not written, and any file there is as it was"),
    "output.no_permission": ("没有权限写入 {path};原有文件未动", "no permission to write {path}; any file there is as it was"),
    "output.read_only": ("{path} 所在的磁盘是只读的,未写入", "the disk of {path} is read-only; nothing was written"),
    "output.in_use": ("{path} 正被另一个程序打开(如 WPS、Excel 或另一个 ledger 窗口),无法替换;请关闭它后重新运行此命令(原有文件未动)", "{path} is open in another program (WPS, Excel, another ledger window ...) and cannot be replaced; close it and run the command again (any file there is as it was)"),
    "output.too_long": ("路径 {path} 太长,无法写入;请换一个短一些的文件夹或文件名(原有文件未动)", "the path {path} is too long to write; choose a shorter folder or file name (any file there is as it was)"),
    "filename.device": ("“{name}”是 Windows 的保留设备名,不能用作文件名;请换一个名字(未写入任何内容)", "'{name}' is a device name reserved by Windows and cannot name a file; choose another name (nothing was written)"),
    "filename.bad_char": ("“{name}”含有 Windows 文件名中不能用的字符“{char}”;请换一个名字(未写入任何内容)", "'{name}' holds '{char}', which Windows does not allow in a file name; choose another name (nothing was written)"),
    "filename.bad_end": ("“{name}”以点或空格结尾,Windows 会去掉它们、写成另一个文件;请换一个名字(未写入任何内容)", "'{name}' ends in a dot or a space, which Windows drops (writing another file); choose another name (nothing was written)"),
    "file.in_use": ("{path} 正被另一个程序打开(如另一个 ledger 窗口、数据库浏览器、WPS 或 Excel);请关闭它后重新运行此命令(未写入任何内容)", "{path} is open in another program (another ledger window, a database browser, WPS, Excel ...); close it and run the command again (nothing was written)"),
    "encoding.unknown": ("LEDGER_ENCODING=“{value}”不是已知的文本编码(例如 utf-8、gb18030)", "LEDGER_ENCODING='{value}' is not a known text encoding (utf-8 or gb18030, say)"),
    "file.too_long": ("路径 {path} 太长,无法打开或新建;请换一个短一些的文件夹或文件名(未写入任何内容)", "the path {path} is too long to open or create; choose a shorter folder or file name (nothing was written)"),
    "calendar.missing_holidays": ("{year} 年的安排里没有{names}的休息日;请对照国务院通知核对,确认无误请加 --force(未加入)", "the {year} schedule has no rest days for {names}: check it against the State Council's notice, and add --force if it is right (nothing was added)"),
    "calendar.added_without": ("注意:{year} 年的安排里没有{names}的休息日(按 --force 加入)", "note: the {year} schedule has no rest days for {names} (added with --force)"),
    "import.conflict": ("编号 {number} 已在台账中,这一项不同:台账为“{ledger}”;未导入,核对后可加 --update 按文件更正", "number {number} is already in the ledger with another value here: the ledger has '{ledger}'; nothing was imported (check, then --update corrects it from the file)"),
    "import.conflict_no_step": ("编号 {number} 已在台账中,这一项不同:台账为“{ledger}”;没有一个办理环节能这样改(只能按文件更正诉求内容、类别、难易、类型),请在台账中逐步办理", "number {number} is already in the ledger with another value here: the ledger has '{ledger}'; no single step can make that change (only the text, category, difficulty and type are corrected from a file): take the steps in the ledger"),
    "import.updated": ("按文件更正 {n} 条(办理记录中记为更正/分类)", "{n} corrected from the file (recorded as correct/classify steps)"),
    "import.update_reason": ("按导入文件 {file} 更正", "corrected from the imported file {file}"),
    "undo.other_account": ("最后一次改动({action},{on})是系统账户 {account} 运行的,当前是 {current},不能撤销", "the last change ({action}, {on}) was made under the system account {account}, not {current}; it cannot be undone"),
    # --- issue 13 (sync: bundles between ledgers) ---
    "sync.needs_name": ("本台账有多个镇/街道({townships})或没有,请先用 ledger sync name 名称 给它起名", "this ledger holds several townships ({townships}) or none: name it first with ledger sync name NAME"),
    "sync.name_separator": ("台账名称“{name}”不能含冒号(它用来分隔台账名称和编号)", "ledger name '{name}' must not contain a colon (it separates a ledger's name from its numbers)"),
    "sync.named": ("本台账名称:{name}", "this ledger is now named {name}"),
    "sync.unknown_peer": ("不认识的往来台账“{name}”(先导入它的一个同步包;或不加 --to 写出全部)", "unknown ledger '{name}' (import one of its bundles first, or leave out --to to write everything)"),
    "sync.not_bundle": ("{path} 不是同步包", "{path} is not a bundle"),
    "sync.name_unsafe": ("台账名称“{name}”不能用:它会成为同步包文件名的一部分,不能含 / \\ 等文件名不允许的字符,也不能以点开头或结尾", "ledger name '{name}' cannot be used: it becomes part of bundle file names, so it may not hold / \\ or other characters file names do not allow, nor begin or end with a dot"),
    "sync.not_allowed": ("同步包 {path} 第 {id} 条事件({action})写在诉求 {number} 上,但 {writer} 无权在这件诉求上记事;整个同步包未导入", "bundle {path}, event {id} ({action}) on demand {number}: {writer} may not write on that demand; nothing of the bundle was taken in"),
    "sync.bad_content": ("同步包 {path} 内容有误:{table} 表第 {id} 行的 {what} 无法读取;整个同步包未导入,本台账未受影响", "bundle {path} is malformed: {what} of row {id} of its {table} table cannot be read; nothing of the bundle was taken in, this ledger is as it was"),
    "sync.bundle_damaged": ("同步包 {path} 已损坏({why});整个同步包未导入,本台账未受影响", "bundle {path} is damaged ({why}); nothing of it was taken in, this ledger is as it was"),
    "sync.is_ledger": ("{path} 是一本台账文件,不是同步包;整本合并请用 ledger merge {path}", "{path} is a ledger file, not a bundle: to take it whole, use ledger merge {path}"),
    "sync.bundle_format": ("{path} 是另一种格式的同步包({found}),请升级 ledger", "{path} is a bundle of another format ({found}); upgrade ledger"),
    "sync.own_bundle": ("{path} 是本台账自己写出的同步包", "{path} was written by this very ledger"),
    "sync.not_for_us": ("{path} 是写给“{to}”的同步包,不是本台账的", "{path} was made for '{to}', not for this ledger"),
    "sync.gap": ("{path} 从{name}日志 #{start} 之后开始,而本台账只收到 #{have}:中间缺了一个同步包,请先导入它,或请对方不加 --to 重新写出(未写入任何内容)", "{path} starts after {name}'s journal row #{start}, but this ledger has received only up to #{have}: a bundle in between is missing; import it first, or ask for one made without --to (nothing was written)"),
    "sync.bad_event": ("{path} 中第 #{id} 条记录(诉求 {case})不能接受:{inner};整包未导入", "row #{id} of {path} (case {case}) cannot be taken in: {inner}; nothing was imported"),
    "sync.bad_row": ("{path} 中 {table} #{id} 不能接受:{inner};整包未导入", "{table} #{id} of {path} cannot be taken in: {inner}; nothing was imported"),
    "sync.data_not_json": ("记录的内容不是一个完整的 JSON 对象", "the row's content is not a well-formed JSON object"),
    "sync.tampered": ("{path} 中第 #{id} 条记录与对方的哈希链不符(文件被改动或损坏),整包未导入", "row #{id} of {path} does not match the sender's hash chain (the file was changed or damaged); nothing was imported"),
    "sync.unknown_own": ("{path} 提到本台账的{what} {id},本台账却没有(未写入任何内容)", "{path} names this ledger's {what} {id}, which this ledger does not have (nothing was written)"),
    "sync.case_without_acceptance": ("诉求 {id} 的记录中没有受理步骤,无法建立", "the events of demand {id} hold no acceptance; it cannot be built"),
    "sync.unknown_action": ("步骤“{action}”来自更新版本的 ledger,本版本无法办理", "step '{action}' comes from a newer ledger; this version cannot apply it"),
    "sync.everyone": ("任何台账(全部)", "any ledger (everything)"),
    "sync.exported": ("已写出同步包 {path}:事件 {events} 条,涉及诉求 {demands} 件(本台账日志 #{start} 之后至 #{end}),发往 {to}", "wrote bundle {path}: {events} events on {demands} demands (this ledger's journal after #{start} up to #{end}), for {to}"),
    "sync.whole_county": ("此包含 {n} 个台账的诉求和群众信息(未脱敏);只发给一个乡镇请用 --to 乡镇名", "this bundle holds {n} ledgers' cases and people, unmasked; for one township use --to NAME"),
    "sync.no_bundles": ("文件夹 {path} 里没有同步包(*.bundle)", "no bundles (*.bundle) in the folder {path}"),
    "sync.imported_all": ("共导入同步包 {n} 个,新事件 {events} 条,新诉求 {demands} 件,已有诉求更新 {updated} 件", "{n} bundles imported: {events} new events, {demands} new demands, {updated} demands updated"),
    "sync.each_option": ("--each 与 --to 只能选一个", "--each and --to cannot be given together"),
    "sync.pages_followed": ("居民信息随其所属台账({name})更新 {n} 页(电话、住址、备注、标签)", "{n} residents' pages brought up to date by the ledger that keeps them ({name}): phone, address, note, tags"),
    "sync.imported": ("已导入同步包 {path}(来自 {name}):新事件 {events} 条,新诉求 {demands} 件,已有诉求更新 {updated} 件", "imported bundle {path} (from {name}): {events} new events, {demands} new demands, {updated} demands updated"),
    "sync.conflicts_open": ("有 {n} 个冲突待处理:ledger sync conflicts 查看", "{n} conflicts to settle: see ledger sync conflicts"),
    "sync.conflicts_hint": ("在该诉求上办一个普通步骤(如 issue resolve、issue assign)即为处理,该步骤会随同步包送达对方", "record an ordinary step on the demand (issue resolve, issue assign ...) to settle it; the step travels to the other ledger"),
    "sync.no_conflicts": ("没有待处理的冲突", "no conflicts to settle"),
    "sync.no_peers": ("还没有往来台账(导入对方的一个同步包后出现)", "no other ledger known yet (one appears once you import its bundle)"),
    "sync.me": ("本台账:{name}(标识 {id},日志至 #{head})", "this ledger: {name} (identity {id}, journal up to #{head})"),
    # ledger keys and signed bundles (io/signing)
    "sync.my_key": ("本台账密钥指纹:{fingerprint}(对方核对时念给他听)", "this ledger's key fingerprint: {fingerprint} (read it to the other side when they check it)"),
    "sync.pinned": ("首次收到 {name} 的同步包,已记下其密钥指纹 {fingerprint}:请打电话请对方运行 ledger sync status 念出指纹核对(不一致就是有人冒充,不要再导入)", "first bundle from {name}: its key fingerprint {fingerprint} is now pinned; phone them, have them read theirs from ledger sync status, a difference means someone is posing as them: import nothing more"),
    "sync.unsigned": ("{path} 没有签名(旧版本写出,或签名被去掉),整包未导入:请{name}升级 ledger 后重新导出", "{path} has no signature (made by an older ledger, or stripped); nothing was imported: ask {name} to upgrade ledger and export again"),
    "sync.bad_signature": ("{path} 的签名与内容不符(写出后被改动过),整包未导入:请{name}重新导出,并查明文件经过谁手", "{path}'s signature does not match its content (it was changed after it was written); nothing was imported: ask {name} to export again, and find out who handled the file"),
    "sync.key_changed": ("{path} 由另一把密钥签名(指纹 {found}),而{name}的密钥是 {pinned},整包未导入:打电话核对,确是对方新密钥再运行 ledger sync trust {path} --fingerprint 对方念的指纹", "{path} is signed by another key (fingerprint {found}) than {name}'s ({pinned}); nothing was imported: phone them, and only if it is their new key run ledger sync trust {path} --fingerprint THE-FINGERPRINT-THEY-READ"),
    "sync.name_taken": ("{path} 来自一本新台账,却自称已认识的“{name}”(指纹 {found}),整包未导入:打电话核对,确是对方重装的台账再运行 ledger sync trust {path} --fingerprint 对方念的指纹", "{path} comes from a new ledger that calls itself '{name}', a name already known (fingerprint {found}); nothing was imported: phone them, and only if they really started a new ledger run ledger sync trust {path} --fingerprint THE-FINGERPRINT-THEY-READ"),
    "sync.name_claimed": ("{path} 来自“{was}”,却改称另一本已认识的台账“{name}”,整包未导入:请{was}用 ledger sync name 改回自己的名称后重新导出", "{path} comes from '{was}' but now calls itself '{name}', the name of another ledger known here; nothing was imported: ask {was} to take back its own name with ledger sync name and export again"),
    "sync.fingerprint_form": ("“{given}”不是密钥指纹(应为 32 位十六进制数字,如 3f2a 91c0 …,共 8 组)", "'{given}' is not a key fingerprint (32 hex digits, as 3f2a 91c0 ..., 8 groups)"),
    "sync.fingerprint_differs": ("{path} 的密钥指纹是 {found},不是核对的 {given},未信任:不要导入,再与{name}核对", "{path}'s key fingerprint is {found}, not the {given} you checked; not trusted: do not import it, check again with {name}"),
    "sync.trusted": ("已信任{name}的密钥 {fingerprint},现在可以导入它的同步包", "{name}'s key {fingerprint} is trusted; its bundles can now be imported"),
    "sync.trusted_replaces": ("已信任{name}的新密钥 {fingerprint}(替换 {old}),现在可以导入它的同步包", "{name}'s new key {fingerprint} is trusted (it replaces {old}); its bundles can now be imported"),
    "sync.new_key": ("本台账已换新密钥,指纹 {fingerprint}(原为 {old}):往来台账会拒收新同步包,直到对方打电话核对此指纹并运行 ledger sync trust", "this ledger has a new key, fingerprint {fingerprint} (was {old}): the ledgers it sends to refuse its bundles until each checks this fingerprint by phone and runs ledger sync trust"),
    "sync.trusted_already": ("{name}的密钥 {fingerprint} 早已信任,未作改动", "{name}'s key {fingerprint} was trusted already; nothing changed"),
    "check.sync_conflict": ("诉求 {number} 有未处理的同步冲突:{on} 的“{action}”未生效(ledger sync conflicts)", "demand {number} has an unsettled sync conflict: the {action} of {on} was not applied (ledger sync conflicts)"),
    "undo.already_sent": ("这一步已随同步包发给 {name},不能撤销;请办一个更正步骤", "this step was already sent to {name} in a bundle and cannot be undone; record a correcting step instead"),
    "history.recorded_at": ("(记于{name})", " (recorded at {name})"),
    "history.conflict": ("〔冲突,未生效〕", " [conflict, not applied]"),
    # --- issue 16 (pairing, coverage) ---
    "village.key_already": ("{name} 已是重点村(未改动)", "{name} is a key village already (nothing changed)"),
    "village.key_not": ("{name} 不是重点村(未改动)", "{name} is not a key village (nothing changed)"),
    "ok.key": ("已将 {name} 设为重点村", "{name} is now a key village"),
    "ok.key_off": ("{name} 不再是重点村", "{name} is no longer a key village"),
    "pair.village_or_resident": ("--village 和 --resident 只能给一个:包村用 --village,联户用 --resident", "give --village or --resident, not both: --village pairs with a village, --resident with a household"),
    "pair.needs_target": ("请给出 --village(包村)或 --resident(联户)", "give --village (a village) or --resident (a household)"),
    "pair.cadre_or_unit": ("请给出 --cadre 或 --unit 之一", "give one of --cadre or --unit"),
    "pair.household_cadre": ("联户只能由干部包联:请用 --cadre", "a household is paired with a cadre: use --cadre"),
    "pair.needs_role": ("包村请给出 --role(如 县级领导、县级部门、镇主要领导、镇科级领导、包村干部)", "pairing with a village needs --role (e.g. 县级领导, 县级部门, 镇主要领导, 镇科级领导, 包村干部)"),
    "pair.exists": ("这一包联已经存在(#{id}),未重复添加", "this pairing exists already (#{id}); nothing was added"),
    "pair.number": ("“{value}”不是包联编号(如 3 或 #3,见 ledger pair list)", "'{value}' is not a pairing number (e.g. 3 or #3; see ledger pair list)"),
    "pair.unknown": ("没有包联 #{id}(见 ledger pair list)", "no pairing #{id} (see ledger pair list)"),
    "ok.pair": ("已添加包联 #{id}:{target} ← {who}({role})", "pairing #{id} added: {target} ← {who} ({role})"),
    "ok.pair_removed": ("已移除包联 #{id}:{target} ← {who}({role})", "pairing #{id} removed: {target} ← {who} ({role})"),
    "coverage.week_or_range": ("--week 与 --from/--to 只能用一种", "give --week or --from/--to, not both"),
    "coverage.needs_from": ("给了 --to 也请给 --from", "--to needs --from"),
    "coverage.period": ("{start} 至 {end},数据截至 {as_of}", "{start} to {end}, as of {as_of}"),
    "coverage.rest_day": ("本周星期二({day})是休息日:台账周不变,本周内任一天的走访都计入", "this week's Tuesday ({day}) is a rest day: the ledger week stays as it is, and a visit on any day of it counts"),
    "coverage.key_line": ("重点村 {total} 个,包联人全部到村的 {visited} 个", "key villages: {visited} of {total} visited by everyone paired with them"),
    "coverage.no_key": ("还没有重点村(ledger village key 村名)", "no key villages yet (ledger village key NAME)"),
    "coverage.households_window": ("联户:近 {days} 日({since} 至 {as_of})由包联干部走访", "households: visited by their cadre in the last {days} days ({since} to {as_of})"),
    "coverage.no_households": ("没有联系户的干部 {n} 名:{names}", "{n} cadre(s) with no households paired: {names}"),
    "coverage.never": ("从未走访", "never"),
    "coverage.more": ("……另有 {n} 个未列出;完整清单见 --format csv 或 --format json", "… {n} more not shown; --format csv or --format json lists them all"),
    "coverage.yes": ("是", "yes"),
    "coverage.no": ("否", "no"),
    "visit.resident_or_org": ("--resident 和 --org 只能给一个", "give --resident or --org, not both"),
    "summary.key_villages": ("重点村本周走访:{visited}/{total} 个到位", "key villages this week: {visited} of {total} visited"),
    "summary.key_missed": (";未到位:{names}", "; missed: {names}"),
    # --- issue 15 (both ways, the Tuesday meeting) ---
    "step.close.followups_missing": ("诉求 {number} 还差 {missing} 次回访才能销号(需回访 {required} 次,已回访 {done} 次)", "demand {number} needs {missing} more follow-up(s) before it can be closed ({required} required, {done} done)"),
    "step.decide.assign_not_open": ("诉求 {number} 当前{status},会议不能同时交办(只记研判意见时不加 --unit)", "demand {number} is {status}: the meeting cannot assign it (record the decision without --unit)"),
    "meeting.unknown": ("没有会议 #{value}(ledger meeting list 查看已记录的会议)", "there is no meeting #{value} (ledger meeting list shows those recorded)"),
    "meeting.decide_before": ("研判日期 {on} 早于会议 #{id} 的日期 {held_on}", "the decision's date {on} is before meeting #{id} ({held_on})"),
    "meeting.deadline_past": ("会议定的时限 {due_on} 早于研判日期 {on}", "the meeting's deadline {due_on} is before the decision's date {on}"),
    "ok.meeting_added": ("#{id}", "#{id}"),
    "ok.decided": ("已记录会议 #{meeting} 对诉求 {number} 的研判意见(状态:{status})", "decision of meeting #{meeting} on demand {number} recorded (status: {status})"),
    "agenda.title": ("研判议题(会议日 {date},新受理自 {since})", "Agenda (meeting of {date}, new since {since})"),
    "meeting.co_unit_needs_unit": ("--co-unit 要与 --unit 同用(会议同时交办时)", "--co-unit goes with --unit (when the meeting assigns the case)"),
    "import.locality_without_lead": ("有属地时必须写明牵头单位(属地与责任单位一同交办)", "a locality needs a lead unit (it is assigned with it)"),
    "check.locality_reference": ("诉求 {number} 的属地不是台账中的村/社区", "demand {number} has a locality that is not a village of this ledger"),
    "check.meeting_reference": ("诉求 {number} 的研判记录所指的会议不在台账中", "demand {number} has a decision of a meeting that is not in the ledger"),
    "agenda.count": ("共 {n} 件:{counts}", "{n} cases: {counts}"),
    # --- issue 14 (workbooks) ---
    "xlsx.as_of": ("数据截至 {day}", "as of {day}"),
    "xlsx.range": ("{start} 至 {end}", "{start} to {end}"),
    "xlsx.all_dates": ("全部日期", "all dates"),
    "xlsx.page": ("第 &P 页,共 &N 页", "Page &P of &N"),
    "xlsx.count": ("{n} 件", "{n}"),
    "xlsx.week": ("{start} 至 {end}", "{start} to {end}"),
    "xlsx.none": ("(无)", "(none)"),
    "xlsx.written": ("已写入 {path}", "written to {path}"),
    "xlsx.format_conflict": ("文件名 {path} 是 Excel 工作簿,而 --format 是 {fmt};去掉 --format 或改用 --format xlsx", "{path} is an Excel workbook but --format is {fmt}: leave out --format or give --format xlsx"),
    "trend.weeks": ("周数应在 1 到 {most} 之间,不是 {n}", "weeks must be from 1 to {most}, not {n}"),
    "trend.title": ("每周趋势:受理、办结、超期(台账周为星期二至下星期一)", "Weekly trend: received, resolved, overdue (ledger weeks, Tuesday to Monday)"),
    "import.xlsx_number": ("“{column}”是数字格式,号码可能已丢失位数(数字只保留 15 位有效数字,开头的 0 也会丢掉);请把该列设为“文本”格式并重新填写号码", "{column} is a number, not text: digits may be lost (a number keeps only 15 digits, and no leading 0); format the column as Text and type the numbers again"),
    "import.no_sheet": ("工作簿中没有工作表“{name}”", "the workbook has no sheet {name}"),
    "import.sheet_not_csv": ("--sheet 只用于 Excel 工作簿(.xlsx),{path} 不是工作簿", "--sheet is for Excel workbooks (.xlsx); {path} is not one"),
    "import.bad_cell": ("无法读取 Excel 工作簿 {path} 的单元格 {cell}({why});未导入任何内容", "cannot read cell {cell} of the Excel workbook {path} ({why}); nothing was imported"),
    "import.no_worksheet": ("Excel 工作簿 {path} 中没有工作表;未导入任何内容", "the Excel workbook {path} has no worksheet; nothing was imported"),
    "import.bad_workbook": ("无法读取 Excel 工作簿 {path}:{why};未导入任何内容", "cannot read the Excel workbook {path}: {why}; nothing was imported"),
    "import.xls": ("这是旧版 Excel 工作簿(.xls);请在 Excel 中“另存为”.xlsx 或 CSV UTF-8 后再导入,未导入任何内容", "this is an old Excel workbook (.xls): save it as .xlsx or CSV UTF-8 in Excel and import that; nothing was imported"),
    # --- issue 16 (duplicates, merge, repeats, pinyin) ---
    "resident.phone_taken": ("这个电话已登记为 {page};是同一个人请用 resident show 查看(未登记)", "this phone is already registered as {page}; if it is the same person, see resident show (nothing was added)"),
    "resident.namesake": ("{village}已有同名群众“{name}”;是另一个人加 --new,是同一个人加 --same(未登记)", "{village} already has a resident called '{name}': --new if this is another person, --same if it is the same one (nothing was added)"),
    "resident.new_or_same": ("--new 和 --same 只能用一个", "use either --new or --same, not both"),
    "resident.same_none": ("{village}没有叫“{name}”的群众,去掉 --same 即可登记", "{village} has no resident called '{name}'; leave out --same to add one"),
    "resident.same_which": ("{village}有多位群众叫“{name}”,--same 无法确定是哪一位;请用 resident tag 等命令按编号处理", "{village} has several residents called '{name}', so --same cannot tell which; use their numbers"),
    "resident.same_differs": ("#{id} {name} 已登记的{what}与所填不同,未改动(--same 只补空缺,不覆盖)", "#{id} {name} has another {what} already; nothing was changed (--same fills only what is missing)"),
    "resident.same_used": ("用已有的 #{id} {name}(补登 {changed} 项)", "using #{id} {name} ({changed} added)"),
    "resident.merge_self": ("两个都是 #{id},无需合并", "both are #{id}: nothing to merge"),
    "resident.merge_two_people": ("{a} 和 {b} 的身份证号不同,是两个人,未合并", "{a} and {b} have different ID numbers: two people, not merged"),
    "resident.merged_ok": ("{gone} 已并入 {into}:走访 {visits} 次、诉求 {demands} 件(可用 ledger undo 撤销)", "{gone} merged into {into}: {visits} visits, {demands} demands (ledger undo takes it back)"),
    "resident.merged": ("#{id} {name} 已并入 #{into},请查看 #{into}", "#{id} {name} was merged into #{into}: see #{into}"),
    "resident.merged_from": ("并入的页", "Pages merged in"),
    "pinyin.ambiguous": ("“{name}”对应多个{what},请写明是哪一个", "'{name}' matches several of {what}; say which one"),
    "repeat.possible": ("注意:{number} 可能是重复诉求({n} 件相似):{found}", "note: {number} may repeat {n} earlier demand(s): {found}"),
    "repeat.one": ("{number}(相似度 {similarity},{status})", "{number} ({similarity}% alike, {status})"),
    "repeat.later": ("{number} 的受理日期晚于 {on},不能是它的前一件", "{number} was received after {on}: it cannot be the earlier demand"),
    "import.likely_duplicate": ("可能与台账中的 {number} 重复(同村、同类别、同受理日期,内容相似度 {similarity});确认不是重复请加 --allow-duplicates", "likely a duplicate of {number} in the ledger (same village, category and day received, {similarity}% alike); add --allow-duplicates if it is not"),
    # --- issue 14 (printed notices) ---
    "doc.written": ("已写入{document}:{path}(已记入办理记录)", "{document} written: {path} (recorded in the journal)"),
    "doc.unmasked": ("注意:文书中的电话和身份证号未打码(已记入日志),请妥善保管", "note: phones and ID numbers are not masked in the document (journaled); keep it safe"),
    "doc.not_assigned": ("诉求 {number} 还没有交办给责任单位,没有可打印的交办单/催办通知书;请先 issue assign", "demand {number} is not assigned to a unit: there is no notice to print (issue assign first)"),
    "doc.urge_not_live": ("诉求 {number} 当前{status},不需要催办", "demand {number} is {status}: there is nothing to urge"),
    "doc.urge_not_due": ("诉求 {number} 还没有超期(办理时限 {due}),也没有催办记录;要提前催办,请先 issue urge 记一次催办", "demand {number} is not overdue (deadline {due}) and has not been urged; to urge it early, record the urge first (issue urge)"),
    "doc.follow_up_none": ("{start} 至 {end} 没有办结的诉求,未生成回访记录表", "no demand was resolved from {start} to {end}: no follow-up sheet written"),
    "doc.reason_none": ("群众经{channel}反映，按职责交办", "raised through {channel}, assigned by responsibility"),
    "doc.channel_unknown": ("走访", "a visit"),
    "doc.quality_default": ("请牵头单位及时签收，会同配合单位在办理时限内办结；办理中及时告知群众办理进度，不能按期办结的书面说明原因；办结后将办理结果和群众反馈情况书面报送交办单位。", "The lead unit signs for the case at once and, with the cooperating units, resolves it by the deadline; keeps the resident told of its progress, explains in writing any delay, and reports the result and the resident's feedback in writing."),
    "doc.urge_default": ("请你单位接此通知后立即组织力量办理，尽快办结，并将办理结果和群众反馈情况书面报送；确有困难不能办结的，请书面说明原因和下一步措施。", "Please act on it at once, resolve it as soon as possible and report the result and the resident's feedback in writing; if it cannot be resolved, explain why and what comes next in writing."),
    "doc.template_not_docx": ("{file} 不是 Word 的 .docx 文件,未安装", "{file} is not a Word .docx file; nothing was installed"),
    "doc.template_too_big": ("模板的循环太多或运行太久(最多 {iterations} 次循环、{seconds:g} 秒),已停止", "the template loops too much or runs too long (at most {iterations} iterations, {seconds:g} seconds); stopped"),
    "doc.template_bomb": ("{file} 不能用作模板:循环太多或运行太久(最多 {iterations} 次循环、{seconds:g} 秒),未安装", "{file} cannot be used as a template: it loops too much or runs too long (at most {iterations} iterations, {seconds:g} seconds); nothing was installed"),
    "doc.template_broken": ("{file} 不能用作模板({why}),未安装", "{file} cannot be used as a template ({why}); nothing was installed"),
    "doc.template_unknown": ("{file} 里有不认识的占位符:{names};未安装(占位符见 README)", "{file} names placeholders that do not exist: {names}; nothing was installed (placeholders: README)"),
    "doc.template_unreadable": ("读不了 {file}:{why}", "cannot read {file}: {why}"),
    "doc.template_installed": ("已安装本镇的{document}模板 {file}(SHA-256 {sha}…),存在台账中", "the township's {document} template {file} installed (SHA-256 {sha}…), kept in the ledger"),
    "doc.template_reset": ("{document}已恢复为默认模板(原为 {file})", "{document} is back to the default template (was {file})"),
    "doc.template_is_default": ("{document}用的已是默认模板", "{document} uses the default template already"),
    "check.template_disagrees": ("文书模板 {kind} 与办理日志记录的安装不一致(被改动过)", "the {kind} notice template is not what its journal recorded installing (changed since)"),
    "doc.template_exported": ("已导出{document}模板:{path}", "{document} template exported: {path}"),
}
# --- issue 16 (duplicates, merge, repeats, pinyin) ---
LABELS["what"].update({"phone": ("电话", "phone"), "id_number": ("身份证号", "ID number")})
LABELS["col"].update({"repeats": ("重复投诉", "Repeats"),
                      "repeat_demands": ("重复诉求", "Repeat demands"),
                      "repeat_of": ("重复于", "Repeat of")})
LABELS["action"].update({
    "merge_resident": ("并入同一人的一页", "resident pages merged"),
    "update": ("补登", "filled in"), "merged": ("并入他页", "merged into another page"),
    "resident": ("改走访对象(合并)", "resident changed (merge)"),
})

# Click's own words (usage, errors, help) in Chinese, by the English text click asks gettext
# for (ledger.terminal.speak); with --lang en click speaks its own English.
CLICK_WORDS: dict[str, str] = {
    "Usage:": "用法:", "Options": "选项", "Commands": "命令", "Arguments": "参数",
    "Show this message and exit.": "显示此帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "用 {command} {option} 查看用法。",
    "No such command {name!r}.": "没有命令“{name}”",
    "No such option {name!r}.": "没有选项“{name}”",
    "Did you mean {possibility}?": "是不是要用 {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(是不是要用:{possibilities}?)",
    "Missing argument": "缺少参数", "Missing option": "缺少选项",
    "Missing parameter": "缺少参数", "Missing command.": "缺少命令。",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "Invalid value: {message}": "值不对:{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值不对:{message}",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的{number_type}",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内",
    "{value!r} is not {choice}.": "“{value}”不是 {choice}",
    "{value!r} is not one of {choices}.": "“{value}”不是 {choices} 之一",
    "Option {name!r} requires an argument.": "选项“{name}”需要一个值",
    "Option {name!r} requires {nargs} arguments.": "选项“{name}”需要 {nargs} 个值",
    "Option {name!r} does not take a value.": "选项“{name}”不带值",
    "Got unexpected extra argument ({args})": "多出了参数({args})",
    "Got unexpected extra arguments ({args})": "多出了参数({args})",
    "Argument {name!r} takes {nargs} values.": "参数“{name}”需要 {nargs} 个值",
    "Aborted!": "已中止", "default: {default}": "默认:{default}", "required": "必填",
    "env var: {var}": "环境变量:{var}", "(dynamic)": "(动态)",
    "{name} {filename!r} is a directory.": "{name}“{filename}”是一个文件夹",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在",
    "{name} {filename!r} is a file.": "{name}“{filename}”是一个文件",
    "{name} {filename!r} is not readable.": "{name}“{filename}”不可读",
    "{name} {filename!r} is not writable.": "{name}“{filename}”不可写",
    "file": "文件", "directory": "文件夹", "path": "路径",
    "Install completion for the current shell.": "为当前 shell 安装命令补全。",
    "Show completion for the current shell, to copy it or customize the installation.":
        "显示当前 shell 的补全脚本,可复制或自行安装。",
}

# Click's finished messages (typer's copy of click writes most of them without gettext), as
# patterns and their Chinese; tried in order, the first that matches wins.
CLICK_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"No such command '(?P<a>.*)'\.?", "没有命令“{a}”"),
    (r"No such option: (?P<a>\S+)", "没有选项 {a}"),
    (r"Missing argument '(?P<a>.*)'\.?", "缺少参数 {a}"),
    (r"Missing option '(?P<a>.*)'\.?", "缺少选项 {a}"),
    (r"Missing parameter: (?P<a>.*)", "缺少参数 {a}"),
    (r"Missing command\.?", "缺少命令"),
    (r"Invalid value for '?(?P<a>[^:']+)'?: '(?P<b>.*)' is not a valid (?:int|integer)\.?",
     "{a} 的值“{b}”不是整数"),
    (r"Invalid value for '?(?P<a>[^:']+)'?: '(?P<b>.*)' is not a valid float\.?",
     "{a} 的值“{b}”不是数字"),
    (r"Invalid value for '?(?P<a>[^:']+)'?: (?P<b>.*) is not in the range (?P<c>.*)\.",
     "{a} 的值 {b} 不在 {c} 之内"),
    (r"Invalid value for '?(?P<a>[^:']+)'?: (?:File|Path|Directory) '(?P<b>.*)' is a directory\.",
     "{a}:“{b}”是一个文件夹,不是文件"),
    (r"Invalid value for '?(?P<a>[^:']+)'?: (?:File|Path) '(?P<b>.*)' does not exist\.",
     "{a}:文件“{b}”不存在"),
    (r"Invalid value for '?(?P<a>[^:']+)'?: (?P<b>.*)", "{a} 的值不对:{b}"),
    (r"Option '(?P<a>.*)' requires an argument\.", "选项 {a} 需要一个值"),
    (r"Option '(?P<a>.*)' does not take a value\.", "选项 {a} 不带值"),
    (r"Got unexpected extra arguments? \((?P<a>.*)\)", "多出了参数:{a}"),
)

_LABEL_PARAMS = {"what": "what", "status": "status", "level": "level", "unit_level": "level",
                 "action": "action", "file_kind": "file_kind"}

# --- issue 14 (printed notices) ---
LABELS["action"]["print"] = ("打印文书", "printed")
LABELS["what"]["document"] = ("文书", "document")
LABELS["document"] = {"assign": ("交办单", "assignment notice"), "urge": ("催办通知书", "urge notice"),
                      "follow-up": ("回访记录表", "follow-up sheet"), "resident": ("一人一账", "resident page")}
LABELS["doc_source"] = {"ledger": ("本台账安装", "installed here"), "default": ("默认", "default")}
LABELS["col"].update({"document": ("文书", "Document"), "template": ("模板", "Template"),
                      "title": ("名称", "Name"), "source": ("来源", "Source"), "file": ("文件", "File"),
                      "sha256": ("SHA-256", "SHA-256"), "installed_on": ("安装日期", "Installed"),
                      "installed_by": ("安装人", "By")})
LABELS["title"]["templates"] = ("文书模板", "Templates of the printed notices")
_LABEL_PARAMS["document"] = "document"  # a kind of document named in a message


def label(kind: str, value: Any, lang: str = "zh") -> str:
    if kind in vocabulary.TABLE:
        return vocabulary.label(kind, value, lang)
    if value is None:
        return ""
    pair = LABELS.get(kind, {}).get(str(value))
    if pair is None:
        return str(value)
    return pair[1 if lang == "en" else 0]


def strict() -> bool:
    """Whether an unknown message key is an error (``LEDGER_STRICT_I18N``, set by the
    tests) rather than shown as itself, as it is to a clerk."""
    return bool(os.environ.get("LEDGER_STRICT_I18N"))


def _is_refusal(key: str) -> bool:
    """``step.<action>.from_<status>`` for a real step and status: refusals without a
    message of their own are told with the generic ``step.refused``."""
    from .lifecycle import ACTIONS

    parts = key.split(".")
    return (len(parts) == 3 and parts[0] == "step" and parts[1] in ACTIONS
            and parts[2].startswith("from_")
            and parts[2].removeprefix("from_") in vocabulary.values("status"))


ECHO_MAX = 80  # characters of a value a message echoes (a 100,000-character cell is cut)
# Parameters that are not values typed or read but the ledger's own words, or a path the
# clerk needs whole to find the file.
# ``inner``: a message of the ledger's own, its values shortened already.
_WHOLE = frozenset({"path", "folder", "source", "fields", "steps", "command", "hash", "inner"})


def shorten(value: Any, n: int = ECHO_MAX) -> Any:
    """A value as a message echoes it: a string cut to ``n`` characters, ending in …, a
    control character, escape sequence or text-direction override in it shown as its code
    (``\\x1b``), so that an echoed value is one line and never acts on the terminal."""
    if isinstance(value, str):
        if len(value) > n:
            value = value[: n - 1] + "…"
        if _UNSEEN.search(value):
            value = _UNSEEN.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 256
                                else f"\\u{ord(m[0]):04x}", value)
    return value


_UNSEEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _echoed(key: str, value: Any, sep: str) -> Any:
    """A parameter as a message shows it: a list of names joined whole (each name cut, never
    the list in the middle of a name), the choices kept a list, anything else ``shorten``."""
    if key in _WHOLE:
        return value
    if isinstance(value, (list, tuple)):
        items = [shorten(c) for c in value]
        return items if key == "choices" else sep.join(str(c) for c in items)
    return shorten(value)


def t(key: str, lang: str = "zh", **params: Any) -> str:
    i = 1 if lang == "en" else 0
    sep = ", " if lang == "en" else "、"
    params = {k: _echoed(k, v, sep) for k, v in params.items()}
    if key in MESSAGES:
        template = MESSAGES[key][i]
    elif strict() and not _is_refusal(key):
        raise KeyError(key)
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
        hint = MESSAGES["hint.nearest" if key == "unknown" else "hint.choices"][i]
        text += hint.format(choices=sep.join(str(c) for c in choices))
    return text


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
