"""Scheduled action-plan jobs: idempotent, no arguments, each calls one service."""

from celery import shared_task

from actionplan.services import indicators_refresh, updates_remind_late


@shared_task(name="actionplan.refresh_indicators")
def refresh_indicators() -> int:
    return indicators_refresh()


@shared_task(name="actionplan.remind_updates")
def remind_updates() -> int:
    return updates_remind_late()
