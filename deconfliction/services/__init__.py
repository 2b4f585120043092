"""Writes for deconfliction, one module per concept; import from here."""

from deconfliction.services.imports import import_jobs_requeue_stuck, selector_import_create, selector_import_run
from deconfliction.services.operations import (
    conflict_resolve,
    conflicts_in_place,
    distance_m,
    operation_cancel,
    operation_plan,
)
from deconfliction.services.registration import (
    ALLOWED_KINDS,
    MAX_BATCH,
    Registration,
    SelectorItem,
    add_working_days,
    hit_acknowledge,
    hit_coordinate,
    hit_resolve,
    hits_escalate_overdue,
    selector_deactivate,
    selector_register,
    selector_renew,
    selectors_expire_due,
    selectors_register_batch,
    volume_flag_review,
)
from deconfliction.services.rekey import RekeyProblem, RekeyResult, selectors_rekey

__all__ = [
    "ALLOWED_KINDS",
    "MAX_BATCH",
    "RekeyProblem",
    "RekeyResult",
    "Registration",
    "SelectorItem",
    "add_working_days",
    "conflict_resolve",
    "conflicts_in_place",
    "distance_m",
    "hit_acknowledge",
    "hit_coordinate",
    "hit_resolve",
    "hits_escalate_overdue",
    "import_jobs_requeue_stuck",
    "operation_cancel",
    "operation_plan",
    "selector_deactivate",
    "selector_import_create",
    "selector_import_run",
    "selector_register",
    "selector_renew",
    "selectors_expire_due",
    "selectors_register_batch",
    "selectors_rekey",
    "volume_flag_review",
]
