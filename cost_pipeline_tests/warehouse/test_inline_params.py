"""Client-side binding (inline_params.py): a literal reads back as exactly the bound value, and
no value, however hostile, changes the statement around it."""

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import IntEnum, StrEnum

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cost_pipeline.warehouse.inline_params import InlineParamsError, inline, sql_literal

con = duckdb.connect()

texts = st.text(
    st.one_of(
        st.sampled_from(list("'\"\\?$;-/*\x00\n ")), st.characters(exclude_categories=("Cs",))
    )
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    st.dates(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=12, min_value=-(10**20), max_value=10**20
    ),
)


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return repr(a) == repr(b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@settings(max_examples=400, deadline=None)
@given(value=scalars)
def test_a_literal_reads_back_as_exactly_the_value(value):
    (got,) = con.execute(f"select {sql_literal(value)}").fetchone()
    assert same(got, value)
    if value is not None and not isinstance(value, Decimal):
        # ...and as what binding it would give (a Decimal binds as DECIMAL or DOUBLE by size).
        (bound,) = con.execute("select ?", [value]).fetchone()
        assert same(got, bound)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.none(), texts), max_size=5), name=texts)
def test_hostile_text_stays_one_value(values, name):
    rows = con.execute(
        inline(
            'select ?::varchar[] as a, ? as b, \'?\' as c, "$x" as d from (select 1 as "$x")',
            [values, name],
        )
    ).fetchall()
    assert rows == [(values, name, "?", 1)]


numbers = st.one_of(
    st.integers(-(2**63), 2**64 - 1),  # DuckDB binds INTEGER, BIGINT or UBIGINT
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9
    ),
    st.decimals(places=0, min_value=-(10**37), max_value=10**37),  # whole numbers: DECIMAL(w,0)
    st.decimals(places=18, min_value=-1, max_value=1),  # rates per token
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


def outcome(sql: str, params: list) -> object:
    try:
        return con.execute(sql, params).fetchall()
    except duckdb.Error as error:  # e.g. an overflow: the same one either way
        return type(error).__name__


@settings(max_examples=300, deadline=None)
@given(number=numbers, text=texts)
def test_a_literal_binds_as_tightly_as_a_bound_value(number, text):
    # Written without spaces: "10-?" with -5 once read "10--5", 10 and then a comment.
    sql = "select 10-?, -?, typeof(?), ?+?, [?, 0], ?[2:], ?::varchar"
    params = [number, number, number, number, number, number, text, text]
    assert outcome(inline(sql, params), []) == outcome(sql, params)


def test_placeholders_in_literals_identifiers_and_comments_stay_text():
    sql = (
        "select '$.total ? it''s' as \"we\"\"?$ird\", $day as d -- ? $nope\n"
        "/* ? $nope */ , json_extract('{\"a\": 1}', '$.a') as j"
    )
    text = inline(sql, {"day": date(2026, 11, 2)})
    assert text.count("'2026-11-02'::date") == 1
    assert con.execute(text).fetchone() == ("$.total ? it's", date(2026, 11, 2), "1")


def test_dollar_quoted_and_escape_strings_and_numbered_placeholders():
    sql = "select $$it's ? $x$$, $t$ $$ ? $t$, E'a\\'? $x', $2, $1, $1+$2"
    assert con.execute(inline(sql, [1, 2])).fetchone() == ("it's ? $x", " $$ ? ", "a'? $x", 2, 1, 3)


def test_a_value_never_merges_with_the_word_before_it():
    assert con.execute(inline("select 1 limit?", [1])).fetchall() == [(1,)]
    assert con.execute(inline("select 2 between?and?", [1, 3])).fetchone() == (True,)
    # Pasted straight after an "e", a string would be read as an E'...' one, where a backslash
    # escapes: this value would be misread (here the statement no longer parses).
    hostile = "\\' as injected, '"
    sql = inline("select e?", [hostile])
    assert sql == f"select e {sql_literal(hostile)} "
    with pytest.raises(duckdb.CatalogException, match="Type with name e"):
        con.execute(sql)  # a value of a type named e, never an E'...' string


def test_positional_and_named_values_of_every_loader_type():
    moment = datetime(2026, 11, 2, 23, 59, 59, 999000)
    row = con.execute(
        inline(
            "select $ts, $aware, $day, $n, $x, $cost, $flag, $none, $paths, $struct",
            {
                "ts": moment,
                "aware": moment.replace(tzinfo=UTC),
                "day": date(2026, 11, 2),
                "n": 2**62,
                "x": 0.1,
                "cost": Decimal("1.5E-7"),
                "flag": False,
                "none": None,
                "paths": ["/tmp/a'b.json", None],
                "struct": {"model": "m", "input_per_token": Decimal("0.00000015"), "t": None},
            },
        )
    ).fetchone()
    assert row[0] == moment and row[2] == date(2026, 11, 2) and row[3] == 2**62
    assert row[1] - timedelta(0) == moment.replace(tzinfo=UTC)
    assert row[4] == 0.1 and row[5] == Decimal("0.00000015") and row[6] is False
    assert row[7] is None and row[8] == ["/tmp/a'b.json", None]
    assert row[9] == {"model": "m", "input_per_token": Decimal("0.00000015"), "t": None}


@pytest.mark.parametrize(
    ("sql", "params", "problem"),
    [
        ("select ?, ?", [1], "more \\? placeholders"),
        ("select ?", [1, 2], "2 values for 1"),
        ("select $2", [1, 2], "2 values for 1"),
        ("select $3", [1, 2], "no value for \\$3"),
        ("select $a", {"b": 1}, "no value for \\$a"),
        ("select $a", [1], "no value for \\$a"),
        ("select $a", {"a": 1, "b": 2}, "not in the statement"),
        ("select ?", {"a": 1}, "values by name"),
        ("select ?, $1", [1], "more than one kind"),
        ("select $", None, "a \\$ that is not"),
        ("select $$x", None, "unterminated \\$\\$"),
        ("select E'x\\'", None, "unterminated E"),
        ("select 'open", None, "unterminated"),
        ("select /* open", None, "unterminated"),
        ("select ?", [object()], "no SQL literal for a object"),
        ("select ?", [Decimal("NaN")], "no SQL literal"),
        ("select ?", [Decimal("1E+40")], "more than 38 digits"),
        ("select ?", [2**64], "beyond 64 bits"),
        ("select ?", [[1, "a"]], "mixing value types"),
        ("select ?", [{"a\x00": 1}], "NUL"),
    ],
)
def test_what_cannot_be_bound_exactly_is_refused(sql, params, problem):
    with pytest.raises(InlineParamsError, match=problem):
        inline(sql, params)


def test_a_decimal_with_a_positive_exponent_keeps_its_value():
    # DuckDB's own binding reads Decimal("1E+3") as 1.000; the literal is the number.
    assert con.execute(f"select {sql_literal(Decimal('1E+3'))}").fetchone() == (Decimal(1000),)


def test_a_subclass_value_is_written_as_its_plain_value():
    class Colour(IntEnum):
        RED = 1

    class Team(StrEnum):
        ADS = "ads'team"

    sql = inline("select ?, ?, ?", [Colour.RED, Team.ADS, NumpyLikeFloat(1.5)])
    assert con.execute(sql).fetchone() == (1, "ads'team", 1.5)


class NumpyLikeFloat(float):  # as numpy's float64, whose repr names its type
    def __repr__(self) -> str:
        return f"np.float64({float(self)})"
