"""The base layout's main navigation, rendered in Python once per role and language.

Every page carries it, and as template markup it cost a dozen ``{% url %}`` reversals, as many
translations and an ``{% if %}`` per item on every request (issue 10's benchmark). What it
shows depends only on the member's capabilities, whether the user is the platform operator,
the language and the URL prefix, so it is built once per combination of those.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

register = template.Library()

# (capability or None for everyone, URL name, label); the operator's items follow. Labels are
# translated when a language's navigation is first built.
_ITEMS = (
    (None, "portal:home", gettext_noop("Dashboard")),
    ("view_cases", "cases:list", gettext_noop("Cases")),
    ("view_actionplan", "actionplan:dashboard", gettext_noop("Action plan")),
    ("handle_hits", "deconfliction:desk", gettext_noop("Deconfliction")),
    ("handle_tasks", "cases:tasks", gettext_noop("Tasks")),
    ("manage_milestones", "cases:milestones", gettext_noop("Milestones")),
    ("share_case", "cases:approvals", gettext_noop("Approvals")),
    ("name_red_colleagues", "cases:red", gettext_noop("RED cases")),
    ("manage_members", "partners:members", gettext_noop("Members")),
)
_OPERATOR_ITEMS = (
    ("partners:organisations", gettext_noop("Organisations")),
    ("deconfliction:volume_flags", gettext_noop("Volume flags")),
)


@lru_cache(maxsize=256)
def _nav(capabilities: frozenset, operator: bool, language: str | None, prefix: str) -> SafeString:
    items = [(reverse(name), _(label)) for needs, name, label in _ITEMS if needs is None or needs in capabilities]
    if operator:
        items += [(reverse(name), _(label)) for name, label in _OPERATOR_ITEMS]
    return format_html(
        '<nav aria-label="{}"><ul class="nav">{}</ul></nav>',
        _("Main"),
        format_html_join("", '<li><a href="{}">{}</a></li>', items),
    )


@register.simple_tag
def main_nav(capabilities, operator) -> SafeString:
    return _nav(frozenset(capabilities), bool(operator), get_language(), get_script_prefix())
