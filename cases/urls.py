from django.urls import path

from cases.views import cases, sharing

app_name = "cases"

urlpatterns = [
    path("", cases.case_list_view, name="list"),
    path("new/", cases.case_create_view, name="create"),
    path("approvals/", sharing.approvals_view, name="approvals"),
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
]
