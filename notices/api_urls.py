from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import NoticeViewSet, ObjectionViewSet, PublicNoticeViewSet

router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")
router.register("objections", ObjectionViewSet, basename="objection")
router.register("public/notices", PublicNoticeViewSet, basename="public-notice")
urlpatterns = [path("", include(router.urls))]
