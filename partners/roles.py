"""The one table that maps each membership role to what it may do.

Views, services and the authorisation tests all read this table; nothing else decides what a
role may do. Object access (which cases) is separate: it comes from per-object grants. These
capabilities say what a member may do with what it can see, and which pages it may open.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    LIAISON = "liaison", _("Liaison officer")
    INVESTIGATOR = "investigator", _("Investigator")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    ANALYST = "analyst", _("Analyst")
    NGO_CASEWORKER = "ngo_caseworker", _("NGO caseworker")
    MINISTRY_MONITOR = "ministry_monitor", _("Ministry monitor")
    ORG_ADMIN = "org_admin", _("Organisation admin")


class Capability(models.TextChoices):
    VIEW_CASES = "view_cases", _("See cases shared with the organisation")
    CREATE_CASE = "create_case", _("Open cases")
    CONTRIBUTE_CASE = "contribute_case", _("Add tasks, notes and milestone updates")
    CHANGE_CASE = "change_case", _("Change case details")
    SHARE_CASE = "share_case", _("Share cases and approve shares")
    MANAGE_MILESTONES = "manage_milestones", _("Apply and complete milestones")
    HANDLE_TASKS = "handle_tasks", _("Take and hand over tasks")
    REGISTER_SELECTORS = "register_selectors", _("Register deconfliction selectors")
    HANDLE_HITS = "handle_hits", _("Handle deconfliction hits")
    VIEW_ACTIONPLAN = "view_actionplan", _("See the action plan and aggregate figures")
    REPORT_PROGRESS = "report_progress", _("Report action-plan progress")
    REVIEW_PROGRESS = "review_progress", _("Accept or return progress updates")
    MANAGE_MEMBERS = "manage_members", _("Invite, deactivate and unlock members")
    NAME_RED_COLLEAGUES = "name_red_colleagues", _("Name colleagues on RED cases")


C = Capability
_CASEWORK = {C.VIEW_CASES, C.CONTRIBUTE_CASE, C.HANDLE_TASKS, C.VIEW_ACTIONPLAN, C.REPORT_PROGRESS}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.LIAISON: frozenset(
        _CASEWORK
        | {C.CREATE_CASE, C.CHANGE_CASE, C.SHARE_CASE, C.REGISTER_SELECTORS, C.HANDLE_HITS, C.MANAGE_MILESTONES}
    ),
    Role.INVESTIGATOR: frozenset(
        _CASEWORK | {C.CREATE_CASE, C.CHANGE_CASE, C.REGISTER_SELECTORS, C.HANDLE_HITS, C.MANAGE_MILESTONES}
    ),
    Role.PROSECUTOR: frozenset(_CASEWORK | {C.CREATE_CASE, C.CHANGE_CASE, C.SHARE_CASE, C.MANAGE_MILESTONES}),
    Role.ANALYST: frozenset({C.VIEW_CASES, C.CONTRIBUTE_CASE, C.HANDLE_HITS, C.VIEW_ACTIONPLAN}),
    # An NGO hotline registers the URLs and file hashes it receives reports about (the kinds
    # are limited per organisation kind in deconfliction.services.ALLOWED_KINDS).
    Role.NGO_CASEWORKER: frozenset(
        {
            C.VIEW_CASES,
            C.CONTRIBUTE_CASE,
            C.HANDLE_TASKS,
            C.REPORT_PROGRESS,
            C.REGISTER_SELECTORS,
            C.HANDLE_HITS,
            C.VIEW_ACTIONPLAN,
        }
    ),
    Role.MINISTRY_MONITOR: frozenset({C.VIEW_ACTIONPLAN, C.REVIEW_PROGRESS}),
    Role.ORG_ADMIN: frozenset(
        {C.VIEW_CASES, C.MANAGE_MEMBERS, C.NAME_RED_COLLEAGUES, C.VIEW_ACTIONPLAN, C.REPORT_PROGRESS}
    ),
}


def role_can(role: str, capability: str) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
