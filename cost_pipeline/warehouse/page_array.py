"""Cut the ``data`` array out of a v2 observations page, so DuckDB reads it as records.

A page is ``{"data":[ ... ],"meta":{...}}``. Reading the array as an array of records is about
twice as fast as reading the page as one document and unnesting its list, so the spool writes
only the array. The common layout is sliced without copying or parsing; anything else (another
key between data and meta, a last element that is not an object) takes a full parse, and a body
that does not parse is kept as it is, for the page check to report as corrupt.
"""

from __future__ import annotations

import re

import orjson

_LEADING_DATA = re.compile(rb'^\{\s*"data"\s*:\s*\[')
# The array closes right before `,"meta":{...}}`, after an object (or at once when empty).
_DATA_END = re.compile(rb'[}\[]\s*(\])\s*,\s*"meta"\s*:\s*\{[^{}]*\}\s*\}\s*$')
# Only the tail is searched: the meta object is tiny and a body can be megabytes.
_TAIL_BYTES = 4096


def data_array(body: bytes) -> bytes | memoryview:
    """The page's ``data`` array as JSON text (a view into ``body`` when possible)."""
    lead = _LEADING_DATA.match(body)
    tail = _DATA_END.search(body, max(0, len(body) - _TAIL_BYTES))
    if lead is not None and tail is not None:
        return memoryview(body)[lead.end() - 1 : tail.end(1)]
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        return orjson.dumps(document["data"])
    return body
