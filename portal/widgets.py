"""Form widgets rendered in Python.

Django renders a Select through a template per option (and the attributes through another):
on the case list, whose filter form is on screen with every page of results, that was a
measurable part of the page (issue 10's benchmark). These render the same HTML with
``format_html``, which escapes every value.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class PlainSelect(forms.Select):
    """A single-choice select with flat choices (no option groups)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((choice, " selected" if str(choice) == chosen else "", label) for choice, label in self.choices),
        )
        return format_html(
            "<select{}>{}</select>", flatatt(self.build_attrs(self.attrs, attrs) | {"name": name}), options
        )
