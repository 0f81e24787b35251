"""Who hears of what: one table for every flow.

Keys are event names (a transition's name, or the event its spec names); values are the
audiences told of it. Audiences are resolved against the record in
``notifications.services``.
"""

from __future__ import annotations

APPLICANTS = "applicants"  # applicant members of the record's organization
RECOMMENDER_REVIEWERS = "recommender_reviewers"  # society reviewers of the recommending unit
RECOMMENDER_CONTENT = "recommender_content"  # content reviewers of the recommending unit
CAST_STAFF = "cast_staff"
CAST_CONTENT = "cast_content"  # content reviewers of CAST
RECOMMENDER_UNIT = "recommender_unit"  # reviewers of the recommending unit (as a party told)

WHO_HEARS: dict[str, tuple[str, ...]] = {
    "submit": (RECOMMENDER_REVIEWERS, RECOMMENDER_CONTENT),
    "resubmit": (RECOMMENDER_REVIEWERS, RECOMMENDER_CONTENT),
    "withdraw": (RECOMMENDER_REVIEWERS,),
    "return_for_revision": (APPLICANTS,),
    "return_from_formal_review": (APPLICANTS, RECOMMENDER_UNIT),
    "recommend": (CAST_STAFF, APPLICANTS),
    "decline": (APPLICANTS,),
    "pass_formal_review": (APPLICANTS,),
    "confirm_eligible": (APPLICANTS,),
    "declare_ineligible": (APPLICANTS, RECOMMENDER_UNIT),
    "reject_formal_review": (APPLICANTS, RECOMMENDER_UNIT),
    "propose": (APPLICANTS, RECOMMENDER_UNIT, CAST_CONTENT),
    "shortlist": (APPLICANTS, RECOMMENDER_UNIT, CAST_CONTENT),
    "not_select": (APPLICANTS, RECOMMENDER_UNIT),
    "reject": (APPLICANTS, RECOMMENDER_UNIT),
    "publish_notice": (APPLICANTS, RECOMMENDER_UNIT),
    "promote": (APPLICANTS, RECOMMENDER_UNIT),
    "revoke": (APPLICANTS, RECOMMENDER_UNIT),
    "disqualify": (APPLICANTS, RECOMMENDER_UNIT),
    "issue": (APPLICANTS, RECOMMENDER_UNIT),
    "award": (APPLICANTS, RECOMMENDER_UNIT),
    "checkpoint_fail": (APPLICANTS,),
    # "assigned" is addressed to the assignee directly (notify_users).
}
