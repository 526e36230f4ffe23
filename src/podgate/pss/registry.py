"""The check registry: every `CHECK` of `podgate.pss.checks`, validated once at start-up, with
the ordered check functions precomputed for each (level, version).

Order (spec 2.2): the active baseline checks sorted by ID (plain code-point order, so upper case
sorts first), then the active restricted checks sorted by ID. At the restricted level, the
baseline checks named by the `overrides` of an active restricted revision are left out.

Compiled: each (level, minor) plan is compiled once into a flat tuple of (screen bit, ID, rule
revision) and the union of its bits. An evaluation first screens the pod (`screen.py`, one pass
over its fields); the checks whose bit is clear cannot fail and are skipped, so a pod that
passes costs one screen and no check call. Checks the screen does not know always run.

Facts: the screen writes down what decides the frequent restricted checks (`marks.py`: each
container's name and what its securityContext sets, and the pod's own fields they read). For a
pod whose facts decide, the violations of those checks are found once per distinct facts (by
the checks themselves) and given to every pod with the same facts; the pod's other suspected
checks run as usual and their violations are merged in plan order. The facts are read afresh
for every pod (they are what the checks would read); only turning them into violations is
shared, as the checks share their messages. Bounded (`_FACTS_BYTES`, with `_Memory`).

Remembered: before the screen, a plan of built-in checks looks the pod's shape up (`reads.key`:
what those checks read of it, with each value's type), and a pod of a shape seen before gets
the violations found for it then, faults included: the replicas of one template cost one key
and one lookup. A pod with no key (not plain JSON, or very large) is evaluated afresh. Bounded
(`_Memory`: `_SHAPES` keys per plan, `_SHAPE_BYTES` bytes of keys and violations in all the
registry's plans; then all are forgotten). Adaptive per plan: after each `_TRIAL` lookups, a
plan that found fewer of them than its break-even (`_BREAK_EVEN`: the hit rate above which a key
and its lookup cost less than the evaluations they save, measured per level) stops keying for
its next `_PAUSE` pods, then tries again, so the memo never makes a stream of pods slower by
more than its trials (1 pod in 17 keyed at a loss).

Versions: the registry knows a maximum version, the highest minimum version of any revision
(lowered to an emulated version if one is given). `latest` and every numbered version above the
maximum evaluate with the maximum's rules; the caller keeps the requested version for messages.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from itertools import chain, repeat
from operator import attrgetter, itemgetter
from types import ModuleType
from typing import Any

from podgate.errors import PolicyError, RegistryError
from podgate.k8s import Obj
from podgate.modules import public_modules
from podgate.pss.fields import EMPTY, FEW, Contexts, as_obj, pod_contexts
from podgate.pss.marks import MARKED, UNMARKED
from podgate.pss.model import (
    POD,
    Check,
    CheckFn,
    CheckId,
    Faults,
    Forbidden,
    Level,
    Version,
    Violation,
    v1,
)
from podgate.pss.reads import key
from podgate.pss.screen import ALWAYS, ODD, bit_of, screen

__all__ = ["DEFAULT", "Registry", "discover"]

Plan = tuple[tuple[CheckId, CheckFn], ...]
"""The checks to run for one (level, version): (ID, rule revision) in evaluation order."""

_MASKS = 4096  # distinct screen results remembered per plan (a pod population has dozens)
_SHAPES = 8192  # pod shapes (`reads.key`) whose violations are remembered per plan, at most
_SHAPE_BYTES = 4 << 20  # and the bytes they hold, violations included (`_footprint`)
_SHAPE_MOST = _SHAPE_BYTES >> 6  # one shape holding more is not remembered (a cluster's: < 4 KiB)
_UNDECIDED = ODD | UNMARKED  # the pod's facts do not decide the MARKED checks
_FACTS_BYTES = 2 << 20  # the bytes the pods' facts (`marks.py`) and their violations hold, at most
_SLOT = 128  # bytes of the memo's own table per shape, at most (a dict slot and its share)
_TRIAL = 256  # lookups per trial of the memo
_PAUSE = 16 * _TRIAL  # pods evaluated without a key after a trial below break-even
_BREAK_EVEN: dict[Level, float] = {Level.RESTRICTED: 0.60, Level.BASELINE: 0.75}
"""The share of lookups that must find their shape for the memo to pay, per level: a key and its
lookup cost about as much as the screen, so a hit saves the checks and their messages, and a
miss pays for the key and its count (`_footprint`) on top of the evaluation. Measured with
callgrind on a generated cluster's pods, keying every pod (`benchmarks/bench_pss_memo.py
--no-pause`), instructions per pod with the memo on/off: baseline 0.65 69.7k/63.9k, 0.70
65.1k/63.7k, 0.75 61.4k/63.5k, 0.80 56.3k/63.7k; restricted (streams of 4,000, a miss's count
then dearer) 0.55 127.8k/117.6k, 0.60 118.3k/117.8k, 0.70 99.1k/110.3k (a key cost 42.8k, a
fresh restricted evaluation 84.3k, a miss's count 9.1k).
Restricted plans without every check of the newest one, and baseline plans, take the baseline
figure (their evaluations cost less, so their break-even is higher; a higher threshold only
keys less)."""


class _Memory:
    """The pod shapes a registry's plans remember, bounded together: at most `_SHAPES` in a
    plan and `_SHAPE_BYTES` bytes in all (then every plan forgets all of them), counted as the
    bytes the tables hold (`_footprint`), not the keys alone. A violation names every container
    at fault, so it can hold far more than its key, and a webhook's requester chooses the pods
    and, with the namespace labels, the level and version (a plan each). A shape that holds
    more than `_SHAPE_MOST` bytes is not remembered. Thread-safe without a lock (the webhook
    evaluates in threads; the core takes none): the count is reset before the tables are
    cleared, so a shape another thread adds meanwhile is counted (or counted and forgotten),
    and `used += size` runs no Python code between its read and its write, so under the GIL no
    other thread runs there (CPython checks for a switch only at calls and loop jumps). Threads
    that pass the check together can each add a shape: at most one shape (`_SHAPE_MOST`) per
    thread beyond the bound."""

    __slots__ = ("most", "tables", "used")

    def __init__(self, most: int = _SHAPE_BYTES) -> None:
        self.tables: list[dict[Any, tuple[Violation, ...]]] = []
        self.used = 0  # bytes held in all tables (`_footprint`)
        self.most = most  # at most (`_SHAPE_BYTES`; one entry: a 64th of it)

    def table(self) -> dict[Any, tuple[Violation, ...]]:
        """A new plan's table of shapes, bounded with the others."""
        made: dict[Any, tuple[Violation, ...]] = {}
        self.tables.append(made)
        return made

    def remember(
        self,
        shapes: dict[Any, tuple[Violation, ...]],
        shape: Any,
        found: tuple[Violation, ...],
        key_bytes: int,
    ) -> None:
        """Remember the violations `found` of the pod shape `shape` (a key of `key_bytes` bytes
        at most) in the plan's `shapes`, forgetting every shape of every plan first when a bound
        would be passed."""
        size = _footprint(key_bytes, found)
        if size > self.most >> 6:
            return  # never remembered: `_SHAPE_MOST` of the shapes
        if len(shapes) >= _SHAPES or self.used + size > self.most:
            self.used = 0  # first: a shape another thread adds meanwhile is counted
            for table in self.tables:
                table.clear()
        shapes[shape] = found
        self.used += size


class _Compiled:
    """A plan compiled: (screen bit, ID, rule revision) in order, the union of the bits, for
    each screen result seen, the checks it leaves to run (in order), and, when every check of
    the plan is a built-in one (whose reads `reads.key` covers), the violations of each pod
    shape seen (`by_shape`; None otherwise)."""

    __slots__ = (
        "by_facts",
        "by_mask",
        "by_shape",
        "entries",
        "facts",
        "hits",
        "min_hits",
        "order",
        "others",
        "paused",
        "tried",
        "wanted",
    )

    def __init__(
        self,
        plan: Plan,
        bits: dict[CheckId, int],
        memory: _Memory | None = None,
        min_hits: int = 0,
        facts: _Memory | None = None,
    ) -> None:
        self.entries = tuple((bits[check_id], check_id, fn) for check_id, fn in plan)
        self.wanted = 0
        marked = 0  # the bits of the plan's checks that the pod's facts decide (`marks.py`)
        for bit, check_id, _ in self.entries:
            self.wanted |= bit
            if check_id in MARKED and bit != ALWAYS:
                marked |= bit
        self.others = self.wanted & ~marked  # the bits of the plan's other checks
        self.order: dict[str, int] = {c: i for i, (_, c, _) in enumerate(self.entries)}
        self.facts = facts or _Memory(0)  # bounds `by_facts` with the registry's others
        # the violations of the MARKED checks for each pod's facts, when they decide them (not
        # with a check the screen does not know: it may have a MARKED check's ID)
        self.by_facts: dict[tuple[Any, ...], tuple[Violation, ...]] | None = (
            None if not marked or self.wanted & ALWAYS or facts is None else facts.table()
        )
        self.by_mask: dict[int, Plan] = {}
        self.by_shape: dict[bytes, tuple[Violation, ...]] | None = (
            None if self.wanted & ALWAYS or memory is None else memory.table()
        )
        self.tried = 0  # lookups in this trial
        self.hits = 0  # of which found
        self.min_hits = min_hits  # fewer in a trial: keys cost more than the evaluations saved
        self.paused = 0  # pods left to evaluate without a key

    def select(self, suspects: int) -> Plan:
        """The checks whose bit is in `suspects`, in order (remembered)."""
        found = tuple((check_id, fn) for bit, check_id, fn in self.entries if suspects & bit)
        if len(self.by_mask) >= _MASKS:
            self.by_mask.clear()
        self.by_mask[suspects] = found
        return found

    def end_trial(self) -> None:
        """After `_TRIAL` lookups: pause keying if fewer than `min_hits` found a shape."""
        if self.hits < self.min_hits:
            self.paused = _PAUSE
        self.tried = self.hits = 0


_faults_of = attrgetter("faults")
_reason_of = attrgetter("reason")
_detail_of = attrgetter("detail")
_text_of = itemgetter(1)
_second = itemgetter(1)
_chain = chain.from_iterable
# bytes of each object, at most, with what the allocator rounds up (16-byte blocks)
_ROUND = 15
_BYTES = sys.getsizeof(b"") + _ROUND  # and one a byte
_TUPLE = sys.getsizeof(()) + _ROUND  # and 8 an item
_FAULT = sys.getsizeof((POD, "")) + _ROUND + sys.getsizeof(1 << 29) + _ROUND  # its index too
_ASCII = sys.getsizeof("") + _ROUND  # and one a character
_TEXT = 80 + _ROUND  # and 8 a character: 4 as UCS-4, 4 as UTF-8 once encoded (any string)
_INT = sys.getsizeof(1 << 62) + _ROUND  # an int of the screen's result or a mark


def _footprint(key_bytes: int, found: tuple[Violation, ...]) -> int:
    """The bytes the memo holds for `found` remembered under a key of `key_bytes`, at most: the
    key, the table's slot, the tuple, and each violation (`_held`; objects shared with other
    violations or caches are counted again). A violation remembered in `_VIOLATIONS` has its
    bytes there (`_BYTES_OF`), counted when it was made: a miss pays a lookup per violation, not
    `_held` (which costs about a quarter of an evaluation)."""
    size = _SLOT + key_bytes + _TUPLE
    if not found:
        return size
    held = [*map(_second, map(_BYTES_OF.get, map(id, found), repeat(_UNKNOWN)))]
    return size + 8 * len(found) + (_held(found) if -1 in held else sum(held))


def _facts_bytes(key: tuple[Any, ...]) -> int:
    """The bytes a pod's facts (`marks.py`) hold, at most: the tuple, each name (as any
    string), each int, each tuple of added capabilities (each as any string)."""
    size = _TUPLE + 8 * len(key)
    for item in key:
        if type(item) is str:
            size += _TEXT + 8 * len(item)
        elif type(item) is tuple:
            size += _TUPLE + 8 * len(item)
            for cap in item:
                size += _TEXT + 8 * len(cap)
        else:
            size += _INT
    return size


def _held(found: Iterable[Violation]) -> int:
    """The bytes the violations `found` hold, at most: each object, its texts and its faults."""
    found = tuple(found)
    faults = [*_chain(map(_faults_of, found))]
    texts = [*map(_reason_of, found), *map(_detail_of, found), *map(_text_of, faults)]
    chars = sum(map(len, texts))
    if "".join(texts).isascii():
        text_bytes = _ASCII * len(texts) + chars
    else:
        text_bytes = _TEXT * len(texts) + 8 * chars
    return (
        (_VIOLATION + _TUPLE + 8) * len(found)  # each violation and its faults' tuple
        + (8 + _FAULT) * len(faults)
        + text_bytes
    )


def discover(package: ModuleType | None = None) -> tuple[Check, ...]:
    """The `CHECK` of every module in `package` (default `podgate.pss.checks`) whose name does
    not start with an underscore, in module-name order."""
    found: list[Check] = []
    for module in public_modules(package or "podgate.pss.checks"):
        check = getattr(module, "CHECK", None)
        if not isinstance(check, Check):
            raise RegistryError(f"check module {module.__name__}: CHECK is missing or not a Check")
        found.append(check)
    return tuple(found)


def _validate(checks: tuple[Check, ...]) -> None:
    levels: dict[str, Level] = {}
    for check in checks:
        if not isinstance(check.id, str) or not check.id:
            raise RegistryError(f"check ID must be a non-empty string, got {check.id!r}")
        if check.id in levels:
            raise RegistryError(f"check {check.id}: registered more than once")
        levels[check.id] = check.level
        if check.level not in (Level.BASELINE, Level.RESTRICTED):
            raise RegistryError(f"check {check.id}: invalid level {check.level!r}")
        if not check.versions:
            raise RegistryError(f"check {check.id}: no versions")
        previous: Version | None = None
        for since in check.versions:
            if since.version.is_latest:
                raise RegistryError(f"check {check.id}: a minimum version cannot be latest")
            if previous is not None and not previous < since.version:
                raise RegistryError(
                    f"check {check.id}: versions must be strictly increasing,"
                    f" {since.version} follows {previous}"
                )
            previous = since.version
    for check in checks:
        for since in check.versions:
            if not since.overrides:
                continue
            if check.level is not Level.RESTRICTED:
                raise RegistryError(f"check {check.id}: only restricted checks may set overrides")
            for target in since.overrides:
                level = levels.get(target)
                if level is None:
                    raise RegistryError(f"check {check.id}: overrides unknown check {target}")
                if level is not Level.BASELINE:
                    raise RegistryError(f"check {check.id}: overrides {level} check {target}")


class Registry:
    """Validated checks and, per level, the precomputed plan of every minor version."""

    __slots__ = ("_compiled", "_facts", "_ids", "_memory", "_plans", "checks", "max_version")

    def __init__(
        self,
        checks: Iterable[Check],
        emulation: Version | None = None,
        builtin: Iterable[Check] = (),
        remember: bool = True,
    ) -> None:
        """`builtin`: the checks the screen knows (a check is screened only when it is one of
        them; any other always runs). `remember`: whether plans remember pod shapes (off, every
        pod is evaluated afresh: the engine's own cost)."""
        self.checks: tuple[Check, ...] = tuple(checks)
        _validate(self.checks)
        max_version = max((c.versions[-1].version for c in self.checks), default=v1(0))
        if emulation is not None and emulation < max_version:
            max_version = emulation
        self.max_version: Version = max_version
        ordered = sorted(
            self.checks, key=lambda c: (c.level is Level.RESTRICTED, c.id.encode("utf-8"))
        )
        baseline_plans: list[Plan] = []
        restricted_plans: list[Plan] = []
        for minor in range(max_version.minor + 1):
            version = v1(minor)
            active = [(c, since) for c in ordered if (since := c.revision_at(version)) is not None]
            overridden = {
                t for c, since in active if c.level is Level.RESTRICTED for t in since.overrides
            }
            baseline_plans.append(
                tuple((c.id, s.fn) for c, s in active if c.level is Level.BASELINE)
            )
            restricted_plans.append(
                tuple((c.id, s.fn) for c, s in active if c.id not in overridden)
            )
        self._plans: dict[Level, tuple[Plan, ...]] = {
            Level.BASELINE: tuple(baseline_plans),
            Level.RESTRICTED: tuple(restricted_plans),
        }
        self._ids: dict[Level, tuple[tuple[CheckId, ...], ...]] = {
            level: tuple(tuple(check_id for check_id, _ in plan) for plan in plans)
            for level, plans in self._plans.items()
        }
        known = {c.id: c for c in builtin}
        bits = {c.id: bit_of(c, known.get(c.id)) for c in self.checks}
        newest = frozenset(check_id for check_id, _ in restricted_plans[-1])
        self._memory = _Memory()
        memory = self._memory if remember else None
        self._facts = _Memory(_FACTS_BYTES)
        self._compiled: dict[Level, tuple[_Compiled, ...]] = {
            level: tuple(
                _Compiled(plan, bits, memory, _min_hits(level, plan, newest), self._facts)
                for plan in plans
            )
            for level, plans in self._plans.items()
        }

    def plan(self, level: Level, version: Version) -> Plan:
        """The checks evaluated for `level` at `version`, in order (empty for privileged)."""
        plans = self._plans.get(level)
        if plans is None:
            return _privileged(level)
        minor = version.minor
        return plans[minor] if minor < len(plans) else plans[-1]

    def check_ids(self, level: Level, version: Version) -> tuple[CheckId, ...]:
        """The IDs of the checks evaluated for `level` at `version`, in order (none for
        privileged)."""
        ids = self._ids.get(level)
        if ids is None:
            return _privileged(level)
        minor = version.minor
        return ids[minor] if minor < len(ids) else ids[-1]

    def evaluate(
        self, level: Level, version: Version, meta: Obj, spec: Obj
    ) -> tuple[Violation, ...]:
        """The violations of the pod `(meta, spec)` at `level` and `version`, in upstream order."""
        plans = self._compiled.get(level)
        if plans is None:
            return _privileged(level)
        minor = version.minor
        compiled = plans[minor] if minor < len(plans) else plans[-1]
        shapes = compiled.by_shape
        if shapes is not None:
            if compiled.paused:
                compiled.paused -= 1
            else:
                shape = key(meta, spec)
                if shape is not None:
                    found = shapes.get(shape)
                    if found is None:
                        found = _run(compiled, meta, spec)
                        self._memory.remember(shapes, shape, found, _BYTES + len(shape))
                    else:
                        compiled.hits += 1
                    compiled.tried += 1
                    if compiled.tried >= _TRIAL:
                        compiled.end_trial()
                    return found
        return _run(compiled, meta, spec)


def _min_hits(level: Level, plan: Plan, newest: frozenset[CheckId]) -> int:
    """The hits a trial of `plan` needs for the memo to pay (`_BREAK_EVEN`): the restricted
    figure only for a restricted plan with every check ID of the newest one."""
    share = _BREAK_EVEN[Level.BASELINE]
    if level is Level.RESTRICTED and newest <= {check_id for check_id, _ in plan}:
        share = _BREAK_EVEN[Level.RESTRICTED]
    return math.ceil(_TRIAL * share)


def _run(compiled: _Compiled, meta: Obj, spec: Obj) -> tuple[Violation, ...]:
    """The violations of the pod `(meta, spec)` under the compiled plan: the screen, then, for
    a pod whose facts decide every check it leaves to run (`marks.py`), the violations found
    for the same facts before, else the checks it leaves to run."""
    if type(meta) is not dict:
        meta = EMPTY if meta is None else as_obj(meta)
    if type(spec) is not dict:
        spec = EMPTY if spec is None else as_obj(spec)
    contexts: list[tuple[Obj, Obj | None]] = []
    by_facts = compiled.by_facts
    if by_facts is None:  # no facts to write down (a baseline plan)
        screened = screen(meta, spec, contexts, None, compiled.wanted)
        suspects = screened & compiled.wanted
        if not suspects:
            return ()
        return _checks(compiled, suspects, screened, meta, spec, contexts)
    facts: list[Any] = []
    screened = screen(meta, spec, contexts, facts, compiled.wanted)
    suspects = screened & compiled.wanted
    if not suspects:
        return ()
    if screened & _UNDECIDED:
        return _checks(compiled, suspects, screened, meta, spec, contexts)
    facts.append(screened)
    key = tuple(facts)
    decided = by_facts.get(key)  # the violations of the MARKED checks
    others = suspects & compiled.others
    if decided is None:
        found = _checks(compiled, suspects, screened, meta, spec, contexts)
        decided = tuple([v for v in found if v.check in MARKED]) if others else found
        compiled.facts.remember(by_facts, key, decided, _facts_bytes(key))
        return found
    if not others:
        return decided
    rest = _checks(compiled, others, screened, meta, spec, contexts)
    if not decided:
        return rest
    if not rest:
        return decided
    order = compiled.order
    return tuple(sorted((*decided, *rest), key=lambda v: order[v.check]))


def _checks(
    compiled: _Compiled,
    suspects: int,
    screened: int,
    meta: Obj,
    spec: Obj,
    collected: list[tuple[Obj, Obj | None]],
) -> tuple[Violation, ...]:
    """The violations of the pod `(meta, spec)` under the compiled plan: the checks whose bits
    are in `suspects` (some), on the contexts the screen `collected` (unless `screened` says
    they are not to be used)."""
    run = compiled.by_mask.get(suspects)
    if run is None:
        run = compiled.select(suspects)
    contexts: Contexts = pod_contexts(spec) if screened & ODD else collected
    found: list[Violation] | None = None
    for check_id, fn in run:
        result = fn(meta, spec, contexts)
        if result is not None:
            if found is None:
                found = []
            made = _VIOLATIONS.get((check_id, result))
            if made is None:
                made = _violation(check_id, result)
            found.append(made)
    return () if found is None else tuple(found)


def _privileged(level: object) -> tuple[()]:
    """Privileged runs no checks; anything else that is not a level is an error, never an
    "allowed" (a typo must not switch the policy off)."""
    if level == Level.PRIVILEGED:
        return ()
    raise PolicyError(f"must be one of privileged, baseline, restricted (got {level!r})")


def _violation_factory() -> Callable[[str, str, str, Faults], Violation]:
    """`Violation(check, reason, detail, faults)` without the frozen dataclass' `__init__`,
    which costs four `object.__setattr__` calls; the slot descriptors give the same object in
    60% of the time (a failing pod builds several violations)."""
    new = object.__new__
    slots = Violation.__dict__
    set_check = slots["check"].__set__
    set_reason = slots["reason"].__set__
    set_detail = slots["detail"].__set__
    set_faults = slots["faults"].__set__

    def make(check: str, reason: str, detail: str, faults: Faults) -> Violation:
        v = new(Violation)
        set_check(v, check)
        set_reason(v, reason)
        set_detail(v, detail)
        set_faults(v, faults)
        return v

    return make


_make_violation = _violation_factory()
_VIOLATION = sys.getsizeof(_make_violation("", "", "", ())) + _ROUND  # every one, its fields aside


_VIOLATIONS: dict[tuple[CheckId, Forbidden], Violation] = {}
_BYTES_OF: dict[int, tuple[Violation | None, int]] = {}
_UNKNOWN: tuple[Violation | None, int] = (None, -1)
"""The bytes (`_held`) of each violation in `_VIOLATIONS`, by its `id`; each entry holds its
violation, so an `id` here is never one of another object (cleared with `_VIOLATIONS`)."""
_REMEMBERED = 4096  # violations remembered, at most (then all are forgotten)
_SMALL_DETAIL = 1024  # characters of the detail of a violation remembered, at most


def _violation(check_id: CheckId, result: Forbidden) -> Violation:
    """The violation of a check's `result`. Violations are frozen values, so equal ones (faults
    included: the key is the whole result) can be shared: pods from one template repeat the
    same violations (the checks remember their results too), and a lookup in `_VIOLATIONS`
    costs a fraction of building one. Only small ones are remembered: one naming thousands of
    containers is made afresh each time, as a webhook's requester could otherwise fill the
    memory with megabytes per pod (it chooses the pods, and every one is evaluated).
    Bounded; thread-safe (a lost entry is only made again)."""
    made = _make_violation(check_id, result[0], result[1], result[2])
    if len(result[1]) <= _SMALL_DETAIL and len(result[2]) <= FEW:
        if len(_VIOLATIONS) >= _REMEMBERED:
            _VIOLATIONS.clear()
            _BYTES_OF.clear()
        _VIOLATIONS[(check_id, result)] = made
        _BYTES_OF[id(made)] = (made, _held((made,)))
    return made


_BUILTIN = discover()
DEFAULT = Registry(_BUILTIN, builtin=_BUILTIN)
"""The registry of the built-in checks (upstream's default evaluator, no emulation)."""
