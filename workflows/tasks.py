"""Celery tasks of the engine: the ledger's sequencer and background bulk actions. Thin: they
take ids and call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def sequence_ledger() -> int:
    """Append committed audit events to the Merkle log and sign a checkpoint (beat, and after
    commits that appended events). Returns the new tree size, or 0 when nothing was done."""
    from .ledger.sequencer import sequence

    checkpoint = sequence()
    return checkpoint.tree_size if checkpoint else 0


@shared_task(acks_late=True, ignore_result=True)
def run_bulk_job(job_id: int) -> str:
    """Run a bulk action stored as a Job; a redelivered task finds it taken and does nothing."""
    from .services import job_run

    job = job_run(job_id)
    return job.status if job else "skipped"
