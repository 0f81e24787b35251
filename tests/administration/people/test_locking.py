"""The subject's row is locked in the service's transaction (PostgreSQL): two tabs accepting one
invitation at once make one account, the other is refused; two grants to one account queue, and
each event's "roles before" is what the other left. The interleaving is made certain: the first
writer stops inside its transaction until PostgreSQL shows the second waiting for its lock."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models.signals import post_save

from accounts.models import Membership, User
from administration.people import services
from tests.administration.people.conftest import event_rows
from tests.reliability.helpers import assert_audit_intact, wait_for
from workflows.exceptions import TransitionConflict, WorkflowError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Pause:
    """Stops the given thread when it saves a ``model`` row, its locks held, until released."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.pid: int | None = None
        self.thread: threading.Thread | None = None

    def __call__(self, sender: Any, instance: Any, **kwargs: Any) -> None:
        if threading.current_thread() is self.thread and not self.reached.is_set():
            self.pid = connection.connection.info.backend_pid
            self.reached.set()
            self.release.wait(timeout=30)


def run(target: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            outcome["result"] = target()
        except WorkflowError as exc:
            outcome["error"] = exc
        except Exception as exc:  # a 500 fails the test
            outcome["unexpected"] = repr(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=body), outcome


def waiting_behind(pid: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND %s = ANY(pg_blocking_pids(pid))", [pid])
        return cursor.fetchone()[0]


def interleave(first: Any, second: Any, model: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    pause = Pause()
    a, a_out = run(first)
    b, b_out = run(second)
    pause.thread = a
    post_save.connect(pause, sender=model, weak=False)
    try:
        a.start()
        assert pause.reached.wait(timeout=20)
        b.start()
        assert wait_for(lambda: waiting_behind(pause.pid) >= 1, timeout=20), "the second writer did not wait"
    finally:
        pause.release.set()
        post_save.disconnect(pause, sender=model)
        a.join(timeout=30)
        b.join(timeout=30)
    return a_out, b_out


def accept(token: str, username: str) -> Any:
    password = "Liangge-Biaoqian-2026"
    data = {"username": username, "display_name": "王丽", "password1": password, "password2": password}
    return lambda: services.invitation_accept(token=token, data=data)


def test_two_tabs_accepting_one_invitation_make_one_account(users, orgs):
    invitation = services.invitation_create(
        actor=users["reviewer_csf"],
        data={"email": "tabs@example.com", "organization": orgs["CSF-BR1"].pk, "role": "applicant"},
    )
    # The first tab stops when it saves the account (the invitation's row locked); the second
    # waits for that lock, then finds the link used.
    first, second = interleave(accept(invitation.token, "tab_one"), accept(invitation.token, "tab_two"), User)
    assert first.get("result") is not None and first["result"].username == "tab_one", first
    assert isinstance(second.get("error"), TransitionConflict), second
    assert second["error"].errors == ["该邀请链接已使用过，请直接登录"]
    assert list(User.objects.filter(email="tabs@example.com").values_list("username", flat=True)) == ["tab_one"]
    assert_audit_intact()


def test_two_grants_to_one_account_queue_on_its_row(users, orgs):
    account = users["applicant_xuwen"]

    def grant(unit: str, who: str) -> Any:
        data = {"organization": orgs[unit].pk, "role": "applicant", "reason": f"{unit} 兼任"}
        return lambda: services.role_grant(actor=users[who], user=account, data=data)

    first, second = interleave(grant("GD-ZJ-CAST", "reviewer_gd_cast"), grant("CAE", "cast_staff"), Membership)
    assert first.get("result") is not None and second.get("result") is not None, (first, second)
    rows = [(who, d["changes"]["roles"]) for action, who, _r, d in event_rows(account)]
    assert rows == [
        (
            "reviewer_gd_cast",
            {"before": ["GD-XW-CAST:applicant"], "after": ["GD-XW-CAST:applicant", "GD-ZJ-CAST:applicant"]},
        ),
        (
            "cast_staff",
            {
                "before": ["GD-XW-CAST:applicant", "GD-ZJ-CAST:applicant"],
                "after": ["CAE:applicant", "GD-XW-CAST:applicant", "GD-ZJ-CAST:applicant"],
            },
        ),
    ]
    assert_audit_intact()
