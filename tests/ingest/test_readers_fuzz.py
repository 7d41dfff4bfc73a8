"""Any bytes at all: the readers decode them or raise InvalidData (a located 4xx), never anything else."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.errors import InvalidData
from service.ingest import readers

HEADER = b"indicator,region,period,value,published\n"


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=300), st.sampled_from([b"", HEADER, b"PAR1", b"{", b"\xef\xbb\xbf"]))
def test_bytes_are_read_or_refused_cleanly(body: bytes, prefix: bytes) -> None:
    try:
        readers.read("fuzz.csv", prefix + body)
    except InvalidData as exc:
        assert exc.problems and all(p.file == "fuzz.csv" for p in exc.problems)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_text_is_read_or_refused_cleanly(text: str) -> None:
    with contextlib.suppress(InvalidData):
        readers.read("fuzz.csv", HEADER + text.encode("utf-8", "surrogatepass"))
