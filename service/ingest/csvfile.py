"""CSV read in blocks: one pass over the bytes finds the encoding (UTF-8, UTF-8 with BOM, else GBK/GB18030), the
header is read here, and Arrow parses the rows a block at a time, so memory does not grow with the file.

Every refusal says what is wrong with the file in words about the file (which row, what to fix), never Arrow's:
rows are the file's own records, the header being row 1.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv

from service.errors import InvalidData, Problem

BLOCK = 16 << 20  # bytes Arrow parses at a time: a longer row may be refused (one over twice this always is)
CHUNK = 1 << 20  # bytes read at a time by the scan
MAX_ROW_PROBLEMS = 1000
Opener = Callable[[], pa.NativeFile]  # a fresh reader of the file, at its first byte
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Scan:
    """What one pass over the bytes tells: the encoding, where the rows start, the columns, a bound on the rows."""

    encoding: str  # "utf-8-sig" (UTF-8, with or without a BOM) or "gb18030"
    start: int  # byte offset of the first row after the header
    size: int  # bytes in the file
    columns: list[str]  # the header's names, stripped
    lines: int  # line breaks in the file: a bound on its rows
    odd_quotes: bool  # an odd number of '"': some quoted field may never be closed


# Files that are not text at all, known by their first bytes: what they are, said to whoever sent them as CSV.
SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?), not CSV text: save the sheet as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls workbook, not CSV text: save the sheet as CSV UTF-8"),
    (b"\x1f\x8b", "gzip-compressed: decompress it and send the CSV inside"),
    (b"\xff\xfe", "UTF-16 text (what Excel calls Unicode text): save it as CSV UTF-8"),
    (b"\xfe\xff", "UTF-16 text: save it as CSV UTF-8"),
)
SEPARATORS = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


def scan(name: str, open_file: Opener) -> Scan:
    """Decode the whole file once (in chunks) to choose its encoding and find the header; refuse what is not text,
    text that no encoding reads, stray byte-order marks and NUL bytes."""
    f = open_file()
    try:
        head = f.read(16)
    finally:
        f.close()
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            raise InvalidData(f"{name} is not CSV text", [Problem(f"the file is {what}", file=name)])
    found = _decode_all(name, open_file, "utf-8")
    if isinstance(found, int):
        line = found
        found = _decode_all(name, open_file, "gb18030")
        if isinstance(found, int):
            detail = f"row {line} is not UTF-8 text, and the file is not GBK either: save it as CSV UTF-8"
            raise InvalidData(f"{name} is neither UTF-8 nor GBK/GB18030 text", [Problem(detail, file=name, row=line)])
    return _header(name, open_file, *found)


def _decode_all(name: str, open_file: Opener, encoding: str) -> tuple[str, int, int, bool] | int:
    """(encoding label, line breaks, size, odd quotes) if every byte decodes; else the line where one does not."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = quotes = size = 0
    f = open_file()
    try:
        while chunk := f.read(CHUNK):
            if size == 0 and encoding == "utf-8" and chunk.startswith(UTF8_BOM):
                chunk = chunk[len(UTF8_BOM) :]
                size = len(UTF8_BOM)
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return lines + int(max(chunk.count(b"\n", 0, exc.start), chunk.count(b"\r", 0, exc.start))) + 1
            _refuse_stray(name, text, lines)
            lines += max(text.count("\n"), text.count("\r"))
            quotes += text.count('"')
            size += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:  # the file ends inside a character
        return lines + 1
    finally:
        f.close()
    return ("utf-8-sig" if encoding == "utf-8" else encoding), lines, size, quotes % 2 == 1


STRAYS = {  # characters that are never in CSV text: (what the file is said to have, what the row holds)
    "\ufeff": ("has a byte-order mark inside the text", "a stray byte-order mark (U+FEFF): files were concatenated?"),
    "\x00": ("holds NUL bytes", "a NUL byte: the file is binary or UTF-16 text, not CSV: save it as CSV UTF-8"),
}


def _refuse_stray(name: str, text: str, lines: int) -> None:
    for char, (summary, holds) in STRAYS.items():
        at = text.find(char)
        if at >= 0:
            line = lines + max(text.count("\n", 0, at), text.count("\r", 0, at)) + 1
            raise InvalidData(f"{name} {summary}", [Problem(f"row {line} holds {holds}", file=name, row=line)])


def _header(name: str, open_file: Opener, encoding: str, lines: int, size: int, odd_quotes: bool) -> Scan:
    f = open_file()
    try:
        head = f.read(CHUNK)
    finally:
        f.close()
    skip = len(UTF8_BOM) if encoding == "utf-8-sig" and head.startswith(UTF8_BOM) else 0
    if not head[skip:].strip():
        raise InvalidData(f"{name} is empty", [Problem("the file has no header and no rows", file=name)])
    ends = [i for i in (head.find(b"\n", skip), head.find(b"\r", skip)) if i >= 0]
    if not ends and len(head) == CHUNK:
        raise InvalidData(
            f"{name} has no line break in its first {CHUNK >> 20} MB",
            [Problem("the header (the first line) is never ended: is this a CSV file?", file=name, row=1)],
        )
    end = min(ends) if ends else len(head)
    start = end + (2 if head[end : end + 2] == b"\r\n" else 1 if ends else 0)
    line = head[skip:end].decode("utf-8" if encoding == "utf-8-sig" else encoding)
    try:
        header = next(csv.reader([line]), [])
    except csv.Error:
        header = []
    if not "".join(header).strip():
        raise InvalidData(
            f"{name} has no header",
            [Problem("the first line must be the header: the column names, separated by commas", file=name, row=1)],
        )
    _refuse_separator(name, header)
    return Scan(encoding, start, size, [c.strip() for c in header], lines, odd_quotes)


def _refuse_separator(name: str, header: list[str]) -> None:
    """One column whose name holds semicolons or tabs: a CSV saved with another separator."""
    if len(header) != 1:
        return
    for sep, words in SEPARATORS.items():
        if sep in header[0]:
            detail = (
                f"the header's columns are separated by {words}, not commas: save the file as CSV (comma delimited)"
            )
            raise InvalidData(f"{name} is not comma-separated", [Problem(detail, file=name, row=1)])


def guess_columns(head: bytes) -> list[str]:
    """The column names on the first line of ``head`` (undecodable bytes replaced): a guess, for choosing how to
    read the file, not for reading it."""
    lines = head.removeprefix(UTF8_BOM).splitlines()
    line = lines[0] if lines else b""
    try:
        return [c.strip() for c in next(csv.reader([line.decode("utf-8", "replace")]), [])]
    except csv.Error:
        return []


def tables(name: str, open_file: Opener, found: Scan, rows: int) -> Iterator[tuple[pa.Table, int]]:
    """The rows as tables of text columns of about ``rows`` rows each, with the file's row number of their first
    row; a file with any ragged row, an unclosed quote or an overlong row is refused (InvalidData) before its end."""
    done, pending, last = 0, [], None
    for batch in _batches(name, open_file, found):
        pending.append(batch)
        last = batch
        if sum(b.num_rows for b in pending) >= rows:
            table = pa.Table.from_batches(pending)
            yield table, done + 2
            done, pending = done + table.num_rows, []
    if pending:
        yield pa.Table.from_batches(pending), done + 2
        done += sum(b.num_rows for b in pending)
    if done == 0:
        raise InvalidData(f"{name} has a header but no rows", [Problem("no data rows", file=name)])
    if found.odd_quotes and last is not None and _has_line_break(last.slice(last.num_rows - 1)):
        raise _unclosed(name, done + 1)


def _batches(name: str, open_file: Opener, found: Scan) -> Iterator[pa.RecordBatch]:
    """Arrow's blocks, in order, none empty; its errors become InvalidData about the file."""
    if found.start >= found.size:  # nothing after the header
        return
    ragged = [0]

    def on_invalid(row: pacsv.InvalidRow) -> str:
        ragged[0] += 1
        return "skip"

    delivered = 0
    f = open_file()
    try:
        f.seek(found.start)
        reader = None
        while True:
            try:
                reader = reader or pacsv.open_csv(f, **_options(found, on_invalid, threads=True))
                batch = reader.read_next_batch()
            except StopIteration:
                batch = None
            except pa.ArrowInvalid as exc:
                raise _unreadable(name, found, delivered, exc) from None
            if ragged[0]:
                raise _ragged(name, open_file, found)
            if batch is None:
                break
            if batch.num_rows:
                delivered += batch.num_rows
                yield batch
    finally:
        f.close()


def _options(found: Scan, on_invalid: Callable[[pacsv.InvalidRow], str], threads: bool) -> dict[str, object]:
    columns = found.columns
    return {
        "read_options": pacsv.ReadOptions(
            column_names=columns,
            block_size=BLOCK,
            use_threads=threads,
            encoding="utf8" if found.encoding == "utf-8-sig" else found.encoding,
        ),
        "parse_options": pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=True, null_values=[""]
        ),
    }


def _has_line_break(row: pa.RecordBatch) -> bool:
    return any("\n" in v or "\r" in v for v in row.to_pylist()[0].values() if isinstance(v, str))


def _unclosed(name: str, row: int) -> InvalidData:
    return InvalidData(
        f"{name} has a quoted field that is never closed",
        [Problem(f"a quoted field opens in row {row} and is never closed (a missing '\"'?)", file=name, row=row)],
    )


def _unreadable(name: str, found: Scan, delivered: int, exc: pa.ArrowInvalid) -> InvalidData:
    """Arrow stopped inside the file: the row after those delivered is the culprit."""
    row = delivered + 2
    if "straddl" in str(exc):
        if found.odd_quotes:
            return _unclosed(name, row)
        most = f"{BLOCK >> 20} MB" if BLOCK >= 1 << 20 else f"{BLOCK >> 10} KB"
        detail = f"row {row} is longer than {most}"
        return InvalidData(f"{name} has a row that is too long", [Problem(detail, file=name, row=row)])
    return InvalidData(
        f"{name} cannot be read as CSV",
        [Problem(f"the text after row {row - 1} is not comma-separated values", file=name, row=row)],
    )


def _ragged(name: str, open_file: Opener, found: Scan) -> InvalidData:
    """Every row whose fields do not match the header, numbered: Arrow numbers rows only on one thread, so the file
    is parsed again there, keeping no column (memory stays flat)."""
    problems: list[Problem] = []
    expected = len(found.columns)
    bad = [0]

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad[0] += 1
        if len(problems) < MAX_ROW_PROBLEMS and row.number is not None:
            number = row.number + 1  # the header, read here, is row 1
            fields = f"{row.actual_columns} field{'s' if row.actual_columns != 1 else ''}"
            detail = f"row {number} has {fields}; the header has {expected}"
            problems.append(
                Problem(f"{detail} (a missing or extra comma, or an unclosed quote?)", file=name, row=number)
            )
        return "skip"

    options = _options(found, on_invalid, threads=False)
    options["convert_options"] = pacsv.ConvertOptions(include_columns=["\x00none"], include_missing_columns=True)
    f = open_file()
    try:
        f.seek(found.start)
        total = pacsv.read_csv(f, **options).num_rows + bad[0]
    except pa.ArrowInvalid as exc:
        return _unreadable(name, found, 0, exc)
    finally:
        f.close()
    if found.odd_quotes and problems and problems[-1].row == total + 1:  # the last row swallowed the rest
        return _unclosed(name, total + 1)
    if not problems:
        return _unreadable(name, found, 0, pa.ArrowInvalid(""))
    return InvalidData(f"{name} has rows with the wrong number of fields", problems)
