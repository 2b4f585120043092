"""Enumerate every URL pattern of the project and build a concrete path for each.

Parameters are filled with sample values per converter (or per regex group). A pattern whose
parameters cannot be filled raises, so a new kind of route cannot slip past the tests that
walk the resolver.
"""

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

SAMPLE_UUID = str(uuid.UUID("00000000-0000-4000-8000-000000000001"))
CONVERTER_SAMPLES = {"uuid": SAMPLE_UUID, "int": "1", "slug": "sample", "str": "sample", "path": "sample/path"}
REGEX_CANDIDATES = ["accounts", "partners", "sample", "1", SAMPLE_UUID, "sample/path", ""]


class UnfillableRoute(Exception):
    pass


@dataclass(frozen=True)
class Route:
    path: str
    view_name: str | None


def _fill_route(route: str) -> str:
    def sub(match: re.Match) -> str:
        converter = match.group(1) or "str"
        if converter not in CONVERTER_SAMPLES:
            raise UnfillableRoute(f"no sample for converter {converter!r} in {route!r}")
        return CONVERTER_SAMPLES[converter]

    return re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


def _fill_regex(regex: str) -> str:
    text = regex.lstrip("^").rstrip("$").replace("\\Z", "")

    def sub(match: re.Match) -> str:
        group = match.group(2)
        for candidate in REGEX_CANDIDATES:
            if re.fullmatch(group, candidate):
                return candidate
        raise UnfillableRoute(f"no sample matches group {match.group(1)!r} ({group!r}) in {regex!r}")

    filled = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", sub, text)
    filled = filled.replace("\\.", ".").replace("\\-", "-")
    filled = re.sub(r"\(\?:[^)]*\)\?", "", filled)
    if re.search(r"[\\()\[\]*+?{}|]", filled):
        raise UnfillableRoute(f"cannot build a path from {regex!r}")
    return filled


def _fill(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _fill_route(str(pattern))
    if isinstance(pattern, RegexPattern):
        return _fill_regex(pattern.regex.pattern)
    raise UnfillableRoute(f"unknown pattern type {type(pattern)!r}")


def all_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            part = prefix + _fill(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry, part)
            elif isinstance(entry, URLPattern):
                path = "/" + part
                match = resolve(path)  # raises Resolver404 if the sample did not produce a real route
                routes.append(Route(path=path, view_name=match.view_name))

    walk(get_resolver(), "")
    return routes
