"""SECURITY.md lines 22-24: browser protections."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import login_verified
from tests.security.test_sessions import PRODUCTION_ENV, production_settings

pytestmark = pytest.mark.django_db


def _assert_strict_csp(response):
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert "'unsafe-inline'" not in directives.get("script-src", directives.get("default-src"))
    assert "'unsafe-eval'" not in directives.get("script-src", [])
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_sec_22_csp_on_every_html_response(member, org_admin):
    pages = [(Client(), "/accounts/login/"), (Client(), "/accounts/password-reset/"), (Client(), "/accounts/invite/x/")]
    pages += [(login_verified(Client(), member), p) for p in ("/", "/accounts/security/", "/no-such-page/")]
    pages += [(login_verified(Client(), org_admin), "/organisation/members/")]
    for client, path in pages:
        response = client.get(path)
        assert response["Content-Type"].startswith("text/html"), path
        _assert_strict_csp(response)


def test_sec_22_templates_have_no_inline_script():
    for template in Path(settings.BASE_DIR).glob("*/templates/**/*.html"):
        html = template.read_text()
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
            assert "src=" in match.group(1) and match.group(2).strip() == "", template
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler in {template}"


def test_sec_23_post_without_csrf_token_rejected(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": member.email, "password": "x"})
    assert response.status_code == 403
    # A view without its own @csrf_protect: only the middleware stands in the way.
    verified = login_verified(Client(enforce_csrf_checks=True), member)
    response = verified.post("/accounts/security/", {"action": "time_zone", "time_zone": "UTC"})
    assert response.status_code == 403


def test_sec_23_no_asset_from_another_origin(member):
    html = login_verified(Client(), member).get("/").content.decode()
    html += Client().get("/accounts/login/").content.decode()
    for attr in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"^(https?:)?//", attr), attr
    for template in Path(settings.BASE_DIR).glob("*/templates/**/*.html"):
        assert not re.search(r'(?:src|href)="(?:https?:)?//', template.read_text()), template
    for css in Path(settings.BASE_DIR).glob("*/static/**/*.css"):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css.read_text()), css


def test_sec_24_check_deploy_passes_with_production_settings():
    env = {**PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sec_24_production_refuses_default_secrets():
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "SELECTOR_HMAC_KEYS"):
        missing = production_settings("print('started')", **{name: ""})
        assert missing.returncode != 0 and f"{name} must be set" in missing.stderr, name
    from portal.settings import base

    for name, default in (
        ("SECRET_KEY", base.DEV_SECRET_KEY),
        ("FIELD_ENCRYPTION_KEYS", base.DEV_FIELD_ENCRYPTION_KEY),
        ("SELECTOR_HMAC_KEYS", base.DEV_SELECTOR_HMAC_KEY),
    ):
        known = production_settings("print('started')", **{name: default})
        assert known.returncode != 0 and f"{name} is a known default" in known.stderr, name
    ok = production_settings("print('started')")
    assert ok.returncode == 0 and "started" in ok.stdout, ok.stderr
