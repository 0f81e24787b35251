from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import NominationViewSet, WinnersView

router = SimpleRouter()
router.register("nominations", NominationViewSet, basename="nomination")
urlpatterns = [
    path("", include(router.urls)),
    path("public/winners/", WinnersView.as_view(), name="api-public-winners"),
]
