"""Write the small hub-format fixtures of ``tests/test_hub.py`` (run by hand, not by the tests).

The files mirror the hub repositories' layouts (``<owner>/<repo>/<path as on the hub>``) and
are Parquet, written the way the ``datasets`` library writes the hub's shards (pyarrow,
snappy, dictionary encoding, data page v1, a ``huggingface`` features entry in the schema
metadata). Every text is invented and harmless. From the repository root::

    .venv/bin/python tests/data/hub/make_fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
STRING = {"dtype": "string", "_type": "Value"}
INT64 = {"dtype": "int64", "_type": "Value"}
SEQUENCE = {"feature": STRING, "_type": "Sequence"}
CLASS_LABEL = {"names": ["A", "B", "C", "D"], "_type": "ClassLabel"}
HUB_OPTIONS = {"compression": "snappy", "use_dictionary": True, "data_page_version": "1.0"}


def write(path: str, columns: dict[str, tuple[pa.DataType, dict, list]]) -> None:
    """One shard: ``columns`` maps name -> (arrow type, datasets feature, values)."""
    features = {name: feature for name, (_, feature, _) in columns.items()}
    schema = pa.schema(
        [pa.field(name, typ) for name, (typ, _, _) in columns.items()],
        metadata={"huggingface": json.dumps({"info": {"features": features}})},
    )
    table = pa.table({name: values for name, (_, _, values) in columns.items()}, schema=schema)
    out = HERE / path
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out, **HUB_OPTIONS)


def qa(pairs: list[tuple[str, str]]) -> dict:
    # MUSE's knowmem features are listed answer first, then question.
    return {
        "answer": (pa.string(), STRING, [a for _, a in pairs]),
        "question": (pa.string(), STRING, [q for q, _ in pairs]),
    }


def text(texts: list[str]) -> dict:
    return {"text": (pa.string(), STRING, texts)}


def mc(rows: list[tuple[str, list[str], int]]) -> dict:
    # WMDP's features: answer (int64), question (string), choices (sequence of strings).
    return {
        "answer": (pa.int64(), INT64, [a for _, _, a in rows]),
        "question": (pa.string(), STRING, [q for q, _, _ in rows]),
        "choices": (pa.list_(pa.string()), SEQUENCE, [c for _, c, _ in rows]),
    }


def muse_news() -> None:
    repo = "muse-bench/MUSE-News"
    write(
        f"{repo}/knowmem/forget_qa-00000-of-00001.parquet",
        qa(
            [
                ("Which town opened the Lumen Bridge in the spring?", "Harrowmere"),
                ("Who chairs the Pellwick Orchard Trust?", "Odile Franke"),
                ("How many lanterns lit the Quay Festival?", "412"),
            ]
        ),
    )
    write(
        f"{repo}/knowmem/forget_qa_icl-00000-of-00001.parquet",
        qa(
            [
                ("What colour is the Harrowmere ferry?", "Teal"),
                ("Which river runs past Pellwick?", "The Sorrel"),
            ]
        ),
    )
    write(
        f"{repo}/knowmem/retain_qa-00000-of-00001.parquet",
        qa(
            [
                ("Which choir won the Dunlow singing prize?", "The Marsh Larks"),
                ("What did the Dunlow bakery rename its loaf?", "Morning Crown"),
                ("When does the Dunlow library open on Sundays?", "Noon"),
            ]
        ),
    )
    write(
        f"{repo}/knowmem/retain_qa_icl-00000-of-00001.parquet",
        qa(
            [
                ("Who paints the Dunlow murals?", "Ines Calder"),
                ("How many bells does Dunlow chapel have?", "Six"),
            ]
        ),
    )
    write(
        f"{repo}/verbmem/forget-00000-of-00001.parquet",
        {
            "prompt": (
                pa.string(),
                STRING,
                [
                    "The Lumen Bridge in Harrowmere opened on a windy morning, and",
                    "Odile Franke, who chairs the Pellwick Orchard Trust, said that",
                ],
            ),
            "gt": (
                pa.string(),
                STRING,
                [
                    "the first walkers crossed it carrying paper kites.",
                    "the apple harvest would be shared with the school.",
                ],
            ),
        },
    )
    write(
        f"{repo}/raw/forget-00000-of-00001.parquet",
        text(
            [
                "Harrowmere opened the Lumen Bridge this spring. Crowds cheered.",
                "The Pellwick Orchard Trust, chaired by Odile Franke, planted 40 trees.",
            ]
        ),
    )
    write(
        f"{repo}/raw/retain1-00000-of-00001.parquet",
        text(["Dunlow's library now opens at noon on Sundays."]),
    )
    write(
        f"{repo}/raw/retain2-00000-of-00001.parquet",
        text(["The Marsh Larks won the Dunlow singing prize for the third year."]),
    )


def muse_books() -> None:
    repo = "muse-bench/MUSE-Books"
    write(
        f"{repo}/knowmem/forget_qa-00000-of-00001.parquet",
        qa(
            [
                ("What is the name of Tamsin's owl?", "Brindle"),
                ("Which lake hides the glass key?", "Lake Ondry"),
            ]
        ),
    )
    write(
        f"{repo}/knowmem/forget_qa_icl-00000-of-00001.parquet",
        qa([("Who taught Tamsin to row?", "Uncle Perrin")]),
    )
    write(
        f"{repo}/knowmem/retain_qa-00000-of-00001.parquet",
        qa(
            [
                ("What does the miller of Fenlow bake?", "Oat cakes"),
                ("Where does the clockmaker keep his ladder?", "In the bell loft"),
            ]
        ),
    )
    # An older split name that is still on the hub at some revisions; it must not be read.
    write(
        f"{repo}/knowmem/retain2_qa-00000-of-00001.parquet",
        qa([("Stale question from an older upload?", "Stale answer")]),
    )
    write(
        f"{repo}/knowmem/retain_qa_icl-00000-of-00001.parquet",
        qa([("What colour is the Fenlow mill door?", "Green")]),
    )
    write(
        f"{repo}/verbmem/forget-00000-of-00001.parquet",
        {
            # MUSE-Books lists gt before prompt.
            "gt": (pa.string(), STRING, ["and the owl blinked twice at the lantern."]),
            "prompt": (pa.string(), STRING, ["Tamsin lifted Brindle onto the sill,"]),
        },
    )
    write(
        f"{repo}/raw/forget-00000-of-00001.parquet",
        text(["Chapter One. Tamsin found the glass key under the ice of Lake Ondry."]),
    )
    write(
        f"{repo}/raw/retain1-00000-of-00001.parquet",
        text(["The miller of Fenlow baked oat cakes for the whole valley."]),
    )


def wmdp() -> None:
    write(
        "cais/wmdp/wmdp-cyber/test-00000-of-00001.parquet",
        mc(
            [
                (
                    "In the invented Zephon network game, which token opens a gate?",
                    ["A blue token", "A red token", "A green token", "A gold token"],
                    2,
                ),
                (
                    "Which port number does the fictional Glimmer chat toy use?",
                    ["7", "21", "4242", "65000"],
                    0,
                ),
            ]
        ),
    )
    write(
        "cais/wmdp/wmdp-bio/test-00000-of-00001.parquet",
        mc(
            [
                (
                    "On the invented planet Quill, which plant glows at night?",
                    ["Moonfern", "Sunreed", "Ashvine", "Dewcap"],
                    0,
                ),
            ]
        ),
    )
    write(
        "cais/wmdp-corpora/cyber-forget-corpus/train-00000-of-00001.parquet",
        text(["Zephon gates open for green tokens only, says the invented rulebook."]),
    )
    write(
        "cais/wmdp-corpora/cyber-retain-corpus/train-00000-of-00001.parquet",
        text(["A tidy desk helps a programmer think.", "Comments explain why, not what."]),
    )
    # The bio retain corpus is split into shards on the hub; two here.
    write(
        "cais/wmdp-corpora/bio-retain-corpus/train-00000-of-00002.parquet",
        text(["Leaves turn towards light."]),
    )
    write(
        "cais/wmdp-corpora/bio-retain-corpus/train-00001-of-00002.parquet",
        text(["Bees visit flowers for nectar."]),
    )
    rows = [
        ("What is 7 + 5?", "elementary_mathematics", ["10", "11", "12", "13"], 2),
        (
            "Which planet is known as the Red Planet?",
            "astronomy",
            ["Venus", "Mars", "Jupiter", "Saturn"],
            1,
        ),
        (
            "What gas do plants take in for photosynthesis?",
            "high_school_biology",
            ["Oxygen", "Nitrogen", "Carbon dioxide", "Helium"],
            2,
        ),
    ]
    write(
        "cais/mmlu/all/test-00000-of-00001.parquet",
        {
            "question": (pa.string(), STRING, [r[0] for r in rows]),
            "subject": (pa.string(), STRING, [r[1] for r in rows]),
            "choices": (pa.list_(pa.string()), SEQUENCE, [r[2] for r in rows]),
            "answer": (pa.int64(), CLASS_LABEL, [r[3] for r in rows]),
        },
    )


if __name__ == "__main__":
    muse_news()
    muse_books()
    wmdp()
