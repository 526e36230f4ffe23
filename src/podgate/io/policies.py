"""Reading PodSecurityPolicies and RBAC objects: files, directories, stdin and the bundled
library (`builtin:privileged`, `builtin:baseline`, `builtin:restricted`)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

from podgate.errors import LoadError
from podgate.io.loader import Document, load_documents, load_text

BUILTIN_PREFIX = "builtin:"
PSP_API_VERSIONS = ("policy/v1beta1", "extensions/v1beta1")
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")


def builtin_names() -> list[str]:
    files = resources.files("podgate.library")
    return sorted(f.name[:-5] for f in files.iterdir() if f.name.endswith(".yaml"))


def _builtin(spec: str) -> list[Document]:
    name = spec[len(BUILTIN_PREFIX) :]
    if name not in builtin_names():
        known = ", ".join(BUILTIN_PREFIX + n for n in builtin_names())
        raise LoadError(f"no builtin policy {name!r} (known: {known})", file=spec)
    text = resources.files("podgate.library").joinpath(f"{name}.yaml").read_text("utf-8")
    return list(load_text(text, spec))


def is_policy(doc: Document) -> bool:
    return doc.obj.get("kind") == "PodSecurityPolicy"


def load_policies(paths: Iterable[str], *, max_bytes: int) -> list[Document]:
    """Every PodSecurityPolicy in `paths` (files, directories, `-`, `builtin:NAME`). Other kinds
    are skipped; a path that holds no policy at all is an error."""
    out: list[Document] = []
    for path in paths:
        docs = (
            _builtin(path)
            if path.startswith(BUILTIN_PREFIX)
            else load_documents([path], max_bytes=max_bytes)
        )
        found = [d for d in docs if is_policy(d)]
        if not found:
            raise LoadError("no PodSecurityPolicy found", file=path)
        for d in found:
            api = d.obj.get("apiVersion")
            if api not in PSP_API_VERSIONS:
                raise LoadError(
                    f"apiVersion {api!r} is not a PodSecurityPolicy API "
                    f"(expected {' or '.join(PSP_API_VERSIONS)})",
                    file=d.file,
                    document=d.index,
                    line=d.line,
                )
        out.extend(found)
    return out


def load_rbac(paths: Iterable[str], *, max_bytes: int) -> list[Document]:
    """Every Role, ClusterRole, RoleBinding and ClusterRoleBinding in `paths`."""
    docs = load_documents(paths, max_bytes=max_bytes)
    return [d for d in docs if d.obj.get("kind") in RBAC_KINDS]
