"""A document as it arrives (bytes, a media type or a file name) turned into the text the extractor reads.

- ``text/plain``: the charset of the Content-Type, else UTF-8 (a BOM honoured), else GB18030 (which reads GBK and
  GB2312); neither is refused with a problem that says how to send it. The text is kept exactly as decoded: spans
  count its code points.
- ``text/html``: the page's text, one block a line (scripts, styles and comments left out); a ``<table>`` of data
  (no table inside it, short cells) becomes one ``| cell | cell |`` line per row, which the table reader reads.
  A table that lays out a page is read as blocks.
- ``text/csv`` (or tab-separated) and workbooks (``.xlsx``, ``.xls``, ``.ods``, read with python-calamine): one
  ``| cell | cell |`` line per row, each sheet after a line with its name.

``application/octet-stream`` (or no type) is recognised from the bytes: a workbook by its signature, else text or
HTML. For HTML, tables and workbooks the answer carries ``document.text``, the text the spans count in.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from service.errors import InvalidData, PayloadTooLarge, Problem, UnsupportedMediaType

MAX_CHARACTERS = 500_000  # a long statistical bulletin is some 30,000; beyond this, split the document
KINDS = ("text", "html", "table", "workbook")
MEDIA: dict[str, str | None] = {
    "text/plain": "text",
    "text/markdown": "text",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/csv": "table",
    "application/csv": "table",
    "text/tab-separated-values": "table",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "workbook",
    "application/vnd.ms-excel": "workbook",
    "application/vnd.ms-excel.sheet.macroenabled.12": "workbook",
    "application/vnd.oasis.opendocument.spreadsheet": "workbook",
    "application/octet-stream": None,  # recognised from the bytes
}
SUFFIXES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroenabled.12",
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}
ACCEPTED = "text/plain, text/html, text/csv, an .xlsx, .xls or .ods workbook"
_GB = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn", "hz-gb-2312"}
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Document:
    """The text the extractor reads, what it was made from, and the digest of the bytes as sent."""

    text: str
    kind: str  # text | html | table | workbook
    sha256: str
    encoding: str | None  # the charset the bytes were read in (None for workbooks)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sha256": self.sha256, "characters": len(self.text), "kind": self.kind}
        if self.encoding:
            out["encoding"] = self.encoding
        if self.kind != "text":  # spans count in this text, not in the bytes sent
            out["text"] = self.text
        return out


def media_of(content_type: str | None, filename: str | None = None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header, else of a file name's suffix; (None, None) when neither."""
    if content_type and content_type.strip():
        parts = content_type.split(";")
        media = parts[0].strip().lower()
        charset = None
        for p in parts[1:]:
            key, _, value = p.partition("=")
            if key.strip().lower() == "charset":
                charset = value.strip().strip('"').lower() or None
        return media, charset
    if filename:
        return SUFFIXES.get(PurePath(filename).suffix.lower()), None
    return None, None


def check_media(content_type: str | None) -> str | None:
    """The Content-Type, if this reads its media type (or none is given); else 415 naming what is read."""
    media, _ = media_of(content_type)
    if media is not None and media not in MEDIA:
        raise UnsupportedMediaType(
            f"cannot read {media}: send {ACCEPTED}",
            [Problem(f"unsupported media type {media}", header="content-type", allowed=sorted(MEDIA))],
        )
    return content_type


def read_document(data: bytes, content_type: str | None = None, filename: str | None = None) -> Document:
    """The document of ``data`` sent as ``content_type`` (a Content-Type header, charset included) or named
    ``filename``; 415 for a type it cannot read, 422 for bytes that are not what they claim."""
    media, charset = media_of(check_media(content_type), filename)
    if not data.strip():
        raise InvalidData("the document is empty", [Problem("the body has no text", file=filename)])
    kind = MEDIA.get(media) if media else None
    if kind is None:
        kind = _sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    if kind == "workbook":
        return _limit(Document(workbook_text(data), kind, digest, None))
    text, encoding = decode(data, charset, html=kind == "html")
    if kind is None:
        kind = "html" if _looks_html(text) else "text"
    if kind == "html":
        text = html_text(text)
    elif kind == "table":
        text = csv_text(text, tabs=media == "text/tab-separated-values")
    return _limit(Document(text, kind, digest, encoding))


def _limit(doc: Document) -> Document:
    if len(doc.text) > MAX_CHARACTERS:
        raise PayloadTooLarge(
            f"the document's text has {len(doc.text)} characters; at most {MAX_CHARACTERS} are read at once: "
            "send it in parts"
        )
    if not doc.text.strip():
        raise InvalidData("the document holds no text", [Problem(f"the {doc.kind} has no text to read")])
    return doc


def _sniff(data: bytes) -> str | None:
    if data[:4] == _ZIP or data[:8] == _OLE:
        return "workbook"
    return None


def _looks_html(text: str) -> bool:
    head = text.lstrip()[:1000].lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or bool(re.search(r"<(?:body|p|div|table)\b", head))


# --- text -------------------------------------------------------------------------------------------------------


def decode(data: bytes, charset: str | None, html: bool = False) -> tuple[str, str]:
    """The text of ``data`` and the charset read: the declared one, else a BOM's, else (for HTML) the page's
    <meta charset>, else UTF-8, else GB18030."""
    if charset:
        return _declared(data, charset), _codec(charset)
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _declared(data, enc), enc
    if html and (meta := _meta_charset(data)):
        try:
            return data.decode(_codec(meta)), _codec(meta)
        except (UnicodeDecodeError, LookupError):
            pass  # the page's own claim is wrong: detect
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        _not_binary(text)
        return text, enc
    raise InvalidData(
        "the document is neither UTF-8 nor GB18030 (GBK) text",
        [
            Problem(
                "could not decode the body: send it as UTF-8, or name its charset in the Content-Type "
                "(e.g. text/plain; charset=big5)",
                header="content-type",
            )
        ],
    )


def _codec(charset: str) -> str:
    name = charset.strip().lower()
    if name in _GB:
        return "gb18030"  # GB18030 reads GBK and GB2312 as they are, and the characters they lack
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UnsupportedMediaType(
            f"unknown charset {charset!r}: send UTF-8, GB18030 (GBK) or Big5, named in the Content-Type",
            [Problem(f"unknown charset {charset!r}", header="content-type")],
        ) from None


def _declared(data: bytes, charset: str) -> str:
    codec = _codec(charset)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InvalidData(
            f"the body is declared {charset} but byte {exc.start} is not {charset}",
            [
                Problem(
                    f"declared charset={charset} does not match the body (drop the charset to have it detected)",
                    header="content-type",
                )
            ],
        ) from None
    _not_binary(text)
    return text


def _not_binary(text: str) -> None:
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\t\n\r\f\v")
    if "\x00" in text[:4096] or controls > 8:
        raise InvalidData(
            "the body is binary data, not text",
            [Problem("control characters in the text: is this a PDF, an image or a zip?", header="content-type")],
        )


def _meta_charset(data: bytes) -> str | None:
    m = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", data[:4096], re.I)
    return m.group(1).decode("ascii") if m else None


# --- HTML -------------------------------------------------------------------------------------------------------

_SKIP = {"script", "style", "noscript", "template", "iframe", "svg", "object", "select", "button", "head"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "nav", "aside", "blockquote", "pre", "hr", "form", "address",
    "figure", "figcaption", "center", "main", "caption", "thead", "tbody", "tfoot", "td", "th", "title", "body",
}  # fmt: skip
_WHITE = re.compile(r"[ \t\r\n\f\xa0]+")


def html_text(page: str) -> str:
    """A page's text: blocks on lines of their own, tables of data as ``| cell |`` rows."""
    import lxml.html
    from lxml import etree

    page = re.sub(r"^\s*<\?xml[^>]*>", "", page)  # lxml refuses an encoding declaration in a decoded string
    try:
        root = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return page
    out: list[str] = []
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        out.append(_WHITE.sub(" ", title.text_content()).strip())
        out.append("\n")
    body = root.find("body")
    _walk(body if body is not None else root, out)
    lines = [line.strip() for line in "".join(out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _walk(el: Any, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""  # comments and processing instructions have no text of theirs
    if tag in _SKIP or not isinstance(el.tag, str):
        if el.tail:
            out.append(_WHITE.sub(" ", el.tail))
        return
    block = tag in _BLOCK
    if block:
        out.append("\n")
    if tag == "table" and _is_data(el):
        caption = el.find("caption")
        if caption is not None and caption.text_content().strip():
            out.append(_WHITE.sub(" ", caption.text_content()).strip() + "\n")
        out.extend(_row_line(cells) for cells in _rows(el))
    else:
        if el.text:
            out.append(_WHITE.sub(" ", el.text))
        for child in el:
            _walk(child, out)
    if block:
        out.append("\n")
    if el.tail:
        out.append(_WHITE.sub(" ", el.tail))


def _rows(table: Any) -> Iterator[list[str]]:
    for tr in table.iter("tr"):
        cells = [_WHITE.sub(" ", td.text_content()).strip() for td in tr if td.tag in ("td", "th")]
        if any(cells):
            yield cells


def _is_data(table: Any) -> bool:
    """A table of figures: no table inside, two or more rows of two or more cells, and short cells (a table that
    lays out a page holds paragraphs)."""
    if table.find(".//table") is not None:
        return False
    rows = [r for r in _rows(table) if len(r) >= 2]
    cells = [c for r in rows for c in r]
    return len(rows) >= 2 and sum(len(c) for c in cells) / max(len(cells), 1) <= 40


def _row_line(cells: Iterable[str]) -> str:
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |\n"


# --- tables -----------------------------------------------------------------------------------------------------


def csv_text(text: str, tabs: bool = False) -> str:
    """A CSV (or tab-separated) table as ``| cell |`` rows; the delimiter sniffed among comma, tab and semicolon."""
    sample = text[:8192]
    delimiter = "\t" if tabs else ","
    if not tabs:
        with contextlib.suppress(csv.Error):  # one column, or no delimiter it can tell: commas
            delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    return "".join(_row_line(r) for r in rows if any(c.strip() for c in r))


def workbook_text(data: bytes) -> str:
    """The first visible sheet of a workbook (xlsx, xls) as ``| cell |`` rows, parsed in a child process by the
    ingest's workbook reader (a damaged file can make the parser abort: that ends the child, never the server)."""
    from service.ingest.workbook import read

    grid = read("document", data, None)
    lines = [_row_line(c or "" for c in row) for row in grid.cells if any(row)]
    head = [] if re.fullmatch(r"(?:Sheet|工作表)\s*\d*", grid.sheet, re.I) else [f"{grid.sheet}\n"]
    return "".join([*head, *lines, "\n"])
