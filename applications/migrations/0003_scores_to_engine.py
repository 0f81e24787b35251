"""The experts' scores move to the engine's one score table (workflows.Score), every row kept
with its time."""

from django.db import migrations

FORWARD = """
INSERT INTO workflows_score (record_type, record_id, expert_id, scores, total, comment, submitted_at)
SELECT 'applications.application', application_id, expert_id, scores, total, comment, submitted_at
FROM applications_expertscore
"""
BACKWARD = """
INSERT INTO applications_expertscore (application_id, expert_id, scores, total, comment, submitted_at)
SELECT record_id, expert_id, scores, total, comment, submitted_at FROM workflows_score
WHERE record_type = 'applications.application'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_application_scale_indexes"),
        ("workflows", "0008_score"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, "DELETE FROM workflows_score WHERE record_type = 'applications.application'"),
        migrations.RunSQL(migrations.RunSQL.noop, BACKWARD),
        migrations.DeleteModel(name="ExpertScore"),
    ]
