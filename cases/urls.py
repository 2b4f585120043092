from django.urls import path

from cases.views import cases, milestones, red, sharing, tasks

app_name = "cases"

urlpatterns = [
    path("", cases.case_list_view, name="list"),
    path("new/", cases.case_create_view, name="create"),
    path("export.csv", cases.case_export_view, name="export"),
    path("approvals/", sharing.approvals_view, name="approvals"),
    path("milestones/", milestones.upcoming_milestones_view, name="milestones"),
    path("calendar/", milestones.calendar_settings_view, name="calendar"),
    path("tasks/", tasks.task_inbox_view, name="tasks"),
    path("red/", red.red_cases_view, name="red"),
    path("<uuid:uuid>/", cases.case_detail_view, name="detail"),
    path("<uuid:uuid>/edit/", cases.case_edit_view, name="edit"),
    path("<uuid:uuid>/tlp/", cases.case_tlp_view, name="tlp"),
    path("<uuid:uuid>/notes/", cases.case_note_view, name="note_add"),
    path("<uuid:uuid>/share/", sharing.case_share_view, name="share"),
    path("<uuid:uuid>/shares/<uuid:share_uuid>/<slug:decision>/", sharing.share_decide_view, name="share_decide"),
    path("<uuid:uuid>/handover/", sharing.handover_propose_view, name="handover_propose"),
    path(
        "<uuid:uuid>/handover/<uuid:handover_uuid>/<slug:decision>/",
        sharing.handover_decide_view,
        name="handover_decide",
    ),
    path("<uuid:uuid>/milestones/apply/", milestones.milestone_apply_view, name="milestone_apply"),
    path("<uuid:uuid>/milestones/", milestones.milestone_add_view, name="milestone_add"),
    path("<uuid:uuid>/milestones/<uuid:milestone_uuid>/", milestones.milestone_update_view, name="milestone_update"),
    path("<uuid:uuid>/tasks/", tasks.task_create_view, name="task_create"),
    path("<uuid:uuid>/tasks/<uuid:task_uuid>/status/", tasks.task_status_view, name="task_status"),
]
