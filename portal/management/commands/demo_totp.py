from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import TOTPDevice
from accounts.otp import totp_code_now


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo user (development only)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("demo_totp refuses to run with PORTAL_ENV=production")
        device = TOTPDevice.objects.filter(user__email__iexact=email, confirmed=True).first()
        if device is None:
            raise CommandError(f"{email} has no authenticator device")
        self.stdout.write(totp_code_now(device))
