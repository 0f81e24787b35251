from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from accounts import views as account_views
from administration.people import views as people_views
from dashboards import views as dashboard_views
from notifications import api as inbox_api
from workflows.api import audit as audit_api
from workflows.api import views as engine_api
from workflows.api.decisions import DecisionMeetingViewSet
from workflows.urls_records import all_page_urls, api_router

decisions_router = SimpleRouter()
decisions_router.register("decisions", DecisionMeetingViewSet, basename="api-decisions")

api_v1 = [
    path("auth/token/", engine_api.TokenView.as_view(), name="api-token"),
    path("audit/checkpoints/latest/", audit_api.LatestCheckpointView.as_view(), name="api-audit-checkpoint"),
    path("audit/public-key/", audit_api.PublicKeyView.as_view(), name="api-audit-public-key"),
    path("assignments/", engine_api.MyAssignmentList.as_view(), name="api-my-assignments"),
    path("jobs/<int:pk>/", engine_api.JobDetail.as_view(), name="api-job"),
    path("inbox/", inbox_api.InboxView.as_view(), name="api-inbox"),
    path("inbox/read-all/", inbox_api.InboxReadAllView.as_view(), name="api-inbox-read-all"),
    path("inbox/preferences/", inbox_api.PreferenceView.as_view(), name="api-inbox-preferences"),
    path("inbox/<int:pk>/read/", inbox_api.InboxReadView.as_view(), name="api-inbox-read"),
    # Every record type's API (applications, nominations …), from its declaration.
    path("", include(api_router().urls)),
    path("", include("nominations.api_urls")),
    path("", include("notices.api_urls")),
    path("", include("documents.api_urls")),
    path("", include("administration.api_urls")),
    path("", include(decisions_router.urls)),
]

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Passwords (Django's views; the forms save through administration.people's audited services).
    path("password/change/", people_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("password/reset/", people_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        people_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    # The second factor (django-otp): enrol, the recovery codes once, verify at sign-in.
    path("second-factor/", people_views.otp_enrol, name="otp-enrol"),
    path("second-factor/codes/", people_views.otp_codes, name="otp-codes"),
    path("second-factor/verify/", people_views.otp_verify, name="otp-verify"),
    path("i18n/setlang/", account_views.switch_language, name="set_language"),
    path("workflow/", include("workflows.urls")),
    path("notifications/", include("notifications.urls")),
    path("public/", include("notices.urls")),
    path("documents/", include("documents.urls")),
    path("verify/", include("documents.urls_public")),
    # Every record type's pages (/applications/, /nominations/ …), from its declaration.
    *all_page_urls(),
    path("manage/", include("administration.urls")),
    path("rounds/", include("administration.rounds.public_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
