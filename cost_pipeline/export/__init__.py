"""Per-partition CSV / Parquet files for BI tools, written atomically under the export root."""
