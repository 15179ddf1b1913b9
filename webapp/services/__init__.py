"""The services, each declared once: what the engine does, who else can do it, how it shows.

Every service is one :class:`Service` in :data:`SERVICES`, written in its own
module of this package (``faceshape``, ``dense``, ``fusion``, ``idphoto``, ``idmake``).
Everything else is derived from that table: the job kinds (``Job.kind``), the
backend each job uses, the worker's warm-up, the command line
(``python -m webapp``) and each result page's part. ``docs/architecture.md``
has the checklist for adding one.
"""

from __future__ import annotations

from . import dense, faceshape, fusion, idmake, idphoto
from .base import Command, Outcome, Page, Request, Service
from .remote import RemoteError

__all__ = ["SERVICES", "Command", "Outcome", "Page", "RemoteError", "Request", "Service"]

SERVICES: dict[str, Service] = {
    service.kind: service
    for service in (
        faceshape.SERVICE,
        dense.SERVICE,
        fusion.SERVICE,
        idphoto.SERVICE,
        idmake.SERVICE,
    )
}


def warm_up() -> None:
    """Load every service's graphs: in a worker that will not fork, before its first job."""
    for load in dict.fromkeys(service.warm_up for service in SERVICES.values()):
        load()
