"""Cut the ``data`` array out of a v2 observations page, so DuckDB reads it as records.

A page is ``{"data":[ ... ],"meta":{...}}``. Reading the array as an array of records is about
twice as fast as reading the page as one document and unnesting its list, so the spool writes
only the array. The common layout is sliced without copying or parsing; anything else (a last
element that is not an object, meta not last) takes a full parse, and a body that does not
parse is kept as it is, for the page check to report as corrupt.

The slice is a guess: another top-level key between ``data`` and ``meta`` whose value is an
array of objects ends just like the data array. But text that starts at data's ``[`` and parses
as one JSON value can only be the data array, so a wrong slice is never valid JSON, and DuckDB,
which parses every page file anyway, rejects it. The bytes cut off are kept, so that the loader
can then put the whole page back and read it as a document (spool.restore_whole_page) instead
of this module parsing every normal page a second time (~80x the cost of the slice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

_LEADING_DATA = re.compile(rb'^\{\s*"data"\s*:\s*\[')
# The array closes right before `,"meta":{...}}`, after an object (or at once when empty).
_DATA_END = re.compile(rb'[}\[]\s*(\])\s*,\s*"meta"\s*:\s*\{[^{}]*\}\s*\}\s*$')
# Only the tail is searched: the meta object is tiny and a body can be megabytes.
_TAIL_BYTES = 4096


@dataclass(frozen=True)
class PageArray:
    """What the spool writes for a page, and what a slice cut off (``b""`` when not sliced)."""

    text: bytes | memoryview
    head: bytes = b""  # the body before the slice: `{"data":`
    tail: bytes = b""  # the body after it: `,"meta":{...}}`


def page_array(body: bytes) -> PageArray:
    """The page's ``data`` array as JSON text (a view into ``body`` when sliced)."""
    lead = _LEADING_DATA.match(body)
    tail = _DATA_END.search(body, max(0, len(body) - _TAIL_BYTES))
    if lead is not None and tail is not None:
        start, end = lead.end() - 1, tail.end(1)
        return PageArray(memoryview(body)[start:end], body[:start], body[end:])
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return PageArray(body)
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        return PageArray(orjson.dumps(document["data"]))
    return PageArray(body)


def data_array(body: bytes) -> bytes | memoryview:
    """Just the text of ``page_array(body)``."""
    return page_array(body).text
