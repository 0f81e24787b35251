"""``/rounds/…`` (namespace ``rounds``): every round's page, open to all once it has opened."""

from django.urls import path

from . import views

app_name = "rounds"
urlpatterns = [
    path("", views.public_list, name="list"),
    path("<int:pk>/", views.public_detail, name="detail"),
    path("<int:pk>/documents/<int:did>/", views.document_download, name="document"),
]
