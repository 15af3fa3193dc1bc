"""Valid pages that only look like the usual layout load whole; pages that are not JSON do not.

The spool slices ``data`` out by its first ``[`` and the ``]`` before ``,"meta"``. Another
top-level array key between the two ends the same way, so the slice is wrong; the loader must
then read the whole page, not report it as "not valid JSON" (which refetching never fixes).
"""

from datetime import timedelta

import orjson
import pytest

from cost_pipeline_tests.warehouse.observations import observation, page_bytes
from cost_pipeline_tests.warehouse.staging import DAY

START = DAY + timedelta(hours=9)


def rows(prefix: str, count: int = 3) -> list[dict]:
    return [observation(f"{prefix}-{i}", START + timedelta(seconds=i)) for i in range(count)]


def extra_key_page(data: list[dict], extra: object, option: int = 0) -> bytes:
    """A page with a top-level key between data and meta (dicts keep insertion order)."""
    return orjson.dumps({"data": data, "warnings": extra, "meta": {"cursor": "c2"}}, option=option)


@pytest.mark.parametrize(
    "body",
    [
        extra_key_page(rows("p"), [{"code": "deprecated"}]),
        extra_key_page(rows("p"), []),
        extra_key_page(rows("p"), [{"code": "deprecated"}], orjson.OPT_INDENT_2),
        # an extra key whose array holds rows too must not add them
        extra_key_page(rows("p"), [observation("not-data", START)]),
    ],
    ids=["array-of-objects", "empty-array", "pretty-printed", "array-of-observations"],
)
def test_a_valid_page_with_an_extra_array_key_loads_each_row_once(stager, body):
    staged, staged_rows = stager.stage([body])
    assert staged.corrupt == []
    assert [row["id"] for row in staged_rows] == ["p-0", "p-1", "p-2"]
    assert all(row["reject_reason"] is None for row in staged_rows)


def test_in_a_batch_only_the_page_that_is_not_json_is_corrupt(stager):
    usual = page_bytes(rows("usual"), "c1")
    unusual = extra_key_page(rows("unusual"), [{"code": "deprecated"}])
    whole = page_bytes(rows("garbled"))
    garbled = whole[:200] + b'"broken' + whole[200:]  # start and end intact: sliced as usual
    staged, staged_rows = stager.stage([usual, unusual, garbled])
    assert [page.seq for page in staged.corrupt] == [3]
    ids = [row["id"] for row in staged_rows]
    assert ids == [f"{prefix}-{i}" for prefix in ("usual", "unusual") for i in range(3)]
