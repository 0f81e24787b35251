"""Subject and body of each message key, in the recipient's language."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SUBJECTS: dict[str, Any] = {
    "submit": gettext_lazy("【待审核】%(title)s 已提交"),
    "resubmit": gettext_lazy("【待审核】%(title)s 已修改后重新提交"),
    "submit_to_cast": gettext_lazy("【待审核】%(title)s 已由申报单位（本单位即推荐单位）直接报送中国科协"),
    "resubmit_to_cast": gettext_lazy("【待审核】%(title)s 已修改后由申报单位直接报送中国科协"),
    "withdraw": gettext_lazy("%(title)s 已被申报单位撤回"),
    "return_for_revision": gettext_lazy("【请修改】%(title)s 被退回修改"),
    "return_from_formal_review": gettext_lazy("【请修改】%(title)s 在形式审查中被退回"),
    "extend_revision": gettext_lazy("【请修改】%(title)s 的补正期限已延长"),
    "extend_cast_revision": gettext_lazy("【请修改】%(title)s 的补正期限已延长"),
    "decline_lapsed": gettext_lazy("%(title)s 逾期未补正，不予推荐"),
    "reject_lapsed": gettext_lazy("%(title)s 逾期未补正，不予立项"),
    "revision_due_soon": gettext_lazy("【提醒】%(title)s 的补正期限 %(revision_due)s 即将届满"),
    "recommend": gettext_lazy("%(title)s 已获推荐，待中国科协审核"),
    "decline": gettext_lazy("%(title)s 未获推荐"),
    "assigned": gettext_lazy("【评审任务】请评审 %(title)s"),
    "assignment_withdrawn": gettext_lazy("【评审任务】%(title)s 的评审任务已撤回，无需再评审"),
    "checkpoint_fail": gettext_lazy("%(title)s 内容审核未通过"),
    "window_closing": gettext_lazy("【提醒】申报将于 %(days)s 天后截止：《%(title)s》尚未提交"),
    "assignment_overdue": gettext_lazy("【逾期】您的评审任务《%(title)s》已超过截止日期"),
    "assignment_escalated": gettext_lazy("【督办】《%(title)s》的评审任务逾期 %(days_overdue)s 天"),
    "notice_ended": gettext_lazy("【提醒】公示《%(title)s》已结束，可以发布结果"),
    "objection_filed": gettext_lazy("【异议】《%(title)s》收到异议"),
    "objection_decided": gettext_lazy("《%(title)s》的异议已处理"),
    "objection_referred": gettext_lazy("【核查】请核查对《%(title)s》的异议"),
    "objection_verified": gettext_lazy("【核查】《%(title)s》的异议核查情况已报送"),
    "objection_verify_due": gettext_lazy("【提醒】对《%(title)s》的异议核查即将到期"),
    "bulk_job_finished": gettext_lazy("【批量操作】%(title)s：%(action)s"),
}
GENERIC_SUBJECT = gettext_lazy("%(title)s：%(action)s")


def render(key: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """(subject, plain text body, HTML body) of a message, in ``language``."""
    with translation.override(language):
        values = {
            "title": context.get("title", ""),
            "action": context.get("action_label", ""),
            "days": context.get("days", ""),
            "days_overdue": context.get("days_overdue", ""),
            "revision_due": context.get("revision_due", ""),
        }
        subject = str(SUBJECTS.get(key, GENERIC_SUBJECT)) % values
        body_context = {**context, "subject": subject, "state_label": context.get("state_label", "")}
        text = render_to_string("notifications/message.txt", body_context)
        html = render_to_string("notifications/message.html", body_context)
        if not text.strip():
            text = _("请登录系统查看。")
    return subject, text, html
