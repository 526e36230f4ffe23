"""`make demo`: podgate on the bundled example, step by step, with the command of each step.

The example (this folder) is a small cluster: three PodSecurityPolicies (restricted for
everyone, a narrow IPC_LOCK exception for the database, privileged for kube-system), the RBAC
that grants them, a few pods as controllers would create them, and namespaces with workloads
labelled for Pod Security Admission."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PODGATE = Path(sys.executable).with_name("podgate")

STEPS = [
    (
        "1. Are the policies valid, as the API server would check them?",
        ["lint", "examples/policies"],
    ),
    (
        "2. The web pod sets almost nothing: which policy admits it, and what does it fill in?",
        [
            "admit",
            "examples/pods/web.yaml",
            "--policy",
            "examples/policies",
            "--rbac",
            "examples/rbac",
        ],
    ),
    (
        "3. The database needs IPC_LOCK: only its own service account may use the exception.",
        [
            "admit",
            "examples/pods/postgres-0.yaml",
            "--policy",
            "examples/policies",
            "--rbac",
            "examples/rbac",
        ],
    ),
    (
        "4. A privileged debugging pod in an application namespace is denied, with upstream's "
        "message.",
        [
            "admit",
            "examples/pods/debug.yaml",
            "--policy",
            "examples/policies",
            "--rbac",
            "examples/rbac",
        ],
    ),
    (
        "5. Pod Security Standards: every workload at the level its namespace's labels enforce.",
        ["pss", "examples/cluster", "--from-namespace-labels"],
    ),
]


def main() -> int:
    for title, args in STEPS:
        print(f"\n\033[1m{title}\033[0m" if sys.stdout.isatty() else f"\n{title}")
        print(f"$ podgate {shlex.join(args)}")
        sys.stdout.flush()
        done = subprocess.run([str(PODGATE), *args], cwd=ROOT, check=False)
        print(
            f"(exit code {done.returncode}: "
            + {0: "allowed / valid", 1: "denied / violations", 2: "bad input"}.get(
                done.returncode, "?"
            )
            + ")"
        )
    print(
        "\nEach command has --help with more examples; -o json gives the same results for programs."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
