#!/usr/bin/env python3
"""Generate a realistic synthetic county ledger for the benchmarks.

    python benchmarks/generate.py --demands 1000000 --out /tmp/ledger-bench/county.db

A county-level social work department's merged ledger: 18 townships (镇, 乡, 街道), about
300 villages and communities with their grids, 40 units at county, township and village
level, their cadres, N/5 residents (Chinese names, valid fictional mobile numbers and ID
numbers, some tags), visits (民情走访, heavier on Tuesdays), and N demands received from
2023-01-03 to 2026-11-17 (the pinned "today" of the benchmarks), growing year by year, with
Chinese text and realistic mixes of categories, channels, types, difficulty, levels and
outcomes: most settled on the spot or resolved and closed, some escalated once or twice,
assigned with co-units, whistled, extended, suspended, returned, reopened after 不满意,
some still open or suspended.

The file is a real ledger: it is created by ``ledger.storage.open_ledger`` (migrations and
seeds applied), every demand's journal is built step by step and folded with
``ledger.lifecycle.apply`` (a step the lifecycle refuses is a bug here, and stops the run),
the stored row is ``services.demands.to_row`` of that state, and its deadline is
``ledger.deadlines.demand_deadline`` under ``pick_policy`` of the ledger's policies. Journal
rows are written as ``Journal.write`` writes them, in date order as a ledger kept day by
day would hold them. A sample of demands is replayed at the end to check all this.

This is a benchmark tool, not part of the package; CI does not run it.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import heapq
import itertools
import json
import random
import sqlite3
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from ledger import lifecycle
from ledger.deadlines import demand_deadline, pick_policy
from ledger.services.clocks import load_calendar, load_policies
from ledger.services.demands import state_of, to_row
from ledger.store.journal import chain_hash, demand_events, head
from ledger.services import open_ledger

SETUP = date(2022, 12, 1)   # the registers are entered in December 2022
START = date(2023, 1, 3)    # the first demand (a Tuesday, 民情走访日)
TODAY = date(2026, 11, 17)  # the benchmarks' pinned today (a Tuesday)
HORIZON = TODAY + timedelta(days=400)  # steps are planned past today, then cut at today
RECENT_WEEKS = 13  # --history multiplies the demands received before these last weeks

# --- names and words -----------------------------------------------------------------------

TOWNSHIPS = [
    "城关街道", "东城街道", "西关街道", "南湖街道", "青石镇", "柳河镇", "白沙镇", "龙泉镇",
    "桃源镇", "清水镇", "石门镇", "新桥镇", "双河镇", "金山镇", "枫林镇", "长乐镇",
    "黄土岭乡", "大王庄乡",
]
_V1 = "东西南北上下前后大小新老高白黄李王张刘陈杨石柳桃杏梨枣松柏枫马龙凤金"
_V2 = "坪岭桥溪湾庄营屯沟河坡台寨堡店集园塘洼井峪湖山林"
GRID_NAMES = {"村": ["一组", "二组", "三组", "四组", "五组", "六组"],
              "社区": ["一网格", "二网格", "三网格", "四网格", "五网格", "六网格"]}

COUNTY_UNITS = [
    "县住建局", "县自然资源局", "县生态环境分局", "县民政局", "县水利局", "县交通运输局",
    "县人社局", "县农业农村局", "县市场监管局", "县卫健局", "县教育局", "县信访局",
    "县公安局", "县司法局",
]
VILLAGE_UNITS = 8  # village committees registered as units (村委会/居委会)

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹")
_GIVEN = ("秀兰 建国 桂英 玉兰 淑珍 国强 志强 秀英 春梅 海燕 建华 卫东 丽华 红梅 国华 建军 "
          "桂兰 凤英 明 伟 芳 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 超 霞 平 刚 辉 玲 鹏 华 "
          "浩然 子涵 欣怡 梓轩 雨桐 宇航 佳怡 俊杰 思远 晓燕 立新 德明 长生 福来 金凤 "
          "翠花 大山 二妮 永红 文斌 志刚 玉珍 秀芳 红霞 振华 宏伟 雪梅 兰英 素芬 德胜 "
          "保国 建平 小燕 春生 秋菊 冬梅 学军 建设 爱民 新民 海波 晓明 丽娟 宇 浩 鑫 婷").split()
TAGS = ["独居老人", "困难群体", "留守儿童", "残疾人", "退役军人", "低保户", "特困供养",
        "重点关注", "空巢老人", "外出务工"]
TAG_WEIGHTS = [20, 18, 8, 10, 8, 12, 3, 4, 10, 7]
ROADS = ["幸福路", "建设路", "人民路", "解放路", "滨河路", "工业路", "团结路", "S231省道",
         "X015县道", "G107国道", "学府路", "青年路"]
PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                  "152", "155", "157", "158", "159", "176", "177", "180", "181", "182", "183",
                  "186", "187", "188", "189", "199"]
REGION_CODES = ["410926", "410927", "410928"]  # a fictional county's codes
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

EXTRA_CATEGORIES = ["社会保障", "农业生产", "教育卫生"]
EXTRA_CHANNELS = ["便民服务中心窗口", "镇长接待日"]

# category: (weight, share of complex, county unit(s) that handle it, templates)
CATEGORIES: dict[str, tuple[float, float, list[str], list[str]]] = {
    "邻里纠纷": (12, .10, ["县司法局"], [
        "与邻居{nb}因{thing}发生争执,双方互不相让,请求村里出面调解",
        "邻居{nb}在两家之间的通道上堆放柴草杂物,出行不便,多次协商无果",
        "{nb}家翻建房屋时损坏我家院墙,要求赔偿未果",
        "与{nb}家因{thing}问题长期不和,近日再次发生口角,担心矛盾激化"]),
    "宅基地地界": (6, .30, ["县自然资源局"], [
        "与{nb}家宅基地界址不清,对方翻建房屋时占用我家约{n}0公分",
        "老宅基地四至与确权登记证书不一致,申请重新核实",
        "{g}两户因宅基地边界争议,对方在界址上砌墙,请求现场测量"]),
    "婚姻家庭": (4, .10, ["县司法局"], [
        "子女长期不履行赡养义务,老人生活无着落,请求协调赡养费",
        "兄弟{n}人对老人赡养分工有分歧,请求村里出面协调",
        "夫妻感情不和,一方长期外出不归,请求调解家庭矛盾"]),
    "土地征用": (4, .45, ["县自然资源局"], [
        "{road}拓宽工程征用我家承包地{n}亩,补偿款至今未到位",
        "对土地征收补偿标准有异议,要求公开补偿明细",
        "征地后青苗补偿未发放到户,请求核实"]),
    "回迁安置": (2, .55, ["县住建局"], [
        "回迁安置房迟迟不能交付,过渡费已停发{n}个月",
        "安置房分配顺序有疑问,要求公开选房结果",
        "回迁房屋面积与协议不符,请求复核"]),
    "物业": (5, .10, ["县住建局"], [
        "小区物业不作为,{n}号楼电梯经常故障,老人上下楼困难",
        "物业费上涨未经业主大会同意,要求物业公开收支",
        "小区地下车库积水,物业长期不处理"]),
    "环境卫生": (10, .05, ["县生态环境分局"], [
        "{g}垃圾收集点清运不及时,天热异味很大",
        "村口河道漂浮垃圾较多,希望组织清理",
        "{road}旁有人长期倾倒建筑垃圾",
        "养殖户粪污直排沟渠,周边气味难闻"]),
    "噪声/油烟扰民": (5, .10, ["县生态环境分局"], [
        "楼下烧烤店油烟直排,夜间噪声大,影响休息",
        "附近工地夜间施工,噪声扰民",
        "广场舞音响声音过大,影响老人和孩子休息"]),
    "养犬": (3, .05, ["县公安局"], [
        "邻居家犬只未拴养,多次追咬路人",
        "小区内流浪狗增多,存在安全隐患",
        "{nb}家饲养大型犬,夜间吠叫扰民"]),
    "违章搭建": (5, .35, ["县住建局", "县自然资源局"], [
        "{nb}在公共通道上违章搭建彩钢棚",
        "有人在河道管理范围内私搭乱建",
        "小区楼顶有住户违规加盖房屋"]),
    "基础设施": (15, .25, ["县住建局", "县交通运输局", "县水利局"], [
        "{g}路灯坏了{n}盏,晚上出行不便",
        "{road}路面破损严重,雨天积水",
        "自来水水压不足,用水高峰时段经常停水",
        "村里饮水管道老化漏水,请求维修",
        "屋顶漏水,房屋年久失修,请求帮助维修",
        "{g}桥梁护栏损坏,存在安全隐患",
        "排水沟堵塞,下雨时院子进水"]),
    "生活困难": (10, .15, ["县民政局"], [
        "家中老人患重病,医疗费负担重,咨询低保和临时救助政策",
        "独居老人,行动不便,希望提供上门服务",
        "因病致贫,申请纳入低保",
        "残疾人两项补贴未按时发放",
        "冬季取暖困难,请求帮助"]),
    "信访积案": (1, 1.0, ["县信访局"], [
        "多年前{road}工程征地补偿遗留问题,多次上访未解决",
        "企业改制后养老保险接续问题长期未解决",
        "十余年前的宅基地审批纠纷,要求重新处理"]),
    "公共安全": (4, .20, ["县公安局", "县交通运输局"], [
        "{road}与{road2}交叉路口无信号灯,事故多发",
        "村里电线私拉乱接,存在火灾隐患",
        "学校门口上下学时段交通拥堵,存在安全隐患"]),
    "法治宣传": (2, .0, ["县司法局"], [
        "希望村里多开展防范电信诈骗宣传",
        "咨询遗嘱继承方面的法律问题",
        "咨询劳动合同纠纷如何申请仲裁"]),
    "意见建议": (6, .05, ["县住建局", "县交通运输局"], [
        "建议在{g}增设健身器材",
        "建议村务公开栏及时更新",
        "建议增加进城公交班次",
        "建议在{road}增设减速带"]),
    "社会保障": (3, .10, ["县人社局"], [
        "咨询城乡居民养老保险缴费档次",
        "医保异地报销比例咨询",
        "灵活就业人员社保补贴如何申请"]),
    "农业生产": (2, .10, ["县农业农村局", "县水利局"], [
        "承包地灌溉渠道堵塞,影响春耕",
        "咨询农机购置补贴申领",
        "农资价格上涨,希望组织统一采购"]),
    "教育卫生": (1, .10, ["县教育局", "县卫健局"], [
        "孩子入学学位紧张,咨询就近入学政策",
        "村卫生室药品不全,希望增加常用药",
        "校车接送时间不合理,请求调整"]),
}
THINGS = ["排水沟走向", "院墙滴水", "门前堆放杂物", "共用通道", "树木遮挡采光", "鸡鸭散养",
          "空调外机噪声", "地界石", "水井使用"]
RESULTS = {
    "邻里纠纷": ["经村调解委员会调解,双方达成和解协议", "已组织双方面对面协商,矛盾化解"],
    "宅基地地界": ["已会同自然资源所现场测量,按确权界址确定边界", "双方签订界址确认书"],
    "婚姻家庭": ["已调解,子女签订赡养协议", "已联系妇联共同调解,家庭关系缓和"],
    "土地征用": ["补偿款已核实发放到户", "已向群众公开补偿标准和明细"],
    "回迁安置": ["已督促开发商按期交付,过渡费补发到位", "已公开选房结果并解释政策"],
    "物业": ["已约谈物业公司,电梯已维修", "已组织业主大会协商物业费"],
    "环境卫生": ["已安排保洁人员清运", "已组织人员清理并设置警示牌"],
    "噪声/油烟扰民": ["已督促商户安装油烟净化设施", "已协调施工方调整作业时间"],
    "养犬": ["已督促犬主拴养并办理犬证", "已联系相关部门收容流浪犬"],
    "违章搭建": ["违章建筑已拆除", "已下达限期整改通知书,当事人已自行拆除"],
    "基础设施": ["已维修完毕", "已纳入今年维修计划并完成施工", "已更换损坏设施"],
    "生活困难": ["已纳入低保", "已申请临时救助并发放到位", "已安排志愿者定期上门服务"],
    "信访积案": ["经联合接访,依法依规作出处理意见,群众息诉罢访", "已召开听证会,问题得到解决"],
    "公共安全": ["已设置警示标志和减速带", "已排除隐患"],
    "法治宣传": ["已开展专题宣传", "已安排律师当面解答"],
    "意见建议": ["建议已采纳并落实", "已向群众说明情况,纳入下一步工作计划"],
    "社会保障": ["已当面讲解政策", "已协助办理"],
    "农业生产": ["已组织清淤", "已协助办理补贴申请"],
    "教育卫生": ["已协调教育部门解决", "已补充常用药品"],
}
FEEDBACK = ["电话告知群众", "当面反馈", "群众表示认可", "上门反馈处理结果", None]
CHANNELS = {  # channel: weight
    "入户走访": 28, "在村接访": 11, "带案下访": 3, "民情联系卡": 5, "意见箱": 2, "工作电话": 10,
    "网格群": 10, "说事室": 6, "线上平台": 10, "12345热线": 13, "便民服务中心窗口": 1.5,
    "镇长接待日": 0.5,
}
VISIT_CHANNELS = ("入户走访", "在村接访", "带案下访", "说事室")
TYPES = (["咨询", "求助", "投诉", "建议", "举报", "其他"], [20, 35, 25, 10, 5, 5])
SATISFACTION = (["satisfied", "basically_satisfied", "dissatisfied"], [80, 14, 6])
NOTES = ["入户了解生产生活情况", "独居,屋内较简陋", "家中有老人需照顾", "对村务工作比较满意",
         None, None]
QUIET_NOTES = ["走访了解情况,无诉求", "宣传防诈骗知识", "了解老人身体状况", "政策宣传,无诉求"]


# --- the working calendar as day indexes -------------------------------------------------

class Days:
    """Day i is SETUP + i; working-day arithmetic by the ledger's own calendar."""

    def __init__(self, calendar) -> None:
        n = (HORIZON - SETUP).days + 1
        self.iso = [(SETUP + timedelta(days=i)).isoformat() for i in range(n)]
        self.work = [calendar.is_workday(SETUP + timedelta(days=i)) for i in range(n)]
        self.workdays = [i for i in range(n) if self.work[i]]
        self.before = []  # working days up to and including day i
        c = 0
        for w in self.work:
            c += w
            self.before.append(c)
        self.today = (TODAY - SETUP).days

    def index(self, d: date) -> int:
        return (d - SETUP).days

    def add_wd(self, i: int, n: int) -> int:
        """The n-th working day after day i (n = 0: day i itself)."""
        if n <= 0:
            return i
        k = self.before[i] + n - 1
        return self.workdays[k] if k < len(self.workdays) else len(self.iso) - 1

    def next_wd(self, i: int) -> int:
        """Day i if it is a working day, else the next working day."""
        return i if self.work[i] else self.add_wd(i, 1)


# --- one demand's life --------------------------------------------------------------------

class Cut(Exception):
    """The demand's life reaches past today (or past where it got stuck)."""


class Life:
    """A demand's journal, built step by step through ``lifecycle.apply``."""

    __slots__ = ("state", "events", "t", "horizon")

    def __init__(self, horizon: int) -> None:
        self.state = None
        self.events: list[tuple] = []
        self.t = 0
        self.horizon = horizon

    def step(self, days: Days, action: str, data: dict, on: int, actor: str,
             reason: str | None = None) -> None:
        on = max(on, self.t)
        if on > self.horizon:
            raise Cut
        given = {**data, "reason": reason} if reason else data
        self.state = lifecycle.apply(self.state, action, given, days.iso[on])
        self.events.append((action, data, reason, on, actor))
        self.t = on


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.n = args.demands

    # --- the registers ---------------------------------------------------------------

    def person_name(self) -> str:
        r = self.rng
        # common surnames are much more common
        s = SURNAMES[min(int(r.expovariate(1 / 14)), len(SURNAMES) - 1)]
        return s + r.choice(_GIVEN)

    def phone(self) -> str:
        r = self.rng
        return r.choice(PHONE_PREFIXES) + f"{r.randrange(10 ** 8):08d}"

    def id_number(self, taken: set) -> str:
        r = self.rng
        while True:
            born = date(1935, 1, 1) + timedelta(days=r.randrange(365 * 73))
            body = f"{r.choice(REGION_CODES)}{born:%Y%m%d}{r.randrange(1000):03d}"
            n = body + _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS)) % 11]
            if n not in taken:
                taken.add(n)
                return n

    def registers(self, conn: sqlite3.Connection, days: Days) -> None:
        r = self.rng
        j = self.journal_rows
        setup = days.index(SETUP)

        def journal(subject, sid, action, on, data, actor="县社工部 管理员"):
            j.append((subject, sid, action, days.iso[on], actor, None,
                      json.dumps(data, ensure_ascii=False, sort_keys=True), self.stamp(on)))

        for kind, names in (("category", EXTRA_CATEGORIES), ("channel", EXTRA_CHANNELS)):
            for name in names:
                cur = conn.execute("insert into terms (kind, name) values (?, ?)", (kind, name))
                journal("term", cur.lastrowid, "add", setup, {"kind": kind, "name": name})

        # townships and villages (about 300, unique names across the county)
        names = [a + b for a in _V1 for b in _V2]
        r.shuffle(names)
        sizes = [r.randint(12, 22) for _ in TOWNSHIPS]
        while sum(sizes) != 300:
            i = r.randrange(len(sizes))
            sizes[i] += 1 if sum(sizes) < 300 else -1 if sizes[i] > 10 else 0
        self.townships = []
        self.villages = []  # dicts: id, name, township index, grids, weight, unit
        k = 0
        for ti, tname in enumerate(TOWNSHIPS):
            tid = conn.execute("insert into townships (name) values (?)", (tname,)).lastrowid
            journal("township", tid, "add", setup, {"name": tname})
            self.townships.append({"id": tid, "name": tname, "villages": [], "cadres": []})
            street = tname.endswith("街道")
            for _ in range(sizes[ti]):
                kind = "社区" if street or r.random() < .1 else "村"
                vname = names[k] + kind
                k += 1
                vid = conn.execute("insert into villages (name, township_id, kind) values "
                                   "(?, ?, ?)", (vname, tid, kind)).lastrowid
                journal("village", vid, "add", setup,
                        {"kind": kind, "name": vname, "township_id": tid})
                grids = []
                for g in GRID_NAMES[kind][:r.randint(2, 6)]:
                    gid = conn.execute("insert into grids (name, village_id) values (?, ?)",
                                       (g, vid)).lastrowid
                    journal("grid", gid, "add", setup, {"name": g, "village_id": vid})
                    grids.append((gid, g))
                v = {"id": vid, "name": vname, "t": ti, "grids": grids, "unit": None,
                     "weight": r.lognormvariate(0, .6) * (1.8 if kind == "社区" else 1)}
                self.villages.append(v)
                self.townships[ti]["villages"].append(v)

        # units: county bureaus, each township's 综治中心, a few village committees
        def unit(name, level):
            uid = conn.execute("insert into units (name, level) values (?, ?)",
                               (name, level)).lastrowid
            journal("unit", uid, "add", setup, {"level": level, "name": name})
            return uid

        self.county_units = {name: unit(name, "county") for name in COUNTY_UNITS}
        for t in self.townships:
            t["unit"] = unit(t["name"] + "综治中心", "township")
        for v in r.sample(self.villages, VILLAGE_UNITS):
            v["unit"] = unit(v["name"] + "居委会" if v["name"].endswith("社区")
                             else v["name"][:-1] + "村委会", "village")

        # cadres: unique names; six per township, two per county bureau, one per committee
        used: set[str] = set()

        def cadre(unit_id):
            name = self.person_name()
            while name in used:
                name = self.person_name()
            used.add(name)
            cid = conn.execute("insert into cadres (name, unit_id, phone) values (?, ?, ?)",
                               (name, unit_id, self.phone())).lastrowid
            journal("cadre", cid, "add", setup, {"name": name, "unit_id": unit_id})
            return cid, name

        for t in self.townships:
            t["cadres"] = [cadre(t["unit"]) for _ in range(6)]
        self.county_cadres = [cadre(uid) for uid in self.county_units.values() for _ in range(2)]
        for v in self.villages:
            if v["unit"]:
                v["cadre"] = cadre(v["unit"])
        self.leaders = [f"{t['name']}党委书记 {self.person_name()}" for t in self.townships]
        self.county_leaders = [f"副县长 {self.person_name()}" for _ in range(4)]

        # residents: N/5, registered in December 2022
        n_res = max(self.n // 5, 50)
        vweights = list(itertools.accumulate(v["weight"] for v in self.villages))
        ids: set[str] = set()
        rows, tags = [], []
        self.residents = []  # (id, village index, grid id)
        vindex = {v["id"]: i for i, v in enumerate(self.villages)}
        res_days = sorted(r.randrange(0, 30) + setup for _ in range(n_res))
        for rid, on in enumerate(res_days, start=1):
            v = r.choices(self.villages, cum_weights=vweights)[0]
            gid, gname = r.choice(v["grids"])
            name = self.person_name()
            phone = self.phone() if r.random() < .85 else None
            idn = self.id_number(ids) if r.random() < .6 else None
            address = f"{v['name']}{gname}{r.randint(1, 120)}号" if r.random() < .5 else None
            mine = []
            if r.random() < .12:
                mine = sorted(set(r.choices(TAGS, TAG_WEIGHTS, k=r.choice((1, 1, 1, 2)))))
                tags += [(rid, tg) for tg in mine]
            rows.append((rid, name, v["id"], gid, phone, idn, address, None, days.iso[on]))
            journal("resident", rid, "add", on, {"name": name, "tags": mine,
                                                 "village_id": v["id"]})
            self.residents.append((rid, vindex[v["id"]], gid))
        conn.executemany("insert into residents (id, name, village_id, grid_id, phone, "
                         "id_number, address, note, created_on) values (?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("insert into resident_tags (resident_id, tag) values (?, ?)", tags)
        # Some residents come back again and again: a heavy-tailed activity.
        self.res_cum = list(itertools.accumulate(
            min(r.paretovariate(1.6), 40.0) for _ in self.residents))
        self.by_village: dict[int, list[int]] = {}
        for i, (_, vi, _) in enumerate(self.residents):
            self.by_village.setdefault(vi, []).append(i)
        self.v_cum = vweights

    def stamp(self, on: int) -> str:
        r = self.rng
        return f"{self.days.iso[on]}T{r.randint(8, 18):02d}:{r.randrange(60):02d}:" \
               f"{r.randrange(60):02d}+08:00"

    # --- demands ---------------------------------------------------------------------

    def text(self, category: str | None, v: dict) -> str:
        r = self.rng
        cat = category or r.choice(list(CATEGORIES))
        tpl = r.choice(CATEGORIES[cat][3])
        return tpl.format(nb=r.choice(SURNAMES[:40]) + "某", thing=r.choice(THINGS),
                          n=r.randint(2, 9), g=r.choice(v["grids"])[1], road=r.choice(ROADS),
                          road2=r.choice(ROADS))

    def result(self, category: str | None) -> str:
        return self.rng.choice(RESULTS.get(category or "意见建议", RESULTS["意见建议"]))

    def clerk(self, v: dict) -> str:
        t = self.townships[v["t"]]
        return f"{t['name']}综治中心 {self.rng.choice(t['cadres'])[1]}"

    def county_clerk(self) -> str:
        return f"县社工部 {self.rng.choice(self.county_cadres)[1]}"

    def life(self, days: Days, d0: int, v: dict, accept: dict, category: str,
             complex_: bool, type_: str) -> Life:
        """Plan the demand's whole life from day d0; steps past today are cut."""
        r = self.rng
        horizon = days.today
        if r.random() < .006:  # stuck: nobody took the next step
            horizon = min(horizon, d0 + r.randint(1, 40))
        skip_follow_up = r.random() < .02  # resolved, never followed up
        b = Life(horizon)
        clerk = self.clerk(v)
        petition = category == "信访积案"
        try:
            b.step(days, "accept", accept, d0, clerk)
            # classification, when not given at acceptance
            if accept["category"] is None or (accept["type"] is None and r.random() < .7):
                change = {}
                if accept["category"] is None:
                    change["category"] = category
                if accept["type"] is None:
                    change["type"] = type_
                if complex_ and accept["complexity"] != "complex":
                    change["complexity"] = "complex"
                before = {"category": accept["category"], "type": accept["type"],
                          "complexity": accept["complexity"]}
                change["before"] = {k: before[k] for k in change}
                b.step(days, "classify", change, d0 + (r.random() < .3), clerk)
            if r.random() < .01:
                new = b.state["text"] + "(补充:" + r.choice(["已多次反映", "涉及多户",
                                                              "情况紧急"]) + ")"
                b.step(days, "correct", {"before": b.state["text"], "text": new}, b.t, clerk,
                       "记录有误,据群众补充更正")
            level = b.state["level"]
            # where it is handled
            if level == "village":
                x = r.random()
                up = .30 + .35 * complex_
                if x < up:
                    path = "county" if r.random() < (.45 if complex_ else .15) else "township"
                elif x < up + .40 and not petition:
                    path = "spot"
                else:
                    path = "village"
            else:
                path = level
                if level == "township" and r.random() < (.3 if complex_ else .06):
                    path = "county"
            if path == "spot":
                b.step(days, "settle", {"feedback": r.choice(FEEDBACK),
                                        "result": "当场" + self.result(category)},
                       d0 if r.random() < .75 else days.add_wd(d0, 1), clerk)
            elif path == "village":
                if v["unit"] and r.random() < .6:
                    b.step(days, "assign", {"co_unit_ids": [], "handler": v["cadre"][1],
                                            "lead_unit_id": v["unit"]}, d0, clerk)
                self.handle(days, b, category, complex_, petition, clerk, "village", v)
            else:
                if b.state["level"] == "village":
                    b.step(days, "escalate", {"from": "village", "to": "township"},
                           days.add_wd(d0, r.choice((0, 0, 1))), clerk,
                           r.choice(["村级无力解决,上报镇里协调", "涉及多方利益,村里难以协调",
                                     "需镇相关部门处理"]))
                if path == "county" and b.state["level"] == "township":
                    if r.random() < .4:
                        b.step(days, "assign", self.assign_data(v, "township", category),
                               b.t + r.randint(0, 1), clerk)
                    b.step(days, "escalate", {"from": "township", "to": "county"},
                           days.add_wd(b.t, r.choice((0, 1, 1, 2))), clerk,
                           r.choice(["需县直部门处理", "涉及县级审批事项", "镇级协调未果,上报县里"]))
                if path == "county":
                    clerk = self.county_clerk()
                self.handle(days, b, category, complex_, petition, clerk, path, v)
            if not skip_follow_up:
                self.follow_up(days, b, category, clerk, v, path)
        except Cut:
            pass
        return b

    def assign_data(self, v: dict, level: str, category: str, avoid: int | None = None) -> dict:
        r = self.rng
        t = self.townships[v["t"]]
        co: list[int] = []
        if level == "county":
            choices = [self.county_units[u] for u in CATEGORIES[category][2]
                       if self.county_units[u] != avoid] or \
                [u for u in self.county_units.values() if u != avoid]
            lead = r.choice(choices)
            if r.random() < .5:
                co.append(t["unit"])
            if r.random() < .2:
                other = r.choice(list(self.county_units.values()))
                if other != lead and other not in co:
                    co.append(other)
            handler = r.choice(["王科长", "李科长", "张股长", "刘主任", "陈工", "赵队长"])
        else:
            lead = t["unit"]
            if v["unit"] and r.random() < .5:
                co.append(v["unit"])
            handler = r.choice(t["cadres"])[1]
        return {"co_unit_ids": co, "handler": handler if r.random() < .9 else None,
                "lead_unit_id": lead}

    def handle(self, days: Days, b: Life, category: str, complex_: bool, petition: bool,
               clerk: str, level: str, v: dict) -> None:
        """Assign (above the village), work the case, resolve it."""
        r = self.rng
        if level != "village":
            data = self.assign_data(v, level, category)
            b.step(days, "assign", data, days.add_wd(b.t, r.choice((0, 0, 0, 1))), clerk)
            if level == "county" and r.random() < .03:
                lead = data["lead_unit_id"]
                b.step(days, "return", {"unit_id": lead}, days.add_wd(b.t, 1), clerk,
                       "不属于本单位职责范围")
                b.step(days, "assign", self.assign_data(v, level, category, avoid=lead),
                       days.add_wd(b.t, 1), clerk)
            if level == "county" and r.random() < (.15 if complex_ else .02):
                already = {u for u, _ in b.state["summoned"]}
                units = [u for u in r.sample(list(self.county_units.values()), r.randint(2, 3))
                         if u not in already]
                if units:
                    b.step(days, "whistle", {"unit_ids": units}, b.t, clerk,
                           r.choice(["多部门联合处置", None]))
                    for u in units:
                        if r.random() < .9:
                            b.step(days, "report_in", {"unit_id": u}, b.t + r.randint(0, 2),
                                   clerk)
            if petition or (level == "county" and r.random() < .05):
                leader = r.choice(self.county_leaders if level == "county" else self.leaders)
                b.step(days, "take_charge", {"leader": leader}, b.t, clerk)
        stage = b.t
        # how long it takes, against its clock
        if petition:
            took = r.randint(10, 55) if r.random() < .85 else r.randint(56, 85)
            due = stage + took
        elif complex_:
            wd = r.randint(1, 7) if r.random() < .82 else r.randint(8, 25)
            due = days.add_wd(stage, wd)
        else:
            wd = r.choice((0, 1, 1, 1)) if r.random() < .88 else r.randint(2, 8)
            due = days.add_wd(stage, wd)
        if level != "village" and r.random() < .2:
            b.step(days, "notify", {"text": r.choice(["已现场勘查,正在协调处理",
                                                      "已转相关部门,近期答复",
                                                      "已列入维修计划"])},
                   max(stage, (stage + due) // 2), clerk)
        if (petition and due - stage > 60) or (complex_ and r.random() < .08):
            days_ = 30 if petition else r.choice((None, 3, 5, 7))
            b.step(days, "extend", {"approver": r.choice(self.leaders), "days": days_},
                   min(due, stage + 5), clerk,
                   r.choice(["需协调多个部门", "需等待专业鉴定结果", "涉及历史遗留问题"]))
        if r.random() < .05:
            b.step(days, "suspend", {}, max(b.t, stage + 1), clerk,
                   r.choice(["等待群众补充材料", "当事人外出务工,暂无法联系",
                             "等待司法鉴定结论"]))
            paused = r.randint(3, 30) if r.random() < .8 else r.randint(31, 150)
            b.step(days, "resume", {}, days.next_wd(b.t + paused), clerk)
            due = max(due, b.t + 1)
        b.step(days, "resolve", {"feedback": r.choice(FEEDBACK), "result": self.result(category)},
               days.next_wd(max(due, b.t)), clerk)

    def follow_up(self, days: Days, b: Life, category: str, clerk: str, v: dict,
                  path: str) -> None:
        r = self.rng
        sat = r.choices(*SATISFACTION)[0]
        on = b.t + r.randint(1, 10)
        if sat == "dissatisfied" and r.random() < .45:
            b.step(days, "follow_up", {"note": "群众对处理结果不满意", "reopen": True,
                                       "satisfaction": sat}, on, clerk)
            if path == "spot":  # reopened on-the-spot settlements go through the village
                path = "village"
            self.handle(days, b, category, False, False, clerk,
                        b.state["level"] if path != "village" else "village", v)
            sat = r.choices(["satisfied", "basically_satisfied", "dissatisfied"], [60, 30, 10])[0]
            on = b.t + r.randint(1, 7)
        b.step(days, "follow_up", {"note": r.choice([None, None, "电话回访", "上门回访"]),
                                   "reopen": False, "satisfaction": sat}, on, clerk)
        b.step(days, "close", {}, b.t + r.randint(0, 5), clerk,
               "已做好解释工作,群众诉求超出政策范围" if sat == "dissatisfied" else None)
        if r.random() < .008:
            b.step(days, "reopen", {}, b.t + r.randint(5, 60), clerk, "群众再次反映,问题未彻底解决")
            self.handle(days, b, category, False, False, clerk,
                        b.state["level"] if path != "spot" else "village", v)
            b.step(days, "follow_up", {"note": None, "reopen": False,
                                       "satisfaction": "satisfied"}, b.t + r.randint(1, 7), clerk)
            b.step(days, "close", {}, b.t + r.randint(0, 3), clerk)

    # --- the whole file --------------------------------------------------------------

    def run(self, path: Path) -> dict:
        t0 = time.perf_counter()
        r = self.rng
        db = open_ledger(path)
        conn = db.conn
        calendar = load_calendar(db)
        policies = load_policies(db)
        days = self.days = Days(calendar)
        conn.commit()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]  # as the ledger made it
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.isolation_level = None
        conn.execute("BEGIN")

        self.journal_rows: list[tuple] = []
        self.registers(conn, days)
        JOURNAL = ("insert into journal (id, subject, subject_id, action, on_date, actor, "
                   "reason, data, recorded_at, hash) values (?,?,?,?,?,?,?,?,?,?)")
        link = list(head(db))  # the journal's hash chain (store/journal.py), row by row

        def chained(rows: list[tuple]) -> list[tuple]:
            out = []
            for subject, sid, action, on, actor, reason, data, at in rows:
                link[0] += 1
                link[1] = chain_hash(link[1], (link[0], subject, sid, action, on, actor, None,
                                               reason, data, at, None))
                out.append((link[0], subject, sid, action, on, actor, reason, data, at, link[1]))
            return out

        conn.executemany(JOURNAL, chained(self.journal_rows))
        setup_journal = len(self.journal_rows)
        self.journal_rows = []
        conn.execute("COMMIT")

        have = [c[1] for c in conn.execute("PRAGMA table_info(demands)")]
        fields = [f for f in lifecycle.STATE_FIELDS if f in have]
        cols = ["id", "number", *fields, "due_on", "due_provisional"]
        missing = [f for f in lifecycle.STATE_FIELDS if f not in have]
        if missing:
            raise SystemExit(f"demands table lacks state fields {missing}: update generate.py")
        DEMAND = f"insert into demands ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
        VISIT = ("insert into visits (id, visited_on, village_id, grid_id, resident_id, channel, "
                 "note) values (?,?,?,?,?,?,?)")
        VC = "insert into visit_cadres (visit_id, cadre_id) values (?, ?)"

        # demands per day: more every year, more on Tuesdays (民情走访日), few on rest days
        first, last = days.index(START), days.today
        span = last - first
        weights = []
        for i in range(first, last + 1):
            w = 1 + 1.2 * (i - first) / span
            weekday = (SETUP + timedelta(days=i)).weekday()
            w *= (1.8 if weekday == 1 else 1.0) if days.work[i] else .15
            weights.append(w)
        total = sum(weights)
        acc, per_day, prev = 0.0, [], 0
        for w in weights:
            acc += w
            now = round(acc / total * self.n)
            per_day.append(now - prev)
            prev = now
        # --history K: K times the demands before the recent weeks, the recent weeks as
        # they are (the same number each day, drawn from the same random stream), so that
        # two ledgers differ only in how much closed history lies behind the weeks shown:
        # the K - 1 extra demands of a day are never left open or suspended.
        recent = days.index(TODAY - timedelta(weeks=RECENT_WEEKS)) - first
        history = self.args.history
        base_per_day = per_day
        base_rng, extra_rng = r, random.Random(self.args.seed * 104729 + 1)
        per_day = [c * history if i < recent else c for i, c in enumerate(per_day)]
        n_all = sum(per_day)

        cat_names = list(CATEGORIES)
        cat_weights = [CATEGORIES[c][0] for c in cat_names]
        chan_names = list(CHANNELS)
        tuesday_chan = [CHANNELS[c] * (2.2 if c in VISIT_CHANNELS else 1) for c in chan_names]
        other_chan = [CHANNELS[c] for c in chan_names]
        heap: list[tuple] = []
        seq = itertools.count()
        demand_rows, visit_rows, vc_rows = [], [], []
        did = vid = 0
        numbers: dict[str, int] = {}
        counts = {"visits": 0, "journal": setup_journal}
        statuses: dict[str, int] = {}
        batch = max(1000, min(20000, self.n // 20))
        done_at_last_print, t_print = 0, time.perf_counter()
        setup_s = time.perf_counter() - t0
        print(f"registers: {len(self.villages)} villages, {len(self.residents)} residents "
              f"({setup_s:.1f}s)", flush=True)

        def flush(upto: int | None) -> None:
            while heap and (upto is None or heap[0][0] < upto):
                self.journal_rows.append(heapq.heappop(heap)[2])
            conn.execute("BEGIN")
            conn.executemany(DEMAND, demand_rows)
            conn.executemany(VISIT, visit_rows)
            conn.executemany(VC, vc_rows)
            conn.executemany(JOURNAL, chained(self.journal_rows))
            conn.execute("COMMIT")
            counts["journal"] += len(self.journal_rows)
            demand_rows.clear(), visit_rows.clear(), vc_rows.clear()
            self.journal_rows = []

        def log_visit(on, v, res, channel, note, actor):
            nonlocal vid
            vid += 1
            t = self.townships[v["t"]]
            cadre_ids = [c for c, _ in r.sample(t["cadres"], r.choice((1, 2, 2, 3)))]
            rid = res[0] if res else None
            gid = res[2] if res and res[1] == vidx[v["id"]] else None
            visit_rows.append((vid, days.iso[on], v["id"], gid, rid, channel, note))
            vc_rows.extend((vid, c) for c in cadre_ids)
            heapq.heappush(heap, (on, next(seq), (
                "visit", vid, "log", days.iso[on], actor, None,
                json.dumps({"cadre_ids": cadre_ids, "channel": channel, "resident_id": rid,
                            "village_id": v["id"]}, ensure_ascii=False, sort_keys=True),
                self.stamp(on))))
            counts["visits"] += 1
            return vid

        vidx = {v["id"]: i for i, v in enumerate(self.villages)}
        for offset, count in enumerate(per_day):
            day = first + offset
            if offset == recent:
                base_rng.seed(self.args.seed * 7919 + 17)  # the recent weeks: the same stream
            if len(demand_rows) >= batch:
                flush(day)
            tuesday = (SETUP + timedelta(days=day)).weekday() == 1
            open_visit = None  # (visit id, resident, village, channel, demands left)
            for j in range(count):
                # A --history copy: closed history only, drawn from a stream of its own, so
                # that the other demands are drawn as without --history.
                copy = j >= base_per_day[offset]
                r = self.rng = extra_rng if copy else base_rng
                if open_visit and open_visit[4] > 0:
                    visit_id, res, v, channel, left = open_visit
                    open_visit = (visit_id, res, v, channel, left - 1)
                else:
                    channel = r.choices(chan_names, tuesday_chan if tuesday else other_chan)[0]
                    anonymous = channel in ("意见箱", "网格群", "12345热线", "线上平台") and \
                        r.random() < .35
                    if anonymous:
                        res = None
                        v = r.choices(self.villages, cum_weights=self.v_cum)[0]
                    else:
                        res = self.residents[bisect.bisect(self.res_cum,
                                                           r.random() * self.res_cum[-1])]
                        v = self.villages[res[1]]
                        if r.random() < .04:  # raised somewhere else in the township
                            v = r.choice(self.townships[v["t"]]["villages"])
                    visit_id = None
                    if channel in VISIT_CHANNELS and res is not None:
                        visit_id = log_visit(day, v, res, channel, r.choice(NOTES), self.clerk(v))
                        extra = r.choices((0, 1, 2), (75, 20, 5))[0]
                        open_visit = (visit_id, res, v, channel, extra)
                        if r.random() < .6:  # a visit with nothing raised, the same day
                            vv = r.choices(self.villages, cum_weights=self.v_cum)[0]
                            who = self.residents[r.choice(self.by_village.get(vidx[vv["id"]], [0]))]
                            log_visit(day, vv, who, "入户走访", r.choice(QUIET_NOTES),
                                      self.clerk(vv))
                    else:
                        open_visit = None
                at_home = res is not None and self.villages[res[1]] is v
                grid = res[2] if at_home else (r.choice(v["grids"])[0]
                                               if res is None and r.random() < .5 else None)
                category = r.choices(cat_names, cat_weights)[0]
                complex_ = r.random() < CATEGORIES[category][1]
                type_ = r.choices(*TYPES)[0]
                level = "village"
                if channel == "12345热线":
                    level = r.choices(("village", "township", "county"), (40, 45, 15))[0]
                elif channel in ("线上平台", "镇长接待日", "便民服务中心窗口"):
                    level = r.choices(("village", "township"), (60, 40))[0]
                if category == "信访积案" and level == "village":
                    level = "township"
                known = r.random() < .6
                accept = {
                    "category": category if known else None,
                    "channel": channel if r.random() > .004 else None,
                    "complexity": "complex" if known and complex_ else "general",
                    "grid_id": grid, "level": level, "resident_id": res[0] if res else None,
                    "text": self.text(category, v), "type": type_ if known and
                    r.random() < .8 else None, "village_id": v["id"], "visit_id": visit_id,
                }
                if visit_id is not None:
                    accept["channel"] = channel
                life = self.life(days, day, v, accept, category, complex_, type_)
                tries = 0
                while copy and life.state["status"] in ("open", "suspended") and tries < 100:
                    life = self.life(days, day, v, accept, category, complex_, type_)
                    tries += 1
                if copy and life.state["status"] in ("open", "suspended"):
                    continue  # (a case that stays open however drawn: left out)
                state = life.state
                did += 1
                year = days.iso[day][:4]
                numbers[year] = numbers.get(year, 0) + 1
                events = [(a, {**d, "reason": why} if why else d, days.iso[on])
                          for a, d, why, on, _ in life.events]
                policy = pick_policy(policies, category=state["category"], type=state["type"],
                                     complexity=state["complexity"])
                dl = demand_deadline(events, policy, calendar)
                row = to_row(state)
                demand_rows.append((did, f"{year}-{numbers[year]:06d}",
                                    *[row[f] for f in fields],
                                    dl.due_on.isoformat() if dl else None,
                                    int(dl.provisional) if dl else 0))
                statuses[state["status"]] = statuses.get(state["status"], 0) + 1
                for action, data, why, on, actor in life.events:
                    heapq.heappush(heap, (on, next(seq), (
                        "demand", did, action, days.iso[on], actor, why,
                        json.dumps(data, ensure_ascii=False, sort_keys=True), self.stamp(on))))
            if did - done_at_last_print >= max(n_all // 20, 1) or \
                    time.perf_counter() - t_print > 15:
                el = time.perf_counter() - t0
                print(f"  {did:>9,}/{n_all:,} demands  {counts['journal']:>11,} journal rows "
                      f"written  {el:6.1f}s  (eta {el / max(did, 1) * (n_all - did):.0f}s)",
                      flush=True)
                done_at_last_print, t_print = did, time.perf_counter()
        flush(None)
        gen_s = time.perf_counter() - t0
        print(f"written in {gen_s:.1f}s; ANALYZE ...", flush=True)
        conn.execute("ANALYZE")
        analyze_s = time.perf_counter() - t0 - gen_s
        conn.execute(f"PRAGMA journal_mode = {mode}")
        conn.close()
        return {"demands": did, "residents": len(self.residents), "villages": len(self.villages),
                "townships": len(self.townships), "units": 40, "visits": counts["visits"],
                "journal": counts["journal"], "statuses": statuses,
                "write_seconds": round(gen_s, 1), "analyze_seconds": round(analyze_s, 1)}


# --- checks -------------------------------------------------------------------------------

def check(path: Path, sample: int, seed: int) -> None:
    """Replay a sample of demands: the stored state and deadline must be what the journal
    gives, as the ledger itself computes them. Also the foreign keys."""
    db = open_ledger(path)
    calendar, policies = load_calendar(db), load_policies(db)
    n = db.execute("select max(id) from demands").fetchone()[0] or 0
    rng = random.Random(seed)
    ids = sorted(rng.sample(range(1, n + 1), min(sample, n)))
    bad = 0
    for i in ids:
        row = next(db.query("select * from demands where id = ?", [i]))
        events = demand_events(db, i)
        replayed = lifecycle.replay(events)
        stored = state_of(row)
        diff = [k for k in lifecycle.STATE_FIELDS if stored[k] != replayed.get(k)]
        policy = pick_policy(policies, category=row["category"], type=row["type"],
                             complexity=row["complexity"])
        dl = demand_deadline(events, policy, calendar)
        due = dl.due_on.isoformat() if dl else None
        if diff or due != row["due_on"]:
            bad += 1
            print(f"  demand {row['number']}: fields {diff}, due {row['due_on']} != {due}")
    fk = db.execute("PRAGMA foreign_key_check").fetchmany(5)
    if fk:
        print(f"  foreign key problems: {fk}")
    db.conn.close()
    print(f"checked {len(ids)} demands against their journals: "
          f"{'all agree' if not bad else f'{bad} disagree'}; foreign keys "
          f"{'ok' if not fk else 'BROKEN'}", flush=True)
    if bad or fk:
        raise SystemExit(1)


def fingerprint() -> str:
    """Of this script: a ledger generated by another version is regenerated by run.py."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--demands", type=int, required=True, help="number of demands (N)")
    p.add_argument("--out", type=Path, required=True, help="the ledger file to write")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--history", type=int, default=1, metavar="K",
                   help=f"K times the demands received before the last {RECENT_WEEKS} weeks, "
                        f"the last weeks unchanged (default 1): a ledger with K times the "
                        f"closed history and the same recent weeks")
    p.add_argument("--check", type=int, default=300, metavar="K",
                   help="replay K random demands at the end (default 300; 0: no check)")
    args = p.parse_args(argv)
    if args.demands < 100:
        p.error("--demands must be at least 100")
    if args.history < 1:
        p.error("--history must be at least 1")
    if args.out.exists():
        if not args.force:
            p.error(f"{args.out} exists (--force to replace it)")
        args.out.unlink()
    for suffix in ("-journal", "-wal", "-shm"):
        Path(str(args.out) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    print(f"generating {args.demands:,} demands into {args.out} (seed {args.seed})", flush=True)
    info = Generator(args).run(args.out)
    if args.check:
        check(args.out, args.check, args.seed)
    info.update({"seed": args.seed, "history": args.history, "generator": fingerprint(),
                 "seconds": round(time.perf_counter() - t0, 1)})
    meta = args.out.with_name(args.out.name + ".json")
    meta.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    st = ", ".join(f"{k} {v:,}" for k, v in sorted(info["statuses"].items()))
    print(f"done: {info['demands']:,} demands ({st}), {info['visits']:,} visits, "
          f"{info['residents']:,} residents, {info['journal']:,} journal rows; "
          f"{args.out.stat().st_size / 2**20:,.0f} MiB; {info['seconds']:.1f}s in all", flush=True)


if __name__ == "__main__":
    main()
