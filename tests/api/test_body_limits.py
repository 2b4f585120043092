"""The largest batch the schema allows fits the request body limit; a larger body is a JSON
error, not Django's HTML page."""

import json

import pytest
from django.conf import settings
from django.test import Client

from cases.constants import TLP
from deconfliction.api.views import BatchSerializer, SelectorItemSerializer
from deconfliction.normalisers import SelectorKind
from deconfliction.services import MAX_BATCH
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

WIDEST = "\U0001f600"  # 4 bytes in UTF-8, one character to the schema's maxLength


def _largest_batch() -> bytes:
    """MAX_BATCH items at every maximum the schema documents, each character as wide as UTF-8
    gets, with json.dumps' default spacing."""
    fields = SelectorItemSerializer().fields
    item = {
        "kind": max(SelectorKind.values, key=len),
        **{name: WIDEST * fields[name].max_length for name in ("value", "qualifier", "note")},
    }
    reason = WIDEST * BatchSerializer().fields["reason"].max_length
    assert BatchSerializer().fields["items"].max_length == MAX_BATCH == 10_000
    return json.dumps({"reason": reason, "items": [item] * MAX_BATCH}, ensure_ascii=False).encode()


def test_the_largest_batch_the_schema_allows_is_accepted(world, new_case, token_for):
    body = _largest_batch()
    assert len(body) > 60_000_000  # Django's default limit is 2.5 MB
    assert len(body) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    case = new_case(TLP.GREEN)
    response = Client().post(
        f"/api/v1/cases/{case.uuid}/selectors/batch/",
        body,
        content_type="application/json",
        **bearer(token_for(world.liaison)),
    )
    # Read, validated and answered per item (no document number is made of emoji).
    assert response.status_code == 200
    results = response.json()
    assert len(results) == MAX_BATCH and {r["status"] for r in results} == {"invalid"}


def test_a_body_over_the_limit_is_a_json_413(world, new_case, token_for):
    case = new_case(TLP.GREEN)
    # The request-size guard refuses by Content-Length before reading, so the content does not matter.
    body = b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = Client().post(
        f"/api/v1/cases/{case.uuid}/selectors/batch/",
        body,
        content_type="application/json",
        **bearer(token_for(world.liaison)),
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert response.json()["detail"] == f"The request body is larger than {limit} bytes."


@pytest.mark.parametrize("url", ["/accounts/login/", "/api/v1/cases/", "/no/such/page/"])
def test_other_routes_refuse_a_large_body_before_reading_it(url):
    body = b" " * (settings.REQUEST_BODY_MAX + 1)
    response = Client().post(url, body, content_type="application/json")
    assert response.status_code == 413
    assert settings.REQUEST_BODY_MAX < 3_000_000 < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if url.startswith("/api/"):
        assert "larger than" in response.json()["detail"]


def test_a_body_within_the_usual_limit_passes_the_guard():
    response = Client().post("/accounts/login/", {"username": "x" * 1000, "password": "y"})
    assert response.status_code == 200  # the form answered (a failed sign-in), not the guard


def test_a_csv_import_over_the_usual_limit_reaches_its_form(world, new_case):
    """The import page takes files up to 5 MB; the guard lets them through to the form, which
    refuses only what is over 5 MB, with its own message."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from deconfliction.models import ImportJob
    from tests.cases.conftest import client_for

    case = new_case(TLP.GREEN)
    client = client_for(world.liaison)
    path = b"a" * 64
    rows = b"".join(b"url,https://example.org/%s/%d\n" % (path, i) for i in range(40_000))  # about 3.8 MB
    assert settings.REQUEST_BODY_MAX < len(rows) < 5 * 1024 * 1024
    upload = SimpleUploadedFile("seized.csv", rows, content_type="text/csv")
    response = client.post(f"/deconfliction/cases/{case.uuid}/import/", {"file": upload, "reason": "seized phone"})
    assert response.status_code == 302
    assert ImportJob.objects.filter(case=case).exists()
    # Over 5 MB but within the route's limit: the form refuses it with its own message.
    from deconfliction.services.imports import MAX_BYTES

    over = SimpleUploadedFile("over.csv", (rows * 2)[: MAX_BYTES + 1], content_type="text/csv")
    refused = client.post(f"/deconfliction/cases/{case.uuid}/import/", {"file": over, "reason": "x"})
    assert refused.status_code == 400 and "larger than 5 MB; split it" in refused.content.decode()
    # Far over it: the request-size guard answers before the body is read.
    too_big = SimpleUploadedFile("all.csv", rows * 2, content_type="text/csv")
    refused = client.post(f"/deconfliction/cases/{case.uuid}/import/", {"file": too_big, "reason": "x"})
    assert refused.status_code == 413
    assert ImportJob.objects.filter(case=case).count() == 1
