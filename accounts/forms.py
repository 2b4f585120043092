from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

GENERIC_LOGIN_ERROR = _(
    "Sign-in failed. Check your email address and password. After five failed attempts an "
    "account is locked until an admin of your organisation unlocks it."
)


class LoginForm(forms.Form):
    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OTPForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class EnrolConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from the app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SetPasswordForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise ValidationError({"password2": _("The two passwords differ.")})
        return data


class ReauthForm(forms.Form):
    """Changing a second factor asks for the password and a current code again."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("A current code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("The system that will use the token."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        choices=[("read", _("Read")), ("write", _("Write")), ("deconfliction", _("Deconfliction"))],
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=90, initial=30)
    membership = forms.ModelChoiceField(label=_("For"), queryset=None, to_field_name="uuid")

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = memberships
        self.fields["membership"].label_from_instance = lambda m: f"{m.user.full_name} — {m.organisation.short_code}"


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Your time zone"), choices=[])

    def __init__(self, *args, **kwargs):
        import zoneinfo

        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            (z, z)
            for z in sorted(zoneinfo.available_timezones())
            if "/" in z and not z.startswith(("Etc/", "SystemV/"))
        ]


class PasswordResetRequestForm(auth_forms.PasswordResetForm):
    """Django's reset form, for accounts that have a second factor only.

    An invitee who set a password but never confirmed an authenticator may resume enrolment with
    that password (accounts.selectors.first_enrolment_open); a reset by email would let whoever
    reads their mailbox choose the password and enrol their own device. Such an account asks its
    organisation admin for a new enrolment link instead. The page answers the same either way.
    """

    def get_users(self, email):
        from accounts.otp import user_has_confirmed_device

        return (user for user in super().get_users(email) if user_has_confirmed_device(user))
