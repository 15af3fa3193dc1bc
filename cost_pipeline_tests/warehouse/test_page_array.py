"""Spooled pages hold only their data array: sliced without a copy, or re-encoded when odd."""

import orjson
import pytest

from cost_pipeline.warehouse.page_array import data_array


@pytest.mark.parametrize(
    "body",
    [
        b'{"data":[{"a":1},{"b":[2,{"c":"]"}]}],"meta":{"cursor":"x"}}',
        b'{"data":[],"meta":{}}',
        b'{"data":[ {"a":1} ] ,\n "meta" : {} }\n',
    ],
)
def test_the_usual_layout_is_sliced_in_place(body):
    array = data_array(body)
    assert isinstance(array, memoryview)
    assert orjson.loads(bytes(array)) == orjson.loads(body)["data"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"meta":{"cursor":"x"},"data":[{"a":1}]}',  # meta first
        b'{"data":[1,"two",null],"meta":{}}',  # elements that are not objects
        b'{"data":[{"a":1}],"extra":{"k":1},"meta":{}}',  # another key before meta
    ],
)
def test_other_layouts_are_re_encoded_from_a_full_parse(body):
    assert orjson.loads(bytes(data_array(body))) == orjson.loads(body)["data"]


def test_a_body_that_is_not_a_page_is_kept_for_the_page_check_to_report():
    assert data_array(b'{"data":[{"a":1},') == b'{"data":[{"a":1},'
    assert data_array(b'{"items":[]}') == b'{"items":[]}'
