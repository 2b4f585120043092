"""Writes for cases, one module per concept; import from here."""

from cases.services.core import (
    case_change_tlp,
    case_create,
    case_handover_decide,
    case_handover_propose,
    case_note_add,
    case_red_name_colleague,
    case_share,
    case_share_decide,
    case_share_revoke,
    case_shares_expire_due,
    case_shares_lapse_for_membership,
    case_update,
    countries_normalise,
    share_refusal,
)
from cases.services.milestones import (
    calendar_feed_create,
    calendar_feed_revoke,
    milestone_add,
    milestone_set_apply,
    milestone_update,
)
from cases.services.retention import cases_purge_retained
from cases.services.tasks import task_create, task_set_status

__all__ = [
    "calendar_feed_create",
    "calendar_feed_revoke",
    "case_change_tlp",
    "case_create",
    "case_handover_decide",
    "case_handover_propose",
    "case_note_add",
    "case_red_name_colleague",
    "case_share",
    "case_share_decide",
    "case_share_revoke",
    "case_shares_expire_due",
    "case_shares_lapse_for_membership",
    "case_update",
    "cases_purge_retained",
    "countries_normalise",
    "milestone_add",
    "milestone_set_apply",
    "milestone_update",
    "share_refusal",
    "task_create",
    "task_set_status",
]
