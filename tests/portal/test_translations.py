import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def _entries(text: str):
    for block in text.split("\n\n")[1:]:
        if "msgid" in block and not block.lstrip().startswith("#~"):
            yield block


def test_dutch_catalogue_is_complete():
    text = PO.read_text()
    assert "#, fuzzy" not in text
    empty = [
        b
        for b in _entries(text)
        if re.search(r'msgstr(\[\d\])? ""\s*$', b) or re.search(r'msgstr(\[\d\])? ""\n(?!")', b)
    ]
    assert empty == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_compiled_catalogue_matches_source(tmp_path):
    out = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(out), str(PO)], check=True)
    assert out.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run `make messages` and commit django.mo"


@pytest.mark.django_db
def test_login_page_in_dutch():
    html = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'lang="nl"' in html
    with translation.override("nl"):
        assert translation.gettext("Sign in") in html
        assert translation.gettext("Sign in") != "Sign in"
