"""The demo action plan, from public figures: about 2,000 reports of abuse material to the
police in 2012 rising to about 20,000 in 2017; more than 1,400 victims identified from imagery
since 2012; about 150 specialised staff."""

from datetime import date

from django.utils import timezone

from actionplan.models import ActionPlan, Indicator, IndicatorValue, Measure, Metric, ProgressUpdate
from actionplan.services import indicators_refresh, previous_quarter
from partners.models import Organisation

# code, title, owner, contributors, status, percent, description
MEASURES = [
    (
        "M1",
        "Specialised capacity of 150 investigators and analysts",
        "nl-police-tbkk",
        ["nl-om-lp"],
        "on_track",
        60,
        "Grow and keep the specialised teams of the national and regional units; training and welfare support.",
    ),
    (
        "M2",
        "Hash matching and dark-web detection in every unit",
        "nl-police-tbkk",
        ["nl-hotline", "nl-hosting"],
        "at_risk",
        40,
        "Shared hash sets, automated triage of seized media and detection of dark-web forums.",
    ),
    (
        "M3",
        "International cooperation and liaison officers",
        "nl-police-tbkk",
        ["eu-europol-ec3", "int-interpol-cac", "ph-pnp-wcpc"],
        "on_track",
        55,
        "Joint action days with Europol, Interpol victim identification, liaison officers in source countries.",
    ),
    (
        "M4",
        "Notice-and-takedown with hosting providers",
        "nl-hotline",
        ["nl-hosting"],
        "delayed",
        30,
        "The Netherlands is a transit hub for material: faster removal by Dutch hosting providers.",
    ),
    (
        "M5",
        "Victim identification from imagery",
        "nl-police-tbkk",
        ["nl-childrights", "int-interpol-cac"],
        "on_track",
        50,
        "Identify and safeguard more victims; feed the international database.",
    ),
    (
        "M6",
        "Sextortion awareness for young people",
        "nl-childrights",
        ["nl-hotline"],
        "on_track",
        20,
        "Campaigns in schools and online; a low-threshold help line.",
    ),
    (
        "M7",
        "Faster prosecution of online child abuse",
        "nl-om-lp",
        ["nl-om-rtm"],
        "on_track",
        45,
        "Dedicated prosecutors and shorter time from report to charges.",
    ),
]

# code, name, unit, direction, target, target date, metric or None, yearly
INDICATORS = [
    ("I1", "Reports of abuse material to the police", "reports per year", "down", None, None, None, True),
    (
        "I2",
        "Victims identified from imagery since 2012",
        "victims (cumulative)",
        "up",
        2000,
        date(2027, 12, 31),
        None,
        True,
    ),
    ("I3", "Cases opened", "cases per quarter", "up", None, None, Metric.CASES_OPENED, False),
    ("I4", "Victims identified in cases", "victims per quarter", "up", None, None, Metric.VICTIMS_IDENTIFIED, False),
    ("I5", "Victims safeguarded", "victims per quarter", "up", None, None, Metric.VICTIMS_SAFEGUARDED, False),
    ("I6", "Suspects arrested", "suspects per quarter", "up", None, None, Metric.SUSPECTS_ARRESTED, False),
    ("I7", "Cases with charges filed", "cases per quarter", "up", None, None, Metric.CHARGES_FILED, False),
    (
        "I8",
        "Median days from report to first milestone",
        "days",
        "down",
        30,
        date(2027, 12, 31),
        Metric.MEDIAN_DAYS_TO_FIRST_MILESTONE,
        False,
    ),
    ("I9", "Deconfliction hits past their deadline", "hits", "down", 0, None, Metric.HITS_PAST_DEADLINE, False),
]


def seed_actionplan() -> int:
    if ActionPlan.objects.exists():
        return 0
    ministry = Organisation.objects.get(short_code="nl-jenv")
    plan = ActionPlan.objects.create(
        title="National action plan against online child sexual exploitation 2024–2027",
        period_start=date(2024, 1, 1),
        period_end=date(2027, 12, 31),
        owner_organisation=ministry,
    )
    last_year, last_quarter = previous_quarter()
    for code, title, owner, contributors, status, percent, description in MEASURES:
        measure = Measure.objects.create(
            plan=plan,
            code=code,
            title=title,
            description=description,
            owner_organisation=Organisation.objects.get(short_code=owner),
            start=date(2024, 1, 1),
            deadline=date(2027, 12, 31),
            status=status,
            percent_done=percent,
        )
        measure.contributors.set(Organisation.objects.filter(short_code__in=contributors))
        if code == "M6":
            continue  # no update for the last quarter: the ministry sees it is late
        for back, (state, share, review) in enumerate(
            [("on_track", percent - 10, "accepted"), (status, percent, "accepted" if code != "M2" else "submitted")]
        ):
            year, quarter = last_year, last_quarter - (1 - back)
            if quarter < 1:
                year, quarter = year - 1, quarter + 4
            ProgressUpdate.objects.create(
                measure=measure,
                year=year,
                quarter=quarter,
                status=state,
                percent_done=max(share, 0),
                narrative=f"Quarterly progress on {title.lower()}: milestones of the work plan met as planned.",
                review=review,
                reviewed_at=timezone.now() if review == "accepted" else None,
            )
    for code, name, unit, direction, target, target_date, metric, yearly in INDICATORS:
        indicator = Indicator.objects.create(
            plan=plan,
            code=code,
            name=name,
            unit=unit,
            direction=direction,
            target=target,
            target_date=target_date,
            source="computed" if metric else "manual",
            metric=metric or "",
            yearly=yearly,
        )
        if code == "I1":
            for year, value in ((2012, 2000), (2017, 20000)):
                IndicatorValue.objects.create(indicator=indicator, year=year, quarter=0, value=value)
        if code == "I2":
            IndicatorValue.objects.create(indicator=indicator, year=2018, quarter=0, value=1400)
    indicators_refresh(plan=plan)
    return 1 + len(MEASURES) + len(INDICATORS)
