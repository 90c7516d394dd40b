"""Small English word lists the English perturbations draw from.

Every list here was written by hand for this project (no external source): short on
purpose, common words only, all lowercase. Words are single words, so a replacement
never splits a word in two (which keeps NER tags aligned).
"""

from __future__ import annotations

# QWERTY keys that touch each letter key (same row and the rows above and below).
KEYBOARD_NEIGHBOURS: dict[str, str] = {
    "q": "wa", "w": "qeas", "e": "wrsd", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihj",
    "i": "uojk", "o": "ipkl", "p": "ol", "a": "qwsz", "s": "adwezx", "d": "sferxc",
    "f": "dgrtcv", "g": "fhtyvb", "h": "gjyubn", "j": "hkuinm", "k": "jliom", "l": "kop",
    "z": "asx", "x": "zcsd", "c": "xvdf", "v": "cbfg", "b": "vngh", "n": "bmhj", "m": "njk",
}

# Correct word -> misspellings people commonly write (dropped or doubled letters,
# swapped vowels, and a few confusions of real words such as their/there).
MISSPELLINGS: dict[str, tuple[str, ...]] = {
    "accommodate": ("accomodate", "acommodate"), "achieve": ("acheive",), "across": ("accross",),
    "actually": ("actualy",), "address": ("adress",), "affect": ("effect",), "again": ("agian",),
    "apparently": ("apparantly",), "argument": ("arguement",), "basically": ("basicly",),
    "beautiful": ("beautifull", "beatiful"), "because": ("becuase", "becasue"),
    "beginning": ("begining",), "believe": ("beleive",), "boring": ("borring",),
    "business": ("buisness",), "calendar": ("calender",), "character": ("charachter",),
    "characters": ("charachters",), "completely": ("completly",), "could": ("coud",),
    "definitely": ("definately", "definitly"), "different": ("diffrent",),
    "disappointing": ("dissapointing",), "embarrassing": ("embarassing",), "enough": ("enuff",),
    "entertaining": ("entertaning",), "environment": ("enviroment",), "especially": ("especialy",),
    "every": ("evry",), "exaggerated": ("exagerated",), "excellent": ("excelent",),
    "existence": ("existance",), "experience": ("experiance",), "finally": ("finaly",),
    "foreign": ("foriegn",), "friend": ("freind",), "friends": ("freinds",), "funny": ("funy",),
    "government": ("goverment",), "grammar": ("grammer",), "happened": ("happend",),
    "immediately": ("immediatly",), "independent": ("independant",), "interesting": ("intresting",),
    "its": ("it's",), "knowledge": ("knowlege",), "little": ("litle",), "lose": ("loose",),
    "necessary": ("neccessary", "necesary"), "noticeable": ("noticable",), "occasion": ("occassion",),
    "occurred": ("occured",), "performance": ("preformance",), "piece": ("peice",),
    "probably": ("probaly",), "really": ("realy",), "receive": ("recieve",),
    "recommend": ("reccomend", "recomend"), "relevant": ("relevent",), "remember": ("remeber",),
    "rhythm": ("rythm",), "separate": ("seperate",), "similar": ("similiar",),
    "surprise": ("suprise",), "surprising": ("suprising",), "than": ("then",), "the": ("teh",),
    "their": ("thier", "there"), "then": ("than",), "there": ("their",), "though": ("tho",),
    "through": ("thru",), "tomorrow": ("tommorow",), "truly": ("truely",),
    "unfortunately": ("unfortunatly",), "until": ("untill",), "weird": ("wierd",),
    "which": ("wich",), "writing": ("writting",), "your": ("you're",),
}

# Word -> single-word synonyms that keep the sentiment (movie reviews are the main use).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "good": ("fine", "decent"), "great": ("terrific", "excellent"), "bad": ("poor", "lousy"),
    "terrible": ("awful", "dreadful"), "awful": ("terrible", "dreadful"), "funny": ("amusing", "comical"),
    "boring": ("dull", "tedious"), "dull": ("boring", "tedious"), "tedious": ("boring", "dull"),
    "movie": ("film",), "film": ("movie",), "movies": ("films",), "films": ("movies",),
    "story": ("tale",), "beautiful": ("lovely", "gorgeous"), "smart": ("clever", "intelligent"),
    "clever": ("smart", "witty"), "stupid": ("dumb", "foolish"), "silly": ("foolish", "goofy"),
    "interesting": ("intriguing", "engaging"), "big": ("large", "huge"), "small": ("little", "tiny"),
    "huge": ("enormous", "massive"), "tiny": ("minuscule", "little"), "fast": ("quick", "rapid"),
    "strange": ("odd", "weird"), "odd": ("strange", "peculiar"), "happy": ("glad", "cheerful"),
    "sad": ("unhappy", "gloomy"), "scary": ("frightening", "creepy"), "often": ("frequently",),
    "rarely": ("seldom",), "very": ("really", "extremely"), "quite": ("rather", "fairly"),
    "almost": ("nearly",), "perhaps": ("maybe",), "maybe": ("perhaps",), "actor": ("performer",),
    "actors": ("performers",), "director": ("filmmaker",), "filmmaker": ("director",),
    "script": ("screenplay",), "screenplay": ("script",), "audience": ("viewers",),
    "viewers": ("audience",), "enjoyable": ("pleasant", "entertaining"),
    "entertaining": ("enjoyable", "amusing"), "wonderful": ("marvelous", "splendid"),
    "excellent": ("superb", "outstanding"), "amazing": ("astonishing", "incredible"),
    "predictable": ("formulaic",), "simple": ("plain", "basic"), "difficult": ("hard", "tough"),
    "easy": ("effortless", "simple"), "important": ("significant",), "entire": ("whole",),
    "whole": ("entire",), "quickly": ("rapidly",), "completely": ("totally", "entirely"),
    "totally": ("completely", "utterly"), "truly": ("genuinely", "really"), "mostly": ("largely", "mainly"),
    "certainly": ("surely", "definitely"), "moving": ("touching", "poignant"),
    "touching": ("moving", "poignant"), "charming": ("delightful", "endearing"),
    "delightful": ("charming", "lovely"), "best": ("finest",), "children": ("kids",),
    "kids": ("children",), "people": ("folks",), "cheap": ("inexpensive",), "rich": ("wealthy",),
    "idea": ("notion",), "problem": ("issue",), "problems": ("issues",), "ending": ("conclusion",),
    "begins": ("starts",), "starts": ("begins",), "attempt": ("try",), "mess": ("shambles",),
    "fun": ("enjoyable",), "lovely": ("beautiful", "delightful"), "sweet": ("tender",),
}

# Fillers of spoken English, inserted between words (some are two words).
FILLERS: tuple[str, ...] = (
    "um", "uh", "like", "you know", "i mean", "basically", "actually", "well", "so",
    "kind of", "sort of", "literally", "honestly", "just",
)

# Common first names and single-word city names; a name swap stays within one list.
# Words that are also common English words (will, mark, may, bath, nice) are left out.
FIRST_NAMES: tuple[str, ...] = (
    "john", "mary", "james", "linda", "michael", "susan", "david", "sarah", "robert", "karen",
    "thomas", "emily", "daniel", "laura", "paul", "anna", "peter", "helen", "richard", "alice",
    "steven", "julia", "george", "claire", "edward", "maria", "henry", "sophie", "andrew",
    "rachel", "kevin", "nancy", "brian", "lisa", "eric", "diana", "jason", "emma", "michelle", "kate",
)
CITIES: tuple[str, ...] = (
    "london", "paris", "berlin", "madrid", "rome", "tokyo", "moscow", "chicago", "boston", "sydney",
    "toronto", "dublin", "vienna", "prague", "lisbon", "athens", "cairo", "mumbai", "beijing",
    "seoul", "amsterdam", "brussels", "stockholm", "oslo", "warsaw", "budapest", "denver",
    "seattle", "houston", "atlanta", "miami", "dallas", "melbourne", "montreal", "manchester",
    "liverpool", "glasgow", "munich", "milan", "barcelona",
)

# Contracted form -> the expanded form it stands for. "'s" and "'d" are read as "is" and
# "would" (the commoner reading after these pronouns). Contracting also maps "can not".
CONTRACTIONS: dict[str, str] = {
    "don't": "do not", "doesn't": "does not", "didn't": "did not", "isn't": "is not",
    "aren't": "are not", "wasn't": "was not", "weren't": "were not", "hasn't": "has not",
    "haven't": "have not", "hadn't": "had not", "couldn't": "could not", "wouldn't": "would not",
    "shouldn't": "should not", "can't": "cannot", "won't": "will not", "mustn't": "must not",
    "i'm": "i am", "you're": "you are", "we're": "we are", "they're": "they are",
    "it's": "it is", "that's": "that is", "there's": "there is", "what's": "what is",
    "he's": "he is", "she's": "she is", "i've": "i have", "you've": "you have", "we've": "we have",
    "they've": "they have", "i'll": "i will", "you'll": "you will", "we'll": "we will",
    "they'll": "they will", "it'll": "it will", "i'd": "i would", "you'd": "you would",
    "let's": "let us",
}
