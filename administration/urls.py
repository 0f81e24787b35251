"""``/manage/…``: the administration pages, one include per area (each area's own urls)."""

from django.urls import include, path

app_name = "administration"
urlpatterns = [
    path("rounds/", include("administration.rounds.urls")),
    path("people/", include("administration.people.urls")),
    path("rules/", include("administration.rules.urls")),
]
