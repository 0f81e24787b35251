"""``/manage/rounds/…`` (namespace ``administration``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("new/", views.round_new, name="round-new"),
    path("<int:pk>/", views.round_manage, name="round"),
    path("<int:pk>/copy/", views.round_copy, name="round-copy"),
    path("<int:pk>/close/", views.round_close, name="round-close"),
    path("<int:pk>/subprojects/new/", views.subproject_new, name="subproject-new"),
    path("<int:pk>/subprojects/<int:sid>/", views.subproject_edit, name="subproject"),
    path("<int:pk>/subprojects/<int:sid>/delete/", views.subproject_delete, name="subproject-delete"),
    path("<int:pk>/documents/", views.document_upload, name="round-document-upload"),
    path("<int:pk>/documents/<int:did>/delete/", views.document_remove, name="round-document-delete"),
    path("<int:pk>/deadline/", views.unit_deadline, name="round-deadline"),
]
