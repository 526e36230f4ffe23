"""Build the archive the krew manifest (krew/podgate.yaml) points at, byte for byte the same on
every machine, and print its sha256 for the manifest.

    python krew/build_archive.py dist/    # writes dist/kubectl-podgate_v<version>.tar.gz

The archive holds only the launcher krew/kubectl-podgate (mode 0755): krew cannot install a
Python package, so the launcher runs the podgate that pip or pipx installed."""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "kubectl-podgate"


def archive_bytes() -> bytes:
    """The .tar.gz, reproducible: fixed mtime, owner and mode; no gzip file name or time."""
    data = LAUNCHER.read_bytes()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("kubectl-podgate")
        info.size = len(data)
        info.mode = 0o755
        info.mtime = 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def main(argv: list[str]) -> None:
    from podgate import __version__

    out_dir = Path(argv[0] if argv else "dist")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"kubectl-podgate_v{__version__}.tar.gz"
    data = archive_bytes()
    path.write_bytes(data)
    print(f"{hashlib.sha256(data).hexdigest()}  {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
