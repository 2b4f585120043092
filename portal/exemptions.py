"""The one registry of routes that do not require a verified second factor.

Everything else in the portal requires a session that passed both the password and the
one-time-password step (accounts.middleware.VerifiedSessionRequiredMiddleware reads this, and
so does the test that walks every URL pattern). Adding a name here is a visible security
decision; keep the list short.
"""

# Reachable by anyone, signed in or not.
PUBLIC_URL_NAMES: frozenset[str] = frozenset(
    {
        "accounts:login",
        "accounts:invitation_accept",
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_confirm",
        "accounts:password_reset_complete",
        "set_language",
        "portal:healthz",
        # The secret calendar-feed URL: calendar apps cannot do a second factor; the URL is
        # a revocable 256-bit secret and the feed carries references and milestone kinds only.
        "calendar_feed",
    }
)

# Reachable after the password step, before the second factor: finishing the second step
# (or enrolling the first device) and leaving.
PASSWORD_ONLY_URL_NAMES: frozenset[str] = frozenset(
    {
        "accounts:otp_verify",
        "accounts:enrol",
        "accounts:enrol_qr",
        "accounts:logout",
    }
)

# API requests that carry a bearer token are authenticated by the token itself (Django REST
# framework, accounts.tokens); tokens can only be created from a verified session.
TOKEN_AUTHENTICATED_PATH_PREFIXES: tuple[str, ...] = ("/api/",)

# Path prefixes served without the URL resolver (self-hosted static assets).
PUBLIC_PATH_PREFIXES: tuple[str, ...] = ("/static/",)
