from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.application_new, name="new"),
    path("ranking/", views.application_ranking, name="ranking"),
    path("bulk/", views.application_bulk, name="bulk"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/edit/", views.application_edit, name="edit"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("<int:pk>/attachments/<int:aid>/", views.attachment_download, name="attachment"),
    path("<int:pk>/attachments/<int:aid>/delete/", views.attachment_remove, name="attachment-delete"),
    path("<int:pk>/propose/", views.application_propose, name="propose"),
    path("<int:pk>/score/", views.application_score, name="score"),
    path("<int:pk>/assign/", views.application_assign, name="assign"),
]
