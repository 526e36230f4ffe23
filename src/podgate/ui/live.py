"""Applying a change to the cluster (`--allow-changes --live`): every call as a server-side dry
run first (`dryRun=All`); only when all of them pass, the same calls for real. One JSON audit
line per call, with the identity the UI acts as (its kubeconfig's or service account's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from podgate.ui.changes import FIELD_MANAGER, Change


class Client(Protocol):
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | None = None,
    ) -> Any: ...


def applier(
    client: Client, identity: str, audit: Callable[[dict[str, Any]], None]
) -> Callable[[Change], list[dict[str, Any]]]:
    def apply(change: Change) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = [
            {"summary": c.summary, "dryRun": "not sent", "applied": "not sent", "error": ""}
            for c in change.calls
        ]

        def call(i: int, dry: bool) -> bool:
            c = change.calls[i]
            params = {"fieldManager": FIELD_MANAGER}
            if c.content_type.startswith("application/apply-patch"):
                params["force"] = "true"
            if dry:
                params["dryRun"] = "All"
            error = ""
            try:
                client.request(
                    c.method,
                    c.path,
                    params=params,
                    body=c.body,
                    content_type=c.content_type or "application/json",
                )
            except Exception as e:  # noqa: BLE001 (every failure is reported, none is fatal)
                error = str(e)
            results[i]["dryRun" if dry else "applied"] = "failed" if error else "ok"
            results[i]["error"] = error
            audit(
                {
                    "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "action": change.action,
                    "call": c.summary,
                    "method": c.method,
                    "path": c.path,
                    "dryRun": dry,
                    "identity": identity,
                    "result": "failed" if error else "ok",
                    **({"error": error} if error else {}),
                }
            )
            return not error

        dry_runs = [call(i, dry=True) for i in range(len(change.calls))]  # all, to report all
        if all(dry_runs):
            for i in range(len(change.calls)):
                if not call(i, dry=False):
                    break
        return results

    return apply
