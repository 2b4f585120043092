from django.urls import path

from deconfliction.views import hits, imports, operations, operator, selectors

app_name = "deconfliction"

urlpatterns = [
    path("", hits.desk_view, name="desk"),
    path("hits/<uuid:uuid>/", hits.hit_detail_view, name="hit"),
    path("hits/<uuid:uuid>/<slug:action>/", hits.hit_action_view, name="hit_action"),
    path("operations/", operations.operations_view, name="operations"),
    path("operations/<uuid:uuid>/cancel/", operations.operation_cancel_view, name="operation_cancel"),
    path("conflicts/<uuid:uuid>/resolve/", operations.conflict_resolve_view, name="conflict_resolve"),
    path("cases/<uuid:uuid>/import/", imports.import_create_view, name="import_create"),
    path("imports/<uuid:uuid>/", imports.import_view, name="import"),
    path("imports/<uuid:uuid>/progress/", imports.import_progress_view, name="import_progress"),
    path("cases/<uuid:uuid>/selectors/", selectors.case_selectors_view, name="case_selectors"),
    path(
        "cases/<uuid:uuid>/selectors/<uuid:selector_uuid>/<slug:action>/",
        selectors.selector_action_view,
        name="selector_action",
    ),
    path("volume-flags/", operator.volume_flags_view, name="volume_flags"),
]
