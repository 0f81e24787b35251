"""System checks of the engine's configuration (``manage.py check --deploy``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def audit_ledger_configured(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The ledger's signing key and checkpoint folder must be the operator's own in production:
    a key made up on first use would sign whatever a rewritten database holds."""
    errors: list[Error] = []
    key = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "")
    if not key:
        errors.append(
            Error(
                "AUDIT_SIGNING_KEY_FILE is not set (审计账本签名密钥文件未配置).",
                hint="Create one with `python manage.py audit_key --create FILE` and set AUDIT_SIGNING_KEY_FILE to it.",
                id="workflows.E001",
            )
        )
    elif not os.access(key, os.R_OK):
        errors.append(
            Error(
                f"AUDIT_SIGNING_KEY_FILE {key} cannot be read (审计账本签名密钥文件不可读).",
                hint="Check the path and that the application's user may read it.",
                id="workflows.E002",
            )
        )
    folder = getattr(settings, "AUDIT_CHECKPOINT_DIR", "")
    if not folder:
        errors.append(
            Error(
                "AUDIT_CHECKPOINT_DIR is not set (审计检查点目录未配置).",
                hint="A folder outside the database (and outside its backups) where checkpoints.log is appended.",
                id="workflows.E003",
            )
        )
    elif not (Path(folder).is_dir() and os.access(folder, os.W_OK)):
        errors.append(
            Error(
                f"AUDIT_CHECKPOINT_DIR {folder} is not a writable folder (审计检查点目录不可写).",
                id="workflows.E004",
            )
        )
    return errors
