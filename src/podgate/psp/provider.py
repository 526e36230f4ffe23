"""A provider: one policy compiled into the ordered strategy calls upstream makes.

`Provider.evaluate(pod)` mutates a copy-on-write draft of the pod (MutatePod) and validates it
(ValidatePod), returning the result pod, whether it changed, and upstream's field errors in
upstream's order. The input pod is never modified."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError
from podgate.k8s.objects import CONTAINER_LISTS
from podgate.psp.draft import Draft
from podgate.psp.policy import BuildError
from podgate.psp.strategies import (
    ContainerAt,
    PodView,
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
ContainerMutator = Callable[[Draft, PodView, ContainerAt, Obj, dict[str, Any]], None]
PodValidator = Callable[[PodView, list[FieldError]], None]
ContainerValidator = Callable[[PodView, Obj, Obj, str, list[FieldError]], None]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one policy makes of one pod."""

    pod: Obj  # the mutated pod (the input itself when nothing changed)
    mutated: bool
    errors: tuple[FieldError, ...]


@dataclass(frozen=True, slots=True)
class IndependentCheck:
    """One mutation-independent strategy's validation over a whole pod. Equal strategies of
    different policies are one object (interned at compile time), so a pod is checked once
    for all of them."""

    strategy: Any
    pod: PodValidator | None
    container: ContainerValidator | None

    def first_error(self, view: PodView) -> FieldError | None:
        errs: list[FieldError] = []
        if self.pod is not None:
            self.pod(view, errs)
            if errs:
                return errs[0]
        validate = self.container
        if validate is None:
            return None
        for list_name in CONTAINER_LISTS:
            items = view.spec.get(list_name)
            if not items:
                continue
            for i, c in enumerate(items):
                validate(
                    view, c, c.get("securityContext") or _EMPTY, f"spec.{list_name}[{i}]", errs
                )
                if errs:
                    return errs[0]
        return None


Memo = dict[int, FieldError | None]
"""First errors of independent checks for one pod, by id of the (interned) check."""


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    policy: Obj
    pod_mutators: tuple[PodMutator, ...]
    container_mutators: tuple[ContainerMutator, ...]
    pod_validators: tuple[PodValidator, ...]
    container_validators: tuple[ContainerValidator, ...]
    # the validators whose outcome mutation can change, and the checks whose outcome it cannot
    dependent: tuple[tuple[PodValidator, ...], tuple[ContainerValidator, ...]]
    independent: tuple[IndependentCheck, ...]

    def evaluate(
        self,
        pod: Obj,
        *,
        first_error: bool = False,
        view: PodView | None = None,
        memo: Memo | None = None,
    ) -> Evaluation:
        """MutatePod then ValidatePod. With `first_error`, validation stops at the first error
        (enough to know the policy fails; admission asks for all errors only to deny). `view`
        is the pod's view when the caller already has one, `memo` the independent checks'
        results for this pod (both are shared across the policies of one decision)."""
        if first_error:
            if view is None:
                view = PodView(pod)
            if memo is None:
                memo = {}
            for check in self.independent:
                key = id(check)
                if key in memo:
                    err = memo[key]
                else:
                    err = memo[key] = check.first_error(view)
                if err is not None:
                    return Evaluation(pod, False, (err,))
        draft = Draft(pod)
        for mutate_pod in self.pod_mutators:
            mutate_pod(draft)
        if self.container_mutators:
            current = PodView(draft.root, view) if draft.changed or view is None else view
            mutators = self.container_mutators
            for list_name in CONTAINER_LISTS:
                items = current.spec.get(list_name)
                if not items:
                    continue
                for i, c in enumerate(items):
                    at = (list_name, i)
                    csc = c.get("securityContext") or _EMPTY
                    changes: dict[str, Any] = {}
                    for mutate in mutators:
                        mutate(draft, current, at, csc, changes)
                    if changes:
                        draft.update(("spec", list_name, i, "securityContext"), changes)
        root = draft.root
        if first_error:
            after = PodView(root, view) if draft.changed or view is None else view
            return Evaluation(root, draft.changed, self._check(after, *self.dependent, True))
        return Evaluation(root, draft.changed, self.validate(root))

    def validate(self, pod: Obj) -> tuple[FieldError, ...]:
        """ValidatePod alone, without mutation: every error, in upstream's order."""
        return self._check(PodView(pod), self.pod_validators, self.container_validators, False)

    @staticmethod
    def _check(
        view: PodView,
        pod_validators: tuple[PodValidator, ...],
        validators: tuple[ContainerValidator, ...],
        first_error: bool,
    ) -> tuple[FieldError, ...]:
        errs: list[FieldError] = []
        for validate_pod in pod_validators:
            validate_pod(view, errs)
            if errs and first_error:
                return (errs[0],)
        if not validators:
            return tuple(errs)
        for list_name in CONTAINER_LISTS:
            items = view.spec.get(list_name)
            if not items:
                continue
            for i, c in enumerate(items):
                csc = c.get("securityContext") or _EMPTY
                cpath = f"spec.{list_name}[{i}]"
                for validate in validators:
                    validate(view, c, csc, cpath, errs)
                if errs and first_error:
                    return (errs[0],)
        return tuple(errs)


_EMPTY: Obj = {}


def _methods(strategies: list[Any], method: str) -> tuple[Any, ...]:
    return tuple(getattr(s, method) for s in strategies if s is not None and hasattr(s, method))


def _mutators(strategies: list[Any], method: str) -> tuple[Any, ...]:
    """The mutators of the strategies that can change a pod under this policy."""
    return _methods(
        [s for s in strategies if s is not None and getattr(s, "mutates", True)], method
    )


def _validators(strategies: list[Any], method: str) -> list[Any]:
    """The strategies whose validation can fail under this policy."""
    return [s for s in strategies if s is not None and getattr(s, "can_fail", True)]


def build_provider(policy: Obj, interned: dict[Any, IndependentCheck] | None = None) -> Provider:
    """Compile a policy (already defaulted). Raises BuildError when upstream could not build
    its strategies (the policy is then skipped silently at admission). Policies compiled with
    the same `interned` dict share equal independent checks."""
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
        raise BuildError(_aggregate(problems))
    ro = read_only_root.build(spec, ann)
    ape = privilege_escalation.build(spec, ann)
    priv = privileged.build(spec, ann)
    proc = proc_mount.build(spec, ann)
    ports = host_ports.build(spec, ann)
    hostns = host_namespaces.build(spec, ann)
    vols = volumes.build(spec, ann)
    rc = runtime_class.build(spec, ann)

    pod_strategies = _validators([fs, sup, sc, se, hostns, sysc, vols, rc], "validate_pod")
    container_strategies = _validators(
        [user, group, se, aa, sc, priv, proc, caps, ports, ro, ape], "validate_container"
    )

    def dependent(strategies: list[Any], method: str) -> tuple[Any, ...]:
        return _methods(
            [s for s in strategies if not getattr(s, "mutation_independent", False)], method
        )

    checks = []
    for strategy in {id(s): s for s in pod_strategies + container_strategies}.values():
        if getattr(strategy, "mutation_independent", False):
            check = IndependentCheck(
                strategy,
                getattr(strategy, "validate_pod", None),
                getattr(strategy, "validate_container", None),
            )
            checks.append(_interned(check, interned) if interned is not None else check)

    return Provider(
        name=name,
        policy=policy,
        pod_mutators=_mutators([sup, fs, se, sc, rc], "mutate_pod"),
        container_mutators=_mutators([user, group, se, aa, caps, ro, ape], "mutate_container"),
        pod_validators=_methods(pod_strategies, "validate_pod"),
        container_validators=_methods(container_strategies, "validate_container"),
        dependent=(
            dependent(pod_strategies, "validate_pod"),
            dependent(container_strategies, "validate_container"),
        ),
        independent=tuple(checks),
    )


def _aggregate(messages: list[str]) -> str:
    """The text of upstream's utilerrors.NewAggregate(errs): each distinct message once, in
    [brackets] joined by ", " when there is more than one."""
    distinct = list(dict.fromkeys(messages))
    return distinct[0] if len(distinct) == 1 else "[" + ", ".join(distinct) + "]"


def _interned(check: IndependentCheck, interned: dict[Any, IndependentCheck]) -> IndependentCheck:
    try:
        return interned.setdefault(check.strategy, check)
    except TypeError:  # a strategy holding a dict is not hashable: not shared
        return check
