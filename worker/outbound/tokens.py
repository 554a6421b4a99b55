"""Signed reply tokens: ar+<token>@domain tells us which case a reply belongs to, and cannot be forged.

token = base32(case id as 6 bytes ‖ first 12 bytes of HMAC-SHA256(secret, "reply:" ‖ case id bytes)),
lower case and unpadded — 29 characters, safe in a mailbox local part. 96 bits of MAC: guessing one
for a chosen case is out of reach; a wrong or altered token verifies as None.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

_ID_BYTES = 6
_MAC_BYTES = 12


def _mac(case_id: int, secret: bytes) -> bytes:
    return hmac.new(secret, b"reply:" + case_id.to_bytes(_ID_BYTES, "big"), hashlib.sha256).digest()[:_MAC_BYTES]


def make_reply_token(case_id: int, secret: bytes) -> str:
    if not 0 < case_id < 2 ** (8 * _ID_BYTES):
        raise ValueError(f"case id {case_id} out of range for a reply token")
    raw = case_id.to_bytes(_ID_BYTES, "big") + _mac(case_id, secret)
    return base64.b32encode(raw).decode().rstrip("=").lower()


def verify_reply_token(token: str, secret: bytes) -> int | None:
    """The case id when the token is genuine, else None (constant-time MAC comparison)."""
    text = token.strip().upper()
    if not text or len(text) > 64:
        return None
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _ID_BYTES + _MAC_BYTES:
        return None
    case_id = int.from_bytes(raw[:_ID_BYTES], "big")
    return case_id if case_id > 0 and hmac.compare_digest(raw[_ID_BYTES:], _mac(case_id, secret)) else None


def reply_address(case_id: int, secret: bytes, *, mailbox_local: str = "ar", domain: str) -> str:
    return f"{mailbox_local}+{make_reply_token(case_id, secret)}@{domain}"


def token_from_address(address: str, mailbox_local: str = "ar") -> str | None:
    local = address.strip().strip("<>").partition("@")[0].lower()
    prefix = f"{mailbox_local.lower()}+"
    return local[len(prefix):] or None if local.startswith(prefix) else None
