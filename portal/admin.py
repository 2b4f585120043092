"""The Django admin, behind the second factor, for the platform operator's housekeeping.

It deliberately registers no case data, selectors, hits or audit events: those are reached
only through the portal's own pages, which apply the access rules and write audit events.
"""

from django.contrib import admin
from django_otp.admin import OTPAdminSite

from accounts.models import User
from audit.services import audit_record
from partners.models import Membership, Organisation


class PortalAdminSite(OTPAdminSite):
    site_header = "Case Coordination Portal administration"
    site_title = "Portal admin"


admin_site = PortalAdminSite(name="admin")


class AuditedAdmin(admin.ModelAdmin):
    """Every change made in the admin site is a privileged action: it is audited."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="admin.change" if change else "admin.add",
            request=request,
            obj=obj,
            details={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj):
        audit_record(action="admin.delete", request=request, obj=obj)
        super().delete_model(request, obj)


@admin.register(User, site=admin_site)
class UserAdmin(AuditedAdmin):
    list_display = ["email", "full_name", "is_active", "is_platform_operator", "is_service_account", "locked_at"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_platform_operator", "is_service_account"]
    fields = ["email", "full_name", "is_active", "is_staff", "is_platform_operator", "is_service_account", "locked_at"]
    readonly_fields = ["locked_at"]


@admin.register(Organisation, site=admin_site)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "short_code", "kind", "country", "active"]
    list_filter = ["kind", "country", "active"]
    search_fields = ["name", "short_code"]
    exclude = ["group"]

    def has_add_permission(self, request):
        # Organisations are created through partners.services (which makes the group too).
        return False


@admin.register(Membership, site=admin_site)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "organisation", "role", "active"]
    list_filter = ["role", "active"]
    readonly_fields = ["user", "organisation", "role", "active", "ended_at"]

    def has_add_permission(self, request):
        return False
