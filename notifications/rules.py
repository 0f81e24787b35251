"""The kinds of message a user may mute for e-mail.

Who hears of a transition is declared on the flow itself (``spec(tell=...)``, read by
``BaseFlow.audiences``); the audiences are resolved against the record in
``notifications.services``. Messages addressed directly — "assigned" and "assignment_withdrawn" (the assignee),
"objection_filed" (CAST staff), "objection_decided" (the nominating unit), the reminders —
name their recipients where they are sent.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# The kinds of message a user can mute for e-mail (preferences), with their labels.
EVENT_KINDS: dict[str, Any] = {
    "submit": _("提交"),
    "resubmit": _("修改后重新提交"),
    "submit_to_cast": _("提交（本单位即推荐单位）"),
    "resubmit_to_cast": _("修改后重新提交（本单位即推荐单位）"),
    "withdraw": _("撤回"),
    "return_for_revision": _("退回修改"),
    "return_from_formal_review": _("形式审查退回修改"),
    "recommend": _("推荐"),
    "decline": _("不予推荐"),
    "pass_formal_review": _("形式审查通过"),
    "confirm_eligible": _("资格审查通过"),
    "declare_ineligible": _("资格审查不通过"),
    "reject_formal_review": _("形式审查不通过"),
    "propose": _("拟立项"),
    "shortlist": _("拟入选"),
    "not_select": _("未入选"),
    "reject": _("不予立项"),
    "publish_notice": _("发布公示"),
    "promote": _("递补"),
    "revoke": _("取消拟立项"),
    "disqualify": _("取消拟入选资格"),
    "issue": _("正式立项"),
    "award": _("公布结果"),
    "checkpoint_fail": _("内容审核不通过"),
    "assigned": _("分配评审任务"),
    "assignment_withdrawn": _("撤回评审任务"),
    "objection_filed": _("收到异议"),
    "objection_decided": _("异议处理结果"),
    "objection_referred": _("异议核查请求"),
    "objection_verified": _("异议核查情况"),
    "objection_verify_due": _("异议核查到期提醒"),
    "window_closing": _("申报截止提醒"),
    "assignment_overdue": _("任务逾期提醒"),
    "assignment_escalated": _("任务逾期升级"),
    "notice_ended": _("公示期结束提醒"),
    "bulk_job_finished": _("批量操作结束"),
}
