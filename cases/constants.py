from django.db import models
from django.utils.translation import gettext_lazy as _


class TLP(models.TextChoices):
    """FIRST Traffic Light Protocol 2.0, from least to most restrictive."""

    CLEAR = "CLEAR", "TLP:CLEAR"
    GREEN = "GREEN", "TLP:GREEN"
    AMBER = "AMBER", "TLP:AMBER"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "RED", "TLP:RED"


TLP_ORDER = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]


def tlp_rank(value: str) -> int:
    return TLP_ORDER.index(value)


class CrimeType(models.TextChoices):
    DISTRIBUTION = "distribution", _("Distribution of abuse material")
    PRODUCTION = "production", _("Production of abuse material")
    LIVE_STREAMING = "live_streaming", _("Live distant child abuse (paid webcam streaming)")
    SEXTORTION = "sextortion", _("Sextortion")
    GROOMING = "grooming", _("Grooming")
    CHILD_SEX_TOURISM = "child_sex_tourism", _("Child sex tourism")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    INTAKE = "intake", _("Intake")
    OPEN = "open", _("Open")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
    REFERRED = "referred", _("Referred")


class AccessLevel(models.TextChoices):
    """What a share grants. Each level includes the ones before it."""

    VIEW = "view", _("View")
    CONTRIBUTE = "contribute", _("Contribute (tasks, notes, milestones)")
    CHANGE = "change", _("Change case details")
    SHARE = "share", _("Full, including sharing")


LEVEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    AccessLevel.VIEW: ("view_case",),
    AccessLevel.CONTRIBUTE: ("view_case", "contribute_case"),
    AccessLevel.CHANGE: ("view_case", "contribute_case", "change_case"),
    AccessLevel.SHARE: ("view_case", "contribute_case", "change_case", "share_case"),
}
CASE_PERMISSIONS = LEVEL_PERMISSIONS[AccessLevel.SHARE]


class LegalBasis(models.TextChoices):
    POLICE_TREATY = "police_treaty", _("Police cooperation treaty")
    EUROPOL_REGULATION = "europol_regulation", _("Europol regulation (EU) 2016/794")
    INTERPOL_RULES = "interpol_rules", _("Interpol Rules on the Processing of Data")
    MLA = "mla", _("Mutual legal assistance request")
    JIT = "jit", _("Joint investigation team agreement")
    NOTICE_AND_TAKEDOWN = "notice_takedown", _("Notice-and-takedown / provider cooperation (no personal data)")
