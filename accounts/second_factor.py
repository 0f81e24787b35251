"""The second factor (django-otp): who needs one, and checking a code.

A user holding a role of ``settings.OTP_REQUIRED_ROLES`` signs in with a TOTP code from an
authenticator app, or with one of their single-use recovery codes (django-otp's static
device). Enrolling a device and removing one are account changes, audited by
``administration.people.services``; this module only reads and verifies.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import permissions as perms

RECOVERY_CODE_COUNT = 10


def required_roles() -> frozenset[str]:
    return frozenset(getattr(settings, "OTP_REQUIRED_ROLES", ()) or ())


def second_factor_required(user: Any) -> bool:
    """Whether the user holds a role that signs in with a second factor."""
    roles = required_roles()
    return bool(roles) and any(g.role in roles for g in perms.grants(user))


def has_second_factor(user: Any) -> bool:
    """Whether the user has a confirmed authenticator (recovery codes alone do not count)."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def recovery_codes_left(user: Any) -> int:
    device = StaticDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    return device.token_set.count() if device else 0


def normalize(code: Any) -> str:
    """A code as typed: spaces and hyphens dropped, lower case (recovery codes are base32)."""
    return "".join(str(code or "").split()).replace("-", "").lower()


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def verify(user: Any, code: Any) -> Any:
    """The confirmed device that accepts ``code``, or None.

    Six digits are checked against the authenticator, anything else against the recovery codes,
    so a mistyped recovery code does not slow the authenticator down. django-otp throttles each
    device after failures, refuses a TOTP code already used (or older), and deletes a recovery
    code when it is used: each works once.
    """
    code = normalize(code)
    if not code or not user_has_device(user, confirmed=True):
        return None
    wanted = TOTPDevice if is_totp_code(code) else StaticDevice
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, wanted) and device.verify_token(code):
                return device
    return None
