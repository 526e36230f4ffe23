"""The strategy registry: podgate's families in upstream's order, and a registry that refuses
made-up families that would be called in no order, twice, or without the methods it places."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from typing import Any

import pytest

from podgate.errors import RegistryError
from podgate.k8s import Obj
from podgate.k8s.field import FieldError
from podgate.psp.registry import Registry, discover, registry
from podgate.psp.strategies import ContainerContext, Family, Order, PodView, Strategy


def test_every_phase_calls_the_families_in_upstreams_order() -> None:
    # pkg/security/podsecuritypolicy/factory.go and provider.go (1.21-1.24)
    reg = registry()
    assert [f.name for f in reg.build] == [
        "runAsUser", "runAsGroup", "seLinux", "appArmor", "seccomp", "fsGroup",
        "supplementalGroups", "capabilities", "sysctls", "readOnlyRootFilesystem",
        "allowPrivilegeEscalation", "privileged", "allowedProcMountTypes", "hostPorts",
        "hostNamespaces", "volumes", "runtimeClass",
    ]  # fmt: skip
    assert [f.name for f in reg.mutate_pod] == [
        "supplementalGroups", "fsGroup", "seLinux", "seccomp", "runtimeClass",
    ]  # fmt: skip
    assert [f.name for f in reg.mutate_container] == [
        "runAsUser", "runAsGroup", "seLinux", "appArmor", "capabilities",
        "readOnlyRootFilesystem", "allowPrivilegeEscalation",
    ]  # fmt: skip
    assert [f.name for f in reg.validate_pod] == [
        "fsGroup", "supplementalGroups", "seccomp", "seLinux", "hostNamespaces", "sysctls",
        "volumes", "runtimeClass",
    ]  # fmt: skip
    assert [f.name for f in reg.validate_container] == [
        "runAsUser", "runAsGroup", "seLinux", "appArmor", "seccomp", "privileged",
        "allowedProcMountTypes", "capabilities", "hostPorts", "readOnlyRootFilesystem",
        "allowPrivilegeEscalation",
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class _PodOnly(Strategy):
    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _ContainerOnly(Strategy):
    def validate_container(self, ctx: ContainerContext, errs: list[FieldError]) -> None:
        return None


def _build(spec: Obj, annotations: Obj) -> Strategy | None:
    return None


def _family(name: str, kind: type[Strategy], **order: Any) -> Family:
    return Family(name, _build, (kind,), Order(**order))


def test_a_registry_of_made_up_families_orders_each_phase_by_rank() -> None:
    reg = Registry.of(
        (
            _family("b", _PodOnly, build=2, validate_pod=1),
            _family("a", _PodOnly, build=1, validate_pod=2),
            _family("c", _ContainerOnly, build=3, validate_container=1),
        )
    )
    assert [f.name for f in reg.build] == ["a", "b", "c"]
    assert [f.name for f in reg.validate_pod] == ["b", "a"]
    assert [f.name for f in reg.validate_container] == ["c"]
    assert reg.mutate_pod == reg.mutate_container == ()


@pytest.mark.parametrize(
    ("families", "message"),
    [
        (
            (_family("a", _PodOnly, build=1, validate_pod=1),) * 2,
            "strategy family a: registered more than once",
        ),
        (
            (
                _family("a", _PodOnly, build=1, validate_pod=1),
                _family("b", _PodOnly, build=1, validate_pod=2),
            ),
            "strategy families a and b: both at 1 in the build order",
        ),
        (
            (_family("a", _PodOnly, build=1),),
            "strategy family a: _PodOnly.validate_pod has no place in the validate_pod order",
        ),
        (
            (_family("a", _PodOnly, build=1, validate_pod=1, validate_container=1),),
            "strategy family a: placed in the validate_container order, but no class "
            "implements validate_container",
        ),
        (
            (Family("a", _build, (dict,), Order(build=1)),),  # type: ignore[arg-type]
            "strategy family a: <class 'dict'> is no Strategy",
        ),
        (
            (Family("", _build, (_PodOnly,), Order(build=1, validate_pod=1)),),
            "a strategy family needs a name",
        ),
    ],
)
def test_the_registry_refuses_inconsistent_families(
    families: tuple[Family, ...], message: str
) -> None:
    with pytest.raises(RegistryError) as e:
        Registry.of(families)
    assert str(e.value) == message


def _package(name: str, modules: dict[str, dict[str, Any]], tmp_path: Any) -> types.ModuleType:
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    for module in modules:
        (root / f"{module}.py").write_text("")
    package = types.ModuleType(name)
    package.__path__ = [str(root)]
    sys.modules[name] = package
    for module, attrs in modules.items():
        m = types.ModuleType(f"{name}.{module}")
        m.__dict__.update(attrs)
        sys.modules[f"{name}.{module}"] = m
    return package


def test_discovery_reads_family_and_families_and_skips_private_modules(tmp_path: Any) -> None:
    a = _family("a", _PodOnly, build=1, validate_pod=1)
    b = _family("b", _ContainerOnly, build=2, validate_container=1)
    package = _package(
        "_psp_made_up_ok",
        {"one": {"FAMILY": a}, "two": {"FAMILIES": (b,)}, "_helpers": {}},
        tmp_path,
    )
    assert discover(package) == (a, b)


def test_discovery_refuses_a_strategy_module_without_its_family(tmp_path: Any) -> None:
    package = _package("_psp_made_up_bad", {"lonely": {}}, tmp_path)
    with pytest.raises(RegistryError, match=r"_psp_made_up_bad\.lonely: FAMILY is missing"):
        discover(package)


def test_podgates_own_strategy_modules_each_register_their_families() -> None:
    names = {f.name for f in discover()}
    assert len(names) == len(discover()) == 17
