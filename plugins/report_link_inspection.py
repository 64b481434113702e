"""The inspection of the ``report_link`` plugin: links extracted and judged, Gazelle reports read.

Imported by :func:`plugins.report_link.preuves_inspect` on the inspection path only: the text, URL
and XML toolkits compile their patterns and load lxml at import, which the service process (it reads
only the declarations of ``plugins/report_link.py``) never needs. The fork server imports it once
(``plugins.report_link.PRELOAD``).
"""

from __future__ import annotations

import io
import plistlib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import unquote_plus

from plugins.report_link import CREDENTIAL_WORDS, FORM_WORDS, PLUGIN, SNIFF_CHARS, sniff_gazelle_root, words
from plugins.report_link_execution import EXECUTION_PATH, accept_execution_id
from validator_core import Inspection, Proof, finding
from validator_core.toolkit.text import decode_text, mask_identities
from validator_core.toolkit.urls import (
    HOMOGRAPH_FORMS,
    MASK,
    MAX_PARTS,
    OBFUSCATION_FORMS,
    BrowserURL,
    MaskedURL,
    find_urls,
    lookalike_of,
    mask_urls_in_text,
    masked_url,
    parse_url,
    token_shape,
)
from validator_core.toolkit.xml import child_text, find_first, local_name, parse_xml

WEB_SCHEMES = {"http", "https"}


# --- link extraction -------------------------------------------------------------------------------
# No "\s" that may span lines, no lazy group before "\s*$": both backtrack quadratically (a 20 kB
# file of newlines took 3 s). Horizontal blanks only; the value is stripped in Python.
_URL_SHORTCUT_RE = re.compile(r"(?im)^[ \t]*URL[ \t]*=[ \t]*([^\s][^\r\n]*)")
_HREF_ATTRS = ("href", "src", "action", "formaction", "data")


def _links_from_url_shortcut(text: str) -> list[str]:
    """``[InternetShortcut]`` INI files (Windows ``.url``/``.website``): the ``URL=`` lines."""
    return [value.strip() for value in _URL_SHORTCUT_RE.findall(text)[:1000]]


def _links_from_webloc(data: bytes) -> list[str] | None:
    """macOS ``.webloc``: a property list (XML or binary) with a ``URL`` key. ``None`` if unreadable.

    plistlib refuses XML entity declarations, so a hostile plist cannot expand anything.
    """
    try:
        value = plistlib.loads(data)
    except Exception:  # noqa: BLE001 - any malformed plist (InvalidFileException, ExpatError, …)
        return None
    if isinstance(value, dict) and isinstance(value.get("URL"), str):
        return [value["URL"]]
    return []


def _links_from_html(data: bytes, text: str, max_chars: int) -> list[str]:
    """``href``-like attributes (so ``javascript:`` in an ``<a href>`` is seen) and URLs in the text."""
    from lxml import etree, html

    links: list[str] = []
    visible = text
    try:
        parser = html.HTMLParser(no_network=True, remove_pis=True, huge_tree=False, remove_comments=True)
        root = html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError, etree.XMLSyntaxError):
        root = None
    if root is not None:
        for count, element in enumerate(root.iter()):
            if count >= 100_000:
                break
            if not isinstance(element.tag, str):
                continue
            for attr in _HREF_ATTRS:
                value = element.get(attr)
                if value and ":" in value.split("/", 1)[0]:
                    links.append(value.strip())
            if element.tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
                content = element.get("content") or ""
                match = re.search(r"(?i)url\s*=\s*['\"]?([^'\"\s]+)", content)
                if match:
                    links.append(match.group(1))
        # URLs written in the page's text (not in its markup, which the attributes above covered).
        visible = " ".join(t for t in root.itertext() if isinstance(t, str))[:max_chars]
    return links + find_urls(visible)


def _links_from_pdf(proof: Proof, limits: Mapping[str, Any]) -> list[str]:
    """/URI actions of link annotations and URLs in the text of the first pages (bounded)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    links: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(proof.read(proof.max_bytes)), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:  # noqa: BLE001 - a user password: nothing readable
                return links
        annotations_seen = 0
        for index, page in enumerate(reader.pages):
            if index >= int(limits["pdf_max_pages"]):
                break
            annots = page.get("/Annots")
            annots = annots.get_object() if annots is not None else []
            for annot_ref in list(annots or [])[: int(limits["pdf_max_annotations"])]:
                annotations_seen += 1
                if annotations_seen > int(limits["pdf_max_annotations"]):
                    break
                annot = annot_ref.get_object()
                action = annot.get("/A") if hasattr(annot, "get") else None
                action = action.get_object() if action is not None else None
                uri = action.get("/URI") if hasattr(action, "get") else None
                if uri is not None:
                    uri = uri.get_object()
                    links.append(uri.decode("latin-1") if isinstance(uri, bytes) else str(uri))
            try:
                links.extend(find_urls(page.extract_text() or ""))
            except Exception:  # noqa: BLE001 - a page whose text cannot be extracted
                continue
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return links


# --- link analysis ---------------------------------------------------------------------------------
@dataclass
class Link:
    """One link, judged on what a browser makes of it (WHATWG parse), never on its spelling."""

    url: str
    parsed: BrowserURL
    host: str | None = None
    platform: str | None = None
    kind: str | None = None
    id: str | None = None
    credentials: tuple[str, ...] = ()
    imitates: str | None = None
    masked: MaskedURL | None = None  # computed once: a 1 Mo URL is masked in one pass, not per use

    @property
    def scheme(self) -> str:
        return self.parsed.scheme

    @property
    def web(self) -> bool:
        return self.scheme in WEB_SCHEMES

    @property
    def valid(self) -> bool:
        return self.parsed.valid

    @property
    def forms(self) -> tuple[str, ...]:
        return self.parsed.forms + (("lookalike",) if self.imitates else ())

    @property
    def refused(self) -> bool:
        """A deceptive spelling: the link is refused, whatever platform it leads to."""
        return bool(self.forms)

    @property
    def shown(self) -> str:
        if self.masked is None:
            self.masked = masked_url(self.parsed)
        return self.masked.text

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.shown, "scheme": self.scheme or "?"}
        for key in ("host", "platform", "kind", "id"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        unicode_host = self.parsed.host_unicode
        if self.host and unicode_host and unicode_host != self.host:
            out["host_unicode"] = unicode_host
        if self.forms:
            out["forms"] = list(self.forms)
        if self.web and not self.valid:
            out["invalid"] = True
        return out


# Permalink shapes per platform: (kind, path regex, query parameter holding the id or None).
PERMALINKS: dict[str, tuple[tuple[str, re.Pattern[str], str | None], ...]] = {
    "gazelle": (
        ("evs_report", re.compile(r"(?i)/report\.seam$"), "oid"),
        ("evs_report", re.compile(r"(?i)/detailedResult\.seam$"), "oid"),
        ("test_instance", re.compile(r"(?i)/testInstance\.seam$"), "id"),
    ),
    "mssante": (
        # The one spelling of the path: the execution permalink the number stands for (report_link_execution).
        ("mssante_execution",
         re.compile("(?i)" + re.escape(EXECUTION_PATH.removesuffix("{id}")) + r"([^/]+)/?$"), None),
    ),
}
EXPECTED_PERMALINK = {
    "gazelle": "…/evs/report.seam?oid=…, …/detailedResult.seam?oid=…, …/testInstance.seam?id=…",
    "mssante": "…" + EXECUTION_PATH.format(id="<id>"),
}


def _safe_id(value: str) -> str:
    """A permalink id as a fact: masked if it has the shape of a token (ids are numbers and OIDs)."""
    value = value.strip()
    return MASK if token_shape(value) else value[:120]


def _query_value(query: str, name: str, limit: int = 4096) -> str | None:
    """The first non-blank value of ``name`` in ``query``, decoded from at most ``limit`` characters."""
    for pair in query.split("&", MAX_PARTS)[:MAX_PARTS]:
        key, _, value = pair.partition("=")
        if (key == name or ("%" in key or "+" in key) and unquote_plus(key) == name) and value.strip():
            return unquote_plus(value[:limit]).strip() or None
    return None


def analyse_link(url: str, hosts: dict[str, str]) -> Link:
    """Parse ``url`` as a browser would and tell its platform and permalink kind (offline)."""
    parsed = parse_url(url)
    link = Link(url=url, parsed=parsed)
    if not link.web or not parsed.valid:
        return link
    host = (parsed.host or "").rstrip(".") or None
    link.host = host
    link.masked = masked_url(parsed)
    link.credentials = tuple(k for k in link.masked.kinds if k != "userinfo")
    link.platform = hosts.get(host or "")
    if link.platform is None and host:
        link.imitates = lookalike_of(host, tuple(hosts))
    # The path without ";jsessionid=…" path parameters (Java servers append them to any page).
    path = "/".join(segment.split(";", 1)[0] for segment in parsed.path.split("/"))
    for kind, path_re, param in PERMALINKS.get(link.platform or "", ()):
        match = path_re.search(path)
        if not match:
            continue
        if param is None:
            link.kind, link.id = kind, _safe_id(match.group(1))
            break
        value = _query_value(parsed.query or "", param)
        if value:
            link.kind, link.id = kind, _safe_id(value)
            break
    return link


def _normalise_host(host: str) -> str:
    """An allowlisted host as browsers spell it (lower case, punycode), to compare with parsed hosts."""
    parsed = parse_url("https://" + host.strip() + "/")
    return (parsed.host or host).rstrip(".").lower()


def _unique(links: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for link in links:
        link = link.strip()
        if link:
            seen.setdefault(link, None)
    return list(seen)


def _source_kind(proof: Proof, data: bytes) -> str:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if proof.media_type == "application/pdf" or data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"bplist00") or proof.extension == "webloc" or (b"<plist" in data[:1024] and b"<key>url</key>" in data[:4096].lower()):
        return "webloc"
    if proof.extension in {"url", "website"} or b"[internetshortcut]" in head:
        return "url_shortcut"
    if proof.media_type in {"text/html", "application/xhtml+xml"} or head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "text"


# --- Gazelle reports -------------------------------------------------------------------------------
def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _clip(value: str | None, limit: int = 160) -> str | None:
    """Whitespace-normalised, NIRs and URLs masked (a validator may quote the patient's id or a
    signed link), at most ``limit``."""
    if value is None:
        return None
    value = mask_urls_in_text(mask_identities(" ".join(value.split())))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def read_gazelle_report(root: Any, max_failures: int) -> dict[str, Any] | None:
    """Result, counters and first failing constraints of a Gazelle report, both shapes; else ``None``."""
    name = local_name(root)
    failures: list[dict[str, Any]] = []
    if name == "validationReport":
        overview = find_first(root, "validationOverview", 100)
        counters = find_first(root, "counters", 1000)
        result = root.get("result") or (child_text(overview, "validationOverallResult") if overview is not None else None)
        report: dict[str, Any] = {"shape": "current", "result": (result or "").strip().upper() or None}
        if overview is not None:
            report["service"] = _clip(child_text(overview, "validationServiceName"), 120)
            report["validator"] = _clip(child_text(overview, "validatorID"), 120)
            report["date"] = _clip(child_text(overview, "validationDateTime"), 40)
        if counters is not None:
            report["errors"] = _int(child_text(counters, "numberOfErrors"))
            report["warnings"] = _int(child_text(counters, "numberOfWarnings"))
            report["constraints"] = _int(child_text(counters, "numberOfConstraints"))
        for count, node in enumerate(root.iter()):
            if count >= 200_000 or len(failures) >= max_failures:
                break
            if local_name(node) != "constraint":
                continue
            test_result = (child_text(node, "testResult") or "").upper()
            severity = (child_text(node, "severity") or "").upper()
            if test_result == "FAILED" or (not test_result and severity == "ERROR"):
                failures.append({
                    "id": _clip(child_text(node, "constraintID"), 80),
                    "severity": severity or None,
                    "description": _clip(child_text(node, "constraintDescription") or child_text(node, "description")),
                    "location": _clip(child_text(node, "locationInValidatedObject") or child_text(node, "location"), 120),
                })
    elif name == "detailedResult":
        overview = find_first(root, "ValidationResultsOverview", 100)
        counters = find_first(root, "ValidationCounters", 10_000)
        report = {"shape": "legacy", "result": None}
        if overview is not None:
            report["result"] = (child_text(overview, "ValidationTestResult") or "").strip().upper() or None
            report["service"] = _clip(child_text(overview, "ValidationServiceName"), 120)
            report["date"] = _clip(child_text(overview, "ValidationDate"), 40)
        if counters is not None:
            report["errors"] = _int(child_text(counters, "NrOfValidationErrors"))
            report["warnings"] = _int(child_text(counters, "NrOfValidationWarnings"))
            report["constraints"] = _int(child_text(counters, "NrOfChecks"))
        results = find_first(root, "ValidationResults", 10_000)
        for count, node in enumerate(results.iter() if results is not None else ()):
            if count >= 200_000 or len(failures) >= max_failures:
                break
            if local_name(node) == "Error":
                failures.append({
                    "id": _clip(child_text(node, "Test"), 80),
                    "severity": "ERROR",
                    "description": _clip(child_text(node, "Description")),
                    "location": _clip(child_text(node, "Location"), 120),
                })
    else:
        return None
    report["failures"] = failures
    return {k: v for k, v in report.items() if v is not None}


def _gazelle_findings(report: dict[str, Any]) -> list:
    result = report.get("result")
    if result == "PASSED":
        return []
    if result in {"FAILED", "ABORTED"}:
        failures = report.get("failures", [])
        text = "; ".join(
            " — ".join(str(v) for v in (f.get("id"), f.get("description")) if v) or "?" for f in failures
        ) or "not_detailed"
        return [finding(
            "report_link.gazelle_failed", "error", result=result, errors=report.get("errors", "?"),
            warnings=report.get("warnings", "?"), failures=failures, failures_text=text,
            shape=report.get("shape"),
        )]
    return [finding("report_link.gazelle_result_unknown", "warning", result=result or "(absent)")]


# --- inspection ------------------------------------------------------------------------------------
def inspect(proof: Proof) -> Inspection:
    """Inspect one file (``[thresholds.report_link]``, the hosts of ``[plugin_data.report_link]``; no
    more than the proof type's limit is read)."""
    limits = proof.thresholds(PLUGIN)
    configured = proof.rules.plugin_data(PLUGIN)["hosts"]
    hosts = {_normalise_host(str(h)): str(p) for h, p in configured.items()}
    data = proof.read(proof.max_bytes)
    findings: list = []
    facts: dict[str, Any] = {}

    # A Gazelle validation report is itself the proof: read its verdict.
    shape = sniff_gazelle_root(data[:SNIFF_CHARS * 2])
    if shape is not None:
        parsed = parse_xml(data)
        facts["source"] = "gazelle_report"
        if parsed.doctype:
            findings.append(finding("report_link.xml_doctype", "warning", entities=parsed.entity_declarations,
                                    external=parsed.external_entities))
        if not parsed.well_formed:
            findings.append(finding("report_link.gazelle_unreadable", "error", line=parsed.error_line or "?",
                                    shape=shape))
            return Inspection(findings=findings, facts=facts)
        report = read_gazelle_report(parsed.root, int(limits["gazelle_max_failures"]))
        if report is not None:
            facts["gazelle_report"] = report
            findings.extend(_gazelle_findings(report))
            return Inspection(findings=findings, facts=facts)

    source = _source_kind(proof, data)
    facts["source"] = source
    if source == "pdf":
        raw_links = _links_from_pdf(proof, limits)
    elif source == "webloc":
        raw_links = _links_from_webloc(data)
        if raw_links is None:  # not a readable plist after all: treat as text
            raw_links = find_urls(decode_text(data).text)
    else:
        text = decode_text(data).text
        if source == "url_shortcut":
            raw_links = _links_from_url_shortcut(text) or find_urls(text)
        elif source == "html":
            raw_links = _links_from_html(data, text, proof.max_bytes)
        else:
            raw_links = find_urls(text)

    urls = _unique(raw_links)
    if not urls and (execution := accept_execution_id(proof, data, hosts)) is not None:
        facts.update(execution[0])  # an MSSanté execution id filed alone (plugins/report_link_execution.py)
        return Inspection(findings=[execution[1]], facts=facts)
    max_links = int(limits["max_links"])
    links = [analyse_link(url, hosts) for url in urls[:max_links]]
    facts["links_total"] = len(urls)
    facts["links"] = [link.facts() for link in links]
    findings.extend(link_findings(links, hosts))
    return Inspection(findings=findings, facts=facts)


def _forms_text(forms: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(forms))


def link_findings(links: list[Link], hosts: dict[str, str]) -> list:
    """The findings about a file's links (one finding per code, listing the first examples).

    Every URL that enters a message or a detail is the masked form (:func:`mask_url`): the host a
    browser opens always in clear, credentials never.
    """
    if not links:
        return [finding("report_link.no_link", "error")]
    non_web = [link for link in links if not link.web]
    invalid = [link for link in links if link.web and not link.valid]
    web = [link for link in links if link.web and link.valid]
    schemes = ", ".join(sorted({(link.scheme or "?") + ":" for link in non_web}))
    if not web and not invalid:
        return [finding("report_link.no_web_link", "error", schemes=schemes, count=len(non_web))]
    out = []
    if not web:
        out.append(finding("report_link.no_valid_link", "error", count=len(invalid)))
    elif invalid:
        out.append(finding("report_link.invalid_url", "warning", count=len(invalid), example=invalid[0].shown))
    if non_web:
        out.append(finding("report_link.non_web_link", "warning", schemes=schemes, count=len(non_web)))
    # Deceptive spellings are refused first: the verdict must not rest on a host the reader misreads.
    for code, selected in (
        ("report_link.backslash_in_url", [l for l in web if "backslash" in l.forms]),
        ("report_link.userinfo_in_url", [l for l in web if "userinfo" in l.forms]),
        ("report_link.obfuscated_url", [l for l in web if set(l.forms) & set(OBFUSCATION_FORMS)]),
    ):
        if selected:
            first = selected[0]
            details: dict[str, Any] = {"count": len(selected), "example": first.shown, "host": first.host,
                                       "links": [l.shown for l in selected[:5]]}
            if code == "report_link.obfuscated_url":
                shown_forms = [f for l in selected for f in l.forms if f in OBFUSCATION_FORMS]
                details["forms"] = _forms_text(shown_forms)
                details["forms_words"] = words(FORM_WORDS, shown_forms)
            out.append(finding(code, "error", **details))
    homographs = [l for l in web if set(l.forms) & {*HOMOGRAPH_FORMS, "lookalike"}]
    if homographs:
        first = homographs[0]
        forms = [f for l in homographs for f in l.forms if f in HOMOGRAPH_FORMS or f == "lookalike"]
        out.append(finding("report_link.idn_homograph", "error", count=len(homographs), host=first.host,
                           unicode=first.parsed.host_unicode, forms=_forms_text(forms), imitates=first.imitates,
                           forms_words=words(FORM_WORDS, forms),
                           example=first.shown, known=", ".join(sorted(hosts))))
    insecure = [link for link in web if link.scheme == "http"]
    if insecure:
        out.append(finding("report_link.insecure_http", "warning", count=len(insecure),
                           example=insecure[0].shown, links=[l.shown for l in insecure[:5]]))
    # Once the file holds a report permalink, its other links (a PDF's or a page's navigation, a
    # validator's documentation) are context: listed in the facts, not warned about. A refused link
    # is no permalink, whatever its path.
    has_permalink = any(link.kind and not link.refused for link in web)
    unknown = [] if has_permalink else [link for link in web if link.platform is None]
    if unknown:
        names = sorted({link.host or "?" for link in unknown})
        out.append(finding("report_link.unknown_host", "warning", hosts=", ".join(names[:5]),
                           count=len(unknown), known=", ".join(sorted(hosts))))
    leaking = [link for link in web if link.credentials]
    if leaking:
        kinds = sorted({k for link in leaking for k in link.credentials})
        out.append(finding("report_link.credentials_in_url", "warning", kinds=", ".join(kinds),
                           kinds_words=words(CREDENTIAL_WORDS, kinds, ("paramètre « {} »", "parameter “{}”")),
                           count=len(leaking), example=leaking[0].shown))
    not_report = [] if has_permalink else [
        l for l in web if l.platform in PERMALINKS and l.kind is None and not l.refused
    ]
    if not_report:
        first = not_report[0]
        out.append(finding("report_link.not_a_report", "warning", count=len(not_report), example=first.shown,
                           platform=first.platform, expected=EXPECTED_PERMALINK[first.platform]))
    return out
