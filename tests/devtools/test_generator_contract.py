"""The scale generator's contract: a record ``seed_scale`` writes in bulk is, row for row, the
record the services write.

``devtools/scale`` writes records with their audit events, revisions, checkpoints, expert
assignments, scores, attachments and public notices without going through the services. Each
test here drives one record through the real services — called as the API calls them, with the
client's address where the API passes one — to an advanced state, has the generator write
records in the same state, and compares one of its records with the service-made one: the audit
trail (actions, who acted in which role for which unit, states, the keys and types of the data,
the revision each event names, the client address and its commitment, the columns filled), the
revisions, checkpoints, assignments, scores, attachments, the record's row, its public notice,
and each row's time against the time of the event that wrote it.

Compared is what does not depend on the data: not names, texts, times or amounts themselves, but
which of them are there and how they relate (the revision an event names, the unit a reviewer
acts for, a total from the criteria's weights, a row written with its event). Where the two may
legitimately differ, a comment says why.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from accounts.models import Membership, Organization, OrgType
from applications.models import Application
from applications.services import application_create, application_update
from nominations.models import Nomination
from nominations.services import nomination_create
from notices import services as notices
from notices.models import NoticeEntry, Objection, PublicNotice
from tests.applications.builders import GOOD_SCORES
from tests.applications.helpers import PDF_BYTES
from tests.applications.helpers import form as application_form
from tests.conftest import verify_chain
from tests.nominations.helpers import RECOMMEND_OPINION, jpeg, uniform
from tests.nominations.helpers import form as nomination_form
from workflows.attachments import attachment_add
from workflows.ledger.sequencer import sequence
from workflows.models import (
    Attachment,
    AuditEvent,
    Checkpoint,
    ReviewAssignment,
    Revision,
    Round,
    RoundKind,
    Score,
)
from workflows.registry import record_type_of
from workflows.scanner import scan_fields
from workflows.scoring import score_submit, weigh
from workflows.services import assignment_create, checkpoint_record, content_hash, transition

# The address the API hands the services for a signed-in user's request (TEST-NET-1), and a
# member of the public's when filing an objection.
IP = "192.0.2.10"
PUBLIC_IP = "203.0.113.7"
EXPERTS = ("expert_1", "expert_2", "expert_3")
NOTICE_RECORD_TYPE = notices.NOTICE_RECORD_TYPE

APPROVED = [
    "create",
    "attachment_added",
    "submit",
    "checkpoint_pass",
    "attachment_added",
    "recommend",
    "pass_formal_review",
    "assign",
    "assign",
    "assign",
    "score",
    "score",
    "score",
    "checkpoint_pass",
    "propose",
    "checkpoint_pass",
    "publish_notice",
    "issue",
]
RESUBMITTED = ["create", "attachment_added", "submit", "return_for_revision", "edit", "resubmit"]
NOTICE_HISTORY = ["notice_created", "notice_review_pass", "notice_published", "notice_closed"]


# -- the records the services make ------------------------------------------------------------


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def photo(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(), content_type="image/jpeg")


def experts_score(record: Any, users: dict[str, Any], scores: dict[str, int]) -> None:
    """CAST staff assign three experts (with a deadline, as the seed gives one; the API's is
    optional), then each scores."""
    due = timezone.localdate() + dt.timedelta(days=35)
    for name in EXPERTS:
        assignment_create(
            record, stage="expert", assignee=users[name], actor=users["cast_staff"], due_date=due, client_ip=IP
        )
    for name in EXPERTS:
        score_submit(record, actor=users[name], scores=scores, comment="论证充分，目标明确。")


def publish(record: Any, users: dict[str, Any]) -> PublicNotice:
    """A notice of the record: drafted by CAST staff, passed by CAST's content reviewer, published."""
    staff = users["cast_staff"]
    notice = notices.notice_create(
        round=record.round,
        record_type=record.record_type(),
        records=[record],
        title="拟入选（拟立项）名单公示",
        intro="现予公示。",
        actor=staff,
        client_ip=IP,
    )
    notices.notice_review(
        notice=notice, verdict="pass", opinion="名单内容准确，同意发布。", actor=users["content_cast"], client_ip=IP
    )
    return notices.notice_publish(notice=notice, actor=staff, client_ip=IP)


def finish(notice: PublicNotice, users: dict[str, Any]) -> None:
    """Test setup moves the notice's period into the past; then CAST staff end it."""
    today = timezone.localdate()
    PublicNotice.objects.filter(pk=notice.pk).update(
        starts_on=today - dt.timedelta(days=10), ends_on=today - dt.timedelta(days=1)
    )
    notices.notice_finish(notice=notice, actor=users["cast_staff"], opinion="公示期满，予以确认。", client_ip=IP)


def application_by_services(users: dict[str, Any], round_: Round, final: str) -> Application:
    applicant, reviewer, staff = users["applicant_csf_br1"], users["reviewer_csf"], users["cast_staff"]
    app = application_create(
        actor=applicant, data=application_form(round=round_.pk, subproject="grassroots", name="对虾健康养殖进村入户")
    )
    attachment_add(app, kind="sealed_application", upload=pdf("申报书（盖章）.pdf"), actor=applicant)
    transition(app, "submit", actor=applicant, client_ip=IP)
    if final == "resubmitted":
        transition(app, "return_for_revision", actor=reviewer, opinion="请量化绩效目标。", client_ip=IP)
        # The seed's applicant adds an indicator to the 绩效目标表, as asked; the fields changed
        # are the applicant's choice (the edit event names them).
        app.refresh_from_db()
        extra = {"level2": "sustainable", "name": "带动周边群众推广应用", "value": "≥95%"}
        application_update(app, actor=applicant, data={"performance": [*app.performance, extra]})
        transition(app, "resubmit", actor=applicant, opinion="已量化绩效目标。", client_ip=IP)
        return Application.objects.get(pk=app.pk)
    checkpoint_record(
        app, stage="recommender", verdict="pass", opinion="导向正确。", actor=users["content_csf"], client_ip=IP
    )
    attachment_add(app, kind="recommender_opinion", upload=pdf("推荐意见（盖章）.pdf"), actor=reviewer)
    transition(app, "recommend", actor=reviewer, opinion="同意推荐。", client_ip=IP)
    # The opinion of a formal review that passes is optional; the seed's staff give one.
    transition(app, "pass_formal_review", actor=staff, opinion="形式审查通过。", client_ip=IP)
    experts_score(app, users, GOOD_SCORES)
    checkpoint_record(
        app, stage="cast", verdict="pass", opinion="同意拟立项。", actor=users["content_cast"], client_ip=IP
    )
    agreed_in_meeting(app, staff, amount="60000.00")
    transition(app, "propose", actor=staff, opinion="拟予立项。", data={"funding_amount": "60000.00"}, client_ip=IP)
    finish(publish(Application.objects.get(pk=app.pk), users), users)
    return Application.objects.get(pk=app.pk)


def agreed_in_meeting(record: Any, staff: Any, amount: str | None = None) -> None:
    """审定: a decision meeting with its minutes agrees to the record (as the seed's does)."""
    from workflows import decisions

    meeting = decisions.meeting_create(
        actor=staff,
        data={
            "round": record.round_id,
            "kind": "special",
            "name": f"{record.round.title}审定专题会",
            "held_on": timezone.localdate().isoformat(),
            "participants": "中国科协书记处书记（主持）；科普部、农技中心、办公厅负责同志",
        },
        minutes=SimpleUploadedFile("审定会议纪要.pdf", PDF_BYTES, content_type="application/pdf"),
        client_ip=IP,
    )
    data = {"record_type": record.record_type(), "record_id": record.pk, "decision": "approve"}
    if amount is not None:
        data["amount"] = amount
    decisions.item_attach(meeting, actor=staff, data=data, client_ip=IP)


def nomination_by_services(users: dict[str, Any], round_: Round, category: str, final: str) -> Nomination:
    applicant, reviewer, staff = users["applicant_csf_br1"], users["reviewer_csf"], users["cast_staff"]
    nomination = nomination_create(actor=applicant, data=nomination_form(category, round=round_.pk))
    # Three photos, as the seed gives (one to five are allowed), the ID photo of a volunteer,
    # the applicant unit's sealed opinion.
    for k in range(3):
        attachment_add(nomination, kind="photo", upload=photo(f"服务照片{k + 1}.jpg"), actor=applicant)
    if category == "volunteer":
        attachment_add(nomination, kind="id_photo", upload=photo("二寸照.jpg"), actor=applicant)
    attachment_add(nomination, kind="unit_opinion", upload=pdf("申报单位意见（盖章）.pdf"), actor=applicant)
    transition(nomination, "submit", actor=applicant, client_ip=IP)
    checkpoint_record(
        nomination, stage="recommender", verdict="pass", opinion="导向正确。", actor=users["content_csf"], client_ip=IP
    )
    attachment_add(nomination, kind="recommender_opinion", upload=pdf("推荐单位意见（盖章）.pdf"), actor=reviewer)
    transition(nomination, "recommend", actor=reviewer, opinion=RECOMMEND_OPINION, client_ip=IP)
    transition(nomination, "confirm_eligible", actor=staff, opinion="资格审查通过。", client_ip=IP)
    experts_score(nomination, users, uniform(90))
    checkpoint_record(
        nomination, stage="cast", verdict="pass", opinion="适合公开宣传。", actor=users["content_cast"], client_ip=IP
    )
    # Within the category's number of winners and first in its ranking: no reason needed,
    # none given (the seed gives one only beyond the number).
    agreed_in_meeting(nomination, staff)
    transition(nomination, "shortlist", actor=staff, client_ip=IP)
    notice = publish(Nomination.objects.get(pk=nomination.pk), users)
    if final == "awarded":
        finish(notice, users)
    else:
        entry = NoticeEntry.objects.get(notice=notice, record_id=nomination.pk)
        # The e-mail address is optional; the seed's objectors give none.
        objection = notices.objection_file(
            notice=notice,
            entry_id=entry.pk,
            name="陈晓东",
            identity="当地居民",
            unit="湛江市某养殖合作社",
            phone="13900139000",
            email="",
            content="被推荐对象申报的服务时长与本职工作重复计算，请予核实。",
            client_ip=PUBLIC_IP,
        )
        notices.objection_decide(
            objection=objection, decision="uphold", reason="异议成立，取消入选资格。", actor=staff, client_ip=IP
        )
    return Nomination.objects.get(pk=nomination.pk)


# -- the records the generator makes ----------------------------------------------------------


def seed(*, applications: int = 0, nominations: int = 0, states: str) -> None:
    call_command(
        "seed_scale",
        applications=applications,
        nominations=nominations,
        states=states,
        round="契约",
        stdout=io.StringIO(),
    )


def seeded(model: type, state: str, *, revisions: int = 1, like: Any = None) -> Any:
    """A seeded record in ``state`` with ``revisions`` revisions, of an organization that is not
    its own recommending unit (so the unit a reviewer acts for is told apart from the applicant's);
    an application of the sub-project of ``like`` (each sub-project has its own section's keys)."""
    same = {"subproject__code": like.subproject.code} if like is not None else {}
    found = [
        record
        for record in model.objects.filter(round__title__contains="契约", state=state, **same)
        .exclude(organization=F("recommending_unit"))
        .order_by("pk")
        if Revision.objects.filter(record_type=record.record_type(), record_id=record.pk).count() == revisions
    ]
    assert found, (model, state, revisions)
    return found[0]


# -- what is compared -------------------------------------------------------------------------

EMPTY = (None, "", [], {})
# Event data whose value is the same whatever the record says: compared as it is. Of the rest
# only the type is compared (names, amounts, dates, numbers, digests, usernames).
EXACT_DATA = {"stage", "kind", "replaced", "revision", "record_type", "fields", "eligibility"}


def filled(row: Any, *, skip: tuple[str, ...] = ()) -> list[str]:
    """The columns of the row that hold a value."""
    return sorted(
        f.name for f in row._meta.concrete_fields if f.name not in skip and getattr(row, f.attname) not in EMPTY
    )


def near(when: Any, event: AuditEvent | None) -> bool:
    """Whether a row's time is its event's: the services write both in one transaction."""
    return event is not None and when is not None and abs((when - event.created_at).total_seconds()) < 1


def shape(value: Any) -> Any:
    """Keys and types, recursively (a list by its first item)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


class View:
    """One record's rows, reduced to what does not depend on its data."""

    def __init__(self, record: Any):
        self.record = record
        self.type = record.record_type()
        cast = Organization.objects.get(type=OrgType.CAST, parent__isnull=True)
        assert record.organization_id != record.recommending_unit_id
        organization, unit = record.organization, record.recommending_unit
        self.orgs = {organization.pk: "organization", unit.pk: "unit", cast.pk: "cast"}
        self.codes = {organization.code: "organization", unit.code: "unit", cast.code: "cast"}
        self.revisions = list(Revision.objects.filter(record_type=self.type, record_id=record.pk).order_by("number"))
        self.revision_of = {r.content_hash: r.number for r in self.revisions}

    def who(self, user_id: int | None) -> list[str] | None:
        """The user's roles and where (the record's organization, its unit, CAST)."""
        if user_id is None:
            return None
        return sorted(
            f"{role}@{self.orgs.get(org_id, 'elsewhere')}"
            for role, org_id in Membership.objects.filter(user_id=user_id).values_list("role", "organization_id")
        )

    def revision(self, digest: str) -> Any:
        """The number of the revision the hash is of; None for no hash (an unknown one stays)."""
        return self.revision_of.get(digest, digest or None)

    def event(self, e: AuditEvent) -> dict[str, Any]:
        data = dict(e.data)
        if e.action in ("submit", "resubmit"):
            # How many words the submission scan flagged: only when there are any, and that
            # depends on the text. Held to the scan itself instead.
            found = Checkpoint.objects.get(
                record_type=self.type, record_id=self.record.pk, stage="submission", revision_hash=e.revision_hash
            ).findings
            assert data.pop("findings", 0) == len(found), e
        return {
            "action": e.action,
            "actor": self.who(e.actor_id),
            "actor_role": e.actor_role,
            "actor_org": self.codes.get(e.actor_org, e.actor_org),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "data": {
                k: (v if k in EXACT_DATA else sorted(v) if k == "scores" else type(v).__name__)
                for k, v in sorted(data.items())
            },
            "revision": self.revision(e.revision_hash),
            # The address and the nonce of its commitment (the hash covers the commitment:
            # verify_chain re-computes both).
            "client_ip": e.client_ip is not None,
            "ip_nonce": len(e.ip_nonce),
            "filled": filled(e),
        }

    def events(self, record_type: str, record_id: int) -> list[dict[str, Any]]:
        rows = AuditEvent.objects.filter(record_type=record_type, record_id=record_id).order_by("record_seq")
        return [self.event(e) for e in rows]

    def times(self) -> list[tuple[str, bool]]:
        """Each timestamp of the rows against the time of the event that wrote it (the record's
        updated_at: its last save, a transition or its creation or an edit), and the events in
        time order."""
        record, rows = self.record, {"record_type": self.type, "record_id": self.record.pk}
        events = list(AuditEvent.objects.filter(**rows).order_by("record_seq"))

        def event(action: Any, **data: Any) -> AuditEvent | None:
            actions = action if isinstance(action, tuple) else (action,)
            found = [e for e in events if e.action in actions and all(e.data.get(k) == v for k, v in data.items())]
            return found[-1] if found else None

        saves = [e for e in events if e.action in record.flow_class.all_transitions() or e.action in ("create", "edit")]
        times = [
            ("events in order", [e.created_at for e in events] == sorted(e.created_at for e in events)),
            ("record created", near(record.created_at, events[0])),
            ("record updated", near(record.updated_at, saves[-1])),
        ]
        submits = ("submit", "resubmit")
        for r in self.revisions:
            times.append((f"revision {r.number}", near(r.created_at, event(submits, revision=r.number))))
        for c in Checkpoint.objects.filter(**rows).order_by("created_at", "pk"):
            number = self.revision_of.get(c.revision_hash)
            if c.stage == "submission":
                made = event(submits, revision=number)
            else:
                made = event("checkpoint_pass", stage=c.stage)
            times.append((f"checkpoint {c.stage}", near(c.created_at, made)))
        for a in Attachment.objects.filter(**rows).order_by("kind", "pk"):
            added = event("attachment_added", kind=a.kind, name=a.original_name, sha256=a.sha256)
            times.append((f"attachment {a.kind}", near(a.uploaded_at, added)))
        for a in ReviewAssignment.objects.filter(**rows).select_related("assignee").order_by("pk"):
            times.append(("assigned", near(a.created_at, event("assign", assignee=a.assignee.username))))
            scored = [e for e in events if e.action == "score" and e.actor_id == a.assignee_id]
            times.append(("assignment done", near(a.completed_at, scored[-1] if scored else None)))
        for s in Score.objects.filter(**rows).order_by("pk"):
            scored = [e for e in events if e.action == "score" and e.actor_id == s.expert_id]
            times.append(("scored", near(s.submitted_at, scored[-1] if scored else None)))
        objection = Objection.objects.filter(entry__record_type=self.type, entry__record_id=record.pk).first()
        if objection is not None:
            times.append(("objection filed", near(objection.created_at, event("objection_filed"))))
            times.append(("objection decided", near(objection.decided_at, event("objection_upheld"))))
        return times

    def summary(self) -> dict[str, Any]:
        record, type_ = self.record, self.type
        rows = {"record_type": type_, "record_id": record.pk}
        scan = scan_fields(record.scan_text())
        criteria = record_type_of(record).criteria(record)
        revisions = [
            {
                "number": r.number,
                "hash_is_of_content": content_hash(r.content) == r.content_hash,
                "by": self.who(r.created_by_id),
                "content": shape(r.content),
                "attachments": sorted(kind for kind, _digest in r.content.get("attachments", [])),
                "filled": filled(r),
            }
            for r in self.revisions
        ]
        checkpoints = [
            {
                "stage": c.stage,
                "verdict": c.verdict,
                "revision": self.revision(c.revision_hash),
                # The findings are the scan of the revision (of the record's current content
                # for the current revision); whether there are any depends on the text.
                "findings": c.findings == scan if c.revision_hash == record.current_revision_hash else None,
                "reviewer": self.who(c.reviewer_id),
                "organization": self.orgs.get(c.organization_id, c.organization_id),
                "filled": filled(c, skip=("findings",)),
            }
            for c in Checkpoint.objects.filter(**rows).order_by("created_at", "pk")
        ]
        assignments = [
            {
                "stage": a.stage,
                "status": a.status,
                "assignee": self.who(a.assignee_id),
                "assigned_by": self.who(a.assigned_by_id),
                "filled": filled(a),
            }
            for a in ReviewAssignment.objects.filter(**rows).order_by("pk")
        ]
        scores = []
        for s in Score.objects.filter(**rows).order_by("pk"):
            event = AuditEvent.objects.get(action="score", actor_id=s.expert_id, **rows)
            scores.append(
                {
                    "record_type": s.record_type,
                    "keys": sorted(s.scores),
                    "keys_are_the_criteria": sorted(s.scores) == sorted(c.key for c in criteria),
                    # The total as the services compute it from the criteria's weights.
                    "total": weigh(criteria, s.scores, s.comment)[1] == s.total,
                    "event": event.data == {"scores": s.scores, "total": str(s.total)},
                    "assigned": ReviewAssignment.objects.filter(assignee_id=s.expert_id, status="done", **rows).count(),
                    "by": self.who(s.expert_id),
                    "filled": filled(s),
                }
            )
        attachments = [
            {
                "kind": a.kind,
                "content_type": a.content_type,
                "by": self.who(a.uploaded_by_id),
                "stored": default_storage.exists(a.file.name) and default_storage.size(a.file.name) == a.size,
                "event": AuditEvent.objects.filter(action="attachment_added", data__sha256=a.sha256, **rows).exists(),
                "filled": filled(a),
            }
            for a in Attachment.objects.filter(**rows).order_by("kind", "pk")
        ]
        last = self.revisions[-1] if self.revisions else None
        return {
            "events": self.events(type_, record.pk),
            "revisions": revisions,
            "current_revision": last is not None
            and last.content_hash == record.current_revision_hash
            and last.content == record.content_snapshot(),
            "checkpoints": checkpoints,
            "assignments": assignments,
            "scores": scores,
            "attachments": attachments,
            "record": {"state": record.state, "filled": filled(record)},
            "times": self.times(),
        }

    def notice(self) -> dict[str, Any]:
        """The record's public notice: its row, the record's entry, the notice's own chain."""
        entry = NoticeEntry.objects.get(record_type=self.type, record_id=self.record.pk)
        notice = entry.notice
        steps = {e.action: e for e in AuditEvent.objects.filter(record_type=NOTICE_RECORD_TYPE, record_id=notice.pk)}
        return {
            "status": notice.status,
            "filled": filled(notice),
            "entry": filled(entry),
            "events": self.events(NOTICE_RECORD_TYPE, notice.pk),
            "times": [
                (column, near(getattr(notice, column), steps.get(action)))
                for column, action in (
                    ("created_at", "notice_created"),
                    ("reviewed_at", "notice_review_pass"),
                    ("published_at", "notice_published"),
                    ("closed_at", "notice_closed"),
                )
            ],
        }


def assert_same(made: dict[str, Any], generated: dict[str, Any]) -> None:
    """Part by part, event by event, so that a failure names what differs."""
    assert [name for name, right in made["times"] if not right] == []
    assert [e["action"] for e in made["events"]] == [e["action"] for e in generated["events"]]
    for position, (ours, theirs) in enumerate(zip(made["events"], generated["events"], strict=True), start=1):
        assert ours == theirs, f"event {position} ({ours['action']})"
    for part in made:
        assert made[part] == generated[part], part


def ledger_intact() -> None:
    """Every event of both, the seed's and the services', in its record's chain and the log."""
    sequence()
    checked, problem = verify_chain()
    assert problem is None
    assert checked == AuditEvent.objects.count()


# -- the tests --------------------------------------------------------------------------------


def test_an_approved_application_is_what_the_services_write(users):
    made = application_by_services(users, Round.objects.get(kind=RoundKind.APPLICATION), "approved")
    seed(applications=8, states="approved")
    generated = seeded(Application, "approved", like=made)

    ours, theirs = View(made), View(generated)
    summary = ours.summary()
    # Not vacuous: the services wrote the whole path.
    assert [e["action"] for e in summary["events"]] == APPROVED
    assert [c["stage"] for c in summary["checkpoints"]] == ["submission", "recommender", "cast", "publication"]
    assert [(a["stage"], a["status"]) for a in summary["assignments"]] == [("expert", "done")] * 3
    assert len(summary["scores"]) == 3 and all(s["total"] and s["event"] for s in summary["scores"])
    assert [a["kind"] for a in summary["attachments"]] == ["recommender_opinion", "sealed_application"]
    assert summary["current_revision"] and [r["number"] for r in summary["revisions"]] == [1]

    assert_same(summary, theirs.summary())
    notice = ours.notice()
    assert [e["action"] for e in notice["events"]] == NOTICE_HISTORY
    assert all(right for _column, right in notice["times"])
    assert notice == theirs.notice()
    ledger_intact()


def test_a_resubmitted_application_is_what_the_services_write(users):
    made = application_by_services(users, Round.objects.get(kind=RoundKind.APPLICATION), "resubmitted")
    seed(applications=5, states="submitted")  # one in five of the submitted was returned and resubmitted
    generated = seeded(Application, "submitted", revisions=2, like=made)

    summary = View(made).summary()
    assert [e["action"] for e in summary["events"]] == RESUBMITTED
    assert [r["number"] for r in summary["revisions"]] == [1, 2]
    assert [(c["stage"], c["revision"]) for c in summary["checkpoints"]] == [("submission", 1), ("submission", 2)]
    assert_same(summary, View(generated).summary())
    ledger_intact()


def test_an_awarded_nomination_is_what_the_services_write(users):
    round_ = Round.objects.get(kind=RoundKind.SELECTION)
    seed(nominations=2, states="awarded")
    generated = seeded(Nomination, "awarded")
    # The same category: the form's fields, the eligibility rules and the attachments are the
    # category's (a volunteer has an ID photo).
    made = nomination_by_services(users, round_, generated.category, "awarded")

    ours, theirs = View(made), View(generated)
    summary = ours.summary()
    photos = ["id_photo"] if made.category == "volunteer" else []
    assert [e["action"] for e in summary["events"]] == [
        "create",
        *["attachment_added"] * (4 + len(photos)),
        "submit",
        "checkpoint_pass",
        "attachment_added",
        "recommend",
        "confirm_eligible",
        *["assign"] * 3,
        *["score"] * 3,
        "checkpoint_pass",
        "shortlist",
        "checkpoint_pass",
        "publish_notice",
        "award",
    ]
    assert sorted(a["kind"] for a in summary["attachments"]) == sorted(
        [*photos, "photo", "photo", "photo", "recommender_opinion", "unit_opinion"]
    )
    assert_same(summary, theirs.summary())
    notice = ours.notice()
    assert [e["action"] for e in notice["events"]] == NOTICE_HISTORY
    assert all(right for _column, right in notice["times"])
    assert notice == theirs.notice()
    ledger_intact()


def test_a_disqualified_nomination_is_what_the_services_write(users):
    round_ = Round.objects.get(kind=RoundKind.SELECTION)
    seed(nominations=2, states="disqualified")
    generated = seeded(Nomination, "disqualified")
    made = nomination_by_services(users, round_, generated.category, "disqualified")

    ours, theirs = View(made), View(generated)
    summary = ours.summary()
    assert [e["action"] for e in summary["events"]][-5:] == [
        "checkpoint_pass",
        "publish_notice",
        "objection_filed",
        "objection_upheld",
        "disqualify",
    ]
    # (The notice is not compared: the seed's, with the awarded on it, has been closed.)
    filed = summary["events"][-3]
    # The public's objection: no actor, the objector's address.
    assert filed["actor"] is None and filed["client_ip"] and filed["ip_nonce"] == 32
    assert_same(summary, theirs.summary())
    # The objection's row: the same columns filled.
    rows = [
        filled(Objection.objects.get(entry__record_type=v.type, entry__record_id=v.record.pk)) for v in (ours, theirs)
    ]
    assert rows[0] == rows[1]
    ledger_intact()
