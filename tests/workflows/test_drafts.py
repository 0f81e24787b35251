"""The drafts' shared writes and the rules they rest on, on units and users made by the
factories (tests/factories.py): which unit a record is created for, who may change it, the
recommending unit taken from the tree, conflicts of interest."""

from __future__ import annotations

import pytest

from accounts import permissions as perms
from accounts.models import OrgType
from tests.factories import DossierFactory, OrganizationFactory, member
from workflows import drafts
from workflows.exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from workflows.models import AuditEvent


@pytest.fixture
def tree(db):
    society = OrganizationFactory(code="T-SOC", name="测试学会", type=OrgType.NATIONAL_SOCIETY)
    branch = OrganizationFactory(code="T-BR", name="测试分会", type=OrgType.SOCIETY_BRANCH, parent=society)
    other = OrganizationFactory(code="T-OTHER", name="另一学会", type=OrgType.NATIONAL_SOCIETY)
    return {"society": society, "branch": branch, "other": other}


def test_a_branch_is_recommended_by_its_society(tree):
    assert tree["branch"].recommending_unit == tree["society"]
    assert tree["society"].recommending_unit == tree["society"]


def test_the_unit_a_record_is_created_for(tree):
    nobody = member("expert", tree["other"])
    with pytest.raises(TransitionForbidden) as exc:
        drafts.applicant_org(nobody, None, noun="卷宗")
    assert exc.value.errors == ["只有申报单位的申报人可以创建卷宗"]

    one = member("applicant", tree["branch"])
    assert drafts.applicant_org(one, None, noun="卷宗") == tree["branch"]
    with pytest.raises(TransitionForbidden):
        drafts.applicant_org(one, "T-OTHER", noun="卷宗")  # a unit the user is no applicant of

    two = member("applicant", tree["branch"])
    member_of_other = two.memberships.create(organization=tree["other"], role="applicant")
    assert member_of_other.pk
    with pytest.raises(InvalidInput) as exc:
        drafts.applicant_org(two, None, noun="卷宗")
    assert exc.value.errors == ["您属于多个申报单位，请指定单位代码（organization）"]
    assert drafts.applicant_org(two, "T-OTHER", noun="卷宗") == tree["other"]


def test_only_the_units_applicant_changes_a_draft_and_only_while_editable(tree):
    author = member("applicant", tree["branch"])
    record = DossierFactory(organization=tree["branch"], created_by=author)
    stranger = member("applicant", tree["other"])
    with pytest.raises(TransitionForbidden) as exc:
        drafts.require_applicant(record, stranger, noun="卷宗")
    assert exc.value.errors == ["只有本单位申报人可以修改卷宗"]
    drafts.require_applicant(record, author, noun="卷宗")

    changed = drafts.draft_update(record, actor=author, noun="卷宗", fields={"title": "新标题", "body": record.body})
    assert changed.title == "新标题"
    edit = AuditEvent.objects.get(record_type=record.record_type(), record_id=record.pk, action="edit")
    assert (edit.data, edit.actor_org, edit.actor_role) == ({"fields": ["title"]}, "T-BR", "applicant")

    type(record).objects.filter(pk=record.pk).update(state="submitted")
    with pytest.raises(TransitionConflict) as exc:
        drafts.draft_update(record, actor=author, noun="卷宗", fields={"title": "再改"})
    assert exc.value.errors == ["卷宗当前状态为“已提交（待推荐单位审核）”，不能修改"]
    record.refresh_from_db()
    assert record.title == "新标题"


def test_conflicts_of_interest_follow_the_tree(tree):
    record = DossierFactory(organization=tree["branch"], created_by=member("applicant", tree["branch"]))
    record.recommending_unit = tree["society"]
    assert perms.expert_conflict(member("expert", tree["branch"]), record) == "利益冲突：专家所在单位即申报单位"
    assert perms.expert_conflict(member("expert", tree["society"]), record) == (
        "利益冲突：专家所在单位即该记录的推荐单位"
    )
    assert perms.expert_conflict(member("expert", tree["other"]), record) is None
