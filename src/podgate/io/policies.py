"""Reading PodSecurityPolicies and RBAC objects: files, directories, stdin and the bundled
library (`builtin:privileged`, `builtin:baseline`, `builtin:restricted`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from podgate.errors import LoadError
from podgate.io.loader import Document, load_documents, load_text
from podgate.psp.policy import is_policy, not_a_policy
from podgate.rbac import Authorizer, ObjectError

BUILTIN_PREFIX = "builtin:"
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")


def builtin_names() -> list[str]:
    from importlib import resources  # (and tempfile: not for `scan` without builtin:)

    files = resources.files("podgate.library")
    return sorted(f.name[:-5] for f in files.iterdir() if f.name.endswith(".yaml"))


def _builtin(spec: str) -> list[Document]:
    name = spec[len(BUILTIN_PREFIX) :]
    if name not in builtin_names():
        known = ", ".join(BUILTIN_PREFIX + n for n in builtin_names())
        raise LoadError(f"no builtin policy {name!r} (known: {known})", file=spec)
    from importlib import resources

    text = resources.files("podgate.library").joinpath(f"{name}.yaml").read_text("utf-8")
    return list(load_text(text, spec))


def load_policies(
    paths: Iterable[str],
    *,
    max_bytes: int,
    notes: list[str] | None = None,
    allow_empty: bool = False,
    exclude: Sequence[str] = (),
) -> list[Document]:
    """Every PodSecurityPolicy in `paths` (files, directories, `-`, `builtin:NAME`). Other kinds
    are skipped; an object of kind PodSecurityPolicy in an API version that was never served
    (`policy/v1`) is not a policy: it is skipped with a note. A path that holds no policy is
    an error unless `allow_empty` (then it is a note: zero policies is a valid setting, in
    which PSP admission rejects every pod)."""
    out: list[Document] = []
    heard: list[str] = [] if notes is None else notes
    for path in paths:
        docs = (
            _builtin(path)
            if path.startswith(BUILTIN_PREFIX)
            else load_documents([path], max_bytes=max_bytes, exclude=exclude)
        )
        found = [d for d in docs if is_policy(d.obj)]
        ignored = [f"{d.where}: {text}" for d in docs if (text := not_a_policy(d.obj))]
        heard.extend(ignored)
        if not found:
            why = f"{path} holds no PodSecurityPolicy"
            if ignored:
                why += f" ({len(ignored)} of kind PodSecurityPolicy in an API version never served)"
            if not allow_empty:
                raise LoadError(
                    "no PodSecurityPolicy found" + (f" ({ignored[0]})" if ignored else ""),
                    file=path,
                )
            heard.append(why)
        out.extend(found)
    return out


def load_rbac(
    paths: Iterable[str], *, max_bytes: int, exclude: Sequence[str] = ()
) -> list[Document]:
    """Every Role, ClusterRole, RoleBinding and ClusterRoleBinding in `paths`."""
    docs = load_documents(paths, max_bytes=max_bytes, exclude=exclude)
    return [d for d in docs if d.obj.get("kind") in RBAC_KINDS]


def load_authorizer(
    paths: Iterable[str],
    *,
    max_bytes: int,
    warnings: list[str] | None = None,
    exclude: Sequence[str] = (),
) -> Authorizer:
    """The RBAC of `paths`, compiled. An object the API server would refuse is a LoadError
    naming its file, document and line; of two different definitions of one object the later
    is used (as `kubectl apply` leaves it), with a warning in `warnings` naming both."""
    docs = load_rbac(paths, max_bytes=max_bytes, exclude=exclude)
    try:
        authz = Authorizer.from_objects(d.obj for d in docs)
    except ObjectError as e:
        d = docs[e.index]
        raise LoadError(str(e), file=d.file, document=d.index, line=d.line) from None
    if warnings is not None:
        warnings.extend(
            f"{r.where} is defined twice, differently ({docs[r.first].where} and "
            f"{docs[r.later].where}): the later one is used, as `kubectl apply` of both in "
            "this order would leave it"
            for r in authz.redefined
        )
    return authz
