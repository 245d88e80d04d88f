"""Candidates for the utility set: easy general-knowledge four-option questions (MMLU analog).

A fixed, hand-written table: capitals, arithmetic in words, colours, animals, days and months,
opposites, simple science, shapes and a little culture. Each row is the question, the right
answer and three wrong options of the same kind. The right answer's position rotates over
A-D with the row number, so each position is used equally often. The study keeps only the
items the untouched base model answers correctly, so any loss there after unlearning is
damage done by unlearning.
"""

from __future__ import annotations

N_CHOICES = 4

# (question, right answer, three wrong options of the same kind)
_TABLE: list[tuple[str, str, tuple[str, str, str]]] = [
    # capitals
    ("What is the capital of France?", "Paris", ("Lyon", "Marseille", "Nice")),
    ("What is the capital of Japan?", "Tokyo", ("Osaka", "Kyoto", "Seoul")),
    ("What is the capital of Italy?", "Rome", ("Milan", "Venice", "Naples")),
    ("What is the capital of Germany?", "Berlin", ("Munich", "Hamburg", "Vienna")),
    ("What is the capital of Spain?", "Madrid", ("Barcelona", "Seville", "Lisbon")),
    ("What is the capital of the United Kingdom?", "London", ("Manchester", "Dublin", "Leeds")),
    ("What is the capital of Russia?", "Moscow", ("Saint Petersburg", "Kazan", "Minsk")),
    ("What is the capital of Egypt?", "Cairo", ("Alexandria", "Nairobi", "Tunis")),
    ("What is the capital of China?", "Beijing", ("Shanghai", "Hong Kong", "Tokyo")),
    ("What is the capital of Canada?", "Ottawa", ("Toronto", "Vancouver", "Montreal")),
    ("What is the capital of Australia?", "Canberra", ("Sydney", "Melbourne", "Perth")),
    ("What is the capital of Greece?", "Athens", ("Sparta", "Thessaloniki", "Rome")),
    ("What is the capital of Portugal?", "Lisbon", ("Porto", "Madrid", "Faro")),
    ("What is the capital of Mexico?", "Mexico City", ("Guadalajara", "Cancun", "Bogota")),
    ("What is the capital of India?", "New Delhi", ("Mumbai", "Kolkata", "Karachi")),
    ("What is the capital of Norway?", "Oslo", ("Bergen", "Stockholm", "Copenhagen")),
    # arithmetic in words
    ("What is two plus two?", "four", ("three", "five", "six")),
    ("What is three plus four?", "seven", ("six", "eight", "nine")),
    ("What is ten minus four?", "six", ("five", "seven", "four")),
    ("What is five times two?", "ten", ("seven", "twelve", "eight")),
    ("What is six plus six?", "twelve", ("eleven", "ten", "thirteen")),
    ("What is twenty divided by four?", "five", ("four", "six", "eight")),
    ("What is three times three?", "nine", ("six", "eight", "twelve")),
    ("What is seven plus eight?", "fifteen", ("fourteen", "sixteen", "thirteen")),
    ("What is four times five?", "twenty", ("fifteen", "nine", "twenty-five")),
    ("What is one hundred minus one?", "ninety-nine", ("ninety", "one hundred and one", "ten")),
    # colours
    ("What colour is the sky on a clear day?", "blue", ("green", "red", "yellow")),
    ("What colour is fresh grass?", "green", ("blue", "purple", "orange")),
    ("What colour is fresh snow?", "white", ("black", "brown", "red")),
    ("What colour is a ripe banana?", "yellow", ("blue", "purple", "black")),
    ("What colour do you get by mixing blue and yellow?", "green", ("red", "purple", "orange")),
    ("What colour is a ripe tomato?", "red", ("blue", "white", "purple")),
    ("What colour do you get by mixing red and white?", "pink", ("green", "blue", "black")),
    # animals
    ("Which animal says moo?", "cow", ("dog", "cat", "sheep")),
    ("Which animal is known as the king of the jungle?", "lion", ("mouse", "rabbit", "goat")),
    ("What is a baby dog called?", "puppy", ("kitten", "calf", "foal")),
    ("What is a baby cat called?", "kitten", ("puppy", "lamb", "chick")),
    ("Which animal has a long trunk?", "elephant", ("horse", "rabbit", "snake")),
    (
        "Which bird cannot fly and lives in Antarctica?",
        "penguin",
        ("eagle", "sparrow", "parrot"),
    ),
    ("How many legs does a spider have?", "eight", ("six", "four", "ten")),
    ("What is the largest animal on Earth?", "blue whale", ("elephant", "giraffe", "hippo")),
    ("Which animal has black and white stripes?", "zebra", ("lion", "camel", "bear")),
    ("What sweet food do bees make?", "honey", ("milk", "cheese", "butter")),
    ("Which animal has a very long neck?", "giraffe", ("pig", "rabbit", "hedgehog")),
    ("Which animal carries its house on its back?", "snail", ("dog", "horse", "cow")),
    ("What do caterpillars turn into?", "butterflies", ("frogs", "spiders", "birds")),
    # days, months, time
    ("Which day comes after Monday?", "Tuesday", ("Wednesday", "Sunday", "Friday")),
    ("Which day comes before Saturday?", "Friday", ("Sunday", "Thursday", "Monday")),
    ("How many days are in a week?", "seven", ("five", "six", "ten")),
    ("Which month comes after January?", "February", ("March", "December", "June")),
    ("How many months are in a year?", "twelve", ("ten", "eleven", "thirteen")),
    ("What is the first month of the year?", "January", ("March", "December", "July")),
    ("What is the last month of the year?", "December", ("November", "January", "October")),
    ("How many hours are in a day?", "twenty-four", ("twelve", "twenty", "sixty")),
    ("How many minutes are in an hour?", "sixty", ("one hundred", "thirty", "twenty-four")),
    ("Which season comes after winter?", "spring", ("summer", "autumn", "monsoon")),
    ("In which season do leaves fall from the trees?", "autumn", ("spring", "summer", "winter")),
    # opposites
    ("What is the opposite of hot?", "cold", ("warm", "wet", "loud")),
    ("What is the opposite of up?", "down", ("left", "over", "high")),
    ("What is the opposite of big?", "small", ("tall", "wide", "heavy")),
    ("What is the opposite of day?", "night", ("noon", "morning", "week")),
    ("What is the opposite of happy?", "sad", ("glad", "tired", "busy")),
    ("What is the opposite of fast?", "slow", ("quick", "loud", "strong")),
    ("What is the opposite of open?", "closed", ("wide", "empty", "broken")),
    ("What is the opposite of light?", "dark", ("bright", "white", "clear")),
    ("What is the opposite of young?", "old", ("small", "tall", "quiet")),
    ("What is the opposite of full?", "empty", ("heavy", "round", "whole")),
    # simple science
    ("At how many degrees Celsius does water freeze?", "0", ("10", "32", "100")),
    ("At how many degrees Celsius does water boil at sea level?", "100", ("50", "80", "212")),
    ("Which planet do we live on?", "Earth", ("Mars", "Venus", "Jupiter")),
    ("Which star is closest to the Earth?", "the Sun", ("Sirius", "Polaris", "Vega")),
    ("Which gas do people need to breathe in to live?", "oxygen", ("helium", "neon", "argon")),
    ("What is H2O commonly called?", "water", ("salt", "sugar", "sand")),
    ("Which planet is known as the Red Planet?", "Mars", ("Venus", "Saturn", "Neptune")),
    ("What is the largest planet in our solar system?", "Jupiter", ("Mars", "Earth", "Mercury")),
    ("What force pulls objects towards the ground?", "gravity", ("magnetism", "wind", "light")),
    ("What is frozen water called?", "ice", ("steam", "mist", "rain")),
    ("How many continents are there on Earth?", "seven", ("five", "six", "nine")),
    ("Which organ pumps blood around the body?", "heart", ("lungs", "liver", "stomach")),
    ("Which organ do we use to breathe?", "lungs", ("heart", "kidneys", "liver")),
    ("Which part of the body do we use to see?", "eyes", ("ears", "nose", "hands")),
    ("What does the Moon travel around?", "the Earth", ("the Sun", "Mars", "Jupiter")),
    ("What is the largest ocean on Earth?", "Pacific", ("Atlantic", "Indian", "Arctic")),
    # shapes, everyday things, culture
    ("How many sides does a triangle have?", "three", ("four", "five", "six")),
    ("How many sides does a square have?", "four", ("three", "five", "eight")),
    ("Which shape has no corners?", "circle", ("square", "triangle", "rectangle")),
    ("What is a shape with six sides called?", "hexagon", ("pentagon", "octagon", "square")),
    ("How many wheels does a bicycle have?", "two", ("three", "four", "six")),
    ("Which fruit is dried to make raisins?", "grapes", ("plums", "apples", "cherries")),
    ("Which language is mainly spoken in Brazil?", "Portuguese", ("Spanish", "French", "Dutch")),
    ("Which instrument has black and white keys?", "piano", ("guitar", "violin", "drum")),
    (
        "Who wrote Romeo and Juliet?",
        "William Shakespeare",
        ("Charles Dickens", "Jane Austen", "Mark Twain"),
    ),
    ("Which is the largest country by area?", "Russia", ("Canada", "China", "Brazil")),
    ("What is the currency of Japan?", "yen", ("won", "yuan", "rupee")),
    (
        "What is the tallest mountain in the world?",
        "Mount Everest",
        ("Mont Blanc", "Kilimanjaro", "Mount Fuji"),
    ),
    ("What is the longest river in Africa?", "Nile", ("Congo", "Niger", "Zambezi")),
]


def general_candidates() -> list[dict]:
    """The candidate utility items as multiple-choice records.

    Returns:
        ``[{id, split, question, choices, answer_index, answer}, ...]`` with ids
        ``general-000``, ``general-001``, ... and split ``utility``; row ``i`` puts its right
        answer at position ``i % 4``.
    """
    out = []
    for i, (question, answer, wrong) in enumerate(_TABLE):
        pos = i % N_CHOICES
        choices = [*wrong[:pos], answer, *wrong[pos:]]
        out.append(
            {
                "id": f"general-{i:03d}",
                "split": "utility",
                "question": question,
                "choices": choices,
                "answer_index": pos,
                "answer": answer,
            }
        )
    return out
