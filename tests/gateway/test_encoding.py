"""GSM-7 / UCS-2 choice and part counting: the bill depends on every number here."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from texto_gateway.encoding import (
    GSM7_BASIC,
    GSM7_CHARSET,
    GSM7_EXTENSION,
    count,
    encode,
    split,
)
from texto_gateway.errors import EmptyMessageError, EncodingNotAllowedError
from texto_gateway.models import Encoding, TextPolicy

GSM7 = Encoding.GSM7
UCS2 = Encoding.UCS2
FRENCH = "Bonjour, votre RDV est confirmé à 14h. Merci d\u2019être à l\u2019heure."
PRIX = "Prix\u00a0: 10\u00a0€"

# Twilio's message-segment-calculator vectors, from /work/shared/reference/sms-encoding.md
VECTORS = [
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("a" * 459, GSM7, 459, 3),
    ("a" * 460, GSM7, 460, 4),
    ("€" * 80, GSM7, 160, 1),
    ("€" * 81, GSM7, 162, 2),
    ("a" * 159 + "€", GSM7, 161, 2),
    ("]" * 152, GSM7, 304, 2),
    ("]" * 153, GSM7, 306, 3),
    ("ê" * 70, UCS2, 70, 1),
    ("ê" * 71, UCS2, 71, 2),
    ("ê" * 134, UCS2, 134, 2),
    ("ê" * 135, UCS2, 135, 3),
    ("😀" * 35, UCS2, 70, 1),
    ("😀" * 36, UCS2, 72, 2),
    ("a" * 66 + "😀" + "a" * 10, UCS2, 78, 2),
    ("a" * 69 + "ç", UCS2, 70, 1),
    ("ça va", UCS2, 5, 1),
    ("Ça va", GSM7, 5, 1),
    (PRIX, UCS2, 11, 1),
    (FRENCH, UCS2, 62, 1),
]


@pytest.mark.parametrize(("text", "encoding", "units", "parts"), VECTORS)
def test_twilio_vectors_as_given(text: str, encoding: Encoding, units: int, parts: int) -> None:
    result = encode(text, TextPolicy.UNICODE)
    assert (result.encoding, result.units, result.parts) == (encoding, units, parts)
    assert result.text == text
    assert count(text, encoding) == (units, parts)


@pytest.mark.parametrize(("text", "encoding", "units", "parts"), VECTORS)
def test_split_cuts_the_parts_counted(
    text: str, encoding: Encoding, units: int, parts: int
) -> None:
    """What a modem sends part by part is what the bill counts."""
    pieces = split(text, encoding)
    assert len(pieces) == parts
    assert "".join(pieces) == text
    limit = 160 if encoding is GSM7 else 70
    if parts > 1:
        limit = 153 if encoding is GSM7 else 67
    assert all(count(piece, encoding)[0] <= limit for piece in pieces)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [vector for vector in VECTORS if vector[0] not in (PRIX, FRENCH)],  # look-alikes: below
)
def test_auto_policy_keeps_vectors_without_look_alikes(
    text: str, encoding: Encoding, units: int, parts: int
) -> None:
    result = encode(text)
    assert (result.encoding, result.units, result.parts, result.text) == (
        encoding,
        units,
        parts,
        text,
    )


def test_no_break_spaces_are_replaced_under_auto_and_euro_counts_two() -> None:
    result = encode(PRIX, TextPolicy.AUTO)
    assert result.text == "Prix : 10 €"
    assert (result.encoding, result.units, result.parts) == (GSM7, 12, 1)
    assert result.replaced == (("\u00a0", " "),)


def test_auto_keeps_original_when_a_letter_still_needs_ucs2() -> None:
    # ê forces UCS-2: replacing the apostrophe would change the user's text and save nothing
    result = encode(FRENCH, TextPolicy.AUTO)
    assert result.text == FRENCH
    assert (result.encoding, result.units, result.parts, result.replaced) == (UCS2, 62, 1, ())


def test_gsm7_policy_transliterates_the_french_sentence() -> None:
    result = encode(FRENCH, TextPolicy.GSM7)
    assert result.text == "Bonjour, votre RDV est confirmé à 14h. Merci d'etre à l'heure."
    assert (result.encoding, result.units, result.parts) == (GSM7, 62, 1)
    assert result.replaced == (("\u2019", "'"), ("ê", "e"))


def test_basic_table_is_the_standard_one() -> None:
    assert len(GSM7_BASIC) == 127
    assert {"Ç", "¤", "$", "§", "@", "£", "¥", "Δ", "\n", "\r", "é", "è", "à", "ù"} <= GSM7_BASIC
    assert not {"ç", "`", "\x1b", "€", "â", "ê"} & GSM7_BASIC
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert GSM7_CHARSET == GSM7_BASIC | GSM7_EXTENSION


def test_crlf_counts_two_and_empty_text_counts_nothing() -> None:
    assert count("a\r\nb", GSM7) == (4, 1)
    assert count("a\nb", GSM7) == (3, 1)
    assert count("", GSM7) == (0, 0)
    assert count("", UCS2) == (0, 0)


def test_extension_char_never_straddles_parts() -> None:
    # 152 septets then "€": the ESC would be septet 153 of part 1 and the code in part 2
    assert count("a" * 152 + "€" + "a" * 10, GSM7) == (164, 2)
    # with 306 septets in two full parts the third part starts at the right place
    assert count("a" * 152 + "€" + "a" * 152, GSM7) == (306, 3)
    assert count("a" * 151 + "€" + "a" * 153, GSM7) == (306, 2)


def test_surrogate_pair_never_straddles_parts() -> None:
    assert count("a" * 66 + "😀" + "a" * 67, UCS2) == (135, 3)
    assert count("a" * 65 + "😀" + "a" * 67, UCS2) == (134, 2)


@pytest.mark.parametrize(
    ("original", "replacement"),
    [
        ("\u2018", "'"),
        ("\u2019", "'"),
        ("\u201a", "'"),
        ("\u2032", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u201e", '"'),
        ("«", '"'),
        ("»", '"'),
        ("\u2013", "-"),
        ("\u2014", "-"),
        ("\u2012", "-"),
        ("\u2015", "-"),
        ("\u2026", "..."),
        ("\u00a0", " "),
        ("\u202f", " "),
        ("\u2009", " "),
        ("\u2007", " "),
        ("\u2002", " "),
        ("\u2003", " "),
        ("\u3000", " "),
        ("\u200b", ""),
        ("\u200d", ""),
        ("\ufeff", ""),
        ("\uff21", "A"),
        ("\uff10", "0"),
        ("\uff01", "!"),
    ],
)
def test_auto_replaces_each_look_alike(original: str, replacement: str) -> None:
    result = encode(f"a{original}b", TextPolicy.AUTO)
    assert result.text == f"a{replacement}b"
    assert result.encoding is GSM7
    assert result.replaced == ((original, replacement),)


def test_auto_lists_each_replacement_once_in_order_of_first_appearance() -> None:
    result = encode("\u201cC\u2019est\u201d \u2014 l\u2019été\u2026", TextPolicy.AUTO)
    assert result.text == "\"C'est\" - l'été..."
    assert result.replaced == (
        ("\u201c", '"'),
        ("\u2019", "'"),
        ("\u201d", '"'),
        ("\u2014", "-"),
        ("\u2026", "..."),
    )
    assert (result.encoding, result.units) == (GSM7, 18)


def test_auto_keeps_ucs2_when_replacing_would_cost_more_parts() -> None:
    text = "\u2026" * 60  # 60 UTF-16 units, one part; as "..." 180 septets, two parts
    result = encode(text, TextPolicy.AUTO)
    assert (result.text, result.encoding, result.parts, result.replaced) == (text, UCS2, 1, ())


def test_auto_does_not_touch_accented_letters() -> None:
    result = encode("Fenêtre\u2019s", TextPolicy.AUTO)
    assert (result.text, result.encoding, result.replaced) == ("Fenêtre\u2019s", UCS2, ())


def test_unicode_policy_never_replaces() -> None:
    text = "C\u2019est l\u2019heure\u2026"
    result = encode(text, TextPolicy.UNICODE)
    assert (result.text, result.encoding, result.replaced) == (text, UCS2, ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("âêîôû", "aeiou"),
        ("ëïÿ", "eiy"),
        ("ç", "c"),
        ("áíóú", "aiou"),
        ("cœur", "coeur"),
        ("Œuvre", "OEuvre"),
        ("ÀÂÈÊËÎÏÔÙÛŸ", "AAEEEIIOUUY"),
        ("ā ō", "a o"),  # generic fallback: strip the combining marks
    ],
)
def test_gsm7_policy_transliterates_letters_gsm7_lacks(text: str, expected: str) -> None:
    result = encode(text, TextPolicy.GSM7)
    assert (result.text, result.encoding) == (expected, GSM7)


def test_gsm7_policy_keeps_letters_gsm7_has() -> None:
    text = "é è à ù É Ç ä ö ü ñ ß Ø Å"
    result = encode(text, TextPolicy.GSM7)
    assert (result.text, result.replaced) == (text, ())


def test_gsm7_policy_refuses_what_it_cannot_transliterate() -> None:
    with pytest.raises(EncodingNotAllowedError) as caught:
        encode("Bravo 😀 ✓ 😀 ê", TextPolicy.GSM7)
    assert caught.value.characters == ["✓", "😀"]
    assert caught.value.field == "text"
    # the text itself never reaches the message
    assert "Bravo" not in str(caught.value)


def test_decomposed_accents_are_read_as_the_gsm7_letter() -> None:
    result = encode("e\u0301te\u0301", TextPolicy.GSM7)
    assert (result.text, result.encoding, result.units) == ("été", GSM7, 3)


def test_gsm7_policy_refuses_a_lone_combining_mark() -> None:
    # q has no precomposed acute form: the mark is not a letter to transliterate
    with pytest.raises(EncodingNotAllowedError) as caught:
        encode("q\u0301", TextPolicy.GSM7)
    assert caught.value.characters == ["\u0301"]


def test_replacements_that_leave_nothing_are_refused() -> None:
    with pytest.raises(EmptyMessageError):
        encode("\u200b\ufeff", TextPolicy.AUTO)


# --- a route that carries only part of GSM-7 -------------------------------------------

RESTRICTED = GSM7_CHARSET - {"€", "Ç", "'"}


def test_restricted_charset_forces_ucs2_for_a_gsm7_character_outside_it() -> None:
    result = encode("Prix 10 €", TextPolicy.AUTO, charset=RESTRICTED)
    assert (result.encoding, result.units, result.parts) == (UCS2, 9, 1)
    assert encode("Prix 10 EUR", charset=RESTRICTED).encoding is GSM7


def test_restricted_charset_under_gsm7_transliterates_or_refuses() -> None:
    result = encode("Ça va", TextPolicy.GSM7, charset=RESTRICTED)
    assert (result.text, result.encoding, result.replaced) == ("Ca va", GSM7, (("Ç", "C"),))
    with pytest.raises(EncodingNotAllowedError) as caught:
        encode("10 € d\u2019acompte", TextPolicy.GSM7, charset=RESTRICTED)
    # U+2019 would become ', which this route cannot carry either
    assert caught.value.characters == ["\u2019", "€"]


def test_restricted_charset_keeps_original_under_auto_when_replacement_does_not_fit() -> None:
    text = "l\u2019eau"
    result = encode(text, TextPolicy.AUTO, charset=RESTRICTED)
    assert (result.text, result.encoding, result.replaced) == (text, UCS2, ())


def test_restricted_charset_still_counts_extension_characters_as_two() -> None:
    result = encode("[x]", TextPolicy.AUTO, charset=RESTRICTED)
    assert (result.encoding, result.units) == (GSM7, 5)


# --- properties --------------------------------------------------------------------------

gsm_texts = st.text(alphabet=sorted(GSM7_CHARSET), max_size=600)
any_texts = st.text(max_size=400)
french_texts = st.text(
    alphabet=sorted(GSM7_CHARSET)
    + list("âêîôûëïÿçœáíóúÀÂÈÊËÎÏÔÙÛŸŒ«»\u2019\u2018\u201c\u201d\u2013\u2014\u2026\u00a0\u202f😀"),
    max_size=400,
)


@given(gsm_texts)
def test_gsm7_parts_fit_their_units(text: str) -> None:
    units, parts = count(text, GSM7)
    assert units == len(text) + sum(char in GSM7_EXTENSION for char in text)
    if units == 0:
        assert parts == 0
    elif units <= 160:
        assert parts == 1
    else:
        # never fewer parts than the septets need; at most one septet lost per part
        assert math.ceil(units / 153) <= parts <= math.ceil(units / 152)


@given(any_texts)
def test_ucs2_parts_fit_their_units(text: str) -> None:
    units, parts = count(text, UCS2)
    assert units == len(text.encode("utf-16-le")) // 2
    if units == 0:
        assert parts == 0
    elif units <= 70:
        assert parts == 1
    else:
        assert math.ceil(units / 67) <= parts <= math.ceil(units / 66)


@given(any_texts)
def test_unicode_policy_never_changes_text(text: str) -> None:
    result = encode(text, TextPolicy.UNICODE)
    assert result.text == text
    assert result.replaced == ()
    assert (result.units, result.parts) == count(text, result.encoding)


@given(french_texts)
def test_gsm7_policy_result_fits_the_charset_or_raises(text: str) -> None:
    refused: list[str] = []
    try:
        result = encode(text, TextPolicy.GSM7)
    except EncodingNotAllowedError as error:
        refused = error.characters
    except EmptyMessageError:
        assert text.strip()
        return
    else:
        assert result.encoding is GSM7
        assert all(char in GSM7_CHARSET for char in result.text)
        return
    assert refused
    assert all(char not in GSM7_CHARSET for char in refused)


@given(french_texts)
def test_auto_policy_is_gsm7_with_replacements_or_the_original_text(text: str) -> None:
    try:
        result = encode(text, TextPolicy.AUTO)
    except EmptyMessageError:
        return
    if result.encoding is UCS2:
        assert (result.text, result.replaced) == (text, ())
    else:
        assert all(char in GSM7_CHARSET for char in result.text)
        if not result.replaced:
            assert result.text == text
    # auto never costs more parts than sending the text as given
    assert result.parts <= encode(text, TextPolicy.UNICODE).parts


@given(gsm_texts)
def test_gsm7_texts_are_untouched_by_every_policy(text: str) -> None:
    for policy in TextPolicy:
        result = encode(text, policy)
        assert (result.text, result.encoding, result.replaced) == (text, GSM7, ())
