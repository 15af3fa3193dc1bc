"""The Dagster code location (``cost_pipeline.definitions:defs``).

Found by ``dagster dev -w workspace.yaml``, plain ``dagster dev`` ([tool.dagster]) and
``dg dev`` ([tool.dg]). The chain, all on one daily partitioning (UTC):

    llm_traffic -> raw_generations -> stg_generations -> spend_by_feature_team -> spend_export

Every asset and check that opens the DuckDB warehouse runs in the ``duckdb_writer`` pool; give
that pool a limit of 1 in the instance's dagster.yaml (``cost-pipeline dev`` writes one).
"""

import dagster as dg

from cost_pipeline.assets.canary import synthetic_traffic_canary
from cost_pipeline.assets.checks import spend_checks
from cost_pipeline.assets.export import spend_export
from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.langfuse_count import langfuse_count
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.assets.traffic import llm_traffic
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.schedules import daily_spend_job, daily_spend_schedule
from cost_pipeline.sensors import wake_stalled_pool_steps
from cost_pipeline.warehouse.resource import WarehouseResource

defs = dg.Definitions(
    assets=[llm_traffic, raw_generations, *sql_model_assets, spend_export],
    asset_checks=[*spend_checks, langfuse_count, synthetic_traffic_canary],
    jobs=[daily_spend_job],
    schedules=[daily_spend_schedule],
    sensors=[wake_stalled_pool_steps],
    resources={"warehouse": WarehouseResource(), "langfuse": LangfuseResource()},
    # Steps share one DuckDB writer pool, so parallel subprocesses would only wait on each
    # other; in-process runs skip a ~1.5 s interpreter start per step.
    executor=dg.in_process_executor,
)
