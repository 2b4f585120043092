"""Crypto-wallet address rules: Bitcoin (Base58Check and Bech32/Bech32m) and Ethereum (EIP-55).

Bech32/Bech32m follow the reference code of BIP 173/350 (the PyPI ``bech32`` package predates
Bech32m, so Taproot addresses would be refused by it).
"""

import base58
from Crypto.Hash import keccak

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST, _BECH32M_CONST = 1, 0x2BC830A3


def _polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if ((top >> i) & 1) else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def _convertbits(data: list[int], frombits: int, tobits: int) -> list[int] | None:
    acc, bits, ret, maxv = 0, 0, [], (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return ret


def segwit_valid(address: str, hrp: str = "bc") -> bool:
    if address.lower() != address and address.upper() != address:
        return False  # mixed case is invalid in Bech32
    address = address.lower()
    pos = address.rfind("1")
    if pos < 1 or pos + 7 > len(address) or len(address) > 90 or address[:pos] != hrp:
        return False
    if any(c not in _CHARSET for c in address[pos + 1 :]):
        return False
    data = [_CHARSET.find(c) for c in address[pos + 1 :]]
    const = _polymod(_hrp_expand(hrp) + data)
    if const not in (_BECH32_CONST, _BECH32M_CONST):
        return False
    witness_version, program = data[0], _convertbits(data[1:-6], 5, 8)
    if program is None or not 2 <= len(program) <= 40 or witness_version > 16:
        return False
    if witness_version == 0 and (len(program) not in (20, 32) or const != _BECH32_CONST):
        return False
    return not (witness_version != 0 and const != _BECH32M_CONST)


def base58_btc_valid(address: str) -> bool:
    try:
        payload = base58.b58decode_check(address)
    except ValueError:
        return False
    return len(payload) == 21 and payload[0] in (0x00, 0x05)


def eth_checksum_valid(address: str) -> bool:
    """EIP-55: in a mixed-case address each letter's case encodes a checksum bit."""
    hex_part = address[2:]
    if hex_part in (hex_part.lower(), hex_part.upper()):
        return True  # no checksum to verify
    digest = keccak.new(digest_bits=256, data=hex_part.lower().encode()).hexdigest()
    # The first 40 of the digest's 64 nibbles, one per character (a strict zip of the whole
    # digest raised ValueError on every correctly checksummed address: a crash, not a refusal).
    for char, nibble in zip(hex_part, digest[: len(hex_part)], strict=True):
        if char.isalpha() and (char.isupper() != (int(nibble, 16) >= 8)):
            return False
    return True
