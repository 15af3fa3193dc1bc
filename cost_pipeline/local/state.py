"""Everything a request handler needs, hung on ``app.state.server``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cost_pipeline.local.config import ServerConfig
from cost_pipeline.local.faults import FaultEngine
from cost_pipeline.local.ingest_pool import IngestPool
from cost_pipeline.local.stats import Stats
from cost_pipeline.local.store import Store


@dataclass
class ServerState:
    config: ServerConfig
    store: Store
    faults: FaultEngine
    stats: Stats
    ingest_pool: IngestPool
    simulator_knobs: Any = None  # cost_pipeline.local.simulator.knobs once that module exists
