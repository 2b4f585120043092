from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit hash chains; print OK or the first broken link of each broken chain."

    def handle(self, *args, **options):
        problems = audit_chain_verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"audit chain BROKEN ({len(problems)} chain(s))")
        self.stdout.write(f"OK: {AuditEvent.objects.count()} events verified")
