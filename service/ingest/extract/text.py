"""Normalised text with an offset map back to the original, so every quote is a verbatim slice of what was sent.

Steps that change the text, each only deleting characters or replacing one by one (``Normal.orig`` maps every
normalised position to its original one):
- pinyin glosses glued inside words dropped, ``衡(heng)陽(yang)``;
- traditional to simplified, one character for one (OpenCC's t2s where it keeps the length, else character by
  character; the built-in table of the bulletin vocabulary when OpenCC is not installed);
- the mess of real pages (``tidy``): page furniture lines (责任编辑:…, 浏览次数:…, 打印 关闭), footnote markers
  glued to numbers (``总值[1]300.5``, ①, ¹) and stray ``?`` (a character the page lost) dropped, spaces between
  Chinese characters and numbers dropped (``总产值 12.5 亿元``), a line break inside a sentence joined, and tables
  pasted with tabs (or a ``|`` on each line) written as ``|`` cells, so the table reader sees one row per line.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

# Traditional -> simplified for the characters of statistical bulletins: the fallback where OpenCC is not installed
# (a converter passed to extract() as ``convert`` must map one character to one character).
_PAIRS = (
    "產产業业實实現现區区經经濟济與与會会發发統统計计報报縣县國国縣县億亿長长陽阳暉晖總总屬属據据間间來来這这個个"
    "為为對对從从後后東东車车門门電电農农糧粮稅税費费預预資资貨货運运輸输價价幣币銀银貸贷儲储險险證证"
    "廣广場场樂乐醫医療疗衛卫衞卫學学術术師师範范員员開开關关戶户數数歲岁務务勞劳動动權权機机構构設设"
    "積积畝亩噸吨萬万兩两園园鄉乡鎮镇組组織织級级規规氣气熱热燃燃環环態态節节綜综專专項项規规點点強强"
    "進进歷历盡尽蘭兰韓韩維维綫线線线網网絡络與与處处衝冲擊击災灾復复雜杂嚴严嚴严勢势穩稳難难壓压鬆松"
    "轉转換换變变類类額额較较減减淨净漲涨隨随應应廳厅辦办樓楼羅罗這这邊边還还達达與与選选遠远適适"
    "將将導导黨党屆届習习記记貫贯徹彻縣县歸归濱滨滬沪澤泽潤润湧涌溫温灣湾瀏浏陸陆陰阴陳陈隊队際际"
    "險险雲云靈灵響响頭头題题顯显風风飛飞飲饮養养餘余館馆驗验體体鳳凤黃黄齊齐龍龙"
    "愛爱戰战戲戏據据擴扩擁拥擔担撥拨撫抚攜携敗败敵敌斷断時时書书會会東东條条楊杨標标樣样橋桥檢检"
    "歡欢殘残毀毁漢汉潛潜濟济無无煙烟營营爭争牆墙獎奖獲获玩玩現现瑤瑶畫画當当療疗發发盤盘礎础礦矿"
    "禮礼禍祸稅税種种稱称穀谷窮穷競竞筆笔築筑範范簡简糧粮紀纪約约紅红純纯紙纸級级細细終终結结給给"
    "絕绝統统絲丝經经綠绿緊紧維维綱纲網网編编緩缓練练縮缩績绩繁繁總总繼继續续纖纤羅罗聯联聲声職职"
    "膠胶臉脸舉举舊旧莊庄華华萬万葉叶著着蓋盖蘇苏蝕蚀衛卫補补製制複复規规視视親亲觀观計计訂订記记"
    "設设許许訪访評评試试詳详認认誤误說说調调談谈請请論论諸诸謀谋講讲證证識识議议護护讓让豐丰貝贝"
    "負负貨货販贩貧贫責责貴贵費费貿贸賀贺資资賣卖賬账賴赖購购賽赛贏赢趕赶趨趋躍跃輕轻載载輔辅輛辆"
    "輪轮輸输辦办農农邊边邏逻郵邮鄉乡鄰邻酬酬醫医釋释鋼钢錢钱鐵铁鑒鉴長长門门閉闭開开閑闲間间閘闸"
    "闊阔陽阳陣阵陳陈陸陆險险隨随隱隐隸隶雙双雞鸡離离電电需需靜静頁页頂顶項项順顺須须預预領领頻频"
    "額额顏颜願愿類类顧顾飯饭饑饥騰腾驅驱驗验髮发鬥斗魚鱼鳥鸟鹽盐麥麦黨党齡龄蘆芦蘋苹"
    "億亿僅仅優优傳传偉伟傷伤價价儀仪億亿兒儿內内兩两冊册凈净凍冻劃划劇剧勵励勝胜區区協协卻却厲厉"
    "參参雙双吳吴員员問问啟启喬乔單单嚴严圍围圖图圓圆團团壇坛墾垦壘垒壞坏奪夺奮奋婦妇媽妈孫孙審审"
    "寧宁寶宝將将專专尋寻對对導导屆届層层島岛嶺岭巖岩師师帶带幣币幫帮廠厂廢废廣广張张彈弹彎弯徑径"
    "從从復复徵征憑凭懷怀態态慮虑慶庆憂忧懸悬戀恋戶户抵抵揮挥損损搖摇攝摄據据擇择擊击擬拟擴扩攤摊"
    "敘叙斂敛暢畅暫暂曆历曉晓東东極极構构樹树權权檔档櫃柜欄栏歐欧歲岁殺杀滅灭減减測测湯汤準准溝沟"
    "滿满漁渔潔洁澇涝濃浓濕湿灘滩災灾燈灯爐炉犧牺狀状獨独猶犹獻献瑪玛產产畢毕異异瘡疮癒愈盡尽監监"
    "眾众確确礙碍祿禄禪禅積积穩稳競竞筍笋籌筹簽签籃篮糾纠紡纺紹绍組组絡络統统綜综緒绪線线締缔緣缘"
    "縱纵織织繳缴罰罚罷罢聖圣聽听脅胁膚肤艙舱艱艰藝艺藥药蘭兰處处虧亏術术補补裝装覽览訊讯託托訴诉"
    "詢询該该誠诚誕诞語语課课誰谁諾诺謝谢譯译變变貫贯貸贷賓宾賠赔賦赋質质賺赚購购贊赞趙赵跡迹"
    "蹤踪軌轨軍军軟软較较輝辉轄辖辭辞農农迴回遲迟遷迁遺遗遼辽還还郵邮鄭郑醜丑針针鈔钞銷销鋪铺錄录"
    "錯错鍵键鎖锁鏈链鑄铸閃闪閱阅闆板陰阴隊队階阶際际雜杂雖虽韌韧韻韵頒颁頓顿頗颇頸颈頹颓颱台"
    "餐餐館馆駐驻駛驶騎骑骯肮體体鬱郁魯鲁鮮鲜鴻鸿麗丽點点鼓鼓齒齿龐庞攬揽賴赖衝冲"
    "佔占於于裡里週周彙汇瞭了麵面鬆松係系纔才並并剋克佈布劑剂凱凯勻匀匯汇厭厌嘆叹噴喷壯壮夠够"
    "奧奥婁娄孿孪孫孙帥帅帳帐廈厦彥彦慣惯憲宪戇戆捨舍掛挂摻掺擁拥擔担擾扰攢攒敍叙斃毙暈晕"
    "棧栈樁桩槍枪歸归毆殴氫氢決决況况洶汹淚泪淺浅渦涡滯滞漲涨潰溃潤润澀涩瀋沈灣湾燦灿燭烛"
    "犢犊獅狮瑣琐瓊琼甕瓮畝亩痺痹癱瘫盜盗盧卢矚瞩碼码磚砖禦御穫获窯窑竅窍籤签粵粤糰团紋纹"
    "紐纽紗纱緝缉縣县繩绳繹绎缽钵罈坛羥羟聳耸腫肿臟脏艦舰蒼苍蓮莲蔣蒋蕭萧薦荐蘊蕴螞蚂"
    "衆众襲袭覆覆訓训詞词詩诗誇夸諮咨謂谓豎竖賤贱趲趱跡迹躉趸軸轴輯辑轟轰遞递邁迈鄒邹"
    "釀酿釘钉鈴铃銅铜鋁铝鋒锋錦锦鍋锅鎮镇鏡镜鐘钟鑽钻閥阀闡阐隴陇雛雏雞鸡韓韩頰颊頻频"
    "颳刮颶飓餅饼饒饶饋馈馬马駁驳駝驼驚惊骯肮鬧闹鯉鲤鴨鸭鵝鹅鶴鹤黴霉齣出"
    "豬猪遊游蠶蚕菸烟麼么夥伙鍍镀"
    "則则別别堅坚貢贡財财創创義义脫脱沖冲們们傢家鐘钟臺台灣湾擴扩縂总誌志鑫鑫"
    "衡衡溪溪辰辰懷怀邵邵岳岳湘湘郴郴婁娄蒸蒸鼓鼓雁雁峰峰暉晖珠珠"
)
_T2S: dict[int, str] = {ord(_PAIRS[i]): _PAIRS[i + 1] for i in range(0, len(_PAIRS) - 1, 2)}

# Full-width digits, point, minus and colon as ASCII (one character for one), whatever the converter.
_WIDTH = str.maketrans("０１２３４５６７８９．－：", "0123456789.-:")

_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff)])\([a-z]{1,6}\)")

Converter = Callable[[str], str]


def builtin_t2s(text: str) -> str:
    """Traditional to simplified for the bulletin vocabulary, one character for one."""
    return text.translate(_T2S)


@cache
def _opencc() -> Any | None:
    try:
        import opencc
    except ImportError:  # pragma: no cover - a declared dependency; the built-in table stands in
        return None
    return opencc.OpenCC("t2s")


def opencc_t2s(text: str) -> str:
    """Traditional to simplified with OpenCC (phrases, then characters), one character for one: a line whose
    conversion changes its length (a phrase mapped to a longer or shorter one) is converted character by
    character, each by OpenCC where it gives one character, else by the built-in table."""
    cc = _opencc()
    if cc is None:
        return builtin_t2s(text)
    out: list[str] = []
    for line in text.split("\n"):
        converted: str = cc.convert(line)
        if len(converted) != len(line):
            converted = "".join(_one(cc, c) for c in line)
        out.append(converted)
    return "\n".join(out)


def _one(cc: Any, char: str) -> str:
    converted: str = cc.convert(char)
    return converted if len(converted) == 1 else builtin_t2s(char)


@dataclass(frozen=True)
class Normal:
    """The normalised text and, for each of its positions, the original position (plus one past the end)."""

    text: str
    orig: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) of normalised [start, end)."""
        return self.orig[start], self.orig[end - 1] + 1 if end > start else self.orig[start]


def normalise(text: str, convert: Converter | None = opencc_t2s, tidy: bool = True) -> Normal:
    """Drop pinyin glosses, convert characters (length kept), tidy the mess of pages, and keep the offset map."""
    keep: list[int] = []
    pos = 0
    for m in _GLOSS.finditer(text):
        keep.extend(range(pos, m.start()))
        pos = m.end()
    keep.extend(range(pos, len(text)))
    stripped = "".join(text[i] for i in keep)
    converted = convert(stripped) if convert else stripped
    if len(converted) != len(stripped):
        converted = stripped  # a converter that changes the length would break the spans: not used
    norm = Normal(converted.translate(_WIDTH), (*keep, len(text)))
    return tidied(norm) if tidy else norm


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE = "[ \u3000\xa0]"
# Lines of page furniture: who edited, where from, how often read, print/close/share buttons, the site's footer.
_FURNITURE = re.compile(
    r"^[ \t\u3000\xa0]*[\[【(（]?[ \u3000]*"
    r"(?:责任编辑|责编|编辑|来源|作者|浏览次数|浏览|阅读次数|阅读|点击数|点击量|访问量"
    r"|打印本页|打印|关闭窗口|关闭|分享到|分享|扫一扫|上一篇|下一篇|相关链接|相关新闻|网站地图|版权所有|主办单位|承办单位"
    r"|联系电话|联系我们|字号|收藏|当前位置|【大|ICP备)(?:[:：\s\]】)]|$)[^\n]{0,100}$",
    re.M,
)
_FOOTNOTE = re.compile(
    rf"(?<=[{_CJK}0-9%)）])(?:\[\d{{1,2}}\]|［\d{{1,2}}］|〔\d{{1,2}}〕|[\u2460-\u2473]|[¹²³\u2070\u2074-\u2079]+)"
)
_STRAY = re.compile(rf"(?:(?<=[{_CJK}0-9%，、。；：])|(?<=\s)|^)[?\ufffd]+(?=[{_CJK}0-9，、。；：]|\s|$)|\ufffd", re.M)
_GAP = re.compile(rf"(?<=[{_CJK}%])(?:{_SPACE}+)(?=[{_CJK}0-9%-])|(?<=[0-9])(?:{_SPACE}+)(?=[{_CJK}%])")
_HEADING = re.compile(
    r"\s*(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十0-9]+[)）]|[0-9]+[、.．](?![0-9])|第[一二三四五六七八九十0-9]+[章节部分]|注[:：0-9]|[■●◆▲★])"
)
_SEPARATED = re.compile(r"[|｜\t]")
_OPEN_END = re.compile(rf"[{_CJK}0-9%，,、（(“]$")
_TITLE_END = re.compile(r"(?:公报|报告|情况|概况|综述|通报|简析|分析)$")  # a title line is never continued
_OPEN_START = re.compile(rf"[{_CJK}0-9%，,、)）”]")


def _apply(norm: Normal, edits: list[tuple[int, int, str]]) -> Normal:
    """Replace each normalised [start, end) by a text no longer than it (its characters take the first positions)."""
    if not edits:
        return norm
    chars: list[str] = []
    orig: list[int] = []
    pos = 0
    for start, end, repl in sorted(edits):
        if start < pos:
            continue
        chars.append(norm.text[pos:start])
        orig.extend(norm.orig[pos:start])
        chars.append(repl)
        orig.extend(norm.orig[start : start + len(repl)])
        pos = end
    chars.append(norm.text[pos:])
    orig.extend(norm.orig[pos:])
    return Normal("".join(chars), tuple(orig))


def _drop(norm: Normal, pattern: re.Pattern[str]) -> Normal:
    return _apply(norm, [(m.start(), m.end(), "") for m in pattern.finditer(norm.text) if m.end() > m.start()])


def tidied(norm: Normal) -> Normal:
    """The mess of real pages cleaned (see the module's docstring); the offset map kept."""
    for pattern in (_FURNITURE, _FOOTNOTE, _STRAY, _GAP):  # a table's rules stay: the grid reader skips them
        norm = _drop(norm, pattern)
    return _joined(_cells(norm))


def _cells(norm: Normal) -> Normal:
    """Tables pasted with tabs or ``|``: every separator a ``|``, and the end of a row that does not close with one
    a ``|`` too (within a block of two or more such lines), so the table reader's cells never run across rows."""
    lines = _lines(norm.text)
    table = [bool(_SEPARATED.search(norm.text[a:b])) for a, b in lines]
    edits: list[tuple[int, int, str]] = []
    for i, (a, b) in enumerate(lines):
        if not table[i]:
            continue
        for m in re.finditer(r"[ \u3000\xa0]*[\t｜][ \t\u3000\xa0]*", norm.text[a:b]):
            edits.append((a + m.start(), a + m.end(), "|"))
        block = (i > 0 and table[i - 1]) or (i + 1 < len(lines) and table[i + 1])
        closing = norm.text[a:b].rstrip()
        if block and i + 1 < len(lines) and table[i + 1] and not closing.endswith(("|", "\t", "｜")):
            edits.append((b, b + 1, "|"))  # the line's end: a cell boundary
    return _apply(norm, edits)


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for m in re.finditer("\n", text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


def _joined(norm: Normal) -> Normal:
    """A line break inside a sentence (a long line that stops mid-clause, and a next line that goes on) removed."""
    lines = _lines(norm.text)
    edits: list[tuple[int, int, str]] = []
    for (a, b), (c, d) in itertools.pairwise(lines):
        line, following = norm.text[a:b].rstrip(), norm.text[c:d]
        nxt = following.lstrip()
        if (
            len(line.strip()) >= 16
            and _OPEN_END.search(line)
            and not _TITLE_END.search(line)
            and nxt
            and _OPEN_START.match(nxt)
            and not _HEADING.match(line)
            and not _HEADING.match(following)
            and not _SEPARATED.search(line)
            and not _SEPARATED.search(following)
        ):
            edits.append((a + len(line), c + len(following) - len(nxt), ""))
    return _apply(norm, edits)
