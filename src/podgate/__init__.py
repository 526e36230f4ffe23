"""podgate: PodSecurityPolicy semantics and Pod Security Standards for Kubernetes, exact to
upstream, as a pure core over plain dicts with adapters around it."""

from podgate.errors import LoadError, PodgateError, PolicyError, RegistryError

__version__ = "0.1.0"

__all__ = ["LoadError", "PodgateError", "PolicyError", "RegistryError", "__version__"]
