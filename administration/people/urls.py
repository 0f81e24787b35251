"""``/manage/people/…``: units and accounts (names ``administration:people…``), and the two
public pages of the area: an invitation's link and a unit's registration."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="people"),
    path("units/", views.units, name="people-units"),
    path("units/new/", views.unit_new, name="people-unit-new"),
    path("units/import/", views.units_import, name="people-units-import"),
    path("units/<int:pk>/", views.unit_detail, name="people-unit"),
    path("units/<int:pk>/deactivate/", views.unit_deactivate, name="people-unit-deactivate"),
    path("units/<int:pk>/reactivate/", views.unit_reactivate, name="people-unit-reactivate"),
    path("users/", views.users, name="people-users"),
    path("users/<int:pk>/", views.user_detail, name="people-user"),
    path("users/<int:pk>/grant/", views.user_grant, name="people-user-grant"),
    path("users/<int:pk>/revoke/", views.user_revoke, name="people-user-revoke"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="people-user-deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate, name="people-user-reactivate"),
    path(
        "users/<int:pk>/second-factor/remove/",
        views.user_second_factor_remove,
        name="people-user-second-factor-remove",
    ),
    path("invitations/", views.invitations, name="people-invitations"),
    path("registrations/", views.registrations, name="people-registrations"),
    path("registrations/<int:pk>/", views.registration_detail, name="people-registration"),
    path("registrations/<int:pk>/approve/", views.registration_approve, name="people-registration-approve"),
    path("registrations/<int:pk>/refuse/", views.registration_refuse, name="people-registration-refuse"),
    # Public: no sign-in.
    path("join/<str:token>/", views.join, name="people-join"),
    path("register/", views.register, name="people-register"),
    path("register/done/", views.register_done, name="people-register-done"),
]
