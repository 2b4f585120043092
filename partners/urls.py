from django.urls import path

from partners.views import members, operator, switcher

app_name = "partners"

urlpatterns = [
    path("switch/", switcher.switch_view, name="switch"),
    path("members/", members.member_list_view, name="members"),
    path("members/invite/", members.member_invite_view, name="member_invite"),
    path("members/service-accounts/", members.service_account_create_view, name="service_account_create"),
    path("members/<uuid:uuid>/<slug:action>/", members.member_action_view, name="member_action"),
    path("all/", operator.organisations_view, name="organisations"),
]
