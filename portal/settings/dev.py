"""Local development and the demo started by ``make run``: embedded defaults, no services."""

import os

os.environ.setdefault("PORTAL_ENV", "development")

from .base import *  # noqa: F403
