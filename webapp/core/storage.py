"""The storage of photos and results: a file appears whole under its name, or not at all.

Either a local folder (MEDIA_ROOT, the default) or an S3-compatible bucket
(STORAGE_URL=s3://bucket/prefix): every file the app keeps goes through
Django's storage API, and is served only through the app's views.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage

#: The errors of a write to a full disk (or a full quota).
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})

LOCAL_BACKEND = "webapp.core.storage.AtomicFileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"


def media_storage(
    url: str,
    *,
    endpoint_url: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
    region: str = "",
) -> dict[str, Any]:
    """Return the STORAGES["default"] entry for STORAGE_URL and its companion settings.

    Empty: the local folder. ``s3://bucket/prefix``: private objects in that
    bucket under that prefix, on AWS or, with `endpoint_url`, any S3-compatible
    store (addressed by path, as MinIO and Ceph expect). Without keys, boto3
    finds credentials its usual way (an instance role, ~/.aws...).

    >>> media_storage("")["BACKEND"]
    'webapp.core.storage.AtomicFileSystemStorage'
    >>> options = media_storage("s3://photos/likeness/")["OPTIONS"]
    >>> options["bucket_name"], options["location"], options["default_acl"]
    ('photos', 'likeness', None)
    """
    if not url:
        return {"BACKEND": LOCAL_BACKEND}
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    options: dict[str, Any] = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        # Private objects: no ACL (the bucket's owner only), signed URLs if any
        # are made, and a stored file is never replaced by another of its name.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
        "endpoint_url": endpoint_url or None,
        "access_key": access_key_id or None,
        "secret_key": secret_access_key or None,
        "region_name": region or None,
    }
    if endpoint_url:
        options["addressing_style"] = "path"
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that writes to a temporary name beside the file, then links it in place.

    A write that fails (a full disk, a stopped process...) removes its partial
    file instead of leaving a truncated or 0-byte file under the real name.
    """

    def _save(self, name: str, content: File) -> str:
        partial = f"{name}.{secrets.token_hex(8)}.part"
        try:
            partial = super()._save(partial, content)
            return self._link(partial, name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(partial))

    def _link(self, partial: str, name: str) -> str:
        """Give the written file `name` (another free name if taken); return the name it got."""
        while True:
            try:
                os.link(self.path(partial), self.path(name))
            except FileExistsError:
                name = self.get_available_name(name)
            else:
                return os.path.relpath(self.path(name), self.location).replace("\\", "/")
