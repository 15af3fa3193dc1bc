"""The placeholders of a DuckDB statement, found by a small lexer (inline_params.py fills them).

A placeholder is ``?`` (the next value in order), ``$1`` (the first value) or ``$name``; one inside
a string literal (``'...'``, ``E'...'`` with backslash escapes, ``$$...$$`` or ``$tag$...$tag$``),
a quoted identifier or a comment is text. Anything the lexer cannot read for certain is refused
rather than guessed: a value written into the wrong place would change the statement.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["sql", "positional", "numbered", "named"]

_IDENTIFIER_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENTIFIER_CHARS = _IDENTIFIER_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")
_NOT_BEFORE_A_PLACEHOLDER = _IDENTIFIER_CHARS | {"$"}  # a$b and $$ are not placeholders
# Where the lexer has something to decide; it jumps over everything else in one search.
_NEXT_SIGNIFICANT = re.compile(r"""['"?$]|--|/\*""")


class PlaceholderError(ValueError):
    """A statement whose placeholders cannot be told apart from its text for certain."""


def placeholder_tokens(sql: str) -> list[tuple[Kind, str]]:
    """(kind, text) pieces of ``sql``; a placeholder's text is its name or number."""
    tokens: list[tuple[Kind, str]] = []
    start = i = 0
    n = len(sql)

    def flush(end: int) -> None:
        if end > start:
            tokens.append(("sql", sql[start:end]))

    while (found := _NEXT_SIGNIFICANT.search(sql, i)) is not None:
        i = found.start()
        char = sql[i]
        if char == "'" and _escape_prefix_before(sql, i):
            i = _closing_escape_quote(sql, i)
        elif char in "'\"":
            i = _closing_quote(sql, i)
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise PlaceholderError("unterminated /* comment")
            i = end + 2
        elif char == "?":
            flush(i)
            tokens.append(("positional", "?"))
            i = start = i + 1
        elif char == "$" and not (i > 0 and sql[i - 1] in _NOT_BEFORE_A_PLACEHOLDER):
            j = i + 1
            charset = _DIGITS if j < n and sql[j] in _DIGITS else _IDENTIFIER_CHARS
            while j < n and sql[j] in charset:
                j += 1
            if j < n and sql[j] == "$" and charset is _IDENTIFIER_CHARS:
                i = _closing_dollar_quote(sql, sql[i : j + 1], j + 1)  # $$ or $tag$
                continue
            if j == i + 1:
                raise PlaceholderError("a $ that is not $1, $name, $$ or $tag$")
            flush(i)
            tokens.append(("numbered" if charset is _DIGITS else "named", sql[i + 1 : j]))
            i = start = j
        else:
            i += 1
    flush(n)
    return tokens


def _closing_quote(sql: str, opening: int) -> int:
    """Index just past the quote that closes the literal or identifier opened at ``opening``."""
    quote = sql[opening]
    i = opening + 1
    while True:
        end = sql.find(quote, i)
        if end < 0:
            raise PlaceholderError(f"unterminated {quote} in the statement")
        if sql.startswith(quote * 2, end):
            i = end + 2  # a doubled quote is part of the text
            continue
        return end + 1


def _closing_escape_quote(sql: str, opening: int) -> int:
    """Past the end of an E'...' string, where a backslash escapes the character after it."""
    i = opening + 1
    while i < len(sql):
        if sql[i] == "\\" or sql.startswith("''", i):
            i += 2
        elif sql[i] == "'":
            return i + 1
        else:
            i += 1
    raise PlaceholderError("unterminated E'...' string in the statement")


def _closing_dollar_quote(sql: str, tag: str, body: int) -> int:
    end = sql.find(tag, body)
    if end < 0:
        raise PlaceholderError(f"unterminated {tag} string in the statement")
    return end + len(tag)


def _escape_prefix_before(sql: str, quote: int) -> bool:
    """True for the quote of E'...': an E that is a word of its own."""
    e = quote - 1
    return e >= 0 and sql[e] in "eE" and not (e > 0 and sql[e - 1] in _IDENTIFIER_CHARS)
