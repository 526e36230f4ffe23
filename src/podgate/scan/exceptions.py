"""Accepted risks: exceptions with a narrow scope, a justification, an owner and an expiry.

File format (YAML or JSON), as decoded:

    apiVersion: podgate.io/v1alpha1
    kind: ExceptionList
    exceptions:
      - id: vault-ipc-lock                 # optional; defaults to exceptions[i]
        scope:                             # at least one of these; all given must match
          namespace: vault
          serviceAccount: vault
          workload: StatefulSet/vault      # Kind/name, or just the name
          container: vault
          control: allowedCapabilities     # a control key (spec/threats.md)
          check: capabilities_baseline     # a PSS check ID or a rule id (pss/baseline/...)
        justification: mlock keeps secrets out of swap
        owner: security@example.com
        expires: 2027-01-31
        ticket: SEC-142                    # optional: where the risk is tracked

A finding covered by an active exception is reported as accepted, never hidden. Expired
exceptions cover nothing and are reported, and so are exceptions that match nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from podgate.errors import PolicyError
from podgate.scan.findings import Finding

SCOPE_KEYS = ("namespace", "serviceAccount", "workload", "container", "control", "check")
KINDS = ("ExceptionList",)


@dataclass(frozen=True, slots=True)
class AcceptedRisk:
    id: str
    scope: Mapping[str, str]
    justification: str
    owner: str
    expires: dt.date
    source: str = ""  # where it was read ("file: exceptions[2]")
    ticket: str = ""  # where the accepted risk is tracked (optional)

    def is_expired(self, today: dt.date) -> bool:
        return today > self.expires


ExceptionState = Literal["active", "expired", "unused"]
"""An exception expired (it covers nothing), active (it covers a finding), or unused."""


@dataclass(frozen=True, slots=True)
class ExceptionStatus:
    exception: AcceptedRisk
    state: ExceptionState
    matched: int  # findings it covers (0 when expired)


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PolicyError(f"expected a date as YYYY-MM-DD, got {value!r}", field=field)


def _text(item: Mapping[str, Any], key: str, at: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PolicyError("required: a non-empty string", field=f"{at}.{key}")
    return value


def parse_exceptions(doc: Mapping[str, Any], where: str = "") -> list[AcceptedRisk]:
    """Exceptions from a decoded ExceptionList (or a bare list of exceptions)."""
    items: Any = doc.get("exceptions") if isinstance(doc, Mapping) else doc
    if isinstance(doc, Mapping) and doc.get("kind") not in (*KINDS, None):
        raise PolicyError(f"expected kind ExceptionList, got {doc.get('kind')!r}", field="kind")
    if not isinstance(items, list):
        raise PolicyError("expected a list of exceptions", field="exceptions")
    out: list[AcceptedRisk] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        at = f"exceptions[{i}]"
        if not isinstance(item, Mapping):
            raise PolicyError("expected a mapping", field=at)
        unknown = set(item) - {"id", "scope", "justification", "owner", "expires", "ticket"}
        if unknown:
            raise PolicyError(f"unknown field {sorted(unknown)[0]!r}", field=at)
        scope = item.get("scope")
        if not isinstance(scope, Mapping) or not scope:
            raise PolicyError(
                f"required: a scope with at least one of {', '.join(SCOPE_KEYS)}",
                field=f"{at}.scope",
            )
        for key, value in scope.items():
            if key not in SCOPE_KEYS:
                raise PolicyError(
                    f"unknown scope key {key!r} (known: {', '.join(SCOPE_KEYS)})",
                    field=f"{at}.scope",
                )
            if not isinstance(value, str) or not value:
                raise PolicyError("expected a non-empty string", field=f"{at}.scope.{key}")
        ident = item.get("id") or at
        if not isinstance(ident, str):
            raise PolicyError("expected a string", field=f"{at}.id")
        if ident in seen:
            raise PolicyError(f"duplicate exception id {ident!r}", field=f"{at}.id")
        seen.add(ident)
        ticket = item.get("ticket", "")
        if not isinstance(ticket, str):
            raise PolicyError("expected a string", field=f"{at}.ticket")
        out.append(
            AcceptedRisk(
                id=ident,
                scope=dict(scope),
                justification=_text(item, "justification", at),
                owner=_text(item, "owner", at),
                expires=_date(item.get("expires"), f"{at}.expires"),
                source=f"{where}: {at}" if where else at,
                ticket=ticket,
            )
        )
    return out


def matches(
    exception: AcceptedRisk,
    *,
    namespace: str,
    service_account: str,
    kind: str,
    name: str,
    container: str | None,
    control: str,
    check: str,
    rule: str,
) -> bool:
    """Whether every scope field of the exception matches the finding."""
    for key, want in exception.scope.items():
        if key == "namespace" and want != namespace:
            return False
        if key == "serviceAccount" and want != service_account:
            return False
        if key == "workload" and want not in (f"{kind}/{name}", name):
            return False
        if key == "container" and want != container:
            return False
        if key == "control" and want != control:
            return False
        if key == "check" and want not in (check, rule):
            return False
    return True


def apply_exceptions(
    findings: list[Finding], exceptions: Sequence[AcceptedRisk], today: dt.date
) -> tuple[list[Finding], tuple[ExceptionStatus, ...]]:
    """Each finding, accepted by the first active exception that covers it; and each exception's
    status (expired, active, or unused) with the number of findings it accepts."""
    counts: Counter[str] = Counter()
    active = [e for e in exceptions if not e.is_expired(today)]
    out = []
    for f in findings:
        for e in active:
            if matches(
                e,
                namespace=f.workload.namespace,
                service_account=f.service_account,
                kind=f.workload.kind,
                name=f.workload.name,
                container=f.container,
                control=f.control.key,
                check=f.check,
                rule=f.rule,
            ):
                f = replace(f, accepted_by=e.id)
                counts[e.id] += 1
                break
        out.append(f)
    statuses = tuple(
        ExceptionStatus(
            e,
            "expired" if e.is_expired(today) else "active" if counts[e.id] else "unused",
            counts[e.id],
        )
        for e in exceptions
    )
    return out, statuses
