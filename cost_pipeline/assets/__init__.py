"""Dagster assets and checks, one module per asset family (ingest, traffic, models, export)."""
