"""Text for a person shows what the input holds and never obeys it: a name read from a manifest
may hold a terminal's control sequences (`"evil\\e[2K\\e[1APASS"`: erase the line, go up, write
PASS) or a bidirectional override, which would rewrite what a terminal or a CI log shows. Every
console podgate writes text through escapes such characters (`k8s.gotext.printable`: `\\x1b`,
`\\u202e`) in what is printed, after its layout, while the styles rich adds stay (cli/common.py's
`say` does the same for a line on standard error). Machine outputs (JSON, SARIF ...) keep the text
as read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook
from rich.segment import Segment

from podgate.k8s.gotext import printable

__all__ = ["text_console"]


class _Shown:
    """A renderable whose text is printed with its non-printable characters escaped."""

    __slots__ = ("renderable",)

    def __init__(self, renderable: ConsoleRenderable) -> None:
        self.renderable = renderable

    def __rich_console__(self, out: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for segment in out.render(self.renderable, options):
            text = segment.text
            if segment.control is None and not text.isprintable():
                shown = printable(text)
                if shown != text:
                    yield Segment(shown, segment.style)
                    continue
            yield segment


class _ShowHook(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Shown(r) for r in renderables]


def text_console(**options: Any) -> Console:
    """A rich Console (`options` as Console takes them) that escapes what it must not obey."""
    out = Console(**options)
    out.push_render_hook(_ShowHook())
    return out
