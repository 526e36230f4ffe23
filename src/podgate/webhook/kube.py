"""The webhook's Kubernetes API side, in one import: the API client, the SubjectAccessReview
authorizer (`--authorize-with-api`), the policy CRD watcher (`--policies-from-cluster`) and the
namespace watcher (PSS labels). See `kube_client`, `kube_authz` and `kube_watch`; the client
itself is `podgate.io.kube`."""

from podgate.errors import ApiError
from podgate.io.kube import SERVICE_ACCOUNT_DIR, ApiClient, Reflector
from podgate.webhook.kube_authz import SAR_PATH, USE_GROUPS, SubjectAccessReviewAuthorizer
from podgate.webhook.kube_client import from_environment, from_kubeconfig, in_cluster_client
from podgate.webhook.kube_watch import (
    DISABLED_ANNOTATION,
    NAMESPACES_PATH,
    POLICIES_PATH,
    NamespaceWatcher,
    PolicyState,
    PolicyWatcher,
)

__all__ = [
    "DISABLED_ANNOTATION",
    "NAMESPACES_PATH",
    "POLICIES_PATH",
    "SAR_PATH",
    "SERVICE_ACCOUNT_DIR",
    "USE_GROUPS",
    "ApiClient",
    "ApiError",
    "NamespaceWatcher",
    "PolicyState",
    "PolicyWatcher",
    "Reflector",
    "SubjectAccessReviewAuthorizer",
    "from_environment",
    "from_kubeconfig",
    "in_cluster_client",
]
