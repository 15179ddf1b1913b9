"""Uploads bounded while they are read: a request's files may not pass the photo limit.

Content-Length is checked before anything is read (by the page upload routes'
middleware and the API's body reader); :class:`LimitedUploadHandler` bounds
what is read whatever Content-Length said, or when a body comes without one.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest

from .limits import max_upload_bytes

#: A multipart body is parsed in chunks this large (Django's own are 64 KB): the
#: parser's per-chunk work made a 1.7 MB phone photo's form cost 2.4 ms, 1.5 ms in
#: 1 MB chunks (the parser takes the smallest chunk of its handlers: all of them).
UPLOAD_CHUNK = 2**20


class MemoryUploadHandler(MemoryFileUploadHandler):
    """Django's in-memory upload handler, reading UPLOAD_CHUNK at a time."""

    chunk_size = UPLOAD_CHUNK


class TemporaryUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file upload handler, reading UPLOAD_CHUNK at a time."""

    chunk_size = UPLOAD_CHUNK


class UploadTooLarge(RequestDataTooBig):
    """A request's files passed `limit` bytes while they were read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the uploaded files pass {limit} bytes")
        self.limit = limit


class LimitedUploadHandler(FileUploadHandler):
    """Stop reading a multipart body once its files pass `limit` bytes (the photo limit).

    Put first in ``request.upload_handlers`` before the body is read
    (:func:`limit_uploads`); it passes every chunk on to the next handlers.
    """

    chunk_size = UPLOAD_CHUNK

    def __init__(self, request: HttpRequest | None = None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes() if limit is None else limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise UploadTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def limit_uploads(request: HttpRequest, limit: int | None = None) -> None:
    """Bound the files `request` will read to `limit` bytes (the photo limit by default)."""
    if not any(isinstance(h, LimitedUploadHandler) for h in request.upload_handlers):
        request.upload_handlers.insert(0, LimitedUploadHandler(request, limit))
