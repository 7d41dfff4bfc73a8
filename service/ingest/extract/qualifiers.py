"""What the words around a number say of it besides its value.

- approximate or a bound, noted (the value is kept as written): 约, 近, 接近 before and 左右, 上下 after (about);
  超过, 超, 逾, 仅超, 突破, 跨越, 跃过 before and 以上, 多, 余 after (at least); 以下, 以内, 不到 after (at most);
- not a figure of a region, left out: a threshold qualifying a noun (超过2000亿元的市州, 8%以上的中高速), a count of
  regions or divisions (14个市州, 4个乡) and what is said of such a group (有13个市州GDP增速…), facts of geography
  (海拔, the divisions a place governs: 现辖).
"""

from __future__ import annotations

import re

_BOUND_BEFORE = re.compile(r"(?:仅超|超过|超出|超|逾|突破|跨越|跃过|跨过|迈上)$")
_ABOUT_BEFORE = re.compile(r"(?:近|约|接近|将近|大约|约为)$")
_ABOUT_AFTER = re.compile(r"\s*(?:左右|上下)")
_LEAST_AFTER = re.compile(r"\s*(?:以上|多|余)")
_MOST_AFTER = re.compile(r"\s*(?:以下|以内|不到)")
_THRESHOLD_AFTER = re.compile(r"\s*(?:以上|以下)?\s*的")
_DIVISIONS = r"(?:市州|地市|县市区|县市|市|县|区|乡镇|乡|镇|街道|村|社区)"
_DIVISION_AFTER = re.compile(rf"\s*{_DIVISIONS}(?![场民长委政级内外域里])")
_GROUP_SUBJECT = re.compile(rf"\d+\s*个?{_DIVISIONS}(?![场民长委政级内外域里])")
_GROUP_HAS = re.compile(rf"的{_DIVISIONS}(?:中)?(?:有|达到?)$")
_GEOGRAPHY = re.compile(r"海拔|现辖|下辖|辖区内有")


def approx_note(text: str, lead: str, num_end: int, unit_end: int) -> str | None:
    """The note of an approximate figure or a bound, or None."""
    if m := _BOUND_BEFORE.search(lead):
        return f"approximate: {m.group()} (lower bound)"
    if m := _ABOUT_BEFORE.search(lead):
        return f"approximate: {m.group()} (about)"
    if text[num_end : num_end + 1] in ("多", "余"):
        return "approximate: more than (" + text[num_end] + ")"
    for pattern, what in ((_ABOUT_AFTER, "about"), (_LEAST_AFTER, "at least"), (_MOST_AFTER, "at most")):
        if m := pattern.match(text, unit_end):
            return f"approximate: {m.group().strip()} ({what})"
    return None


def not_a_figure(text: str, lead: str, unit: str | None, unit_end: int) -> bool:
    """A threshold, a count of regions, a group's bound or a fact of geography: not proposed."""
    bound = _BOUND_BEFORE.search(lead) or re.match(r"\s*(?:以上|以下)", text[unit_end:])
    if bound and _THRESHOLD_AFTER.match(text, unit_end):
        return True
    if unit == "count" and _DIVISION_AFTER.match(text, unit_end):
        return True
    return bool(_GROUP_SUBJECT.search(lead) or _GROUP_HAS.search(lead) or _GEOGRAPHY.search(lead))
