"""Value detectors inside free text, with checksums for cards and IBANs."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pgbridge.masking.detectors import DETECTOR_KINDS_ORDER, detect_and_mask, iban_valid, luhn_valid

ALL = DETECTOR_KINDS_ORDER


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("mail alice.secret@example.co.uk now", "email", "mail **** now"),
        ("card 4111 1111 1111 1111 ok", "card", "card **** ok"),
        ("card 4111-1111-1111-1111", "card", "card ****"),
        ("ssn 123-45-6789.", "ssn", "ssn ****."),
        ("iban GB82 WEST 1234 5698 7654 32 ok", "iban", "iban **** ok"),
        ("iban DE89370400440532013000", "iban", "iban ****"),
        ("call (202) 555-0143 today", "phone", "call **** today"),
        ("call +1 202.555.0143", "phone", "call ****"),
    ],
)
def test_each_kind_is_masked_in_free_text(text: str, kind: str, expected: str) -> None:
    assert detect_and_mask(pa.array([text, None]), [kind]).to_pylist() == [expected, None]


def test_checksums_keep_look_alikes() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82WEST12345698765432") and not iban_valid("GB83WEST12345698765432")
    text = "order 4111 1111 1111 1112 and GB83 WEST 1234 5698 7654 32"
    assert detect_and_mask(pa.array([text]), ["card", "iban"]).to_pylist() == [text]


def test_plain_text_and_other_types_pass_untouched() -> None:
    assert detect_and_mask(pa.array(["order 12345 shipped"]), ALL).to_pylist() == ["order 12345 shipped"]
    ints = pa.array([4111111111111111])
    assert detect_and_mask(ints, ALL) is ints


def test_custom_replacement_and_large_string() -> None:
    arr = pa.array(["x 123-45-6789"], pa.large_string())
    out = detect_and_mask(arr, ["ssn"], "[ssn]")
    assert out.type == pa.large_string() and out.to_pylist() == ["x [ssn]"]
