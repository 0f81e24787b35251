"""Development settings: the embedded defaults, debug on."""

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"  # noqa: F405
# The demo signs in with passwords only (base.py requires a second factor of CAST staff,
# content reviewers and the auditor); set OTP_REQUIRED_ROLES to try it.
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", [])
