"""Selector kinds and their normalisers.

A normaliser turns what an investigator typed into one canonical string, so that the same
identifier written differently produces the same keyed digest. Anything that does not parse is
refused with a message saying what is wrong and what is expected; nothing is silently dropped.
Characters that hide or reorder text (zero-width, bidi controls) and control characters are
refused because they make two values look the same to a person while their digests differ.

Each kind has a version. Raise it whenever a change could normalise some input differently,
then run ``manage.py selectors_rekey`` so stored digests follow.
"""

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna
import phonenumbers
import pycountry
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from deconfliction.wallets import base58_btc_valid, eth_checksum_valid, segwit_valid

MAX_LENGTH = 1000


class SelectorKind(models.TextChoices):
    EMAIL = "email", gettext_lazy("Email address")
    PHONE = "phone", gettext_lazy("Phone number (also WhatsApp, Signal)")
    HANDLE = "handle", gettext_lazy("Online handle")
    IP = "ip", gettext_lazy("IP address")
    URL = "url", gettext_lazy("URL")
    DOMAIN = "domain", gettext_lazy("Domain")
    WALLET = "wallet", gettext_lazy("Crypto wallet")
    FILE_HASH = "file_hash", gettext_lazy("File hash (MD5, SHA-1, SHA-256)")
    DEVICE = "device", gettext_lazy("Device id (IMEI)")
    TRAVEL_DOCUMENT = "travel_document", gettext_lazy("Travel document")


NORMALISER_VERSIONS: dict[str, int] = {kind.value: 1 for kind in SelectorKind}

PLATFORMS = (
    "instagram",
    "tiktok",
    "snapchat",
    "telegram",
    "x",
    "facebook",
    "discord",
    "kik",
    "reddit",
    "roblox",
    "steam",
    "youtube",
    "twitch",
    "skype",
    "wickr",
    "threema",
    "session",
    "element",
    "omegle",
    "vk",
)
PHONE_PLATFORMS = ("whatsapp", "signal")


class SelectorError(ValueError):
    """The value cannot be a selector of this kind; the message says why and what is expected."""


@dataclass(frozen=True)
class Normalised:
    kind: str
    value: str  # the canonical form the digest is computed from
    version: int


def _clean(raw: str) -> str:
    if raw is None:
        raise SelectorError(_("Enter a value."))
    if len(raw) > MAX_LENGTH:
        raise SelectorError(_("A selector can be at most %(n)s characters.") % {"n": MAX_LENGTH})
    value = raw.strip()  # str.strip() also removes non-breaking and other Unicode spaces
    for char in value:
        category = unicodedata.category(char)
        if category == "Cf":
            raise SelectorError(
                _(
                    "The value contains an invisible formatting character (U+%(code)04X), such as a "
                    "zero-width or text-direction mark. Retype it rather than pasting it."
                )
                % {"code": ord(char)}
            )
        if category in ("Cc", "Zl", "Zp"):
            raise SelectorError(
                _("The value contains a control character or line break (U+%(code)04X).") % {"code": ord(char)}
            )
    if not value:
        raise SelectorError(_("Enter a value."))
    return value


def _split_qualifier(value: str, qualifier: str | None) -> tuple[str | None, str]:
    """``instagram:@name`` or ``NL:XR123`` carry their qualifier inline (used by CSV imports)."""
    if qualifier:
        return qualifier.strip(), value
    if ":" in value:
        head, tail = value.split(":", 1)
        return head.strip(), tail.strip()
    return None, value


# The common case, a plain ASCII address (letters, digits, dot, underscore, plus and hyphen
# before the @; a domain of ordinary DNS labels under an alphabetic top-level domain), is
# normalised without email_validator, which costs more than everything else a batch
# registration does per item (issue 10's benchmark). Anything else, and every plain address
# email_validator would refuse (lengths, special-use domains, "ab--" labels), takes the full
# path, so results and messages are the same; a property test compares the two.
_PLAIN_EMAIL = re.compile(
    r"(?P<local>[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*)@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
)


def _plain_email(value: str) -> str | None:
    if not value.isascii() or len(value) > 254:
        return None
    lowered = value.lower()
    match = _PLAIN_EMAIL.fullmatch(lowered)
    if match is None or "--" in lowered or len(match["local"]) > 64 or len(match["domain"]) > 253:
        return None
    domain = match["domain"]
    if any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES):
        return None
    return lowered


def _email(value: str, **_kw) -> str:
    plain = _plain_email(value)
    if plain is not None:
        return plain
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise SelectorError(
            _("Not an email address (%(reason)s). Expected something like name@example.org.") % {"reason": str(exc)}
        ) from exc
    return f"{result.local_part.lower()}@{result.ascii_domain.lower()}"


_NATIONAL_ZERO = re.compile(r"^(\+\d{1,3})\s*\(0\)")


def _phone(value: str, *, region: str | None = None, **_kw) -> str:
    # "+31 (0)6 ..." carries the national trunk zero in brackets; it is not dialled from abroad.
    text = _NATIONAL_ZERO.sub(r"\1 ", value)
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise SelectorError(
            _(
                "Not a phone number (%(reason)s). Expected an international number such as "
                "+31 6 12345678, or a national number of your organisation's country."
            )
            % {"reason": str(exc).split(")", 1)[-1].strip()}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise SelectorError(
            _("%(value)s is not a valid number in its numbering plan. Check the country code and the number of digits.")
            % {"value": value}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_HANDLE = re.compile(r"^[\w.\-]{1,100}$")


def _handle(value: str, *, qualifier: str | None = None, **_kw) -> str:
    platform, name = _split_qualifier(value, qualifier)
    platform = (platform or "").lower()
    if platform in PHONE_PLATFORMS:
        raise SelectorError(_("WhatsApp and Signal accounts are phone numbers: register them as a phone number."))
    if platform not in PLATFORMS:
        raise SelectorError(
            _("Choose the platform of the handle, one of: %(list)s. Write it as platform:name.")
            % {"list": ", ".join(PLATFORMS)}
        )
    name = name.strip().lstrip("@").lower()
    if not _HANDLE.match(name):
        raise SelectorError(_("A handle has letters, digits, dots, dashes and underscores only, at most 100."))
    return f"{platform}:{name}"


def _ip(value: str, **_kw) -> str:
    text = value.strip("[]")
    if "%" in text:
        raise SelectorError(_("Leave out the interface zone (the part after %) of an IPv6 address."))
    try:
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise SelectorError(
            _("Not an IP address. Expected IPv4 like 192.0.2.10 (no leading zeros) or IPv6 like 2001:db8::1.")
        ) from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:192.0.2.1 is the IPv4 address 192.0.2.1
    return str(address)  # IPv6 in its compressed, lower-case form


def _idna_host(host: str) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise SelectorError(_("The host name is empty."))
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise SelectorError(
            _("%(host)s is not a valid host name (%(reason)s).") % {"host": host, "reason": exc}
        ) from exc


_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


def _url(value: str, **_kw) -> str:
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        raise SelectorError(_("Expected a full URL starting with http://, https:// or ftp://."))
    try:
        port = parts.port
    except ValueError as exc:
        raise SelectorError(_("The port of the URL is not a number between 0 and 65535.")) from exc
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        netloc_host = f"[{host}]" if ":" in host else host
    except ValueError:
        netloc_host = _idna_host(host)
    userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    netloc = userinfo + netloc_host + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _domain(value: str, **_kw) -> str:
    if "/" in value or "@" in value or " " in value:
        raise SelectorError(_("Expected a domain name only, like example.org (use kind URL for addresses)."))
    domain = _idna_host(value)
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or len(domain) > 253:
        raise SelectorError(_("%(value)s is not a domain name like example.org.") % {"value": value})
    return domain


def _wallet(value: str, *, qualifier: str | None = None, **_kw) -> str:
    chain, address = _split_qualifier(value, qualifier)
    chain = (chain or "").lower() or ("eth" if address.lower().startswith("0x") else "btc")
    if chain in ("eth", "ethereum"):
        if not re.fullmatch(r"0[xX][0-9a-fA-F]{40}", address):
            raise SelectorError(_("An Ethereum address is 0x followed by 40 hexadecimal characters."))
        address = "0x" + address[2:]
        if not eth_checksum_valid(address):
            raise SelectorError(_("The Ethereum address fails its EIP-55 checksum: a character is probably wrong."))
        return f"eth:{address.lower()}"
    if chain in ("btc", "bitcoin"):
        if address.lower().startswith("bc1"):
            if not segwit_valid(address):
                raise SelectorError(_("Not a valid Bitcoin bech32 address (checksum or length wrong)."))
            return f"btc:{address.lower()}"
        if not base58_btc_valid(address):
            raise SelectorError(
                _("Not a valid Bitcoin address (a 1..., 3... or bc1... address with a correct checksum).")
            )
        return f"btc:{address}"
    raise SelectorError(_("Supported chains are btc and eth; write the chain as chain:address."))


_HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}


def _file_hash(value: str, **_kw) -> str:
    text = value.replace(" ", "").lower()
    if text.startswith("0x"):
        text = text[2:]
    if ":" in text:  # "sha256:abc..." as some tools print it
        text = text.split(":", 1)[1]
    if not re.fullmatch(r"[0-9a-f]+", text) or len(text) not in _HASH_LENGTHS:
        raise SelectorError(_("A file hash is hexadecimal: 32 characters (MD5), 40 (SHA-1) or 64 (SHA-256)."))
    return f"{_HASH_LENGTHS[len(text)]}:{text}"


def _luhn_check_digit(digits: str) -> int:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 0:
            n *= 2
            n = n - 9 if n > 9 else n
        total += n
    return (10 - total % 10) % 10


def _device(value: str, **_kw) -> str:
    digits = re.sub(r"[\s\-/.]", "", value)
    if not digits.isdigit() or len(digits) not in (14, 15):
        raise SelectorError(_("An IMEI has 15 digits (or 14 without its check digit)."))
    if len(digits) == 14:
        return digits + str(_luhn_check_digit(digits))
    if int(digits[-1]) != _luhn_check_digit(digits[:14]):
        raise SelectorError(_("The IMEI's check digit is wrong (Luhn check): a digit is probably mistyped."))
    return digits


def country_alpha2(code: str) -> str:
    """ISO 3166 alpha-2 or alpha-3, any case, to alpha-2."""
    code = (code or "").strip().upper()
    country = (
        pycountry.countries.get(alpha_2=code)
        if len(code) == 2
        else (pycountry.countries.get(alpha_3=code) if len(code) == 3 else None)
    )
    if country is None:
        raise SelectorError(_("%(code)s is not an ISO 3166 country code (such as NL or NLD).") % {"code": code})
    return country.alpha_2


def _travel_document(value: str, *, qualifier: str | None = None, **_kw) -> str:
    country, number = _split_qualifier(value, qualifier)
    if not country:
        raise SelectorError(_("Give the issuing country, written as country:number, e.g. NL:XR1234567."))
    number = re.sub(r"[\s\-]", "", number).upper()
    if not re.fullmatch(r"[A-Z0-9]{5,20}", number):
        raise SelectorError(_("A document number has 5 to 20 letters and digits."))
    return f"{country_alpha2(country)}:{number}"


_NORMALISERS = {
    SelectorKind.EMAIL: _email,
    SelectorKind.PHONE: _phone,
    SelectorKind.HANDLE: _handle,
    SelectorKind.IP: _ip,
    SelectorKind.URL: _url,
    SelectorKind.DOMAIN: _domain,
    SelectorKind.WALLET: _wallet,
    SelectorKind.FILE_HASH: _file_hash,
    SelectorKind.DEVICE: _device,
    SelectorKind.TRAVEL_DOCUMENT: _travel_document,
}


def normalise(kind: str, raw: str, *, qualifier: str | None = None, region: str | None = None) -> Normalised:
    """The canonical form of ``raw`` as a selector of ``kind``, or SelectorError."""
    if kind not in _NORMALISERS:
        raise SelectorError(
            _("Unknown selector kind %(kind)s. Use one of: %(list)s.")
            % {"kind": kind, "list": ", ".join(SelectorKind.values)}
        )
    value = _NORMALISERS[kind](_clean(raw), qualifier=qualifier, region=region)
    return Normalised(kind=kind, value=value, version=NORMALISER_VERSIONS[kind])
