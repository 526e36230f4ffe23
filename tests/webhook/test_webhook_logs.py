"""One log format for the whole process: standard `logging` records (the Kubernetes sources,
uvicorn, asyncio) become lines of the JSON decision log, keeping their `extra` fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from podgate.webhook.logs import JsonLogger, route_logging


@pytest.fixture
def routed() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    remove = route_logging(JsonLogger(stream))
    yield stream
    remove()


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_warning_keeps_its_err_field_and_says_its_level(routed: io.StringIO) -> None:
    logging.getLogger("podgate.webhook.kube").warning("Watch failed", extra={"err": "boom"})
    (line,) = _lines(routed)
    assert line["msg"] == "Watch failed" and line["err"] == "boom"
    assert (line["level"], line["v"], line["logger"]) == ("warning", 0, "podgate.webhook.kube")


def test_podgates_info_lines_are_not_lost(routed: io.StringIO) -> None:
    logging.getLogger("podgate.webhook.kube").info("Loaded policies", extra={"policies": ["a"]})
    (line,) = _lines(routed)
    assert line["policies"] == ["a"] and "level" not in line


def test_an_exception_becomes_err(routed: io.StringIO) -> None:
    try:
        raise ValueError("bad event")
    except ValueError:
        logging.getLogger("podgate.webhook.kube").exception("Watch handler failed")
    (line,) = _lines(routed)
    assert (line["err"], line["level"]) == ("ValueError: bad event", "error")


def test_other_libraries_below_warning_stay_out(routed: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("asyncio").error("Task exception was never retrieved")
    (line,) = _lines(routed)
    assert (line["logger"], line["level"]) == ("asyncio", "error")


def test_routing_again_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    route_logging(JsonLogger(first))
    remove = route_logging(JsonLogger(second))
    try:
        logging.getLogger("podgate.x").warning("Once")
    finally:
        remove()
    assert first.getvalue() == "" and len(second.getvalue().splitlines()) == 1
