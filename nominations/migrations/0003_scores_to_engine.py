"""The experts' scores move to the engine's one score table (workflows.Score), every row kept
with its time."""

from django.db import migrations

FORWARD = """
INSERT INTO workflows_score (record_type, record_id, expert_id, scores, total, comment, submitted_at)
SELECT 'nominations.nomination', nomination_id, expert_id, scores, total, comment, submitted_at
FROM nominations_nominationscore
"""
BACKWARD = """
INSERT INTO nominations_nominationscore (nomination_id, expert_id, scores, total, comment, submitted_at)
SELECT record_id, expert_id, scores, total, comment, submitted_at FROM workflows_score
WHERE record_type = 'nominations.nomination'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("nominations", "0002_nomination_certificate_index"),
        ("workflows", "0008_score"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, "DELETE FROM workflows_score WHERE record_type = 'nominations.nomination'"),
        migrations.RunSQL(migrations.RunSQL.noop, BACKWARD),
        migrations.DeleteModel(name="NominationScore"),
    ]
