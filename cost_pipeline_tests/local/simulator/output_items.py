"""What a Responses event stream says about its output items, for the simulator's tests."""

from __future__ import annotations

from typing import Any


def output_item_events(events: list[Any]) -> list[tuple[str, int, str]]:
    """(event type, output index, item type) of each ``response.output_item.*`` event."""
    return [
        (event.type, event.output_index, event.item.type)
        for event in events
        if event.type.startswith("response.output_item.")
    ]
