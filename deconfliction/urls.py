from django.urls import path

from deconfliction.views import hits, selectors

app_name = "deconfliction"

urlpatterns = [
    path("", hits.desk_view, name="desk"),
    path("hits/<uuid:uuid>/", hits.hit_detail_view, name="hit"),
    path("hits/<uuid:uuid>/<slug:action>/", hits.hit_action_view, name="hit_action"),
    path("cases/<uuid:uuid>/selectors/", selectors.case_selectors_view, name="case_selectors"),
    path(
        "cases/<uuid:uuid>/selectors/<uuid:selector_uuid>/<slug:action>/",
        selectors.selector_action_view,
        name="selector_action",
    ),
]
