"""Settings of the Celery worker the reliability tests start (never of the test process).

The test settings, plus: a short Redis visibility timeout swept every second, so a message
left unacknowledged by a killed worker is redelivered within seconds instead of an hour; the
transport's bookkeeping keys unique to the test run, so the sweep never touches messages of
other workers sharing the Redis database; and the holding, recording e-mail backend.
"""

import os

from config.settings.test import *  # noqa: F403

_PREFIX = os.environ.get("RELIABILITY_PREFIX", "reliability")

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "unacked_key": f"{_PREFIX}:unacked",
    "unacked_index_key": f"{_PREFIX}:unacked_index",
    "unacked_mutex_key": f"{_PREFIX}:unacked_mutex",
    "max_retries": 0,
}
EMAIL_BACKEND = "tests.reliability.mailer.HoldingRecordingBackend"
