"""Shapes of licensing decisions and penalty decisions, one set per source unit.

Texts are ``str.format`` templates. Keys available to every template: ``name`` (the
counterparty), ``address`` (its premises, or a street for persons), ``when`` (a day before the
decision, 2024年3月5日), ``item`` (one of the template's items), ``project``, ``value`` (goods value),
``gain`` (illegal gain) and ``investment`` (yuan amounts), ``count`` (a small number), ``ratio``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.synth.names import word_list

# Which pools a template draws its counterparties from.
ENTERPRISE = "E"  # 企业 (USCC 91)
BUSINESS = "B"  # 个体工商户 (USCC 92)
PERSON = "I"  # 自然人 (adults)
INSTITUTION = "P"  # 事业单位
ASSOCIATION = "S"  # 社会组织


@dataclass(frozen=True)
class LicenceTemplate:
    doc: str  # 行政许可决定文书名称
    category: str  # licence_category code
    cert: str  # 许可证书名称 ("" when the decision issues no certificate)
    number: str  # 许可编号 format: {region} {year} {seq} ("" when none)
    content: str  # 许可内容
    items: tuple[str, ...]
    years: int  # validity in years; 0 = no expiry (2099-12-31)
    targets: str
    weight: int = 1
    trades: tuple[str, ...] = ()  # preferred subject trades (any when empty or none match)


@dataclass(frozen=True)
class PenaltyTemplate:
    violation: str  # 违法行为类型
    facts: str  # 违法事实
    basis: str  # 处罚依据 (law and article)
    categories: tuple[tuple[str, int], ...]  # ";"-joined penalty_category codes and weights
    fine: tuple[int, int]  # fine range in yuan
    targets: str
    weight: int = 1
    items: tuple[str, ...] = ("",)
    licence: str = ""  # certificate suspended or revoked (categories 06/08)
    trades: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitProfile:
    licence_doc: str  # 文书号 formats: {year} {seq} {branch}
    penalty_doc: str
    licence_weight: float
    penalty_weight: float
    licences: tuple[LicenceTemplate, ...] = ()
    penalties: tuple[PenaltyTemplate, ...] = ()


FOOD_ITEMS = (
    "预包装食品销售（含冷藏冷冻食品）",
    "散装食品销售（不含冷藏冷冻食品）",
    "热食类食品制售",
    "冷食类食品制售",
    "特殊食品销售（保健食品）",
    "自制饮品制售",
    "糕点类食品制售（含裱花蛋糕）",
)
GOODS = (
    "超过保质期的预包装食品",
    "标签不符合规定的进口食品",
    "腐败变质的鲜肉",
    "无中文标签的饮料",
    "超范围使用食品添加剂的糕点",
    "来源不明的冻品",
)
PROJECTS = (
    "{trade}花园（一期）",
    "{trade}大厦",
    "{trade}产业园",
    "{trade}学校扩建工程",
    "{trade}城市更新单元",
    "{trade}商业中心",
    "{trade}人才住房项目",
    "{trade}厂房改造工程",
)

# Trades (industry words of enterprises, shop types, institution kinds) that a decision fits.
FOOD_TRADES = (
    *word_list(
        "餐饮管理 食品 贸易 酒店管理 供应链 实业 茶业 母婴用品 便利店 餐馆 小吃店 "
        "快餐店 茶餐厅 肠粉店 粮油店 面馆 烧腊店 凉茶铺 水果店 士多店 杂货店 日用品店 烟酒商行"
    ),
    "",
)  # "": no industry word
MAKERS = word_list(
    "电子 光电 精密机械 五金制品 塑胶制品 化工 新材料 电池 半导体 模具 包装材料 印刷 "
    "照明 照明电器 医疗器械 生物医药 实业 食品 服装 家居 新能源 机器人 汽车服务 洗车行"
)
BUILDERS = word_list("建筑工程 装饰工程 房地产开发 实业 投资 物业管理")
HAULIERS = word_list("物流 运输 国际货运代理 供应链 汽车服务 网络科技")
CHEMICALS = word_list("化工 新能源 新材料 电池 贸易 实业")
STAFFING = word_list("劳务派遣 人力资源 企业管理咨询")
CLINICS = word_list("口腔门诊部 健康管理 人民医院 中医院 妇幼保健院 社区健康服务中心")
PHARMA = word_list("大药房 生物医药 医疗器械")
HYGIENE = word_list("酒店管理 美容 健康管理 理发店 美容院 旅馆 洗衣店")
SCHOOLS = word_list("培训中心 学校 教育咨询")
LODGING = word_list("酒店管理 旅馆")
SECURITY = word_list("安防科技 物业管理 人力资源")
CULTURE = word_list("网络科技 文化传媒 信息技术 软件 数据科技 网吧")
ENTERTAINMENT = word_list("文化传媒 酒店管理 网吧")
TRAVEL = word_list("国际旅行社")
RETAIL = word_list(
    "贸易 电子商务 跨境电商 电器 照明电器 五金制品 服装 母婴用品 "
    "数码 五金店 服装店 日用品店 杂货店 鞋店 眼镜店 建材商行"
)
ADVERTISERS = word_list(
    "网络科技 电子商务 跨境电商 健康管理 美容 文化传媒 广告 食品 母婴用品 生物医药 科技 美容院"
)
PREPAID = word_list("美容 健康管理 餐饮管理 教育咨询 美容院 理发店 洗衣店 洗车行")
ESTATES = word_list("物业管理 房地产开发 酒店管理 实业")
WATER_USERS = (*word_list("餐饮管理 餐馆 快餐店 茶餐厅 肠粉店 面馆 洗衣店"), *MAKERS)
RADIO = word_list("通信 电子 物流 智能科技 机器人 数据科技 安防科技")
