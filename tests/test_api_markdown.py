"""The dossier's Markdown report (``POST /v1/dossiers?format=md``) with hostile file names.

File names are the client's: HTML, ``javascript:`` links, table pipes and bare line breaks (LF, CR,
U+2028) that would forge a heading must come out as plain text. The Markdown is rendered with a
CommonMark renderer (markdown-it-py, tables on, raw HTML allowed as GitLab and GitHub allow a subset)
and the HTML is checked: no element the names asked for, the report's own headings only, four cells
in every row, and each name readable as text.
"""

from __future__ import annotations

import html
import re
import uuid
from typing import Iterator

import httpx
import pytest
from markdown_it import MarkdownIt

from tests._server import start_server, stop_server
from validator_core.dossier import md_text

KEY = "md-key-7b2e"
LOG = b"2026-01-05 10:00:00 INFO connexion au service DMP\n" * 5

MATCHED = [  # names starting with a proof id: rows of the table
    "DOC_va1.01.01.01 <img src=x onerror=alert(1)>.log",
    "DOC_va1.25.01.02 [clic](javascript:alert(1)) | faux | tableau.log",
    "DOC_va1.29.01.02 ![i](x.png) *gras* `code` &amp; ~~barré~~ _souligné_.log",
]
UNMATCHED = [  # names matching no proof: items of the last list
    "notes\n# Dossier prêt au dépôt.txt",
    "rapport\x0b## Aucune preuve manquante.txt",  # (a bare CR is refused by the multipart parser: 422)
    "bilan\x85### Tout est conforme.txt",
    "journal\u2028# Titre forgé.txt",
    "<script>alert(1)</script>.txt",
    "<javascript:alert(1)>.txt",
    "1. liste forgée.txt",
    "> citation\u202e.txt",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    tmp_dir = tmp_path_factory.mktemp("md-uploads")
    log = tmp_path_factory.mktemp("md-logs") / "server.log"
    proc, url = start_server(tmp_dir, log, PREUVES_API_KEYS=KEY, PREUVES_RATE_LIMIT_PER_MIN="0")
    yield url
    stop_server(proc)


def _body(names: list[str], boundary: str) -> bytes:
    """The multipart body, built by hand: a file name may hold a bare LF or CR, as a raw client sends it."""
    out = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"rem\"\r\n\r\nBIO\r\n".encode()]
    for name in names:
        out.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                   "Content-Type: text/plain\r\n\r\n".encode() + LOG + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(markdown)


def _text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


@pytest.fixture(scope="module")
def report(server) -> tuple[str, str]:
    boundary = "md" + uuid.uuid4().hex
    response = httpx.post(server + "/v1/dossiers", params={"format": "md"}, content=_body(MATCHED + UNMATCHED, boundary),
                          headers={"X-API-Key": KEY, "Content-Type": f"multipart/form-data; boundary={boundary}"},
                          timeout=120)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/markdown")
    return response.text, _render(response.text)


def test_names_make_no_html_nor_link(report):
    _markdown, rendered = report
    for tag in ("<img", "<script", "<a ", "<a>", "<del", "<em", "<strong", "<code", "<blockquote", "<ol"):
        assert tag not in rendered, (tag, rendered)
    assert "javascript:" not in re.findall(r"""(?:href|src)=["']([^"']*)""", rendered)


def test_line_breaks_forge_no_heading(report):
    markdown, rendered = report
    assert re.findall(r"<h(\d)>", rendered) == ["1", "2", "2", "2"]  # the title, filed, missing, unmatched
    assert len([line for line in markdown.splitlines() if line.startswith("#")]) == 4, "a name starts a line"
    assert not re.search("[\r\x0b\x85\u2028\u202e]", markdown)


def test_every_row_has_four_cells(report):
    _markdown, rendered = report
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, flags=re.S)
    assert len(rows) == 1 + len(MATCHED)
    assert all(len(re.findall(r"<t[hd][ >]", row)) == 4 for row in rows), rows


def test_names_read_as_they_were_sent(report):
    _markdown, rendered = report
    text = _text(rendered)
    for name in MATCHED:
        assert name.split(" ", 1)[1] in text  # the table shows the name after the proof id's folder
    for name in UNMATCHED:
        shown = re.sub(r"[\n\x0b\x85\u2028]", " ", name).replace("\u202e", "\ufffd")
        assert shown in text, shown


@pytest.mark.parametrize(("raw", "escaped"), [
    ("a|b", r"a\|b"), ("<b>", r"\<b\>"), ("[x](y)", r"\[x\](y)"), ("# t", r"\# t"), ("1. x", r"1\. x"),
    ("x\ny", "x y"), ("x\ry", "x y"), ("x\u2029y", "x y"), ("a\\b", r"a\\b"), ("&amp;", r"\&amp;"), ("DOC/va1.01.01.01", "DOC/va1.01.01.01"),
])
def test_md_text(raw, escaped):
    assert md_text(raw) == escaped
