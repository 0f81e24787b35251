"""Drive the test-only Dossier flow to any state through the real service."""

from __future__ import annotations

from typing import Any

from tests.conftest import make_dossier
from tests.testapp.models import Dossier
from workflows import services

# The path from draft to each state: (actor username, transition name) or
# ("checkpoint", stage, reviewer username) or ("assign", expert username).
PATHS: dict[str, list[tuple[str, ...]]] = {
    "draft": [],
    "submitted": [("applicant_csf_br1", "submit")],
    "returned": [("applicant_csf_br1", "submit"), ("reviewer_csf", "return_for_revision")],
    "not_recommended": [("applicant_csf_br1", "submit"), ("reviewer_csf", "decline")],
    "withdrawn": [("applicant_csf_br1", "withdraw")],
    "recommended": [
        ("applicant_csf_br1", "submit"),
        ("checkpoint", "recommender", "content_csf"),
        ("reviewer_csf", "recommend"),
    ],
}
PATHS["expert_review"] = [
    *PATHS["recommended"],
    ("cast_staff", "start_expert_review"),
    ("assign", "expert_1"),
]
PATHS["reviewed"] = [*PATHS["expert_review"], ("expert_1", "complete_review")]
PATHS["approved"] = [
    *PATHS["reviewed"],
    ("checkpoint", "cast", "content_cast"),
    ("cast_staff", "approve"),
]
PATHS["rejected"] = [*PATHS["recommended"], ("cast_staff", "reject")]


def drive(record: Dossier, steps: list[tuple[str, ...]], users: dict[str, Any]) -> Dossier:
    for step in steps:
        if step[0] == "checkpoint":
            services.checkpoint_record(
                record, stage=step[1], verdict="pass", opinion="内容无问题", actor=users[step[2]]
            )
        elif step[0] == "assign":
            services.assignment_create(record, stage="expert", assignee=users[step[1]], actor=users["cast_staff"])
        else:
            record = services.transition(record, step[1], actor=users[step[0]], opinion="同意。")
    record.refresh_from_db()
    return record


def dossier_in(state: str, *, users: dict[str, Any], orgs: dict[str, Any], round: Any, **fields: Any) -> Dossier:
    record = make_dossier(org=orgs["CSF-BR1"], user=users["applicant_csf_br1"], round=round, **fields)
    record = drive(record, PATHS[state], users)
    assert record.state == state
    return record
