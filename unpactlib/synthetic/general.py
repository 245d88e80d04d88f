"""Candidates for the utility set: easy general-knowledge four-option questions (MMLU analog).

A fixed, hand-written table: capitals, arithmetic in words and digits, colours, animals,
days and months, opposites, simple science, shapes, continents and landmarks, body parts,
planets, simple units, common materials, well-known scientists, inventors, authors and
artists, food, nature, jobs and everyday things, and a little culture. Each row is the
question, the right answer and three wrong options of the same kind, none of them also right.
The right answer's position rotates over A-D with the row number, so each position is used
equally often; rows are only ever appended, so a row keeps its id and position. The study
keeps only the items the untouched base model answers correctly, so any loss there after
unlearning is damage done by unlearning.
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
    # rows added later, appended so that earlier rows keep their ids and positions
    # more capitals
    ("What is the capital of Ireland?", "Dublin", ("Cork", "Galway", "Limerick")),
    ("What is the capital of Sweden?", "Stockholm", ("Gothenburg", "Oslo", "Malmo")),
    ("What is the capital of Poland?", "Warsaw", ("Krakow", "Prague", "Gdansk")),
    ("What is the capital of Austria?", "Vienna", ("Salzburg", "Berlin", "Graz")),
    ("What is the capital of Turkey?", "Ankara", ("Istanbul", "Izmir", "Athens")),
    ("What is the capital of Argentina?", "Buenos Aires", ("Cordoba", "Santiago", "Lima")),
    ("What is the capital of Kenya?", "Nairobi", ("Mombasa", "Kampala", "Lagos")),
    ("What is the capital of South Korea?", "Seoul", ("Busan", "Tokyo", "Pyongyang")),
    ("What is the capital of Thailand?", "Bangkok", ("Phuket", "Hanoi", "Manila")),
    (
        "What is the capital of the United States?",
        "Washington, D.C.",
        ("New York", "Los Angeles", "Chicago"),
    ),
    ("What is the capital of Denmark?", "Copenhagen", ("Aarhus", "Oslo", "Stockholm")),
    ("What is the capital of Belgium?", "Brussels", ("Antwerp", "Amsterdam", "Ghent")),
    ("What is the capital of Peru?", "Lima", ("Cusco", "Quito", "Bogota")),
    ("What is the capital of Finland?", "Helsinki", ("Tampere", "Oslo", "Turku")),
    ("What is the capital of Hungary?", "Budapest", ("Debrecen", "Vienna", "Prague")),
    # continents, countries, languages, landmarks
    ("On which continent is Egypt?", "Africa", ("Asia", "Europe", "South America")),
    ("On which continent is Brazil?", "South America", ("Africa", "Europe", "Asia")),
    ("On which continent is France?", "Europe", ("Asia", "Africa", "North America")),
    ("On which continent is India?", "Asia", ("Europe", "Africa", "South America")),
    ("In which country is the Eiffel Tower?", "France", ("Italy", "Spain", "Germany")),
    ("In which country are the pyramids of Giza?", "Egypt", ("Mexico", "Greece", "India")),
    ("In which city is the Colosseum?", "Rome", ("Athens", "Paris", "Madrid")),
    ("In which city is Big Ben?", "London", ("Paris", "Berlin", "Dublin")),
    ("Which language is mainly spoken in Austria?", "German", ("French", "Dutch", "Polish")),
    ("Which language is mainly spoken in Mexico?", "Spanish", ("Portuguese", "English", "French")),
    ("Which country is famous for pizza and pasta?", "Italy", ("France", "Japan", "Mexico")),
    ("Which country does sushi come from?", "Japan", ("China", "Thailand", "India")),
    # body parts
    ("Which part of the body do we use to hear?", "ears", ("eyes", "nose", "knees")),
    ("Which part of the body do we use to smell?", "nose", ("ears", "elbows", "eyes")),
    ("Which organ do we think with?", "brain", ("heart", "liver", "stomach")),
    ("How many fingers are on one hand?", "five", ("three", "six", "ten")),
    ("What covers the outside of the human body?", "skin", ("bone", "muscle", "blood")),
    ("Which bones protect the heart and lungs?", "ribs", ("skull", "toes", "fingers")),
    ("What does the heart pump around the body?", "blood", ("air", "water", "food")),
    ("What do we use our teeth for?", "chewing", ("hearing", "seeing", "breathing")),
    # planets and space
    ("Which planet is closest to the Sun?", "Mercury", ("Venus", "Earth", "Mars")),
    ("Which planet has large bright rings?", "Saturn", ("Mars", "Mercury", "Venus")),
    ("What do we call a person who travels into space?", "astronaut", ("sailor", "pilot", "diver")),
    ("What kind of object is the Sun?", "a star", ("a planet", "a moon", "a comet")),
    (
        "What travels around the Earth once about every month?",
        "the Moon",
        ("the Sun", "Mars", "Venus"),
    ),
    # simple units
    ("How many centimetres are in a metre?", "one hundred", ("ten", "one thousand", "fifty")),
    ("How many grams are in a kilogram?", "one thousand", ("one hundred", "ten", "five hundred")),
    ("How many seconds are in a minute?", "sixty", ("thirty", "one hundred", "ten")),
    ("How many days are in a leap year?", "366", ("365", "364", "360")),
    ("Which unit measures length?", "metre", ("litre", "gram", "second")),
    ("Which unit measures time?", "second", ("metre", "gram", "litre")),
    ("How many years are in a century?", "one hundred", ("ten", "fifty", "one thousand")),
    ("How many years are in a decade?", "ten", ("five", "twenty", "one hundred")),
    ("How many weeks are in a year?", "fifty-two", ("forty", "twelve", "sixty")),
    # common materials
    ("What material is a window usually made of?", "glass", ("wood", "paper", "stone")),
    ("What are most books printed on?", "paper", ("glass", "metal", "stone")),
    ("What material comes from trees?", "wood", ("glass", "plastic", "steel")),
    ("What do sheep give us to make clothes?", "wool", ("silk", "cotton", "nylon")),
    ("Which metal is yellow and very valuable?", "gold", ("iron", "tin", "lead")),
    ("What is a car tyre mostly made of?", "rubber", ("glass", "paper", "wood")),
    (
        "Which fabric is spun from the cocoons of moth caterpillars?",
        "silk",
        ("wool", "cotton", "leather"),
    ),
    ("Which metal does a magnet attract?", "iron", ("gold", "copper", "aluminium")),
    # inventors, scientists, authors, artists
    (
        "Who painted the Mona Lisa?",
        "Leonardo da Vinci",
        ("Pablo Picasso", "Vincent van Gogh", "Claude Monet"),
    ),
    (
        "Who developed the theory of relativity?",
        "Albert Einstein",
        ("Isaac Newton", "Charles Darwin", "Galileo Galilei"),
    ),
    (
        "Who described the laws of motion and universal gravitation?",
        "Isaac Newton",
        ("Albert Einstein", "Charles Darwin", "Nikola Tesla"),
    ),
    (
        "Who proposed the theory of evolution by natural selection?",
        "Charles Darwin",
        ("Isaac Newton", "Albert Einstein", "Louis Pasteur"),
    ),
    (
        "Who invented the telephone?",
        "Alexander Graham Bell",
        ("Thomas Edison", "Nikola Tesla", "Henry Ford"),
    ),
    (
        "Who wrote the Harry Potter books?",
        "J. K. Rowling",
        ("Roald Dahl", "J. R. R. Tolkien", "C. S. Lewis"),
    ),
    (
        "Who wrote The Lord of the Rings?",
        "J. R. R. Tolkien",
        ("C. S. Lewis", "J. K. Rowling", "George Orwell"),
    ),
    (
        "Who wrote Pride and Prejudice?",
        "Jane Austen",
        ("Charlotte Bronte", "Charles Dickens", "Mary Shelley"),
    ),
    (
        "Who was the first person to walk on the Moon?",
        "Neil Armstrong",
        ("Buzz Aldrin", "Yuri Gagarin", "John Glenn"),
    ),
    (
        "Who was the first president of the United States?",
        "George Washington",
        ("Abraham Lincoln", "Thomas Jefferson", "John Adams"),
    ),
    (
        "Who discovered penicillin?",
        "Alexander Fleming",
        ("Louis Pasteur", "Marie Curie", "Edward Jenner"),
    ),
    ("Who wrote Oliver Twist?", "Charles Dickens", ("Jane Austen", "Mark Twain", "Thomas Hardy")),
    (
        "Who painted The Starry Night?",
        "Vincent van Gogh",
        ("Pablo Picasso", "Claude Monet", "Salvador Dali"),
    ),
    ("Which company makes the iPhone?", "Apple", ("Samsung", "Nokia", "Sony")),
    # more animals
    ("Which animal says woof?", "dog", ("cat", "cow", "duck")),
    ("Which animal says meow?", "cat", ("dog", "pig", "horse")),
    ("Which animal says quack?", "duck", ("dog", "cow", "sheep")),
    ("Which animal says oink?", "pig", ("cow", "horse", "duck")),
    ("What is a baby sheep called?", "lamb", ("calf", "foal", "kid")),
    ("What is a baby cow called?", "calf", ("lamb", "puppy", "foal")),
    ("What is a baby horse called?", "foal", ("calf", "lamb", "kitten")),
    (
        "Which animal hops and carries its baby in a pouch?",
        "kangaroo",
        ("rabbit", "frog", "squirrel"),
    ),
    ("Which animal is the fastest on land?", "cheetah", ("horse", "lion", "elephant")),
    ("Which bird is a symbol of peace?", "dove", ("crow", "eagle", "vulture")),
    ("What do hens lay?", "eggs", ("milk", "wool", "honey")),
    ("How many legs does an insect have?", "six", ("eight", "four", "ten")),
    ("What do pandas mainly eat?", "bamboo", ("fish", "meat", "insects")),
    ("Which animal is famous for building dams?", "beaver", ("otter", "rabbit", "fox")),
    # food
    ("Which fruit is long, curved and yellow?", "banana", ("apple", "cherry", "grape")),
    ("What is bread mainly made from?", "flour", ("rice", "sugar", "salt")),
    ("What are chips and fries made from?", "potatoes", ("apples", "carrots", "onions")),
    ("Which orange vegetable are rabbits said to love?", "carrots", ("potatoes", "onions", "peas")),
    ("What is the main ingredient of guacamole?", "avocado", ("tomato", "potato", "banana")),
    ("What drink do cows give us?", "milk", ("juice", "tea", "coffee")),
    # nature and weather
    ("What is the hottest season of the year?", "summer", ("winter", "spring", "autumn")),
    ("What is the coldest season of the year?", "winter", ("summer", "spring", "autumn")),
    (
        "What can appear in the sky when the sun shines after rain?",
        "a rainbow",
        ("a comet", "an eclipse", "a meteor"),
    ),
    (
        "What is the largest desert in Africa?",
        "the Sahara",
        ("the Gobi", "the Kalahari", "the Atacama"),
    ),
    ("In which direction does the Sun rise?", "east", ("west", "north", "south")),
    ("In which direction does the Sun set?", "west", ("east", "north", "south")),
    (
        "What gas do plants take in from the air to make food?",
        "carbon dioxide",
        ("helium", "neon", "argon"),
    ),
    # people and everyday things
    ("Who puts out fires?", "firefighters", ("teachers", "bakers", "farmers")),
    ("Who flies an aeroplane?", "a pilot", ("a driver", "a sailor", "a farmer")),
    ("Who bakes bread?", "a baker", ("a butcher", "a tailor", "a painter")),
    ("Where do people go to borrow books?", "a library", ("a bank", "a bakery", "a garage")),
    ("What do you use to cut paper?", "scissors", ("spoons", "pillows", "sponges")),
    ("Which vehicle runs on rails?", "a train", ("a car", "a bus", "a bicycle")),
    (
        "Which room of a house is used for cooking?",
        "the kitchen",
        ("the bedroom", "the bathroom", "the garage"),
    ),
    ("What do people wear on their feet?", "shoes", ("hats", "gloves", "scarves")),
    (
        "What do people wear on their hands to keep them warm?",
        "gloves",
        ("socks", "boots", "scarves"),
    ),
    # more opposites
    ("What is the opposite of left?", "right", ("up", "down", "back")),
    ("What is the opposite of black?", "white", ("grey", "brown", "blue")),
    ("What is the opposite of wet?", "dry", ("cold", "soft", "warm")),
    ("What is the opposite of early?", "late", ("soon", "slow", "first")),
    ("What is the opposite of push?", "pull", ("lift", "drop", "kick")),
    ("What is the opposite of heavy?", "light", ("big", "strong", "thick")),
    ("What is the opposite of rich?", "poor", ("old", "sad", "busy")),
    ("What is the opposite of win?", "lose", ("play", "try", "stop")),
    ("What is the opposite of north?", "south", ("east", "west", "up")),
    ("What is the opposite of tall?", "short", ("thin", "wide", "big")),
    ("What is the opposite of always?", "never", ("often", "sometimes", "usually")),
    ("What is the opposite of inside?", "outside", ("under", "behind", "above")),
    ("What is the opposite of first?", "last", ("second", "next", "middle")),
    # more colours
    ("What colour is coal?", "black", ("white", "yellow", "pink")),
    ("What colour is milk?", "white", ("black", "green", "red")),
    ("What colour are most leaves in summer?", "green", ("blue", "purple", "white")),
    ("What colour do you get by mixing red and yellow?", "orange", ("green", "purple", "blue")),
    ("What colour do you get by mixing red and blue?", "purple", ("green", "orange", "yellow")),
    # more shapes and numbers
    ("How many sides does a pentagon have?", "five", ("four", "six", "eight")),
    ("How many sides does an octagon have?", "eight", ("six", "seven", "ten")),
    ("What shape is a marble?", "a sphere", ("a cube", "a pyramid", "a cone")),
    ("What shape is a dice?", "a cube", ("a sphere", "a cone", "a cylinder")),
    ("What is 2 + 2?", "4", ("3", "5", "6")),
    ("What is 5 + 5?", "10", ("8", "11", "12")),
    ("What is 10 - 3?", "7", ("6", "8", "5")),
    ("What is 3 x 4?", "12", ("7", "10", "14")),
    # sports
    ("Which sport is played at Wimbledon?", "tennis", ("golf", "cricket", "rugby")),
    (
        "How often are the Summer Olympic Games held?",
        "every four years",
        ("every year", "every two years", "every ten years"),
    ),
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
