"""Word lists the attacks draw from, written by hand for this project (no external source).

SUBSTITUTES: word -> single-word substitutes that keep its meaning and its sentiment, the
search space of the word attack (TextFooler searches counter-fitted embedding neighbours,
which need a download; these lists do not). Broader than the `synonyms` perturbation's list
(harness/perturb/wordlists.py), which stays as it is so recorded perturbation scores repeat.
STOP_WORDS: words no attack touches (function words, negations, intensity words whose
swap would change what a sentence says). Chinese: STOP_CHARACTERS likewise.
"""

from __future__ import annotations

from harness.perturb.wordlists import SYNONYMS

_WRITTEN: dict[str, tuple[str, ...]] = {
    # judgements (same polarity only)
    "good": ("fine", "decent", "nice", "solid"), "great": ("terrific", "excellent", "superb", "wonderful"),
    "bad": ("poor", "lousy", "awful", "weak"), "terrible": ("awful", "dreadful", "horrible", "atrocious"),
    "awful": ("terrible", "dreadful", "horrible", "abysmal"), "horrible": ("awful", "terrible", "dreadful"),
    "poor": ("weak", "bad", "shoddy"), "weak": ("feeble", "poor", "flimsy"), "worst": ("poorest", "lousiest"),
    "best": ("finest", "greatest", "top"), "nice": ("pleasant", "agreeable", "fine"), "fine": ("good", "decent", "nice"), "decent": ("fine", "respectable"),
    "excellent": ("superb", "outstanding", "terrific", "exceptional"), "superb": ("excellent", "splendid", "superior"),
    "wonderful": ("marvelous", "splendid", "fantastic", "magnificent"), "fantastic": ("wonderful", "terrific",
                                                                                        "fabulous"),
    "brilliant": ("dazzling", "masterful", "superb"), "perfect": ("flawless", "ideal", "impeccable"),
    "amazing": ("astonishing", "incredible", "stunning", "remarkable"), "incredible": ("amazing", "astonishing",
                                                                                       "unbelievable"),
    "remarkable": ("notable", "extraordinary", "striking"), "impressive": ("striking", "remarkable", "admirable"),
    "beautiful": ("lovely", "gorgeous", "exquisite", "stunning"), "lovely": ("beautiful", "delightful", "charming"),
    "gorgeous": ("beautiful", "stunning", "ravishing"), "charming": ("delightful", "endearing", "engaging", "winning"), "delightful": ("charming", "lovely", "pleasing"),
    "enjoyable": ("pleasant", "entertaining", "agreeable"), "entertaining": ("enjoyable", "amusing", "diverting"),
    "pleasant": ("enjoyable", "agreeable", "nice"), "engaging": ("absorbing", "captivating", "involving"),
    "compelling": ("gripping", "riveting", "absorbing"), "gripping": ("riveting", "compelling", "thrilling"),
    "thrilling": ("exciting", "electrifying", "gripping"), "exciting": ("thrilling", "stirring", "exhilarating"),
    "fascinating": ("captivating", "intriguing", "absorbing"), "interesting": ("intriguing", "engaging",
                                                                                "absorbing"),
    "funny": ("amusing", "comical", "humorous", "hilarious"), "hilarious": ("uproarious", "funny", "riotous"),
    "amusing": ("funny", "entertaining", "droll"), "witty": ("clever", "droll", "sharp"),
    "clever": ("smart", "witty", "ingenious", "shrewd"), "smart": ("clever", "intelligent", "bright", "sharp"),
    "intelligent": ("smart", "clever", "thoughtful"), "thoughtful": ("reflective", "considered", "intelligent"),
    "moving": ("touching", "poignant", "affecting", "stirring"), "touching": ("moving", "poignant", "affecting"),
    "powerful": ("potent", "forceful", "strong"), "strong": ("powerful", "robust", "solid"),
    "original": ("novel", "fresh", "inventive"), "fresh": ("novel", "new", "original"),
    "fun": ("enjoyable", "entertaining"), "sweet": ("tender", "gentle", "endearing"),
    "warm": ("tender", "affectionate", "cordial"), "honest": ("truthful", "sincere", "candid"),
    "sincere": ("earnest", "genuine", "heartfelt"), "solid": ("sturdy", "sound", "dependable"),
    "memorable": ("unforgettable", "notable"), "stunning": ("striking", "breathtaking", "dazzling"),
    "rich": ("lush", "abundant", "full"), "satisfying": ("gratifying", "fulfilling", "rewarding"),
    "boring": ("dull", "tedious", "tiresome", "monotonous"), "dull": ("boring", "tedious", "lifeless", "drab"),
    "tedious": ("boring", "dull", "tiresome", "wearisome"), "tiresome": ("tedious", "wearisome", "boring"),
    "stupid": ("dumb", "foolish", "idiotic", "mindless"), "dumb": ("stupid", "foolish", "idiotic"),
    "silly": ("foolish", "goofy", "daft"), "foolish": ("silly", "stupid", "senseless"),
    "pointless": ("senseless", "futile", "aimless"), "lame": ("feeble", "weak", "limp"),
    "mediocre": ("middling", "ordinary", "pedestrian"), "bland": ("insipid", "flavorless", "tame"),
    "predictable": ("formulaic", "foreseeable", "unsurprising"), "formulaic": ("predictable", "hackneyed",
                                                                                "conventional"),
    "clumsy": ("awkward", "inept", "ungainly"), "awkward": ("clumsy", "uncomfortable", "stilted"),
    "ugly": ("unsightly", "hideous", "unattractive"), "annoying": ("irritating", "grating", "irksome"),
    "irritating": ("annoying", "grating", "infuriating"), "pretentious": ("affected", "pompous", "showy"),
    "shallow": ("superficial", "thin", "slight"), "empty": ("hollow", "vacant", "vacuous"),
    "messy": ("untidy", "chaotic", "disorderly"), "mess": ("shambles", "muddle", "jumble"),
    "disaster": ("catastrophe", "fiasco", "debacle"), "failure": ("flop", "fiasco", "disappointment"),
    "disappointing": ("underwhelming", "unsatisfying", "dissatisfying"), "ridiculous": ("absurd", "ludicrous",
                                                                                         "preposterous"),
    "absurd": ("ridiculous", "ludicrous", "preposterous"), "sloppy": ("careless", "slipshod", "slapdash"),
    "painful": ("agonizing", "excruciating", "grueling"), "unfunny": ("humorless", "witless"),
    "sad": ("unhappy", "gloomy", "sorrowful", "mournful"), "happy": ("glad", "cheerful", "joyful", "content"),
    "scary": ("frightening", "creepy", "terrifying", "spooky"), "dark": ("gloomy", "somber", "grim", "bleak"),
    "grim": ("bleak", "somber", "dismal"), "bleak": ("grim", "dismal", "desolate"),
    "strange": ("odd", "weird", "peculiar", "bizarre"), "odd": ("strange", "peculiar", "curious"),
    "weird": ("strange", "bizarre", "odd"), "bizarre": ("weird", "outlandish", "strange"),
    "serious": ("grave", "solemn", "earnest"), "quiet": ("calm", "hushed", "still"),
    # size, speed, amount
    "big": ("large", "huge", "sizable"), "large": ("big", "huge", "sizable"), "small": ("tiny", "modest"),
    "huge": ("enormous", "massive", "immense"),
    "tiny": ("minuscule", "minute"), "short": ("brief", "concise", "quick"), "fast": ("quick", "rapid", "speedy"), "quick": ("fast", "rapid", "swift"),
    "slow": ("sluggish", "leisurely", "plodding"), "new": ("fresh", "novel", "recent"),
    "many": ("numerous",),
    "entire": ("complete", "total"), "simple": ("plain", "basic", "straightforward"),
    "difficult": ("hard", "tough", "challenging"), "hard": ("difficult", "tough", "arduous"),
    "easy": ("effortless", "simple", "straightforward"), "important": ("significant", "crucial", "vital"),
    "real": ("genuine", "actual", "authentic"), "true": ("accurate", "correct", "genuine"),
    "obvious": ("evident", "plain", "apparent"), "clear": ("plain", "evident", "obvious"),
    "familiar": ("recognizable", "known", "common"), "common": ("ordinary", "usual", "typical"),
    "ordinary": ("common", "regular", "everyday"), "typical": ("standard", "usual", "characteristic"),
    "different": ("distinct", "dissimilar", "unlike"), "similar": ("alike", "comparable", "akin"),
    "modern": ("contemporary", "current", "present-day"), "young": ("youthful", "juvenile"),
    # adverbs
    "very": ("really", "extremely", "highly", "truly"), "really": ("truly", "genuinely", "very"),
    "quite": ("fairly",), "almost": ("nearly", "practically", "virtually"), "nearly": ("almost", "practically"),
    "perhaps": ("maybe", "possibly"), "maybe": ("perhaps", "possibly"), "often": ("frequently", "regularly"),
    "rarely": ("seldom", "infrequently"), "sometimes": ("occasionally", "periodically"),
    "completely": ("totally", "entirely", "wholly", "utterly"), "totally": ("completely", "utterly", "entirely"),
    "entirely": ("completely", "totally", "wholly"), "truly": ("genuinely", "really", "honestly"),
    "mostly": ("largely", "mainly", "chiefly"), "largely": ("mostly", "mainly", "chiefly"),
    "mainly": ("mostly", "largely", "chiefly"), "certainly": ("surely", "definitely", "undoubtedly"),
    "surely": ("certainly", "definitely"), "definitely": ("certainly", "surely", "undoubtedly"),
    "quickly": ("rapidly", "swiftly", "speedily"), "slowly": ("gradually", "unhurriedly"),
    "finally": ("eventually", "ultimately", "lastly"), "simply": ("merely", "just", "purely"),
    "merely": ("simply", "just", "only"), "especially": ("particularly", "notably", "specially"),
    "particularly": ("especially", "notably"), "usually": ("normally", "generally", "typically"),
    "probably": ("likely", "presumably"), "actually": ("really", "truly", "indeed"),
    "extremely": ("exceedingly", "immensely", "very"), "highly": ("very", "extremely", "greatly"),
    "frequently": ("often", "regularly", "repeatedly"), "suddenly": ("abruptly", "unexpectedly"),
    "beautifully": ("wonderfully", "exquisitely", "gorgeously"), "wonderfully": ("marvelously", "beautifully"),
    "badly": ("poorly", "terribly", "awfully"), "poorly": ("badly", "inadequately", "shoddily"),
    # film and story nouns
    "movie": ("film", "picture", "flick"), "film": ("movie", "picture", "feature"),
    "movies": ("films", "pictures", "flicks"), "films": ("movies", "pictures", "features"),
    "story": ("tale", "narrative", "plot"), "stories": ("tales", "narratives"), "tale": ("story", "narrative"),
    "plot": ("storyline", "story", "narrative"), "script": ("screenplay", "text"),
    "screenplay": ("script",), "actor": ("performer", "player"), "actors": ("performers", "players", "cast"),
    "actress": ("performer", "player"), "cast": ("ensemble", "actors", "performers"),
    "performance": ("portrayal", "acting", "turn"), "performances": ("portrayals", "turns"),
    "director": ("filmmaker", "helmer"), "filmmaker": ("director", "moviemaker"),
    "filmmakers": ("directors", "moviemakers"), "audience": ("viewers", "spectators", "crowd"),
    "audiences": ("viewers", "spectators", "crowds"), "viewers": ("audience", "spectators", "watchers"),
    "viewer": ("spectator", "watcher", "moviegoer"), "scene": ("sequence", "episode"),
    "scenes": ("sequences", "episodes"), "character": ("figure", "persona", "role"),
    "characters": ("figures", "personas", "roles"), "ending": ("conclusion", "finale", "climax"),
    "drama": ("melodrama", "play"), "thriller": ("suspense", "chiller"),
    "dialogue": ("dialog", "lines", "conversation"), "music": ("score", "soundtrack"),
    "picture": ("film", "movie"), "work": ("effort", "piece", "creation"), "effort": ("attempt", "try", "endeavor"),
    "attempt": ("try", "effort", "endeavor"), "experience": ("encounter", "event", "adventure"),
    "piece": ("work", "effort", "creation"), "moments": ("instants", "passages", "stretches"),
    "moment": ("instant", "passage", "stretch"), "humor": ("comedy", "wit", "humour"),
    "style": ("manner", "fashion", "flair"), "material": ("content", "matter", "stuff"),
    "subject": ("topic", "theme", "matter"), "idea": ("notion", "concept", "thought"),
    "ideas": ("notions", "concepts", "thoughts"), "problem": ("issue", "trouble", "difficulty"),
    "problems": ("issues", "troubles", "difficulties"), "world": ("universe", "realm"),
    "people": ("folks", "persons", "individuals"), "children": ("kids", "youngsters"),
    "kids": ("children", "youngsters"), "man": ("guy", "fellow", "gentleman"), "men": ("guys", "fellows"),
    "woman": ("lady", "female"), "women": ("ladies", "females"), "life": ("existence", "living"),
    "lives": ("existences",), "heart": ("soul", "core"), "feeling": ("sense", "sensation", "emotion"), # verbs
    "offers": ("provides", "gives", "presents"),
    "begins": ("starts", "commences", "opens"), "starts": ("begins", "commences", "opens"),
    "seems": ("appears", "looks"), "seem": ("appear", "look"), "feels": ("seems", "appears"),
    "tries": ("attempts", "strives", "endeavors"), "try": ("attempt", "strive", "endeavor"),
    "tells": ("recounts", "relates", "narrates"), "enjoy": ("relish", "savor", "like"), "enjoyed": ("relished", "savored", "liked"),
    "liked": ("enjoyed", "fancied"), "loved": ("adored", "cherished"),
    "hate": ("detest", "loathe", "despise"), "hated": ("detested", "loathed", "despised"),
    "watch": ("view", "see"), "watching": ("viewing", "seeing"), "see": ("watch", "view", "observe"),
    "need": ("require", "want"),
    "needs": ("requires", "wants"), "lacks": ("misses",), "help": ("assist", "aid"),
    "captures": ("conveys", "catches", "depicts"), "delivers": ("provides", "offers", "supplies"),
    "ends": ("finishes", "concludes"),
    "works": ("functions", "succeeds", "operates"),
    "wants": ("desires", "wishes"),
    }

# Words whose substitutes depend on the phrase they sit in ("on the whole", "a little", "rather than",
# "pretty good", "makes sense"): never replaced, and never put in as a replacement.
AMBIGUOUS: frozenset[str] = frozenset(
    "whole little like rather pretty better worse long old full make makes made give gives take takes way time "
    "thing things lot sense mind love show shows look looks come comes keep keeps become becomes find found "
    "feel think know leave leaves manages comedy".split())

# The perturbation's own synonym list, extended by the lists above (theirs first where both name a word).
SUBSTITUTES: dict[str, tuple[str, ...]] = {
    word: tuple(dict.fromkeys(w for w in [*SYNONYMS.get(word, ()), *_WRITTEN.get(word, ())] if w not in AMBIGUOUS))
    for word in {**SYNONYMS, **_WRITTEN} if word not in AMBIGUOUS
}

STOP_WORDS: frozenset[str] = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each either few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my
myself neither nor of off on once only or other our ours ourselves out over own same she should so some
such than that the their theirs them themselves then there these they this those through to too under
until up upon us was we were what when where which while who whom why will with would you your yours
yourself yourselves
no not never none nothing nobody nowhere cannot don't doesn't didn't isn't aren't wasn't weren't won't
wouldn't shouldn't couldn't can't hasn't haven't hadn't ain't without hardly barely scarcely n't
less least much more most enough even still yet ever
""".split())

# Function characters and negations of Chinese: never changed by the Chinese attack.
STOP_CHARACTERS: frozenset[str] = frozenset("的了是不没无非别未莫勿在和与或也都就还又很太更最把被给对从向这那个们之其此而且但")
