import pytest

from accounts.tokens import api_token_create
from partners.models import Membership
from tests.cases.conftest import new_case, shared_case, world  # noqa: F401 - shared personas


@pytest.fixture
def token_for():
    def _token(user, scopes=("read", "write", "deconfliction"), days=30, organisation=None):
        membership = Membership.objects.select_related("organisation").get(
            user=user, active=True, **({"organisation": organisation} if organisation else {})
        )
        _token_obj, secret = api_token_create(
            by=user, membership=membership, name="test system", scopes=list(scopes), days=days
        )
        return secret

    return _token


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
