"""Operations: the health probes (/healthz, /readyz) and the Prometheus endpoint (/metrics)."""
