"""Shared pieces of the REST API: pagination, error format, base view."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, pagination, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from audit.services import Result, audit_record


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination everywhere: stable under inserts, no COUNT over large tables."""

    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        """Strict: a page_size that is not a number from 1 to 500 is a 400, not silently ignored."""
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        if len(raw) > 1 or not raw[0].isdigit() or not 1 <= int(raw[0]) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw[0])

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


def exception_handler(exc, context):
    """Service refusals become JSON errors with a message per field, and are audited."""
    request = context.get("request")
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if request is not None and isinstance(exc, exceptions.ValidationError | exceptions.PermissionDenied):
        view = context.get("view")
        audit_record(
            action=f"api:{view.__class__.__name__ if view else request.path[:50]}",
            result=Result.DENIED if isinstance(exc, exceptions.PermissionDenied) else Result.FAILURE,
            request=request._request,
            durable=True,
            object_id=str((context.get("kwargs") or {}).get("uuid", "")),
        )
    return drf_exception_handler(exc, context)


ERROR_SCHEMA = {
    "type": "object",
    "description": "A message per field (or under non_field_errors / detail).",
    "additionalProperties": True,
}
_ERRORS = {
    "400": "Invalid input: a message per field.",
    "401": "No or invalid credentials.",
    "403": "Visible, but the caller may not do this (role or token scope).",
    "404": "No such object, or not visible to the caller.",
    "406": "The Accept header asks for something other than JSON.",
    "429": "Too many requests for this token; see Retry-After.",
}
# Only operations that take a body can be sent one of the wrong media type.
_BODY_ERRORS = {
    "413": "The body is larger than the route accepts (portal.middleware.RequestBodyLimitMiddleware).",
    "415": "The body is not JSON (or a form encoding the operation accepts).",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing: every operation documents the errors it can answer."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            errors = {**_ERRORS, **(_BODY_ERRORS if "requestBody" in operation else {})}
            for code, description in sorted(errors.items()):
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


class StrictCharField(serializers.CharField):
    """A text field that refuses numbers and booleans instead of turning them into text, and
    measures its length before trimming."""

    default_error_messages = {"not_text": "Must be text."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        # The schema's maxLength applies to what the client sent; DRF checks the length only
        # after trimming white space, which would accept a longer value than documented.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, but an empty filter value (``?kind=``) is a 400 like any other invalid
    value, instead of quietly meaning "no filter"."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            empty = sorted(
                name
                for name in filterset_class.base_filters
                if name in request.query_params and request.query_params.get(name) == ""
            )
            if empty:
                raise exceptions.ValidationError({name: ["Give a value or leave the filter out."] for name in empty})
        return super().filter_queryset(request, queryset, view)


def query_choice(request, name: str, choices: tuple[str, ...], default: str) -> str:
    """A raw query parameter that must be one of ``choices`` (absent: ``default``). Anything
    else is a 400, as the schema's enum says, rather than quietly meaning the default."""
    raw = request.query_params.getlist(name)
    if not raw:
        return default
    if len(raw) > 1 or raw[0] not in choices:
        raise exceptions.ValidationError({name: [_("One of: %(choices)s.") % {"choices": ", ".join(choices)}]})
    return raw[0]


ALL_PARAMETER = OpenApiParameter(
    "all",
    OpenApiTypes.STR,
    enum=["0", "1"],
    description="1: resolved ones too; 0 or absent: open ones only.",
)


def path_choice(name: str, choices: list[str], description: str = "") -> OpenApiParameter:
    """A word at the end of a path (an action or a decision): the schema lists the ones served."""
    return OpenApiParameter(
        name, OpenApiTypes.STR, location=OpenApiParameter.PATH, enum=choices, description=description
    )
