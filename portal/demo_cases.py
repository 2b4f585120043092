"""Demo cases, shares, milestones, tasks and notes, created through the real services so every
grant, timeline entry and audit event is exactly what the portal itself would write."""

from datetime import timedelta

from django.utils import timezone

from cases.constants import TLP, AccessLevel, CaseStatus, CrimeType, LegalBasis
from cases.models import Case, CaseShare, MilestoneKind, Task
from cases.selectors import CaseAccess, case_access_for
from cases.services import (
    case_create,
    case_note_add,
    case_share,
    case_share_decide,
    case_update,
    milestone_set_apply,
    milestone_update,
    task_create,
    task_set_status,
)
from partners.models import Membership, Organisation

# title, creator, crime type, TLP, countries, days ago opened
CASES = [
    ("Operation Lighthouse", "liaison@tbkk.politie.example", CrimeType.LIVE_STREAMING, TLP.AMBER, "NL PH", 120),
    ("Operation Kingfisher", "investigator@ams.politie.example", CrimeType.DISTRIBUTION, TLP.AMBER_STRICT, "NL", 60),
    ("Operation Heron", "liaison@tbkk.politie.example", CrimeType.SEXTORTION, TLP.GREEN, "NL BE DE", 45),
    ("Operation Nightjar", "liaison@tbkk.politie.example", CrimeType.CHILD_SEX_TOURISM, TLP.RED, "NL TH", 30),
    ("Operation Osprey", "investigator@obr.politie.example", CrimeType.GROOMING, TLP.AMBER, "NL", 20),
    ("Operation Curlew", "liaison@tbkk.politie.example", CrimeType.PRODUCTION, TLP.AMBER, "NL DE", 400),
    ("Operation Avocet", "prosecutor@lp.om.example", CrimeType.DISTRIBUTION, TLP.GREEN, "NL", 10),
]


def _access(email: str, case: Case, org_code: str | None = None) -> CaseAccess:
    memberships = Membership.objects.select_related("organisation", "user").filter(user__email=email, active=True)
    membership = memberships.get(organisation__short_code=org_code) if org_code else memberships.first()
    return case_access_for(membership=membership, case=case)


def _org(code: str) -> Organisation:
    return Organisation.objects.get(short_code=code)


def _member(email: str, org_code: str) -> Membership:
    return Membership.objects.get(user__email=email, organisation__short_code=org_code, active=True)


def seed_cases() -> int:
    """Create the demo cases once; a second run finds them and changes nothing."""
    if Case.objects.filter(title__in=[c[0] for c in CASES]).exists():
        return 0
    made = {}
    for title, email, crime, tlp, countries, days in CASES:
        membership = Membership.objects.select_related("organisation").filter(user__email=email, active=True).first()
        made[title] = case_create(
            membership=membership,
            title=title,
            crime_type=crime,
            tlp=tlp,
            countries=countries,
            summary=f"Demo case. {CrimeType(crime).label}; coordination metadata only.",
            opened_at=timezone.now() - timedelta(days=days),
        )
    lighthouse, heron, nightjar = made["Operation Lighthouse"], made["Operation Heron"], made["Operation Nightjar"]
    tbkk = "liaison@tbkk.politie.example"

    # Lighthouse: prosecution, Europol (approved by a second liaison), the Philippines (waiting).
    case_share(
        access=_access(tbkk, lighthouse),
        organisation=_org("nl-om-lp"),
        level=AccessLevel.CONTRIBUTE,
        reason="Prosecution of the Dutch customers",
    )
    europol = case_share(
        access=_access(tbkk, lighthouse),
        organisation=_org("eu-europol-ec3"),
        level=AccessLevel.VIEW,
        reason="Cross-match with other member states",
        legal_basis=LegalBasis.EUROPOL_REGULATION,
    )
    case_share_decide(access=_access("liaison2@tbkk.politie.example", lighthouse), share=europol, approve=True)
    case_share(
        access=_access(tbkk, lighthouse),
        organisation=_org("ph-pnp-wcpc"),
        level=AccessLevel.CONTRIBUTE,
        reason="Facilitators and victims are in the Philippines",
        legal_basis=LegalBasis.MLA,
    )
    case_share(
        access=_access(tbkk, lighthouse),
        organisation=_org("nl-hotline"),
        level=AccessLevel.CONTRIBUTE,
        reason="Hotline checks reported payment references",
    )
    milestone_set_apply(access=_access("prosecutor@lp.om.example", lighthouse))
    for kind in (MilestoneKind.REPORT_RECEIVED, MilestoneKind.INVESTIGATION_OPENED):
        milestone = lighthouse.milestones.get(kind=kind)
        milestone_update(
            access=_access("prosecutor@lp.om.example", lighthouse),
            milestone=milestone,
            due_date=milestone.due_date,
            done_date=timezone.localdate(),
        )
    task = task_create(
        access=_access(tbkk, lighthouse),
        title="Check payment references against hotline reports",
        assigned_organisation=_org("nl-hotline"),
        priority=Task.Priority.HIGH,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    task_set_status(access=_access("caseworker@hotline.example", lighthouse), task=task, status=Task.Status.ACCEPTED)
    task_create(
        access=_access("prosecutor@lp.om.example", lighthouse),
        title="Draft the MLA request to the Philippines",
        assigned_organisation=_org("nl-police-tbkk"),
        due_date=timezone.localdate() - timedelta(days=2),
    )
    case_note_add(
        access=_access(tbkk, lighthouse),
        body="Europol EC3 confirmed two matching payment references "
        "in other member states. Coordination call on Thursday.",
    )

    # Heron: GREEN, shared with a regional unit and the hotline.
    case_share(
        access=_access(tbkk, heron),
        organisation=_org("nl-police-obr"),
        level=AccessLevel.CHANGE,
        reason="Suspect lives in East Brabant",
    )
    case_share(
        access=_access(tbkk, heron),
        organisation=_org("nl-childrights"),
        level=AccessLevel.VIEW,
        reason="Victim support",
    )
    milestone_set_apply(access=_access(tbkk, heron))
    obr = "investigator@obr.politie.example"
    subscriber = task_create(
        access=_access(tbkk, heron),
        title="Request subscriber data for the extorting account",
        assigned_organisation=_org("nl-police-obr"),
        priority=Task.Priority.URGENT,
        due_date=timezone.localdate() + timedelta(days=2),
    )
    task_set_status(access=_access(obr, heron), task=subscriber, status=Task.Status.IN_PROGRESS)
    support = task_create(
        access=_access(tbkk, heron),
        title="Offer the sextortion helpline's support route to the reporting family",
        assigned_organisation=_org("nl-childrights"),
        due_date=timezone.localdate() + timedelta(days=5),
    )
    task_set_status(
        access=_access("caseworker@childrights.example", heron),
        task=support,
        status=Task.Status.DECLINED,
        reason="The family is already in contact with the helpline through school.",
    )
    case_note_add(
        access=_access(obr, heron),
        body="Provider answered the preservation request; data expected within 10 working days.",
    )
    case_note_add(
        access=_access(tbkk, heron),
        body="Two more reports with the same payment demand came in through the hotline this week.",
    )

    # Osprey: a regional grooming case; the unit plans its own steps.
    osprey = made["Operation Osprey"]
    milestone_set_apply(access=_access(obr, osprey))
    internal = task_create(
        access=_access(obr, osprey),
        title="Prepare the interview plan",
        assigned_organisation=_org("nl-police-obr"),
        due_date=timezone.localdate() + timedelta(days=10),
    )
    for status in (Task.Status.ACCEPTED, Task.Status.BLOCKED):
        task_set_status(access=_access(obr, osprey), task=internal, status=status)
    case_note_add(access=_access(obr, osprey), body="Waiting for the platform's answer before the interview.")

    # Avocet: the prosecution service leads and asks the national team for help.
    avocet = made["Operation Avocet"]
    case_share(
        access=_access("prosecutor@lp.om.example", avocet),
        organisation=_org("nl-police-tbkk"),
        level=AccessLevel.CONTRIBUTE,
        reason="Forensic triage by the national team",
    )
    triage = task_create(
        access=_access("prosecutor@lp.om.example", avocet),
        title="Triage the seized devices for known hashes",
        assigned_organisation=_org("nl-police-tbkk"),
        priority=Task.Priority.HIGH,
        due_date=timezone.localdate() + timedelta(days=14),
    )
    task_set_status(access=_access(tbkk, avocet), task=triage, status=Task.Status.ACCEPTED)

    # Nightjar: RED, named people only.
    case_share(
        access=_access(tbkk, nightjar),
        membership=_member("prosecutor@lp.om.example", "nl-om-lp"),
        level=AccessLevel.CONTRIBUTE,
        reason="Named prosecutor for the travel ban request",
    )

    # Curlew: closed last year, shared with the Rotterdam district.
    curlew = made["Operation Curlew"]
    case_share(
        access=_access(tbkk, curlew),
        organisation=_org("nl-om-rtm"),
        level=AccessLevel.CONTRIBUTE,
        reason="Trial in Rotterdam",
    )
    verdict_task = task_create(
        access=_access(tbkk, curlew),
        title="Send the verdict date for the case file",
        assigned_organisation=_org("nl-om-rtm"),
    )
    for status in (Task.Status.ACCEPTED, Task.Status.DONE):
        task_set_status(access=_access("prosecutor@rtm.om.example", curlew), task=verdict_task, status=status)
    case_note_add(
        access=_access("prosecutor@rtm.om.example", curlew),
        body="Verdict given; no appeal lodged within the term. The case can be closed.",
    )
    case_update(
        access=_access(tbkk, curlew),
        status=CaseStatus.CLOSED,
        victims_identified=3,
        victims_safeguarded=3,
        suspects_identified=1,
        suspects_arrested=1,
    )
    return len(made) + CaseShare.objects.filter(is_lead=False).count()


def seed_deconfliction() -> int:
    """Selectors written differently by different organisations, so the demo shows hits, and two
    operations that collide. Created once."""
    from deconfliction.models import Operation, Selector
    from deconfliction.services import SelectorItem, operation_plan, selectors_register_batch

    if Selector.objects.exists():
        return 0
    tbkk = "liaison@tbkk.politie.example"
    lighthouse = Case.objects.get(title="Operation Lighthouse")
    heron = Case.objects.get(title="Operation Heron")
    osprey = Case.objects.get(title="Operation Osprey")
    selectors_register_batch(
        access=_access(tbkk, lighthouse),
        reason="Facilitator's numbers and payment trail",
        items=[
            SelectorItem(kind="phone", value="+63 917 123 4567", note="facilitator, WhatsApp"),
            SelectorItem(kind="email", value="Payments.Handler@Example.org"),
            SelectorItem(kind="wallet", value="0x52908400098527886E0F7030069857D2E4169EE7", note="payments"),
        ],
    )
    selectors_register_batch(
        access=_access(tbkk, heron),
        reason="Victims were contacted from this number",
        items=[SelectorItem(kind="phone", value="0031623456789")],
    )
    selectors_register_batch(
        access=_access("investigator@obr.politie.example", osprey),
        reason="Suspect's phone",
        items=[
            SelectorItem(kind="phone", value="+31 (0)6 2345 6789"),
            SelectorItem(kind="handle", value="snapchat:@Osprey_Kid"),
        ],
    )
    wcpc = Membership.objects.select_related("organisation").get(user__email="liaison@wcpc.pnp.example")
    sampaguita = case_create(
        membership=wcpc,
        title="Operation Sampaguita",
        crime_type=CrimeType.LIVE_STREAMING,
        tlp=TLP.AMBER,
        countries="PH NL",
        summary="Demo case of the Philippine police.",
        opened_at=timezone.now() - timedelta(days=15),
    )
    selectors_register_batch(
        access=_access("liaison@wcpc.pnp.example", sampaguita),
        reason="Facilitator",
        items=[SelectorItem(kind="phone", value="0917-123-4567", note="written the local way")],
    )
    now = timezone.now()
    for email, title, lat, lon in (
        ("liaison@tbkk.politie.example", "Search at the Damrak address", 52.3765, 4.8983),
        ("investigator@ams.politie.example", "Arrest near Centraal", 52.3791, 4.9003),
    ):
        membership = Membership.objects.select_related("organisation").get(user__email=email)
        operation_plan(
            membership=membership,
            kind=Operation.Kind.SEARCH,
            title=title,
            country="NL",
            latitude=lat,
            longitude=lon,
            radius_m=300,
            starts_at=now + timedelta(days=2, hours=6),
            ends_at=now + timedelta(days=2, hours=10),
        )
    return Selector.objects.count()
