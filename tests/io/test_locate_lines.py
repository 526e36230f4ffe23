"""The JSON locator's line and column of an offset (io/locate.py) without a list of every line's
start (about 40 bytes a line: 300 MB for a pretty-printed 100,000-pod snapshot): the same
answers as that list gives, at every kind of offset, in texts spanning several 64 KiB blocks."""

from __future__ import annotations

import bisect
import random
import re

from podgate.io.locate import _JsonText


def _reference(text: str, offset: int) -> tuple[int, int]:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def test_line_and_column_are_those_of_a_list_of_every_lines_start() -> None:
    rnd = random.Random(12)
    for size in (0, 1, 7, 1 << 16, (1 << 16) + 1, 200_000):
        text = "".join(rnd.choice('a"\n{') for _ in range(size))
        located = _JsonText(text)
        block_edges = [b + d for b in range(0, size + 1, 1 << 16) for d in (-1, 0, 1)]
        offsets = {0, size, *rnd.sample(range(size + 1), min(size + 1, 50)), *block_edges}
        for offset in sorted(o for o in offsets if 0 <= o <= size):
            assert located.position(offset) == _reference(text, offset), (size, offset)


def test_a_line_longer_than_a_block_is_located_in_every_block_it_spans() -> None:
    text = "a\n" + "x" * 150_000 + "\n" + "y" * 70_000 + "\n\n" + "z" * 200_000
    located = _JsonText(text)
    for offset in (*range(0, len(text) + 1, 9_973), len(text), 65_535, 65_536, 131_072):
        assert located.position(offset) == _reference(text, offset), offset


def test_a_newline_at_a_block_edge_starts_the_next_line_there() -> None:
    text = "x" * ((1 << 16) - 1) + "\n" + "y"
    located = _JsonText(text)
    assert located.position((1 << 16) - 1) == (1, 1 << 16)
    assert located.position(1 << 16) == (2, 1)
