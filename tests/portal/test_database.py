"""Database access choices the portal depends on."""

import pytest

from deconfliction.models import Selector
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_query_may_carry_more_than_65535_parameters():
    # Deleting a case or an organisation collects its rows' ids into one IN list. With
    # server-side parameter binding (psycopg prepared statements) PostgreSQL refuses more than
    # 65,535 parameters; the portal binds on the client so large deletes keep working.
    assert Selector.objects.filter(pk__in=range(70_000)).count() == 0


def test_any_lookup_matches_like_in():
    users = [UserFactory() for _ in range(3)]
    wanted = [users[0].email, users[2].email, "nobody@example.org"]
    from accounts.models import User

    assert set(User.objects.filter(email__any=wanted)) == set(User.objects.filter(email__in=wanted))
    assert set(User.objects.exclude(pk__any=[users[1].pk])) == set(User.objects.exclude(pk__in=[users[1].pk]))
    # A subquery still works (it falls back to IN (SELECT ...)).
    assert set(User.objects.filter(pk__any=User.objects.filter(pk=users[1].pk).values("pk"))) == {users[1]}
