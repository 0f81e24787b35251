"""Print every flow as a Markdown table, from the flow definitions themselves.

``docs/flows.md`` is this command's output; a test keeps the two equal, so the document
cannot drift from the code.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import translation

from workflows.flows import RolePermission
from workflows.registry import record_models

WHO = {
    ("applicant", "own"): "A",
    ("applicant", "own_recommender"): "A*",
    ("society_reviewer", "recommender"): "R",
    ("cast_staff", "cast"): "C",
    ("expert", "assigned"): "E",
}
WINDOW = {
    "submission": "submission window open",
    "recommender_review": "review window open",
    "cast_review": "CAST review window open",
}


def describe(model) -> str:
    flow = model.flow_class
    lines = [
        f"## {model._meta.verbose_name} (`{model._meta.label_lower}`)",
        "",
        "| name | from → to | who | conditions (each unmet one is reported) | checkpoint | opinion | told |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, transitions in sorted(flow.all_transitions().items(), key=lambda kv: _order(flow, kv[0])):
        first = transitions[0]
        spec = flow.spec_of(first)
        sources = ", ".join(sorted(str(t.source) for t in transitions))
        permission = first.permission
        who = WHO.get((permission.role, permission.scope), "?") if isinstance(permission, RolePermission) else "?"
        conditions = []
        if spec.window:
            conditions.append(WINDOW[spec.window])
        for check in flow.checks_of(first):
            conditions.append(_describe(check))
        for check in flow.inputs_of(first):
            conditions.append(_describe(check) + " (checked when performed)")
        if spec.driven_by == "notice":
            conditions.append("taken when the record's public notice is published, never on its own")
        if spec.snapshot:
            conditions.append("content scanned (findings flagged for the content reviewer, never refused)")
        if getattr(permission, "stage", None):  # ReturnerPermission: only the party that returned it
            who += " (its returner)"
        bulk = " (bulk)" if spec.bulk else ""
        lines.append(
            f"| `{name}` | {sources} → {first.target} | {who}{bulk} | {'; '.join(conditions) or '—'} "
            f"| {('`' + spec.checkpoint + '`') if spec.checkpoint else '—'} | {spec.opinion} "
            f"| {', '.join(spec.tell) or '—'} |"
        )
    lines.append("")
    lines.append(
        "States: "
        + ", ".join(f"`{value}` {label}" for value, label in flow.States.choices)
        + ". CAST staff see: "
        + ", ".join(f"`{s}`" for s in sorted(flow.cast_visible_states))
        + "."
    )
    return "\n".join(lines) + "\n"


def _describe(check) -> str:
    doc = (check.__doc__ or "").strip().splitlines()
    return doc[0].rstrip(".") if doc else check.__name__.replace("_", " ")


def _order(flow, name: str) -> tuple[int, str]:
    states = list(flow.States.values)
    transitions = flow.all_transitions()[name]
    return (min(states.index(t.source) for t in transitions), name)


class Command(BaseCommand):
    help = "Print the flows (transitions, who, conditions, checkpoints) as Markdown."

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            parts = [
                "# The flows, generated from the code (`python manage.py describe_flows`)",
                "",
                "Who: **A** applicant of the record's organization · **A\\*** the same, only when the "
                "organization is its own recommending unit (a national society or provincial CAST applying for "
                "itself, a 副省级城市科协, the 兵团科协) · **R** reviewer of its recommending unit · "
                '**C** CAST staff · **E** an assigned expert; "(its returner)": only on a record that party '
                "returned for revision (its 补正期限, workflows/revision.py). Every transition writes an audit event.",
                "",
            ]
            for label, model in sorted(record_models().items()):
                if label.startswith("testapp."):
                    continue
                parts.append(describe(model))
            self.stdout.write("\n".join(parts), ending="")
