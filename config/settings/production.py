"""Production settings: refuses to start without a real SECRET_KEY."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, TRUSTED_PROXY_COUNT, env_bool

_PLACEHOLDERS = {"", "change-me", "changeme", "secret", "dev-only-insecure-key-do-not-use-in-production"}
if SECRET_KEY in _PLACEHOLDERS or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production "
        "(生产环境必须设置至少 50 个字符的随机 SECRET_KEY)."
    )

DEBUG = env_bool("DEBUG", False)
# The ledger's signing key and checkpoint folder are the operator's: never made up here
# (README, "The audit ledger"); `check --deploy` reports them missing.
AUDIT_SIGNING_KEY_FILE = os.environ.get("AUDIT_SIGNING_KEY_FILE", "")
AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR", "")
AUDIT_SIGNING_KEY_AUTOCREATE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# X-Forwarded-Proto says "https" only when a proxy of ours sets it: behind TRUSTED_PROXY_COUNT
# proxies, or when SECURE_PROXY_SSL_HEADER=true says so. Without a proxy any client could send
# the header and pass for a secure request.
if env_bool("SECURE_PROXY_SSL_HEADER", TRUSTED_PROXY_COUNT > 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sessions: 8 hours at most and ending with the browser (base.py, for every environment).
EMAIL_BACKEND = __import__("os").environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
