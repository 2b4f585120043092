"""Mutation check for ../shared/SECURITY.md: each protection removed, its test seen to fail.

For every numbered requirement line there is at least one entry below: the smallest edit a
careless developer could plausibly make that removes the protection (drop a middleware, make a
check pass, forget a filter, skip a call, lose a trigger in a migration ...), and the tests that
must then fail. The runner copies the project to a temporary directory (the files git knows of,
tracked or new, with their current working-tree content; never .venv, var or staticfiles),
checks that the unmutated copy passes every named test, then applies one mutant at a time and
runs its tests, each time on a fresh, fully migrated PostgreSQL database of its own (see
"databases" below; --create-db-each builds every one from the migrations, slower)::

    .venv/bin/python -m tests.security.mutations              # every entry (make mutants)
    .venv/bin/python -m tests.security.mutations --only 05 20  # the entries of lines 5 and 20
    .venv/bin/python -m tests.security.mutations --only 20f    # one entry
    .venv/bin/python -m tests.security.mutations --markdown    # the table as Markdown
    .venv/bin/python -m tests.security.mutations --check       # only check the table is current

It needs PostgreSQL on 127.0.0.1 (databases portal_mut and test_portal_mut only; override with
MUTANTS_DATABASE_URL) and, for the worker test of line 26, Redis database 13 (MUTANTS_BROKER_URL).

A mutant is "killed" when pytest exits 1 with a failing test, "SURVIVED" when the tests pass
(the test is too weak, or the edit did not remove the protection) and "error" otherwise:
collection errors, a syntax error or a broken fixture mean the mutant itself is badly made.
The source files in the working tree are never touched. An entry whose ``old`` text no longer
occurs exactly once in its file is stale and stops the run before anything else happens.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
PYTEST = ROOT / ".venv" / "bin" / "pytest"
EXCLUDED_DIRS = (".venv", "var", "staticfiles")
DATABASE_URL = os.environ.get("MUTANTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_mut")
BROKER_URL = os.environ.get("MUTANTS_BROKER_URL", "redis://127.0.0.1:6379/13")
FORBIDDEN_DATABASES = {"portal", "test_portal"}
TIMEOUT_SECONDS = 600
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider")
# Third-party pytest plugins that none of the named tests use; loading them costs about seven
# seconds per run on a busy machine. The baseline proves the named tests pass without them.
PLUGINS_OFF = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:faker")

AUTHN = "tests/security/test_authentication.py::"
SESSIONS = "tests/security/test_sessions.py::"
AUTHZ = "tests/security/test_authorisation.py::"
AUDIT = "tests/security/test_audit.py::"
BROWSER = "tests/security/test_browser.py::"
DECONF = "tests/security/test_deconfliction.py::"
FAULTS = "tests/security/test_faults.py::"
LIFECYCLE = "tests/security/test_accounts_lifecycle.py::"
TOKENS = "tests/security/test_api_tokens.py::"
SETTINGS = "portal/settings/base.py"


@dataclass(frozen=True)
class Mutant:
    line: int  # the SECURITY.md line whose protection is removed
    protection: str  # one sentence: what the edit removes
    path: str  # relative to the project root
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]  # pytest node ids; at least one must fail
    worker: bool = False  # a named test needs a real Celery worker (a broker)
    key: str = field(default="", compare=False)  # "05b": set from the table order


MUTANTS: list[Mutant] = [
    # --- 1. Second factor everywhere, one exemption registry; tokens from verified sessions ----
    Mutant(
        1,
        "The middleware that requires a verified second factor is dropped from MIDDLEWARE.",
        SETTINGS,
        '    "accounts.middleware.VerifiedSessionRequiredMiddleware",\n',
        "",
        (
            AUTHN + "test_sec_01_every_route_refuses_anonymous_and_password_only",
            AUTHN + "test_sec_01_unknown_path_sends_anonymous_to_login",
        ),
    ),
    Mutant(
        1,
        "The middleware accepts any signed-in session, verified or not.",
        "accounts/middleware.py",
        "        if user.is_authenticated and user.is_verified():\n",
        "        if user.is_authenticated:\n",
        (AUTHN + "test_sec_01_every_route_refuses_anonymous_and_password_only",),
    ),
    Mutant(
        1,
        "The API-token page is opened to password-only sessions (added to the enrolment exemptions).",
        "portal/exemptions.py",
        '        "accounts:enrol_qr",\n',
        '        "accounts:enrol_qr",\n        "accounts:tokens",\n',
        (TOKENS + "test_sec_01_tokens_only_from_a_verified_session",),
    ),
    # --- 2. A TOTP code is accepted once ------------------------------------------------------
    Mutant(
        2,
        "TOTP verification no longer passes the last accepted time step, so a code can be replayed.",
        "accounts/otp.py",
        "totp.verify(int(token), settings.OTP_TOTP_TOLERANCE, locked.last_t + 1)",
        "totp.verify(int(token), settings.OTP_TOTP_TOLERANCE)",
        (AUTHN + "test_sec_02_totp_replay_refused",),
    ),
    # --- 3. The documented TOTP window ----------------------------------------------------------
    Mutant(
        3,
        "The TOTP tolerance is widened from one step to two either side.",
        SETTINGS,
        "OTP_TOTP_TOLERANCE = 1\n",
        "OTP_TOTP_TOLERANCE = 2\n",
        (AUTHN + "test_sec_03_totp_window_is_one_step_either_side",),
    ),
    # --- 4. Throttled wrong codes, per device ---------------------------------------------------
    Mutant(
        4,
        "The TOTP throttle factor is set to 0, which switches django-otp's throttling off.",
        SETTINGS,
        "OTP_TOTP_THROTTLE_FACTOR = 1 ",
        "OTP_TOTP_THROTTLE_FACTOR = 0 ",
        (AUTHN + "test_sec_04_wrong_codes_are_throttled_with_growing_delay",),
    ),
    Mutant(
        4,
        "Every code is tried on every device (like django-otp's match_token), so a wrong code throttles all.",
        "accounts/views/auth.py",
        "    if cleaned.isdigit():\n"
        "        devices = TOTPDevice.objects.filter(user=user, confirmed=True)\n"
        "    else:\n"
        "        devices = BackupCodeDevice.objects.filter(user=user, confirmed=True)\n",
        "    devices = [\n"
        "        *TOTPDevice.objects.filter(user=user, confirmed=True),\n"
        "        *BackupCodeDevice.objects.filter(user=user, confirmed=True),\n"
        "    ]\n",
        (AUTHN + "test_sec_04_throttled_authenticator_leaves_backup_codes_usable",),
    ),
    # --- 5. Lockout after five failures; IP floods slowed; lockouts audited --------------------
    Mutant(
        5,
        "The axes lockout signal no longer locks the account (the lock lapses with axes' cool-off).",
        "accounts/signals.py",
        "        user_lock(user=user, request=request)\n",
        "        pass\n",
        (
            AUTHN + "test_sec_05_fifth_failure_locks_until_admin_unlocks",
            AUTHN + "test_sec_05_lock_outlasts_the_axes_cool_off",
        ),
    ),
    Mutant(
        5,
        "Unlocking leaves axes' failure records, so the account stays locked for axes.",
        "accounts/services.py",
        "    axes_reset(username=user.email)\n",
        "",
        (AUTHN + "test_sec_05_fifth_failure_locks_until_admin_unlocks",),
    ),
    Mutant(
        5,
        "The lockout is no longer audited.",
        "accounts/services.py",
        '        audit_record(action="auth.lockout", result=Result.DENIED, request=request, actor=user, obj=user)\n',
        "",
        (AUTHN + "test_sec_05_fifth_failure_locks_until_admin_unlocks",),
    ),
    Mutant(
        5,
        "The login view stops consulting the per-address slow-down.",
        "accounts/views/auth.py",
        "    wait = ip_wait_seconds(ip)\n",
        "    wait = 0\n",
        (AUTHN + "test_sec_05_one_address_is_slowed_not_locked",),
    ),
    # --- 6. Responses never reveal whether an account exists -----------------------------------
    Mutant(
        6,
        'A failed login says "Wrong password." when the account exists.',
        "accounts/views/auth.py",
        "        form.errors.clear()\n"
        "        form.add_error(None, GENERIC_LOGIN_ERROR)\n"
        '        return render(request, "accounts/login.html", {"form": form})\n',
        "        form.errors.clear()\n"
        "        from accounts.models import User\n"
        "\n"
        '        known = User.objects.filter(email__iexact=request.POST.get("username", "")).exists()\n'
        '        form.add_error(None, _("Wrong password.") if known else GENERIC_LOGIN_ERROR)\n'
        '        return render(request, "accounts/login.html", {"form": form})\n',
        (AUTHN + "test_sec_06_login_failure_same_for_unknown_and_known_account",),
    ),
    Mutant(
        6,
        "The lockout page tells a locked account it is locked (and an unknown one nothing).",
        "accounts/views/auth.py",
        "    form.add_error(None, GENERIC_LOGIN_ERROR)\n"
        '    return render(request, "accounts/login.html", {"form": form}, status=200)\n',
        "    from accounts.models import User\n"
        "\n"
        '    username = request.POST.get("username", "")\n'
        "    locked = User.objects.filter(email__iexact=username, locked_at__isnull=False).exists()\n"
        '    form.add_error(None, _("This account is locked.") if locked else GENERIC_LOGIN_ERROR)\n'
        '    return render(request, "accounts/login.html", {"form": form}, status=200)\n',
        (AUTHN + "test_sec_06_lockout_response_same_for_unknown_and_known_account",),
    ),
    # --- 7. Seeds and backup codes encrypted or hashed, never logged ---------------------------
    Mutant(
        7,
        "Backup codes are stored as typed instead of as keyed digests.",
        "accounts/otp.py",
        'BackupCode(device=device, code_digest=keyed_digest(_normalise_backup_code(c), purpose="backup-code"))',
        "BackupCode(device=device, code_digest=_normalise_backup_code(c))",
        (AUTHN + "test_sec_07_totp_seed_and_backup_codes_not_stored_in_clear",),
    ),
    Mutant(
        7,
        "A debugging log line writes the TOTP seed while a code is checked.",
        "accounts/otp.py",
        "        totp = TOTP(totp_secret_bytes(locked), locked.step, 0, locked.digits, locked.drift)\n",
        "        totp = TOTP(totp_secret_bytes(locked), locked.step, 0, locked.digits, locked.drift)\n"
        '        __import__("logging").getLogger(__name__).debug(\n'
        '            "checking against %s", totp_secret_bytes(locked).hex()\n'
        "        )\n",
        (AUTHN + "test_sec_07_totp_seed_and_backup_codes_not_stored_in_clear",),
    ),
    # --- 8. Changing a second factor needs re-authentication and notifies ----------------------
    Mutant(
        8,
        "Re-authentication no longer checks the password.",
        "accounts/views/security.py",
        '    if authenticate(request, username=user.email, password=form.cleaned_data["password"]) is None:\n'
        "        return False\n",
        "",
        (AUTHN + "test_sec_08_backup_code_regeneration_needs_reauth",),
    ),
    Mutant(
        8,
        "Regenerating backup codes no longer emails the user.",
        "accounts/services.py",
        "    _notify_user(\n"
        "        user=user,\n"
        '        subject=_("Your backup codes were replaced"),\n'
        '        body=_("New backup codes were generated for your account. If this was not you, tell your admin."),\n'
        "    )\n",
        "",
        (AUTHN + "test_sec_08_backup_code_regeneration_needs_reauth",),
    ),
    Mutant(
        8,
        "A verified session may enrol a replacement authenticator without re-authenticating.",
        "accounts/views/enrol.py",
        "    return request.user.is_verified() and reauth_at is not None"
        " and time.time() - reauth_at < REAUTH_SECONDS\n",
        "    return request.user.is_verified()\n",
        (AUTHN + "test_sec_08_replacing_authenticator_needs_reauth",),
    ),
    # --- 9. System-use notice ---------------------------------------------------------------------
    Mutant(
        9,
        "The system-use notice is removed from the sign-in page.",
        "accounts/templates/accounts/login.html",
        '  <h2 id="notice-title">{% translate "Authorised use only" %}</h2>\n',
        "",
        (AUTHN + "test_sec_09_system_use_notice_before_login",),
    ),
    # --- 10. Session key rotates at login and at the OTP step ----------------------------------
    Mutant(
        10,
        "The session key is no longer rotated at the OTP step (django-otp's login does not).",
        "accounts/views/auth.py",
        "    request.session.cycle_key()\n",
        "",
        (SESSIONS + "test_sec_10_session_key_rotates_at_login_and_at_otp_step",),
    ),
    # --- 11. Idle and absolute timeouts; polling is not activity -------------------------------
    Mutant(
        11,
        "The idle timeout default is raised from 30 to 60 minutes.",
        SETTINGS,
        'SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)',
        'SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 60 * 60, minimum=60)',
        (SESSIONS + "test_sec_11_idle_thirty_minutes_needs_full_reauthentication",),
    ),
    Mutant(
        11,
        "The 12-hour absolute limit is no longer checked.",
        "accounts/middleware.py",
        " or now - auth_at > settings.SESSION_ABSOLUTE_TIMEOUT",
        "",
        (SESSIONS + "test_sec_11_twelve_hours_ends_an_active_session",),
    ),
    Mutant(
        11,
        "Background polling counts as activity.",
        "accounts/middleware.py",
        "            elif not is_background(request)",
        "            elif True",
        (SESSIONS + "test_sec_11_background_polling_is_not_activity",),
    ),
    # --- 12. Disabling a user or ending the last membership ends sessions ----------------------
    Mutant(
        12,
        "The backend no longer refuses inactive users (Django's is_active check is skipped).",
        "accounts/backends.py",
        "        if not super().user_can_authenticate(user):\n            return False\n",
        "",
        (SESSIONS + "test_sec_12_disabling_user_ends_session_at_once",),
    ),
    Mutant(
        12,
        "A verified user without an active membership is no longer signed out by the middleware.",
        "partners/middleware.py",
        "            if membership is None and not user.is_platform_operator:\n",
        "            if membership is None and not user.is_authenticated:\n",
        (SESSIONS + "test_sec_12_ending_the_last_membership_ends_session_even_without_disabling",),
    ),
    Mutant(
        12,
        "Deactivating the last membership no longer disables the account.",
        "accounts/services.py",
        "        User.objects.filter(pk=user.pk).update(is_active=False)\n",
        "",
        (SESSIONS + "test_sec_12_removing_last_membership_ends_session",),
    ),
    # --- 13. Cookie flags in production ------------------------------------------------------
    Mutant(
        13,
        "The session cookie loses HttpOnly.",
        SETTINGS,
        "SESSION_COOKIE_HTTPONLY = True\n",
        "SESSION_COOKIE_HTTPONLY = False\n",
        (SESSIONS + "test_sec_13_production_cookies_secure_httponly_samesite",),
    ),
    Mutant(
        13,
        "Secure cookies are no longer the production default.",
        SETTINGS,
        'SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=IS_PRODUCTION)',
        'SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=False)',
        (SESSIONS + "test_sec_13_production_cookies_secure_httponly_samesite",),
    ),
    Mutant(
        13,
        "The session cookie is sent cross-site (SameSite=None).",
        SETTINGS,
        'SESSION_COOKIE_SAMESITE = "Lax"\n',
        'SESSION_COOKIE_SAMESITE = "None"\n',
        (SESSIONS + "test_sec_13_production_cookies_secure_httponly_samesite",),
    ),
    # --- 14. Other organisations get 404 and see no trace ------------------------------------
    Mutant(
        14,
        "The case gateway lets through any existing case, permission or not.",
        "cases/selectors.py",
        '    if "view_case" not in permissions:\n',
        "    if case is None:\n",
        (AUTHZ + "test_sec_14_outsider_gets_404_on_every_case_route_and_sees_no_trace",),
    ),
    Mutant(
        14,
        "The case list forgets the grant filter for members with few cases.",
        "cases/listing.py",
        "    JOIN cases_case c ON c.id = v.content_object_id JOIN",
        "    JOIN cases_case c ON c.id = v.content_object_id OR 1 = 1 JOIN",
        (AUTHZ + "test_sec_14_outsider_gets_404_on_every_case_route_and_sees_no_trace",),
    ),
    Mutant(
        14,
        "The unfiltered case list pages through every organisation's grants, not the member's.",
        "cases/listing.py",
        "      WHERE g.group_id = %s AND g.permission_id = {_PERMISSION} AND (g.expires_at IS NULL",
        "      WHERE (g.group_id = %s OR TRUE) AND g.permission_id = {_PERMISSION} AND (g.expires_at IS NULL",
        (AUTHZ + "test_sec_14_outsider_gets_404_on_every_case_route_and_sees_no_trace",),
    ),
    # --- 15. Revoking a share takes effect on the next request -------------------------------
    Mutant(
        15,
        "Ending a share marks it revoked but leaves the permission rows in place.",
        "cases/services/core.py",
        "def _end_share(share: CaseShare, status: str, reason: str) -> None:\n    _ungrant(share)\n",
        "def _end_share(share: CaseShare, status: str, reason: str) -> None:\n",
        (AUTHZ + "test_sec_15_revoking_a_share_takes_effect_on_the_next_request",),
    ),
    # --- 16. TLP rules -------------------------------------------------------------------------
    Mutant(
        16,
        "A RED case may be shared with a whole organisation.",
        "cases/services/core.py",
        "    if tlp == TLP.RED and membership is None:\n"
        '        return _("A RED case is shared only with named people, never with an organisation.")\n',
        "",
        (AUTHZ + "test_sec_16_tlp_rules_at_share_export_and_calendar",),
    ),
    Mutant(
        16,
        "An AMBER+STRICT case may leave the lead organisation.",
        "cases/services/core.py",
        "    if tlp == TLP.AMBER_STRICT and organisation.pk != lead:\n"
        '        return _("An AMBER+STRICT case stays inside the lead organisation.")\n',
        "",
        (AUTHZ + "test_sec_16_tlp_rules_at_share_export_and_calendar",),
    ),
    Mutant(
        16,
        "The NGO/industry rule is dropped at the share operation (a named NGO member may get RED).",
        "cases/services/core.py",
        "    if organisation.kind in RESTRICTED_KINDS and tlp in (TLP.AMBER_STRICT, TLP.RED):\n"
        '        return _("NGO and industry organisations never receive AMBER+STRICT or RED cases.")\n',
        "",
        (AUTHZ + "test_sec_16_tlp_rules_at_share_export_and_calendar",),
    ),
    Mutant(
        16,
        "The CSV export includes RED cases.",
        "cases/views/cases.py",
        "cases = filters.apply(cases_visible_to(membership=request.membership)).exclude(tlp=TLP.RED)",
        "cases = filters.apply(cases_visible_to(membership=request.membership))",
        (AUTHZ + "test_sec_16_tlp_rules_at_share_export_and_calendar",),
    ),
    Mutant(
        16,
        "The calendar feed includes milestones of RED cases.",
        "cases/selectors.py",
        "case__in=cases_visible_to(membership=membership).exclude(tlp=TLP.RED), due_date__isnull=False",
        "case__in=cases_visible_to(membership=membership), due_date__isnull=False",
        (AUTHZ + "test_sec_16_tlp_rules_at_share_export_and_calendar",),
    ),
    Mutant(
        16,
        "Case permissions come from every organisation group the user is in, not the active one.",
        "cases/selectors.py",
        "    return _GRANTED_SQL.format(case=case_sql), params\n",
        '    every_group = "g.group_id IN (SELECT ug.group_id FROM accounts_user_groups ug WHERE ug.user_id = %s)"\n'
        '    sql = _GRANTED_SQL.replace("g.group_id = %s", every_group)\n'
        "    return sql.format(case=case_sql), [membership.user_id, *params[1:]]\n",
        (AUTHZ + "test_sec_16_tlp_rules_at_share_export_and_calendar",),
    ),
    # --- 17. Raw values and the other case stay with their organisation ---------------------
    Mutant(
        17,
        "The hit page shows every selector of the hit and its case, the other side's included.",
        "deconfliction/selectors.py",
        # Both filters go: our own selectors only, and of those only the cases we can see.
        "    own_rows = list(behind.filter(organisation_id=org_id)"
        '.select_related("case").order_by("registered_at", "pk"))\n'
        "    if hit.organisation_a_id == hit.organisation_b_id:\n"
        "        other_first = min((s.registered_at for s in own_rows), default=None)\n"
        "    else:\n"
        '        other_first = behind.filter(organisation_id=other.pk).aggregate(first=Min("registered_at"))["first"]\n'
        "    visible = set(\n"
        "        cases_visible_to(membership=membership)\n"
        "        .filter(pk__in=[s.case_id for s in own_rows])\n"
        '        .values_list("pk", flat=True)\n'
        "    )\n",
        '    own_rows = list(behind.select_related("case").order_by("registered_at", "pk"))\n'
        "    if hit.organisation_a_id == hit.organisation_b_id:\n"
        "        other_first = min((s.registered_at for s in own_rows), default=None)\n"
        "    else:\n"
        '        other_first = behind.filter(organisation_id=other.pk).aggregate(first=Min("registered_at"))["first"]\n'
        "    visible = {s.case_id for s in own_rows}\n",
        (AUTHZ + "test_sec_17_other_side_never_sees_case_or_raw_value_after_a_hit",),
    ),
    # --- 18. Small numbers suppressed, also against subtraction -------------------------------
    Mutant(
        18,
        "Primary suppression is skipped: figures from fewer than 5 cases are shown.",
        "actionplan/suppression.py",
        "        cell.suppressed = _primary(cell)\n",
        "        cell.suppressed = False\n",
        ("tests/security/test_aggregates.py::test_sec_18_small_figures_are_suppressed_and_cannot_be_subtracted",),
    ),
    Mutant(
        18,
        "Secondary suppression is skipped: a hidden cell can be recovered by subtraction.",
        "actionplan/suppression.py",
        "    changed = True\n    while changed:\n",
        "    changed = False\n    while changed:\n",
        ("tests/security/test_aggregates.py::test_sec_18_small_figures_are_suppressed_and_cannot_be_subtracted",),
    ),
    # --- 19. Every read, failure and refusal is audited -------------------------------------
    Mutant(
        19,
        "Failed logins are no longer audited.",
        "accounts/views/auth.py",
        "        ip_record_failure(ip)\n"
        "        audit_record(\n"
        '            action="auth.login",\n'
        "            result=Result.FAILURE,\n",
        "        ip_record_failure(ip)\n"
        "        dict(\n"
        '            action="auth.login",\n'
        "            result=Result.FAILURE,\n",
        (AUDIT + "test_sec_19_login_success_and_failures_are_audited",),
    ),
    Mutant(
        19,
        "Failed OTP codes are no longer audited.",
        "accounts/views/auth.py",
        '        audit_record(\n            action="auth.otp",\n',
        '        dict(\n            action="auth.otp",\n',
        (AUDIT + "test_sec_19_login_success_and_failures_are_audited",),
    ),
    Mutant(
        19,
        "Case reads are no longer audited.",
        "cases/selectors.py",
        "    if audit_action:\n        audit_record(action=audit_action, request=request, obj=case)\n",
        "",
        ("tests/cases/test_access.py::test_lead_partner_and_outsider_on_the_detail_page",),
    ),
    Mutant(
        19,
        "Refused case access is no longer audited as denied.",
        "cases/selectors.py",
        '    if "view_case" not in permissions:\n        audit_record(\n',
        '    if "view_case" not in permissions:\n        dict(\n',
        ("tests/cases/test_access.py::test_lead_partner_and_outsider_on_the_detail_page",),
    ),
    Mutant(
        19,
        "The middleware that writes a deferred token-use event is left out of the settings.",
        "portal/settings/base.py",
        '    "audit.middleware.PendingAuditMiddleware",\n',
        "",
        ("tests/api/test_api.py::test_a_token_read_that_audits_nothing_else_still_records_the_use",),
    ),
    # --- 20. Append-only, hash-chained, verifiable, fork-free --------------------------------
    Mutant(
        20,
        "AuditEvent.save() allows updating an existing event.",
        "audit/models.py",
        "        if not self._state.adding:\n            raise AppendOnlyError",
        "        if False:\n            raise AppendOnlyError",
        (AUDIT + "test_sec_20_application_cannot_change_or_delete_events",),
    ),
    Mutant(
        20,
        "The audit queryset allows bulk update().",
        "audit/models.py",
        '    def update(self, **kwargs):\n        raise AppendOnlyError("audit events are append-only")\n',
        "    def update(self, **kwargs):\n        return super().update(**kwargs)\n",
        (AUDIT + "test_sec_20_application_cannot_change_or_delete_events",),
    ),
    Mutant(
        20,
        "The migration no longer creates the PostgreSQL append-only trigger.",
        "audit/migrations/0002_append_only_trigger.py",
        "        schema_editor.execute(CREATE, params=None)\n",
        "        pass\n",
        (AUDIT + "test_sec_20_database_trigger_refuses_update_and_delete",),
    ),
    Mutant(
        20,
        "The verifier stops recomputing each event's hash.",
        "audit/selectors.py",
        "        if hash_of(event) != event.hash:\n",
        "        if False:\n",
        (AUDIT + "test_sec_20_edited_event_is_detected",),
    ),
    Mutant(
        20,
        "The verifier no longer compares the end of a chain with its head.",
        "audit/selectors.py",
        "    if expected_seq - 1 != head.seq or expected_prev != head.hash:\n",
        "    if False:\n",
        (AUDIT + "test_sec_20_deleted_last_event_is_detected",),
    ),
    Mutant(
        20,
        "Appending no longer locks the chain head, so concurrent writers can fork a chain.",
        "audit/services.py",
        'cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE chain = %s FOR UPDATE", [chain])',
        'cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE chain = %s", [chain])',
        (
            AUDIT + "test_sec_20_two_writers_meeting_at_the_same_head_do_not_fork_a_chain",
            AUDIT + "test_sec_20_concurrent_writers_do_not_fork_a_chain",
        ),
    ),
    # --- 21. No audit event, no action ---------------------------------------------------------
    Mutant(
        21,
        "Durable (refusal) events may be written inside a transaction that can still roll back.",
        "audit/services.py",
        "    with transaction.atomic(durable=durable, savepoint=False):\n",
        "    with transaction.atomic(savepoint=False):\n",
        (AUDIT + "test_sec_21_refusals_cannot_be_written_inside_a_transaction_that_may_roll_back",),
    ),
    Mutant(
        21,
        "Creating a membership is no longer atomic with its audit event.",
        "partners/services.py",
        "@transaction.atomic\ndef membership_create(\n",
        "def membership_create(\n",
        (AUDIT + "test_sec_21_no_audit_event_means_no_action",),
    ),
    # --- 22. Content-Security-Policy -----------------------------------------------------------
    Mutant(
        22,
        "The CSP middleware is dropped from MIDDLEWARE.",
        SETTINGS,
        '    "csp.middleware.CSPMiddleware",\n',
        "",
        (BROWSER + "test_sec_22_csp_on_every_html_response",),
    ),
    Mutant(
        22,
        "script-src allows 'unsafe-inline'.",
        SETTINGS,
        '"script-src": ["\'self\'"],',
        '"script-src": ["\'self\'", "\'unsafe-inline\'"],',
        (BROWSER + "test_sec_22_csp_on_every_html_response",),
    ),
    Mutant(
        22,
        "object-src 'none' is dropped from the policy.",
        SETTINGS,
        '        "object-src": ["\'none\'"],\n',
        "",
        (BROWSER + "test_sec_22_csp_on_every_html_response",),
    ),
    Mutant(
        22,
        "The base template gains an inline script.",
        "portal/templates/base.html",
        "  <script src=\"{% static 'portal/portal.js' %}\" defer></script>\n",
        "  <script src=\"{% static 'portal/portal.js' %}\" defer></script>\n"
        '  <script>document.documentElement.classList.add("js");</script>\n',
        (BROWSER + "test_sec_22_templates_have_no_inline_script",),
    ),
    # --- 23. CSRF; no asset from another origin ----------------------------------------------
    Mutant(
        23,
        "The CSRF middleware is dropped from MIDDLEWARE.",
        SETTINGS,
        '    "django.middleware.csrf.CsrfViewMiddleware",\n',
        "",
        (BROWSER + "test_sec_23_post_without_csrf_token_rejected",),
    ),
    Mutant(
        23,
        "htmx is loaded from a CDN instead of the self-hosted copy.",
        "portal/templates/base.html",
        "{% static 'vendor/htmx-2.0.11/htmx.min.js' %}",
        "https://unpkg.com/htmx.org@2.0.11/dist/htmx.min.js",
        (BROWSER + "test_sec_23_no_asset_from_another_origin",),
    ),
    # --- 24. check --deploy clean with production settings -----------------------------------
    Mutant(
        24,
        "HTTPS redirection is no longer the production default.",
        SETTINGS,
        'SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)',
        'SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)',
        (BROWSER + "test_sec_24_check_deploy_passes_with_production_settings",),
    ),
    Mutant(
        24,
        "Production no longer refuses the public development secrets.",
        SETTINGS,
        '        if any(part.strip() in KNOWN_DEFAULT_SECRETS for part in value.split(",")):\n',
        '        if value.strip() in {"", "changeme"}:\n',
        (BROWSER + "test_sec_24_production_refuses_default_secrets",),
    ),
    # --- 25. Bad input: a clear error, nothing changed; CSV errors by line -------------------
    Mutant(
        25,
        "The CSV import skips rows of an unknown kind without reporting them.",
        "deconfliction/services/imports.py",
        '            errors.append({"line": line_number, "reason": _("Unknown kind %(kind)s.")'
        ' % {"kind": row[0].strip()}})\n',
        "",
        (FAULTS + "test_sec_25_bad_input_gets_a_clear_error_and_changes_nothing",),
    ),
    Mutant(
        25,
        "The CSV import no longer reports rows whose value is invalid.",
        "deconfliction/services/imports.py",
        '            if result.status == "invalid":\n'
        '                errors.append({"line": result.item.line, "reason": result.message})\n',
        "",
        (FAULTS + "test_sec_25_bad_input_gets_a_clear_error_and_changes_nothing",),
    ),
    # --- 26. Jobs survive a killed worker; Message-ID from the notification ------------------
    Mutant(
        26,
        "Delivery no longer checks that the notification is still pending, so a redelivered task sends again.",
        "notifications/services.py",
        "            .filter(pk=notification_id, email=Notification.Email.PENDING)\n",
        "            .filter(pk=notification_id)\n",
        (
            "tests/notifications/test_notifications.py::test_delivered_once_with_a_message_id_derived_from_the_notification",
        ),
    ),
    Mutant(
        26,
        "The Message-ID is random per attempt instead of derived from the notification.",
        "notifications/models.py",
        '        return f"<notification-{self.uuid}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"\n',
        "        return f\"<notification-{__import__('uuid').uuid4()}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>\"\n",
        (FAULTS + "test_sec_26_worker_killed_mid_send_runs_again_and_delivers_once",),
        worker=True,
    ),
    Mutant(
        26,
        "The delivery task is acknowledged on receipt instead of after it ran (acks late off).",
        "notifications/tasks.py",
        "    acks_late=True,\n",
        "    acks_late=False,\n",
        (FAULTS + "test_sec_26_worker_killed_mid_send_runs_again_and_delivers_once",),
        worker=True,
    ),
    Mutant(
        26,
        "A task whose pool child died is recorded as failed instead of handed back (reject on worker lost off).",
        "notifications/tasks.py",
        "    reject_on_worker_lost=True,\n",
        "    reject_on_worker_lost=False,\n",
        (FAULTS + "test_sec_26_pool_child_killed_mid_send_is_handed_back_and_delivered_once",),
        worker=True,
    ),
    # --- 27. Database unreachable: a clear 503 ---------------------------------------------
    Mutant(
        27,
        "The custom 500 handler (which answers 503 when the database is down) is removed.",
        "portal/urls.py",
        'handler500 = "portal.views.error_500"\n',
        "",
        (FAULTS + "test_sec_27_database_unreachable_gives_a_clear_503",),
    ),
    # --- 28. Concurrent registration produces the hit for both ------------------------------
    Mutant(
        28,
        "Registration no longer takes the advisory locks on the digests' buckets.",
        "deconfliction/services/registration.py",
        "    lock_digests(pending.keys())\n",
        "",
        (
            DECONF + "test_sec_28_registrations_meeting_before_the_lookup_still_produce_the_hit",
            DECONF + "test_sec_28_concurrent_registration_produces_the_hit_for_both",
        ),
    ),
    # --- 29. Invitation only; no operator case access; no superuser; admin ------------------
    Mutant(
        29,
        "Production settings allow superuser logins.",
        SETTINGS,
        "ALLOW_SUPERUSER_LOGIN = not IS_PRODUCTION\n",
        "ALLOW_SUPERUSER_LOGIN = True\n",
        (LIFECYCLE + "test_sec_29_production_settings_forbid_superuser_login",),
    ),
    Mutant(
        29,
        "The backend ignores ALLOW_SUPERUSER_LOGIN.",
        "accounts/backends.py",
        "        return not (user.is_superuser and not settings.ALLOW_SUPERUSER_LOGIN)\n",
        "        return True\n",
        (LIFECYCLE + "test_sec_29_superuser_cannot_log_in_with_production_rule",),
    ),
    Mutant(
        29,
        "Service accounts may sign in interactively.",
        "accounts/backends.py",
        'if getattr(user, "is_service_account", False) or getattr(user, "locked_at", None) is not None:',
        'if getattr(user, "locked_at", None) is not None:',
        (LIFECYCLE + "test_sec_29_service_account_has_no_interactive_login",),
    ),
    Mutant(
        29,
        "The admin site no longer requires a verified second factor itself (plain AdminSite).",
        "portal/admin.py",
        "class PortalAdminSite(OTPAdminSite):\n",
        "class PortalAdminSite(admin.AdminSite):\n",
        (LIFECYCLE + "test_sec_29_admin_needs_second_factor",),
    ),
    Mutant(
        29,
        "The admin site exposes audit events.",
        "portal/admin.py",
        'admin_site = PortalAdminSite(name="admin")\n',
        'admin_site = PortalAdminSite(name="admin")\n'
        'admin_site.register(__import__("audit.models").models.AuditEvent)\n',
        ("tests/portal/test_portal.py::test_admin_requires_second_factor_and_exposes_no_audit",),
    ),
    Mutant(
        29,
        "An accepted invitation is not marked used, so the link works again.",
        "accounts/services.py",
        "    invitation.used_at = timezone.now()\n",
        "",
        ("tests/accounts/test_invitations.py::test_invitation_link_works_once",),
    ),
    Mutant(
        29,
        "Invitations live a week instead of 72 hours.",
        SETTINGS,
        "INVITATION_VALID_HOURS = 72\n",
        "INVITATION_VALID_HOURS = 7 * 24\n",
        ("tests/accounts/test_invitations.py::test_invitation_expires_after_72_hours",),
    ),
    # --- 30. Registration rate-limited, by kind, unusual volumes flagged ---------------------
    Mutant(
        30,
        "The hourly rate limit and volume flag are no longer checked.",
        "deconfliction/services/registration.py",
        "    _check_rate(membership=membership, incoming=len(new_selectors))\n",
        "",
        (DECONF + "test_sec_30_registration_is_limited_by_kind_rate_and_flagged",),
    ),
    Mutant(
        30,
        "Organisation kinds missing from ALLOWED_KINDS may register every selector kind.",
        "deconfliction/services/registration.py",
        "    allowed = ALLOWED_KINDS.get(organisation.kind, frozenset())\n",
        "    allowed = ALLOWED_KINDS.get(organisation.kind, frozenset(SelectorKind.values))\n",
        (DECONF + "test_sec_30_registration_is_limited_by_kind_rate_and_flagged",),
    ),
    # --- 31. Key rotation keeps matches and values ----------------------------------------
    Mutant(
        31,
        "Re-keying no longer re-encrypts raw values with the current key.",
        "deconfliction/services/rekey.py",
        "        selector.raw_encrypted = reencrypt_str(selector.raw_encrypted)\n",
        "",
        (DECONF + "test_sec_31_rotating_both_keys_keeps_matches_and_values",),
    ),
    Mutant(
        31,
        "Re-keying records the new key version but keeps the old digest.",
        "deconfliction/services/rekey.py",
        "        selector.digest, selector.key_version = digest, version\n",
        "        selector.key_version = version\n",
        (DECONF + "test_sec_31_rotating_both_keys_keeps_matches_and_values",),
    ),
    # --- 32. Retention ------------------------------------------------------------------------
    Mutant(
        32,
        "The retention job archives expired cases instead of deleting them.",
        "cases/services/retention.py",
        "            Case.objects.filter(pk__in=[pk for pk, _ref in batch]).delete()\n",
        '            Case.objects.filter(pk__in=[pk for pk, _ref in batch]).update(status="referred")\n',
        (DECONF + "test_sec_32_retention_removes_closed_cases_and_expired_raw_values",),
    ),
    Mutant(
        32,
        "Expired selectors are marked purged but keep their raw value.",
        "deconfliction/services/registration.py",
        '.update(raw_encrypted="", raw_purged_at=now)',
        ".update(raw_purged_at=now)",
        (DECONF + "test_sec_32_retention_removes_closed_cases_and_expired_raw_values",),
    ),
    Mutant(
        32,
        "The audit purge deletes old events but leaves the chain's base where it was.",
        "audit/services.py",
        '            AuditChainHead.objects.filter(chain=chain).update(base_seq=last["seq"], base_hash=last["hash"])\n',
        "",
        (AUDIT + "test_sec_32_old_audit_segments_are_purged_and_the_chain_still_verifies",),
    ),
    Mutant(
        32,
        "The audit purge leaves the append-only trigger open for the rest of the transaction.",
        "audit/services.py",
        """                    cursor.execute("SET LOCAL portal.audit_purge = 'off'")\n""",
        "                    pass\n",
        (AUDIT + "test_sec_32_purge_does_not_open_the_trigger_for_anything_else",),
    ),
    # --- 33. Cross-border shares: legal basis and a second approver --------------------------
    Mutant(
        33,
        "The requester may approve their own cross-border share.",
        "cases/services/core.py",
        "    if share.requested_by_id == approver.user_id:\n",
        "    if False:\n",
        (AUTHZ + "test_sec_33_cross_border_share_needs_legal_basis_and_second_approver",),
    ),
    Mutant(
        33,
        "Cross-border shares take effect at once, without waiting for approval.",
        "cases/services/core.py",
        "        status=Status.PENDING if cross_border else Status.ACTIVE,\n",
        "        status=Status.ACTIVE,\n",
        (AUTHZ + "test_sec_33_cross_border_share_needs_legal_basis_and_second_approver",),
    ),
    Mutant(
        33,
        "A legal basis is checked only when one is given.",
        "cases/services/core.py",
        "    if cross_border and legal_basis not in LegalBasis.values:\n",
        "    if cross_border and legal_basis and legal_basis not in LegalBasis.values:\n",
        (AUTHZ + "test_sec_33_cross_border_share_needs_legal_basis_and_second_approver",),
    ),
    # --- 34. Tokens: SHA-256 of a high-entropy secret; dead at once when access ends ---------
    Mutant(
        34,
        "Token secrets carry 8 random bytes instead of 32.",
        "accounts/tokens.py",
        "secret = TOKEN_PREFIX + secrets.token_urlsafe(32)",
        "secret = TOKEN_PREFIX + secrets.token_urlsafe(8)",
        (TOKENS + "test_sec_34_token_is_a_sha256_of_a_high_entropy_secret_checked_in_one_lookup",),
    ),
    Mutant(
        34,
        "A disabled user's token keeps working.",
        "accounts/tokens.py",
        "            and token.user.is_active\n",
        "",
        (TOKENS + "test_sec_34_disabled_user_or_ended_membership_token_fails_at_once",),
    ),
    Mutant(
        34,
        "A token keeps working after its membership ended.",
        "accounts/tokens.py",
        "            and token.membership.active\n",
        "",
        (TOKENS + "test_sec_34_disabled_user_or_ended_membership_token_fails_at_once",),
    ),
]


def _with_keys(mutants: list[Mutant]) -> list[Mutant]:
    counts: dict[int, int] = {}
    keyed = []
    for m in mutants:
        counts[m.line] = counts.get(m.line, 0) + 1
        keyed.append(Mutant(**{**m.__dict__, "key": f"{m.line:02d}{'abcdefghijklmnopqrstuvwxyz'[counts[m.line] - 1]}"}))
    return keyed


MUTANTS = _with_keys(MUTANTS)


# --- the runner ----------------------------------------------------------------------------


@dataclass
class Outcome:
    mutant: Mutant
    result: str  # killed | SURVIVED | error
    failed: list[str]
    detail: str
    seconds: float


def project_files() -> list[str]:
    """Tracked files and new, not ignored ones, as they are in the working tree now."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    files = []
    for name in sorted(set(filter(None, listing.split("\0")))):
        if name.split("/", 1)[0] in EXCLUDED_DIRS:
            continue
        if (ROOT / name).is_file():  # deleted in the working tree: not part of the copy
            files.append(name)
    return files


def copy_project(target: Path) -> None:
    for name in project_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)


def stale_entries(mutants: list[Mutant], base: Path) -> list[str]:
    problems = []
    for m in mutants:
        path = base / m.path
        if not path.is_file():
            problems.append(f"{m.key}: {m.path} does not exist")
            continue
        found = path.read_text().count(m.old)
        if found != 1:
            problems.append(f"{m.key}: the old text occurs {found} times in {m.path} (must be exactly once)")
        if m.old == m.new:
            problems.append(f"{m.key}: old and new are the same")
        if not m.tests:
            problems.append(f"{m.key}: names no test")
    return problems


# --- databases -------------------------------------------------------------------------------
# pytest-django runs the tests in test_<name>. Building it from the migrations takes 15-45 s on
# a busy machine, so by default the runner migrates <name> once from the unmutated copy and
# clones test_<name> from it (CREATE DATABASE ... TEMPLATE, about a second) before every run,
# which pytest then reuses (--reuse-db): every mutant still starts on a fresh, fully migrated
# database. A mutant of a migration, and every run with --create-db-each, lets pytest build the
# database from the (mutated) migrations itself (--create-db).


def _database_names() -> tuple[str, str]:
    name = urlsplit(DATABASE_URL).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"unexpected database name {name!r}")
    if name in FORBIDDEN_DATABASES or f"test_{name}" in FORBIDDEN_DATABASES:
        raise SystemExit(f"refusing to use database {name!r}: it belongs to the portal or its test suite")
    return name, f"test_{name}"


def _admin_sql(*statements: str) -> None:
    import psycopg

    admin_url = DATABASE_URL.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def ensure_database() -> None:
    """createdb <name> when it is missing."""
    import psycopg

    name, _test = _database_names()
    admin_url = DATABASE_URL.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def build_template(workdir: Path) -> None:
    """Drop and re-create <name>, then migrate it with the unmutated code."""
    name, _test = _database_names()
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    env = {**_environment(worker=False), "DJANGO_SETTINGS_MODULE": "portal.settings.test", "PYTHONPATH": str(workdir)}
    process = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "migrate", "--noinput"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    if process.returncode != 0:
        raise SystemExit(f"migrating {name} failed:\n{_tail(process.stdout + process.stderr)}")


def fresh_test_database() -> None:
    name, test = _database_names()
    _admin_sql(f'DROP DATABASE IF EXISTS "{test}" WITH (FORCE)', f'CREATE DATABASE "{test}" TEMPLATE "{name}"')


def _needs_create_db(m: Mutant) -> bool:
    return "/migrations/" in m.path


def _environment(*, worker: bool) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "CACHE_URL",
            "EMAIL_URL",
            "DJANGO_SETTINGS_MODULE",
            "PORTAL_ENV",
            "DEBUG",
            "PYTEST_ADDOPTS",
        }
    }
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            # A test marked postgres/worker must run, never skip quietly.
            "PORTAL_REQUIRE_SERVICES": "1",
        }
    )
    if worker:
        env["CELERY_BROKER_URL"] = BROKER_URL
    return env


FAILED_LINE = re.compile(r"^FAILED (\S+)", re.M)
BROKEN = re.compile(r"SyntaxError|IndentationError|ERROR collecting|ImportError while|INTERNALERROR")


def run_tests(workdir: Path, tests: tuple[str, ...], *, worker: bool, create_db: bool) -> tuple[int, str, float]:
    started = time.monotonic()
    if create_db:
        database = ("--create-db",)
    else:
        fresh_test_database()
        database = ("--reuse-db",)
    try:
        process = subprocess.run(
            [str(PYTEST), *PYTEST_ARGS, *database, *PLUGINS_OFF, *tests],
            cwd=workdir,
            env={**_environment(worker=worker), "PYTHONPATH": str(workdir)},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
        code, output = process.returncode, process.stdout + process.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = -1, f"timed out after {TIMEOUT_SECONDS} s\n{exc.stdout or ''}"
    return code, output, time.monotonic() - started


def judge(code: int, output: str) -> tuple[str, list[str]]:
    failed = FAILED_LINE.findall(output)
    if code == 1 and failed and not BROKEN.search(output):
        return "killed", failed
    if code == 0:
        return "SURVIVED", []
    return "error", failed


def _tail(output: str, lines: int = 25) -> str:
    return "\n".join(output.rstrip().splitlines()[-lines:])


def run_mutant(workdir: Path, m: Mutant, *, create_db: bool) -> Outcome:
    path = workdir / m.path
    original, stat = path.read_text(), path.stat()
    assert original.count(m.old) == 1, f"{m.key}: stale entry"  # checked up front as well
    path.write_text(original.replace(m.old, m.new, 1))
    # A .pyc is valid for one (mtime in whole seconds, size): give the mutant an mtime of its
    # own and restore the original's, so neither version is ever run from the other's .pyc.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    try:
        code, output, seconds = run_tests(workdir, m.tests, worker=m.worker, create_db=create_db or _needs_create_db(m))
    finally:
        path.write_text(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result, failed = judge(code, output)
    detail = "" if result == "killed" else f"pytest exit code {code}\n{_tail(output)}"
    return Outcome(m, result, failed, detail, seconds)


def _short(node: str) -> str:
    return node.rsplit("::", 1)[-1]


def print_table(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        m = o.mutant
        shown = ", ".join(_short(t) for t in (o.failed or m.tests))
        print(f"{m.key:4} {o.result:8} {o.seconds:5.0f}s  {m.path}: {m.protection}")
        print(f"{'':20}{'failed' if o.failed else 'ran'}: {shown}")
        if o.detail:
            print("\n".join(" " * 20 + line for line in o.detail.splitlines()))


def markdown_table(outcomes: list[Outcome]) -> str:
    rows = [
        "| Line | Protection removed (file) | Test that failed | Result |",
        "|---|---|---|---|",
    ]
    for o in outcomes:
        m = o.mutant
        tests = "<br>".join(f"`{_short(t)}`" for t in (o.failed or m.tests))
        rows.append(f"| {m.line} ({m.key}) | {m.protection} (`{m.path}`) | {tests} | {o.result} |")
    return "\n".join(rows)


def select(only: list[str]) -> list[Mutant]:
    if not only:
        return list(MUTANTS)
    chosen = []
    for m in MUTANTS:
        for token in only:
            if (token.isdigit() and int(token) == m.line) or token.lower() == m.key:
                chosen.append(m)
                break
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=[], metavar="NN", help="line numbers (5) or entries (05b)")
    parser.add_argument("--markdown", action="store_true", help="print the results table as Markdown")
    parser.add_argument("--check", action="store_true", help="only check that every entry still applies")
    parser.add_argument(
        "--create-db-each",
        action="store_true",
        help="let pytest build the test database from the migrations for every mutant (slow)",
    )
    args = parser.parse_args(argv)

    mutants = select(args.only)
    if not mutants:
        print(f"no entry matches {args.only}", file=sys.stderr)
        return 2
    missing_lines = sorted(set(range(1, 35)) - {m.line for m in MUTANTS})
    if missing_lines:
        print(f"SECURITY.md lines without a mutant: {missing_lines}", file=sys.stderr)
        return 2

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="portal-mutants-") as tmp:
        workdir = Path(tmp) / "project"
        copy_project(workdir)
        stale = stale_entries(mutants, workdir)
        if stale:
            print("STALE entries (the code changed; update the table):", file=sys.stderr)
            print("\n".join("  " + s for s in stale), file=sys.stderr)
            return 2
        if args.check:
            print(f"{len(mutants)} entries apply cleanly")
            return 0

        ensure_database()
        nodes = tuple(dict.fromkeys(t for m in mutants for t in m.tests))
        print(f"baseline: {len(nodes)} tests on the unmutated copy ...", flush=True)
        # The baseline builds its database from the migrations, as every run of the suite does.
        code, output, seconds = run_tests(workdir, nodes, worker=any(m.worker for m in mutants), create_db=True)
        if code != 0:
            print(f"baseline FAILED (exit code {code}, {seconds:.0f} s): fix the suite first", file=sys.stderr)
            print(_tail(output, 40), file=sys.stderr)
            return 2
        print(f"baseline passed in {seconds:.0f} s", flush=True)
        if not args.create_db_each:
            build_template(workdir)

        outcomes = []
        for m in mutants:
            outcome = run_mutant(workdir, m, create_db=args.create_db_each)
            outcomes.append(outcome)
            print(f"  {m.key:4} {outcome.result:8} {outcome.seconds:5.0f}s  {m.protection}", flush=True)

    print()
    if args.markdown:
        print(markdown_table(outcomes))
    else:
        print_table(outcomes)
    bad = [o for o in outcomes if o.result != "killed"]
    total = time.monotonic() - started
    print(f"\n{len(outcomes) - len(bad)}/{len(outcomes)} killed, {len(bad)} not, in {total / 60:.1f} minutes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
