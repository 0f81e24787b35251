from django.urls import path

from . import views

app_name = "workflows"
urlpatterns = [
    path("tasks/", views.my_tasks, name="my-tasks"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("<str:record_type>/<int:pk>/", views.record_detail, name="record"),
    path("<str:record_type>/<int:pk>/transition/<slug:name>/", views.record_transition, name="transition"),
    path("<str:record_type>/<int:pk>/content-review/", views.record_content_review, name="content-review"),
]
