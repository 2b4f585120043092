"""Property tests of the normalisers (issue 4): for each kind, generated identifiers written in
the many ways investigators write them. Every spelling of one identifier normalises to the same
value and so to the same digest, and normalising that value again changes nothing.

Each generator yields ``(spellings, expected)``: a list of ``(text, keyword arguments)`` that
all mean one identifier, and the canonical form worked out independently of the normaliser
(or None where only agreement is checked).
"""

import base58
import phonenumbers
import pycountry
import pytest
from Crypto.Hash import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction import wallets as wallet_rules
from deconfliction.digests import digest_current
from deconfliction.normalisers import PLATFORMS, normalise

SPACES = st.sampled_from(["", " ", "  ", "\u00a0", "\t"])  # trimmed: ordinary and non-breaking spaces


def _case_variants(text: str):
    return st.sampled_from([text, text.lower(), text.upper(), text.swapcase(), text.title()])


# --- phone ---------------------------------------------------------------------------------------

PHONE_REGIONS = ["NL", "BE", "DE", "FR", "GB", "ES", "PL", "PH", "US", "BR"]


@st.composite
def phones(draw):
    region = draw(st.sampled_from(PHONE_REGIONS))
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    # Vary the last digits of the example: still a number of that plan in almost every case.
    national = str(number.national_number)
    tail = draw(st.text("0123456789", min_size=3, max_size=3))
    candidate = phonenumbers.parse(f"+{number.country_code}{national[:-3]}{tail}")
    if phonenumbers.is_valid_number(candidate):
        number = candidate
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national_text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    anywhere = draw(st.sampled_from(PHONE_REGIONS))  # an international spelling ignores the region
    separator = draw(st.sampled_from([" ", "-", ".", ""]))
    spellings = [
        (e164, {"region": anywhere}),
        (international, {"region": None}),
        (international.replace(" ", separator), {"region": anywhere}),
        ("00" + e164[1:], {"region": "NL"}),  # the international prefix of most of Europe
        (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966), {"region": anywhere}),
        (draw(SPACES) + national_text + draw(SPACES), {"region": region}),  # national: the org's country
    ]
    return spellings, e164


# --- handle --------------------------------------------------------------------------------------


@st.composite
def handles(draw):
    platform = draw(st.sampled_from(PLATFORMS))
    name = draw(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,29}", fullmatch=True))
    shown_platform = draw(_case_variants(platform))
    spellings = [
        (name, {"qualifier": platform}),
        ("@" + draw(_case_variants(name)), {"qualifier": shown_platform}),
        (f"{draw(SPACES)}{shown_platform}:@{name.upper()}{draw(SPACES)}", {}),
        (f"{platform}: {name.lower()}", {}),
    ]
    return spellings, f"{platform}:{name.lower()}"


# --- URL and domain ------------------------------------------------------------------------------

_ascii_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(lambda s: "--" not in s)
# Not "straße": its upper case is "STRASSE", another name under IDNA 2008, so case variants of
# it are not spellings of one host.
_unicode_label = st.sampled_from(["bücher", "münchen", "köln", "café", "перевод", "例え"])
_tld = st.sampled_from(["org", "nl", "com", "be", "example", "xn--p1ai"])


@st.composite
def hostnames(draw) -> list[str]:
    labels = draw(st.lists(st.one_of(_ascii_label, _unicode_label), min_size=1, max_size=3))
    return [*labels, draw(_tld)]


def _idna(labels: list[str]) -> str:
    import idna

    return idna.encode(".".join(labels), uts46=True).decode("ascii")


@st.composite
def domains(draw):
    labels = draw(hostnames())
    ascii_form = _idna(labels)
    unicode_form = ".".join(labels)
    spellings = [
        (unicode_form, {}),
        (ascii_form, {}),
        (draw(_case_variants(unicode_form)), {}),
        (draw(SPACES) + ascii_form.upper() + "." + draw(SPACES), {}),  # the root dot is dropped
    ]
    return spellings, ascii_form


_path_segment = st.from_regex(r"[A-Za-z0-9_~-]{1,12}", fullmatch=True)


@st.composite
def urls(draw):
    scheme = draw(st.sampled_from(["http", "https", "ftp"]))
    labels = draw(hostnames())
    host = ".".join(labels)
    port = draw(st.sampled_from([None, None, 8080, 8443]))
    segments = draw(st.lists(_path_segment, max_size=3))
    path = "".join("/" + s for s in segments)
    query = draw(st.sampled_from(["", "?q=1", "?id=A7&x=b"]))
    default_port = {"http": 80, "https": 443, "ftp": 21}[scheme]
    netloc = _idna(labels) + (f":{port}" if port else "")
    expected = f"{scheme}://{netloc}{path}{query}"
    shown_port = f":{port}" if port else draw(st.sampled_from(["", f":{default_port}"]))
    spellings = [
        (expected, {}),
        (f"{scheme.upper()}://{host.upper()}{shown_port}{path}/{query}", {}),  # a trailing slash
        (f"{draw(SPACES)}{scheme}://{host}{shown_port}{path}{query}#fragment{draw(SPACES)}", {}),
    ]
    return spellings, expected


# --- wallet --------------------------------------------------------------------------------------


def _eip55(address_hex: str) -> str:
    digest = keccak.new(digest_bits=256, data=address_hex.encode()).hexdigest()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(n, 16) >= 8 else c for c, n in zip(address_hex, digest[:40], strict=True)
    )


def _segwit_address(version: int, program: bytes) -> str:
    """BIP 173 / 350 encoding (bech32 for version 0, bech32m above), with the checksum arithmetic
    the validator uses (deconfliction.wallets); the packing into 5-bit groups is the encoder's own."""
    acc, bits, data = 0, 0, []
    for byte in program:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    values = [version, *data]
    const = wallet_rules._BECH32_CONST if version == 0 else wallet_rules._BECH32M_CONST
    polymod = wallet_rules._polymod(wallet_rules._hrp_expand("bc") + values + [0] * 6) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return "bc1" + "".join(wallet_rules._CHARSET[v] for v in values + checksum)


@st.composite
def wallets(draw):
    chain = draw(st.sampled_from(["eth", "btc-base58", "btc-segwit"]))
    if chain == "eth":
        hex_part = draw(st.binary(min_size=20, max_size=20)).hex()
        checksummed = _eip55(hex_part)
        spellings = [
            (checksummed, {}),
            ("0x" + hex_part, {}),
            ("0X" + hex_part.upper(), {}),
            (f"{draw(SPACES)}ETH:{checksummed}", {}),
            (checksummed, {"qualifier": "ethereum"}),
        ]
        return spellings, f"eth:0x{hex_part}"
    if chain == "btc-base58":
        payload = bytes([draw(st.sampled_from([0x00, 0x05]))]) + draw(st.binary(min_size=20, max_size=20))
        address = base58.b58encode_check(payload).decode()
        return [(address, {}), (f"btc:{address}", {}), (f" Bitcoin: {address} ", {})], f"btc:{address}"
    version, size = draw(st.sampled_from([(0, 20), (0, 32), (1, 32)]))
    address = _segwit_address(version, draw(st.binary(min_size=size, max_size=size)))
    return [(address, {}), (address.upper(), {}), (f"BTC:{address}", {"qualifier": None})], f"btc:{address}"


# --- device --------------------------------------------------------------------------------------


def _luhn_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):  # positions from the right, check digit excluded
        n = int(char) * (2 if position % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


@st.composite
def devices(draw):
    body = draw(st.text("0123456789", min_size=14, max_size=14))
    imei = body + _luhn_digit(body)
    grouped = f"{imei[:2]}-{imei[2:8]}-{imei[8:14]}-{imei[14]}"
    spellings = [
        (imei, {}),
        (body, {}),  # without its check digit
        (grouped, {}),
        (draw(SPACES) + " ".join([imei[:8], imei[8:]]) + draw(SPACES), {}),
        (f"{body[:8]}/{body[8:]}", {}),
    ]
    return spellings, imei


# --- travel document -----------------------------------------------------------------------------

COUNTRIES = sorted((c.alpha_2, c.alpha_3) for c in pycountry.countries)


@st.composite
def travel_documents(draw):
    alpha_2, alpha_3 = draw(st.sampled_from(COUNTRIES))
    number = draw(st.from_regex(r"[A-Z0-9]{5,20}", fullmatch=True))
    split = draw(st.integers(min_value=1, max_value=len(number) - 1))
    spellings = [
        (f"{alpha_2}:{number}", {}),
        (f"{alpha_3.lower()}:{number.lower()}", {}),
        (f"{number[:split]} {number[split:]}", {"qualifier": draw(_case_variants(alpha_3))}),
        (f"{draw(SPACES)}{alpha_2.lower()} : {number[:split]}-{number[split:]}{draw(SPACES)}", {}),
    ]
    return spellings, f"{alpha_2}:{number}"


GENERATORS = {
    "phone": phones(),
    "handle": handles(),
    "url": urls(),
    "domain": domains(),
    "wallet": wallets(),
    "device": devices(),
    "travel_document": travel_documents(),
}


@pytest.mark.parametrize("kind", list(GENERATORS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_spelling_normalises_alike_and_normalising_twice_changes_nothing(kind, data):
    spellings, expected = data.draw(GENERATORS[kind], label="identifier")
    values = {text: normalise(kind, text, **kwargs).value for text, kwargs in spellings}
    canonical = values[spellings[0][0]]
    assert set(values.values()) == {canonical}, values
    if expected is not None:
        assert canonical == expected
    # Idempotent: the canonical form is its own canonical form (also read in another region).
    assert normalise(kind, canonical).value == canonical
    assert normalise(kind, canonical, region="PH").value == canonical
    # The digest is a function of the canonical form only: every spelling, same digest.
    digests = {digest_current(kind, normalise(kind, text, **kwargs).value) for text, kwargs in spellings}
    assert digests == {digest_current(kind, canonical)}
