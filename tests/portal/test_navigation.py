"""The main navigation (portal.templatetags.portal_tags.main_nav): built once per role, operator
flag and language, it must still show each member exactly what their role may open."""

import re

import pytest
from django.urls import reverse

from partners.roles import Role
from tests.cases.conftest import client_for
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _nav(client, path="/") -> list[tuple[str, str]]:
    html = client.get(path).content.decode()
    nav = re.search(r'<nav aria-label="[^"]+"><ul class="nav">(.*?)</ul></nav>', html).group(1)
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', nav)


def test_each_role_sees_the_items_its_capabilities_open(make_member):
    police, ngo = OrganisationFactory(kind="police"), OrganisationFactory(kind="ngo")
    liaison = _nav(client_for(make_member(police, role=Role.LIAISON)))
    assert liaison == [
        (reverse("portal:home"), "Dashboard"),
        (reverse("cases:list"), "Cases"),
        (reverse("actionplan:dashboard"), "Action plan"),
        (reverse("deconfliction:desk"), "Deconfliction"),
        (reverse("cases:tasks"), "Tasks"),
        (reverse("cases:milestones"), "Milestones"),
        (reverse("cases:approvals"), "Approvals"),
    ]
    assert ("/cases/", "Cases") in liaison and ("/deconfliction/", "Deconfliction") in liaison
    worker = [label for _href, label in _nav(client_for(make_member(ngo, role=Role.NGO_CASEWORKER)))]
    assert worker == ["Dashboard", "Cases", "Action plan", "Deconfliction", "Tasks"]
    admin = [label for _href, label in _nav(client_for(make_member(police, role=Role.ORG_ADMIN)))]
    assert admin == ["Dashboard", "Cases", "Action plan", "RED cases", "Members"]


def test_the_platform_operator_also_gets_the_operator_pages(make_member):
    operator = make_member(OrganisationFactory(kind="police"), role=Role.ORG_ADMIN)
    operator.is_platform_operator = True
    operator.save(update_fields=["is_platform_operator"])
    labels = [label for _href, label in _nav(client_for(operator))]
    assert labels[-2:] == ["Organisations", "Volume flags"]


def test_the_navigation_follows_the_language(make_member):
    user = make_member(OrganisationFactory(kind="police"), role=Role.LIAISON)
    client = client_for(user)
    assert ("/cases/", "Cases") in _nav(client)
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    assert ("/cases/", "Zaken") in _nav(client)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert ("/cases/", "Cases") in _nav(client)
