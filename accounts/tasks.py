from celery import shared_task

from accounts.services import invitations_purge_expired


@shared_task(name="accounts.purge_expired_invitations")
def purge_expired_invitations() -> int:
    return invitations_purge_expired()


@shared_task(name="accounts.disable_inactive")
def disable_inactive() -> int:
    from accounts.services import users_disable_inactive

    return users_disable_inactive()
