"""Who is calling: Tencent-style signatures, or a credential's key and secret sent as such."""

from __future__ import annotations

import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from redis.exceptions import RedisError

from webapp.core import queue
from webapp.wire.codes import ApiError
from webapp.wire.signature import SignatureError, parse

from .models import ApiClient

LAST_USED_PRECISION = timedelta(minutes=1)


def authenticate(request: HttpRequest, body_appid: str | None) -> ApiClient:
    """Return the credential that signed the request, counted, or raise ApiError."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise ApiError("auth_missing")
    try:
        claims = parse(header)
    except SignatureError as exc:
        raise ApiError("auth_malformed", reason=str(exc)) from exc
    client = ApiClient.objects.filter(secret_id=claims.secret_id, is_active=True).first()
    if client is None or client.appid != claims.appid:
        raise ApiError("unknown_appid")
    if body_appid is not None and body_appid != claims.appid:
        raise ApiError("unknown_appid")
    secret_key = client.secret_key
    if not secret_key or not claims.verify(secret_key):
        raise ApiError("auth_failed")
    now = int(time.time())
    if claims.expires_at <= now:
        raise ApiError("auth_expired")
    too_new = claims.signed_at > now + settings.SIGNATURE_CLOCK_SKEW
    too_long = claims.expires_at - claims.signed_at > settings.SIGNATURE_MAX_AGE
    if too_new or too_long:
        raise ApiError("auth_malformed", reason="its times are out of range")
    _count(client)
    return client


def authenticate_key(secret_id: str, secret_key: str, *, sent_as: str) -> ApiClient:
    """Return the credential whose secret_id and secret_key were sent, counted, or raise ApiError.

    `sent_as` names the two in the failure's message, e.g. "X-Api-Key and X-Api-Secret".
    """
    client = client_for_key(secret_id, secret_key)
    if client is None:
        raise ApiError("auth_failed", message=f"{sent_as} do not match an active credential")
    _count(client)
    return client


def _count(client: ApiClient) -> None:
    try:
        count_request(client)
    except RateLimited as exc:
        raise ApiError("rate_limited", limit=client.rate_limit_per_minute) from exc
    except RedisError as exc:
        # The queue is down too: no worker could take the job, so say "try again" at once.
        raise ApiError("busy") from exc


def client_for_key(secret_id: str, secret_key: str) -> ApiClient | None:
    """Return the active credential with this secret_id and secret_key (sent in clear), or None."""
    if not secret_id or not secret_key:
        return None
    client = ApiClient.objects.filter(secret_id=secret_id, is_active=True).first()
    if client is None or not hmac.compare_digest(client.secret_key.encode(), secret_key.encode()):
        return None
    return client


class RateLimited(Exception):
    """The credential used up its requests for this minute."""


def count_request(client: ApiClient) -> None:
    """Count a request in this minute's window; raise RateLimited above the credential's limit.

    Also notes when the credential was last used.
    """
    window = int(time.time() // 60)
    key = f"likeness:rate:{client.pk}:{window}"
    connection = queue.connection()
    with connection.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = pipe.execute()
    if count > client.rate_limit_per_minute:
        raise RateLimited(client.rate_limit_per_minute)
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_PRECISION:
        # A write per request would serialise requests on SQLite: a minute is precise enough.
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)


def count_anonymous(address_key: str, limit: int) -> None:
    """Count an anonymous request from an address (its keyed hash) in this minute's window.

    Raise ApiError "rate_limited" above `limit`, "busy" when Redis is down.
    """
    window = int(time.time() // 60)
    key = f"likeness:anon-rate:{address_key}:{window}"
    try:
        with queue.connection().pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, 120)
            count, _ = pipe.execute()
    except RedisError as exc:
        raise ApiError("busy") from exc
    if count > limit:
        raise ApiError("rate_limited", limit=limit)
