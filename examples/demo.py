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

OUT = ROOT / "out"

STEPS = [
    (
        "1. Scan the example cluster: readiness first, then risk per category, each workload's "
        "Pod Security Standards level and PodSecurityPolicy outcome, who may use which policy, "
        "and the accepted risks.",
        [
            "scan",
            "examples/cluster",
            "examples/policies",
            "examples/rbac",
            "--exceptions",
            "examples/exceptions.yaml",
        ],
    ),
    (
        "2. The same scan as a self-contained HTML report (charts, a sortable table).",
        [
            "scan",
            "examples/cluster",
            "examples/policies",
            "examples/rbac",
            "--exceptions",
            "examples/exceptions.yaml",
            "-o",
            "html",
            "--output-file",
            str(OUT / "podgate-report.html"),
            "--quiet",
        ],
    ),
    (
        "3. One pod through PodSecurityPolicy admission: which policy admits the web pod, and "
        "what does it fill in?",
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
        "4. A privileged debugging pod is denied, with upstream's message.",
        [
            "admit",
            "examples/pods/debug.yaml",
            "--policy",
            "examples/policies",
            "--rbac",
            "examples/rbac",
        ],
    ),
]


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for title, args in STEPS:
        print(f"\n\033[1m{title}\033[0m" if sys.stdout.isatty() else f"\n{title}")
        print(f"$ podgate {shlex.join(args)}")
        sys.stdout.flush()
        done = subprocess.run([str(PODGATE), *args], cwd=ROOT, check=False)
        meaning = {0: "allowed / nothing failing", 1: "denied / findings", 2: "bad input"}
        print(f"(exit code {done.returncode}: {meaning.get(done.returncode, '?')})")
    report = OUT / "podgate-report.html"
    if report.exists():
        print(f"\nHTML report written to {report} (open it in a browser; it needs no network).")
    print(
        "Each command has --help with more examples; -o json gives the same results for programs."
    )
    print(
        "\nThe same example in the web UI (who may use which policy, what breaks before you "
        "switch anything):\n"
        "  .venv/bin/podgate ui examples/cluster examples/policies examples/rbac "
        "--exceptions examples/exceptions.yaml\n"
        "then open the URL it prints (with its token); Ctrl-C stops it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
