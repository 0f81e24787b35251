from django.urls import path

from . import api

urlpatterns = [
    path("applications/export.xlsx", api.ApplicationsExportXLSX.as_view(), name="api-applications-export-xlsx"),
    path("applications/export.csv", api.ApplicationsExportCSV.as_view(), name="api-applications-export-csv"),
    path("applications/<str:pk>/pdf/", api.ApplicationFormPDF.as_view(), name="api-application-pdf"),
    path(
        "applications/<int:pk>/approval-notice.pdf",
        api.ApprovalNoticePDF.as_view(),
        name="api-application-approval-notice",
    ),
    path("applications/<int:pk>/history.pdf", api.AuditHistoryPDF.as_view(), name="api-application-history-pdf"),
    path("nominations/export.xlsx", api.NominationsExportXLSX.as_view(), name="api-nominations-export-xlsx"),
    path("nominations/export.csv", api.NominationsExportCSV.as_view(), name="api-nominations-export-csv"),
    path("nominations/<str:pk>/pdf/", api.NominationFormPDF.as_view(), name="api-nomination-pdf"),
    path("nominations/<int:pk>/certificate.pdf", api.CertificatePDF.as_view(), name="api-nomination-certificate"),
    path("nominations/<int:pk>/history.pdf", api.NominationHistoryPDF.as_view(), name="api-nomination-history-pdf"),
    path("rounds/<int:pk>/winners.pdf", api.WinnersListPDF.as_view(), name="api-round-winners-pdf"),
    path("rounds/<int:pk>/results.pdf", api.ResultListPDF.as_view(), name="api-round-results-pdf"),
    path("public/notices/<int:pk>/list.pdf", api.NoticeListPDF.as_view(), name="api-public-notice-list-pdf"),
    path("public/verify/<str:code>/", api.VerifyView.as_view(), name="api-verify"),
    path("documents/batches/", api.BatchListView.as_view(), name="api-document-batches"),
    path("documents/batches/<int:pk>/", api.BatchDetailView.as_view(), name="api-document-batch"),
    path("documents/batches/<int:pk>/download/", api.BatchDownloadView.as_view(), name="api-document-batch-download"),
]
