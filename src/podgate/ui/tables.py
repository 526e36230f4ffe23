"""Tables as values: every table of the UI is built here once, then rendered as HTML (sortable,
filterable, without JavaScript through links and a GET form), or as CSV. Sorting and filtering
by the query string happen on the server, so a filtered, sorted view is a URL to share; the
page's script does the same in the browser without a round trip."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    href: str | None = None
    cls: str = ""  # CSS classes (sev high, level restricted, state expired ...)
    sort: str | int | None = None  # sort key, when not the text
    code: bool = False
    items: tuple[str, ...] = ()  # a list inside the cell (the text is their CSV form)
    badge: bool = False  # the text as a badge of class `cls` (severities)

    @property
    def key(self) -> tuple[int, str | int]:
        value = self.text if self.sort is None else self.sort
        return (0, value) if isinstance(value, int) else (1, value.lower())


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[Cell, ...]
    facets: Mapping[str, str] = field(default_factory=dict)  # filter key -> value
    cls: str = ""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str


@dataclass(frozen=True, slots=True)
class Filter:
    key: str
    title: str
    options: tuple[tuple[str, str], ...]  # (value, label)


@dataclass(frozen=True, slots=True)
class Table:
    id: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    filters: tuple[Filter, ...] = ()
    empty: str = "Nothing to show."
    sort: str = ""  # the column sorted by (from the query)
    desc: bool = False
    query: Mapping[str, str] = field(default_factory=dict)  # active filters
    total: int = 0  # rows before filtering

    def param(self, name: str) -> str:
        return f"{self.id}.{name}"

    def apply(self, params: Mapping[str, str]) -> Table:
        """The table filtered and sorted by the query string (`<id>.q`, `<id>.<facet>`,
        `<id>.sort`, `<id>.dir`)."""
        query = {
            f.key: params[self.param(f.key)] for f in self.filters if params.get(self.param(f.key))
        }
        text = params.get(self.param("q"), "").strip().lower()
        if text:
            query["q"] = text
        rows = [
            r
            for r in self.rows
            if all(r.facets.get(k) == v for k, v in query.items() if k != "q")
            and (not text or text in " ".join(c.text for c in r.cells).lower())
        ]
        sort = params.get(self.param("sort"), "")
        desc = params.get(self.param("dir")) == "desc"
        keys = [c.key for c in self.columns]
        if sort in keys:
            i = keys.index(sort)
            rows.sort(key=lambda r: r.cells[i].key, reverse=desc)
        else:
            sort = ""
        return replace(
            self, rows=tuple(rows), sort=sort, desc=desc, query=query, total=len(self.rows)
        )

    def sort_link(self, key: str, params: Mapping[str, str]) -> str:
        """The query string that sorts by `key` (the other way when already sorted by it)."""
        desc = self.sort == key and not self.desc
        kept = {k: v for k, v in params.items() if k not in (self.param("sort"), self.param("dir"))}
        kept[self.param("sort")] = key
        kept[self.param("dir")] = "desc" if desc else "asc"
        return encode(kept)

    def csv_link(self, params: Mapping[str, str]) -> str:
        return encode({**params, "format": "csv", "table": self.id})

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.title for c in self.columns])
        for r in self.rows:
            writer.writerow([_csv_safe(c.text) for c in r.cells])
        return out.getvalue()


def _csv_safe(text: str) -> str:
    """A cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def encode(params: Mapping[str, str]) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(sorted((k, v) for k, v in params.items() if v))


def options(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((v, v or "(none)") for v in sorted(set(values)))
