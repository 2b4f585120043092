from django.core.management.base import BaseCommand

from deconfliction.services import selectors_rekey


class Command(BaseCommand):
    help = (
        "Recompute selector digests with the current HMAC key and normalisers and re-encrypt raw values "
        "with the current field-encryption key (run after rotating either key or a normaliser)."
    )

    def handle(self, *args, **options):
        counts = selectors_rekey()
        self.stdout.write(f"OK: {counts['reencrypted']} selectors re-encrypted, {counts['rekeyed']} digests changed")
