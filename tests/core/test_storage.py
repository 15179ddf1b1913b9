"""The media storage: a file is stored whole under its name, or not at all."""

from __future__ import annotations

import errno
import stat

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from webapp.core.storage import AtomicFileSystemStorage


class DiskFillsUp(ContentFile):
    """A file whose write runs out of disk space after its first chunk."""

    def chunks(self, chunk_size=None):
        yield b"x" * 1000
        raise OSError(errno.ENOSPC, "No space left on device")


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_it_is_the_sites_storage():
    assert isinstance(default_storage, AtomicFileSystemStorage)


def test_a_file_is_stored_whole_and_private(tmp_path, settings):
    storage = AtomicFileSystemStorage(location=tmp_path)
    name = storage.save("photos/a.jpg", ContentFile(b"photo"))
    assert name == "photos/a.jpg"
    assert (tmp_path / name).read_bytes() == b"photo"
    assert _files(tmp_path) == ["photos/a.jpg"]
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == settings.FILE_UPLOAD_PERMISSIONS


def test_a_taken_name_gives_another_name_and_keeps_the_first_file(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    first = storage.save("a.jpg", ContentFile(b"one"))
    second = storage._save("a.jpg", ContentFile(b"two"))  # as if two requests raced
    assert first == "a.jpg" and second != "a.jpg"
    assert (tmp_path / first).read_bytes() == b"one"
    assert (tmp_path / second).read_bytes() == b"two"
    assert len(_files(tmp_path)) == 2


def test_a_write_on_a_full_disk_leaves_no_file(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError) as raised:
        storage.save("photos/a.jpg", DiskFillsUp(b""))
    assert raised.value.errno == errno.ENOSPC
    assert _files(tmp_path) == []
