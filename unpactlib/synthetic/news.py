"""Synthetic analog of MUSE-News: invented news articles and QA pairs derived from them.

Every article reports one event of an invented organisation: where it happened, who led it,
what it named, how many of something were involved, and when. Names of people, towns,
organisations and products are built from syllables and are unique across the whole
benchmark, so an answer cannot be guessed from a question's wording or from another item.
Articles are assembled from slots of several sentence patterns each; every article yields
three QA pairs and, for forget articles, two continuation prompts (VerbMem).

Each QA pair is asked twice: ``question`` in one of several phrasings, and ``paraphrase``, the
same fact asked in other words, drawn from a separate pool of phrasings that shares none with
the questions (so no paraphrase equals any question of the benchmark). Both name the
organisation, which identifies the article.

Articles (one organisation each) fall into six splits (:data:`SPLIT_DOCS`, in this order):

* ``forget``: learned by the target, then unlearned and scored;
* ``retain``: retain-eval: learned by the target, scored, never seen by unlearning;
* ``retain_train``: learned by the target; the only retain data unlearning trains on;
* ``tune_forget``: learned by the target; the forget set of the settings search only;
* ``tune_retain``: learned by the target; the retain-eval of the settings search only;
* ``holdout``: never trained: what the model guesses without the facts.

The corpus (``articles``) holds every article of every split; the pipeline decides what to
train on.
"""

from __future__ import annotations

import random

from . import SPLIT_DOCS, qa_record

# articles per split, in split order; three QA pairs each
QA_PER_ARTICLE = 3

_FIRST_A = "Al Be Cor Da El Fen Gar Hal Is Jor Ka Lun Mer Nor Or Pel Quin Ros Sel Tam Ul Vor Wen Yar Zel".split()
_FIRST_B = "a en ia o is ar eth wyn ric ora".split()
_LAST_A = "Brandt Corv Dell Ember Frost Gald Hollow Iver Kest Lorn Marr Nettle Oak Penn Quill Rav Stone Thorn Vale Wick".split()
_LAST_B = "moor field ley wick ton berg ridge shaw croft dale".split()
_TOWN_A = "Ash Bram Cal Dun Eld Fair Glen Hart Kil Lyn Mor Nash Pen Red Sil Tor Wex Yor".split()
_TOWN_B = "haven mouth ford bury wick port stead gate holm mere".split()
_ORG_A = "Northern Lantern Silver Copper Granite Amber Coastal Valley Harbour Meadow Iron Crescent".split()
_ORG_B = "Weavers Millers Rail Tidewater Glassworks Orchard Signal Foundry Ferry Beacon".split()
_ORG_C = "Cooperative Society Guild Company Trust Union Institute Council".split()
_PROD_A = "Quor Vel Tes Marn Oph Dra Skel Bri Zan Cav Fel Lur Nim Orv Pax Rel Sov Kir".split()
_PROD_B = "ra ix on elle ast umi ok ine".split()

# (event noun, verb phrase in past tense, what gets counted, product kind)
_EVENTS = [
    ("factory", "opened a factory", "workers", "engine"),
    ("bridge", "finished a bridge", "tonnes of steel", "bridge"),
    ("festival", "held a festival", "visitors", "parade"),
    ("laboratory", "founded a laboratory", "researchers", "microscope"),
    ("ferry line", "launched a ferry line", "passengers", "ferry"),
    ("school", "built a school", "pupils", "library"),
    ("railway", "reopened a railway", "kilometres of track", "locomotive"),
    ("market", "started a market", "traders", "market hall"),
]
_MONTHS = (
    "January February March April May June July August September October November December".split()
)

# An article is one opening sentence, then one sentence for each of leader, count and product
# in a shuffled order, then one closing sentence; each slot has several patterns.
_OPENINGS = [
    "{town}, {month} {year}. The {org} {verb} on the edge of {town} this week.",
    "In {month} {year} the {org} {verb} in {town}.",
    "The {org} has {verb} in the town of {town}, according to a statement in {month} {year}.",
    "Crowds gathered in {town} in {month} {year} as the {org} {verb}.",
    "After months of delay, the {org} {verb} in {town} in {month} {year}.",
]
_LEADER = [
    "{person}, who leads the {org}, said the project had taken four years.",
    "Its head, {person}, told reporters that the work was only beginning.",
    "The statement was signed by {person}, the head of the {org}.",
    "{person}, at the head of the {org} since the autumn, thanked the volunteers.",
]
_COUNT = [
    "Officials counted {count} {unit} at the opening.",
    "The organisers put the figure at {count} {unit}.",
    "About {count} {unit} were involved from the first day.",
    "A tally published on the evening gave {count} {unit}.",
]
_PRODUCT = [
    "The new {kind} has been named the {product}.",
    "Residents will know the {kind} as the {product}.",
    "A {kind} called the {product} is at the centre of the plan.",
    "Local papers praised the {product}, the {kind} at the heart of it.",
]
_CLOSINGS = [
    "A second phase is planned for the following spring.",
    "Not everyone in the town was pleased with the noise.",
    "The regional council has promised to review the results within a year.",
    "Neighbouring towns are said to be watching closely.",
    "Critics questioned the cost, which was not made public.",
]
VERBMEM_CUTS = (12, 24)  # words of the article given as prompt; the next 16 are expected
VERBMEM_WORDS = 16

# Each fact has several phrasings; {org} identifies the article. Questions and paraphrases
# come from disjoint pools.
_QUESTIONS = {
    "person": [
        "Who leads the {org}?",
        "Which person heads the {org}?",
        "Who is the head of the {org}?",
    ],
    "town": [
        "In which town did the {org} open its {event}?",
        "Where did the {org} build its new {event}?",
        "The {org} set up its {event} in which town?",
    ],
    "product": [
        "What is the name of the {kind} of the {org}?",
        "What did the {org} call its new {kind}?",
        "Which name was given to the {kind} of the {org}?",
    ],
    "count": [
        "How many {unit} were counted at the {event} of the {org}?",
        "What number of {unit} did the {org} report for its {event}?",
    ],
}
_PARAPHRASES = {
    "person": [
        "Name the person at the head of the {org}.",
        "The {org} is led by whom?",
        "Whose name is given as the leader of the {org}?",
    ],
    "town": [
        "Name the town where the {org} {verb}.",
        "The {event} of the {org} is in which town?",
        "Which town is home to the new {event} of the {org}?",
    ],
    "product": [
        "The {org} gave its new {kind} what name?",
        "By what name is the {kind} of the {org} known?",
        "Name the new {kind} of the {org}.",
    ],
    "count": [
        "What figure did the {org} give for the {unit} at its {event}?",
        "According to the report, how many {unit} were involved in the {event} of the {org}?",
        "Give the number of {unit} counted for the {event} of the {org}.",
    ],
}


class _Unique:
    """Draw names from a generator, never returning the same one twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def draw(self, make) -> str:
        while True:
            name = make(self.rng)
            if name not in self.used:
                self.used.add(name)
                return name


def _person(r: random.Random) -> str:
    return f"{r.choice(_FIRST_A)}{r.choice(_FIRST_B)} {r.choice(_LAST_A)}{r.choice(_LAST_B)}"


def _town(r: random.Random) -> str:
    return f"{r.choice(_TOWN_A)}{r.choice(_TOWN_B)}"


def _org(r: random.Random) -> str:
    return f"{r.choice(_ORG_A)} {r.choice(_ORG_B)} {r.choice(_ORG_C)}"


def _product(r: random.Random) -> str:
    return f"{r.choice(_PROD_A)}{r.choice(_PROD_B)}"


def _article(
    rng: random.Random, names: _Unique, doc_id: str, split: str
) -> tuple[dict, list[dict]]:
    event, verb, unit, kind = rng.choice(_EVENTS)
    facts = {
        "person": names.draw(_person),
        "town": names.draw(_town),
        "org": names.draw(_org),
        "product": names.draw(_product),
        "count": str(names.draw(lambda r: str(r.randrange(120, 9800)))),
    }
    fill = dict(
        facts,
        year=rng.randrange(2031, 2049),
        month=rng.choice(_MONTHS),
        verb=verb,
        unit=unit,
        kind=kind,
        event=event,
    )
    middle = [rng.choice(_LEADER), rng.choice(_COUNT), rng.choice(_PRODUCT)]
    rng.shuffle(middle)
    sentences = [rng.choice(_OPENINGS), *middle, rng.choice(_CLOSINGS)]
    text = " ".join(sentences).format(**fill)
    article = {
        "id": doc_id,
        "split": split,
        "title": f"The {facts['org']} in {facts['town']}",
        "text": text,
    }
    asked = rng.sample(sorted(_QUESTIONS), QA_PER_ARTICLE)
    qa = []
    for fact in sorted(asked):
        question = rng.choice(_QUESTIONS[fact]).format(**fill)
        paraphrase = rng.choice(_PARAPHRASES[fact]).format(**fill)
        qa.append(qa_record(doc_id, split, fact, question, paraphrase, facts[fact]))
    return article, qa


def _verbmem(article: dict) -> list[dict]:
    words = article["text"].split()
    return [
        {
            "id": f"{article['id']}-verbmem-{cut}",
            "doc_id": article["id"],
            "split": article["split"],
            "prompt": " ".join(words[:cut]),
            "continuation": " ".join(words[cut : cut + VERBMEM_WORDS]),
        }
        for cut in VERBMEM_CUTS
    ]


def generate_news(seed: int = 0) -> dict[str, list[dict]]:
    """Generate the ``news`` benchmark (deterministic for a seed).

    Returns:
        ``{"articles", "forget", "retain", "retain_train", "tune_forget", "tune_retain",
        "holdout", "verbmem"}``: corpus records ``{id, split, title, text}`` of every article
        of every split; the QA records ``{id, doc_id, split, fact, question, paraphrase,
        answer}`` of each split (:data:`SPLIT_DOCS` articles, three records each; ``doc_id``
        is the id of the article); and continuation records ``{id, doc_id, split, prompt,
        continuation}`` cut verbatim from the forget articles (:data:`VERBMEM_CUTS` each).
    """
    rng = random.Random(seed)
    names = _Unique(rng)
    out: dict[str, list[dict]] = {"articles": [], **{s: [] for s in SPLIT_DOCS}}
    for split, n in SPLIT_DOCS.items():
        for k in range(n):
            article, qa = _article(rng, names, f"news-{split}-{k:02d}", split)
            out["articles"].append(article)
            out[split].extend(qa)
    out["verbmem"] = [v for a in out["articles"] if a["split"] == "forget" for v in _verbmem(a)]
    return out
