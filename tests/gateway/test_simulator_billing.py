"""The simulators bill as the standard says: every vector of sms-encoding.md.

The simulators count parts on their own (tests/simulator/billing.py), not with the library
under test: these vectors hold both to the same published figures.
"""

from __future__ import annotations

import pytest

from tests.simulator.billing import parts_of

#: (text, parts) from Twilio's calculator (reference/sms-encoding.md)
VECTORS = [
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("a" * 459, 3),
    ("a" * 460, 4),
    ("€" * 80, 1),
    ("€" * 81, 2),
    ("a" * 159 + "€", 2),
    ("]" * 152, 2),
    ("]" * 153, 3),
    ("ê" * 70, 1),
    ("ê" * 71, 2),
    ("ê" * 134, 2),
    ("ê" * 135, 3),
    ("😀" * 35, 1),
    ("😀" * 36, 2),
    ("a" * 66 + "😀" + "a" * 10, 2),
    ("é" * 160, 1),  # é is GSM-7
    ("ça va", 1),  # lowercase ç is not: UCS-2, still one part
]


@pytest.mark.parametrize(("text", "parts"), VECTORS)
def test_simulators_bill_the_standards_parts(text: str, parts: int) -> None:
    assert parts_of(text) == parts
