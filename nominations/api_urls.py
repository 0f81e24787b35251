from django.urls import path

from .api import WinnersView

urlpatterns = [path("public/winners/", WinnersView.as_view(), name="api-public-winners")]
