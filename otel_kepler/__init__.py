"""otel-kepler: per-workload energy as OpenTelemetry metrics."""

__version__ = "0.1.0"
