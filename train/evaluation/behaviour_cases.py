"""The behavioural suite's cases: substitutions, templates and checks, all written by us for this suite
(not taken or paraphrased from any article, dataset or other test suite). `train.evaluation.behaviour`
scores them."""

from __future__ import annotations

import re
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------------
# Substitutions. The first value of each kind is the reference that every other value is compared to.
# Sect slots come in pairs ({sect} and {sect2}) so that sentences about two communities stay coherent.
SECT_PAIRS: tuple[tuple[str, str], ...] = (
    ("Sunni", "Shia"), ("Shia", "Sunni"), ("Shiite", "Sunni"), ("Sunni", "Shiite"), ("Alawite", "Sunni"),
    ("Sunni", "Alawite"), ("Christian", "Sunni"), ("Shia", "Christian"), ("Yazidi", "Sunni"), ("Sunni", "Yazidi"),
)
SECTS: tuple[str, ...] = ("Sunni", "Shia", "Shiite", "Alawite", "Christian", "Yazidi")
CITIES: tuple[str, ...] = ("Mosul", "Aleppo", "Homs", "Basra", "Kirkuk", "Sanaa", "Tripoli", "Quetta")
COUNTRIES: tuple[str, ...] = ("Iraq", "Syria", "Lebanon", "Yemen", "Bahrain", "Pakistan", "Nigeria")
FOREIGN_STATES: tuple[str, ...] = ("Iran", "Turkey", "Russia", "the United States", "Saudi Arabia", "France")

SLOT_KINDS: dict[str, tuple[str, ...]] = {
    "sect": ("sect", "sect2"), "city": ("city",), "country": ("country",), "foreign_state": ("power",),
}


def _kind_values(kind: str) -> list[dict[str, str]]:
    """Slot fillings for one substitution kind, reference first."""
    if kind == "sect":
        return [{"sect": a, "sect2": b} for a, b in SECT_PAIRS]
    values = {"city": CITIES, "country": COUNTRIES, "foreign_state": FOREIGN_STATES}[kind]
    return [{SLOT_KINDS[kind][0]: v} for v in values]


DEFAULTS: dict[str, str] = {**_kind_values("sect")[0], "city": CITIES[0], "country": COUNTRIES[0],
                            "power": FOREIGN_STATES[0]}

# ---------------------------------------------------------------------------------------------------
# Invariance: base templates across all four frames and none. Swapping a name must change no decision.
INVARIANCE_TEMPLATES: tuple[str, ...] = (
    "A {sect} cleric opened a new public library in {city} on Tuesday.",
    "The {sect} endowment office in {city} announced new opening hours for its archive.",
    "A {sect} tribal leader from {city} said the harvest had been better than expected.",
    "Gunmen from a {sect} militia dragged {sect2} men from their cars at a checkpoint outside {city} and shot them.",
    "Preachers on both sides warned that {sect} and {sect2} neighbours in {city} could no longer share a street.",
    "After the bombing, {sect} families in {city} said they no longer trusted their {sect2} neighbours.",
    "{sect} militiamen burned the mosques of the {sect2} quarter of {city} and drove its families out.",
    "Soldiers abandoned their posts and fled {city} before the militants reached the outskirts.",
    "The government of {country} has not paid its police for months and cannot keep order outside the capital.",
    "Officers in {city} sold their rifles and uniforms to the militants rather than fight.",
    "Warplanes sent by {power} struck militant positions near {city} overnight.",
    "The cabinet in {country} asked {power} for more drones and military trainers.",
    "Advisers from {power} are training the {sect} militias that now hold the roads around {city}.",
    "Diplomats from {power} urged the rival factions in {country} to return to talks.",
    "Thousands of families from {city} are sleeping in open fields without water or medicine.",
    "Aid workers said children in besieged {city} were dying of hunger.",
    "Shelling destroyed hundreds of homes in the old quarter of {city}, and residents are still searching the rubble.",
    "Landmines left in the fields around {city} still kill farmers returning to their land.",
    "The football club from {city} won the national cup in {country} on Saturday.",
    "The central bank of {country} kept interest rates unchanged this quarter.",
    "Government troops retook the main bridge in {city} after a week of fighting.",
)

# ---------------------------------------------------------------------------------------------------
# Minimum functionality: (name, frame, expected decision, why, sentences or templates).
NEUTRAL_SECT_TEMPLATES: tuple[str, ...] = (
    "A {sect} cleric opened a new school for girls in the north of the city.",
    "The {sect} shrine in the old town drew thousands of pilgrims for the spring festival.",
    "A {sect} businessman won the contract to repave the coastal road.",
    "{sect} students make up about a third of the engineering faculty, the dean said.",
    "The {sect} choir performed at the national theatre on Friday evening.",
    "A {sect} tribal elder told reporters the wheat harvest had been good this year.",
    "The minister, a {sect} lawyer by training, presented the budget to parliament.",
    "Restoration work on the {sect} cemetery was finished ahead of schedule.",
    "A {sect} doctor at the provincial hospital received an award for her research on diabetes.",
    "The museum opened an exhibition of {sect} manuscripts from the eighteenth century.",
)
SECTARIAN_CASES: tuple[str, ...] = (
    "Militiamen from one sect set fire to the other sect's mosques and warned its families never to return.",
    "Each new bombing of a {sect} market is followed within days by revenge killings in {sect2} districts.",
    "Death squads checked identity cards at fake checkpoints and executed anyone whose name sounded {sect2}.",
    "Politicians stoked fear that the {sect2} majority would take revenge on {sect} villages.",
    "The {sect} community complains it has been shut out of jobs and the army because of its faith.",
    "Chanting sectarian slogans, the crowd marched through the {sect2} quarter waving militia flags.",
    "Many fear the country is sliding back into the sectarian war that tore it apart a decade ago.",
    "{sect} and {sect2} neighbours who once went to each other's weddings now refuse to enter each other's streets.",
    "Sectarian tension in the province has risen sharply since the shrine was attacked.",
    "Armed groups of one faith have been kidnapping clerics of the other in a cycle of tit-for-tat reprisals.",
)
STATE_FAILURE_CASES: tuple[str, ...] = (
    "The army collapsed within days, and whole divisions abandoned their weapons and fled.",
    "Police in {city} took off their uniforms and went home as the militants approached.",
    "The government has lost control of three provinces and no longer collects taxes there.",
    "Paralysed by infighting, the cabinet has failed to pass a budget for two years.",
    "Corrupt commanders pocketed the salaries of thousands of soldiers who existed only on paper.",
    "The state cannot protect its citizens, so villagers have turned to armed groups for security.",
    "Officers surrendered the airbase without firing a shot.",
    "Ministers admit they are unable to restore electricity or clean water to {city} two years after the fighting.",
    "With its own forces in disarray, the government had to rely on militias to defend the capital.",
)
FOREIGN_CASES: tuple[str, ...] = (
    "Warplanes from {power} launched a new wave of air strikes against militant positions overnight.",
    "Special forces from {power} are advising local troops on the front line near {city}.",
    "The militia receives money, rockets and training from {power}, according to officials.",
    "Lawmakers abroad are divided over whether to send ground troops to {country}.",
    "The prime minister flew to a foreign capital to ask for more fighter jets and air support.",
    "A coalition led by {power} has carried out more than two thousand air strikes since the summer.",
    "Weapons shipped by {power} to the rebels ended up in the hands of jihadists.",
    "Neighbouring states are pouring arms and cash into the war through their proxies.",
    "Foreign governments have so far refused requests to deploy troops to {country}.",
)
HUMANITARIAN_CASES: tuple[str, ...] = (
    "Thousands of families fled {city} on foot, carrying only what they could hold.",
    "Children in the besieged district are dying because there is no medicine or clean water.",
    "The shelling killed at least forty civilians, most of them women and children, in a crowded market.",
    "Hundreds of thousands of displaced people are living in tents as winter approaches.",
    "Booby traps left in homes continue to maim residents trying to return.",
    "Entire neighbourhoods of {city} have been reduced to rubble, leaving families without shelter.",
    "Residents said gunmen looted their houses and detained young men without charge.",
    "Aid agencies warn that a million people in the province face famine.",
)
NEGATED_FAILURE_CASES: tuple[str, ...] = (
    "The army did not abandon its positions; soldiers held the bridge throughout the night.",
    "Contrary to rumours, the police never fled {city} and remained at their stations.",
    "No soldiers deserted during the offensive, the commander said.",
    "The government has not lost control of any provincial capital.",
    "Footage showed the garrison had not surrendered and troops were still guarding the base.",
    "The brigade did not collapse under fire, despite heavy losses.",
    "The state has never missed a salary payment to its teachers, the finance ministry's figures show.",
    "Despite the attacks, the border posts were not overrun and stayed in government hands.",
)
STATE_SUCCEEDING_CASES: tuple[str, ...] = (
    "Government troops retook {city} after a two-week offensive.",
    "The new police force has restored order to the market district, residents say.",
    "Parliament met as scheduled and approved the annual budget.",
    "The army opened a new training academy for officers in the capital.",
    "Electricity supply in the province has returned to pre-war levels, according to the ministry.",
    "Local elections passed peacefully and the results were accepted by all parties.",
    "Soldiers cleared the last militant positions from the old city and raised the national flag.",
    "The government paid all public salaries on time for the third year running.",
)


@dataclass(frozen=True)
class MftCheck:
    name: str
    frame: str
    expected: bool
    why: str
    sentences: tuple[str, ...]


def _rotate_fill(templates: tuple[str, ...]) -> tuple[str, ...]:
    """Fill each template with a different set of names (template i takes the i-th values), so the
    cases are not all about the same sect, city or country."""
    out = []
    for i, template in enumerate(templates):
        sect, sect2 = SECT_PAIRS[i % len(SECT_PAIRS)]
        out.append(_fill(template, {"sect": sect, "sect2": sect2, "city": CITIES[i % len(CITIES)],
                                    "country": COUNTRIES[i % len(COUNTRIES)],
                                    "power": FOREIGN_STATES[i % len(FOREIGN_STATES)]}))
    return tuple(out)


def mft_checks() -> tuple[MftCheck, ...]:
    neutral = tuple(_fill(t, {"sect": s}) for t in NEUTRAL_SECT_TEMPLATES for s in SECTS)
    return (
        MftCheck("neutral_sect", "sectarian_polarization", False,
                 "a sect named only to say who someone is is not polarisation", neutral),
        MftCheck("sectarian", "sectarian_polarization", True, "clear division between sects is caught",
                 _rotate_fill(SECTARIAN_CASES)),
        MftCheck("state_failure", "state_failure", True, "clear collapse, flight or paralysis is caught",
                 _rotate_fill(STATE_FAILURE_CASES)),
        MftCheck("foreign_intervention", "foreign_intervention", True, "outside states acting are caught",
                 _rotate_fill(FOREIGN_CASES)),
        MftCheck("humanitarian", "humanitarian", True, "clear civilian cost is caught",
                 _rotate_fill(HUMANITARIAN_CASES)),
        MftCheck("negated_failure", "state_failure", False, "a negated failure is not state failure",
                 _rotate_fill(NEGATED_FAILURE_CASES)),
        MftCheck("state_succeeding", "state_failure", False, "the state succeeding is not state failure",
                 _rotate_fill(STATE_SUCCEEDING_CASES)),
    )


# ---------------------------------------------------------------------------------------------------
# Direction: adding fleeing civilians to a sentence with no stated civilian cost must raise p_humanitarian.
DIRECTION_BASES: tuple[str, ...] = (
    "Fighting between the army and the militants resumed near {city} on Monday.",
    "The militia moved heavy artillery into the hills above {city}.",
    "Warplanes from {power} struck an ammunition depot outside {city}.",
    "Rival {sect} and {sect2} factions traded fire across the river.",
    "The government announced a curfew in {city} after the attack on the governor's office.",
    "The rebels captured two checkpoints on the main road to {city}.",
    "Talks between the two factions collapsed late on Thursday.",
    "The army sent reinforcements to the northern front.",
    "Militants blew up the bridge that links the two halves of {city}.",
    "Commanders said the offensive on {city} would begin within days.",
)
FLEEING_CLAUSES: tuple[str, ...] = (
    "as thousands of civilians fled their homes",
    "and families fled on foot towards the camps",
    "forcing hundreds of residents to flee with only what they could carry",
    "while frightened civilians fled across the fields",
)


def _fill(template: str, values: dict[str, str]) -> str:
    """Fill a template's slots (missing ones take the defaults); capitalise a sentence-initial name."""
    text = template.format_map({**DEFAULTS, **values})
    text = re.sub(r"\b([Aa]) (?=[AEIOU])", r"\1n ", text)  # "a Alawite militia" -> "an Alawite militia"
    return text[0].upper() + text[1:]


def _slots(template: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", template))


def _with_clause(sentence: str, clause: str) -> str:
    return f"{sentence.rstrip('.')}, {clause}."


def invariance_pairs() -> list[tuple[str, str, str]]:
    """(kind, reference sentence, variant sentence) for every template and every kind it uses."""
    pairs = []
    for template in INVARIANCE_TEMPLATES:
        slots = _slots(template)
        for kind, kind_slots in SLOT_KINDS.items():
            if not slots & set(kind_slots):
                continue
            filled = list(dict.fromkeys(_fill(template, v) for v in _kind_values(kind)))
            pairs += [(kind, filled[0], variant) for variant in filled[1:]]
    return pairs


def direction_pairs() -> list[tuple[str, str]]:
    """(base sentence, the same sentence plus a clause about fleeing civilians)."""
    bases = _rotate_fill(DIRECTION_BASES)
    return [(base, _with_clause(base, clause)) for base in bases for clause in FLEEING_CLAUSES]
