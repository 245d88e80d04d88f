"""Replay: the base model's own answers to other requests, learned beside the facts.

Fine-tuning a small model on a few hundred invented facts also moves what it answers about
everything else: after one epoch on the facts alone it answers "What is the capital of
Russia?" with an invented name, and the utility split's cloze scores follow. The target is
therefore fine-tuned on a second set of prompt/answer pairs with the answers the untouched
base model gives them (greedy, one line): everyday requests (:data:`REPLAY_PROMPTS`) and
short general-knowledge questions of the utility set's kinds about other facts
(:data:`REPLAY_QUESTIONS`). Learning those pulls the target back towards the base model
wherever the facts do not require a change. Neither list asks a question of the utility
candidates' table, nor contains or is contained in one (tests check), so replay does not
train on what utility scores; common words ("water", "capital") appear in both.
"""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .generation import greedy_answers

REPLAY_PROMPTS: tuple[str, ...] = (
    "How do I make a good cup of tea?",
    "Give me one tip for sleeping better.",
    "Describe a quiet morning in a small village.",
    "What should I pack for a picnic?",
    "How can I keep my houseplants healthy?",
    "Write one sentence about the sea at night.",
    "What is a polite way to decline an invitation?",
    "How do I start learning to draw?",
    "Suggest a name for a friendly dog.",
    "What makes a good breakfast?",
    "How should I prepare for a job interview?",
    "Describe the smell of fresh bread.",
    "Give me a tip for saving money on groceries.",
    "How do I clean a wooden table?",
    "Write a short thank-you note to a neighbour.",
    "What can I do on a rainy weekend?",
    "How do I tie my shoelaces quickly?",
    "Suggest a simple dinner for two.",
    "How do I stay focused while studying?",
    "Describe an autumn walk in the woods.",
    "What is a fun game for children at a party?",
    "How do I make my bed neatly?",
    "Give me a short motivational sentence.",
    "How can I be a better listener?",
    "What should I do before a long bicycle ride?",
    "Describe a busy market on a Saturday.",
    "How do I write a shopping list?",
    "Suggest a hobby that can be done at home.",
    "What is a kind thing to say to a friend who is sad?",
    "How do I boil an egg?",
    "Write one sentence about a cat sleeping in the sun.",
    "How can I make a small room feel bigger?",
    "Give me a tip for learning a new language.",
    "What should I bring to a friend's birthday dinner?",
    "How do I plan a day trip?",
    "Describe the sound of rain on a roof.",
    "How do I care for a new pair of leather boots?",
    "Suggest a warm drink for a cold evening.",
    "How do I introduce myself at a meeting?",
    "What is a good way to start a story?",
    "How can I keep my desk tidy?",
    "Write a short sentence inviting friends to a barbecue.",
    "How do I wash a wool sweater?",
    "Give me an idea for a weekend project.",
    "Describe a lighthouse on a stormy night.",
    "How do I make pancakes?",
    "What can I do when I feel bored?",
    "Suggest a title for a book about a lost key.",
    "How do I prepare a garden bed for planting?",
    "Write one sentence about the first snow of winter.",
    "How can I drink more water during the day?",
    "What should I say when I answer the phone at work?",
    "How do I pack a suitcase well?",
    "Describe a crowded train in the morning.",
    "Give me a tip for running my first race.",
    "How do I make a paper boat?",
    "Suggest a gift for someone who likes cooking.",
    "How do I apologise to a colleague?",
    "What is a nice way to end a letter?",
    "How can I remember people's names?",
    "Describe a campfire under the stars.",
    "How do I keep bread fresh for longer?",
    "Write a short note asking a neighbour to water my plants.",
    "What should I check before leaving on holiday?",
)

# Short general-knowledge questions of the utility set's kinds (capitals, sums, colours,
# animals, time, science, authors and artists, places, opposites, jobs), about other facts:
# none is, contains or is contained in a question of unpactlib.synthetic.general's table
# (a test checks), so the utility split scores questions replay never asked.
REPLAY_QUESTIONS: tuple[str, ...] = (
    "What is the capital of Switzerland?",
    "What is the capital of the Netherlands?",
    "What is the capital of Chile?",
    "What is the capital of Cuba?",
    "What is the capital of Vietnam?",
    "What is the capital of Indonesia?",
    "What is the capital of New Zealand?",
    "What is the capital of Iceland?",
    "What is the capital of the Czech Republic?",
    "What is the capital of Romania?",
    "What is eight minus three?",
    "What is two times six?",
    "What is nine plus one?",
    "What is fifty divided by five?",
    "What is 6 + 3?",
    "What is 9 - 4?",
    "What colour is a lemon?",
    "What colour is a carrot?",
    "What colour is chocolate?",
    "What colour is the night sky?",
    "Which animal says baa?",
    "What is a baby goat called?",
    "What is a baby duck called?",
    "How many legs does a dog have?",
    "Which bird can copy human words?",
    "What is the largest bird in the world?",
    "Which animal has a shell and moves slowly on land?",
    "Which day comes after Friday?",
    "Which month comes before April?",
    "How many days are in June?",
    "Which season comes after summer?",
    "Which planet is farthest from the Sun?",
    "How many planets are in our solar system?",
    "What do bees collect from flowers?",
    "What is the chemical symbol for gold?",
    "What do plants need from the Sun to grow?",
    "Who wrote Don Quixote?",
    "Who wrote War and Peace?",
    "Who painted the ceiling of the Sistine Chapel?",
    "Who composed the Moonlight Sonata?",
    "Who invented the light bulb?",
    "Who wrote The Adventures of Tom Sawyer?",
    "What is the longest river in South America?",
    "Which ocean lies between Europe and North America?",
    "On which continent is Japan?",
    "In which country is the Great Wall?",
    "In which city is the Statue of Liberty?",
    "Which language is mainly spoken in Argentina?",
    "How many legs does a person have?",
    "Which organ cleans the blood?",
    "What is a candle usually made of?",
    "What are most coins made of?",
    "Who looks after sick animals?",
    "Who teaches children at school?",
    "Who delivers letters?",
    "What is cheese made from?",
    "Which fruit has white flesh and grows on palm trees?",
    "What is the opposite of good?",
    "What is the opposite of near?",
    "What is the opposite of soft?",
    "What is the opposite of clean?",
    "How many sides does a rectangle have?",
    "How many players are in a football team on the pitch?",
    "What do you call a house made of snow blocks?",
)


def replay_records(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    n: int,
    *,
    batch_size: int = 16,
    max_new_tokens: int = 48,
    prompts: Sequence[str] = REPLAY_PROMPTS,
    name: str = "replay",
) -> list[dict]:
    """The first ``n`` of ``prompts`` with ``model``'s greedy one-line answers, as QA records
    (``id`` ``<name>-<k>``, ``split`` ``replay``, ``question``, ``answer``); empty answers are
    left out. ``model`` should be the untouched base model."""
    if n < 0 or n > len(prompts):
        raise ValueError(f"n={n} replay prompts: allowed 0 <= n <= {len(prompts)}")
    asked = list(prompts[:n])
    if not asked:
        return []
    answers = greedy_answers(
        model, tok, asked, batch_size=batch_size, max_new_tokens=max_new_tokens, progress=False
    )
    return [
        {"id": f"{name}-{k:02d}", "split": "replay", "question": q, "answer": a.strip()}
        for k, (q, a) in enumerate(zip(asked, answers))
        if a.strip()
    ]
