"""Name pools: people, enterprises, shops, institutions and associations.

Pools are written as compact strings (``王7.1`` = a name and its weight) and parsed once at
import; drawing a name is then a handful of ``random`` calls. :class:`UniqueNames` enforces
uniqueness, falling back to a longer trade name on collision.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

Pool = tuple[tuple[str, float], ...]


def _weighted(text: str) -> Pool:
    return tuple((m[1], float(m[2])) for m in re.finditer(r"(\D+?)(\d+(?:\.\d+)?)(?:\s|$)", text))


def word_list(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _chars(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(text))


# Surnames with rough frequency weights (national ranking, nudged for Guangdong: 陈 黄 林 梁 罗).
SURNAMES = _weighted(
    "王7.1 李7 张6.6 刘5.3 陈6.2 杨3 黄3.4 赵2 吴2.1 周1.9 徐1.4 孙1.3 马1.2 朱1.2 胡1.1 郭1.1 "
    "何1.2 林1.6 高1 罗1.1 郑1 梁1.1 谢0.9 宋0.8 唐0.8 许0.7 邓0.8 冯0.7 韩0.6 曹0.6 曾0.8 彭0.6 "
    "萧0.2 蔡0.6 潘0.5 田0.5 董0.5 袁0.5 于0.5 余0.5 叶0.6 蒋0.4 杜0.4 苏0.4 魏0.4 程0.4 吕0.4 "
    "丁0.4 沈0.4 任0.4 姚0.3 卢0.4 钟0.5 姜0.3 崔0.3 谭0.4 陆0.3 范0.3 汪0.3 廖0.4 石0.3 金0.3 "
    "韦0.3 贾0.3 夏0.3 付0.3 方0.3 邹0.3 熊0.3 白0.3 孟0.2 秦0.2 邱0.3 侯0.2 江0.3 尹0.2 薛0.2 "
    "闫0.2 段0.2 雷0.2 龙0.2 黎0.3 史0.2 陶0.2 贺0.2 毛0.2 郝0.2 顾0.2 龚0.2 邵0.2 万0.2 覃0.2 "
    "武0.2 钱0.2 戴0.2 严0.2 莫0.2 孔0.1 向0.1 常0.1 欧阳0.05 司马0.01 上官0.01 诸葛0.01 温0.2 "
    "赖0.2 巫0.1 古0.1 利0.05 练0.05"
)

# Characters of given names.
GIVEN_MALE = _chars(
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳志文博振海东亮建国兵峰晨昊轩泽宏彬锋"
    "翔坤铭瑞城毅恒伦德荣胜智嘉睿佳豪康永庆昌盛新家兴"
)

GIVEN_FEMALE = _chars(
    "芳娜敏静丽艳娟霞秀英玲婷雪慧莉琳燕红梅萍颖倩琴云洁晶欣怡悦蓉佳妍媛薇雯月璐露琪欢婉晓晴诗涵梓彤可"
    "馨思雨嘉宁瑶菲秋凤兰春"
)

GIVEN_NEUTRAL = _chars("子文晓小思一天嘉海建立国金春秋玉永志雨安明佳宇")

# Characters used in trade names (字号); 2-3 are drawn without repetition.
TRADE = _chars(
    "华瑞鑫泰达兴盛宏嘉信汇恒源德福丰利安康辉明海天宇腾新科创博智联凯通顺祥永金银富荣美佳优睿思远航讯"
    "晟昊云峰卓越同合正和中大众诚益立成力星光耀聚鼎融捷驰迈拓展领先进飞扬锦绣彩虹蓝绿青松柏竹梅兰桂杰"
    "俊英豪旭晨曦阳春雅韵逸致尚品润泽沃湾港粤鹏深蛇前岸湖滨山川林森禾谷田实诺亿万千百佰仟乐享悦欣友邦"
    "吉昌隆裕泓澜涛浩渊霖璟琪瑜璞珑玥晶钰铭锐锋钧铂精工匠造维纳微芯数端极速旺发宝昇晖彤炜煜烨焱灿坤乾"
    "元贞亨谐宁寿喜庆宸宥仁义礼忠孝才贤能敏"
)

# Industry words (行业表述) with weights.
INDUSTRIES = _weighted(
    "科技18 电子8 贸易9 建筑工程3 餐饮管理3 物流3 生物医药1 新能源2 网络科技4 文化传媒3 投资2 "
    "供应链3 实业4 信息技术4 智能科技4 电子商务3 通信1 光电1 精密机械1 五金制品1 塑胶制品1 服装1 "
    "家居1 装饰工程2 环保科技1 医疗器械1 食品1 物业管理1 房地产开发1 劳务派遣1 人力资源1 教育咨询1 "
    "企业管理咨询2 财务咨询1 广告1 印刷1 包装材料1 化工1 汽车服务1 运输1 国际货运代理1 电器1 照明1 "
    "半导体1 软件2 数据科技1 珠宝1 钟表1 模具1 电池1 机器人1 酒店管理1 健康管理1 美容1 母婴用品1 "
    "茶业1 新材料1 跨境电商1 数码1 照明电器1 国际旅行社1 大药房1 口腔门诊部1 安防科技1"
)

# Organisation forms (组织形式).
FORMS = _weighted("有限公司84 股份有限公司7 有限责任公司7 合伙企业（有限合伙）2")

# What individual businesses (个体工商户) are.
SHOPS = word_list(
    "便利店 餐馆 五金店 小吃店 理发店 服装店 水果店 日用品店 烟酒商行 手机维修店 快餐店 士多店 "
    "美容院 茶餐厅 肠粉店 粮油店 文具店 汽车修理部 电器维修部 洗衣店 杂货店 面馆 烧腊店 凉茶铺 "
    "眼镜店 鞋店 花店 打印店 药材行 建材商行 旅馆 网吧 洗车行 废品回收站"
)

# Kinds of public institutions (事业单位).
SCHOOLS_ETC = _weighted(
    "中学6 小学8 实验学校3 幼儿园6 人民医院2 中医院1 社区健康服务中心5 妇幼保健院1 职业技术学校1 "
    "图书馆1 文化馆1 体育中心1 公证处1 检验检测中心1 城市规划研究院1 产业促进中心1 "
    "公共资源交易中心1 环境监测站1 疾病预防控制中心1 档案馆1"
)

# Social organisations of USCC type 51.
_ASSOC_51 = _weighted("行业协会6 商会5 学会2 联合会1 促进会2 研究会1")

# Social organisations of USCC type 52.
_ASSOC_52 = _weighted("社会工作服务中心5 培训中心3 学校2 养老院2 康复中心1 研究院1")

# Social organisations of USCC type 53.
_ASSOC_53 = _weighted("慈善基金会3 公益基金会2 教育基金会1 救助基金会1")

ASSOCIATIONS = {"51": _ASSOC_51, "52": _ASSOC_52, "53": _ASSOC_53}


def weighted(pool: Pool) -> tuple[list[str], list[float]]:
    return [p for p, _ in pool], [float(w) for _, w in pool]


_SN, _SW = weighted(SURNAMES)
_IN, _IW = weighted(INDUSTRIES)
_FN, _FW = weighted(FORMS)


def surname(rng: random.Random) -> str:
    return rng.choices(_SN, _SW)[0]


def given_name(rng: random.Random, male: bool) -> str:
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    if rng.random() < 0.18:
        return rng.choice(pool)
    first = rng.choice(GIVEN_NEUTRAL) if rng.random() < 0.25 else rng.choice(pool)
    return first + rng.choice(pool)


def person_name(rng: random.Random, male: bool) -> str:
    return surname(rng) + given_name(rng, male)


def trade_name(rng: random.Random, length: int) -> str:
    return "".join(rng.sample(TRADE, length))


Named = tuple[str, str]  # (name, trade): trade is the industry word, shop type or institution kind


def enterprise_name(rng: random.Random, extra: int) -> Named:
    """深圳市 + 字号 + 行业 + 组织形式, e.g. 深圳市鑫瑞达科技有限公司 or 华晟电子（深圳）有限公司."""
    trade = trade_name(rng, (2 if rng.random() < 0.55 else 3) + extra)
    industry = rng.choices(_IN, _IW)[0] if rng.random() < 0.88 else ""
    form = rng.choices(_FN, _FW)[0]
    if form.startswith("合伙"):
        industry = rng.choice(("投资", "股权投资", "创业投资", "企业管理咨询"))
    r = rng.random()
    if r < 0.05 and form == "有限公司":
        return f"{trade}{industry}（深圳）{form}", industry
    prefix = "深圳" if r < 0.15 else "深圳市"
    return f"{prefix}{trade}{industry}{form}", industry


def shop_name(rng: random.Random, district: str, owner_surname: str, extra: int) -> Named:
    """个体工商户 names: 福田区老王便利店, 深圳市南山区鑫源五金店, 宝安区陈记肠粉店."""
    r = rng.random()
    if r < 0.2:
        trade = rng.choice(("老", "小", "阿")) + owner_surname
    elif r < 0.35:
        trade = owner_surname + "记"
    else:
        trade = trade_name(rng, 2)
    trade += trade_name(rng, extra) if extra else ""
    prefix = "深圳市" if rng.random() < 0.3 else ""
    shop = rng.choice(SHOPS)
    return f"{prefix}{district}{trade}{shop}", shop


def institution_name(rng: random.Random, district: str, extra: int) -> Named:
    kind = rng.choices(*weighted(SCHOOLS_ETC))[0]
    place = trade_name(rng, 2 + extra)
    if kind in ("小学", "幼儿园", "社区健康服务中心", "中学") and rng.random() < 0.7:
        return f"深圳市{district}{place}{kind}", kind
    if kind in ("人民医院", "中医院", "妇幼保健院") and extra == 0 and rng.random() < 0.5:
        return f"深圳市{district}{kind}", kind
    return f"深圳市{place}{kind}", kind


def association_name(rng: random.Random, type_code: str, extra: int) -> Named:
    kind = rng.choices(*weighted(ASSOCIATIONS[type_code]))[0]
    if type_code == "51" and kind in ("行业协会", "商会", "联合会", "促进会"):
        industry = rng.choices(_IN, _IW)[0]
        stem = trade_name(rng, extra) + industry if extra else industry
        if kind == "商会" and rng.random() < 0.5:
            stem = rng.choice(("潮汕", "湖南", "江西", "湖北", "广西", "河南", "四川", "福建", "客家")) + stem
        return f"深圳市{stem}{kind}", kind
    return f"深圳市{trade_name(rng, 2 + extra)}{kind}", kind


class UniqueNames:
    """Keeps drawn names unique, lengthening the trade name after repeated collisions."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def draw(self, make: Callable[[int], Named]) -> Named:
        for attempt in range(64):
            named = make(attempt // 8)
            if named[0] not in self.seen:
                self.seen.add(named[0])
                return named
        raise RuntimeError("name pool exhausted")
