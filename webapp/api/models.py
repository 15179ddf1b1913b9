from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webapp.core.fields import OrderedJSONField


def _fernet() -> Fernet:
    # Secret keys must stay usable to verify HMAC signatures, so they are
    # encrypted (not hashed) with a key derived from SECRET_KEY.
    digest = hashlib.sha256(b"likeness.api.secret-key:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def new_appid() -> str:
    return str(1_000_000_000 + secrets.randbelow(9_000_000_000))


def new_secret_id() -> str:
    return "AKID" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")


def default_rate_limit() -> int:
    return settings.DEFAULT_RATE_LIMIT_PER_MINUTE


class ApiClient(models.Model):
    """A program allowed to call the APIs, with its signing credentials."""

    name = models.CharField(_("name"), max_length=100)
    appid = models.CharField(
        _("appid"), max_length=20, unique=True, default=new_appid, editable=False
    )
    secret_id = models.CharField(
        _("secret id"), max_length=64, unique=True, default=new_secret_id, editable=False
    )
    secret_key_encrypted = models.TextField(_("secret key encrypted"), editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("rate limit per minute"),
        default=default_rate_limit,
        help_text=_(
            "Requests a minute this credential may make; more are refused with code -2011."
        ),
    )
    is_active = models.BooleanField(_("is active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API credential")
        verbose_name_plural = _("API credentials")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.appid})"

    def set_new_secret_key(self) -> str:
        """Generate a secret key, store it encrypted and return it (the only time it is shown)."""
        secret_key = secrets.token_urlsafe(32)
        self.secret_key_encrypted = _fernet().encrypt(secret_key.encode()).decode()
        return secret_key

    @property
    def secret_key(self) -> str:
        try:
            return _fernet().decrypt(self.secret_key_encrypted.encode()).decode()
        except InvalidToken:
            # SECRET_KEY changed since this credential was made: it cannot verify anything.
            return ""

    def credentials(self, secret_key: str) -> dict[str, str]:
        return {"appid": self.appid, "secret_id": self.secret_id, "secret_key": secret_key}


def new_face_token() -> str:
    return secrets.token_hex(16)


class FaceTokenQuerySet(models.QuerySet["FaceToken"]):
    def expired(self) -> FaceTokenQuerySet:
        return self.filter(expires_at__lte=timezone.now())


class FaceToken(models.Model):
    """A face the dense-landmark API found, which later requests may name instead of a photo."""

    token = models.CharField(
        _("token"), max_length=64, unique=True, default=new_face_token, editable=False
    )
    api_client = models.ForeignKey(
        ApiClient,
        verbose_name=_("api client"),
        on_delete=models.CASCADE,
        related_name="face_tokens",
    )
    face = OrderedJSONField(
        _("face"), help_text=_("The face's landmark (every part) and face_rectangle.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    objects = FaceTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("face token")
        verbose_name_plural = _("face tokens")

    def __str__(self) -> str:
        return self.token
