"""How the client's failures read, for two audiences. `COMMAND_LINE`: a person who passed a
kubeconfig and `--max-bytes` (`podgate scan|advise|ui --live`), told which flag or kubeconfig
field to change. `SERVICE`: the webhook's logs and audit annotations, naming the call."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMMAND_LINE", "SERVICE", "Wording"]


@dataclass(frozen=True, slots=True)
class Wording:
    """How failures read. Fields a template may use: server, host, method, path (no query),
    target (with the query), timeout, limit, length, why."""

    verify_failed: str
    timed_out: str
    unreachable: str
    unresolved: str | None  # a name that does not resolve; None: as `unreachable`
    too_large: str  # Content-Length over the limit
    over_limit: str  # the body read past the limit
    not_json: str
    not_list: str


COMMAND_LINE = Wording(
    verify_failed="TLS verification of {server} failed: certificate verify failed: {why} "
    "(does the kubeconfig name the cluster's certificate-authority?)",
    timed_out="{server} did not answer within {timeout:g} s",
    unreachable="cannot reach the API server at {server}: {why}",
    unresolved="cannot reach the API server at {server}: cannot resolve {host}",
    too_large="{method} {target}: the response is {length} bytes, over the limit of {limit} "
    "(--max-bytes)",
    over_limit="{method} {target}: the response is over the limit of {limit} bytes (--max-bytes)",
    not_json="{method} {path}: the response is not JSON: {why}",
    not_list="{method} {path}: the response is not a list",
)
SERVICE = Wording(
    verify_failed="TLS verification of {server} failed: {why}",
    timed_out="{method} {path}: {server} did not answer in time",
    unreachable="{method} {path}: cannot reach {server}: {why}",
    unresolved=None,
    too_large="{method} {path}: the answer is over {limit} bytes",
    over_limit="{method} {path}: the answer is over {limit} bytes",
    not_json="{method} {path}: the answer is not JSON",
    not_list="{method} {path}: the answer is not a list",
)
