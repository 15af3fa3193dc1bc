"""Pre-encode an observation into the JSON fragments a v2 page is assembled from.

Encoding happens once, at ingestion. Each field group of the v2 API is stored as a ready-made
JSON fragment with a leading comma (``,"name":"x","level":"DEFAULT"``), so serving a page is
string concatenation inside SQLite instead of building and serialising a dict per row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

# Field groups of GET /api/public/v2/observations and the keys each contributes. The order is
# the storage order: the loader's groups are adjacent, so its page reads one contiguous slice.
# "prices" is the "always" group: real values only when the model group is requested, nulls
# otherwise; "metrics" is always served.
GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "core": ("id", "traceId", "startTime", "endTime", "projectId", "parentObservationId", "type"),
    "basic": (
        "name",
        "level",
        "statusMessage",
        "version",
        "environment",
        "bookmarked",
        "public",
        "userId",
        "sessionId",
        "isRootObservation",
    ),
    "time": ("completionStartTime", "createdAt", "updatedAt"),
    "model": ("model", "internalModelId", "modelParameters"),
    "usage": (
        "usageDetails",
        "inputUsage",
        "outputUsage",
        "totalUsage",
        "costDetails",
        "inputCost",
        "outputCost",
        "totalCost",
        "usagePricingTierId",
        "usagePricingTierName",
    ),
    "trace_context": ("tags", "release", "traceName"),
    "metrics": ("latency", "timeToFirstToken"),
    "prices": ("modelId", "inputPrice", "outputPrice", "totalPrice"),
    "prompt": ("promptId", "promptName", "promptVersion"),
    "io": ("input", "output"),
}
FRAGMENT_GROUPS: tuple[str, ...] = tuple(GROUP_KEYS)
# io can be megabytes, so it gets its own column; the rest share one blob, sliced per group.
SLICED_GROUPS: tuple[str, ...] = tuple(group for group in GROUP_KEYS if group != "io")
KNOWN_KEYS: frozenset[str] = frozenset(k for keys in GROUP_KEYS.values() for k in keys) | {
    "metadata"
}
NULL_PRICES: bytes = b',"modelId":null,"inputPrice":null,"outputPrice":null,"totalPrice":null'

METADATA_VALUE_LIMIT = 200  # characters per metadata value unless expandMetadata names the key


Groups = dict[str, dict[str, Any]]  # group name -> {API key: value}, keys in GROUP_KEYS order


def split_groups(values: Mapping[str, Any]) -> Groups:
    """A flat v2 observation object -> its field groups (keys it lacks stay absent)."""
    return {
        group: {key: values[key] for key in keys if key in values}
        for group, keys in GROUP_KEYS.items()
    }


def dumps(value: Any) -> bytes:
    """JSON bytes of ``value``; integers beyond orjson's 64 bits (a client's absurd usage, or a
    total of such counts) are written exactly as well, so the span is stored, not refused."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode()


def _encoded(group: dict[str, Any] | None) -> bytes:
    return b"," + dumps(group)[1:-1] if group else b""


def encode_groups(groups: Groups) -> tuple[bytes, list[int], bytes]:
    """(every group but io, concatenated in GROUP_KEYS order; each group's length; io)."""
    parts = [_encoded(groups.get(group)) for group in SLICED_GROUPS]
    return b"".join(parts), [len(part) for part in parts], _encoded(groups.get("io"))


def extra_fragment(values: Mapping[str, Any]) -> bytes:
    """Keys outside every group (only injected rows have them): served with the core group."""
    extra = {key: value for key, value in values.items() if key not in KNOWN_KEYS}
    return b"," + dumps(extra)[1:-1] if extra else b""


def truncate_metadata(metadata: Mapping[str, Any]) -> dict[str, Any] | None:
    """Metadata as the API shows it by default, or None when no value needs truncating.

    Langfuse stores each top-level value as a string (non-strings JSON-encoded) and cuts it at
    200 characters; a cut value is no longer valid JSON, so it is returned as the cut string.
    """
    truncated: dict[str, Any] | None = None
    for key, value in metadata.items():
        if type(value) is str:
            if len(value) <= METADATA_VALUE_LIMIT:
                continue
            text = value
        elif isinstance(value, dict | list):
            text = dumps(value).decode()
        else:
            continue
        if len(text) > METADATA_VALUE_LIMIT:
            if truncated is None:
                truncated = dict(metadata)
            truncated[key] = text[:METADATA_VALUE_LIMIT]
    return truncated


def encode_metadata(metadata: Any, *, truncate: bool = True) -> tuple[bytes, bytes | None]:
    """(metadata as served by default, full values of the truncated keys or None) as JSON."""
    if truncate and isinstance(metadata, dict):
        cut = truncate_metadata(metadata)
        if cut is not None:
            overrides = {
                key: metadata[key] for key, value in cut.items() if value is not metadata[key]
            }
            return dumps(cut), dumps(overrides)
    return dumps(metadata), None
