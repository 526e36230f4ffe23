"""The webhook's sources read from files, reloaded when the files change: PodSecurityPolicies
(`--policy`), the offline RBAC evaluator over RBAC objects (`--rbac-from`) and Namespace
objects for Pod Security labels (`--namespaces-from`).

A source checks its files' (mtime, inode, size) and a digest of their bytes on each `poll()`
(the server polls every few seconds; kubelet replaces ConfigMap and Secret volumes by a
symlink swap, which changes the inode behind the same path; a rewrite of the same size within
one tick of the file system's clock changes only the bytes: webhook/stamp.py). A change that
fails to load or validate keeps the last good content and logs an error; the first load
raises, so a server never starts on bad input.
Every source swaps one reference, so a decision in another thread sees the old or the new
content, never a mixture."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from podgate.errors import LoadError, PodgateError
from podgate.io.inputs import expand
from podgate.io.loader import Document, load_documents
from podgate.io.policies import BUILTIN_PREFIX, load_authorizer, load_policies
from podgate.io.prepare import prepare
from podgate.k8s import mapping
from podgate.k8s.identity import UserInfo
from podgate.psp import PolicySet
from podgate.psp.validation import validate_policy
from podgate.pss import namespaces as ns_policy
from podgate.pss.config import PodSecurityConfiguration
from podgate.pss.labels import DEFAULT_POLICY, Policy, stored_labels
from podgate.rbac import Authorizer
from podgate.webhook.stamp import Stamp, file_stamp

__all__ = [
    "FileNamespaceSource",
    "FilePolicySource",
    "FileRbacAuthorizer",
    "Reloading",
    "compile_policies",
    "file_signature",
]

Signature = tuple[tuple[str, Stamp], ...]
OnReload = Callable[[str, bool, str], None]  # (source, ok, error text)


def _files(paths: Iterable[str]) -> list[str]:
    out: list[str] = []
    for given in paths:
        if given.startswith(BUILTIN_PREFIX) or given == "-":
            continue
        if Path(given).is_dir():
            # the files the loader reads of it (hidden files too: one edited must reload)
            out.extend(expand(given).files)
        else:
            out.append(given)
    return out


def file_signature(paths: Iterable[str], limit: int) -> Signature:
    """(path, its stamp: mtime, inode, size and a digest of its first `limit` + 1 bytes) of
    every file the paths name, following symlinks (webhook/stamp.py)."""
    return tuple((f, file_stamp(f, limit)) for f in _files(paths))


class Reloading:
    """Loads its content from files, and again whenever their signature changes."""

    name = "files"

    def __init__(self, paths: Sequence[str], *, max_bytes: int, on_reload: OnReload | None = None):
        self.paths = tuple(paths)
        self.max_bytes = max_bytes
        self._on_reload = on_reload
        self._signature: Signature | None = None

    def _load(self) -> None:
        raise NotImplementedError

    def _signature_now(self) -> Signature:
        return file_signature(self.paths, self.max_bytes)

    def load(self) -> None:
        """The first load: raises PodgateError (or OSError) when the files are not usable."""
        signature = self._signature_now()  # before reading: a change meanwhile is seen next
        self._load()
        self._signature = signature

    def poll(self) -> bool:
        """Reload when the files changed; True when new content is in force. A failed reload
        keeps the old content (and is not retried until the files change again)."""
        signature = self._signature_now()
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            self._load()
        except (PodgateError, OSError, RecursionError, ValueError) as e:
            _unfreeze()
            if self._on_reload is not None:
                self._on_reload(self.name, False, str(e))
            return False
        _unfreeze()
        if self._on_reload is not None:
            self._on_reload(self.name, True, "")
        return True


def _unfreeze() -> None:
    """Undo the loader's `gc.freeze()` after a reload. The CLI loads once, but in the server it
    would also freeze, for good, any garbage with reference cycles that this load or the
    serving thread had made by then: memory that grows with every reload. Unfrozen, the next
    collection (the server's memory trimmer runs one after each reload) frees it."""
    gc.unfreeze()


def compile_policies(docs: Iterable[Document]) -> PolicySet:
    """PodSecurityPolicies as the API server stores them (defaulted; an invalid one refuses the
    whole set with the API server's first error, and so does one name defined twice,
    differently: the API server holds one object per name, and using both would admit what
    either admits), compiled."""
    objs = []
    seen: dict[str, tuple[Document, Any]] = {}
    for d in docs:
        name = mapping(d.obj.get("metadata")).get("name")
        first = seen.setdefault(str(name), (d, d.obj))
        if first[0] is not d:
            if first[1] != d.obj:
                raise LoadError(
                    f"PodSecurityPolicy {name!r} is defined twice, differently (also at "
                    f"{first[0].where}): a cluster holds one object per name",
                    file=d.file,
                    document=d.index,
                    line=d.line,
                )
            continue  # the same policy given twice is one policy
        [prepared] = prepare([d])  # defaulted as the API server stores it
        obj = prepared.obj
        errors = validate_policy(obj)
        if errors:
            name = mapping(obj.get("metadata")).get("name")
            raise LoadError(
                f"PodSecurityPolicy {name!r} is not valid: {errors[0]} (see `podgate lint`)",
                file=d.file,
                document=d.index,
                line=d.line,
            )
        objs.append(obj)
    return PolicySet.compile(objs)


class FilePolicySource(Reloading):
    """PodSecurityPolicies from files, directories and `builtin:NAME` (a PolicySource)."""

    name = "policies"

    def __init__(self, paths: Sequence[str], *, max_bytes: int, on_reload: OnReload | None = None):
        super().__init__(paths, max_bytes=max_bytes, on_reload=on_reload)
        self._policies: PolicySet | None = None

    def _load(self) -> None:
        self._policies = compile_policies(load_policies(self.paths, max_bytes=self.max_bytes))

    def current(self) -> PolicySet | None:
        return self._policies


class FileRbacAuthorizer(Reloading):
    """`use` decided by the offline RBAC evaluator over RBAC objects in files (a
    `PolicyUseAuthorizer`: `rbac.Authorizer.can_use`); nobody may use anything until loaded."""

    name = "rbac"

    def __init__(self, paths: Sequence[str], *, max_bytes: int, on_reload: OnReload | None = None):
        super().__init__(paths, max_bytes=max_bytes, on_reload=on_reload)
        self._authorizer: Authorizer | None = None

    def _load(self) -> None:
        self._authorizer = load_authorizer(self.paths, max_bytes=self.max_bytes)

    def can_use(self, user: UserInfo, namespace: str, policy: str) -> bool:
        authorizer = self._authorizer
        if authorizer is None:
            return False
        return authorizer.can_use(user, namespace, policy)


def _namespace_labels(
    docs: Iterable[Document], defaults: Policy = DEFAULT_POLICY
) -> dict[str, tuple[Mapping[str, Any], ...]]:
    """Each Namespace's labels: of a name defined more than once, first the definition checked
    (the strictest enforce level, then the newest version, then the later one), then those a
    pod it admits is judged by as well (`pss.namespaces.definitions_to_judge`, as `podgate pss`
    and `scan` judge), so that a second definition can never make a namespace less strict."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for d in docs:
        if d.obj.get("kind") != "Namespace":
            continue
        meta = mapping(d.obj.get("metadata"))
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            raise LoadError(
                "a Namespace without a name", file=d.file, document=d.index, line=d.line
            )
        labels: Any = meta.get("labels")
        if labels is not None and not isinstance(labels, Mapping):
            raise LoadError(
                "metadata.labels: expected a mapping", file=d.file, document=d.index, line=d.line
            )
        found.setdefault(name, []).append(stored_labels(labels))
    config = PodSecurityConfiguration(defaults=defaults)
    out: dict[str, tuple[Mapping[str, Any], ...]] = {}
    for name, defs in found.items():
        enforces = [ns_policy.resolve(labels, config).policy.enforce for labels in defs]
        chosen, others = ns_policy.definitions_to_judge(enforces)
        out[name] = (defs[chosen], *(defs[i] for i in others))
    return out


class FileNamespaceSource(Reloading):
    """Namespace objects (e.g. `kubectl get ns -o yaml`) for their Pod Security labels (a
    NamespaceSource)."""

    name = "namespaces"

    def __init__(
        self,
        paths: Sequence[str],
        *,
        max_bytes: int,
        on_reload: OnReload | None = None,
        defaults: Policy = DEFAULT_POLICY,
    ):
        super().__init__(paths, max_bytes=max_bytes, on_reload=on_reload)
        self._labels: dict[str, tuple[Mapping[str, Any], ...]] | None = None
        self._defaults = defaults

    def _load(self) -> None:
        docs = load_documents(self.paths, max_bytes=self.max_bytes)
        self._labels = _namespace_labels(docs, self._defaults)

    def labels(self, namespace: str) -> Mapping[str, Any] | None:
        found = self._labels
        definitions = None if found is None else found.get(namespace)
        return None if definitions is None else definitions[0]

    def other_labels(self, namespace: str) -> tuple[Mapping[str, Any], ...]:
        found = self._labels
        definitions = () if found is None else found.get(namespace, ())
        return definitions[1:]

    def ready(self) -> bool:
        return self._labels is not None
