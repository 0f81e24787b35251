"""``/api/v1/people/…`` (administration.people.api)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import AccountViewSet, InvitationViewSet, RegistrationViewSet, UnitViewSet

router = SimpleRouter()
router.register("people/units", UnitViewSet, basename="people-unit")
router.register("people/users", AccountViewSet, basename="people-user")
router.register("people/invitations", InvitationViewSet, basename="people-invitation")
router.register("people/registrations", RegistrationViewSet, basename="people-registration")
urlpatterns = [path("", include(router.urls))]
