"""After corrupt pages a load starts again from its committed checkpoints. A window's cursor that
the load has not moved past is still the one an earlier load saved: Langfuse refusing it is
healed by reading the window from its start (ingest_fetch.py). A cursor committed in this load
is one Langfuse handed out minutes ago: refusing it is a fault the load reports."""

from datetime import datetime

from cost_pipeline.assets.ingest_load import _open_windows
from cost_pipeline.warehouse.plan import RESUMED, LoadPlan, WindowTask
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.schema import ensure_schema
from cost_pipeline.warehouse.state import (
    ZERO_COUNTERS,
    WindowProgress,
    record_checkpoint,
    start_load,
)

DAY = datetime(2026, 11, 20)
NOON, EVENING, END = datetime(2026, 11, 20, 12), datetime(2026, 11, 20, 18), datetime(2026, 11, 21)
NOW = datetime(2026, 11, 22)


def test_only_a_cursor_not_moved_past_in_this_load_counts_as_saved_earlier(tmp_path):
    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    windows = [(EVENING, END), (NOON, EVENING), (DAY, NOON)]
    with warehouse.get_connection(read_only=False) as conn:
        ensure_schema(conn)
        start_load(conn, DAY.date(), "full", windows, NOW)
        # What the earlier load checkpointed for each window.
        earlier = [WindowProgress(EVENING, "old-1", 1), WindowProgress(NOON, "old-2", 1)]
        record_checkpoint(conn, DAY.date(), earlier, ZERO_COUNTERS, None, NOW)
    plan = LoadPlan(
        DAY.date(),
        RESUMED,
        (
            WindowTask(EVENING, END, "old-1", cursor_saved_earlier=True),
            WindowTask(NOON, EVENING, "old-2", cursor_saved_earlier=True),
            WindowTask(DAY, NOON),
        ),
    )
    with warehouse.get_connection(read_only=False) as conn:
        # This load committed a page of the middle window before the corrupt one.
        moved = [WindowProgress(NOON, "new-2", 1)]
        record_checkpoint(conn, DAY.date(), moved, ZERO_COUNTERS, None, NOW)

    assert _open_windows(warehouse, plan) == (
        WindowTask(EVENING, END, "old-1", cursor_saved_earlier=True),
        WindowTask(NOON, EVENING, "new-2", cursor_saved_earlier=False),
        WindowTask(DAY, NOON),
    )
