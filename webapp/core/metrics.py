"""The counters and histograms the web processes and workers record (Prometheus).

Each process records into its own values; with ``PROMETHEUS_MULTIPROC_DIR`` set
(``manage.py serve`` sets it to a folder in DATA_DIR, emptied at each start)
every process writes them to files there, and ``/metrics`` (webapp.ops) adds
them up. Without it, as in tests, they live in this process only. Labels hold
only names and codes, never anything of a person.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

#: Request and job durations, in seconds: from a cheap failure to a slow fusion.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
#: Time a job waits in its queue, in seconds.
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

API_REQUESTS = Counter(
    "likeness_api_requests",
    "API requests answered, by API path, wire code and HTTP status.",
    ["api", "code", "status"],
)
API_LATENCY = Histogram(
    "likeness_api_request_duration_seconds",
    "Time to answer an API request, by API path and HTTP status.",
    ["api", "status"],
    buckets=DURATION_BUCKETS,
)
JOBS = Counter(
    "likeness_jobs",
    "Jobs finished, by service, outcome (done or failed) and error code.",
    ["service", "outcome", "error_code"],
)
JOB_RUN_TIME = Histogram(
    "likeness_job_run_duration_seconds",
    "Time a job ran in a worker, by service and outcome.",
    ["service", "outcome"],
    buckets=DURATION_BUCKETS,
)
JOB_QUEUE_WAIT = Histogram(
    "likeness_job_queue_wait_seconds",
    "Time from a job's creation to the start of its (last) run, by service.",
    ["service"],
    buckets=WAIT_BUCKETS,
)


def wire_code(body: dict[str, Any] | str) -> str:
    """The code a wire answer carries: `code`, `ret`, or the name in Face++'s `error_message`.

    >>> wire_code({"code": -1001, "message": "..."}), wire_code({"ret": 0, "img_url": ""})
    ('-1001', '0')
    >>> wire_code({"error_message": "MISSING_ARGUMENTS: api_key"}), wire_code({"face": []})
    ('MISSING_ARGUMENTS', '')
    """
    if not isinstance(body, dict):
        return ""
    for key in ("code", "ret"):
        if key in body:
            return str(body[key])[:40]
    message = body.get("error_message")
    if isinstance(message, str):
        return message.split(":", 1)[0][:40]
    return ""


def record_api_answer(api: str, body: dict[str, Any] | str, status: int, seconds: float) -> None:
    API_REQUESTS.labels(api=api, code=wire_code(body), status=str(status)).inc()
    API_LATENCY.labels(api=api, status=str(status)).observe(seconds)


def record_job(
    service: str,
    outcome: str,
    error_code: str,
    run_seconds: float | None,
    wait_seconds: float | None,
) -> None:
    JOBS.labels(service=service, outcome=outcome, error_code=error_code).inc()
    if run_seconds is not None:
        JOB_RUN_TIME.labels(service=service, outcome=outcome).observe(max(0.0, run_seconds))
    if wait_seconds is not None:
        JOB_QUEUE_WAIT.labels(service=service).observe(max(0.0, wait_seconds))
