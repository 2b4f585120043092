"""/api/v1/: the REST API, its OpenAPI schema and self-hosted interactive documentation."""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from actionplan.api import views as actionplan
from cases.api import views as cases
from deconfliction.api import views as deconfliction
from partners.api import views as partners

app_name = "api"

# Swagger UI sets inline styles; scripts stay 'self' only (the split view has no inline script).
docs_view = csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_view, name="docs"),
    path("organisations/", partners.OrganisationListView.as_view(), name="organisations"),
    path("organisations/<uuid:uuid>/", partners.OrganisationDetailView.as_view(), name="organisation"),
    path("cases/", cases.CaseListView.as_view(), name="cases"),
    path("cases/<uuid:uuid>/", cases.CaseDetailView.as_view(), name="case"),
    path("cases/<uuid:uuid>/shares/", cases.ShareListView.as_view(), name="shares"),
    path(
        "cases/<uuid:uuid>/shares/<uuid:share_uuid>/<slug:action>/",
        cases.ShareActionView.as_view(),
        name="share_action",
    ),
    path("cases/<uuid:uuid>/handover/", cases.HandoverView.as_view(), name="handover"),
    path(
        "cases/<uuid:uuid>/handover/<uuid:handover_uuid>/<slug:decision>/",
        cases.HandoverDecisionView.as_view(),
        name="handover_decide",
    ),
    path("cases/<uuid:uuid>/milestones/", cases.MilestoneListView.as_view(), name="milestones"),
    path("cases/<uuid:uuid>/milestones/apply-standard/", cases.MilestoneApplyView.as_view(), name="milestones_apply"),
    path("cases/<uuid:uuid>/milestones/<uuid:milestone_uuid>/", cases.MilestoneDetailView.as_view(), name="milestone"),
    path("cases/<uuid:uuid>/tasks/", cases.TaskListView.as_view(), name="tasks"),
    path("cases/<uuid:uuid>/tasks/<uuid:task_uuid>/status/", cases.TaskStatusView.as_view(), name="task_status"),
    path("cases/<uuid:uuid>/notes/", cases.NoteListView.as_view(), name="notes"),
    path("cases/<uuid:uuid>/selectors/", deconfliction.CaseSelectorsView.as_view(), name="selectors"),
    path("cases/<uuid:uuid>/selectors/batch/", deconfliction.CaseSelectorBatchView.as_view(), name="selectors_batch"),
    path(
        "cases/<uuid:uuid>/selectors/<uuid:selector_uuid>/<slug:action>/",
        deconfliction.SelectorActionView.as_view(),
        name="selector_action",
    ),
    path("cases/<uuid:uuid>/people/", cases.CasePeopleView.as_view(), name="case_people"),
    path("milestones/", cases.UpcomingMilestoneListView.as_view(), name="upcoming_milestones"),
    path("tasks/", cases.TaskInboxView.as_view(), name="task_inbox"),
    path("approvals/", cases.ApprovalListView.as_view(), name="approvals"),
    path("hits/", deconfliction.HitListView.as_view(), name="hits"),
    path("hits/<uuid:uuid>/", deconfliction.HitDetailView.as_view(), name="hit"),
    path("hits/<uuid:uuid>/<slug:action>/", deconfliction.HitActionView.as_view(), name="hit_action"),
    path("operations/", deconfliction.OperationListView.as_view(), name="operations"),
    path("operations/<uuid:uuid>/cancel/", deconfliction.OperationCancelView.as_view(), name="operation_cancel"),
    path("conflicts/", deconfliction.ConflictListView.as_view(), name="conflicts"),
    path("conflicts/<uuid:uuid>/resolve/", deconfliction.ConflictResolveView.as_view(), name="conflict_resolve"),
    path("actionplan/measures/", actionplan.MeasureListView.as_view(), name="measures"),
    path("actionplan/measures/<uuid:uuid>/updates/", actionplan.MeasureUpdateView.as_view(), name="measure_update"),
    path("actionplan/indicators/", actionplan.IndicatorListView.as_view(), name="indicators"),
    path("actionplan/indicators/<uuid:uuid>/", actionplan.IndicatorDetailView.as_view(), name="indicator"),
]
