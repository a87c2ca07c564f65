"""What Talk to Assist reads in a text and writes back, without Home Assistant.

The PIN at a text's start, the words that ask for a lock, an alarm, a door or a cover
(those need the PIN again), the answer cut to the parts it may take, and the text as
events show it (masked beyond its first words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Final

#: a PIN-shaped token: 4 to 8 digits opening the text (after any punctuation), then
#: anything that is not a letter or a digit, or the end ("1234 is the alarm on?", "1234-open",
#: "(1234) open", "1234… open"): however the PIN is typed off from the rest, it must not make
#: the text an ordinary reply, whose event would then hold the PIN. Read after NFKC (a phone's
#: full-width digits become ASCII) with format characters (zero-width spaces) removed.
_PIN_TOKEN: Final = re.compile(r"[^\w]*([0-9]{4,8})(?:[^\w]+|$)", re.ASCII)

ELLIPSIS: Final = "…"
#: what replaces the words of a text beyond the first ones, in events
MASK: Final = "•••"
SHOWN_WORDS: Final = 3

#: words asking for a lock, an alarm panel, a door, a gate or a cover, English and French,
#: as ``_words`` writes them (lower case, no accents). Refusing a harmless question ("is
#: the garage door shut?") costs one more text with the PIN; missing one could open a door.
SENSITIVE_WORDS: Final = frozenset(
    {
        # English
        *("lock", "locks", "locked", "locking", "unlock", "unlocks", "unlocked", "unlocking"),
        *("alarm", "alarms", "arm", "arms", "armed", "arming"),
        *("disarm", "disarms", "disarmed", "disarming"),
        *("garage", "garages", "door", "doors", "gate", "gates", "cover", "covers"),
        *("shutter", "shutters", "blind", "blinds", "curtain", "curtains"),
        *("open", "opens", "opened", "opening", "close", "closes", "closed", "closing"),
        *("raise", "raises", "lift", "lifts", "lower", "lowers", "shut", "shuts"),
        *("shade", "shades", "awning", "awnings", "window", "windows", "valve", "valves"),
        *("latch", "unlatch", "bolt", "unbolt", "security"),
        # French
        *("serrure", "serrures", "verrou", "verrous", "verrouille", "verrouiller"),
        *("verrouillez", "verrouillee", "verrouillees", "verrouilles"),
        *("deverrouille", "deverrouiller", "deverrouillez", "deverrouillee"),
        *("alarme", "alarmes", "arme", "armer", "armez", "armee", "armes"),
        *("desarme", "desarmer", "desarmez", "desarmee", "desarmes"),
        *("porte", "portes", "portail", "portails", "portillon", "volet", "volets"),
        *("store", "stores", "rideau", "rideaux"),
        *("ouvre", "ouvrir", "ouvrez", "ouvert", "ouverte", "ouverts", "ouvertes"),
        *("ferme", "fermer", "fermez", "fermee", "fermes", "fermees"),
        *("monte", "monter", "montez", "remonte", "remonter", "remontez"),
        *("baisse", "baisser", "baissez", "descends", "descendre", "descendez"),
        *("banne", "bannes", "auvent", "auvents", "fenetre", "fenetres", "baie", "baies"),
        *("velux", "lucarne", "lucarnes", "barre", "barrer", "barrez", "vanne", "vannes"),
        *("desarmement", "deverrouillage", "verrouillage", "securite"),
    }
)


def split_pin(text: str) -> tuple[str, str] | None:
    """``(pin, rest)`` when ``text`` opens with a PIN-shaped token, else None."""
    opening = "".join(
        char for char in unicodedata.normalize("NFKC", text) if unicodedata.category(char) != "Cf"
    )
    match = _PIN_TOKEN.match(opening)
    if match is None:
        return None
    return match.group(1), opening[match.end() :].strip()


def _words(text: str) -> list[str]:
    """The words of ``text``, lower case and without accents ("Déverrouille" → "deverrouille")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.findall(r"\w+", plain)


def needs_pin(command: str, sensitive_names: Iterable[str]) -> bool:
    """Whether ``command`` asks for a lock, an alarm, a door or a cover.

    By its words, or by naming one of ``sensitive_names`` (the names and aliases of the
    locks, alarm panels and covers Home Assistant has: "open the Pergola").
    """
    words = _words(command)
    if SENSITIVE_WORDS.intersection(words):
        return True
    padded = f" {' '.join(words)} "
    for name in sensitive_names:
        name_words = _words(name)
        if name_words and f" {' '.join(name_words)} " in padded:
            return True
    return False


def mask(text: str) -> str:
    """``text`` as events show it: its first three words, then ``•••`` for the rest."""
    words = text.split()
    if len(words) <= SHOWN_WORDS:
        return text.strip()
    return f"{' '.join(words[:SHOWN_WORDS])} {MASK}"


def fit_answer(text: str, fits: Callable[[str], bool]) -> str:
    """``text``, or its longest start that ``fits``, cut on a word boundary, then "…".

    ``fits`` says whether a text can be sent in the parts allowed; a start that fits
    implies every shorter one does, so the cut is found by bisection. A first word too
    long for the parts is cut between characters (never inside an accented letter or
    an emoji sequence). Empty when not even "…" fits.
    """
    text = text.strip()
    if fits(text):
        return text
    boundaries = [i for i in range(1, len(text)) if text[i].isspace() and not text[i - 1].isspace()]
    best = _longest(boundaries, lambda i: text[:i].rstrip() + ELLIPSIS, fits)
    if best is not None:
        return best
    cuts = [i for i in range(1, len(text)) if _can_cut(text, i)]
    best = _longest(cuts, lambda i: text[:i] + ELLIPSIS, fits)
    if best is not None:
        return best
    return ELLIPSIS if fits(ELLIPSIS) else ""


def _longest(
    cuts: list[int], candidate: Callable[[int], str], fits: Callable[[str], bool]
) -> str | None:
    """The candidate of the last cut that fits (cuts ascending), by bisection."""
    low, high, found = 0, len(cuts) - 1, None
    while low <= high:
        middle = (low + high) // 2
        text = candidate(cuts[middle])
        if fits(text):
            found, low = text, middle + 1
        else:
            high = middle - 1
    return found


_JOINERS: Final = frozenset({"\u200d"})


def _can_cut(text: str, index: int) -> bool:
    """Whether ``text`` may be cut before ``index`` without splitting a character as seen."""
    after, before = text[index], text[index - 1]
    if before in _JOINERS or after in _JOINERS:
        return False
    # accents and enclosing marks belong to the character before
    if unicodedata.combining(after) or unicodedata.category(after) in ("Mn", "Me"):
        return False
    code = ord(after)
    # variation selectors, skin tones and emoji tags too; and a flag is two letters
    if 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return False
    return not (_regional(before) and _regional(after))


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF
