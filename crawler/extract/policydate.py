"""The date a policy states for itself: "Last updated: March 24, 2016", "Effective 29/04/2022"...

Searched near the top and the bottom of the text, where policies put it; the phrase is kept
beside the parsed date so a reader can check it. Parsing is dateparser's, restricted to the
languages the phrases below are written in; numeric dates are read here (day-first or
month-first as the text's other dates show).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTH = r"[A-Za-zÀ-ÿ]{3,10}\.?"
_DATE = (
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 24, 2016
    rf"|\d{{1,2}}(?:st|nd|rd|th|er)?\.?\s+(?:of\s+|de\s+)?{_MONTH},?\s+(?:de\s+)?\d{{4}}"  # 24 March 2016, 1er mai 2020
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 2016-03-24
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"  # 24/03/2016, 03.24.16
    rf"|{_MONTH}\s+\d{{4}})"  # March 2016
)
_PHRASE = (
    r"(?:last\s+(?:modified|updated|revised|amended|changed|reviewed)"
    r"|(?:date\s+of\s+)?last\s+revision|effective\s+date|effective|date\s+effective|updated|revised|modified"
    r"|(?:applies|valid|in\s+effect|in\s+force)\s+(?:from|as\s+of|beginning|since|starting)"
    r"|zuletzt\s+(?:aktualisiert|geändert)|stand|gültig\s+ab"
    r"|dernière\s+mise\s+à\s+jour|mis\s+à\s+jour\s+le|en\s+vigueur\s+(?:le|à\s+compter\s+du)"
    r"|última\s+(?:actualización|modificación|atualização)|fecha\s+de\s+(?:vigencia|entrada\s+en\s+vigor)"
    r"|ultimo\s+aggiornamento|laatst\s+(?:bijgewerkt|gewijzigd))"
)
# a phrase stands alone: no letter or digit just before or after it (an underscore of emphasis may be,
# "_Effective January 1, 2021_")
_STATED = re.compile(
    rf"(?<![^\W_]){_PHRASE}(?![^\W_])[^\n\d]{{0,40}}?(?P<date>{_DATE})",
    re.I,
)
_LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl"]


@dataclass(frozen=True)
class StatedDate:
    date: date
    phrase: str  # the words of the policy it was read from


_NUMERIC = re.compile(r"^(\d{1,4})([-/.])(\d{1,2})\2(\d{2,4})$")
_SLASHED = re.compile(r"\b(\d{1,2})/(\d{1,2})/\d{2,4}\b")


def _numeric(raw: str, text: str) -> date | None:
    """2016-03-24 and 24.03.2016 are unambiguous; 03/04/2016 is read day-first or month-first as
    the text's other slashed dates show (13/12/2022 or 12/13/2022), month-first when none does."""
    m = _NUMERIC.match(raw)
    if not m:
        return None
    a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    if a > 31:  # ISO: year first
        y, month, day = a, b, y
    elif sep == ".":
        day, month = a, b
    elif a > 12:
        day, month = a, b
    elif b > 12:
        month, day = a, b
    else:
        others = [(int(x), int(z)) for x, z in _SLASHED.findall(text)]
        day_first = any(x > 12 for x, _ in others) and not any(z > 12 for _, z in others)
        day, month = (a, b) if day_first else (b, a)
    if y < 100:
        y += 2000 if y < 70 else 1900
    try:
        return date(y, month, day)
    except ValueError:
        return None


def stated_date(text: str, window: int = 4000) -> StatedDate | None:
    """The policy's own date, if it states one near its top or bottom."""
    head, tail = text[:window], text[-window:] if len(text) > window else ""
    for part in (head, tail):
        for m in _STATED.finditer(part):
            raw = m.group("date")
            if raw[0].isdigit() and _NUMERIC.match(raw):
                parsed = _numeric(raw, text)
            else:
                import dateparser  # slow to import: only for dates written in words

                found = dateparser.parse(
                    raw.replace(",", " "),
                    languages=_LANGUAGES,
                    settings={"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False},
                )
                parsed = found.date() if found else None
            if parsed and 1990 <= parsed.year <= 2100:
                return StatedDate(parsed, " ".join(m.group(0).split())[:200])
    return None
