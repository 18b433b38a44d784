"""Closed vocabularies of the domain, with their Chinese names."""

from __future__ import annotations

from enum import StrEnum


class SubjectKind(StrEnum):
    """The four kinds of credit subject (信用主体)."""

    ENTERPRISE = "enterprise"  # 企业 (includes 个体工商户, USCC type 92)
    INDIVIDUAL = "individual"  # 自然人
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位
    SOCIAL_ORGANISATION = "social_organisation"  # 社会组织

    @property
    def zh(self) -> str:
        return _SUBJECT_KIND_ZH[self]


_SUBJECT_KIND_ZH = {
    SubjectKind.ENTERPRISE: "企业",
    SubjectKind.INDIVIDUAL: "自然人",
    SubjectKind.PUBLIC_INSTITUTION: "事业单位",
    SubjectKind.SOCIAL_ORGANISATION: "社会组织",
}


class Disclosure(StrEnum):
    """Disclosure attribute of a catalog item (公开属性)."""

    PUBLIC = "public"  # 社会公开
    ON_REQUEST = "on_request"  # 依申请公开 / 授权查询
    NOT_PUBLIC = "not_public"  # 非公开 (政务共享 only)

    @property
    def zh(self) -> str:
        return {"public": "社会公开", "on_request": "依申请公开", "not_public": "非公开"}[self.value]


class SharingScope(StrEnum):
    """Sharing scope of a catalog item (共享范围)."""

    UNCONDITIONAL = "unconditional"  # 无条件共享
    CONDITIONAL = "conditional"  # 有条件共享
    NONE = "none"  # 不予共享

    @property
    def zh(self) -> str:
        return {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"}[self.value]


class Tier(StrEnum):
    """Negativity tier of information (Order 36: 轻微 / 一般 / 严重 失信信息)."""

    POSITIVE = "positive"  # 守信激励 / 荣誉
    NEUTRAL = "neutral"  # 基础信息
    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 严重

    @property
    def negative(self) -> bool:
        return self in (Tier.MINOR, Tier.GENERAL, Tier.SERIOUS)

    @property
    def zh(self) -> str:
        return {
            "positive": "守信",
            "neutral": "中性",
            "minor": "轻微失信",
            "general": "一般失信",
            "serious": "严重失信",
        }[self.value]


class Role(StrEnum):
    """Who is acting (used by every service call)."""

    PUBLIC = "public"  # 社会公众
    SUBJECT = "subject"  # 信用主体本人 / 授权代理人
    SOURCE_UNIT = "source_unit"  # 信息提供单位
    RELYING_PARTY = "relying_party"  # 信息使用单位
    OPERATOR = "operator"  # 平台运营者
    AUDITOR = "auditor"  # 审计
    SYSTEM = "system"  # scheduled jobs and the platform itself


class Purpose(StrEnum):
    """Declared purpose of a non-public read (查询用途)."""

    DUE_DILIGENCE = "due_diligence"  # 尽职调查
    BANK_LOAN = "bank_loan"  # 银行贷款
    BIDDING = "bidding"  # 招投标
    GOVERNMENT_FUNDING = "government_funding"  # 政府资金支持
    EMPLOYMENT = "employment"  # 招聘录用
    UNDERSTANDING = "understanding"  # 了解企业信用
    ADMINISTRATION = "administration"  # 行政管理 / 监管
    SELF = "self"  # 查询本人信用
    OTHER = "other"  # 其他
