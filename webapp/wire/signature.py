"""Tencent-style request signatures.

`Authorization: base64(HMAC-SHA1(secret_key, plain) + plain)`, the 20-byte
digest first, where `plain` is `a=<appid>&b=<bucket>&k=<secret_id>&e=<expiry>
&t=<now>&r=<random>&u=<user>&f=<fileid>`. Keys may come in any order; `a`,
`k`, `e`, `t` and `r` are required, `b`, `u` and `f` optional.

>>> header = sign("1000", "AKIDexample", "secret", now=1700000000, expires_in=60, rand=7)
>>> claims = parse(header)
>>> claims.appid, claims.secret_id, claims.expires_at
('1000', 'AKIDexample', 1700000060)
>>> claims.verify("secret")
True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

REQUIRED = ("a", "k", "e", "t", "r")
DIGEST_SIZE = 20
#: A unix time as the header carries it: ASCII digits only (``str.isdigit`` also takes
#: '²' and '١٢٣'), few enough for any date a signature may name.
UNIX_TIME = re.compile(r"[0-9]{1,12}")


class SignatureError(ValueError):
    """The header cannot be parsed; the message says why."""


@dataclass(frozen=True)
class Claims:
    fields: dict[str, str]
    plain: bytes
    digest: bytes

    @property
    def appid(self) -> str:
        return self.fields["a"]

    @property
    def secret_id(self) -> str:
        return self.fields["k"]

    @property
    def expires_at(self) -> int:
        return int(self.fields["e"])

    @property
    def signed_at(self) -> int:
        return int(self.fields["t"])

    def verify(self, secret_key: str) -> bool:
        """Return whether the digest is the HMAC-SHA1 of the plain text under `secret_key`."""
        expected = hmac.new(secret_key.encode(), self.plain, hashlib.sha1).digest()
        return hmac.compare_digest(expected, self.digest)


def sign(
    appid: str,
    secret_id: str,
    secret_key: str,
    *,
    bucket: str = "",
    expires_in: int = 3600,
    now: int | None = None,
    rand: int | None = None,
    user: str = "0",
) -> str:
    """Return an Authorization header value for these credentials."""
    now = int(time.time()) if now is None else now
    rand = secrets.randbelow(2**31) if rand is None else rand
    plain = (
        f"a={appid}&b={bucket}&k={secret_id}&e={now + expires_in}&t={now}&r={rand}&u={user}&f="
    ).encode()
    digest = hmac.new(secret_key.encode(), plain, hashlib.sha1).digest()
    return base64.b64encode(digest + plain).decode()


def parse(header: str) -> Claims:
    """Split an Authorization header into its signed fields and digest."""
    try:
        raw = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("it is not base64") from exc
    if len(raw) <= DIGEST_SIZE:
        raise SignatureError("it is too short")
    digest, plain = raw[:DIGEST_SIZE], raw[DIGEST_SIZE:]
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError("the signed text is not UTF-8") from exc
    fields: dict[str, str] = {}
    for pair in text.split("&"):
        key, sep, value = pair.partition("=")
        if not sep:
            raise SignatureError(f"'{pair[:20]}' is not a key=value pair")
        fields[key] = value
    missing = [key for key in REQUIRED if not fields.get(key)]
    if missing:
        raise SignatureError(f"the signed text lacks {', '.join(missing)}")
    for key in ("e", "t"):
        if not UNIX_TIME.fullmatch(fields[key]):
            raise SignatureError(f"'{key}' is not a unix time")
    return Claims(fields=fields, plain=plain, digest=digest)
