"""The public verification page: ``/verify/`` (type a code) and ``/verify/<code>/``."""

from django.urls import path

from . import views

app_name = "documents-public"
urlpatterns = [
    path("", views.verify_lookup, name="verify-lookup"),
    path("<str:code>/", views.verify, name="verify"),
]
