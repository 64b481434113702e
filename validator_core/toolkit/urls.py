"""URLs in upload content, read as a browser reads them, and masked before they enter a report.

Python's ``urllib.parse`` follows RFC 3986; browsers follow the WHATWG URL standard, and the two
disagree exactly where attackers play: for ``https://evil.example\\@interop.esante.gouv.fr/`` urllib
sees the host ``interop.esante.gouv.fr`` while every browser opens ``evil.example`` (a backslash is a
path separator in special schemes). Every decision about a link (which host, which scheme) is taken
here on the WHATWG parse, done by ada (``ada-url``, the parser of Node.js), never on urllib's.

Masking (:func:`mask_url`) rebuilds a URL from that parse: the host always appears in clear, as the
browser would connect to it (ASCII, punycode, canonical IPv4), and user info, secret-bearing query
parameters (by name, and by the shape of their value), session ids and token-shaped path segments
are replaced by ``•••``. Everything here is linear in the URL's length: each value is matched once
against anchored patterns (``fullmatch``), never searched from every position.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = [
    "URL_RE", "WEB_URL_RE", "clean_url", "find_urls",
    "BrowserURL", "parse_url", "SPECIAL_SCHEMES",
    "FORM_BACKSLASH", "FORM_USERINFO", "FORM_WHITESPACE", "FORM_PERCENT", "FORM_MAPPED", "FORM_NUMERIC_IP",
    "FORM_MIXED_SCRIPT", "FORM_CONFUSABLE", "OBFUSCATION_FORMS", "HOMOGRAPH_FORMS",
    "homograph_forms", "skeleton", "lookalike_of",
    "MASK", "SECRET_QUERY_PARAMS", "token_shape", "MaskedURL", "masked_url", "mask_url", "url_credentials",
    "mask_urls_in_text", "MAX_PARTS",
]

# --- finding URLs in text -------------------------------------------------------------------
# Any scheme (so that javascript:/data:/file: links are seen and refused), then non-space characters;
# trailing punctuation is trimmed by clean_url().
URL_RE = re.compile(r"""(?i)\b((?:https?|ftp|file|javascript|data|vbscript|mailto):[^\s<>"'`]+)""")
WEB_URL_RE = re.compile(r"(?i)\bhttps?://[^\s<>\"'`]+")


def clean_url(url: str) -> str:
    """``url`` without the punctuation a sentence puts after it (``https://a.fr/b).`` → ``https://a.fr/b``)."""
    return url.rstrip(".,;:!?)]}>»\u201d'\"")


def find_urls(text: str, limit: int = 1000) -> list[str]:
    """URLs in ``text`` in order of appearance, without duplicates, at most ``limit``."""
    if ":" not in text:
        return []
    # findall and dict.fromkeys run in C: 70,000 copies of one short URL cost ~25 ms, not ~200.
    return list(dict.fromkeys(map(clean_url, URL_RE.findall(text))))[:limit]


# --- parsing as a browser does ----------------------------------------------------------------
SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
# WHATWG: leading and trailing "C0 control or space" are stripped, ASCII tab and newlines removed
# everywhere before parsing.
_C0_SPACE = "".join(chr(i) for i in range(0x21))
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_AUTHORITY_END = re.compile(r"[/\\?#]")

# Deceptive spellings: what a person reads is not what the browser opens, or a filter is dodged.
FORM_BACKSLASH = "backslash"                 # "\" is "/" for http(s): the host ends there
FORM_USERINFO = "userinfo"                   # "user:pass@" before the host
FORM_WHITESPACE = "whitespace_in_host"       # tab / CR / LF inside the host, removed by the browser
FORM_PERCENT = "percent_encoded_host"        # %69nterop… decoded by the browser
FORM_MAPPED = "mapped_host"                  # full-width letters, soft hyphens, 。 mapped by IDNA
FORM_NUMERIC_IP = "numeric_ip"               # 3232235777, 0300.0250.1.1, 0xc0.0xa8.1.1, 192.168.257
FORM_MIXED_SCRIPT = "mixed_script"           # a label mixing Latin with Cyrillic, Greek…
FORM_CONFUSABLE = "whole_script_confusable"  # a label all Cyrillic/Greek lookalikes of Latin letters
OBFUSCATION_FORMS = (FORM_WHITESPACE, FORM_PERCENT, FORM_MAPPED, FORM_NUMERIC_IP)
HOMOGRAPH_FORMS = (FORM_MIXED_SCRIPT, FORM_CONFUSABLE)


@dataclass(frozen=True)
class BrowserURL:
    """One URL as the WHATWG standard parses it. ``valid`` is False when a browser refuses it."""

    raw: str
    valid: bool
    scheme: str
    href: str | None = None
    host: str | None = None         # ASCII, as connected to: punycode, canonical IPv4, [IPv6]
    host_type: str | None = None    # "domain", "ipv4", "ipv6"
    port: str = ""
    username: str = ""
    password: str = ""
    path: str = ""
    query: str | None = None        # without "?"; None when absent
    fragment: str | None = None     # without "#"; None when absent
    special: bool = False
    forms: tuple[str, ...] = ()

    @property
    def has_userinfo(self) -> bool:
        return bool(self.username or self.password)

    @property
    def host_unicode(self) -> str | None:
        """The host as Unicode (``intérop.fr`` for ``xn--introp-dva.fr``), ``None`` if no host."""
        return _to_unicode(self.host) if self.host and self.host_type == "domain" else self.host


def _to_unicode(host: str) -> str:
    import ada_url

    try:
        return ada_url.idna_to_unicode(host)
    except Exception:  # noqa: BLE001 - an undecodable xn-- label: show it as it is
        return host


def _scheme_of(text: str) -> str:
    head = text.split(":", 1)[0] if ":" in text else ""
    head = head.translate(_TAB_NEWLINE).lower()
    return head if re.fullmatch(r"[a-z][a-z0-9+.-]*", head) else ""


def _raw_host(stripped: str, scheme: str) -> tuple[str, str]:
    """(authority, host) as written in a special-scheme URL, tabs and newlines kept.

    The authority starts after ``scheme:`` and any run of ``/`` or ``\\`` (tabs and newlines in that
    run are removed by the browser too) and ends at the first ``/``, ``\\``, ``?`` or ``#``; the host
    follows the last ``@``. Used only to compare the spelling with what the browser made of it.
    """
    colon = stripped.find(":")
    rest = stripped[colon + 1:]
    start = len(rest) - len(rest.lstrip("/\\\t\n\r"))
    rest = rest[start:]
    end = _AUTHORITY_END.search(rest)
    authority = rest[: end.start()] if end else rest
    hostport = authority.rpartition("@")[2]
    if hostport.translate(_TAB_NEWLINE).startswith("["):
        host = hostport[: hostport.find("]") + 1] if "]" in hostport else hostport
    else:
        host = hostport.split(":", 1)[0]
    return authority, host


def parse_url(raw: str) -> BrowserURL:
    """``raw`` parsed as a browser would (WHATWG, via ada), with the deceptive spellings it uses."""
    import ada_url

    stripped = raw.strip(_C0_SPACE)
    scheme = _scheme_of(stripped)
    try:
        url = ada_url.URL(stripped)
    except Exception:  # noqa: BLE001 - ValueError (refused), UnicodeEncodeError (lone surrogates)
        return BrowserURL(raw=raw, valid=False, scheme=scheme)
    scheme = url.protocol[:-1]
    special = scheme in SPECIAL_SCHEMES
    host = url.hostname or None
    host_type = {0: "domain", 1: "ipv4", 2: "ipv6"}.get(int(url.host_type)) if host else None
    forms: list[str] = []
    if special and host:
        authority, written = _raw_host(stripped, scheme)
        before_query = re.split(r"[?#]", stripped, maxsplit=1)[0]
        if "\\" in before_query:
            forms.append(FORM_BACKSLASH)
        if url.username or url.password:
            forms.append(FORM_USERINFO)
        if any(c in authority for c in "\t\n\r"):
            forms.append(FORM_WHITESPACE)
        written = written.translate(_TAB_NEWLINE)
        if "%" in written:
            forms.append(FORM_PERCENT)
        plain = unicodedata.normalize("NFC", unquote(written)).lower()
        if host_type == "ipv4" and plain.rstrip(".") != host:
            forms.append(FORM_NUMERIC_IP)
        elif host_type == "domain" and "%" not in written and plain != host and plain != _to_unicode(host):
            forms.append(FORM_MAPPED)
        if host_type == "domain" and "xn--" in host:
            forms.extend(homograph_forms(_to_unicode(host)))
    return BrowserURL(
        raw=raw, valid=True, scheme=scheme, href=url.href, host=host, host_type=host_type, port=url.port,
        username=url.username, password=url.password, path=url.pathname,
        query=url.search[1:] if url.search else None, fragment=url.hash[1:] if url.hash else None,
        special=special, forms=tuple(dict.fromkeys(forms)),
    )


# --- homographs ----------------------------------------------------------------------------------
# Scripts that legitimately mix within one label (Chrome's IDN display policy, "highly restrictive"
# profile of UTS #39): Latin with Han and Japanese kana, Han with Bopomofo, Han with Hangul.
_ALLOWED_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
_COMMON = frozenset({"DIGIT", "HYPHEN-MINUS", "FULL", "COMBINING", "ZERO", "KATAKANA-HIRAGANA"})
# Non-Latin letters that look like Latin ones (the common part of Unicode's confusables.txt).
LATIN_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "ӏ": "l",
    "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y", "ԝ": "w",
    "х": "x", "ү": "y", "ԁ": "d", "ɡ": "g", "п": "n", "г": "r",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin letters that pass for others
    "ı": "i", "ȷ": "j", "ɩ": "i", "ɑ": "a", "ꞵ": "b", "ɵ": "o", "ø": "o",
    # Armenian, Cherokee
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "ց": "g", "Ꭺ": "a", "Ꭼ": "e",
}


def _script(char: str) -> str | None:
    """A coarse script name from the character's Unicode name (``None`` for digits, hyphens, marks)."""
    if char.isascii() and not char.isalpha():
        return None
    try:
        word = unicodedata.name(char).split(" ", 1)[0]
    except ValueError:
        return "UNKNOWN"
    if word in _COMMON or unicodedata.category(char).startswith(("M", "N", "P")):
        return None
    return word


def homograph_forms(unicode_host: str) -> list[str]:
    """``mixed_script`` / ``whole_script_confusable`` when a label of the host passes for another."""
    forms: list[str] = []
    for label in unicode_host.split("."):
        scripts = {s for s in map(_script, label) if s}
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES):
            forms.append(FORM_MIXED_SCRIPT)
        elif scripts and scripts != {"LATIN"}:
            letters = [c for c in label if _script(c)]
            if letters and all(c in LATIN_LOOKALIKES for c in letters):
                forms.append(FORM_CONFUSABLE)
    return list(dict.fromkeys(forms))


def skeleton(host: str) -> str:
    """A host reduced to what it looks like: lookalikes mapped to Latin, accents dropped."""
    out = []
    for char in unicodedata.normalize("NFKD", _to_unicode(host).lower()):
        if unicodedata.combining(char):
            continue
        out.append(LATIN_LOOKALIKES.get(char, char))
    return "".join(out).rstrip(".")


def lookalike_of(host: str, protected: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """The protected host that ``host`` imitates (same skeleton, different host), if any."""
    if not host or host.isascii() and "xn--" not in host:
        return None
    shape = skeleton(host)
    for candidate in protected:
        if candidate != host.rstrip(".") and skeleton(candidate) == shape:
            return candidate
    return None


# --- credentials in URLs ----------------------------------------------------------------------
# Query parameters whose value is a secret, compared lower-cased without "-" and "_" (so api_key,
# api-key, apiKey and X-Api-Key all match). Gazelle's `privacyKey` is deliberately absent: it is the
# share key that makes a private report readable by the ANS, i.e. what the proof is meant to carry.
SECRET_QUERY_PARAMS = frozenset(
    {"password", "passwd", "pwd", "pass", "passphrase", "motdepasse", "mdp",
     "token", "accesstoken", "idtoken", "refreshtoken", "authtoken", "sessiontoken", "securitytoken",
     "csrftoken", "xsrftoken", "jwt", "bearer", "assertion", "clientassertion", "samlresponse", "ticket",
     "apikey", "xapikey", "privatekey", "secret", "secretkey", "clientsecret", "auth",
     "authorization", "credential", "credentials", "sig", "signature", "hmac",
     "session", "sessionid", "sid", "jsessionid", "phpsessid", "aspsessionid",
     # Presigned URLs: AWS S3 (v4 and v2), Google Cloud Storage, CloudFront
     "xamzsignature", "xamzcredential", "xamzsecuritytoken", "awsaccesskeyid",
     "xgoogsignature", "xgoogcredential", "googleaccessid", "keypairid"}
)
# Azure shared access signatures: the whole token is the credential once `sig` is present
# (version, permissions, expiry, resource… say what the signature grants).
AZURE_SAS_PARAMS = frozenset(
    {"sv", "ss", "srt", "sp", "se", "st", "spr", "sig", "sr", "si", "sdd", "skoid", "sktid", "skt", "ske",
     "sks", "skv", "saoid", "suoid", "scid", "rscc", "rscd", "rsce", "rscl", "rsct"}
)
# Parameters whose value is an identifier, never masked for its shape alone (a token shape in them
# is still masked when it is one of the known token formats below).
ID_PARAMS = frozenset({"oid", "id", "privacykey", "type"})
MASK = "•••"

# Known token formats, matched against a whole (percent-decoded) value: anchored, so linear, and one
# alternation so that each value costs one call.
TOKEN_SHAPES: tuple[tuple[str, str], ...] = (
    ("jwt", r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    ("google_api_key", r"AIza[0-9A-Za-z_-]{35}"),
    ("google_oauth_token", r"ya29\.[0-9A-Za-z_-]{20,}"),
    ("github_token", r"gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}"),
    ("gitlab_token", r"glpat-[0-9A-Za-z_-]{20,}"),
    ("slack_token", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    ("aws_access_key", r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}"),
    ("stripe_key", r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}"),
    ("api_secret_key", r"sk-[A-Za-z0-9_-]{20,}"),
)
_SHAPES_RE = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in TOKEN_SHAPES))
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_.~-]{32,}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_DIGIT = re.compile(r"[0-9]")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_BEARER_PREFIX = re.compile(r"(?i)(?:bearer|token|basic)\s+")
MIN_TOKEN = 16
# Longer values are no credential of a known kind (the largest JWTs stay under a few kB); they are
# not decoded nor matched, so a 1 Mo run of "%41" costs nothing. Display truncates them anyway.
MAX_TOKEN = 16_384


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def token_shape(value: str, generic: bool = True) -> str | None:
    """The kind of secret ``value`` looks like (``jwt``, ``google_api_key``…, ``token``), else ``None``.

    ``generic``: also random-looking strings (≥ 32 characters of base64/hex with upper and lower case
    and digits, or hex with letters and digits), the shape of signatures and API keys of any vendor;
    UUIDs are identifiers, not secrets.
    """
    if not MIN_TOKEN <= len(value) <= MAX_TOKEN:
        return None
    if "%" in value:
        value = unquote(value)
    value = value.strip()
    if value[:1] in ("b", "B", "t", "T"):
        prefix = _BEARER_PREFIX.match(value)
        if prefix:
            value = value[prefix.end():]
    if len(value) < MIN_TOKEN:
        return None
    match = _SHAPES_RE.fullmatch(value)
    if match:
        return match.lastgroup
    if not generic or len(value) < 32 or _UUID.fullmatch(value):
        return None
    # Case and digit tests as whole-string operations (C loops), not per-character generators.
    has_upper, has_lower = value != value.lower(), value != value.upper()
    if _HEX.fullmatch(value):
        return "token" if (has_upper or has_lower) and _DIGIT.search(value) else None
    if has_upper and has_lower and _TOKEN_CHARS.fullmatch(value) and _DIGIT.search(value) and _entropy(value) >= 4.0:
        return "token"
    return None


_NAME_PUNCT = str.maketrans("", "", "-_")


def _norm_name(name: str) -> str:
    if "%" in name:
        name = unquote(name)
    return name.lower().translate(_NAME_PUNCT)


def _pairs_secrets(text: str, azure_sas: bool) -> list[tuple[str, str, str, str | None]]:
    """(name, "=", value, kind or None) for each ``&``-separated pair of a query or fragment."""
    out = []
    secret_names = SECRET_QUERY_PARAMS | AZURE_SAS_PARAMS if azure_sas else SECRET_QUERY_PARAMS
    for pair in text.split("&"):
        name, sep, value = pair.partition("=")
        kind: str | None = None
        if sep and value:
            norm = _norm_name(name)
            if norm in secret_names:
                kind = unquote(name)
            elif len(value) >= MIN_TOKEN:
                kind = token_shape(value, generic=norm not in ID_PARAMS)
        elif not sep and len(name) >= MIN_TOKEN:
            kind = token_shape(name)
        out.append((name, sep, value, kind))
    return out


def _is_azure_sas(query: str | None) -> bool:
    if not query or "sig" not in query.lower():
        return False
    names = {_norm_name(p.partition("=")[0]) for p in query.split("&")}
    return "sig" in names and bool(names & {"sv", "se", "sp", "srt", "sr"})


def _segment_secret(segment: str) -> tuple[str, str | None]:
    """A path segment masked: ``;jsessionid=…`` path parameters and token-shaped segments."""
    head, sep, params = segment.partition(";")
    kind = token_shape(head)
    masked = MASK if kind else head
    if sep:
        rebuilt = []
        pieces = params.split(";", MAX_PARTS)
        for param in pieces[:MAX_PARTS]:
            name, eq, value = param.partition("=")
            if eq and value and (_norm_name(name) in SECRET_QUERY_PARAMS or token_shape(value)):
                kind = kind or unquote(name)
                rebuilt.append(name + "=" + MASK)
            else:
                rebuilt.append(param)
        if len(pieces) > MAX_PARTS:
            tail_kinds: list[str] = []
            rebuilt.append(_tail(pieces[MAX_PARTS], tail_kinds))
            kind = kind or (tail_kinds[0] if tail_kinds else None)
        masked += ";" + ";".join(rebuilt)
    return masked, kind


# Path segments and query pairs examined one by one; a real URL has a few dozen. Past this many, the
# rest (never displayed: the shown URL is cut at 300 characters) is replaced by "…" and only searched
# once, as a whole, for a secret's name or a token's prefix, so that a 1 Mo query of 40,000 pairs
# costs one regex pass instead of 40,000 Python iterations.
MAX_PARTS = 1000
_TAIL_SECRET_RE = re.compile(
    r"(?i)(?:pass|pwd|token|secret|sig|session|auth|credential|key|ticket)[^&=;/]{0,32}="
    r"|eyJ|AIza|ya29\.|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|AKIA|ASIA|[sr]k_live_"
)


def _tail(rest: str, kinds: list[str]) -> str:
    """The unexamined rest of a long path or query: never shown, searched once for secrets."""
    if _TAIL_SECRET_RE.search(rest):
        kinds.append("token")
    return "…"


@dataclass(frozen=True)
class MaskedURL:
    """A URL safe to show (``text``) and the kinds of credentials that were removed from it."""

    text: str
    kinds: tuple[str, ...]


def _mask(parsed: BrowserURL, max_len: int) -> MaskedURL:
    kinds: list[str] = []
    if not parsed.valid:
        # A browser opens nothing: there is no host to show, and anything after the scheme could
        # be a secret.
        return MaskedURL((parsed.scheme or "?") + ":" + MASK, ())
    if parsed.has_userinfo:
        kinds.append("userinfo")
    if parsed.special and parsed.host:
        prefix = f"{parsed.scheme}://" + (MASK + "@" if parsed.has_userinfo else "") + (
            f"[{parsed.host.strip('[]')}]" if parsed.host_type == "ipv6" else parsed.host
        ) + (":" + parsed.port if parsed.port else "")
        segments = []
        parts = parsed.path.split("/", MAX_PARTS)
        for segment in parts[:MAX_PARTS]:
            masked, kind = _segment_secret(segment)
            segments.append(masked)
            if kind:
                kinds.append(kind)
        if len(parts) > MAX_PARTS:
            segments.append(_tail(parts[MAX_PARTS], kinds))
        rest = "/".join(segments)
        for mark, part in (("?", parsed.query), ("#", parsed.fragment)):
            if part is None:
                continue
            if "=" in part or mark == "?":
                pieces = part.split("&", MAX_PARTS)
                head = "&".join(pieces[:MAX_PARTS])
                pairs = _pairs_secrets(head, azure_sas=mark == "?" and _is_azure_sas(head))
                kinds.extend(k for *_, k in pairs if k)
                part = "&".join((n + "=" + MASK if s else MASK) if k else n + s + v for n, s, v, k in pairs)
                if len(pieces) > MAX_PARTS:
                    part += "&" + _tail(pieces[MAX_PARTS], kinds)
            else:
                kind = token_shape(part)
                if kind:
                    kinds.append(kind)
                    part = MASK
            rest += mark + part
    else:
        # Opaque URLs (javascript:, data:, mailto:…): no host. Keep the scheme; a data: URL shows its
        # media type only; the rest is shown with token-shaped runs and secret pairs masked.
        body = (parsed.href or "")[len(parsed.scheme) + 1:]
        if parsed.scheme == "data":
            prefix, rest = "data:", body.split(",", 1)[0][:60] + ",…"
        else:
            prefix, rest = parsed.scheme + ":", _mask_opaque(body, kinds)
    budget = max(max_len - len(prefix), 1)
    if len(rest) > budget:
        rest = rest[: budget - 1] + "…"
    # The prefix (scheme, masked user info, host, port) is never cut: the real host stays visible.
    return MaskedURL(prefix + rest, tuple(dict.fromkeys(kinds)))


_TOKEN_RUN = re.compile(r"[A-Za-z0-9+/=_.~%-]+")


def _mask_opaque(body: str, kinds: list[str]) -> str:
    """Token-shaped runs of an opaque URL's body, and values of secret ``name=value`` pairs, masked."""
    out, last = [], 0
    for match in _TOKEN_RUN.finditer(body):
        run = match.group(0)
        name, eq, value = run.partition("=")
        if eq and value and _norm_name(name) in SECRET_QUERY_PARAMS:
            kinds.append(unquote(name))
            run = name + "=" + MASK
        else:
            kind = token_shape(value if eq else run)
            if kind:
                kinds.append(kind)
                run = (name + "=" + MASK) if eq else MASK
        out.append(body[last:match.start()] + run)
        last = match.end()
    out.append(body[last:])
    return "".join(out)


def masked_url(url: str | BrowserURL, max_len: int = 300) -> MaskedURL:
    """:func:`mask_url` with the kinds of credentials removed (``userinfo``, parameter names, shapes)."""
    return _mask(url if isinstance(url, BrowserURL) else parse_url(url), max_len)


def mask_url(url: str | BrowserURL, max_len: int = 300) -> str:
    """``url`` as a browser would open it, safe to show in a report.

    Rebuilt from the WHATWG parse: the host is always shown in clear (ASCII), never cut; user info,
    secret query parameters (by name, and by the shape of their value), session ids and token-shaped
    path segments are replaced by ``•••``. A URL that browsers refuse shows its scheme only.
    """
    return masked_url(url, max_len).text


def url_credentials(url: str | BrowserURL) -> list[str]:
    """What kind of credentials ``url`` carries: ``"userinfo"``, secret parameter names, token shapes."""
    return list(masked_url(url).kinds)


def mask_urls_in_text(text: str, max_len: int = 300) -> str:
    """``text`` with every URL in it replaced by its masked form (for facts quoting file content)."""
    if ":" not in text:
        return text

    def repl(match: re.Match[str]) -> str:
        found = match.group(1)
        url = clean_url(found)
        return mask_url(url, max_len) + found[len(url):]

    return URL_RE.sub(repl, text)
