"""`cost-pipeline serve-local`: an embedded, Langfuse-compatible server for offline runs and CI.

It speaks the wire protocols the pipeline depends on (OTLP span ingestion, the v2 observations
and metrics read APIs), keeps data durably in one SQLite file, and exposes fault knobs so the
loader's reliability can be tested against the real thing rather than a mock.
"""
