from base64 import b32encode

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import TOTPDevice, User
from accounts.otp import backup_codes_replace, totp_config_url, totp_device_create
from partners.models import Membership, Organisation
from partners.services import membership_create, organisation_create
from portal import demo
from portal.demo_actionplan import seed_actionplan
from portal.demo_cases import seed_cases, seed_deconfliction


class Command(BaseCommand):
    help = "Load the demo organisations and users (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo refuses to run with PORTAL_ENV=production")
        # The demo's own share and task notices would flood the console: drop them.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
            created = self._organisations() + self._people()
            created += seed_cases()
            created += seed_deconfliction()
            created += seed_actionplan()
        self.stdout.write(f"Demo data: {created} object(s) created, everything else already present.")
        if not options["quiet"]:
            self._print_logins()

    def _organisations(self) -> int:
        created = 0
        for code, name, kind, country, desk, phone, email in demo.ORGANISATIONS:
            if Organisation.objects.filter(short_code=code).exists():
                continue
            Group.objects.filter(name=f"org:{code}").delete()
            organisation_create(
                name=name,
                short_code=code,
                kind=kind,
                country=country,
                desk_name=desk,
                desk_phone=phone,
                desk_email=email,
            )
            created += 1
        return created

    def _people(self) -> int:
        created = 0
        for email, name, memberships, operator in demo.PEOPLE:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email,
                    password=demo.DEMO_PASSWORD,
                    full_name=name,
                    is_platform_operator=operator,
                    is_staff=operator,
                )
                created += 1
            if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                device = totp_device_create(user=user, key=demo.demo_totp_key(email))
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                backup_codes_replace(user=user, codes=demo.demo_backup_codes(email))
                created += 1
            for code, role in memberships:
                organisation = Organisation.objects.get(short_code=code)
                if not Membership.objects.filter(user=user, organisation=organisation, active=True).exists():
                    membership_create(user=user, organisation=organisation, role=role)
                    created += 1
        return created

    def _print_logins(self) -> None:
        out = self.stdout
        out.write("")
        out.write("=" * 78)
        out.write("DEMO LOGINS  (open http://127.0.0.1:8000/)")
        out.write(f"Password for every demo user: {demo.DEMO_PASSWORD}")
        out.write("Second factor: add the TOTP secret (or the otpauth URI) to an authenticator app,")
        out.write("or print a current code with:  .venv/bin/python manage.py demo_totp EMAIL")
        out.write("Backup codes work once each.")
        out.write("=" * 78)
        for email, name, memberships, _operator in demo.PEOPLE:
            user = User.objects.get(email__iexact=email)
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            roles = ", ".join(f"{role} @ {code}" for code, role in memberships) or "platform operator"
            out.write(f"\n{email}  ({name}; {roles})")
            out.write(f"  TOTP secret : {b32encode(demo.demo_totp_key(email)).decode().rstrip('=')}")
            if device is not None:
                out.write(f"  otpauth URI : {totp_config_url(device)}")
            out.write(f"  backup codes: {' '.join(demo.demo_backup_codes(email)[:3])} ...")
        out.write("")
