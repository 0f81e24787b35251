from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from dashboards import views as dashboard_views
from notifications import api as inbox_api
from workflows.api import audit as audit_api
from workflows.api import views as engine_api
from workflows.urls_records import all_page_urls, api_router

api_v1 = [
    path("auth/token/", engine_api.TokenView.as_view(), name="api-token"),
    path("rounds/", engine_api.RoundList.as_view(), name="api-rounds"),
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
]

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", account_views.switch_language, name="set_language"),
    path("workflow/", include("workflows.urls")),
    path("notifications/", include("notifications.urls")),
    path("public/", include("notices.urls")),
    path("documents/", include("documents.urls")),
    path("verify/", include("documents.urls_public")),
    # Every record type's pages (/applications/, /nominations/ …), from its declaration.
    *all_page_urls(),
    path("manage/", include("administration.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
