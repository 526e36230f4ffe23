"""PodSecurityConfiguration: the defaults and exemptions of Pod Security Admission (spec §6).

Read from an already-decoded document, either a bare `PodSecurityConfiguration` or the
kube-apiserver `AdmissionConfiguration` whose `PodSecurity` plugin carries one (inline as
`configuration`, or in another file named by `path`, which the caller reads):

    apiVersion: pod-security.admission.config.k8s.io/v1      # or v1beta1, v1alpha1
    kind: PodSecurityConfiguration
    defaults: {enforce: baseline, enforce-version: latest, audit: ..., warn: ...}
    exemptions: {usernames: [...], namespaces: [...], runtimeClasses: [...]}

As upstream: decoding is strict (missing `apiVersion`/`kind`, an unknown group, version or kind, and
unknown fields are errors); omitted or empty defaults become `privileged` and `latest`; no document
at all means the defaults with no exemptions. Validation follows upstream's
`ValidatePodSecurityConfiguration`, in its order (defaults enforce, enforce-version, warn,
warn-version, audit, audit-version; then namespaces, runtime classes, usernames), with its field
paths and texts. Upstream's binaries actually report bad *defaults* earlier, through `ToPolicy`, as
`enforce: must be one of ...` (errata D3); `to_policy_text` renders that form too.

Not detectable here: duplicate keys (the decoder already kept one of them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from podgate.errors import PolicyError
from podgate.k8s.field import FieldError, duplicate, invalid
from podgate.k8s.gotext import go_quote
from podgate.pss import LevelVersion, parse_level, parse_version
from podgate.pss.labels import DEFAULT_POLICY, LEVEL_ERROR, VERSION_ERROR, Policy, aggregate

__all__ = [
    "ADMISSION_CONFIGURATION_VERSIONS",
    "CONFIGURATION_VERSIONS",
    "DEFAULT_CONFIGURATION",
    "GROUP",
    "ConfigurationError",
    "Exemptions",
    "PodSecurityConfiguration",
    "parse_configuration",
    "to_policy_text",
]

GROUP = "pod-security.admission.config.k8s.io"
KIND = "PodSecurityConfiguration"
CONFIGURATION_VERSIONS = tuple(f"{GROUP}/{v}" for v in ("v1", "v1beta1", "v1alpha1"))
ADMISSION_CONFIGURATION_VERSIONS = (
    "apiserver.config.k8s.io/v1",
    "apiserver.config.k8s.io/v1alpha1",
    "apiserver.k8s.io/v1alpha1",
)
PLUGIN_NAME = "PodSecurity"

_DEFAULT_FIELDS = ("enforce", "enforce-version", "audit", "audit-version", "warn", "warn-version")
_EXEMPTION_FIELDS = ("usernames", "namespaces", "runtimeClasses")

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
_LABEL_ERROR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_SUBDOMAIN_ERROR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


class ConfigurationError(PolicyError):
    """A configuration that cannot be used; `errors` holds the field errors when it was decoded
    but did not validate."""

    def __init__(self, message: str, *, field: str = "", errors: tuple[FieldError, ...] = ()):
        super().__init__(message, field=field)
        self.reason = message
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Exemptions:
    """Requests exempt from Pod Security; every match is exact and an empty name never matches."""

    usernames: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    runtime_classes: tuple[str, ...] = ()

    def user(self, name: str) -> bool:
        return bool(name) and name in self.usernames

    def namespace(self, name: str) -> bool:
        return bool(name) and name in self.namespaces

    def runtime_class(self, name: object) -> bool:
        """`name` is a pod's `spec.runtimeClassName` as decoded (unset, "" never match)."""
        return isinstance(name, str) and bool(name) and name in self.runtime_classes


@dataclass(frozen=True, slots=True)
class PodSecurityConfiguration:
    """Defaults for namespaces without labels, and exemptions."""

    defaults: Policy = DEFAULT_POLICY
    exemptions: Exemptions = Exemptions()


DEFAULT_CONFIGURATION = PodSecurityConfiguration()


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _expect_mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"expected an object, got {_type_name(value)}", field=path)
    return value


def _unknown_fields(obj: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> None:
    for key in obj:
        if key not in known:
            name = f"{prefix}{key}"
            raise ConfigurationError(f"strict decoding error: unknown field {go_quote(name)}")


def _string(value: Any, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigurationError(f"expected a string, got {_type_name(value)}", field=path)
    return value


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigurationError(
            f"expected an array of strings, got {_type_name(value)}", field=path
        )
    return tuple(_string(v, f"{path}[{i}]") for i, v in enumerate(value))


def _dns1123_label(name: str) -> list[str]:
    errs = []
    if len(name) > DNS1123_LABEL_MAX:
        errs.append(f"must be no more than {DNS1123_LABEL_MAX} characters")
    if not _is_label(name):
        errs.append(_LABEL_ERROR)
    return errs


def _dns1123_subdomain(name: str) -> list[str]:
    errs = []
    if len(name) > DNS1123_SUBDOMAIN_MAX:
        errs.append(f"must be no more than {DNS1123_SUBDOMAIN_MAX} characters")
    if not all(_is_label(part) for part in name.split(".")):
        errs.append(_SUBDOMAIN_ERROR)
    return errs


def _is_label(s: str) -> bool:
    """`[a-z0-9]([-a-z0-9]*[a-z0-9])?`, without a regex (the input is untrusted)."""
    if not s or s[0] == "-" or s[-1] == "-":
        return False
    return all(c == "-" or "a" <= c <= "z" or "0" <= c <= "9" for c in s)


def _unique_valid(
    values: tuple[str, ...], path: str, check: Callable[[str], list[str]]
) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, value in enumerate(values):
        at = f"{path}[{i}]"
        problems = check(value)
        if problems:
            errors.append(invalid(at, value, ", ".join(problems)))
        elif value in seen:
            errors.append(duplicate(at, value))
        else:
            seen.add(value)
    return errors


def _usernames(value: str) -> list[str]:
    return [] if value else ["username must not be empty"]


def _valid(parse: Callable[[str], Any], value: str) -> bool:
    try:
        parse(value)
    except PolicyError:
        return False
    return True


def _validate(defaults: Mapping[str, str], exemptions: Exemptions) -> list[FieldError]:
    errors: list[FieldError] = []
    for mode in ("enforce", "warn", "audit"):  # upstream's validation order
        level, version = defaults[mode], defaults[f"{mode}-version"]
        if not _valid(parse_level, level):
            errors.append(invalid(f"defaults.{mode}", level, LEVEL_ERROR))
        if not _valid(parse_version, version):
            errors.append(invalid(f"defaults.{mode}-version", version, VERSION_ERROR))
    errors += _unique_valid(exemptions.namespaces, "exemptions.namespaces", _dns1123_label)
    errors += _unique_valid(
        exemptions.runtime_classes, "exemptions.runtimeClasses", _dns1123_subdomain
    )
    errors += _unique_valid(exemptions.usernames, "exemptions.usernames", _usernames)
    return errors


def to_policy_text(defaults: Mapping[str, str]) -> str:
    """Upstream `ToPolicy`'s error for bad defaults, as its binaries print it (errata D3):
    `enforce: must be one of ...`, several as `[a, b]`, in the order enforce, enforce-version,
    audit, audit-version, warn, warn-version; "" when the defaults parse."""
    errors = []
    for name in _DEFAULT_FIELDS:
        value = defaults.get(name, "")
        is_version = name.endswith("-version")
        parse = parse_version if is_version else parse_level
        if not _valid(parse, value):
            errors.append(f"{name}: {VERSION_ERROR if is_version else LEVEL_ERROR}")
    return aggregate(errors)


def _decode_configuration(doc: Mapping[str, Any]) -> PodSecurityConfiguration:
    api_version = doc.get("apiVersion")
    kind = doc.get("kind")
    if not api_version:
        raise ConfigurationError("Object 'apiVersion' is missing")
    if not kind:
        raise ConfigurationError("Object 'Kind' is missing")
    if api_version not in CONFIGURATION_VERSIONS or kind != KIND:
        raise ConfigurationError(
            f"no kind {go_quote(str(kind))} is registered for version {go_quote(str(api_version))}"
            f" (expected kind {KIND} in {', '.join(CONFIGURATION_VERSIONS)})"
        )
    _unknown_fields(doc, ("apiVersion", "kind", "defaults", "exemptions"), "")
    raw_defaults = _expect_mapping(doc.get("defaults"), "defaults")
    _unknown_fields(raw_defaults, _DEFAULT_FIELDS, "defaults.")
    raw_exemptions = _expect_mapping(doc.get("exemptions"), "exemptions")
    _unknown_fields(raw_exemptions, _EXEMPTION_FIELDS, "exemptions.")

    defaults: dict[str, str] = {}
    for name in _DEFAULT_FIELDS:
        value = _string(raw_defaults.get(name), f"defaults.{name}")
        # SetDefaults_PodSecurityDefaults: empty levels are privileged, empty versions latest
        defaults[name] = value or ("latest" if name.endswith("-version") else "privileged")
    exemptions = Exemptions(
        usernames=_strings(raw_exemptions.get("usernames"), "exemptions.usernames"),
        namespaces=_strings(raw_exemptions.get("namespaces"), "exemptions.namespaces"),
        runtime_classes=_strings(raw_exemptions.get("runtimeClasses"), "exemptions.runtimeClasses"),
    )
    errors = _validate(defaults, exemptions)
    if errors:
        raise ConfigurationError(aggregate(errors), errors=tuple(errors))

    def lv(mode: str) -> LevelVersion:
        return LevelVersion(parse_level(defaults[mode]), parse_version(defaults[f"{mode}-version"]))

    return PodSecurityConfiguration(Policy(lv("enforce"), lv("audit"), lv("warn")), exemptions)


def _plugin_configuration(
    doc: Mapping[str, Any], read_path: Callable[[str], Mapping[str, Any] | None] | None
) -> PodSecurityConfiguration:
    plugins = doc.get("plugins")
    if plugins is None:
        return DEFAULT_CONFIGURATION
    if not isinstance(plugins, list):
        raise ConfigurationError(f"expected an array, got {_type_name(plugins)}", field="plugins")
    for i, plugin in enumerate(plugins):
        at = f"plugins[{i}]"
        plugin = _expect_mapping(plugin, at)
        if plugin.get("name") != PLUGIN_NAME:
            continue
        embedded = plugin.get("configuration")
        if embedded is not None:
            inner = _expect_mapping(embedded, f"{at}.configuration")
            return _decode_embedded(inner, f"{at}.configuration")
        path = _string(plugin.get("path"), f"{at}.path")
        if not path:
            return DEFAULT_CONFIGURATION
        if read_path is None:
            raise ConfigurationError(
                f"configuration in another file ({path}) cannot be read here", field=f"{at}.path"
            )
        referenced = read_path(path)
        if referenced is None:  # an empty file
            return DEFAULT_CONFIGURATION
        return _decode_configuration(_expect_mapping(referenced, path))
    return DEFAULT_CONFIGURATION


def _decode_embedded(doc: Mapping[str, Any], prefix: str) -> PodSecurityConfiguration:
    """Decode a configuration inside another document, naming where it is in decode errors."""
    try:
        return _decode_configuration(doc)
    except ConfigurationError as e:
        if e.errors:
            raise
        field = f"{prefix}.{e.field}" if e.field else prefix
        raise ConfigurationError(e.reason, field=field) from e


def parse_configuration(
    doc: Mapping[str, Any] | None,
    *,
    read_path: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> PodSecurityConfiguration:
    """The configuration in a decoded document; None (an empty file) gives the defaults.

    `doc` is a `PodSecurityConfiguration` or an `AdmissionConfiguration` (whose `PodSecurity`
    plugin entry has the configuration inline or, through `read_path`, in the file it names; no
    such entry gives the defaults). Raises ConfigurationError (a PolicyError) with the field path.
    """
    if doc is None:
        return DEFAULT_CONFIGURATION
    if not isinstance(doc, Mapping):
        raise ConfigurationError(f"expected an object, got {_type_name(doc)}")
    if doc.get("kind") == "AdmissionConfiguration":
        if doc.get("apiVersion") not in ADMISSION_CONFIGURATION_VERSIONS:
            raise ConfigurationError(
                f'no kind "AdmissionConfiguration" is registered for version '
                f"{go_quote(str(doc.get('apiVersion') or ''))}"
                f" (expected {', '.join(ADMISSION_CONFIGURATION_VERSIONS)})"
            )
        return _plugin_configuration(doc, read_path)
    return _decode_configuration(doc)
