"""The test record type, declared as a third type would be: its model, flow and form are all
it brings; its pages (/dossiers/) and API (/api/v1/dossiers/) come from the registry."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from workflows.registry import RecordType, register

from .models import Dossier


class DossierForm(forms.ModelForm):
    class Meta:
        model = Dossier
        fields = ["title", "body"]


@register
class DossierType(RecordType):
    model = Dossier
    slug = "dossiers"
    noun = _("卷宗")
    noun_plural = pgettext_lazy("records", "卷宗")
    title = pgettext_lazy("heading", "卷宗")
    menu_title = pgettext_lazy("heading", "卷宗")
    name_field = "title"
    search_fields = ("title", "organization__name")
    form_class = DossierForm
