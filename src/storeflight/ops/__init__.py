"""Operations: Prometheus metrics, the readiness probe, structured request logs and the log scrubber."""
