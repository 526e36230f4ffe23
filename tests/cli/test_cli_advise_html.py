"""`podgate advise --report -o html`: the advisor's section as a self-contained page."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from podgate.cli.main import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_report_as_html_page() -> None:
    args = ["advise", *(str(EXAMPLES / d) for d in ("cluster", "policies", "rbac"))]
    result = CliRunner().invoke(cli, [*args, "--report", "-o", "html"])
    assert result.exit_code == 0
    page = result.output
    assert page.startswith("<!DOCTYPE html>")
    assert "Which workloads need what" in page
    assert "IPC_LOCK" in page
    assert "kubectl label --overwrite ns shop" in page
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
    denied = CliRunner().invoke(cli, [*args, "-o", "html"])
    assert denied.exit_code == 2
    assert "-o html goes with --report" in denied.output
