from django.core.management.base import BaseCommand

from accounts.services import totp_seeds_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every authenticator seed with the current field-encryption key (run after "
        "prepending a new key to FIELD_ENCRYPTION_KEYS, together with selectors_rekey)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"OK: {totp_seeds_reencrypt()} authenticator seeds re-encrypted")
