"""The exceptions podgate raises. A violation is a value, never an exception: an exception means
broken input (a file, a policy, a flag, a request) or a bug. Every exception podgate raises for a
reason a user can act on is in this tree, so the command line turns each into one line and exit
code 2 (`InternalError`: exit code 3); `tests/cli/test_errors.py` checks the drawing against the
classes. A private exception (`_Name`) is control flow caught in the module that defines it.

    PodgateError
    ├── LoadError            a file or document could not be read (names file, document, line)
    ├── PolicyError          a policy or flag value is malformed (has a field path); a ValueError
    │   ├── BuildError           a PodSecurityPolicy whose strategies upstream cannot build
    │   ├── ConfigurationError   a PodSecurityConfiguration that cannot be used
    │   ├── Invalid              a malformed field of an RBAC object (its path in the object)
    │   └── ObjectError          an RBAC object the API server would not have accepted
    ├── ExportError          an export that cannot be made (names the target); a ValueError
    ├── EngineMissing        the optional engine a verifier needs is absent; a RuntimeError
    ├── EvaluationError      a CEL expression failed in the verifier (counted as a denial)
    ├── PatchError           a JSON Patch that cannot be applied (RFC 6902); a ValueError
    ├── ApiError             a call to the Kubernetes API server failed (HTTP status, if any)
    ├── ClusterReadError     a namespace or pod list could not be read during admission
    ├── BadReview            an AdmissionReview podgate cannot understand; a ValueError
    ├── CertificateError     a certificate/key pair the webhook cannot serve
    ├── UnsafeDirectory      a certificate output directory others could write into
    ├── GoYAMLError          a YAML value kubectl refuses (raised as a LoadError); a ValueError
    ├── SeparatorError       a `---` line kubectl refuses (raised as a LoadError); a ValueError
    ├── PoolError            a worker process of `--jobs` ended before its work was done
    └── InternalError        a bug in podgate (exit code 3); a RuntimeError
        ├── AdvisorError         a generated policy would deny or change an observed pod
        └── RegistryError        the check registry is inconsistent (at start-up)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "InternalError",
    "LoadError",
    "PodgateError",
    "PolicyError",
    "PoolError",
    "RegistryError",
]


def _rebuilt(cls: type[PodgateError], args: tuple[object, ...], state: dict[str, object]) -> Any:
    """An exception unpickled as it was pickled: its args and attributes set, `__init__` not
    called (a subclass's own parameters are not its args)."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class PodgateError(Exception):
    """The root of podgate's exceptions. Each one pickles whatever its `__init__` takes, so it
    crosses from a `--jobs` worker to the parent as itself (Exception's own pickling calls
    `cls(*args)`, which fails for `SeparatorError(rest, line)`, whose args are one message)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.args, self.__dict__))


class LoadError(PodgateError):
    """Input that cannot be read: the message names the file, the document and the line."""

    def __init__(
        self, message: str, *, file: str = "", document: int | None = None, line: int | None = None
    ) -> None:
        self.file = file
        self.document = document
        self.line = line
        self.reason = message
        where = file or "<input>"
        if document is not None:
            where += f": document {document}"
        if line is not None:
            where += f" (line {line})"
        located = file or document is not None or line is not None
        super().__init__(f"{where}: {message}" if located else message)


class PolicyError(PodgateError, ValueError):
    """A malformed value: the message says what, where, what was expected and what was got."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class ApiError(PodgateError):
    """A call to the Kubernetes API server failed: transport, TLS, timeout, credentials or an
    error status. `status` is the HTTP status (None when no answer came), `reason` and `detail`
    the Status object's reason and message; `where` (`cluster:<context>`, or empty) leads the
    message."""

    def __init__(
        self,
        message: str,
        *,
        where: str = "",
        status: int | None = None,
        reason: str = "",
        detail: str = "",
    ) -> None:
        self.where = where
        self.status = status
        self.reason = reason
        self.detail = detail
        super().__init__(f"{where}: {message}" if where else message)


class PoolError(PodgateError):
    """A worker process of `--jobs` ended (killed, out of memory) before its work was done."""


class InternalError(PodgateError, RuntimeError):
    """A bug in podgate found by a self-check: the command line exits 3, not 2."""


class RegistryError(InternalError):
    """The check registry is inconsistent: a programming error found at start-up."""
