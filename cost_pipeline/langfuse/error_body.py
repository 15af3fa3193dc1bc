"""What a Langfuse error body says, on one line: its message and the details that name the fault.

Langfuse answers a request its validation refuses with ``{"message": "Invalid request data",
"error": [...zod issues...]}``, and other failures with ``{"message": ..., "error": "<Name>"}``
(reference notes, section 4). The message alone ("Invalid request data") does not say which
parameter was wrong; each issue names it in ``path``. The text built here is unscrubbed: the
caller scrubs and clips it (messages.py).
"""

from __future__ import annotations

import html
import re
from typing import Any

_HTML_START = re.compile(r"\s*<(!doctype html|html)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_INVISIBLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def error_text(document: dict[str, Any], budget: int) -> str:
    """``message``, then the issues (``path: message; ...``) or the error's name in brackets.

    Stops adding issues once ``budget`` characters are reached: the caller clips to less, and a
    body listing thousands of issues should cost no more than one listing a few.
    """
    message = str(document["message"])
    error = document.get("error")
    if isinstance(error, list):
        issues = _issues(error, budget - len(message))
        return f"{message}: {issues}" if issues else message
    if isinstance(error, str) and error.strip() and error.lower() not in message.lower():
        return f"{message} ({error})"
    return message


def _issues(issues: list[Any], budget: int) -> str:
    parts: list[str] = []
    used = 0
    for issue in issues:
        if used > budget:
            break
        part = _issue(issue)
        parts.append(part)
        used += len(part) + 2
    return "; ".join(parts)


def _issue(issue: Any) -> str:
    if not isinstance(issue, dict) or "message" not in issue:
        return str(issue)
    path = issue.get("path")
    where = ".".join(str(step) for step in path) if isinstance(path, list) else ""
    return f"{where}: {issue['message']}" if where else str(issue["message"])


def html_text(head: str) -> str | None:
    """A proxy's or gateway's HTML error page, by its title (Cloudflare's names the status and
    host) or else its visible text: pasted as it is, its markup would fill the warning. None
    when ``head`` (the start of a body) is not an HTML page."""
    if not _HTML_START.match(head):
        return None
    if title := _TITLE.search(head):
        return f"an HTML page titled '{_one_line(title.group(1))}'"
    return f"an HTML page: {_one_line(_TAG.sub(' ', _INVISIBLE.sub(' ', head)))}"


def _one_line(text: str) -> str:
    return " ".join(html.unescape(text).split())
