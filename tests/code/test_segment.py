import pytest

from models.segment import FURNITURE, HEADLINE, PROSE, normalize, split_sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_offsets_reproduce_the_original_text():
    text = "Intro line\n\nFirst sentence here.  Second one follows!\r\nThird, on a new line?\n"
    for sentence in split_sentences(text):
        assert text[sentence.start:sentence.end] == sentence.text


@pytest.mark.parametrize("text, expected", [
    ("U.S. officials met Iraqi leaders. They agreed on a plan.",
     ["U.S. officials met Iraqi leaders.", "They agreed on a plan."]),
    ("Dr. Hassan treated the wounded. The clinic was full.",
     ["Dr. Hassan treated the wounded.", "The clinic was full."]),
    ("ISIS's fighters entered the city. Residents fled.", ["ISIS's fighters entered the city.", "Residents fled."]),
    ("Between 2,000 and 3,000 inmates were freed. Officials were alarmed.",
     ["Between 2,000 and 3,000 inmates were freed.", "Officials were alarmed."]),
    ("The army – or what remained of it – withdrew. The city fell.",
     ["The army – or what remained of it – withdrew.", "The city fell."]),
    ("“We will not leave,” he said. “Never.”", ["“We will not leave,” he said.", "“Never.”"]),
])
def test_tricky_sentence_boundaries(text, expected):
    assert texts(text) == expected


def test_a_lone_closing_quote_stays_with_its_sentence():
    text = "He said it was not defeated when it” lost the cities in Iraq.”\n"
    assert texts(text) == ["He said it was not defeated when it” lost the cities in Iraq.”"]


def test_a_missing_space_after_a_full_stop_still_splits():
    assert texts("The city fell to the militants.While officials denied it, residents fled.") == [
        "The city fell to the militants.", "While officials denied it, residents fled."]


def test_a_paragraph_wrapped_across_lines_is_one_sentence():
    text = "The militia moved north to\nconfront the insurgents near the city.\n"
    sentences = split_sentences(text)
    assert len(sentences) == 1
    assert sentences[0].text == text.strip()
    assert normalize(sentences[0].text) == "The militia moved north to confront the insurgents near the city."


def test_a_headline_without_a_full_stop_is_its_own_sentence_of_kind_headline():
    text = "Army Flees As Militants Take City\n\nThe militants entered the city on Monday after a short battle.\n"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["Army Flees As Militants Take City",
                                           "The militants entered the city on Monday after a short battle."]
    assert [s.kind for s in sentences] == [HEADLINE, PROSE]


@pytest.mark.parametrize("line", [
    "By [Jane Doe](#), Staff Writer",
    "Photo by A. Person/AFP/Getty Images.",
    "Residents leave the town on foot, 3 May 2015. (A. PERSON/AFP/Getty Images)",
    "Image: Wikimedia Commons",
    "[Contact Us](#)",
    "1. [Review: a new album](#)",
    "Most Read **Discussed**",
    "To comment on this article, please contact the editors",
    "05/19/2015 04:04 pm ET Updated Dec 06, 2017",
    "Sunday 12 March 2017",
    "Related Experts: Jane Doe",
])
def test_furniture_is_flagged(line):
    text = ("A long paragraph of real reporting sits here so that the article has a body of prose text, "
            "and it ends with a full stop.\n\n" + line + "\n\nAnother paragraph of reporting follows the "
            "item and it also ends in the ordinary way for an article.\n")
    kinds = {s.text: s.kind for s in split_sentences(text)}
    flagged = [kind for sentence, kind in kinds.items() if sentence in line or line in sentence]
    assert flagged and set(flagged) == {FURNITURE}


def test_byline_name_and_role_at_the_top_are_furniture():
    text = "Jane Doe\nSenior Fellow, Middle East Programme\nThe army left the city without a fight.\n"
    assert [s.kind for s in split_sentences(text)] == [FURNITURE, FURNITURE, PROSE]


def test_short_lines_after_the_last_paragraph_are_navigation():
    text = ("The offensive continued through the week, and commanders expected a long fight ahead.\n\n"
            "The Battle For The Bridge\n")
    assert [s.kind for s in split_sentences(text)] == [PROSE, FURNITURE]


def test_a_prose_sentence_mentioning_a_news_agency_is_not_furniture():
    text = "A recent Reuters report reveals details of a failed rebellion inside the group.\n"
    assert [s.kind for s in split_sentences(text)] == [PROSE]


def test_empty_text_has_no_sentences():
    assert split_sentences("") == []
    assert split_sentences("\n \n") == []


def test_normalize_strips_markdown_links_and_whitespace():
    assert normalize("See  [the report](http://x)\n now") == "See the report now"


@pytest.mark.parametrize("dateline", ["BEIRUT, 14 November (Reuters) -", "MANAMA (Reuters) -",
                                      "HOMS, Syria, 19 April (Orontes Press) -", "WASHINGTON, Jan. 5, 2015 (AP) --"])
def test_a_wire_dateline_opening_a_paragraph_is_furniture(dateline):
    text = f"Army flees city\n\n{dateline} The army left the city. Families fled.\n"
    sentences = split_sentences(text)
    assert [(s.kind, s.text) for s in sentences] == [
        (HEADLINE, "Army flees city"), (FURNITURE, dateline), (PROSE, "The army left the city."),
        (PROSE, "Families fled.")]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_a_dateline_line_is_furniture_and_capitals_in_prose_are_not_a_dateline():
    sentences = split_sentences("BEIRUT, 14 November\n\nISIS - the group - grew in 2014. The U.S. - led strikes began.\n")
    assert [s.kind for s in sentences] == [FURNITURE, PROSE, PROSE]


def test_only_a_short_first_line_without_a_full_stop_is_a_headline():
    one = split_sentences("The army left the city on Monday.\n\nFamilies fled.\n")
    assert [s.kind for s in one] == [PROSE, PROSE]
    alone = split_sentences("Army flees city\n")
    assert [s.kind for s in alone] == [PROSE]  # nothing follows: a one-line text is not a headline
