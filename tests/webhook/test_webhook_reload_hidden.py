"""The webhook's file sources watch exactly the files they load: the loader reads a hidden file
in a directory (`.bindings.yaml`, as `kubectl apply -f DIR` does), so a change to it must
reload, or a binding removed there would keep granting `use` of a policy."""

from __future__ import annotations

from pathlib import Path

from podgate.k8s.identity import pod_service_account
from podgate.webhook.files import FileRbacAuthorizer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_binding_removed_from_a_hidden_file_is_no_longer_used(tmp_path: Path) -> None:
    (tmp_path / "roles.yaml").write_text((EXAMPLES / "rbac" / "psp-roles.yaml").read_text())
    hidden = tmp_path / ".bindings.yaml"
    hidden.write_text((EXAMPLES / "rbac" / "psp-bindings.yaml").read_text())
    rbac = FileRbacAuthorizer([str(tmp_path)], max_bytes=1 << 20)
    rbac.load()
    web = pod_service_account("shop", "web")
    assert rbac.can_use(web, "shop", "restricted")
    hidden.unlink()
    assert rbac.poll()
    assert not rbac.can_use(web, "shop", "restricted")
