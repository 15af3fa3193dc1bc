"""One page of the v2 observations API as raw bytes, plus the cursor that continues it.

The loader parses pages once, in DuckDB. Here we only need the cursor, so instead of decoding a
1 MB body into Python objects we read the small ``meta`` object at its end. A body cut short
never ends in a ``meta`` object, so the same check catches truncated responses, and the leading
``{"data":[`` guarantees the loader a data array. Bodies laid out differently fall back to a full
parse, which also refuses a page without a ``meta`` object; a body cut or corrupted in the
middle is caught when DuckDB parses it.

Only a missing (or null) ``meta.cursor`` ends a listing, as Langfuse sends it on the last page
(``"meta": {}``). Any other cursor that is not a non-empty string is a malformed page, and a
page-numbered ``meta`` with pages left is the v1 API: read as the end, either lost the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard

import orjson

from cost_pipeline.langfuse.errors import InvalidPageError, LangfuseRequestError
from cost_pipeline.langfuse.query import ObservationWindow

# A page as Langfuse serialises it: `{"data":[` ... `"meta":{...}}`; meta holds no nested objects.
_LEADING_DATA = re.compile(rb'^\{\s*"data"\s*:\s*\[')
_TRAILING_META = re.compile(rb'"meta"\s*:\s*(\{[^{}]*\})\s*\}\s*$')
# Only the tail is searched: the meta object is tiny and the body can be megabytes.
_TAIL_BYTES = 4096


@dataclass(frozen=True)
class Page:
    window: ObservationWindow
    request_cursor: str | None  # the cursor this page was requested with (None: first page)
    next_cursor: str | None  # None: the window is exhausted
    body: bytes
    elapsed_s: float = 0.0  # how long the request that returned it took

    @property
    def size(self) -> int:
        return len(self.body)


def next_cursor_of(body: bytes) -> str | None:
    """The ``meta.cursor`` of a page body; raises InvalidPageError for anything but a page."""
    stripped = body.strip()
    if not stripped.startswith(b"{"):
        raise InvalidPageError(f"response is not a JSON object (starts with {stripped[:20]!r})")
    match = _TRAILING_META.search(stripped[-_TAIL_BYTES:])
    if match and _LEADING_DATA.match(stripped):
        try:
            meta = orjson.loads(match.group(1))
        except orjson.JSONDecodeError:
            meta = None
        if isinstance(meta, dict):
            return _cursor_from_meta(meta)
    return _cursor_by_full_parse(stripped)


def _cursor_by_full_parse(body: bytes) -> str | None:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidPageError(f"body is not valid JSON ({exc}); {len(body)} bytes") from exc
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise InvalidPageError("response JSON has no `data` array: not an observations page")
    meta = document.get("meta")
    if not isinstance(meta, dict):
        # Langfuse always sends meta ({} on the last page). Without it there is no telling
        # whether more pages follow, and taking it for the last page would drop the rest.
        found = (
            "missing"
            if "meta" not in document
            else orjson.dumps(meta)[:40].decode("utf-8", "replace")
        )
        raise InvalidPageError(
            f"page has a `data` array but no `meta` object (`meta` is {found}), so it does not "
            "say whether more pages follow; LANGFUSE_BASE_URL must point at Langfuse itself, "
            "not at a proxy or another service that rewrites its responses"
        )
    return _cursor_from_meta(meta)


def _cursor_from_meta(meta: dict[str, object]) -> str | None:
    cursor = meta.get("cursor")
    if cursor is None:
        _refuse_page_numbers(meta)
        return None
    if not isinstance(cursor, str) or not cursor:
        raise InvalidPageError(
            f"meta.cursor is {_kind_of(cursor)}, not a cursor: Langfuse leaves `cursor` out on "
            "the last page, so this page does not say whether more pages follow. "
            "LANGFUSE_BASE_URL must point at Langfuse itself, not at a proxy or another service "
            "that rewrites its responses"
        )
    return cursor


def _kind_of(cursor: object) -> str:
    if isinstance(cursor, str):
        return "an empty string"
    if isinstance(cursor, bool):
        return f"a boolean ({str(cursor).lower()})"
    if isinstance(cursor, int | float):
        return f"a number ({cursor})"
    if isinstance(cursor, dict):
        return "an object"
    if isinstance(cursor, list):
        return "a list"
    return type(cursor).__name__


def _refuse_page_numbers(meta: dict[str, object]) -> None:
    """A cursor-less page numbered like v1's (``page`` of ``totalPages``) with pages left: no
    retry changes that answer, so it fails at once rather than being read as the end."""
    page, total = meta.get("page"), meta.get("totalPages")
    if _whole(page) and _whole(total) and page < total:
        raise LangfuseRequestError(
            f"the server answered with page {page} of {total} and no cursor: it answers like "
            "Langfuse's v1 page-numbered observations API, not the v2 cursor API the loader "
            "reads, so it cannot go on past this page. LANGFUSE_BASE_URL must point at Langfuse "
            "(Cloud, or self-hosted v4+), not at a proxy or an emulation serving v1 pages"
        )


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is no number
