from django.db import transaction

from notifications.models import Kind, Notification
from notifications.services import notify
from tests.cases.conftest import new_case, shared_case, world  # noqa: F401 - shared personas
from tests.deconfliction.conftest import desks  # noqa: F401 - two police forces with desks
from tests.smtp import smtp  # noqa: F401 - the SMTP server fixture


def committed_notification(user) -> Notification:
    """One case-shared notification for ``user``, committed, so its email is enqueued."""
    with transaction.atomic():
        [row] = notify(
            users=[user],
            kind=Kind.CASE_SHARED,
            subject="Case NL-2026-000042 was shared with you",
            body="Case NL-2026-000042 is now visible to you in the portal.",
        )
    return row
