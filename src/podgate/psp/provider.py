"""A provider: one policy compiled into the ordered strategy calls upstream makes.

`Provider.evaluate(pod)` mutates a copy-on-write draft of the pod (MutatePod) and validates it
(ValidatePod), returning the result pod, whether it changed, and upstream's field errors in
upstream's order. The input pod is never modified."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, container_lists, mapping
from podgate.k8s.field import FieldError
from podgate.psp.draft import Draft
from podgate.psp.policy import BuildError
from podgate.psp.strategies import (
    ContainerAt,
    apparmor,
    capabilities,
    groups,
    host_namespaces,
    host_ports,
    privilege_escalation,
    privileged,
    proc_mount,
    read_only_root,
    run_as_user,
    runtime_class,
    seccomp,
    selinux,
    sysctls,
    volumes,
)

PodMutator = Callable[[Draft], None]
ContainerMutator = Callable[[Draft, ContainerAt], None]
PodValidator = Callable[[Obj, list[FieldError]], None]
ContainerValidator = Callable[[Obj, Obj, str, list[FieldError]], None]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one policy makes of one pod."""

    pod: Obj  # the mutated pod (the input itself when nothing changed)
    mutated: bool
    errors: tuple[FieldError, ...]


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    policy: Obj
    pod_mutators: tuple[PodMutator, ...]
    container_mutators: tuple[ContainerMutator, ...]
    pod_validators: tuple[PodValidator, ...]
    container_validators: tuple[ContainerValidator, ...]

    def evaluate(self, pod: Obj) -> Evaluation:
        draft = Draft(pod)
        for mutate_pod in self.pod_mutators:
            mutate_pod(draft)
        if self.container_mutators:
            for list_name, items in container_lists(mapping(pod.get("spec"))):
                for i in range(len(items)):
                    at = (list_name, i)
                    for mutate in self.container_mutators:
                        mutate(draft, at)
        root = draft.root
        errs: list[FieldError] = []
        for validate_pod in self.pod_validators:
            validate_pod(root, errs)
        for list_name, items in container_lists(mapping(root.get("spec"))):
            for i, c in enumerate(items):
                cpath = f"spec.{list_name}[{i}]"
                for validate in self.container_validators:
                    validate(root, c, cpath, errs)
        return Evaluation(root, draft.changed, tuple(errs))

    def validate(self, pod: Obj) -> tuple[FieldError, ...]:
        """ValidatePod alone, without mutation."""
        errs: list[FieldError] = []
        for validate_pod in self.pod_validators:
            validate_pod(pod, errs)
        for list_name, items in container_lists(mapping(pod.get("spec"))):
            for i, c in enumerate(items):
                cpath = f"spec.{list_name}[{i}]"
                for validate in self.container_validators:
                    validate(pod, c, cpath, errs)
        return tuple(errs)


def _methods(strategies: list[Any], method: str) -> tuple[Any, ...]:
    return tuple(getattr(s, method) for s in strategies if s is not None and hasattr(s, method))


def build_provider(policy: Obj) -> Provider:
    """Compile a policy (already defaulted). Raises BuildError when upstream could not build
    its strategies (the policy is then skipped silently at admission)."""
    meta = mapping(policy.get("metadata"))
    name = meta.get("name")
    name = name if isinstance(name, str) else ""
    spec = mapping(policy.get("spec"))
    ann = mapping(meta.get("annotations"))
    problems: list[str] = []

    def make(builder: Callable[[Obj, Obj], Any]) -> Any:
        try:
            return builder(spec, ann)
        except BuildError as e:
            problems.append(str(e))
            return None

    # built in upstream's factory order, so the reasons read as upstream logs them
    user = make(run_as_user.build)
    group = make(groups.build_run_as_group)
    se = make(selinux.build)
    aa = make(apparmor.build)
    sc = make(seccomp.build)
    fs = make(groups.build_fs_group)
    sup = make(groups.build_supplemental_groups)
    caps = make(capabilities.build)
    sysc = make(sysctls.build)
    if problems:
        raise BuildError("; ".join(problems))
    ro = read_only_root.build(spec, ann)
    ape = privilege_escalation.build(spec, ann)
    priv = privileged.build(spec, ann)
    proc = proc_mount.build(spec, ann)
    ports = host_ports.build(spec, ann)
    hostns = host_namespaces.build(spec, ann)
    vols = volumes.build(spec, ann)
    rc = runtime_class.build(spec, ann)

    return Provider(
        name=name,
        policy=policy,
        pod_mutators=_methods([sup, fs, se, sc, rc], "mutate_pod"),
        container_mutators=_methods([user, group, se, aa, caps, ro, ape], "mutate_container"),
        pod_validators=_methods([fs, sup, sc, se, hostns, sysc, vols, rc], "validate_pod"),
        container_validators=_methods(
            [user, group, se, aa, sc, priv, proc, caps, ports, ro, ape], "validate_container"
        ),
    )
