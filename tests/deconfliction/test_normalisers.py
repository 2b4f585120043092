import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.digests import digest_current
from deconfliction.normalisers import SelectorError, normalise


def n(kind, value, **kw):
    return normalise(kind, value, **kw).value


@pytest.mark.parametrize(
    "spelling",
    [
        "+31 (0)6 1234 5678",
        "0031612345678",
        "+31612345678",
        "06-12345678",
        "+31 6 12 34 56 78",
        "\u00a0+31 6 1234 5678\u00a0",
    ],
)
def test_dutch_mobile_spellings_match(spelling):
    assert n("phone", spelling, region="NL") == "+31612345678"


def test_national_number_uses_the_organisations_country():
    assert n("phone", "0917 123 4567", region="PH") == "+639171234567"
    with pytest.raises(SelectorError, match="international number"):
        n("phone", "0917 123 4567")


def test_email_spellings_match():
    assert n("email", " John.Doe@EXAMPLE.com") == n("email", "john.doe@example.com") == "john.doe@example.com"
    assert n("email", "anna@Bücher.de") == "anna@xn--bcher-kva.de"


def test_handles_match_on_one_platform_only():
    assert n("handle", "@Handle", qualifier="instagram") == n("handle", "handle", qualifier="Instagram")
    assert n("handle", "instagram:@Handle") == "instagram:handle"
    assert n("handle", "handle", qualifier="tiktok") != n("handle", "handle", qualifier="instagram")
    with pytest.raises(SelectorError, match="phone numbers"):
        n("handle", "+31612345678", qualifier="whatsapp")
    with pytest.raises(SelectorError, match="platform"):
        n("handle", "handle")


@pytest.mark.parametrize(
    "spelling",
    [
        "2001:db8::1",
        "2001:DB8::1",
        "2001:0db8:0000:0000:0000:0000:0000:0001",
        "[2001:db8::1]",
        "2001:db8:0:0:0::1",
        " 2001:db8::0:1 ",
    ],
)
def test_ipv6_spellings_match(spelling):
    assert n("ip", spelling) == "2001:db8::1"


def test_ipv4_mapped_matches_ipv4_and_leading_zeros_are_refused():
    assert n("ip", "::ffff:192.0.2.1") == n("ip", "192.0.2.1")
    with pytest.raises(SelectorError, match="no leading zeros"):
        n("ip", "192.000.2.1")


def test_urls_and_domains():
    assert n("url", "HTTPS://Example.COM:443/Path/?q=1#frag") == "https://example.com/Path?q=1"
    assert n("url", "http://example.com:8080/") == "http://example.com:8080"
    assert n("url", "https://bücher.de/") == "https://xn--bcher-kva.de"
    assert n("domain", "Bücher.DE.") == "xn--bcher-kva.de"
    with pytest.raises(SelectorError, match="full URL"):
        n("url", "example.com/path")
    with pytest.raises(SelectorError, match="domain name only"):
        n("domain", "https://example.com/")


def test_wallets_by_chain_rules():
    assert n("wallet", "0x52908400098527886E0F7030069857D2E4169EE7") == n(
        "wallet", "0x52908400098527886e0f7030069857d2e4169ee7"
    )
    with pytest.raises(SelectorError, match="EIP-55"):
        n("wallet", "0x52908400098527886E0F7030069857D2E4169Ee7")
    # EIP-55's own mixed-case examples, as block explorers print addresses (found by the
    # property tests: every correctly checksummed address raised ValueError).
    for address in ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"):
        assert n("wallet", address) == "eth:" + address.lower()
    assert n("wallet", "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ") == "btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    assert n("wallet", "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297").startswith("btc:bc1p")
    assert n("wallet", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") == "btc:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
    with pytest.raises(SelectorError, match="Bitcoin"):
        n("wallet", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")


def test_hashes_devices_documents():
    assert n("file_hash", "D41D8CD98F00B204E9800998ECF8427E") == "md5:d41d8cd98f00b204e9800998ecf8427e"
    assert n("file_hash", "sha256:" + "AB" * 32) == "sha256:" + "ab" * 32
    with pytest.raises(SelectorError, match="32 characters"):
        n("file_hash", "abc123")
    assert n("device", "49-015420-323751-8") == n("device", "49015420323751") == "490154203237518"
    with pytest.raises(SelectorError, match="Luhn"):
        n("device", "490154203237519")
    assert (
        n("travel_document", "NLD:xr 123456 7") == n("travel_document", "XR1234567", qualifier="nl") == "NL:XR1234567"
    )
    with pytest.raises(SelectorError, match="ISO 3166"):
        n("travel_document", "XX:XR1234567")


@pytest.mark.parametrize(
    "value",
    [
        "joh\u200bn@example.com",
        "john@exa\u202emple.com",
        "\ufeffjohn@example.com",
        "john\x00@example.com",
        "john@example.com\nx",
    ],
)
def test_hidden_and_control_characters_are_refused_not_dropped(value):
    with pytest.raises(SelectorError):
        n("email", value)


def test_overlong_values_are_refused():
    with pytest.raises(SelectorError, match="1000"):
        n("url", "https://example.com/" + "a" * 1000)


def test_unknown_kind_is_refused():
    with pytest.raises(SelectorError, match="Unknown selector kind"):
        n("fingerprint", "x")


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses())
def test_ip_normalising_twice_changes_nothing(address):
    once = n("ip", str(address))
    assert n("ip", once) == once
    assert ipaddress.ip_address(once) in (address, getattr(address, "ipv4_mapped", None))


@settings(max_examples=200, deadline=None)
@given(st.emails())
def test_email_normalising_is_idempotent_and_digest_stable(email):
    try:
        once = n("email", email)
    except SelectorError:
        return  # hypothesis produces some addresses the strict validator refuses; they are refused consistently
    assert n("email", once) == once
    assert digest_current("email", once) == digest_current("email", n("email", email.upper()))


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9a-fA-F]{64}", fullmatch=True))
def test_hash_normalising_is_idempotent(text):
    once = n("file_hash", text)
    assert n("file_hash", once) == once


def _full_email_path(value):
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return f"{result.local_part.lower()}@{result.ascii_domain.lower()}"


_label = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,70}", fullmatch=True)
_plain_looking_emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    st.from_regex(r"[A-Za-z0-9._+-]{1,70}", fullmatch=True),
    st.lists(_label, min_size=1, max_size=4),
    st.sampled_from(["org", "NL", "example", "test", "localhost", "onion", "c0m", "x", "travel", "a" * 64]),
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.emails(), _plain_looking_emails))
def test_the_plain_email_fast_path_agrees_with_email_validator(value):
    from deconfliction.normalisers import _plain_email

    fast = _plain_email(value)
    if fast is not None:  # where the fast path answers, it answers what the full path would
        assert fast == _full_email_path(value)


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        ("Jan.Jansen+tips@Example.ORG", "jan.jansen+tips@example.org"),
        ("a@b.test", None),  # special-use domain: the full path refuses it with its message
        ("ab--cd@example.org", None),
        ("name@xn--bcher-kva.example", None),
        ("name@exa_mple.org", None),
        ('"quoted"@example.org', None),
        ("na..me@example.org", None),
        ("x" * 65 + "@example.org", None),
    ],
)
def test_the_plain_email_fast_path_takes_only_plain_addresses(value, fast):
    from deconfliction.normalisers import _plain_email

    assert _plain_email(value) == fast
