"""``/manage/rules/…`` (namespace ``administration``): the sensitive terms, CAST's calendar and
the log of rule changes."""

from django.urls import path

from . import views

urlpatterns = [
    path("terms/", views.terms, name="rules-terms"),
    path("terms/new/", views.term_new, name="rules-term-new"),
    path("terms/import/", views.terms_import, name="rules-terms-import"),
    path("terms/<int:pk>/", views.term_edit, name="rules-term"),
    path("terms/<int:pk>/disable/", views.term_disable, name="rules-term-disable"),
    path("terms/<int:pk>/enable/", views.term_enable, name="rules-term-enable"),
    path("calendar/", views.calendar_page, name="rules-calendar"),
    path("log/", views.rule_log, name="rules-log"),
]
