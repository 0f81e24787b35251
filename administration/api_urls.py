"""``/api/v1/…`` of the administration areas (each area's own api_urls)."""

from django.urls import include, path

urlpatterns = [
    path("", include("administration.rounds.api_urls")),
    path("", include("administration.people.api_urls")),
    path("", include("administration.rules.api_urls")),
]
