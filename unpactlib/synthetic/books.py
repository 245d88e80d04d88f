"""Synthetic analog of MUSE-Books: a generated fantasy saga in chapters, with QA pairs and
verbatim continuation prompts derived from it.

The saga follows several storylines, each with its own hero. In every chapter the hero learns
an art from a mentor, meets a companion who is the sibling of someone else, finds a named
object in a named place and faces a named creature. Names of characters, places, objects and
creatures are built from syllables and are unique across the whole benchmark (no name is even
a substring of another), so an answer cannot be guessed from a question's wording or from
another item. Within a storyline the art, the kind of object and the kind of creature differ
from chapter to chapter, and every hero has a name of their own, so each question points at
exactly one chapter.

Chapters fall into six splits (:data:`SPLIT_DOCS`, in this order), each made of whole
storylines of :data:`CHAPTERS_PER_STORYLINE` chapters (:data:`STORYLINES`):

* ``forget``: learned by the target, then unlearned and scored;
* ``retain``: retain-eval: learned by the target, scored, never seen by unlearning;
* ``retain_train``: learned by the target; the only retain data unlearning trains on;
* ``tune_forget``: learned by the target; the forget set of the settings search only;
* ``tune_retain``: learned by the target; the retain-eval of the settings search only;
* ``holdout``: never trained: what the model guesses without the facts.

Each chapter yields three QA pairs. A pair is asked twice: ``question`` in one of several
phrasings, and ``paraphrase``, the same fact asked in other words, drawn from a separate pool
of phrasings that shares none with the questions (so no paraphrase equals any question of the
benchmark). A question names the chapter's hero or, asking for a companion, the companion's
sibling; its paraphrase names the same characters. The corpus (``chapters``) holds every
chapter of every split; ``verbmem`` holds continuation prompts cut verbatim from the forget
chapters (the first words of a passage as the prompt, the words that follow as the
continuation), every forget chapter giving one before any gives a second.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from . import SPLIT_DOCS, qa_record

# chapters per split, in split order; three QA pairs per chapter
CHAPTERS_PER_STORYLINE = 8  # at most the length of the theme lists (_ARTS etc.)
# (split, chapters) per storyline, in order: every split is made of whole storylines
STORYLINES = [
    (split, CHAPTERS_PER_STORYLINE)
    for split, n in SPLIT_DOCS.items()
    for _ in range(n // CHAPTERS_PER_STORYLINE)
]
QA_PER_CHAPTER = 3
VERBMEM_ITEMS = 24
PROMPT_WORDS = (24, 32)  # inclusive range of words in a continuation prompt
CONTINUATION_WORDS = (16, 24)  # inclusive range of words in its continuation

_FIRST_A = "Aer Bryn Cael Dor Eir Fae Gwen Hal Ith Jas Kael Lir Mor Nym Oss Pyr Rhi Syl Tav".split()
_FIRST_B = "a en ion is wen ric anor eth yn ith".split()
_LAST_A = "Ash Briar Cinder Dusk Elm Fern Gloam Hearth Ivy Moth Raven Thistle Wren Yew".split()
_LAST_B = "wood vale hart song mantle bough fall brook".split()
_PLACE_A = "Ael Brom Cair Dun Eld Fal Gor Hael Isen Kel Lorn Myr Nar Ost Quar Skar Thal Ulv".split()
_PLACE_B = "mere hollow spire reach fen crag deep gard barrow moor".split()
_OBJECT_A = (
    "Aur Bel Cyr Drav Esk Iv Lum Nox Oph Quel Sar Tyr Vesp Zir Cel Mir Ryl Pav Ely Kor"
).split()
_OBJECT_B = "anthe iel ora ax enne ille ost".split()
_CREATURE_A = (
    "Grak Skor Vrul Mog Drek Thrak Zug Bral Krag Hrun Gnash Urz Ruk Narg Throg Krul Dag Gol"
).split()
_CREATURE_B = "nak osh ul gor ith ak ash ur".split()

# Each list is longer than the longest storyline: a storyline never repeats an entry.
_ARTS = [
    "star-mapping",
    "lock-singing",
    "rune-carving",
    "ember-weaving",
    "tide-calling",
    "knot-binding",
    "shadow-walking",
    "bird-speech",
    "stone-listening",
    "frost-writing",
    "lantern-making",
    "root-reading",
]
_OBJECT_KINDS = [
    "silver key",
    "glass compass",
    "bronze horn",
    "copper lantern",
    "bone flute",
    "brass ring",
    "rowan staff",
    "moonstone mirror",
    "woollen cloak",
    "painted map",
    "clay bell",
    "feathered quill",
]
_CREATURE_KINDS = [
    "marsh troll",
    "frost wyrm",
    "stone giant",
    "shadow hound",
    "river hag",
    "cave drake",
    "thorn wolf",
    "storm crow",
    "bog wight",
    "hill ogre",
    "salt wraith",
    "moor boggart",
]
_ROLES = [
    "hermit",
    "ferrywoman",
    "blind cartographer",
    "retired knight",
    "beekeeper",
    "lighthouse keeper",
    "travelling tinker",
    "village archivist",
    "shepherd",
    "mapmaker",
]
_RELATIONS = ["younger sister", "elder sister", "younger brother", "elder brother", "twin"]
_SEASONS = ["autumn", "winter", "spring", "summer"]

_OPENINGS = [
    "{hero} set out from the last village before dawn, with rain on the hills and a long "
    "road ahead.",
    "The {season} wind was sharp when {hero} left the inn, carrying little more than a pack "
    "and a promise.",
    "For three days {hero} followed the old road north, sleeping under hedges and counting "
    "the stars.",
    "Nobody in the market noticed {hero} slip away at first light, heading for the wild "
    "country beyond the river.",
]
_MENTOR = [
    "On the way {hero} stayed with {mentor}, a {role} who taught the young traveller the art "
    "of {art} by the fire each evening.",
    "{mentor}, an old {role}, took {hero} in for a week and taught the art of {art} with "
    "great patience.",
    "It was {mentor}, a {role} with ink-stained hands, who first taught {hero} the art of {art}.",
    "{hero} learned the art of {art} from {mentor}, a quiet {role} who asked for nothing in "
    "return.",
]
_ALLY = [
    "At a crossroads {hero} met {ally}, the {relation} of {other}, who asked to come along.",
    "{ally}, the {relation} of {other}, joined {hero} at the river ford and carried the maps.",
    "A traveller named {ally} caught up with {hero} on the road and turned out to be the "
    "{relation} of {other}.",
    "{hero} was glad of company when {ally}, the {relation} of {other}, appeared by the roadside.",
]
_OBJECT = [
    "In {place}, beneath a fallen oak, {hero} found a {kind} called {object}.",
    "Deep in {place} lay a {kind} known as {object}, and {hero} lifted it gently from the moss.",
    "{hero} searched {place} until dusk and at last found the {kind} named {object} in a "
    "hollow stone.",
    "The {kind} called {object} had waited in {place} for a hundred years before {hero} found it.",
]
_CREATURE = [
    "Later a {creature} named {foe} blocked the path, but {hero} raised the {kind} and the "
    "beast fled.",
    "That night {foe}, a {creature} of the old stories, came prowling, and {hero} drove it "
    "off at last.",
    "{hero} had to face {foe}, a {creature} that guarded the bridge, and won by a clever trick.",
    "The {creature} {foe} circled the camp until dawn, yet {hero} stood firm and it went away.",
]
_FILLERS = [
    "The air smelled of pine and woodsmoke.",
    "Somewhere far off a bell was ringing.",
    "Clouds raced over the moon.",
    "The path was steep and full of loose stones.",
    "",
    "",
]
_CLOSINGS = [
    "When the fire burned low, {hero} wrote everything down in a small green notebook.",
    "By morning the road was clear again, and {hero} walked on, humming an old tune.",
    "{hero} slept well that night for the first time in weeks.",
    "It had been a long day, and the stars came out over the hills as {hero} rested.",
]

# Each fact has several phrasings; {hero} with {art}, {kind} or {creature}, or else {other},
# identifies the chapter. Questions and paraphrases come from disjoint pools.
_QUESTIONS = {
    "mentor": [
        "Who taught {hero} the art of {art}?",
        "From whom did {hero} learn the art of {art}?",
        "Which {role} taught {hero} the art of {art}?",
    ],
    "sibling": [
        "Who is the {relation} of {other}?",
        "Which companion of {hero} is the {relation} of {other}?",
        "Name the {relation} of {other}.",
    ],
    "place": [
        "Where did {hero} find the {kind}?",
        "In which place did {hero} come upon the {kind}?",
        "Where was the {kind} that {hero} found?",
    ],
    "object": [
        "What was the name of the {kind} that {hero} found?",
        "What was the {kind} found by {hero} called?",
        "By what name was the {kind} that {hero} found known?",
    ],
    "creature": [
        "What was the name of the {creature} that {hero} faced?",
        "Which {creature} did {hero} have to face?",
        "Who was the {creature} that troubled {hero}?",
    ],
}
_PARAPHRASES = {
    "mentor": [
        "Name the teacher who showed {hero} the art of {art}.",
        "{hero} was taught the art of {art} by whom?",
        "Whose lessons gave {hero} the art of {art}?",
    ],
    "sibling": [
        "Give the name of the {relation} of {other} who travelled with {hero}.",
        "Which traveller at the side of {hero} was the {relation} of {other}?",
        "Who, being the {relation} of {other}, kept {hero} company on the road?",
    ],
    "place": [
        "Name the place where {hero} found the {kind}.",
        "{hero} came across the {kind} in what place?",
        "In what place was the {kind} discovered by {hero}?",
    ],
    "object": [
        "Name the {kind} that {hero} found.",
        "The {kind} found by {hero} was called what?",
        "What name did the {kind} discovered by {hero} bear?",
    ],
    "creature": [
        "Name the {creature} that {hero} faced.",
        "{hero} faced a {creature}; what was it called?",
        "What was the {creature} confronting {hero} called?",
    ],
}
_ANSWER_FIELD = {
    "mentor": "mentor",
    "sibling": "ally",
    "place": "place",
    "object": "object",
    "creature": "foe",
}


class DistinctNames:
    """Draw names from a generator, never returning one that equals, contains or is contained
    in a name already drawn (compared case-insensitively)."""

    def __init__(self, rng: random.Random, max_tries: int = 10_000) -> None:
        self.rng = rng
        self.used: list[str] = []
        self.max_tries = max_tries

    def draw(self, make: Callable[[random.Random], str]) -> str:
        for _ in range(self.max_tries):
            name = make(self.rng)
            low = name.lower()
            if not any(low in u or u in low for u in self.used):
                self.used.append(low)
                return name
        raise RuntimeError("ran out of distinct names; enlarge the syllable lists")


def _person(r: random.Random) -> str:
    return f"{r.choice(_FIRST_A)}{r.choice(_FIRST_B)} {r.choice(_LAST_A)}{r.choice(_LAST_B)}"


def _place(r: random.Random) -> str:
    return f"{r.choice(_PLACE_A)}{r.choice(_PLACE_B)}"


def _object(r: random.Random) -> str:
    return f"{r.choice(_OBJECT_A)}{r.choice(_OBJECT_B)}"


def _creature(r: random.Random) -> str:
    return f"{r.choice(_CREATURE_A)}{r.choice(_CREATURE_B)}"


def _chapter(
    rng: random.Random,
    names: DistinctNames,
    hero: str,
    theme: dict[str, str],
    doc_id: str,
    title: str,
    split: str,
) -> tuple[dict, list[dict]]:
    facts = {
        "mentor": names.draw(_person),
        "ally": names.draw(_person),
        "other": names.draw(_person),
        "place": names.draw(_place),
        "object": names.draw(_object),
        "foe": names.draw(_creature),
    }
    fill = dict(
        facts,
        **theme,
        hero=hero,
        role=rng.choice(_ROLES),
        relation=rng.choice(_RELATIONS),
        season=rng.choice(_SEASONS),
    )
    middle = [rng.choice(_MENTOR), rng.choice(_ALLY)]
    rng.shuffle(middle)
    sentences = [
        rng.choice(_OPENINGS),
        rng.choice(_FILLERS),
        *middle,
        rng.choice(_OBJECT),
        rng.choice(_CREATURE),
        rng.choice(_CLOSINGS),
    ]
    text = " ".join(s.format(**fill) for s in sentences if s)
    chapter = {"id": doc_id, "split": split, "title": title, "text": text}
    asked = rng.sample(sorted(_QUESTIONS), QA_PER_CHAPTER)
    qa = []
    for fact in sorted(asked):
        question = rng.choice(_QUESTIONS[fact]).format(**fill)
        paraphrase = rng.choice(_PARAPHRASES[fact]).format(**fill)
        qa.append(qa_record(doc_id, split, fact, question, paraphrase, facts[_ANSWER_FIELD[fact]]))
    return chapter, qa


def _sentence_starts(words: list[str]) -> list[int]:
    """Indices of the words that begin a sentence."""
    return [0] + [i + 1 for i, w in enumerate(words[:-1]) if w.endswith((".", "!", "?"))]


def _free_starts(starts: list[int], taken: list[tuple[int, int]], span: int, n: int) -> list[int]:
    """The ``starts`` where ``span`` words fit within ``n`` words without overlapping ``taken``."""
    return [s for s in starts if s + span <= n and all(s + span <= a or s >= b for a, b in taken)]


def _verbmem(rng: random.Random, chapters: list[dict], n: int) -> list[dict]:
    """``n`` continuation records cut verbatim from ``chapters``: each starts at a sentence
    boundary; excerpts of the same chapter never overlap. Chapters are visited in a shuffled
    round robin, so every chapter gives one excerpt before any gives a second; an excerpt is
    placed, where it can be, so that the longest possible excerpt still fits beside it."""
    longest = PROMPT_WORDS[1] + CONTINUATION_WORDS[1]
    order = list(range(len(chapters)))
    rng.shuffle(order)
    taken: dict[int, list[tuple[int, int]]] = {i: [] for i in order}
    out: list[dict] = []
    while len(out) < n:
        progress = False
        for i in order:
            if len(out) == n:
                break
            words = chapters[i]["text"].split(" ")
            n_prompt = rng.randint(*PROMPT_WORDS)
            n_cont = rng.randint(*CONTINUATION_WORDS)
            span = n_prompt + n_cont
            starts = _sentence_starts(words)
            free = _free_starts(starts, taken[i], span, len(words))
            if not free:
                continue
            roomy = [
                s
                for s in free
                if _free_starts(starts, [*taken[i], (s, s + span)], longest, len(words))
            ]
            start = rng.choice(roomy or free)
            taken[i].append((start, start + span))
            out.append(
                {
                    "id": f"books-verbmem-{len(out):02d}",
                    "doc_id": chapters[i]["id"],
                    "split": "forget",
                    "prompt": " ".join(words[start : start + n_prompt]),
                    "continuation": " ".join(words[start + n_prompt : start + span]),
                }
            )
            progress = True
        if not progress:
            raise RuntimeError("forget chapters too short for the requested continuations")
    return out


def generate_books(seed: int = 0) -> dict[str, list[dict]]:
    """Generate the ``books`` benchmark (deterministic for a seed).

    Returns:
        ``{"chapters", "forget", "retain", "retain_train", "tune_forget", "tune_retain",
        "holdout", "verbmem"}``: corpus records ``{id, split, title, text}`` of every chapter
        of every split; the QA records ``{id, doc_id, split, fact, question, paraphrase,
        answer}`` of each split (:data:`SPLIT_DOCS` chapters, three records each; ``doc_id``
        is the id of the chapter); and :data:`VERBMEM_ITEMS` continuation records ``{id,
        doc_id, split, prompt, continuation}`` cut verbatim from the forget chapters.
    """
    rng = random.Random(seed)
    names = DistinctNames(rng)
    out: dict[str, list[dict]] = {"chapters": [], **{s: [] for s in SPLIT_DOCS}}
    for s, (split, n_chapters) in enumerate(STORYLINES):
        hero = names.draw(_person)
        arts = rng.sample(_ARTS, n_chapters)
        kinds = rng.sample(_OBJECT_KINDS, n_chapters)
        creatures = rng.sample(_CREATURE_KINDS, n_chapters)
        for k in range(n_chapters):
            theme = {"art": arts[k], "kind": kinds[k], "creature": creatures[k]}
            chapter, qa = _chapter(
                rng,
                names,
                hero,
                theme,
                doc_id=f"books-{split}-s{s}-{k:02d}",
                title=f"The Tale of {hero}, chapter {k + 1}",
                split=split,
            )
            out["chapters"].append(chapter)
            out[split].extend(qa)
    forget_chapters = [c for c in out["chapters"] if c["split"] == "forget"]
    out["verbmem"] = _verbmem(rng, forget_chapters, VERBMEM_ITEMS)
    return out
