from accounts.models import Invitation
from portal.utils.crypto import sha256_hex


def invitation_get_by_token(*, token: str) -> Invitation | None:
    if not token or len(token) > 128:
        return None
    return Invitation.objects.select_related("organisation").filter(token_hash=sha256_hex(token)).first()
