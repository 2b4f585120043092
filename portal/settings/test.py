"""The test suite. With DATABASE_URL / CELERY_BROKER_URL set it uses the real services."""

import os

os.environ.setdefault("PORTAL_ENV", "test")
# Without a broker, tasks run eagerly inside the test process.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false" if os.environ.get("CELERY_BROKER_URL") else "true")

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not os.environ.get("EMAIL_URL"):  # a worker under test may be pointed at a real SMTP server
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
