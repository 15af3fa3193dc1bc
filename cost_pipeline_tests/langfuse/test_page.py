"""The cursor is read from the tail of a page without parsing the body; anything else is refused."""

import orjson
import pytest

from cost_pipeline.langfuse.errors import InvalidPageError, LangfuseRequestError
from cost_pipeline.langfuse.page import next_cursor_of

ROWS = [{"id": f"obs-{i}", "metadata": {"meta": {"cursor": "inside-a-row"}}} for i in range(3)]


def page(meta: dict, data: list | None = None) -> bytes:
    return orjson.dumps({"data": ROWS if data is None else data, "meta": meta})


def test_cursor_from_meta_at_the_end():
    assert next_cursor_of(page({"cursor": "abc=="})) == "abc=="


@pytest.mark.parametrize("meta", [{}, {"cursor": None}])
def test_no_cursor_means_last_page(meta):
    assert next_cursor_of(page(meta)) is None


@pytest.mark.parametrize(
    ("cursor", "shown"),
    [("", "an empty string"), (17, "a number (17)"), ({"next": "c1"}, "an object"), ([], "a list")],
    ids=["empty", "number", "object", "list"],
)
def test_a_cursor_that_is_not_a_non_empty_string_is_an_invalid_page(cursor, shown):
    # Langfuse leaves `cursor` out on the last page: anything else may be more pages, and
    # reading it as the end dropped them (a proxy's "" lost 3,000 of 5,000 rows).
    with pytest.raises(InvalidPageError) as raised:
        next_cursor_of(page({"cursor": cursor}))
    assert f"meta.cursor is {shown}, not a cursor" in str(raised.value)
    assert "LANGFUSE_BASE_URL" in str(raised.value)


def test_a_page_numbered_meta_with_pages_left_is_the_v1_api_not_the_last_page():
    v1_meta = {"page": 1, "limit": 3, "totalItems": 7, "totalPages": 3}
    with pytest.raises(LangfuseRequestError, match="page 1 of 3") as raised:
        next_cursor_of(page(v1_meta))
    assert "v1 page-numbered" in str(raised.value) and "v2 cursor" in str(raised.value)


@pytest.mark.parametrize(
    ("meta", "cursor"),
    [
        ({"page": 3, "totalPages": 3}, None),  # its last page: nothing is left to lose
        ({"page": 1, "totalPages": 3, "cursor": "c2"}, "c2"),  # a cursor says how to go on
    ],
)
def test_page_numbers_beside_a_cursor_or_on_the_last_page_are_harmless(meta, cursor):
    assert next_cursor_of(page(meta)) == cursor


def test_pretty_printed_page_falls_back_to_a_full_parse():
    body = orjson.dumps({"data": ROWS, "meta": {"cursor": "c1"}}, option=orjson.OPT_INDENT_2)
    assert next_cursor_of(body) == "c1"


def test_meta_before_data_falls_back_to_a_full_parse():
    body = b'{"meta": {"cursor": "first"}, "data": []}'
    assert next_cursor_of(body) == "first"


@pytest.mark.parametrize("cut", [10, 200, -3, -1])
def test_truncated_body_is_invalid(cut):
    body = page({"cursor": "abc"})
    with pytest.raises(InvalidPageError):
        next_cursor_of(body[:cut])


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
        b"",
        b'{"message": "Internal Server Error"}',
        b'{"data": {"id": 1}, "meta": {}}',
        b"[1, 2, 3]",
    ],
)
def test_bodies_that_are_not_pages_are_invalid(body):
    with pytest.raises(InvalidPageError):
        next_cursor_of(body)


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (orjson.dumps({"data": ROWS}), "missing"),
        (orjson.dumps({"data": ROWS, "meta": None}), "null"),
        (orjson.dumps({"meta": None, "data": ROWS}), "null"),
        (orjson.dumps({"data": ROWS, "meta": ["c1"]}), '["c1"]'),
        (orjson.dumps({"data": ROWS, "meta": "c1"}), '"c1"'),
    ],
    ids=["missing", "null", "null-first", "array", "string"],
)
def test_a_page_without_a_meta_object_is_invalid_not_the_last_page(body, found):
    # Taking it for the last page would silently drop every page after it.
    with pytest.raises(InvalidPageError, match="no `meta` object") as raised:
        next_cursor_of(body)
    assert f"(`meta` is {found})" in str(raised.value)
    assert "LANGFUSE_BASE_URL" in str(raised.value)
