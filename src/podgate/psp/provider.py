"""A provider: one policy compiled into the ordered strategy calls upstream makes.

`Provider.evaluate(pod)` mutates a copy-on-write draft of the pod (MutatePod) and validates it
(ValidatePod), returning the result pod, whether it changed, and upstream's field errors in
upstream's order: the reference. Admission asks less (psp/admission.py `_choose`): whether
the pod fails the policy's mutation-independent checks (`IndependentCheck.fails`, each run
once per pod for every policy), then `Provider.admits` (mutate, stop at the first error of
the validators mutation can change); the errors are gathered only to deny (`errors`,
`mutated_errors`). The input pod is never modified."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.field import FieldError
from podgate.psp.draft import Draft
from podgate.psp.policy import BuildError
from podgate.psp.registry import registry
from podgate.psp.strategies import (
    ContainerContext,
    ContainerMutator,
    ContainerValidator,
    Family,
    PodMutator,
    PodValidator,
    PodView,
    Screened,
    Strategy,
)

MutatePod = Callable[[Draft], None]
MutateContainer = Callable[[Draft, ContainerContext, dict[str, Any]], None]
ValidatePod = Callable[[PodView, list[FieldError]], None]
ValidateContainer = Callable[[ContainerContext, list[FieldError]], None]


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

    strategy: Strategy
    pod: ValidatePod | None
    container: ValidateContainer | None
    # whether a pod fails the check (any error), without building one when the strategy can
    # say so itself (`Screened`)
    fails: Callable[[PodView], bool]


@dataclass(frozen=True, slots=True)
class Validators:
    """ValidatePod's calls for one policy: the pod's, then each container's."""

    pod: tuple[ValidatePod, ...]
    container: tuple[ValidateContainer, ...]

    def all_errors(self, view: PodView) -> tuple[FieldError, ...]:
        errs: list[FieldError] = []
        for validate_pod in self.pod:
            validate_pod(view, errs)
        if self.container:
            for ctx in view.containers:
                for validate in self.container:
                    validate(ctx, errs)
        return tuple(errs)

    def first_error(self, view: PodView) -> tuple[FieldError, ...]:
        errs: list[FieldError] = []
        for validate_pod in self.pod:
            validate_pod(view, errs)
            if errs:
                return (errs[0],)
        if self.container:
            for ctx in view.containers:
                for validate in self.container:
                    validate(ctx, errs)
                if errs:
                    return (errs[0],)
        return ()


@dataclass(frozen=True, slots=True)
class Provider:
    """One policy, compiled: its strategies' calls in upstream's order for each phase."""

    name: str
    policy: Obj
    pod_mutators: tuple[MutatePod, ...]
    container_mutators: tuple[MutateContainer, ...]
    validators: Validators  # every validator whose validation can fail
    # the validators whose outcome mutation can change, and the checks whose outcome it cannot
    dependent: Validators
    independent: tuple[IndependentCheck, ...]

    @property
    def mutation_matters(self) -> bool:
        """Whether mutation can change what the policy's validation says of a pod (some
        validator reads what a mutator may write). When it cannot, the errors of the pod as it
        is are the errors of the pod as the policy mutates it."""
        return bool(self.dependent.pod or self.dependent.container)

    def evaluate(self, pod: Obj) -> Evaluation:
        """MutatePod then ValidatePod, with every error in upstream's order."""
        draft = self._mutate(pod, None)
        root = draft.root
        return Evaluation(root, draft.changed, self.validators.all_errors(PodView(root)))

    def errors(self, pod: Obj, view: PodView) -> tuple[FieldError, ...]:
        """`evaluate(pod).errors` (`view`: the pod's view), without mutating when mutation
        cannot change them."""
        if self.dependent.pod or self.dependent.container:
            return self.evaluate(pod).errors
        return self.validators.all_errors(view)

    def admits(self, pod: Obj, view: PodView) -> Draft | PodView:
        """Whether the policy admits a pod (`view` its view) that passed its independent checks
        (`fails` of each), stopping at the first error: the draft of the pod as the policy
        mutates it; when the policy refuses it, the view of that mutated pod (its errors are
        `mutated_errors` of it: the pod is not mutated again to learn them)."""
        draft = self._mutate(pod, view)
        dependent = self.dependent
        if dependent.pod or dependent.container:
            after = PodView(draft.root, view) if draft.changed else view
            if dependent.first_error(after):
                return after
        # else every check that can fail is an independent one, and the pod passed them all
        return draft

    def mutated_errors(self, after: PodView) -> tuple[FieldError, ...]:
        """`evaluate(pod).errors`, `after` being the view `admits` gave of the pod it refused:
        the errors of the validators mutation can change (the others passed the pod before
        `admits`, and mutation cannot change what they read)."""
        return self.dependent.all_errors(after)

    def validate(self, pod: Obj) -> tuple[FieldError, ...]:
        """ValidatePod alone, without mutation: every error, in upstream's order."""
        return self.validators.all_errors(PodView(pod))

    def _mutate(self, pod: Obj, view: PodView | None) -> Draft:
        draft = Draft(pod)
        for mutate_pod in self.pod_mutators:
            mutate_pod(draft)
        mutators = self.container_mutators
        if mutators:
            current = PodView(draft.root, view) if draft.changed or view is None else view
            for ctx in current.containers:
                changes: dict[str, Any] = {}
                for mutate in mutators:
                    mutate(draft, ctx, changes)
                if changes:
                    draft.update(("spec", ctx.list_name, ctx.index, "securityContext"), changes)
        return draft


def build_provider(policy: Obj, interned: dict[Any, IndependentCheck] | None = None) -> Provider:
    """Compile a policy (already defaulted). Raises BuildError when upstream could not build
    its strategies (the policy is then skipped silently at admission). Policies compiled with
    the same `interned` dict share equal independent checks."""
    meta = mapping(policy.get("metadata"))
    name = meta.get("name")
    name = name if isinstance(name, str) else ""
    spec = mapping(policy.get("spec"))
    ann = mapping(meta.get("annotations"))
    reg = registry()
    problems: list[str] = []
    built: dict[str, Strategy] = {}
    # built in upstream's factory order, so the reasons read as upstream logs them
    for family in reg.build:
        try:
            strategy = family.build(spec, ann)
        except BuildError as e:
            problems.append(str(e))
            continue
        if strategy is not None:
            built[family.name] = strategy
    if problems:
        raise BuildError(_aggregate(problems))

    def placed(families: tuple[Family, ...]) -> list[Strategy]:
        return [built[f.name] for f in families if f.name in built]

    pod_strategies = [s for s in placed(reg.validate_pod) if s.can_fail]
    container_strategies = [s for s in placed(reg.validate_container) if s.can_fail]

    def validators(independent: bool | None) -> Validators:
        def keep(s: Strategy) -> bool:
            return independent is None or s.mutation_independent == independent

        return Validators(
            tuple(
                s.validate_pod for s in pod_strategies if isinstance(s, PodValidator) and keep(s)
            ),
            tuple(
                s.validate_container
                for s in container_strategies
                if isinstance(s, ContainerValidator) and keep(s)
            ),
        )

    checks = []
    for strategy in {id(s): s for s in pod_strategies + container_strategies}.values():
        if strategy.mutation_independent:
            pod = strategy.validate_pod if isinstance(strategy, PodValidator) else None
            container = (
                strategy.validate_container if isinstance(strategy, ContainerValidator) else None
            )
            fails = strategy.fails if isinstance(strategy, Screened) else _failing(pod, container)
            check = IndependentCheck(strategy, pod, container, fails)
            checks.append(_interned(check, interned) if interned is not None else check)

    return Provider(
        name=name,
        policy=policy,
        pod_mutators=tuple(
            s.mutate_pod for s in placed(reg.mutate_pod) if s.mutates and isinstance(s, PodMutator)
        ),
        container_mutators=tuple(
            s.mutate_container
            for s in placed(reg.mutate_container)
            if s.mutates and isinstance(s, ContainerMutator)
        ),
        validators=validators(None),
        dependent=validators(False),
        independent=tuple(checks),
    )


def _failing(
    pod: ValidatePod | None, container: ValidateContainer | None
) -> Callable[[PodView], bool]:
    """Whether a pod fails a strategy that cannot say so itself: its validators run until the
    first error."""

    def fails(view: PodView) -> bool:
        errs: list[FieldError] = []
        if pod is not None:
            pod(view, errs)
            if errs:
                return True
        if container is not None:
            for ctx in view.containers:
                container(ctx, errs)
                if errs:
                    return True
        return False

    return fails


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
