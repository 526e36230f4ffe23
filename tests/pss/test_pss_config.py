"""PodSecurityConfiguration decoding, defaulting and validation (spec §6, errata B, D3, C10)."""

from __future__ import annotations

import pytest

from podgate.errors import PolicyError
from podgate.pss.config import (
    DEFAULT_CONFIGURATION,
    ConfigurationError,
    Exemptions,
    parse_configuration,
    to_policy_text,
)

V1 = "pod-security.admission.config.k8s.io/v1"
KIND = "PodSecurityConfiguration"
LEVEL_ERR = "must be one of privileged, baseline, restricted"
VERSION_ERR = 'must be "latest" or "v1.x"'
LABEL_ERR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def cfg(**body):
    return {"apiVersion": V1, "kind": KIND, **body}


def modes(c):
    d = c.defaults
    return (str(d.enforce), str(d.audit), str(d.warn))


@pytest.mark.parametrize(
    ("doc", "want"),
    [
        pytest.param(None, ("privileged:latest",) * 3, id="no-document"),
        pytest.param(cfg(), ("privileged:latest",) * 3, id="all-defaulted"),
        pytest.param(
            cfg(defaults={"enforce": "baseline"}),
            ("baseline:latest", "privileged:latest", "privileged:latest"),
            id="enforce-only",
        ),
        pytest.param(
            {
                **cfg(defaults={"enforce": "baseline", "enforce-version": "v1.7"}),
                "apiVersion": "pod-security.admission.config.k8s.io/v1alpha1",
            },
            ("baseline:v1.7", "privileged:latest", "privileged:latest"),
            id="v1alpha1",
        ),
        pytest.param(
            {
                **cfg(
                    defaults={"audit": "restricted", "warn": "baseline", "warn-version": "v1.30"}
                ),
                "apiVersion": "pod-security.admission.config.k8s.io/v1beta1",
            },
            ("privileged:latest", "restricted:latest", "baseline:v1.30"),
            id="v1beta1",
        ),
        pytest.param(
            cfg(defaults={"enforce": "", "enforce-version": None}),
            ("privileged:latest",) * 3,
            id="empty-and-null-defaulted",
        ),
    ],
)
def test_defaults(doc, want):
    assert modes(parse_configuration(doc)) == want


def test_exemptions_read_and_matched():
    c = parse_configuration(
        cfg(
            exemptions={
                "usernames": ["alice", "system:serviceaccount:kube-system:x"],
                "namespaces": ["kube-system"],
                "runtimeClasses": ["gvisor.example.com"],
            }
        )
    )
    e = c.exemptions
    assert e == Exemptions(
        ("alice", "system:serviceaccount:kube-system:x"), ("kube-system",), ("gvisor.example.com",)
    )
    assert [e.user(u) for u in ("alice", "Alice", "")] == [True, False, False]
    assert [e.namespace(n) for n in ("kube-system", "kube", "")] == [True, False, False]
    assert [e.runtime_class(r) for r in ("gvisor.example.com", None, "", 1)] == [
        True,
        False,
        False,
        False,
    ]
    assert parse_configuration(None) == DEFAULT_CONFIGURATION


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        pytest.param({"kind": KIND}, "Object 'apiVersion' is missing", id="no-apiVersion"),
        pytest.param({"apiVersion": V1}, "Object 'Kind' is missing", id="no-kind"),
        pytest.param(
            {"apiVersion": "apps/v1alpha1", "kind": KIND},
            'no kind "PodSecurityConfiguration" is registered for version "apps/v1alpha1" '
            "(expected kind PodSecurityConfiguration in pod-security.admission.config.k8s.io/v1, "
            "pod-security.admission.config.k8s.io/v1beta1, "
            "pod-security.admission.config.k8s.io/v1alpha1)",
            id="unknown-group",
        ),
        pytest.param(
            {"apiVersion": "pod-security.admission.config.k8s.io/v99", "kind": KIND},
            'no kind "PodSecurityConfiguration" is registered for version '
            '"pod-security.admission.config.k8s.io/v99" (expected kind PodSecurityConfiguration '
            "in pod-security.admission.config.k8s.io/v1, "
            "pod-security.admission.config.k8s.io/v1beta1, "
            "pod-security.admission.config.k8s.io/v1alpha1)",
            id="unknown-version",
        ),
        pytest.param(
            {"apiVersion": V1, "kind": "SomeConfiguration"},
            'no kind "SomeConfiguration" is registered for version '
            '"pod-security.admission.config.k8s.io/v1" (expected kind PodSecurityConfiguration '
            "in pod-security.admission.config.k8s.io/v1, "
            "pod-security.admission.config.k8s.io/v1beta1, "
            "pod-security.admission.config.k8s.io/v1alpha1)",
            id="unknown-kind",
        ),
        pytest.param(
            cfg(deflaults={"enforce": "baseline"}),
            'strict decoding error: unknown field "deflaults"',
            id="unknown-field",
        ),
        pytest.param(
            cfg(defaults={"Enforce": "baseline"}),
            'strict decoding error: unknown field "defaults.Enforce"',
            id="unknown-nested-field",
        ),
        pytest.param(
            cfg(exemptions={"users": ["a"]}),
            'strict decoding error: unknown field "exemptions.users"',
            id="unknown-exemption",
        ),
        pytest.param(
            cfg(defaults={"enforce": 3}),
            "defaults.enforce: expected a string, got number",
            id="wrong-type",
        ),
        pytest.param(
            cfg(exemptions={"namespaces": "kube-system"}),
            "exemptions.namespaces: expected an array of strings, got string",
            id="not-a-list",
        ),
        pytest.param(
            cfg(defaults=[]), "defaults: expected an object, got array", id="defaults-list"
        ),
        pytest.param(["x"], "expected an object, got array", id="not-an-object"),
    ],
)
def test_decode_errors(doc, message):
    with pytest.raises(ConfigurationError) as e:
        parse_configuration(doc)
    assert str(e.value) == message
    assert isinstance(e.value, PolicyError)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            {"defaults": {"enforce": "strict", "audit-version": "v1.01", "warn": "Baseline"}},
            [
                f'defaults.enforce: Invalid value: "strict": {LEVEL_ERR}',
                f'defaults.warn: Invalid value: "Baseline": {LEVEL_ERR}',
                f'defaults.audit-version: Invalid value: "v1.01": {VERSION_ERR}',
            ],
            id="defaults-in-validation-order",
        ),
        pytest.param(
            {"exemptions": {"namespaces": ["kube-system", "Bad_NS", "kube-system", "Bad_NS"]}},
            [
                f'exemptions.namespaces[1]: Invalid value: "Bad_NS": {LABEL_ERR}',
                'exemptions.namespaces[2]: Duplicate value: "kube-system"',
                # an invalid entry is not remembered, so it is Invalid again, not Duplicate
                f'exemptions.namespaces[3]: Invalid value: "Bad_NS": {LABEL_ERR}',
            ],
            id="namespaces",
        ),
        pytest.param(
            {"exemptions": {"namespaces": ["a" * 64, "-a", "a.b"]}},
            [
                f'exemptions.namespaces[0]: Invalid value: "{"a" * 64}": '
                "must be no more than 63 characters",
                f'exemptions.namespaces[1]: Invalid value: "-a": {LABEL_ERR}',
                f'exemptions.namespaces[2]: Invalid value: "a.b": {LABEL_ERR}',
            ],
            id="namespace-label-rules",
        ),
        pytest.param(
            {
                "exemptions": {
                    "runtimeClasses": ["kata.example.com", "x..y", "", "kata.example.com"]
                }
            },
            [
                f'exemptions.runtimeClasses[1]: Invalid value: "x..y": {SUBDOMAIN_ERR}',
                f'exemptions.runtimeClasses[2]: Invalid value: "": {SUBDOMAIN_ERR}',
                'exemptions.runtimeClasses[3]: Duplicate value: "kata.example.com"',
            ],
            id="runtime-classes",
        ),
        pytest.param(
            {"exemptions": {"usernames": ["", "bob", "bob"]}},
            [
                'exemptions.usernames[0]: Invalid value: "": username must not be empty',
                'exemptions.usernames[2]: Duplicate value: "bob"',
            ],
            id="usernames",
        ),
        pytest.param(
            {
                "exemptions": {
                    "usernames": [""],
                    "runtimeClasses": ["A"],
                    "namespaces": ["B"],
                }
            },
            [
                f'exemptions.namespaces[0]: Invalid value: "B": {LABEL_ERR}',
                f'exemptions.runtimeClasses[0]: Invalid value: "A": {SUBDOMAIN_ERR}',
                'exemptions.usernames[0]: Invalid value: "": username must not be empty',
            ],
            id="exemption-order",
        ),
    ],
)
def test_validation_errors(body, errors):
    with pytest.raises(ConfigurationError) as e:
        parse_configuration(cfg(**body))
    assert [str(x) for x in e.value.errors] == errors
    want = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
    assert str(e.value) == want


def test_to_policy_text_is_what_the_binaries_print():
    assert (
        to_policy_text({}) == f"[enforce: {LEVEL_ERR}, enforce-version: {VERSION_ERR}, "
        f"audit: {LEVEL_ERR}, audit-version: {VERSION_ERR}, warn: {LEVEL_ERR}, "
        f"warn-version: {VERSION_ERR}]"
    )
    ok = {
        "enforce": "baseline",
        "enforce-version": "latest",
        "audit": "privileged",
        "audit-version": "v1.2",
        "warn": "restricted",
        "warn-version": "latest",
    }
    assert to_policy_text(ok) == ""
    assert to_policy_text({**ok, "enforce": "x"}) == f"enforce: {LEVEL_ERR}"


ADMISSION = "apiserver.config.k8s.io/v1"


@pytest.mark.parametrize(
    ("doc", "want"),
    [
        pytest.param(
            {
                "apiVersion": ADMISSION,
                "kind": "AdmissionConfiguration",
                "plugins": [
                    {"name": "EventRateLimit", "path": "erl.yaml"},
                    {"name": "PodSecurity", "configuration": cfg(defaults={"enforce": "baseline"})},
                ],
            },
            ("baseline:latest", "privileged:latest", "privileged:latest"),
            id="inline",
        ),
        pytest.param(
            {
                "apiVersion": "apiserver.k8s.io/v1alpha1",
                "kind": "AdmissionConfiguration",
                "plugins": [{"name": "Other"}],
            },
            ("privileged:latest",) * 3,
            id="no-podsecurity-plugin",
        ),
        pytest.param(
            {"apiVersion": "apiserver.config.k8s.io/v1alpha1", "kind": "AdmissionConfiguration"},
            ("privileged:latest",) * 3,
            id="no-plugins",
        ),
        pytest.param(
            {
                "apiVersion": ADMISSION,
                "kind": "AdmissionConfiguration",
                "plugins": [{"name": "PodSecurity"}],
            },
            ("privileged:latest",) * 3,
            id="plugin-without-configuration",
        ),
    ],
)
def test_admission_configuration(doc, want):
    assert modes(parse_configuration(doc)) == want


def test_admission_configuration_path_is_read_by_the_caller():
    asked = []

    def read(path):
        asked.append(path)
        return cfg(defaults={"warn": "restricted"})

    doc = {
        "apiVersion": ADMISSION,
        "kind": "AdmissionConfiguration",
        "plugins": [{"name": "PodSecurity", "path": "pss.yaml"}],
    }
    assert modes(parse_configuration(doc, read_path=read)) == (
        "privileged:latest",
        "privileged:latest",
        "restricted:latest",
    )
    assert asked == ["pss.yaml"]
    assert parse_configuration(doc, read_path=lambda p: None) == DEFAULT_CONFIGURATION
    with pytest.raises(ConfigurationError) as e:
        parse_configuration(doc)
    assert (
        str(e.value) == "plugins[0].path: configuration in another file (pss.yaml) cannot be "
        "read here"
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        pytest.param(
            {"apiVersion": "apiserver.config.k8s.io/v2", "kind": "AdmissionConfiguration"},
            'no kind "AdmissionConfiguration" is registered for version '
            '"apiserver.config.k8s.io/v2" (expected apiserver.config.k8s.io/v1, '
            "apiserver.config.k8s.io/v1alpha1, apiserver.k8s.io/v1alpha1)",
            id="bad-version",
        ),
        pytest.param(
            {
                "apiVersion": ADMISSION,
                "kind": "AdmissionConfiguration",
                "plugins": [{"name": "PodSecurity", "configuration": {"apiVersion": V1}}],
            },
            "plugins[0].configuration: Object 'Kind' is missing",
            id="inline-decode-error-has-path",
        ),
        pytest.param(
            {
                "apiVersion": ADMISSION,
                "kind": "AdmissionConfiguration",
                "plugins": [{"name": "PodSecurity", "configuration": cfg(defaults={"enforce": 1})}],
            },
            "plugins[0].configuration.defaults.enforce: expected a string, got number",
            id="inline-type-error-has-path",
        ),
        pytest.param(
            {"apiVersion": ADMISSION, "kind": "AdmissionConfiguration", "plugins": {}},
            "plugins: expected an array, got object",
            id="plugins-not-a-list",
        ),
    ],
)
def test_admission_configuration_errors(doc, message):
    with pytest.raises(ConfigurationError) as e:
        parse_configuration(doc)
    assert str(e.value) == message


def test_inline_validation_errors_keep_upstream_paths():
    doc = {
        "apiVersion": ADMISSION,
        "kind": "AdmissionConfiguration",
        "plugins": [{"name": "PodSecurity", "configuration": cfg(exemptions={"usernames": [""]})}],
    }
    with pytest.raises(ConfigurationError) as e:
        parse_configuration(doc)
    assert str(e.value) == 'exemptions.usernames[0]: Invalid value: "": username must not be empty'
