from django.core.management.base import BaseCommand

from deconfliction.services import selectors_rekey


class Command(BaseCommand):
    help = (
        "Recompute selector digests with the current HMAC key and normalisers, re-encrypt raw values "
        "with the current field-encryption key, and raise or merge hits where digests now meet (run "
        "after rotating either key or raising a normaliser version). Values the current rules refuse "
        "are listed and keep their old digest; the run goes on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Selectors per transaction.")

    def handle(self, *args, **options):
        result = selectors_rekey(batch_size=options["batch_size"])
        # Selectors are named by id, kind and organisation, never by value: whoever runs this
        # may not read raw values.
        for problem in result.refused:
            self.stderr.write(
                f"refused: selector {problem.selector} ({problem.kind}, {problem.organisation}): the current "
                "rules refuse its stored value; it keeps its old digest"
            )
        for problem in result.unreadable:
            self.stderr.write(
                f"unreadable: selector {problem.selector} ({problem.kind}, {problem.organisation}): no "
                "configured FIELD_ENCRYPTION_KEYS entry decrypts it; left unchanged"
            )
        for uuid in result.deactivated:
            self.stdout.write(f"deactivated: selector {uuid}: its case holds the same identifier already")
        self.stdout.write(
            f"OK: {result.reencrypted} selectors re-encrypted, {result.rekeyed} digests changed, "
            f"{result.hits_raised} new hits, {result.hits_merged} hits merged, "
            f"{len(result.deactivated)} duplicates deactivated, {len(result.refused)} refused, "
            f"{len(result.unreadable)} unreadable"
        )
