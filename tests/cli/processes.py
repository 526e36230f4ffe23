"""podgate run as its own process (`PODGATE`), and the privileged pods the tests of how that
process ends feed it (`privileged_pods`)."""

from __future__ import annotations

import sys
from pathlib import Path

PODGATE = [sys.executable, "-c", "from podgate.cli.main import main; main()"]


def privileged_pods(path: Path, count: int, namespace: str | None = None) -> Path:
    """`path`, written with `count` privileged pods `web-0`, `web-1`, ... (in `namespace`)."""
    where = f"\n  namespace: {namespace}" if namespace is not None else ""
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{i}" + where + "\nspec:\n"
        "  containers:\n    - name: app\n      image: nginx\n"
        "      securityContext:\n        privileged: true\n"
    )
    path.write_text("---\n".join(pod.format(i=i) for i in range(count)))
    return path
