"""The storage of photos and results: a file appears whole under its name, or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage

#: The errors of a write to a full disk (or a full quota).
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


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
