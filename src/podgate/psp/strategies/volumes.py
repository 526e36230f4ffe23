"""spec.volumes (FSTypes), allowedHostPaths, allowedFlexVolumes and allowedCSIDrivers."""

from __future__ import annotations

from dataclasses import dataclass

from podgate.k8s import Obj, container_lists, mapping, sequence
from podgate.k8s.field import FieldError, FieldPath, invalid
from podgate.psp.policy import string_list
from podgate.psp.strategies import Family, Order, PodView, Strategy
from podgate.psp.strategies._sources import FS_TYPES, SOURCES, fs_type

__all__ = ["FAMILY", "FS_TYPES", "SOURCES", "Volumes", "build", "fs_type"]


def _trim(path: str) -> str:
    return path[:-1] if path.endswith("/") else path


@dataclass(frozen=True, slots=True)
class HostPath:
    prefix: str  # with one trailing slash removed
    read_only: bool


def allows_host_path(paths: tuple[HostPath, ...], path: str) -> tuple[bool, bool]:
    """(allowed, must be read-only). Any matching read-write entry wins; prefixes match on
    whole path segments."""
    if not paths:
        return True, False
    allowed = False
    path = _trim(path)
    for entry in paths:
        p = entry.prefix
        if path.startswith(p) and (len(path) == len(p) or path[len(p)] == "/"):
            if not entry.read_only:
                return True, False
            allowed = True
    return allowed, allowed


@dataclass(frozen=True, slots=True)
class Volumes(Strategy):
    # no mutator changes what this strategy reads
    mutation_independent = True

    allow_all: bool
    allowed: frozenset[str]
    host_paths: tuple[HostPath, ...]
    flex_drivers: frozenset[str]
    csi_drivers: frozenset[str]
    # the volume types this policy allows with no further look at the volume (see `build`)
    plain: frozenset[str] = frozenset()

    def validate_pod(self, view: PodView, errs: list[FieldError]) -> None:
        kinds = view.volume_types
        if not kinds or self.plain.issuperset(kinds):
            return
        spec = view.spec
        for i, kind in enumerate(kinds):
            at = ("spec", "volumes", i)
            if not kind:
                volume = mapping(spec["volumes"][i])
                errs.append(
                    invalid(at, "", f"unknown volume type for volume: {volume.get('name')}")
                )
                continue
            if not self.allow_all and kind not in self.allowed:
                errs.append(invalid(at, kind, f"{kind} volumes are not allowed to be used"))
                continue
            if kind == "hostPath":
                self._host_path(spec, mapping(spec["volumes"][i]), at, errs)
            elif kind == "flexVolume" and self.flex_drivers:
                driver = mapping(mapping(spec["volumes"][i]).get("flexVolume")).get("driver", "")
                if driver not in self.flex_drivers:
                    errs.append(
                        invalid(
                            (*at, "driver"), driver, "Flexvolume driver is not allowed to be used"
                        )
                    )
            elif kind == "csi" and self.csi_drivers:
                driver = mapping(mapping(spec["volumes"][i]).get("csi")).get("driver", "")
                if driver not in self.csi_drivers:
                    errs.append(
                        invalid(
                            (*at, "csi", "driver"),
                            driver,
                            "Inline CSI driver is not allowed to be used",
                        )
                    )

    def fails(self, view: PodView) -> bool:
        kinds = view.volume_types
        if not kinds or self.plain.issuperset(kinds):
            return False
        if "" in kinds or not (self.allow_all or self.allowed.issuperset(kinds)):
            return True  # a volume with no source, or of a type not allowed
        errs: list[FieldError] = []  # what is left: host paths and drivers
        self.validate_pod(view, errs)
        return bool(errs)

    def _host_path(self, spec: Obj, volume: Obj, at: FieldPath, errs: list[FieldError]) -> None:
        path = mapping(volume.get("hostPath")).get("path", "")
        path = path if isinstance(path, str) else ""
        allowed, read_only = allows_host_path(self.host_paths, path)
        if not allowed:
            errs.append(invalid((*at, "hostPath", "pathPrefix"), path, "is not allowed to be used"))
            return
        if not read_only:
            return
        name = volume.get("name")
        for list_name, items in container_lists(spec):
            for ci, c in enumerate(items):
                for mi, mount in enumerate(sequence(mapping(c).get("volumeMounts"))):
                    m = mapping(mount)
                    if m.get("name") == name and m.get("readOnly") is not True:
                        errs.append(
                            invalid(
                                ("spec", list_name, ci, "volumeMounts", mi, "readOnly"),
                                m.get("readOnly") is True,
                                "must be read-only",
                            )
                        )


def build(spec: Obj, annotations: Obj) -> Volumes:
    allowed = frozenset(string_list(spec.get("volumes")))
    host_paths = tuple(
        HostPath(_trim(str(mapping(e).get("pathPrefix") or "")), mapping(e).get("readOnly") is True)
        for e in sequence(spec.get("allowedHostPaths"))
    )
    flex = frozenset(
        d
        for e in sequence(spec.get("allowedFlexVolumes"))
        if isinstance(d := mapping(e).get("driver"), str)
    )
    csi = frozenset(
        n
        for e in sequence(spec.get("allowedCSIDrivers"))
        if isinstance(n := mapping(e).get("name"), str)
    )
    allow_all = "*" in allowed
    # a volume of one of these types passes: allowed, and neither a hostPath whose path the
    # policy restricts nor a flexVolume or csi volume whose driver it restricts; "" (no
    # source) is never in FS_TYPES
    looked_at = (
        ({"hostPath"} if host_paths else set())
        | ({"flexVolume"} if flex else set())
        | ({"csi"} if csi else set())
    )
    plain = (FS_TYPES if allow_all else FS_TYPES & allowed) - looked_at
    return Volumes(allow_all, allowed, host_paths, flex, csi, plain)


FAMILY = Family(
    "volumes",
    build,
    (Volumes,),
    Order(build=160, validate_pod=70),
)
