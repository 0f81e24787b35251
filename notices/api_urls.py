from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import NoticeViewSet, ObjectionLookupView, ObjectionViewSet, PublicNoticeViewSet, VerificationViewSet

router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")
router.register("objections", ObjectionViewSet, basename="objection")
router.register("public/notices", PublicNoticeViewSet, basename="public-notice")
router.register("verifications", VerificationViewSet, basename="verification")
urlpatterns = [
    path("public/objections/lookup/", ObjectionLookupView.as_view(), name="api-objection-lookup"),
    path("", include(router.urls)),
]
