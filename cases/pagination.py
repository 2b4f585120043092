from portal.api import CursorPagination


class OpenedAtCursorPagination(CursorPagination):
    """Newest cases first, like the case list page."""

    ordering = "-opened_at"
