"""The page form of a record type that declares only a Django form (``RecordType.form_class``):
the type's fields, and when creating the round and, for an applicant of several units, the unit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .drafts import form_errors
from .models import Round


def open_rounds(kind: str) -> list[Round]:
    """Rounds of ``kind`` whose submission window is open now."""
    now = timezone.now()
    return list(
        Round.objects.filter(kind=kind, submission_opens__lte=now, submission_closes__gte=now).order_by("-year", "-pk")
    )


BLANK = ("", _("— 请选择 —"))


class UnitChoiceForm(forms.Form):
    """A page form that asks which applicant unit a new record is for — only of someone who
    applies for several (``organizations``: their (code, name) pairs)."""

    organization = forms.ChoiceField(label=_("申报单位"), required=False)

    def __init__(self, *args: Any, organizations: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organizations and len(organizations) > 1:
            self.fields["organization"].choices = [BLANK, *organizations]
        else:
            del self.fields["organization"]


class ChooseRound(UnitChoiceForm):
    round = forms.ChoiceField(label=_("批次"), required=False)

    def __init__(self, *args: Any, rounds: list[Round], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["round"].choices = [BLANK, *[(str(r.pk), r.title) for r in rounds]]


class DeclaredPageForm:
    """New and edit pages of a type with only a form: the form's own checks run in the
    service (one place), so the page collects and shows them as the API does."""

    def __init__(self, record_type: Any, request: Any, record: Any, *, posted: bool) -> None:
        from .pages import applicant_orgs

        data = request.POST if posted else None
        self.record = record
        form_class = record_type.form_class
        initial = None
        if record is not None and not posted:
            initial = {name: getattr(record, name) for name in form_class.base_fields}
        self.form = form_class(data, initial=initial)
        self.choose = None
        if record is None:
            self.choose = ChooseRound(
                data, rounds=open_rounds(record_type.round_kind), organizations=applicant_orgs(request.user)
            )

    def errors_list(self) -> list[str]:
        return form_errors(self.choose) if self.choose is not None else []

    def service_data(self) -> dict[str, Any]:
        data = {name: self.form.data.get(name, "") for name in self.form.fields}
        if self.choose is not None:
            data.update({k: v for k, v in self.choose.cleaned_data.items() if v})
        return data

    def context(self, record: Any) -> dict[str, Any]:
        return {
            "form": self.form,
            "choose": self.choose,
            "no_open_round": self.choose is not None and len(self.choose.fields["round"].choices) <= 1,
        }
