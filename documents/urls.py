from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("batches/", views.batch_list, name="batches"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/download/", views.batch_download, name="batch-download"),
    path("applications/<int:pk>/form.pdf", views.application_form_pdf, name="application-form"),
    path("applications/<int:pk>/approval-notice.pdf", views.approval_notice_pdf, name="approval-notice"),
    path("applications/<int:pk>/history.pdf", views.audit_history_pdf, name="audit-history"),
    path("applications/export.<str:fmt>", views.applications_export, name="applications-export"),
    path("nominations/<int:pk>/form.pdf", views.nomination_form_pdf, name="nomination-form"),
    path("nominations/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate"),
    path("nominations/<int:pk>/history.pdf", views.nomination_history_pdf, name="nomination-history"),
    path("nominations/export.<str:fmt>", views.nominations_export, name="nominations-export"),
    path("rounds/<int:round_id>/winners.pdf", views.winners_list_pdf, name="winners-list"),
    path("rounds/<int:round_id>/results.pdf", views.result_list_pdf, name="result-list"),
    path("notices/<int:pk>/list.pdf", views.notice_list_pdf, name="notice-list"),
]
