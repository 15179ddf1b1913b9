"""The probes and the Prometheus endpoint: small, GET only, outside CSRF and sessions."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from .collector import StateCollector
from .health import readiness

logger = logging.getLogger(__name__)


@csrf_exempt
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answers: nothing else is touched (no database, no Redis)."""
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Whether this site can do its work now: 200 when every check passes, else 503."""
    try:
        ready, checks = readiness()
        body = {
            "status": "ok" if ready else "fail",
            "checks": {name: check.as_dict() for name, check in checks.items()},
        }
    except Exception as exc:  # noqa: BLE001  (a probe answers JSON, never an error page)
        logger.exception("Readiness failed")
        ready, body = False, {"status": "fail", "error": type(exc).__name__}
    return JsonResponse(body, status=200 if ready else 503)


@csrf_exempt
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format, for METRICS_TOKEN's bearer or METRICS_ALLOWED_ADDRESSES."""
    refusal = _refusal(request)
    if refusal:
        return HttpResponse(status=refusal)
    registry = CollectorRegistry(auto_describe=False)
    if settings.METRICS_MULTIPROC_DIR:
        # Every web process and worker writes its values there; they are added up here.
        MultiProcessCollector(registry, path=str(settings.METRICS_MULTIPROC_DIR))
    else:
        registry.register(_ThisProcess())
    registry.register(StateCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ThisProcess:
    """This process's own metrics (no PROMETHEUS_MULTIPROC_DIR: one process, as in tests)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def _refusal(request: HttpRequest) -> int:
    """0 if the request may read the metrics; else 403 (a wrong token) or 404."""
    header = request.headers.get("Authorization", "")
    token = settings.METRICS_TOKEN
    if header.startswith("Bearer "):
        given = header.removeprefix("Bearer ").strip()
        if token and hmac.compare_digest(given.encode(), token.encode()):
            return 0
        return 403
    if "x-forwarded-for" in request.headers:
        # Came through a proxy: the proxy's own (loopback) address says nothing of the client.
        return 404
    return 0 if _address_allowed(request.META.get("REMOTE_ADDR", "")) else 404


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for allowed in settings.METRICS_ALLOWED_ADDRESSES:
        try:
            if ip in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False
