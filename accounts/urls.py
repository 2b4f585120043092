from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts.forms import PasswordResetRequestForm
from accounts.views import auth, enrol, invitations, security, tokens

app_name = "accounts"

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("verify/", auth.otp_verify_view, name="otp_verify"),
    path("logout/", auth.logout_view, name="logout"),
    path("enrol/", enrol.enrol_view, name="enrol"),
    path("enrol/qr.svg", enrol.enrol_qr_view, name="enrol_qr"),
    path("backup-codes/", enrol.backup_codes_view, name="backup_codes"),
    path("security/", security.security_view, name="security"),
    path("tokens/", tokens.tokens_view, name="tokens"),
    path("tokens/<uuid:uuid>/revoke/", tokens.token_revoke_view, name="token_revoke"),
    path("invite/<str:token>/", invitations.invitation_accept_view, name="invitation_accept"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetRequestForm,
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
