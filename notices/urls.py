from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("notices/", views.public_list, name="public-list"),
    path("notices/<int:pk>/", views.public_detail, name="public-detail"),
    path("notices/<int:pk>/objection-filed/", views.objection_filed, name="objection-filed"),
    path("objections/lookup/", views.objection_lookup, name="objection-lookup"),
    path("manage/verifications/", views.verifications, name="verifications"),
    path("manage/verifications/<int:pk>/report/", views.verification_report, name="verification-report"),
    path("manage/notices/", views.manage_list, name="manage-list"),
    path("manage/notices/new/", views.manage_new, name="manage-new"),
    path("manage/notices/<int:pk>/contacts/", views.manage_contacts, name="manage-contacts"),
    path("manage/notices/<int:pk>/objections/", views.manage_register, name="manage-register"),
    path("manage/objections/<int:pk>/refer/", views.manage_refer, name="manage-refer"),
    path("manage/notices/<int:pk>/", views.manage_detail, name="manage-detail"),
    path("manage/notices/<int:pk>/review/", views.manage_review, name="manage-review"),
    path("manage/notices/<int:pk>/publish/", views.manage_publish, name="manage-publish"),
    path("manage/notices/<int:pk>/finish/", views.manage_finish, name="manage-finish"),
    path("manage/objections/<int:pk>/decide/", views.manage_decide, name="manage-decide"),
    path(
        "manage/objections/<int:pk>/evidence/<int:evidence_id>/",
        views.evidence_download,
        name="evidence-download",
    ),
]
