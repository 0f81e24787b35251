"""Input forms: the one place a record type's (or the public's) input is checked.

A service validates what it is given — a JSON body from the API, or what a page form
collected — through an ``InputForm``, a Django form whose fields take JSON values as well as
posted strings and word every message with the field's label, so that the pages and the API
report the same problems, every one at once::

    form = NominationInput(data, partial=True)   # an update: only the keys given
    problems = form.problems()                   # unknown keys, then each field's, then the form's
    if problems:
        raise InvalidInput(problems)
    clean = form.cleaned_data

``partial`` keeps only the fields the data names (a PATCH changes what it sends); ``accepted``
names keys the service reads itself (the round, the unit …) so they are not "unknown".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TRUE = {"true", "1", "on", "yes"}
FALSE = {"false", "0", "off", "no", ""}
MAX_AMOUNT = Decimal("9999999999.99")


class InputField(forms.Field):
    """Never required by Django (a service says what must be filled, and when); its messages
    name it by its label."""

    def __init__(self, *, label: Any, **kwargs: Any) -> None:
        super().__init__(label=label, required=False, **kwargs)

    def refuse(self, template: Any, **values: Any) -> ValidationError:
        return ValidationError(str(template) % {"label": self.label, **values})

    def validate(self, value: Any) -> None:  # no "required" check: see above
        pass


class Text(InputField):
    """A string, stripped; None is empty. ``squash`` removes every space inside (a name);
    ``email`` checks the address form."""

    too_long = gettext_lazy("“%(label)s”不得超过 %(n)s 个字符")

    def __init__(
        self, *, label: Any, max_length: int, squash: bool = False, email: bool = False, too_long: Any = None
    ) -> None:
        super().__init__(label=label)
        self.limit = max_length
        self.squash = squash
        self.email = email
        if too_long is not None:
            self.too_long = too_long

    def to_python(self, value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.refuse(_("“%(label)s”必须是文本"))
        value = value.strip()
        if self.squash:
            value = "".join(value.split())
        if len(value) > self.limit:
            raise self.refuse(self.too_long, n=self.limit, m=len(value))
        if self.email and value:
            try:
                validate_email(value)
            except ValidationError:
                raise self.refuse(_("“%(label)s”格式不正确")) from None
        return value


class Date(InputField):
    def to_python(self, value: Any) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.refuse(_("“%(label)s”必须是日期（YYYY-MM-DD）")) from None


class Moment(InputField):
    """A date and time (ISO 8601, e.g. ``2026-03-01T09:00`` or with a zone); a naive one is in
    the site's time zone."""

    def to_python(self, value: Any) -> dt.datetime | None:
        from django.utils import timezone

        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            moment = value
        else:
            try:
                moment = dt.datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise self.refuse(_("“%(label)s”必须是日期时间（YYYY-MM-DD HH:MM）")) from None
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Flag(InputField):
    def to_python(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise self.refuse(_("“%(label)s”必须是是/否"))


class Count(InputField):
    """A whole number from 0 to ``maximum``; empty is None."""

    def __init__(self, *, label: Any, maximum: int) -> None:
        super().__init__(label=label)
        self.maximum = maximum

    def to_python(self, value: Any) -> int | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not str(value).strip().isdigit() or int(str(value)) > self.maximum:
            raise self.refuse(_("“%(label)s”必须是非负整数"))
        return int(str(value))


class Quantity(InputField):
    """A non-negative number kept to ``places`` decimals (hours); empty is None."""

    def __init__(self, *, label: Any, places: int, maximum: Decimal) -> None:
        super().__init__(label=label)
        self.places = places
        self.maximum = maximum

    def to_python(self, value: Any) -> Decimal | None:
        if value in (None, ""):
            return None
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            number = None
        if isinstance(value, bool) or number is None or not number.is_finite() or not 0 <= number <= self.maximum:
            raise self.refuse(_("“%(label)s”必须是非负数"))
        return number.quantize(Decimal(1).scaleb(-self.places))


def parse_amount(raw: Any, label: Any) -> Decimal | None:
    """A sum of money in yuan (two decimals at most, thousands separators allowed); None when
    empty; ValidationError naming ``label`` otherwise."""
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        raise ValidationError(_("%(label)s必须是金额数字") % {"label": label})
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(_("%(label)s必须是金额数字（如 50000.00）") % {"label": label})
    if value < 0:
        raise ValidationError(_("%(label)s不能为负数") % {"label": label})
    if value.as_tuple().exponent < -2:
        raise ValidationError(_("%(label)s最多保留两位小数（单位：元）") % {"label": label})
    if value > MAX_AMOUNT:
        raise ValidationError(_("%(label)s超出范围") % {"label": label})
    return value.quantize(Decimal("0.01"))


class Amount(InputField):
    def to_python(self, value: Any) -> Decimal | None:
        return parse_amount(value, self.label)


class Choice(InputField):
    """One of ``values``; empty is ""."""

    def __init__(self, *, label: Any, values: Callable[[], list[str]] | list[str], message: Any) -> None:
        super().__init__(label=label)
        self.values = values
        self.message = message

    def to_python(self, value: Any) -> str:
        if value in (None, ""):
            return ""
        allowed = self.values() if callable(self.values) else self.values
        if not isinstance(value, str) or value not in allowed:
            raise self.refuse(self.message)
        return value


class Rows(InputField):
    """A table's rows (a list of objects): each column a text of at most its limit, the first
    column required, and an ``amount`` column when ``amount`` is set. Every problem is named by
    its row ("团队成员第 2 行：…")."""

    def __init__(self, *, label: Any, columns: dict[str, int], first_label: Any, amount: bool = False) -> None:
        super().__init__(label=label)
        self.columns = columns
        self.first_label = first_label
        self.amount = amount
        self.max_rows = 50

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        label = self.label
        if value is None:
            value = []
        if not isinstance(value, list):
            raise self.refuse(_("%(label)s必须是列表"))
        if len(value) > self.max_rows:
            raise self.refuse(_("%(label)s最多 50 行"))
        errors: list[str] = []
        rows = []
        for number, row in enumerate(value, start=1):
            where = _("%(label)s第 %(n)s 行") % {"label": label, "n": number}
            if not isinstance(row, dict):
                errors.append(_("%(where)s格式不正确") % {"where": where})
                continue
            unknown = sorted(set(row) - set(self.columns) - ({"amount"} if self.amount else set()))
            if unknown:
                errors.append(_("%(where)s：未知的字段 %(fields)s") % {"where": where, "fields": ", ".join(unknown)})
            item: dict[str, Any] = {}
            for key, limit in self.columns.items():
                text = row.get(key, "")
                text = "" if text is None else text
                if not isinstance(text, str):
                    errors.append(_("%(where)s：%(field)s 必须是文本") % {"where": where, "field": key})
                    continue
                text = text.strip()
                if len(text) > limit:
                    errors.append(
                        _("%(where)s：%(field)s 不得超过 %(n)s 个字符") % {"where": where, "field": key, "n": limit}
                    )
                item[key] = text
            first = next(iter(self.columns))
            if not item.get(first):
                errors.append(_("%(where)s：请填写%(field)s") % {"where": where, "field": self.first_label})
            if self.amount:
                try:
                    item["amount"] = parse_amount(row.get("amount"), where + _("金额"))
                except ValidationError as exc:
                    errors.extend(exc.messages)
                    item["amount"] = None
                else:
                    if item["amount"] is None:
                        errors.append(_("%(where)s：请填写金额") % {"where": where})
            rows.append(item)
        if errors:
            raise ValidationError(errors)
        return rows


class InputForm(forms.Form):
    """See the module's docstring."""

    # Keys the service reads itself (not fields of the form, not "unknown").
    accepted: tuple[str, ...] = ()

    def __init__(self, data: Any, *, partial: bool = False, **kwargs: Any) -> None:
        self.raw = data if isinstance(data, dict) else {}
        super().__init__(data=self.raw, **kwargs)
        if partial:
            self.fields = {name: field for name, field in self.fields.items() if name in self.raw}

    def unknown(self) -> list[str]:
        return sorted(set(self.raw) - set(self.base_fields) - set(self.accepted) - {"csrfmiddlewaretoken"})

    def leading(self) -> list[str]:
        """Problems reported before the fields' (a closed period, a missing choice)."""
        return []

    def problems(self) -> list[str]:
        """Every problem, in order: unknown keys, ``leading``, each field's in the form's
        order, then the form's own (``clean``)."""
        found = [_("未知的字段：%(field)s") % {"field": key} for key in self.unknown()]
        found.extend(self.leading())
        if not self.is_valid():
            for name in self.fields:
                found.extend(str(m) for m in self.errors.get(name, []))
            found.extend(str(m) for m in self.non_field_errors())
        return found
