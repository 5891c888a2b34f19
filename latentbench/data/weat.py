"""``weat``: the word sets of the Word Embedding Association Tests (WEAT 1-10) of Caliskan, Bryson
& Narayanan (2017), shipped with the package (no download).

Source: A. Caliskan, J. J. Bryson, A. Narayanan, "Semantics derived automatically from language
corpora contain human-like biases", Science 356 (6334), 183-186 (2017), supplementary materials,
section "WEAT data" (the sets they took from the IAT studies cited per test), as replicated in
WEFE's ``load_weat`` word sets (P. Badilla, F. Bravo-Marquez, J. Pérez, "WEFE: the word embeddings
fairness evaluation framework", IJCAI 2020). The lists are written out here from the paper; words are
kept as printed (names capitalised; ``short-term`` with its hyphen).

WEAT 3-5 replication: the paper marks names left out of its replication (African American names too
rare in GloVe's Common Crawl corpus, and as many European American names chosen at random); they
are flagged (``excluded``) and left out by default (the ``weat`` task's ``replication_sets``).

Rows: the distinct words of all ten tests, in order of first appearance. Tables: ``weat_sets``
``(m, 4)`` int64, one row per membership: (test index, set index 0-3 for X, Y, A, B, word row,
excluded 0/1). Metadata: ``tests`` (name, what X, Y, A, B are, and the effect size Caliskan et al.
report on GloVe) and ``reference``. One split, ``test``, holds every row.
"""

from __future__ import annotations

import numpy as np

from .base import Dataset

__all__ = ["WEAT_TESTS", "load_weat"]

_PLEASANT = ("caress freedom health love peace cheer friend heaven loyal pleasure diamond gentle honest lucky rainbow diploma "
             "gift honor miracle sunrise family happy laughter paradise vacation")
_UNPLEASANT_1 = ("abuse crash filth murder sickness accident death grief poison stink assault disaster hatred pollute tragedy "
                 "divorce jail poverty ugly cancer kill rotten vomit agony prison")
_UNPLEASANT_3 = ("abuse crash filth murder sickness accident death grief poison stink assault disaster hatred pollute tragedy "
                 "bomb divorce jail poverty ugly cancer evil kill rotten vomit")
_EA_4 = "Brad Brendan Geoffrey Greg Brett Jay Matthew Neil Todd Allison Anne Carrie Emily Jill Laurie Kristen Meredith Sarah"
_AA_4 = "Darnell Hakim Jermaine Kareem Jamal Leroy Rasheed Tremayne Tyrone Aisha Ebony Keisha Kenya Latonya Lakisha Latoya Tamika Tanisha"
_PLEASANT_9 = "joy love peace wonderful pleasure friend laughter happy"
_UNPLEASANT_9 = "agony terrible horrible nasty evil war awful failure"

#: The ten tests: name, (X, Y, A, B) as (label, words), words left out of the paper's replication,
#: and the effect size the paper reports on GloVe (Common Crawl).
WEAT_TESTS: tuple[dict, ...] = (
    {"name": "weat1", "title": "flowers vs insects, pleasant vs unpleasant", "glove_d": 1.50,
     "sets": (("flowers", "aster clover hyacinth marigold poppy azalea crocus iris orchid rose bluebell daffodil lilac pansy "
                          "tulip buttercup daisy lily peony violet carnation gladiola magnolia petunia zinnia"),
              ("insects", "ant caterpillar flea locust spider bedbug centipede fly maggot tarantula bee cockroach gnat mosquito "
                          "termite beetle cricket hornet moth wasp blackfly dragonfly horsefly roach weevil"),
              ("pleasant", _PLEASANT), ("unpleasant", _UNPLEASANT_1))},
    {"name": "weat2", "title": "instruments vs weapons, pleasant vs unpleasant", "glove_d": 1.53,
     "sets": (("instruments", "bagpipe cello guitar lute trombone banjo clarinet harmonica mandolin trumpet bassoon drum harp oboe "
                              "tuba bell fiddle harpsichord piano viola bongo flute horn saxophone violin"),
              ("weapons", "arrow club gun missile spear axe dagger harpoon pistol sword blade dynamite hatchet rifle tank bomb "
                          "firearm knife shotgun teargas cannon grenade mace slingshot whip"),
              ("pleasant", _PLEASANT), ("unpleasant", _UNPLEASANT_1))},
    {"name": "weat3", "title": "European vs African American names, pleasant vs unpleasant", "glove_d": 1.41,
     "sets": (("european_american_names", "Adam Chip Harry Josh Roger Alan Frank Ian Justin Ryan Andrew Fred Jack Matthew Stephen "
                                          "Brad Greg Jed Paul Todd Brandon Hank Jonathan Peter Wilbur Amanda Courtney Heather "
                                          "Melanie Sara Amber Crystal Katie Meredith Shannon Betsy Donna Kristin Nancy Stephanie "
                                          "Bobbie-Sue Ellen Lauren Peggy Sue-Ellen Colleen Emily Megan Rachel Wendy"),
              ("african_american_names", "Alonzo Jamel Lerone Percell Theo Alphonse Jerome Leroy Rasaan Torrance Darnell Lamar "
                                         "Lionel Rashaun Tyree Deion Lamont Malik Terrence Tyrone Everol Lavon Marcellus Terryl "
                                         "Wardell Aiesha Lashelle Nichelle Shereen Temeka Ebony Latisha Shaniqua Tameisha Teretha "
                                         "Jasmine Latonya Shanise Tanisha Tia Lakisha Latoya Sharise Tashika Yolanda Lashandra "
                                         "Malika Shavonn Tawanda Yvette"),
              ("pleasant", _PLEASANT), ("unpleasant", _UNPLEASANT_3)),
     "excluded": ("Chip Ian Fred Jed Todd Brandon Hank Wilbur Sara Amber Crystal Meredith Shannon Donna Bobbie-Sue Peggy Sue-Ellen "
                  "Wendy Lerone Percell Rasaan Rashaun Everol Terryl Aiesha Lashelle Temeka Tameisha Teretha Latonya Shanise Sharise "
                  "Tashika Lashandra Shavonn Tawanda")},
    {"name": "weat4", "title": "European vs African American names (Bertrand & Mullainathan), pleasant vs unpleasant", "glove_d": 1.50,
     "sets": (("european_american_names", _EA_4), ("african_american_names", _AA_4), ("pleasant", _PLEASANT),
              ("unpleasant", _UNPLEASANT_3)),
     "excluded": "Jay Kristen Tremayne Latonya"},
    {"name": "weat5", "title": "European vs African American names, pleasant vs unpleasant (Nosek et al. terms)", "glove_d": 1.28,
     "sets": (("european_american_names", _EA_4), ("african_american_names", _AA_4), ("pleasant", _PLEASANT_9),
              ("unpleasant", _UNPLEASANT_9)),
     "excluded": "Jay Kristen Tremayne Latonya"},
    {"name": "weat6", "title": "male vs female names, career vs family", "glove_d": 1.81,
     "sets": (("male_names", "John Paul Mike Kevin Steve Greg Jeff Bill"), ("female_names", "Amy Joan Lisa Sarah Diana Kate Ann Donna"),
              ("career", "executive management professional corporation salary office business career"),
              ("family", "home parents children family cousins marriage wedding relatives"))},
    {"name": "weat7", "title": "math vs arts, male vs female terms", "glove_d": 1.06,
     "sets": (("math", "math algebra geometry calculus equations computation numbers addition"),
              ("arts", "poetry art dance literature novel symphony drama sculpture"),
              ("male_terms", "male man boy brother he him his son"), ("female_terms", "female woman girl sister she her hers daughter"))},
    {"name": "weat8", "title": "science vs arts, male vs female terms", "glove_d": 1.24,
     "sets": (("science", "science technology physics chemistry Einstein NASA experiment astronomy"),
              ("arts", "poetry art Shakespeare dance literature novel symphony drama"),
              ("male_terms", "brother father uncle grandfather son he his him"),
              ("female_terms", "sister mother aunt grandmother daughter she hers her"))},
    {"name": "weat9", "title": "mental vs physical disease, temporary vs permanent", "glove_d": 1.38,
     "sets": (("mental_disease", "sad hopeless gloomy tearful miserable depressed"),
              ("physical_disease", "sick illness influenza disease virus cancer"),
              ("temporary", "impermanent unstable variable fleeting short-term brief occasional"),
              ("permanent", "stable always constant persistent chronic prolonged forever"))},
    {"name": "weat10", "title": "young vs old people's names, pleasant vs unpleasant", "glove_d": 1.21,
     "sets": (("young_names", "Tiffany Michelle Cindy Kristy Brad Eric Joey Billy"),
              ("old_names", "Ethel Bernice Gertrude Agnes Cecil Wilbert Mortimer Edgar"),
              ("pleasant", _PLEASANT_9), ("unpleasant", _UNPLEASANT_9))},
)

REFERENCE = ("Caliskan, Bryson & Narayanan (2017), Semantics derived automatically from language corpora contain human-like "
             "biases, Science 356:183-186 (supplementary WEAT data), as replicated in WEFE's load_weat (Badilla et al., IJCAI 2020)")


def load_weat() -> Dataset:
    """Word sets of WEAT 1-10 (Caliskan et al. 2017), shipped with the package: every distinct word once."""
    index: dict[str, int] = {}
    members: list[tuple[int, int, int, int]] = []
    tests = []
    for t_i, test in enumerate(WEAT_TESTS):
        excluded = set(test.get("excluded", "").split())
        for s_i, (_, words) in enumerate(test["sets"]):
            for w in words.split():
                members.append((t_i, s_i, index.setdefault(w, len(index)), int(w in excluded)))
        tests.append({"name": test["name"], "title": test["title"], "sets": [label for label, _ in test["sets"]],
                      "glove_effect_size": test["glove_d"]})
    n = len(index)
    return Dataset(
        name="weat", items=list(index), version=1, splits={"test": np.arange(n, dtype=np.int64)},
        tables={"weat_sets": np.array(members, dtype=np.int64)},
        metadata={"tests": tests, "reference": REFERENCE, "n_tests": len(tests)},
    )
