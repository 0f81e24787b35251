"""docs/flows.md is the output of describe_flows: the document cannot drift from the code."""

from io import StringIO
from pathlib import Path

from django.core.management import call_command


def test_docs_flows_md_matches_the_flow_definitions():
    out = StringIO()
    call_command("describe_flows", stdout=out)
    committed = (Path(__file__).resolve().parents[2] / "docs" / "flows.md").read_text(encoding="utf-8")
    assert out.getvalue() == committed, "run: python manage.py describe_flows > docs/flows.md"
