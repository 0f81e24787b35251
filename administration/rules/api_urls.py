"""``/api/v1/…`` of the rules area."""

from django.urls import path

from .api import RuleChangeList

urlpatterns = [
    path("audit/rule-changes/", RuleChangeList.as_view(), name="api-rule-changes"),
]
