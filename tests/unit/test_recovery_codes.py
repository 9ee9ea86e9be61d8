"""Recovery codes (oidc_core/factors/recovery_codes.py) without AWS: their shape, entropy, reading and digests. Using
them once, and a new set ending the old, are in tests/integration/test_factor_stores.py against the table."""

from __future__ import annotations

import math
import re

import pytest

from oidc_core.factors import recovery_codes


def test_a_code_is_grouped_for_reading_and_carries_enough_entropy():
    code = recovery_codes.formatted(recovery_codes._new_code())
    assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}", code)
    bits = recovery_codes.LENGTH * math.log2(len(set(recovery_codes.ALPHABET)))
    assert bits >= 60  # with the password still needed, and a search per user (the sub is in the digest)


def test_codes_are_not_repeated():
    made = {recovery_codes._new_code() for _ in range(2000)}
    assert len(made) == 2000


@pytest.mark.parametrize("typed", ["abcd-efgh-jkmn", "ABCD EFGH JKMN", " abcdefghjkmn ", "ABCD-EFGH-JKMN"])
def test_case_spaces_and_hyphens_do_not_matter(typed):
    assert recovery_codes.normalized(typed) == "abcdefghjkmn"


def test_letters_that_look_like_digits_read_as_the_digits():
    assert recovery_codes.normalized("OIL0-1111-0000") == "0110" + "1111" + "0000"


@pytest.mark.parametrize("typed", ["", "abcd-efgh-jkm", "abcd-efgh-jkmnp", "abcd-efgh-jkmu", "abcd/efgh/jkmn",
                                   "x" * 10_000, None, 123])
def test_anything_else_is_no_code(typed):
    assert recovery_codes.normalized(typed) is None


def test_the_digest_binds_the_code_to_its_user_and_hides_it():
    code = "abcdefghjkmn"
    digest = recovery_codes.digest("user-1", code)
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and code not in digest
    assert digest != recovery_codes.digest("user-2", code)
    assert digest == recovery_codes.digest("user-1", recovery_codes.normalized("ABCD-EFGH-JKMN"))
