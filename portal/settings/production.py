"""Production: PORTAL_ENV=production unless the environment says otherwise."""

import os

os.environ.setdefault("PORTAL_ENV", "production")

from .base import *  # noqa: F403
