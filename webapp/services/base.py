"""The shape of a service: what it is given, what it answers, how it shows and runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from django.conf import settings

from webapp.vision import Picture

BACKENDS = ("local", "remote")


@dataclass(frozen=True)
class Request:
    """What a job hands to a service: the photo, the file as uploaded, the options.

    ``picture`` is decoded only as far as the service needs: the engine's
    face finding takes it as it is (a large JPEG is then decoded reduced);
    ``image`` is the whole photo, decoded on first use and kept.
    """

    job_id: str
    picture: Picture
    raw: bytes
    params: dict[str, Any]

    @property
    def image(self) -> np.ndarray:
        """The whole photo, RGB, upright (decoding it the first time)."""
        return self.picture.pixels()


@dataclass(frozen=True)
class Outcome:
    """What a service answers a request with.

    ``body`` is the wire body exactly as the service's API answers it. A
    service that makes an image returns its bytes in ``image`` (kept as the
    job's result file), never inside the body; one that makes two (the made
    ID photo and its print sheet, or a standard and an HD photo) returns the
    second in ``second_image`` (the job's second result file). ``details`` is
    what only the result page needs (what to draw, the failed rules' codes):
    stored beside the body, never sent by the API.
    """

    body: dict[str, Any]
    image: bytes | None = None
    second_image: bytes | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """The service's part of the shared result page."""

    #: The template included in ``photos/result.html``.
    template: str
    #: The context that template needs, from a finished job (a ``photos.models.Job``).
    context: Callable[[Any], dict[str, Any]]
    #: Draw the result over the photo as a PNG (the overlay to download), or None.
    render: Callable[[np.ndarray, dict[str, Any]], bytes] | None = None
    #: Whether the page offers the answer as JSON (a fused image's answer is only a link).
    has_json: bool = True


@dataclass(frozen=True)
class Command:
    """The service's verb of ``python -m webapp``."""

    verb: str
    help: str
    #: Add the verb's arguments to its parser.
    arguments: Callable[[argparse.ArgumentParser], None]
    #: Run the verb; return the exit status (0 when every photo succeeded).
    run: Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Service:
    #: The job kind stored in ``Job.kind`` and used in URLs and settings.
    kind: str
    #: What people call it, in the admin and on pages.
    label: str
    #: ``<PREFIX>_BACKEND`` (local or remote) and ``<PREFIX>_REMOTE_URL``, ``_APPID``,
    #: ``_SECRET_ID``, ``_SECRET_KEY`` in the environment choose who does the work.
    settings_prefix: str
    #: The module of ``webapp.wire`` that knows the service's request and answer format.
    wire: ModuleType
    #: Run the engine on a request.
    local: Callable[[Request], Outcome]
    #: Ask the remote service named in the settings; raise RemoteError for anything that
    #: is neither a success nor one of the format's documented outcomes (such as no face).
    remote: Callable[[Request], Outcome]
    #: Whether a stored body is a result worth drawing.
    succeeded: Callable[[dict[str, Any]], bool]
    page: Page
    command: Command
    #: Load the engine's graphs this service needs, in a worker before its first job.
    warm_up: Callable[[], None]

    @property
    def backend(self) -> str:
        """``local`` or ``remote``, from the environment read by the settings."""
        return settings.SERVICE_ENV.get(f"{self.settings_prefix}_BACKEND") or "local"

    def remote_settings(self) -> dict[str, str]:
        """The remote service's ``URL``, ``APPID``, ``SECRET_ID`` and ``SECRET_KEY``."""
        return {
            key: settings.SERVICE_ENV.get(f"{self.settings_prefix}_REMOTE_{key}", "")
            for key in ("URL", "APPID", "SECRET_ID", "SECRET_KEY")
        }

    def run(self, backend: str, request: Request) -> Outcome:
        return self.remote(request) if backend == "remote" else self.local(request)
