"""Romanised names: the generator (data/tools/romanize_regions.py) agrees with every name written by hand, and the
shipped catalog is what it generates."""

from __future__ import annotations

import csv
import re
import subprocess
import sys

import pytest

from service.config import REPO_DATA
from service.model.romanize import english, keys


def regions() -> list[dict[str, str]]:
    with open(REPO_DATA / "regions.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# English generic words the hand-written names carry; generated names leave the generic off (level is a column).
GENERIC_EN = re.compile(
    r" (District|County|Hi-tech Zone|Economic Development Zone|(\w+( and \w+)* )?Autonomous (Prefecture|County))$"
)


def test_the_generator_agrees_with_every_hand_written_name() -> None:
    """The 65 names written by hand (the nation, the provinces, Hunan's prefectures, Hengyang's counties and zones)
    are kept, and the generator gives each of them, but for the English generic words they carry."""
    rows = regions()
    hand = [r for r in rows if r["code"] == "CN" or r["level"] == "province" or r["parent"] in ("430000", "430400")]
    assert len(hand) == 65
    for row in hand:
        written = GENERIC_EN.sub("", row["name_en"]).replace(" ", "").casefold()
        assert (english(row["name"]) or "").replace(" ", "").casefold() == written, row
    kept = {r["code"]: r["name_en"] for r in hand}
    assert kept["430421"] == "Hengyang County" and kept["433100"] == "Xiangxi Tujia and Miao Autonomous Prefecture"


@pytest.mark.parametrize(
    ("name", "romanised"),
    [
        ("衡阳市", "Hengyang"),
        ("西安市", "Xi'an"),
        ("六安市", "Lu'an"),
        ("长治市", "Changzhi"),  # 长 reads chang in place names...
        ("长子县", "Zhangzi"),  # ...but not in this one
        ("朝阳市", "Chaoyang"),
        ("沙县", "Shaxian"),  # a one-character specific part keeps its generic
        ("湘西土家族苗族自治州", "Xiangxi"),
        ("新疆维吾尔自治区", "Xinjiang"),
        ("吕梁市", "Lüliang"),
        ("大兴安岭地区", "Daxing'anling"),
        ("Europe", None),
    ],
)
def test_place_names_in_pinyin(name: str, romanised: str | None) -> None:
    assert english(name) == romanised


def test_every_region_has_a_name_en_and_the_catalog_is_what_the_tool_makes() -> None:
    rows = regions()
    assert len(rows) == 3218 and all(r["name_en"] for r in rows)
    tool = REPO_DATA / "tools" / "romanize_regions.py"
    check = subprocess.run([sys.executable, str(tool), str(REPO_DATA / "regions.csv"), "--check"])
    assert check.returncode == 0


def test_search_keys_are_full_pinyin_and_initials() -> None:
    assert keys("长沙市") == ("changsha", "cs", "changshashi", "css")
    assert keys("吕梁市")[:2] == ("lvliang", "ll")
    assert keys("World") == ()
