"""The ways a workflow write can be refused, each with its HTTP status."""

from __future__ import annotations

from django.utils.translation import gettext as _


class WorkflowError(Exception):
    status_code = 400

    def __init__(self, errors: list[str] | str):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(self.errors))


class TransitionConflict(WorkflowError):
    """The transition is not available from the record's current state (409)."""

    status_code = 409


class TransitionForbidden(WorkflowError):
    """The actor lacks the role or the scope for this action (403)."""

    status_code = 403


class TransitionBlocked(WorkflowError):
    """Conditions unmet; every unmet one is listed and nothing changed (400)."""

    status_code = 400


class UnknownTransition(WorkflowError):
    """No transition of that name exists in the record's flow (404)."""

    status_code = 404

    def __init__(self, name: str):
        super().__init__(_("不存在名为“%(name)s”的操作") % {"name": name})


class InvalidInput(WorkflowError):
    status_code = 400


class NotFound(WorkflowError):
    """What was asked for does not exist, or is not the caller's to see (404)."""

    status_code = 404


class Contention(WorkflowError):
    """Another write held what this one needed and the database gave up on one of them (a
    deadlock or a serialization failure), twice: nothing was changed (409)."""

    status_code = 409

    def __init__(self, errors: list[str] | str | None = None):
        super().__init__(errors or _("记录正被他人同时处理，本次操作未生效，请刷新后重试"))


class Busy(WorkflowError):
    """The database stayed busy past its wait (a lock held too long): nothing was changed; try
    again in a moment (503 with Retry-After)."""

    status_code = 503
    retry_after = 2

    def __init__(self, errors: list[str] | str | None = None):
        super().__init__(errors or _("系统繁忙，本次操作未生效，请稍后重试"))
