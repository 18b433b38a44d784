"""Credit repair (信用修复): which regime applies, whether a subject may apply, and why. Pure.

The regime is the one in force on the **application date** (credit-rules.md §0, §4):

* NDRC Order No. 58 (失信行为纠正后的信用信息修复管理办法（试行）) from 2023-05-01 to 2026-03-31;
* NDRC Order No. 36 (2025) (信用修复管理办法) from 2026-04-01, which repeals Order 58;
* SAMR's repair rules (市场监督管理信用修复管理办法, 2021-09-01) with SAMR Order No. 45 art. 14 for
  market-regulation penalty information published on GSXT.

Periods come from the catalog's publicity rule sets of the same family in force on the application
date (:func:`xinyong.domain.publicity.publicity_window`): the subject may apply from the first day
after the minimum period; minor-tier information under Order 36 as soon as the obligations are
fulfilled. Some kinds cannot be repaired early (licence revocation, practice bans …; SAMR: suspension,
restriction, downgrade, revocation); abuse of bankruptcy waits 3 years (Shenzhen regulation art. 83).
Materials are limited to proof of fulfilment and a credit commitment letter (国办发〔2025〕22号);
repair is free. :func:`assess` lists every rule it applied, passed or not, in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from xinyong.catalog.model import Catalog, Duration, RuleSet
from xinyong.domain.enums import Tier
from xinyong.domain.publicity import NoRuleSetInForce, PublicityWindow, publicity_window, ruleset_in_force

REPLY_DAYS = 10  # the platform replies within 10 working days of the application (国办发〔2025〕22号)
DECIDE_DAYS = 3  # the deciding unit decides within 3 working days of receipt
EXTENSION_DAYS = 3  # Shenzhen regulation art. 82: +3 working days with the head's approval
BANKRUPTCY_WAIT = Duration(months=36)  # Shenzhen regulation art. 83
MATERIALS = ("proof", "commitment")  # 履行法定义务的证明材料 + 信用承诺书


@dataclass(frozen=True)
class Regime:
    """One set of repair rules, in force for applications filed from ``valid_from`` to ``valid_to``."""

    code: str
    name_zh: str
    name_en: str
    family: str  # the publicity rule-set family whose periods apply
    valid_from: date
    valid_to: date | None
    no_early_repair: frozenset[str]  # penalty categories that cannot be repaired before the end
    samr_conditions: bool = False  # SAMR Order 45 art. 14: not listed, no repeat of the same kind
    verified: bool = True
    basis: str = ""

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


REGIMES: tuple[Regime, ...] = (
    Regime(
        "ndrc_2019_527",
        "发改办财金〔2019〕527号",
        "NDRC Office notice 2019-527",
        "penalty_publicity",
        date(2019, 5, 1),
        date(2023, 4, 30),
        frozenset({"08", "12"}),
        verified=False,
        basis="发改办财金〔2019〕527号",
    ),
    Regime(
        "ndrc_order_58",
        "国家发展改革委令第58号",
        "NDRC Order No. 58",
        "penalty_publicity",
        date(2023, 5, 1),
        date(2026, 3, 31),
        frozenset({"08", "12"}),
        verified=False,
        basis="失信行为纠正后的信用信息修复管理办法（试行）（国家发展改革委令第58号）",
    ),
    Regime(
        "ndrc_order_36",
        "国家发展改革委令2025年第36号",
        "NDRC Order No. 36 (2025)",
        "penalty_publicity",
        date(2026, 4, 1),
        None,
        frozenset({"08", "12"}),
        verified=False,
        basis="信用修复管理办法（国家发展改革委令2025年第36号）；国办发〔2025〕22号",
    ),
    Regime(
        "samr_repair_2021",
        "市场监督管理信用修复管理办法",
        "SAMR credit repair measures (2021)",
        "samr_penalty_publicity",
        date(2021, 9, 1),
        None,
        # art. 14 ¶3 of SAMR Order 45: suspension (暂扣/停产停业), restriction, practice ban,
        # downgrade and revocation are not stopped early.
        frozenset({"06", "07", "08", "09", "10", "12"}),
        samr_conditions=True,
        basis="市场监督管理信用修复管理办法；市场监督管理行政处罚信息公示规定（总局令第45号）第十四条",
    ),
    Regime(
        "list_rules",
        "名单移出规则（各名单管理办法；国家发展改革委令第58号、2025年第36号）",
        "List removal rules (each list's own rules; NDRC Orders 58 and 36)",
        # Periods per list tag from the list_period rule set (court list: deletion on performance;
        # SAMR serious list, wage arrears: early removal after 1 year …).
        "list_period",
        date(2013, 10, 1),
        None,
        frozenset(),
        verified=False,
        basis="list_period rule set (catalog) — each list's own rules prevail over NDRC repair rules",
    ),
)


def regime_for(family: str | None, on: date, regimes: Iterable[Regime] = REGIMES) -> Regime | None:
    """The repair regime of a publicity family for an application filed on ``on``."""
    return next((r for r in regimes if r.family == family and r.covers(on)), None)


@dataclass(frozen=True)
class RepairFacts:
    """What :func:`assess` needs to know about one piece of negative information."""

    family: str | None  # the catalog item's publicity family
    tier: Tier
    decision_date: date | None
    tags: tuple[str, ...] = ()
    penalty_categories: tuple[str, ...] = ()
    published_on: date | None = None
    restriction_period: Duration | None = None
    status: str = "current"
    repaired_on: date | None = None
    open_case: bool = False  # a repair application for it is already being handled
    bankruptcy_abuse_on: date | None = None  # finding of abuse of bankruptcy (Shenzhen art. 83)
    listed: bool = False  # on the abnormal-operations or serious-illegal list (SAMR condition)
    repeated_on: date | None = None  # a later penalty of the same kind (SAMR condition)
    obligations_fulfilled: bool | None = None  # declared by the subject; None = not asked yet


@dataclass(frozen=True)
class Check:
    """One rule applied: passed or not, with its explanation."""

    code: str
    ok: bool
    zh: str
    en: str


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    regime: Regime | None
    earliest: date | None  # first day an application may be filed; None = no early repair
    checks: tuple[Check, ...]
    window: PublicityWindow | None = None
    materials: tuple[str, ...] = MATERIALS

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


def assess(facts: RepairFacts, on: date, rulesets: Catalog | Iterable[RuleSet]) -> Eligibility:
    """May the subject apply on ``on``? Every rule applied is listed in ``checks``."""
    checks: list[Check] = []
    blocker = _state_blocker(facts)
    regime = regime_for(facts.family, on)
    if blocker is None and regime is None:
        blocker = Check(
            "no_repair_regime",
            False,
            "该类信息不适用信用修复规则（可提出异议或等待期满）",
            "no repair rules apply to this kind of information (object, or wait for the period to end)",
        )
    if blocker is None and facts.decision_date is None:
        blocker = Check(
            "decision_date_missing",
            False,
            "缺少决定日期，无法计算最短公示期",
            "no decision date, so the minimum period cannot be computed",
        )
    if blocker is not None or regime is None or facts.decision_date is None:
        return Eligibility(False, regime, None, (blocker,) if blocker else ())
    checks.append(
        Check(
            "regime",
            True,
            f"适用{regime.name_zh}（按申请日 {on} 确定）",
            f"{regime.name_en} applies (in force on the application date {on})",
        )
    )
    window = _window(facts, regime, on, rulesets)
    if window is None:
        checks.append(
            Check(
                "no_rule_set",
                False,
                "申请日没有适用的公示期限规则",
                "no publicity rule set is in force on the application date",
            )
        )
        return Eligibility(False, regime, None, tuple(checks))
    earliest = _period_checks(facts, regime, window, on, checks)
    checks.extend(_condition_checks(facts, regime))
    eligible = all(c.ok for c in checks)
    return Eligibility(eligible, regime, earliest, tuple(checks), window)


def _state_blocker(facts: RepairFacts) -> Check | None:
    if facts.status != "current":
        return Check(
            "not_current",
            False,
            "该信息已被更正或撤销，无需修复",
            "the information was corrected or revoked; nothing to repair",
        )
    if facts.repaired_on is not None:
        return Check(
            "already_repaired",
            False,
            f"已于 {facts.repaired_on} 完成信用修复",
            f"already repaired on {facts.repaired_on}",
        )
    if facts.open_case:
        return Check(
            "case_open", False, "已有修复申请正在办理", "a repair application is already being handled"
        )
    if not facts.tier.negative:
        return Check(
            "not_negative", False, "非失信信息，无需修复", "not negative information; nothing to repair"
        )
    return None


def _window(
    facts: RepairFacts, regime: Regime, on: date, rulesets: Catalog | Iterable[RuleSet]
) -> PublicityWindow | None:
    assert facts.decision_date is not None
    try:
        ruleset = ruleset_in_force(rulesets, regime.family, on)
        return publicity_window(
            ruleset,
            facts.tier,
            facts.decision_date,
            facts.tags,
            facts.penalty_categories,
            published_on=facts.published_on,
            restriction_period=facts.restriction_period,
        )
    except NoRuleSetInForce:
        return None


def _period_checks(
    facts: RepairFacts, regime: Regime, window: PublicityWindow, on: date, checks: list[Check]
) -> date | None:
    """Minimum period, kinds without early repair, end of publicity, bankruptcy abuse."""
    if window.ends is not None and on > window.ends:
        checks.append(
            Check(
                "publicity_ended",
                False,
                f"公示期已于 {window.ends} 届满，已停止公示，无需修复",
                f"publicity ended on {window.ends}; no repair needed",
            )
        )
        return None
    barred = sorted(set(facts.penalty_categories) & regime.no_early_repair)
    if barred or window.earliest_repair is None:
        end = f"，公示至 {window.ends}" if window.ends else ""
        checks.append(
            Check(
                "no_early_repair",
                False,
                f"该类处罚（{'、'.join(barred) or '本类信息'}）不得提前修复{end}",
                f"this kind of penalty ({', '.join(barred) or 'this information'}) cannot be repaired early"
                + (f"; published until {window.ends}" if window.ends else ""),
            )
        )
        return None
    earliest = window.earliest_repair
    if window.min_period is not None and window.min_period.is_zero:
        checks.append(
            Check(
                "minor_repairable",
                True,
                "轻微失信信息，履行法定义务后即可修复",
                "minor-tier information: repairable once the obligations are fulfilled",
            )
        )
    else:
        period = str(window.min_period) if window.min_period else ""
        ok = on >= earliest
        checks.append(
            Check(
                "min_period",
                ok,
                f"最短公示期（{period}）{'已' if ok else '未'}届满，{earliest} 起可申请",
                f"minimum publicity period ({period}) {'has passed' if ok else 'not yet passed'}; "
                f"applications from {earliest}",
            )
        )
    if facts.bankruptcy_abuse_on is not None:
        wait = BANKRUPTCY_WAIT.after(facts.bankruptcy_abuse_on) + timedelta(days=1)
        earliest = max(earliest, wait)
        checks.append(
            Check(
                "bankruptcy_abuse",
                on >= wait,
                f"滥用破产程序的，{wait} 起方可申请修复",
                f"abuse of bankruptcy: repair only from {wait} (3 years)",
            )
        )
    return earliest


def _condition_checks(facts: RepairFacts, regime: Regime) -> list[Check]:
    out = []
    if regime.samr_conditions:
        out.append(
            Check(
                "not_listed",
                not facts.listed,
                "未被列入经营异常名录或严重违法失信名单"
                if not facts.listed
                else "仍在经营异常名录或严重违法失信名单中",
                "not on the abnormal-operations or serious-illegal list"
                if not facts.listed
                else "still on the abnormal-operations or serious-illegal list",
            )
        )
        rep = facts.repeated_on
        out.append(
            Check(
                "no_repeat",
                rep is None,
                "未再次受到同类行政处罚" if rep is None else f"{rep} 再次受到同类行政处罚",
                "no later penalty of the same kind"
                if rep is None
                else f"a penalty of the same kind on {rep}",
            )
        )
    fulfilled = facts.obligations_fulfilled
    if fulfilled is False:
        out.append(
            Check(
                "obligations",
                False,
                "尚未履行行政处罚决定规定的义务",
                "the obligations of the decision are not yet fulfilled",
            )
        )
    else:
        out.append(
            Check(
                "obligations",
                True,
                "须提交履行法定义务的证明材料和信用承诺书（免费办理）",
                "submit proof of fulfilment and a credit commitment letter (repair is free)",
            )
        )
    return out
