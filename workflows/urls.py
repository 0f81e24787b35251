from django.urls import path

from . import decision_views, views

app_name = "workflows"
urlpatterns = [
    path("tasks/", views.my_tasks, name="my-tasks"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    # 审定 decision meetings (before the record pages' catch-all pattern below).
    path("decisions/", decision_views.meeting_list, name="decisions"),
    path("decisions/<int:pk>/", decision_views.meeting_detail, name="decision"),
    path("decisions/<int:pk>/edit/", decision_views.meeting_edit, name="decision-edit"),
    path("decisions/<int:pk>/minutes/", decision_views.meeting_minutes, name="decision-minutes"),
    path("decisions/<int:pk>/items/", decision_views.item_add, name="decision-item-add"),
    path("decisions/<int:pk>/items/<int:item_id>/remove/", decision_views.item_remove, name="decision-item-remove"),
    path("<str:record_type>/<int:pk>/", views.record_detail, name="record"),
    path("<str:record_type>/<int:pk>/transition/<slug:name>/", views.record_transition, name="transition"),
    path("<str:record_type>/<int:pk>/content-review/", views.record_content_review, name="content-review"),
]
