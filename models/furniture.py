"""Rules that flag page furniture: bylines, credits, captions, navigation, comment prompts.

Furniture is kept in the output and flagged, never dropped, so that offsets stay complete and a user can
audit what was excluded from scoring. The rules work on lines because furniture is laid out in lines.
"""

from __future__ import annotations

import re

_ROLE_WORDS = (
    r"fellow|editor|correspondent|reporter|journalist|professor|analyst|director|researcher|writer|"
    r"contributor|lecturer|columnist|programme|program|staff"
)
_CREDIT = re.compile(
    r"Getty Images|Photo(?:graph)? by|\b(?:Photo|Photograph|Image|Picture|Credit|Source)s?:|"
    r"\((?:[^()]*/)?(?:AFP|Reuters|AP|EPA|Getty|Anadolu|Xinhua)(?:/[^()]*)?\)\s*$"
)
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_BYLINE = re.compile(r"^(?:By|Written by|Reporting by|Words by)\s+\S", re.IGNORECASE)
_PROMPT = re.compile(
    r"^(?:To comment on|Comment on this|Leave a comment|Join the (?:discussion|conversation)|Share (?:this|on)|"
    r"Sign up|Subscribe|Follow us|Read more|Click here|Related(?: Experts?| Articles?| Stories| Posts)?:|"
    r"Tags?:|Topics?:|Most Read|Most Popular|More in\b|Trending\b|Write for\b|Advertisement\b|Sponsored\b|"
    r"Read next|Recommended for you|Back to top|Skip to)",
    re.IGNORECASE,
)
_AUTHOR_BIO = re.compile(
    r"^[A-Z][\w'’.-]*(?:\s[A-Za-z][\w'’.-]*){0,3}\sis\s(?:an?|the)\s(?:[\w'’.-]+\s){0,6}(?i:" + _ROLE_WORDS + r")\b"
)
_ROLE_LINE = re.compile(r"\b(?:" + _ROLE_WORDS + r")\b", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"^(?:[A-Z][\w'’.-]*|(?:al|el|bin|ibn|van|von|de|da)-?[A-Z]?[\w'’.-]*)$")
_DATE_TOKEN = re.compile(
    r"^(?:\d{1,4}(?:[/.:-]\d{1,4}){0,2}(?:st|nd|rd|th)?|am|pm|a\.m\.|p\.m\.|et|gmt|utc|bst|cet|est|edt|"
    r"updated|published|posted|last|modified|on|at|"
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon(?:day)?|tue(?:sday)?|wed(?:nesday)?|thu(?:rsday)?|"
    r"fri(?:day)?|sat(?:urday)?|sun(?:day)?)$",
    re.IGNORECASE,
)
_TERMINAL = (".", "!", "?", "\"", "”", "’", "'", ")", ":")
# A wire dateline: a place in capitals, optional region/country and date, optional agency, then a dash:
# "BEIRUT, 14 November (Reuters) -", "MANAMA (Reuters) -", "HOMS, Syria, 19 April (Orontes Press) -".
_DATELINE_PLACE = r"[A-Z][A-Z'’.\-]{2,}(?: [A-Z][A-Z'’.\-]+)*(?:,\s*[A-Z][\w'’.\-]*(?:\s[A-Z][\w'’.\-]*)*)*"
_DATELINE_DATE = r",?\s+(?:\d{1,2}\s+[A-Z][a-z]+\.?|[A-Z][a-z]+\.?\s+\d{1,2})(?:,?\s+\d{4})?"
_DATELINE_AGENCY = r"\s*\([^()\n]{1,40}\)"
# a place with a date and/or an agency (a bare "ISIS - " opening a sentence is not a dateline)
_DATELINE_CORE = f"{_DATELINE_PLACE}(?:{_DATELINE_DATE}(?:{_DATELINE_AGENCY})?|{_DATELINE_AGENCY})"
DATELINE_PREFIX = re.compile(_DATELINE_CORE + r"\s*[-–—]{1,2}\s+")
_DATELINE_LINE = re.compile(_DATELINE_CORE + r"\s*[-–—]{0,2}\s*")


def words(line: str) -> list[str]:
    return line.split()


def ends_like_sentence(line: str) -> bool:
    return line.rstrip().endswith(_TERMINAL)


def is_prose_like(line: str) -> bool:
    """A full line of running text: long and closed by sentence punctuation."""
    return len(words(line)) >= 12 and ends_like_sentence(line) and not _CREDIT.search(line)


def is_link_line(line: str) -> bool:
    """Navigation: a line that is mostly markdown links (menus, 'Most Read' lists)."""
    links = _MARKDOWN_LINK.findall(line)
    if not links:
        return False
    rest = _LIST_MARKER.sub("", _MARKDOWN_LINK.sub("", line))
    return len(words(rest)) <= 3 or sum(len(text) for text in links) >= len(line) / 2


def is_dateline(line: str) -> bool:
    tokens = [token.strip(",;()|") for token in words(line)]
    tokens = [token for token in tokens if token]
    return bool(tokens) and any(any(ch.isdigit() for ch in t) for t in tokens) and all(
        _DATE_TOKEN.match(t) for t in tokens
    )


def is_name_line(line: str) -> bool:
    tokens = words(line)
    return 2 <= len(tokens) <= 4 and all(_NAME_TOKEN.match(t) for t in tokens)


def is_role_line(line: str) -> bool:
    return len(words(line)) <= 12 and not ends_like_sentence(line) and bool(_ROLE_LINE.search(line))


def line_is_furniture(line: str) -> bool:
    """Furniture that a single line gives away on its own."""
    text = line.strip()
    if not text:
        return False
    if _CREDIT.search(text) or is_link_line(text) or is_dateline(text) or _DATELINE_LINE.fullmatch(text):
        return True
    if _BYLINE.match(text) and len(words(text)) <= 15:
        return True
    if _AUTHOR_BIO.match(text) and len(words(text)) <= 30:
        return True
    return bool(_PROMPT.match(text))


def classify_lines(lines: list[str]) -> list[bool]:
    """Flag furniture per line, using neighbours for bylines and the page's tail for navigation.

    The tail is everything after the last line of running text: short untitled lines there are
    related-article links and navigation headings, never part of the article.
    """
    flags = [line_is_furniture(line) for line in lines]
    for i in range(len(lines) - 1):
        if is_name_line(lines[i]) and is_role_line(lines[i + 1]):
            flags[i] = flags[i + 1] = True
    prose_rows = [i for i, line in enumerate(lines) if is_prose_like(line) and not flags[i]]
    if prose_rows:
        for i in range(prose_rows[-1] + 1, len(lines)):
            if len(words(lines[i])) <= 8 and not ends_like_sentence(lines[i]):
                flags[i] = True
    return flags


def sentence_is_furniture(sentence: str) -> bool:
    """Furniture inside a prose line: a photo credit run into a paragraph."""
    return bool(_CREDIT.search(sentence.strip()))
