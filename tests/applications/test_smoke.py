from applications.models import Application
from tests.applications.helpers import act, create_ready, review, upload
from tests.conftest import api_as
from workflows.models import Round


def test_create_submit_recommend(users):
    round_id = Round.objects.get(kind="application").pk
    app_id = create_ready(users, round_id)
    r = act(users, "applicant_csf_br1", app_id, "submit")
    assert r.status_code == 200, r.json()
    assert review(users, "content_csf", app_id, "recommender").status_code == 201
    assert upload(api_as(users["reviewer_csf"]), app_id, "recommender_opinion").status_code == 201
    r = act(users, "reviewer_csf", app_id, "recommend", opinion="同意推荐")
    assert r.status_code == 200, r.json()
    assert Application.objects.get(pk=app_id).state == "recommended"
