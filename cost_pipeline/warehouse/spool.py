"""Page bodies spooled to local files, so DuckDB's read_json parses them straight from disk.

The fetching side writes each page once and keeps no copy in memory: memory stays bounded by
the queue of file names, and a batch of pages becomes a single read_json over its files. Only
the page's ``data`` array is written (the cursor is already known), so DuckDB reads each file
as an array of observation records. When that slice proves wrong (page_array.py), the whole
page is put back in its file and read as a document.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cost_pipeline.warehouse.page_array import page_array
from cost_pipeline.warehouse.spool_leftovers import owned_prefix, remove_abandoned_spools


@dataclass(frozen=True)
class SpooledPage:
    path: str
    seq: int  # load-wide fetch order: a later page wins over an earlier copy of the same id
    window_from: datetime
    window_to: datetime
    request_cursor: str | None
    next_cursor: str | None
    size: int
    # Set on the first page of a window that was split (langfuse/windows.py): the children that
    # replace the rest of the window, and where the part this page finished begins (its rows
    # from before that belong to the children).
    children: tuple[tuple[datetime, datetime], ...] = ()
    owned_from: datetime | None = None
    # The page text around a sliced data array (b"" when the file holds a parsed array or the
    # whole body): kept in memory, it is a few hundred bytes, to restore the page if needed.
    cut_head: bytes = field(default=b"", repr=False)
    cut_tail: bytes = field(default=b"", repr=False)

    @property
    def window(self) -> tuple[datetime, datetime]:
        return (self.window_from, self.window_to)


def restore_whole_page(page: SpooledPage) -> bool:
    """Put the text cut off around a sliced page back into its file; False if there was none.

    For a page whose sliced file DuckDB could not parse: it is then read as a whole document,
    so a valid page laid out unusually loads, and a page that is really not JSON stays corrupt.
    """
    if not page.cut_head:
        return False
    path = Path(page.path)
    sliced = path.read_bytes()
    if not sliced.startswith(b"["):
        return False  # already restored (a slice always starts with the data array's `[`)
    path.write_bytes(page.cut_head + sliced + page.cut_tail)
    return True


class PageSpool:
    def __init__(self, parent: str | None = None) -> None:
        folder = Path(parent or tempfile.gettempdir())
        # Folders of loads that were killed before they could remove theirs.
        self.removed_leftovers = remove_abandoned_spools(folder)
        self.directory = Path(tempfile.mkdtemp(prefix=owned_prefix(), dir=folder))

    def write(
        self,
        seq: int,
        body: bytes,
        window: tuple[datetime, datetime],
        request_cursor: str | None,
        next_cursor: str | None,
        *,
        children: tuple[tuple[datetime, datetime], ...] = (),
        owned_from: datetime | None = None,
    ) -> SpooledPage:
        path = self.directory / f"page-{seq:08d}.json"
        array = page_array(body)
        path.write_bytes(array.text)
        return SpooledPage(
            str(path),
            seq,
            window[0],
            window[1],
            request_cursor,
            next_cursor,
            len(body),
            children,
            owned_from,
            array.head,
            array.tail,
        )

    @staticmethod
    def discard(pages: list[SpooledPage]) -> None:
        for page in pages:
            Path(page.path).unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PageSpool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
