"""winmail.dat files as Outlook writes them ([MS-OXTNEF]): a signature, then attributes of the message
(level 1) and of each attachment (level 2), each with its 32-bit id (type << 16 | name), length, data
and a 16-bit checksum (the sum of the data bytes)."""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
MESSAGE, ATTACHMENT = 1, 2
TNEF_VERSION = 0x00089006
OEM_CODEPAGE = 0x00069007
BODY = 0x0002800C
ATTACH_REND_DATA = 0x00069002  # starts an attachment
ATTACH_TITLE = 0x00018010  # its file name, in the OEM code page
ATTACH_DATA = 0x0006800F  # its bytes


def attribute(level: int, attr_id: int, data: bytes) -> bytes:
    return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def winmail_dat(files: list[tuple[str, bytes]], *, body: str = "", codepage: int = 1252) -> bytes:
    """A TNEF stream carrying `files` (name, bytes) and, optionally, a plain-text body."""
    encoding = f"cp{codepage}"
    out = struct.pack("<IH", SIGNATURE, 0x0001)
    out += attribute(MESSAGE, TNEF_VERSION, struct.pack("<I", 0x00010000))
    out += attribute(MESSAGE, OEM_CODEPAGE, struct.pack("<II", codepage, 0))
    if body:
        out += attribute(MESSAGE, BODY, body.encode(encoding))
    for name, data in files:
        out += attribute(ATTACHMENT, ATTACH_REND_DATA, struct.pack("<HiiHHI", 1, -1, 0, 0, 0, 0))
        out += attribute(ATTACHMENT, ATTACH_TITLE, name.encode(encoding) + b"\x00")
        out += attribute(ATTACHMENT, ATTACH_DATA, data)
    return out
