"""Every transition of the two real flows (项目申报 ``applications.flows.ApplicationFlow`` and
四个十佳推荐 ``nominations.flows.NominationFlow``), from every state, by every role, over the
HTTP API as a client would: performed (200, the flow's target, one audit event) or refused with
the status the API gives (404 the record is not visible to the caller, 409 the transition does
not start from the record's state, 403 the caller lacks the role or scope, 400 a condition or an
input is unmet) and nothing changed.

The expected outcomes come from the tables below, written from docs/flows.md and the scope rules
of workflows/selectors.py — not from the flow code; ``test_tables_match_the_flow_declarations``
holds the tables against the flows' declarations so that neither can drift silently.

One test per (flow, case): a case is a state reached along one path (a terminal state reached
along two paths that differ in who sees it is two cases). The record is built once, over the API,
in two phases: "bare" (in the state, the conditions of its transitions not yet met: every unmet
condition is refused with 400 and listed) and "ready" (every condition met: the whole table of
transitions × users is checked; each allowed move is performed inside a savepoint that is then
rolled back, so that one record serves them all).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from applications.flows import ApplicationFlow
from nominations.flows import NO_VIOLATION_STATEMENT, NominationFlow
from tests.applications import helpers as app_helpers
from tests.applications.builders import GOOD_SCORES, unique_name
from tests.conftest import api_as
from tests.decisions import decided
from tests.nominations import helpers as nom_helpers
from workflows.flows import OPINION_NONE, OPINION_OPTIONAL, OPINION_REQUIRED
from workflows.models import AuditEvent, Round
from workflows.registry import get_record_model

# -- who ----------------------------------------------------------------------------------------

# Every record of the table belongs to applicant_csf_br1 (CSF-BR1, recommended by CSF).
USERS = [
    "applicant_csf_br1",  # applicant of the record's organization
    "applicant_gd_fish",  # applicant of another organization, same recommending unit (CSF)
    "applicant_xuwen",  # applicant of another organization and recommending unit (GD-CAST)
    "reviewer_csf",  # society reviewer of the record's recommending unit
    "reviewer_gd_cast",  # society reviewer of another recommending unit
    "content_csf",  # content reviewer of the record's recommending unit
    "content_gd_cast",  # content reviewer of another recommending unit
    "content_cast",  # content reviewer of CAST
    "cast_staff",
    "expert_1",  # an expert assigned to the record (from expert review on)
    "expert_4",  # an expert never assigned to it
    "auditor",
]
# The "who" column of docs/flows.md: the one demo user holding each permission on the record,
# with the organization and role the audit event names.
WHO = {
    "A": ("applicant_csf_br1", "CSF-BR1", Role.APPLICANT),
    "R": ("reviewer_csf", "CSF", Role.SOCIETY_REVIEWER),
    "C": ("cast_staff", "CAST", Role.CAST_STAFF),
    # The applicant of a unit that is its own recommending unit: no one on these records (CSF-BR1
    # is recommended by CSF), so submit_to_cast / resubmit_to_cast are refused with 403 here
    # (tests/applications/test_channels.py takes them).
    "A*": ("", "", Role.APPLICANT),
}
# The permission each letter stands for in the flow declarations: (role, scope).
PERMISSION = {
    "A": (Role.APPLICANT, "own"),
    "A*": (Role.APPLICANT, "own_recommender"),
    "R": (Role.SOCIETY_REVIEWER, "recommender"),
    "C": (Role.CAST_STAFF, "cast"),
}

# How each refusal begins (workflows/api/errors.py, workflows/services.py).
DETAIL = {404: "记录不存在或您无权查看", 403: "您没有权限执行“", 409: "记录当前状态为“"}

OPINION = f"经审核，材料真实，{NO_VIOLATION_STATEMENT}，同意。"
REQUIRED_OPINION = "请填写意见"

# -- the tables ---------------------------------------------------------------------------------

NOT_DECIDED = "尚未经审定会议决定：请先登记审定会议（部务会或专题会）、上传会议纪要并添加本记录"


@dataclass(frozen=True)
class Table:
    key: str
    flow: Any
    record_type: str
    url: str
    # name → (who, the states it starts from, its target, opinion)
    transitions: dict[str, tuple[str, frozenset[str], str, str]]
    # case → (its state, the steps that reach it "bare", the steps that make it "ready")
    cases: dict[str, tuple[str, list[tuple[Any, ...]], list[tuple[Any, ...]]]]
    # user → the cases in which they see the record (everyone else: 404)
    visible: dict[str, set[str]]
    # case → transition → the reasons its permitted user is refused with in the bare phase
    # ("{ends_on}": the last day of the record's published notice)
    unmet: dict[str, dict[str, list[str]]]
    # (case, transition) → the reasons an empty opinion is refused with (ready phase)
    empty_opinion: dict[str, list[str]] = field(default_factory=dict)
    # case → [(transition, body, reasons)]: inputs refused in the ready phase
    bad_inputs: dict[str, list[tuple[str, dict[str, Any], list[str]]]] = field(default_factory=dict)
    # transition → the data it is performed with
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    # transition → the cases in which its permission holds (a ``ReturnerPermission``: only on a
    # record that party returned); in the other cases of its states its holder is refused (403)
    returner_only: dict[str, set[str]] = field(default_factory=dict)
    # case → transition → the reasons its permitted user is refused with in the ready phase
    # (the 补正期限 not lapsed for a decision, lapsed for a resubmission; "{due}": its date)
    ready_unmet: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _t(who: str, sources: set[str], target: str, opinion: str) -> tuple[str, frozenset[str], str, str]:
    return (who, frozenset(sources), target, opinion)


OPT, REQ, NONE = OPINION_OPTIONAL, OPINION_REQUIRED, OPINION_NONE

# Steps (run by ``Builder.run``): ("A"|"R"|"C", transition) by the holder of the permission;
# ("attach",) the applicant's required attachments; ("opinion_pdf",) the recommending unit's
# sealed opinion; ("review", user, stage) a content review passed; ("assign"|"score", expert);
# ("edit",) the applicant changes the form; ("notice",) a notice listing the record, created by
# CAST staff and passed by CAST's content reviewer; ("publish",) it published; ("end_period",)
# its period over; ("finish",) it finished by CAST staff; ("object",) a member of the public
# objects; ("uphold",) CAST staff uphold the objection (which removes the record from the notice);
# ("upheld_in_db",) the objection marked upheld directly (through the API an upheld objection
# takes the record off the notice at once: this is the only way to meet the condition of a
# direct revoke / disqualify); ("rival_disqualified",) another nomination of the category
# disqualified after its notice (a place to fill by 递补).
EXPERTS = ("expert_1", "expert_2", "expert_3")
ASSIGN = [("assign", e) for e in EXPERTS]
SCORE = [("score", e) for e in EXPERTS]
SUBMITTED = [("create",), ("attach",), ("A", "submit")]
RECOMMENDER_READY = [("review", "content_csf", "recommender"), ("opinion_pdf",)]
RECOMMENDED = [*SUBMITTED, *RECOMMENDER_READY, ("R", "recommend")]
NOTICE_ENDED = [("publish",), ("end_period",)]

# ---- 项目申报 -----------------------------------------------------------------------------------

APP_EXPERT_REVIEW = [*RECOMMENDED, ("C", "pass_formal_review"), *ASSIGN]
APP_PROPOSED = [
    *APP_EXPERT_REVIEW,
    *SCORE,
    ("review", "content_cast", "cast"),
    ("decide",),
    ("C", "propose"),
    ("notice",),
]
# publish_notice (and the nominations' promote) are taken when the record's notice is
# published, never on their own: POSTed directly they are refused with DRIVEN first among the
# reasons (a record moved alone would leave its notice unpublishable and itself stranded).
BY_NOTICE = {"publish_notice", "promote"}
DRIVEN = "该操作随公示的发布执行：请在公示管理中发布该记录所在的公示"
ISSUED = "公示期至 {ends_on} 结束，尚未期满"
NOT_ON_REVIEWED_NOTICE = "该记录不在已通过发布前内容审核、待发布的公示名单上"
NO_UPHELD_OBJECTION = "该记录没有成立的异议"
# The 补正期限 (workflows/revision.py): a decision only once it lapsed, a resubmission only before.
NOT_YET_LAPSED = "补正期限 {due} 尚未届满，届满后方可作出决定"
LAPSED_ASK_RECOMMENDER = "补正期限已于 {due} 届满，不能再提交；如需延期，请联系推荐单位"
LAPSED_ASK_CAST = "补正期限已于 {due} 届满，不能再提交；如需延期，请联系中国科协"
UNCHANGED = "自退回以来内容没有任何修改，请修改后再提交"

APPLICATIONS = Table(
    key="applications",
    flow=ApplicationFlow,
    record_type="applications.application",
    url="/api/v1/applications/",
    transitions={
        "submit": _t("A", {"draft"}, "submitted", NONE),
        "withdraw": _t("A", {"draft", "submitted", "returned"}, "withdrawn", OPT),
        "decline": _t("R", {"submitted"}, "not_recommended", REQ),
        "recommend": _t("R", {"submitted"}, "recommended", REQ),
        "return_for_revision": _t("R", {"submitted"}, "returned", REQ),
        "resubmit": _t("A", {"returned"}, "submitted", OPT),
        "extend_revision": _t("R", {"returned"}, "returned", REQ),
        "decline_lapsed": _t("R", {"returned"}, "not_recommended", REQ),
        "extend_cast_revision": _t("C", {"returned"}, "returned", REQ),
        "reject_lapsed": _t("C", {"returned"}, "rejected", REQ),
        "submit_to_cast": _t("A*", {"draft"}, "recommended", NONE),
        "resubmit_to_cast": _t("A*", {"returned"}, "recommended", OPT),
        "pass_formal_review": _t("C", {"recommended"}, "expert_review", OPT),
        "reject_formal_review": _t("C", {"recommended"}, "rejected", REQ),
        "return_from_formal_review": _t("C", {"recommended"}, "returned", REQ),
        "propose": _t("C", {"expert_review"}, "proposed", REQ),
        "reject": _t("C", {"expert_review"}, "rejected", REQ),
        "publish_notice": _t("C", {"proposed"}, "public_notice", OPT),
        "issue": _t("C", {"public_notice"}, "approved", OPT),
        "revoke": _t("C", {"public_notice"}, "rejected", REQ),
    },
    cases={
        "draft": ("draft", [("create",)], [("attach",)]),
        "withdrawn": ("withdrawn", [("create",), ("A", "withdraw")], []),
        "submitted": ("submitted", SUBMITTED, RECOMMENDER_READY),
        "withdrawn_after_submit": ("withdrawn", [*SUBMITTED, ("A", "withdraw")], []),
        "returned": ("returned", [*SUBMITTED, ("R", "return_for_revision")], [("edit",)]),
        "returned_lapsed": ("returned", [*SUBMITTED, ("R", "return_for_revision")], [("edit",), ("lapse",)]),
        "not_recommended": ("not_recommended", [*SUBMITTED, ("R", "decline")], []),
        "recommended": ("recommended", RECOMMENDED, []),
        "returned_by_cast": ("returned", [*RECOMMENDED, ("C", "return_from_formal_review")], [("edit",)]),
        "returned_by_cast_lapsed": (
            "returned",
            [*RECOMMENDED, ("C", "return_from_formal_review")],
            [("edit",), ("lapse",)],
        ),
        "rejected": ("rejected", [*RECOMMENDED, ("C", "reject_formal_review")], []),
        "expert_review": (
            "expert_review",
            APP_EXPERT_REVIEW,
            [*SCORE, ("review", "content_cast", "cast"), ("decide",)],
        ),
        "rejected_after_review": ("rejected", [*APP_EXPERT_REVIEW, ("C", "reject")], []),
        "proposed": ("proposed", APP_PROPOSED[:-1], APP_PROPOSED[-1:]),
        "public_notice": (
            "public_notice",
            [*APP_PROPOSED, ("publish",), ("object",)],
            [("end_period",), ("upheld_in_db",)],
        ),
        "approved": ("approved", [*APP_PROPOSED, *NOTICE_ENDED, ("finish",)], []),
        "revoked": ("rejected", [*APP_PROPOSED, ("publish",), ("object",), ("uphold",)], []),
    },
    visible={
        "applicant_csf_br1": {
            "draft",
            "withdrawn",
            "submitted",
            "withdrawn_after_submit",
            "returned",
            "returned_lapsed",
            "not_recommended",
            "recommended",
            "returned_by_cast",
            "returned_by_cast_lapsed",
            "rejected",
            "expert_review",
            "rejected_after_review",
            "proposed",
            "public_notice",
            "approved",
            "revoked",
        },
        "applicant_gd_fish": set(),
        "applicant_xuwen": set(),
        # everything ever submitted to it (not a draft, nor one withdrawn before submission)
        "reviewer_csf": {
            "submitted",
            "withdrawn_after_submit",
            "returned",
            "returned_lapsed",
            "not_recommended",
            "recommended",
            "returned_by_cast",
            "returned_by_cast_lapsed",
            "rejected",
            "expert_review",
            "rejected_after_review",
            "proposed",
            "public_notice",
            "approved",
            "revoked",
        },
        "reviewer_gd_cast": set(),
        # waiting on its content review (submitted), or once it passed one (recommended on)
        "content_csf": {
            "submitted",
            "recommended",
            "returned_by_cast",
            "returned_by_cast_lapsed",
            "rejected",
            "expert_review",
            "rejected_after_review",
            "proposed",
            "public_notice",
            "approved",
            "revoked",
        },
        "content_gd_cast": set(),
        # waiting on CAST's content review (expert review, proposed), or once it passed one
        "content_cast": {"expert_review", "proposed", "public_notice", "approved", "revoked"},
        # from recommended on, and a record CAST itself returned (its 补正期限 is CAST's business)
        "cast_staff": {
            "recommended",
            "returned_by_cast",
            "returned_by_cast_lapsed",
            "rejected",
            "expert_review",
            "rejected_after_review",
            "proposed",
            "public_notice",
            "approved",
            "revoked",
        },
        "expert_1": {"expert_review", "rejected_after_review", "proposed", "public_notice", "approved", "revoked"},
        "expert_4": set(),
        "auditor": {
            "draft",
            "withdrawn",
            "submitted",
            "withdrawn_after_submit",
            "returned",
            "returned_lapsed",
            "not_recommended",
            "recommended",
            "returned_by_cast",
            "returned_by_cast_lapsed",
            "rejected",
            "expert_review",
            "rejected_after_review",
            "proposed",
            "public_notice",
            "approved",
            "revoked",
        },
    },
    unmet={
        "draft": {"submit": ["请上传加盖公章的申报书（PDF）"]},
        "submitted": {"recommend": ["请上传推荐单位盖章意见（PDF）", "推荐单位内容审核尚未完成（当前版本）"]},
        "returned": {"resubmit": [UNCHANGED], "decline_lapsed": [NOT_YET_LAPSED]},
        "returned_lapsed": {"resubmit": [UNCHANGED], "decline_lapsed": [NOT_YET_LAPSED]},
        "returned_by_cast": {"resubmit": [UNCHANGED], "reject_lapsed": [NOT_YET_LAPSED]},
        "returned_by_cast_lapsed": {"resubmit": [UNCHANGED], "reject_lapsed": [NOT_YET_LAPSED]},
        "expert_review": {
            "propose": [
                "还有 3 位专家未提交评分",
                NOT_DECIDED,
                "中国科协内容审核尚未完成（当前版本）",
            ]
        },
        "proposed": {"publish_notice": [DRIVEN, NOT_ON_REVIEWED_NOTICE, "发布前内容审核尚未完成（当前版本）"]},
        "public_notice": {
            "issue": [ISSUED, "该记录有 1 条异议尚未处理"],
            "revoke": [NO_UPHELD_OBJECTION],
        },
    },
    empty_opinion={
        "decline": [REQUIRED_OPINION],
        "recommend": [REQUIRED_OPINION],
        "return_for_revision": [REQUIRED_OPINION],
        "reject_formal_review": [REQUIRED_OPINION],
        "return_from_formal_review": [REQUIRED_OPINION],
        "extend_revision": [REQUIRED_OPINION],
        "decline_lapsed": [REQUIRED_OPINION],
        "extend_cast_revision": [REQUIRED_OPINION],
        "reject_lapsed": [REQUIRED_OPINION],
        "propose": [REQUIRED_OPINION],
        "reject": [REQUIRED_OPINION],
        "revoke": [REQUIRED_OPINION],
    },
    bad_inputs={
        "submitted": [
            (
                "return_for_revision",
                {"opinion": OPINION, "data": {"revision_due": "下周五"}},
                ["补正期限“下周五”不是有效日期，格式应为 YYYY-MM-DD"],
            ),
        ],
        "returned_lapsed": [
            (
                "extend_revision",
                {"opinion": OPINION, "data": {"revision_due": "2026-13-01"}},
                ["补正期限“2026-13-01”不是有效日期，格式应为 YYYY-MM-DD"],
            ),
        ],
        "expert_review": [
            ("propose", {"opinion": OPINION}, ["请填写拟资助金额"]),
            ("propose", {"opinion": OPINION, "data": {"funding_amount": "0"}}, ["拟资助金额必须大于 0"]),
            ("propose", {"opinion": OPINION, "data": {"funding_amount": "100.001"}}, ["拟资助金额最多保留两位小数"]),
            (
                "propose",
                {"opinion": OPINION, "data": {"funding_amount": "80000.01"}},
                ["拟资助金额 80,000.01 元超过申请金额 80,000.00 元"],
            ),
        ],
    },
    data={"propose": {"funding_amount": "60000.00"}},
    returner_only={
        "extend_revision": {"returned", "returned_lapsed"},
        "decline_lapsed": {"returned", "returned_lapsed"},
        "extend_cast_revision": {"returned_by_cast", "returned_by_cast_lapsed"},
        "reject_lapsed": {"returned_by_cast", "returned_by_cast_lapsed"},
    },
    ready_unmet={
        "returned": {"decline_lapsed": [NOT_YET_LAPSED]},
        "returned_lapsed": {"resubmit": [LAPSED_ASK_RECOMMENDER]},
        "returned_by_cast": {"reject_lapsed": [NOT_YET_LAPSED]},
        "returned_by_cast_lapsed": {"resubmit": [LAPSED_ASK_CAST]},
    },
)

# ---- 四个十佳推荐 -------------------------------------------------------------------------------

NOM_EXPERT_REVIEW = [*RECOMMENDED, ("C", "confirm_eligible"), *ASSIGN]
NOM_SCORED = [*NOM_EXPERT_REVIEW, *SCORE, ("review", "content_cast", "cast")]
NOM_SHORTLISTED = [*NOM_SCORED, ("decide",), ("C", "shortlist"), ("notice",)]
ALL_NOMINATION_CASES = {
    "draft",
    "withdrawn",
    "submitted",
    "withdrawn_after_submit",
    "returned",
    "returned_lapsed",
    "not_recommended",
    "recommended",
    "ineligible",
    "expert_review",
    "not_selected",
    "shortlisted",
    "public_notice",
    "awarded",
    "disqualified",
}
FROM_EXPERT_REVIEW = {"expert_review", "not_selected", "shortlisted", "public_notice", "awarded", "disqualified"}

NOMINATIONS = Table(
    key="nominations",
    flow=NominationFlow,
    record_type="nominations.nomination",
    url="/api/v1/nominations/",
    transitions={
        "submit": _t("A", {"draft"}, "submitted", NONE),
        "withdraw": _t("A", {"draft", "submitted", "returned"}, "withdrawn", OPT),
        "decline": _t("R", {"submitted"}, "not_recommended", REQ),
        "recommend": _t("R", {"submitted"}, "recommended", REQ),
        "return_for_revision": _t("R", {"submitted"}, "returned", REQ),
        "resubmit": _t("A", {"returned"}, "submitted", OPT),
        "extend_revision": _t("R", {"returned"}, "returned", REQ),
        "decline_lapsed": _t("R", {"returned"}, "not_recommended", REQ),
        "submit_to_cast": _t("A*", {"draft"}, "recommended", NONE),
        "resubmit_to_cast": _t("A*", {"returned"}, "recommended", OPT),
        "confirm_eligible": _t("C", {"recommended"}, "expert_review", OPT),
        "declare_ineligible": _t("C", {"recommended"}, "ineligible", REQ),
        "not_select": _t("C", {"expert_review"}, "not_selected", OPT),
        "shortlist": _t("C", {"expert_review"}, "shortlisted", OPT),
        "publish_notice": _t("C", {"shortlisted"}, "public_notice", OPT),
        "promote": _t("C", {"not_selected"}, "public_notice", REQ),
        "award": _t("C", {"public_notice"}, "awarded", OPT),
        "disqualify": _t("C", {"public_notice"}, "disqualified", REQ),
    },
    cases={
        "draft": ("draft", [("create",)], [("attach",)]),
        "withdrawn": ("withdrawn", [("create",), ("A", "withdraw")], []),
        "submitted": ("submitted", SUBMITTED, RECOMMENDER_READY),
        "withdrawn_after_submit": ("withdrawn", [*SUBMITTED, ("A", "withdraw")], []),
        "returned": ("returned", [*SUBMITTED, ("R", "return_for_revision")], [("edit",)]),
        "returned_lapsed": ("returned", [*SUBMITTED, ("R", "return_for_revision")], [("edit",), ("lapse",)]),
        "not_recommended": ("not_recommended", [*SUBMITTED, ("R", "decline")], []),
        "recommended": ("recommended", RECOMMENDED, []),
        "ineligible": ("ineligible", [*RECOMMENDED, ("C", "declare_ineligible")], []),
        "expert_review": (
            "expert_review",
            NOM_EXPERT_REVIEW,
            [*SCORE, ("review", "content_cast", "cast"), ("decide",)],
        ),
        "not_selected": ("not_selected", [*NOM_SCORED, ("C", "not_select")], [("rival_disqualified",), ("notice",)]),
        "shortlisted": ("shortlisted", NOM_SHORTLISTED[:-1], NOM_SHORTLISTED[-1:]),
        "public_notice": (
            "public_notice",
            [*NOM_SHORTLISTED, ("publish",), ("object",)],
            [("end_period",), ("upheld_in_db",)],
        ),
        "awarded": ("awarded", [*NOM_SHORTLISTED, *NOTICE_ENDED, ("finish",)], []),
        "disqualified": ("disqualified", [*NOM_SHORTLISTED, ("publish",), ("object",), ("uphold",)], []),
    },
    visible={
        "applicant_csf_br1": ALL_NOMINATION_CASES,
        "applicant_gd_fish": set(),
        "applicant_xuwen": set(),
        "reviewer_csf": ALL_NOMINATION_CASES - {"draft", "withdrawn"},
        "reviewer_gd_cast": set(),
        "content_csf": {"submitted", "recommended", "ineligible", *FROM_EXPERT_REVIEW},
        "content_gd_cast": set(),
        # waiting on CAST's content review (expert review, shortlisted, not selected), or once
        # it passed one
        "content_cast": set(FROM_EXPERT_REVIEW),
        "cast_staff": {"recommended", "ineligible", *FROM_EXPERT_REVIEW},
        "expert_1": set(FROM_EXPERT_REVIEW),
        "expert_4": set(),
        "auditor": ALL_NOMINATION_CASES,
    },
    unmet={
        "draft": {"submit": ["工作照片须 3–5 张（现为 0 张）", "请上传申报单位盖章意见（PDF）"]},
        "submitted": {"recommend": ["请上传推荐单位盖章意见（PDF）", "推荐单位内容审核尚未完成（当前版本）"]},
        "returned": {"resubmit": [UNCHANGED], "decline_lapsed": [NOT_YET_LAPSED]},
        "returned_lapsed": {"resubmit": [UNCHANGED], "decline_lapsed": [NOT_YET_LAPSED]},
        "expert_review": {
            "shortlist": [
                "还有 3 位专家未提交评分",
                NOT_DECIDED,
                "中国科协内容审核尚未完成（当前版本）",
            ]
        },
        "not_selected": {
            "promote": [
                DRIVEN,
                "本类别没有被取消拟入选资格、需要递补的名额",
                NOT_ON_REVIEWED_NOTICE,
                "发布前内容审核尚未完成（当前版本）",
            ]
        },
        "shortlisted": {"publish_notice": [DRIVEN, NOT_ON_REVIEWED_NOTICE, "发布前内容审核尚未完成（当前版本）"]},
        "public_notice": {
            "award": [ISSUED, "该记录有 1 条异议尚未处理"],
            "disqualify": [NO_UPHELD_OBJECTION],
        },
    },
    empty_opinion={
        "decline": [REQUIRED_OPINION],
        "recommend": [REQUIRED_OPINION, f"推荐意见须包含“{NO_VIOLATION_STATEMENT}”的表述"],
        "return_for_revision": [REQUIRED_OPINION],
        "extend_revision": [REQUIRED_OPINION],
        "decline_lapsed": [REQUIRED_OPINION],
        "declare_ineligible": [REQUIRED_OPINION],
        "promote": [DRIVEN, REQUIRED_OPINION],
        "disqualify": [REQUIRED_OPINION],
    },
    bad_inputs={
        "submitted": [
            ("recommend", {"opinion": "同意推荐。"}, [f"推荐意见须包含“{NO_VIOLATION_STATEMENT}”的表述"]),
        ],
    },
    ready_unmet={
        "returned": {"decline_lapsed": [NOT_YET_LAPSED]},
        "returned_lapsed": {"resubmit": [LAPSED_ASK_RECOMMENDER]},
    },
)

TABLES = {t.key: t for t in (APPLICATIONS, NOMINATIONS)}


def expected_status(table: Table, case: str, name: str, username: str) -> int:
    state = table.cases[case][0]
    who, sources, _target, _opinion = table.transitions[name]
    if case not in table.visible[username]:
        return 404
    if state not in sources:
        return 409
    if WHO[who][0] == username and case in table.returner_only.get(name, {case}):
        return 200
    return 403


def permitted(table: Table, case: str, username: str) -> list[str]:
    """The transitions the user holds from the case's state (what GET …/transitions/ lists)."""
    state = table.cases[case][0]
    return sorted(
        name
        for name, (who, sources, _target, _opinion) in table.transitions.items()
        if state in sources and WHO[who][0] == username and case in table.returner_only.get(name, {case})
    )


# -- building records over the API --------------------------------------------------------------

PARTIES = {
    # applicant → (society reviewer, content reviewer) of its recommending unit
    "applicant_csf_br1": ("reviewer_csf", "content_csf"),
    "applicant_xuwen": ("reviewer_gd_cast", "content_gd_cast"),
}
CATEGORY = "team"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.json())
    return response.json()


class Builder:
    """Runs steps on one record of ``applicant``, over HTTP, asserting each one's status."""

    def __init__(self, table: Table, users: dict[str, Any], round_id: int, applicant: str = "applicant_csf_br1"):
        self.table = table
        self.users = users
        self.round_id = round_id
        self.applicant = applicant
        self.reviewer, self.content = PARTIES[applicant]
        self.pk: int | None = None
        self.notice: dict[str, Any] | None = None
        self.objection_id: int | None = None

    @property
    def nominations(self) -> bool:
        return self.table is NOMINATIONS

    def client(self, username: str) -> Any:
        return api_as(self.users[username])

    def url(self, tail: str = "") -> str:
        return f"{self.table.url}{self.pk}/{tail}"

    def run(self, steps: list[tuple[Any, ...]]) -> Builder:
        for step in steps:
            if step[0] in WHO:
                self.transition(step[0], step[1])
            else:
                getattr(self, f"step_{step[0]}")(*step[1:])
        return self

    def transition(self, who: str, name: str) -> None:
        username = {"A": self.applicant, "R": self.reviewer, "C": "cast_staff"}[who]
        body = {"opinion": OPINION, "data": self.table.data.get(name, {})}
        target = self.table.transitions[name][2]
        assert ok(self.client(username).post(self.url(f"transitions/{name}/"), body, format="json"))["state"] == target

    def step_create(self) -> None:
        if self.nominations:
            data = nom_helpers.form(CATEGORY, round=self.round_id, nominee_name=nom_helpers.unique("服务队"))
        else:
            subproject = app_helpers.SUBPROJECT_OF[self.applicant]
            data = app_helpers.form(round=self.round_id, subproject=subproject, name=unique_name())
        self.pk = ok(self.client(self.applicant).post(self.table.url, data, format="json"), 201)["id"]

    def step_attach(self) -> None:
        if self.nominations:
            nom_helpers.attach_all(self.client(self.applicant), self.pk, CATEGORY)
        else:
            ok(app_helpers.upload(self.client(self.applicant), self.pk, "sealed_application"), 201)

    def step_opinion_pdf(self) -> None:
        helpers = nom_helpers if self.nominations else app_helpers
        ok(helpers.upload(self.client(self.reviewer), self.pk, "recommender_opinion", name="推荐意见.pdf"), 201)

    def step_review(self, username: str, stage: str) -> None:
        username = self.content if username == "content_csf" else username
        helpers = nom_helpers if self.nominations else app_helpers
        ok(helpers.review(self.users, username, self.pk, stage), 201)

    def step_assign(self, expert: str) -> None:
        body = {"stage": "expert", "assignee": expert}
        ok(self.client("cast_staff").post(self.url("assignments/"), body, format="json"), 201)

    def step_score(self, expert: str) -> None:
        scores = nom_helpers.uniform(85) if self.nominations else GOOD_SCORES
        body = {"scores": scores, "comment": "材料翔实，论证充分。"}
        ok(self.client(expert).post(self.url("scores/"), body, format="json"), 201)

    def step_decide(self) -> None:
        """审定: a decision meeting with its minutes agreed to the record."""
        decided(self.users, self.table.record_type, self.round_id, self.pk)

    def step_edit(self) -> None:
        change = (
            {"deeds": nom_helpers.DEEDS[CATEGORY] + "补充：2025年新增服务活动12次。"}
            if self.nominations
            else {"outcomes": "形成培训教材 1 套，典型案例 5 个。"}
        )
        ok(self.client(self.applicant).patch(self.url(), change, format="json"))

    def step_notice(self) -> None:
        body = {
            "round": self.round_id,
            "record_type": self.table.record_type,
            "record_ids": [self.pk],
            "title": "拟入选名单公示" if self.nominations else "拟立项项目公示",
            "intro": "现予公示。",
        }
        notice = ok(self.client("cast_staff").post("/api/v1/notices/", body, format="json"), 201)
        review = {"verdict": "pass", "opinion": "名单内容准确，不含个人隐私信息。"}
        ok(self.client("content_cast").post(f"/api/v1/notices/{notice['id']}/review/", review, format="json"))
        self.notice = notice

    def step_publish(self) -> None:
        self.notice = ok(
            self.client("cast_staff").post(f"/api/v1/notices/{self.notice['id']}/publish/", {}, format="json")
        )

    def step_end_period(self) -> None:
        nom_helpers.end_notice_period(self.notice["id"])

    def step_finish(self) -> None:
        body = {"opinion": "公示期满，无异议。"}
        ok(self.client("cast_staff").post(f"/api/v1/notices/{self.notice['id']}/finish/", body, format="json"))

    def step_object(self) -> None:
        from notices.models import Objection

        entry = nom_helpers.entry_of(self.notice, self.pk)
        ok(nom_helpers.file_objection(self.notice["id"], entry, ip=f"203.0.113.{self.pk % 250 + 1}"), 201)
        self.objection_id = Objection.objects.get(entry_id=entry).pk

    def step_uphold(self) -> None:
        body = {"decision": "uphold", "reason": "经核实，异议成立。"}
        ok(self.client("cast_staff").post(f"/api/v1/objections/{self.objection_id}/decide/", body, format="json"))

    def step_upheld_in_db(self) -> None:
        from notices.models import Objection, ObjectionStatus

        Objection.objects.filter(pk=self.objection_id).update(status=ObjectionStatus.UPHELD)

    def step_lapse(self) -> None:
        """The 补正期限 passed: it ended yesterday (days are not waited for in a test)."""
        model = get_record_model(self.table.record_type)
        model.objects.filter(pk=self.pk).update(revision_due=timezone.localdate() - dt.timedelta(days=1))

    @property
    def due(self) -> str:
        model = get_record_model(self.table.record_type)
        due = model.objects.values_list("revision_due", flat=True).get(pk=self.pk)
        return due.isoformat() if due else ""

    def step_rival_disqualified(self) -> None:
        rival = Builder(self.table, self.users, self.round_id, applicant="applicant_xuwen")
        rival.run(self.table.cases["disqualified"][1])

    @property
    def state(self) -> str:
        return get_record_model(self.table.record_type).objects.values_list("state", flat=True).get(pk=self.pk)


# -- the tests ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Uploads in the test's own directory; no objection rate limit left by another test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("key", sorted(TABLES))
def test_tables_match_the_flow_declarations(key):
    table = TABLES[key]
    flow = table.flow
    declared = {
        (name, t.source, t.target, (t.permission.role, t.permission.scope), flow.spec_of(t).opinion)
        for name, ts in flow.all_transitions().items()
        for t in ts
    }
    tabled = {
        (name, source, target, PERMISSION[who], opinion)
        for name, (who, sources, target, opinion) in table.transitions.items()
        for source in sources
    }
    assert tabled == declared
    by_notice = {name for name, ts in flow.all_transitions().items() if flow.spec_of(ts[0]).driven_by == "notice"}
    assert by_notice == BY_NOTICE & set(table.transitions)
    # every state of the flow has a case, every case a state of the flow
    assert {state for state, _reach, _ready in table.cases.values()} == set(flow.States.values)
    assert set(table.visible) == set(USERS)
    assert all(cases <= set(table.cases) for cases in table.visible.values())
    # the conditions tabled as unmet are on transitions the case's state starts
    for case, unmet in table.unmet.items():
        assert all(table.cases[case][0] in table.transitions[name][1] for name in unmet), case
    assert {n for n, (_w, _s, _t, o) in table.transitions.items() if o == REQ} == set(table.empty_opinion)


CASES = [pytest.param(key, case, id=f"{key}-{case}") for key, table in TABLES.items() for case in table.cases]


def post(user: Any, url: str, body: dict[str, Any]) -> Any:
    return api_as(user).post(url, body, format="json")


def events_of(table: Table, pk: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(record_type=table.record_type, record_id=pk).order_by("pk"))


@pytest.mark.parametrize(("key", "case"), CASES)
def test_every_transition_by_every_role(key, case, users):
    table = TABLES[key]
    state, reach, ready = table.cases[case]
    kind = "selection" if table is NOMINATIONS else "application"
    builder = Builder(table, users, Round.objects.get(kind=kind).pk).run(reach)
    assert builder.state == state
    pk = builder.pk
    transitions_url = f"{table.url}{pk}/transitions/"
    mismatches: list[Any] = []

    def refused(name: str, username: str, body: dict[str, Any], want: int, reasons: list[str] | str | None = None):
        """POST ``name`` as ``username``: refused with ``want`` (and ``reasons``), nothing changed."""
        before = AuditEvent.objects.count()
        response = post(users[username], f"{transitions_url}{name}/", body)
        if reasons is None:  # the refusal's own message: who may not, or what moved on
            reasons = DETAIL[want]
            got_reasons = response.json().get("detail", "")[: len(reasons)]
        else:
            got_reasons = response.json().get("errors")
        got = (response.status_code, got_reasons, builder.state, AuditEvent.objects.count())
        if got != (want, reasons, state, before):
            mismatches.append((case, name, username, body, (want, reasons), got))

    def listing_matches(username: str, reasons_by_name: dict[str, list[str]]) -> None:
        """GET …/transitions/ as ``username`` lists what the user holds, with the reasons."""
        response = api_as(users[username]).get(transitions_url)
        if case not in table.visible[username]:
            got: Any = response.status_code
            want: Any = 404
        else:
            got = (response.status_code, [(t["name"], t["allowed"], t["blocked_reasons"]) for t in response.json()])
            want = (
                200,
                [
                    (name, not reasons_by_name.get(name), reasons_by_name.get(name, []))
                    for name in permitted(table, case, username)
                ],
            )
        if got != want:
            mismatches.append((case, "GET transitions", username, want, got))

    # 1. bare: the conditions of the case's transitions unmet — refused with every reason listed
    notice_end = builder.notice and builder.notice.get("ends_on")
    unmet = {
        name: [r.format(ends_on=notice_end, due=builder.due) for r in rs]
        for name, rs in table.unmet.get(case, {}).items()
    }
    for name, reasons in unmet.items():
        who = table.transitions[name][0]
        refused(name, WHO[who][0], {"opinion": OPINION, "data": table.data.get(name, {})}, 400, reasons)
    for who in WHO.values():
        if who[0]:
            listing_matches(who[0], unmet)
    assert mismatches == []

    # 2. ready: every condition met
    builder.run(ready)
    assert builder.state == state
    ready_unmet = {
        name: [r.format(due=builder.due) for r in rs] for name, rs in table.ready_unmet.get(case, {}).items()
    }
    for name in table.transitions:
        for username in USERS:
            want = expected_status(table, case, name, username)
            body = {"opinion": OPINION, "data": table.data.get(name, {})}
            if want == 200 and name in BY_NOTICE:
                refused(name, username, body, 400, [DRIVEN])
            elif want == 200 and name in ready_unmet:
                refused(name, username, body, 400, ready_unmet[name])
            elif want != 200:
                refused(name, username, body, want)
    for username in USERS:
        listing_matches(username, {**{name: [DRIVEN] for name in BY_NOTICE}, **ready_unmet})
    # inputs refused when performed: a required opinion left empty, wrong data
    for name, reasons in table.empty_opinion.items():
        who, sources, _target, _opinion = table.transitions[name]
        if state in sources and expected_status(table, case, name, WHO[who][0]) == 200:
            body = {"opinion": "  ", "data": table.data.get(name, {})}
            refused(name, WHO[who][0], body, 400, reasons + ready_unmet.get(name, []))
    for name, body, reasons in table.bad_inputs.get(case, []):
        refused(name, WHO[table.transitions[name][0]][0], body, 400, reasons)
    assert mismatches == []

    # 3. each allowed move performed, then rolled back (the next one starts from the same record)
    performed = []
    for name, (who, sources, target, _opinion) in table.transitions.items():
        if (
            state not in sources
            or not WHO[who][0]
            or name in ready_unmet
            or case not in table.returner_only.get(name, {case})
        ):
            continue
        username, org_code, role = WHO[who]
        assert expected_status(table, case, name, username) == 200
        if name in BY_NOTICE:
            # Taken by publishing the record's notice (CAST staff), as the notice service does.
            with transaction.atomic():
                last = max((e.pk for e in events_of(table, pk)), default=0)
                builder.run([("publish",)])
                new = [e for e in events_of(table, pk) if e.pk > last and e.action == name]
                got = (builder.state, [(e.action, e.from_state, e.to_state, e.actor_name, e.actor_role) for e in new])
                want = (target, [(name, state, target, users[username].display_name, role)])
                if got != want:
                    mismatches.append((case, name, "publish the notice", want, got))
                performed.append(name)
                transaction.set_rollback(True)
            assert builder.state == state
            continue
        with transaction.atomic():
            last = max((e.pk for e in events_of(table, pk)), default=0)
            response = post(
                users[username], f"{transitions_url}{name}/", {"opinion": OPINION, "data": table.data.get(name, {})}
            )
            new = [e for e in events_of(table, pk) if e.pk > last]
            got = (
                response.status_code,
                response.json().get("state"),
                builder.state,
                [(e.action, e.from_state, e.to_state, e.actor_name, e.actor_org, e.actor_role) for e in new],
            )
            want = (200, target, target, [(name, state, target, users[username].display_name, org_code, role)])
            if got != want:
                mismatches.append((case, name, username, want, got))
            performed.append(name)
            transaction.set_rollback(True)
        assert builder.state == state
    assert mismatches == []
    assert performed == [
        n
        for n, (_w, s, _t, _o) in table.transitions.items()
        if state in s and WHO[_w][0] and n not in ready_unmet and case in table.returner_only.get(n, {case})
    ]
