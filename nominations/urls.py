from django.urls import path

from . import views

app_name = "nominations"
urlpatterns = [
    path("", views.nomination_list, name="list"),
    path("new/", views.nomination_new, name="new"),
    path("ranking/", views.nomination_ranking, name="ranking"),
    path("bulk/", views.nomination_bulk, name="bulk"),
    path("winners/<int:round_id>/", views.public_winners, name="winners"),
    path("<int:pk>/", views.nomination_detail, name="detail"),
    path("<int:pk>/edit/", views.nomination_edit, name="edit"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("<int:pk>/attachments/<int:aid>/", views.attachment_download, name="attachment"),
    path("<int:pk>/attachments/<int:aid>/delete/", views.attachment_remove, name="attachment-delete"),
    path("<int:pk>/score/", views.nomination_score, name="score"),
    path("<int:pk>/assign/", views.nomination_assign, name="assign"),
]
