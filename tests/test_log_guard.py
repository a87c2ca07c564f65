"""The log guard of ``conftest.py`` sees what it must: else the whole suite proves nothing."""

from __future__ import annotations

import pytest

from tests.conftest import leaks_in


@pytest.mark.parametrize(
    "line",
    [
        "POST https://api.example/send {'numero': '33612345678'}",
        "reply from +33612345678",
        "reply from 0612345678",
        "account holder demo@example.invalid",
        "GET /api/webhook/0123abcd",
        "id " + "ab12" * 16,
        "{'firstName': 'Texto'}",
        "text 'Désarmer 1'",
        "key demo-smsmode-token",
    ],
)
def test_each_kind_of_leak_is_caught(line: str) -> None:
    assert leaks_in(line)


@pytest.mark.parametrize(
    "line",
    [
        "POST https://api.example/send {'numero': '***', 'diff': '022503122026'}",
        "reply from +336***78",
        "account holder ***@example.invalid",
        "Mail2SMS 5d0fd8be78ec456f838e12d061713519: e-mail to mail2sms@allmysms.com",
        "Refused a callback for Alarme maison (too many fields)",
        "float -9.148078777334747e150",
    ],
)
def test_masked_forms_and_ids_pass(line: str) -> None:
    assert leaks_in(line) == []
