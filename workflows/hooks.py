"""What the engine tells the apps built on it, without importing them.

Every audited change of a record ends with ``record_event``, inside the change's transaction,
after its audit event: the listeners registered here (notifications, from its AppConfig) act on
it — the way pretalx's state-change signal lets plug-ins act on a submission. A transition also
asks its listeners to ``prepare`` before it takes any lock, so that what needs no lock (who is to
be told, their preferences) is read before the record's row is held, not while.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class RecordListener(Protocol):
    def prepare(self, *, record: Any, event_name: str, memo: dict[Any, Any] | None = None) -> Any:
        """Read what ``done`` will need, before any lock (outside the change's transaction).
        ``memo``: shared by the records of one bulk action, to read what they share once."""

    def done(
        self,
        *,
        record: Any,
        event: Any,
        event_name: str,
        actor: Any,
        recipients: Sequence[Any] | None,
        prepared: Any,
    ) -> None:
        """Act on the audited event ``event`` (inside the change's transaction)."""

    def tell(
        self,
        *,
        message_key: str,
        context: dict[str, Any],
        dedup_base: str,
        users: list[Any] | None = None,
        address: str = "",
        subject: str = "",
        text: str = "",
    ) -> None:
        """A message that is not about an audit event (a job ended; an objector's decision to
        an address without an account), inside the caller's transaction."""


_listeners: list[RecordListener] = []


def register(listener: RecordListener) -> None:
    """Add a listener (once); apps call this from ``AppConfig.ready``."""
    if not any(type(existing) is type(listener) for existing in _listeners):
        _listeners.append(listener)


def prepare(*, record: Any, event_name: str, memo: dict[Any, Any] | None = None) -> list[Any]:
    return [listener.prepare(record=record, event_name=event_name, memo=memo) for listener in _listeners]


def record_event(
    *,
    record: Any,
    event: Any,
    event_name: str,
    actor: Any,
    recipients: Sequence[Any] | None = None,
    prepared: list[Any] | None = None,
) -> None:
    """Tell every listener of ``event`` on ``record``. ``recipients``: the people the event is
    addressed to, when the engine knows them (an assignee) instead of the flow's audiences;
    ``prepared``: what ``prepare`` returned, in listener order, if the caller prepared."""
    for index, listener in enumerate(_listeners):
        listener.done(
            record=record,
            event=event,
            event_name=event_name,
            actor=actor,
            recipients=recipients,
            prepared=prepared[index] if prepared is not None and index < len(prepared) else None,
        )


def tell(
    *,
    message_key: str,
    context: dict[str, Any],
    dedup_base: str,
    users: list[Any] | None = None,
    address: str = "",
    subject: str = "",
    text: str = "",
) -> None:
    """Send a message through the listeners: to ``users``, and/or to an e-mail ``address`` with
    its ``subject`` and ``text`` written now."""
    for listener in _listeners:
        listener.tell(
            message_key=message_key,
            context=context,
            dedup_base=dedup_base,
            users=users,
            address=address,
            subject=subject,
            text=text,
        )
