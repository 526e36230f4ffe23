"""A static check of the CEL podgate emits, against what Kubernetes' CEL environment offers
for an admission policy: so that "passes in cel-cpp here" implies "compiles in Kubernetes".

Checked, per expression:
* every function or macro called is one Kubernetes' environment declares for the policy kind
  (the CEL standard library and macros, the strings extension v2, Kubernetes' list library,
  the authorizer library; `JSONPatch` and `jsonpatch.escapeKey` for JSONPatch mutations);
* every field read from `object` (and from a comprehension variable ranging over a list of
  the Pod) exists in the Pod's OpenAPI schema of the Kubernetes version, and is not a CEL
  reserved word (those must be escaped);
* `has()` is given a field selection, as CEL requires;
* `variables.X` names a variable declared before the expression (Kubernetes compiles
  variables in order and refuses forward references); the roots are the declared ones.

Not checked here (said in the README): full type checking (operand types, branches of `?:`,
list concatenation of different element types), the cost estimate against Kubernetes' limits,
and homogeneity of list and map literals."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MACROS = frozenset({"has", "all", "exists", "exists_one", "map", "filter"})
STANDARD = frozenset(
    {
        "size", "string", "int", "uint", "double", "bool", "bytes", "dyn", "type",
        "duration", "timestamp", "matches", "startsWith", "endsWith", "contains",
    }
)  # fmt: skip
STRINGS_V2 = frozenset(
    {
        "charAt", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "replace", "split",
        "substring", "trim", "join", "quote", "reverse",
    }
)  # fmt: skip
K8S_LISTS = frozenset({"isSorted", "sum", "min", "max", "indexOf", "lastIndexOf"})
AUTHZ = frozenset(
    {
        "serviceAccount", "group", "resource", "subresource", "namespace", "name", "check",
        "allowed", "reason", "errored", "error", "path",
    }
)  # fmt: skip
FUNCTIONS = MACROS | STANDARD | STRINGS_V2 | K8S_LISTS | AUTHZ
JSONPATCH_FIELDS = frozenset({"op", "path", "from", "value"})
ROOTS = frozenset(
    {"object", "oldObject", "request", "params", "namespaceObject", "variables", "authorizer"}
)
RESERVED = frozenset(
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "in",
        "let", "loop", "package", "namespace", "return", "var", "void", "while",
    }
)  # fmt: skip
LITERALS = frozenset({"true", "false", "null"})

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<number>\d+(?:\.\d+)?u?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str


def tokens(expression: str) -> list[Token]:
    """The expression's tokens; raises ValueError on a character CEL does not allow."""
    out: list[Token] = []
    pos = 0
    source = expression.rstrip()
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"unexpected character at {pos}: {source[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        text = m.group(kind)
        out.append(Token("op" if text == "in" else kind, text))  # `in` is an operator
        pos = m.end()
    return out


class Schema:
    """The Kubernetes OpenAPI definitions of one version (`$defs` of kubernetes-validate's
    `_definitions.json`, or an OpenAPI v2 `definitions` map)."""

    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self._defs = definitions

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping):
            if "$ref" in node:
                node = self._defs[str(node["$ref"]).rsplit("/", 1)[-1]]
            elif isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
                node = node["allOf"][0]
            else:
                break
        return node

    def named(self, name: str) -> Any:
        return self._defs[name]

    def field(self, node: Any, key: str) -> Any:
        """The schema of `node.key`, or None when the field does not exist."""
        node = self.resolve(node)
        if not isinstance(node, Mapping):
            return None
        props = node.get("properties")
        if isinstance(props, Mapping) and key in props:
            return props[key]
        extra = node.get("additionalProperties")
        return extra if isinstance(extra, Mapping) else None

    def items(self, node: Any) -> Any:
        node = self.resolve(node)
        if not isinstance(node, Mapping):
            return None
        kind = node.get("type")
        if kind == "array" or (isinstance(kind, list) and "array" in kind):
            return node.get("items")
        return None


@dataclass
class _Scope:
    var: str
    schema: Any  # None: a value whose fields are not checked (strings, numbers)
    depth: int  # the parenthesis depth at which the scope ends


def check(
    expression: str,
    schema: Schema,
    *,
    variables: Iterable[str] = (),
    jsonpatch: bool = False,
    pod: str = "io.k8s.api.core.v1.Pod",
) -> list[str]:
    """What in `expression` Kubernetes' CEL environment would refuse (empty: nothing);
    `variables` are the names declared before it, `jsonpatch` allows the JSONPatch type."""
    problems: list[str] = []
    try:
        toks = tokens(expression)
    except ValueError as e:
        return [str(e)]
    declared = set(variables)
    scopes: list[_Scope] = []
    depth = 0
    roots = {"object": schema.named(pod), "oldObject": schema.named(pod)}
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
            while scopes and depth < scopes[-1].depth:
                scopes.pop()
        if t.kind != "ident":
            i += 1
            continue
        after = toks[i + 1].text if i + 1 < len(toks) else ""
        if i > 0 and toks[i - 1].text == ".":
            # a member call on an expression that is not a chain: `[...].filter(d, ...)`
            if after == "(":
                if t.text not in FUNCTIONS:
                    problems.append(f".{t.text}(): not a function Kubernetes' CEL declares")
                if t.text in ("all", "exists", "exists_one", "map", "filter") and i + 2 < len(toks):
                    scopes.append(_Scope(toks[i + 2].text, None, depth + 1))
            i += 1
            continue
        if after == ":" and i > 0 and toks[i - 1].text in ("{", ","):
            i += 1  # a field name in a message construction
            continue
        # an identifier starting a chain: ident(.ident)*, maybe called
        chain = [t.text]
        j = i + 1
        while j + 1 < len(toks) and toks[j].text == "." and toks[j + 1].kind == "ident":
            chain.append(toks[j + 1].text)
            j += 2
        called = j < len(toks) and toks[j].text == "("
        constructed = j < len(toks) and toks[j].text == "{"
        problems.extend(
            _chain(chain, called, constructed, toks, j, roots, scopes, declared, schema, jsonpatch)
        )
        if called and chain[-1] in ("all", "exists", "exists_one", "map", "filter"):
            var = toks[j + 1].text if j + 1 < len(toks) else ""
            base = _resolve_chain(chain[:-1], roots, scopes, schema)
            scopes.append(_Scope(var, schema.items(base) if base is not None else None, depth + 1))
        if called and chain == ["has"]:
            problems.extend(_has_argument(toks, j))
        i = j
    return problems


def _resolve_chain(
    chain: list[str], roots: Mapping[str, Any], scopes: list[_Scope], schema: Schema
) -> Any:
    if not chain:
        return None
    node = _root(chain[0], roots, scopes)
    for key in chain[1:]:
        if node is None:
            return None
        node = schema.field(node, key)
    return node


def _root(name: str, roots: Mapping[str, Any], scopes: list[_Scope]) -> Any:
    for scope in reversed(scopes):
        if scope.var == name:
            return scope.schema
    return roots.get(name)


def _chain(
    chain: list[str],
    called: bool,
    constructed: bool,
    toks: list[Token],
    j: int,
    roots: Mapping[str, Any],
    scopes: list[_Scope],
    declared: set[str],
    schema: Schema,
    jsonpatch: bool,
) -> list[str]:
    head = chain[0]
    text = ".".join(chain)
    if constructed:
        if jsonpatch and chain == ["JSONPatch"]:
            return _constructed_fields(toks, j)
        return [f"{text}{{...}}: no such type"]
    if head in LITERALS and len(chain) == 1:
        return []
    bound = any(s.var == head for s in scopes)
    if called and len(chain) == 1:
        return [] if head in FUNCTIONS else [f"{head}(): not a function Kubernetes' CEL declares"]
    if called and chain[-1] not in FUNCTIONS and chain != ["jsonpatch", "escapeKey"]:
        return [f"{text}(): not a function Kubernetes' CEL declares"]
    if called and chain == ["jsonpatch", "escapeKey"]:
        return [] if jsonpatch else ["jsonpatch.escapeKey: only for JSONPatch mutations"]
    fields = chain[:-1] if called else chain
    if not bound and head not in ROOTS:
        # a comprehension variable is bound by the macro call right before it
        if j > 0 and len(chain) == 1 and toks[j].text == ",":
            return []
        return [f"{head}: not a variable Kubernetes declares"]
    problems = []
    if head == "variables" and len(fields) > 1 and fields[1] not in declared:
        problems.append(f"variables.{fields[1]}: not declared before this expression")
    if head in ("object", "oldObject") or (bound and _root(head, roots, scopes) is not None):
        node = _root(head, roots, scopes)
        for k, key in enumerate(fields[1:], start=1):
            if key in RESERVED:
                problems.append(f"{'.'.join(fields[: k + 1])}: a CEL reserved word (escape it)")
            node = schema.field(node, key)
            if node is None:
                problems.append(f"{'.'.join(fields[: k + 1])}: no such field in the schema")
                break
    return problems


def _constructed_fields(toks: list[Token], j: int) -> list[str]:
    """The field names of `JSONPatch{f: ..., ...}` starting at toks[j] == "{"."""
    problems = []
    depth = 0
    k = j
    while k < len(toks):
        text = toks[k].text
        if text in "([{":
            depth += 1
        elif text in ")]}":
            depth -= 1
            if depth == 0:
                break
        elif (
            depth == 1
            and toks[k].kind == "ident"
            and k + 1 < len(toks)
            and toks[k + 1].text == ":"
            and toks[k - 1].text in ("{", ",")
            and text not in JSONPATCH_FIELDS
        ):
            problems.append(f"JSONPatch has no field {text}")
        k += 1
    return problems


def _has_argument(toks: list[Token], j: int) -> list[str]:
    """`has(` at toks[j]: its argument must be ident(.ident)+ then `)`."""
    k = j + 1
    parts = 0
    while k + 1 < len(toks) and toks[k].kind == "ident":
        parts += 1
        if toks[k + 1].text == ".":
            k += 2
            continue
        break
    if parts < 2 or k + 1 >= len(toks) or toks[k + 1].text != ")":
        return ["has(): the argument must be a field selection"]
    return []
