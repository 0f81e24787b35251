"""Celery tasks of the documents app: take ids, stay thin, stay idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(bind=True, acks_late=True, max_retries=3)
def build_batch(self, job_id: int) -> str:
    """Build one batch (documents.services.batch_run). A finished batch is left alone, so a
    redelivered task does no harm; a database that is briefly away is retried with back-off."""
    from .services import batch_run

    try:
        job = batch_run(job_id)
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=min(600, 2**self.request.retries * 15)) from exc
    return job.status if job is not None else "missing"
