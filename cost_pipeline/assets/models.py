"""The dbt-style SQL models as Dagster assets: one asset per file under dbt_style_sql/.

``stg_generations`` (attribution, token classes, cost per generation) and
``spend_by_feature_team`` (the daily mart) today; any new ``.sql`` file joins them on reload.
"""

from __future__ import annotations

from cost_pipeline.sql import build_sql_assets

sql_model_assets = build_sql_assets()
