"""Small Chinese tables the Chinese perturbations draw from.

Written by hand for this project (no external source): groups of characters that look
alike and are confused in handwriting and reading (形近字), and the pairs of full-width
Chinese punctuation and their half-width ASCII counterparts.
"""

from __future__ import annotations

# Each string is one group of look-alike characters; a character may sit in two groups.
SIMILAR_GROUPS: tuple[str, ...] = (
    "已己巳", "未末", "土士", "人入八", "天夭", "日曰", "戊戌戍", "贝见", "大太犬", "王玉主",
    "千干于", "木本术", "田由甲申", "问间", "休体", "折拆析", "候侯", "免兔", "鸟乌", "今令",
    "拔拨", "辩辨辫", "即既", "历厉", "刺剌", "治冶", "买卖", "徒徙", "季李", "晴睛情请清精静",
    "很狠狼", "住往注柱", "做作", "坐座", "园圆", "渴喝", "籍藉", "蓝篮", "燥躁噪澡",
    "暮幕墓慕募", "崇祟", "壁璧", "侍待持特", "栽裁载", "密蜜", "晚挽", "峰锋蜂", "跟根银",
    "漂飘", "抢枪", "浇烧晓", "复夏", "厂广", "刀力", "几凡", "斤斥", "目自白百", "办为", "牛午",
    "检捡验险剑", "偷愉输", "话活", "地他她池驰", "处外", "浅线钱践贱", "还环怀", "纸低底抵",
    "辛幸", "苦若", "券卷", "茶荼", "洒酒", "快块", "吃乞", "货贷", "炒抄吵秒", "到倒", "员圆",
)

# Full-width Chinese punctuation -> the half-width ASCII a hurried writer types instead.
FULL_TO_HALF: dict[str, str] = {
    "，": ",", "。": ".", "！": "!", "？": "?", "：": ":", "；": ";", "（": "(", "）": ")",
    "“": '"', "”": '"', "‘": "'", "’": "'", "【": "[", "】": "]", "、": ",", "《": "<", "》": ">",
    "～": "~",
}
# Half-width ASCII punctuation -> its full-width Chinese form.
HALF_TO_FULL: dict[str, str] = {
    ",": "，", ".": "。", "!": "！", "?": "？", ":": "：", ";": "；", "(": "（", ")": "）",
    "[": "【", "]": "】", "<": "《", ">": "》", "~": "～",
}
