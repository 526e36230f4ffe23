"""A character YAML does not allow (a control character such as NUL) is refused on one line
that names the file, the document and the line, as every other YAML error is (PyYAML's
ReaderError spans two lines and names a byte offset instead)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunScan


def test_a_control_character_is_refused_on_one_line_naming_its_line(
    tmp_path: Path, run_scan: RunScan
) -> None:
    path = tmp_path / "pod.yaml"
    # two-byte characters before it: the line is counted in characters, not bytes
    path.write_bytes(
        b"apiVersion: v1\nkind: Pod\nmetadata: {name: \xc3\xa9\xc3\xa9}\n"
        b"spec:\n  containers: [{name: c\x00}]\n"
    )
    ran = run_scan(str(path))
    assert ran.exit_code == 2
    assert ran.stderr == (
        f"podgate: error: {path}: document 0 (line 5): invalid YAML: unacceptable character "
        "#x0000: control characters are not allowed\n"
    )
