"""Authentication-Results (RFC 8601): what *our* receiving server found out about a mail's sender.

Anyone can write an Authentication-Results header into a mail. Only the one our own server added is
evidence, so only headers whose authserv-id equals the configured `authserv_id` are read, and of those
only the topmost (the receiving server prepends its header; anything below it travelled with the
mail). With no authserv-id configured, no header is trusted at all. The receiving server must remove
headers that claim its id on arrival (RFC 8601 §5) — dunmail relies on that.

    header   = authserv-id [version] ( "; none" / 1*( ";" method "=" result [reason] *prop ) )
    prop     = ptype "." property "=" value          e.g. header.from=acme.example, header.d=acme.example

Comments (nested, with escapes), quoted strings, folding and whitespace around "=" and "." are
handled; anything the grammar does not explain is skipped, never raised. Imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

MAX_HEADER_CHARS = 16_384  # a real header is a few hundred characters; longer ones are cut, not parsed whole


@dataclass(frozen=True)
class MethodResult:
    """One resinfo: `dmarc=pass header.from=acme.example`."""

    method: str  # lower case, version dropped: spf, dkim, dmarc, arc, …
    result: str  # lower case: pass, fail, softfail, neutral, none, temperror, permerror, policy
    reason: str | None = None
    props: dict[str, str] = field(default_factory=dict)  # "header.from" -> "acme.example" (lower case keys)


@dataclass(frozen=True)
class AuthResults:
    """The results in our server's header; empty when there was none we trust."""

    authserv_id: str | None  # the id of the header read, None when none was trusted
    results: tuple[MethodResult, ...] = ()

    def of(self, method: str) -> list[MethodResult]:
        return [r for r in self.results if r.method == method]

    def dmarc_for(self, from_domain: str) -> str | None:
        """Our server's DMARC verdict for this From domain: 'pass', 'fail', … or None when it gave none.

        A DMARC pass is alignment by definition (RFC 7489), but only for the domain it names in
        header.from: a pass for some other domain says nothing about this From. A fail anywhere for
        this domain wins over a pass."""
        domain = from_domain.strip().lower().rstrip(".")
        verdicts = [r.result for r in self.of("dmarc") if r.props.get("header.from", "").rstrip(".") == domain]
        if not domain or not verdicts:
            return None
        return "fail" if "fail" in verdicts else verdicts[0]

    def passes_for(self, domain: str) -> bool:
        """Whether our server authenticated the mail as coming from this domain or one below it: SPF pass
        for the envelope or HELO domain, DKIM pass for the signing domain, or DMARC pass for header.from."""
        want = domain.strip().lower().rstrip(".")
        if not want:
            return False

        def ours(value: str) -> bool:
            got = value.strip().lower().rstrip(".").rpartition("@")[2]
            return got == want or got.endswith("." + want)

        keys = {"spf": ("smtp.mailfrom", "smtp.helo"), "dkim": ("header.d", "header.i"), "dmarc": ("header.from",)}
        return any(r.result == "pass" and any(ours(r.props.get(k, "")) for k in keys[r.method])
                   for r in self.results if r.method in keys)

    def summary(self) -> dict[str, object]:
        """For the mail's analysis record (shown to reviewers)."""
        return {"authserv_id": self.authserv_id,
                "results": [{"method": r.method, "result": r.result, **r.props} for r in self.results]}


def read_auth_results(headers: Iterable[str], authserv_id: str | None) -> AuthResults:
    """The topmost header among `headers` (top to bottom, as in the mail) whose id is ours."""
    wanted = (authserv_id or "").strip().lower()
    if not wanted:
        return AuthResults(None)
    for value in headers:
        tokens = list(_tokens(str(value)[:MAX_HEADER_CHARS]))
        if not tokens or tokens[0].kind == ";" or tokens[0].text.lower() != wanted:
            continue
        return AuthResults(tokens[0].text.lower(), tuple(_resinfos(tokens[1:])))
    return AuthResults(None)


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "quoted", ";", "="
    text: str


_SPECIALS = frozenset(';="(')


def _tokens(value: str) -> Iterator[_Token]:
    """Words, quoted strings, ';' and '='; comments and all whitespace (folding included) dropped."""
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            i = _skip_comment(value, i)
        elif ch == '"':
            text, i = _quoted(value, i)
            yield _Token("quoted", text)
        elif ch in ";=":
            yield _Token(ch, ch)
            i += 1
        else:
            start = i
            while i < n and not value[i].isspace() and value[i] not in _SPECIALS:
                i += 1
            yield _Token("word", value[start:i])


def _skip_comment(value: str, i: int) -> int:
    """Index after the comment starting at value[i] == '(' (nested, backslash escapes; unclosed = to the end)."""
    depth = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _quoted(value: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    i += 1
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i


def _resinfos(tokens: list[_Token]) -> Iterator[MethodResult]:
    """Each ';'-separated resinfo after the authserv-id (and its optional version number)."""
    groups: list[list[_Token]] = [[]]
    for tok in tokens:
        if tok.kind == ";":
            groups.append([])
        else:
            groups[-1].append(tok)
    for group in groups[1:]:  # groups[0] holds only the version, if any
        found = _resinfo(group)
        if found is not None:
            yield found


def _resinfo(group: list[_Token]) -> MethodResult | None:
    pairs = _pairs(group)
    if not pairs:
        return None  # "none", or nothing readable
    method, result = pairs[0]
    if not method or "." in method:
        return None
    reason: str | None = None
    props: dict[str, str] = {}
    for key, value in pairs[1:]:
        if key == "reason":
            reason = value
        elif "." in key:
            props.setdefault(key, value.lower())
    return MethodResult(method.partition("/")[0], result.lower(), reason, props)


def _pairs(group: list[_Token]) -> list[tuple[str, str]]:
    """key = value pairs; words joined by '.' before an '=' form the key, so 'header . from' is 'header.from'."""
    pairs: list[tuple[str, str]] = []
    key: list[str] = []
    i = 0
    while i < len(group):
        tok = group[i]
        if tok.kind == "=" and key and i + 1 < len(group) and group[i + 1].kind in ("word", "quoted"):
            pairs.append(("".join(key).lower(), group[i + 1].text))
            key = []
            i += 2
            continue
        if tok.kind == "word":
            joined = bool(key) and (key[-1].endswith(".") or tok.text.startswith("."))
            key = [*key, tok.text] if joined else [tok.text]  # a stray word before a key is dropped
        else:
            key = []
        i += 1
    return pairs
