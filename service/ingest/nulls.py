"""The marks statistical tables print where there is no figure (docs/api.md, "Files"): read as an empty cell."""

from __future__ import annotations

# — and …: 无数据 in the NBS's yearbooks; -, / and ／: the same in local tables; each also doubled.
NULLS = ("—", "——", "…", "……", "...", "-", "--", "－", "/", "／")


def is_null(text: str | None) -> bool:
    """An empty cell or a null mark."""
    return text is None or not text.strip() or text.strip() in NULLS
