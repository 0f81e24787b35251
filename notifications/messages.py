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
    "withdraw": gettext_lazy("%(title)s 已被申报单位撤回"),
    "return_for_revision": gettext_lazy("【请修改】%(title)s 被退回修改"),
    "return_from_formal_review": gettext_lazy("【请修改】%(title)s 在形式审查中被退回"),
    "recommend": gettext_lazy("%(title)s 已获推荐，待中国科协审核"),
    "decline": gettext_lazy("%(title)s 未获推荐"),
    "assigned": gettext_lazy("【评审任务】请评审 %(title)s"),
    "checkpoint_fail": gettext_lazy("%(title)s 内容审核未通过"),
}
GENERIC_SUBJECT = gettext_lazy("%(title)s：%(action)s")


def render(key: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """(subject, plain text body, HTML body) of a message, in ``language``."""
    with translation.override(language):
        values = {
            "title": context.get("title", ""),
            "action": context.get("action_label", ""),
        }
        subject = str(SUBJECTS.get(key, GENERIC_SUBJECT)) % values
        body_context = {**context, "subject": subject, "state_label": context.get("state_label", "")}
        text = render_to_string("notifications/message.txt", body_context)
        html = render_to_string("notifications/message.html", body_context)
        if not text.strip():
            text = _("请登录系统查看。")
    return subject, text, html
