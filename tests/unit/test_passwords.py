import pytest

from oidc_core.passwords import hashing
from oidc_core.config import OWASP_MINIMUM_ARGON2, Argon2Parameters


@pytest.fixture(scope="module")
def stored():
    return hashing.hash_password("pässwörd 😀", OWASP_MINIMUM_ARGON2)


def test_hash_is_an_argon2id_phc_string_with_owasp_parameters(stored):
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hashing.parameters_of(stored) == OWASP_MINIMUM_ARGON2


def test_hashes_are_salted(stored):
    assert hashing.hash_password("pässwörd 😀", OWASP_MINIMUM_ARGON2) != stored


def test_verify(stored):
    assert hashing.verify_password("pässwörd 😀", stored)
    assert not hashing.verify_password("pässwörd", stored)
    assert not hashing.verify_password("", stored)


@pytest.mark.parametrize("bad_hash", ["", "plaintext", "$argon2i$v=19$m=16,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$garbage"])
def test_an_unreadable_hash_never_verifies_and_never_raises(bad_hash):
    assert not hashing.verify_password("anything", bad_hash)


def test_needs_rehash_when_stored_parameters_are_weaker():
    weak = hashing.hash_password("pw", Argon2Parameters(8192, 1, 1))
    strong = hashing.hash_password("pw", Argon2Parameters(32768, 3, 1))
    assert hashing.needs_rehash(weak, OWASP_MINIMUM_ARGON2)
    assert not hashing.needs_rehash(strong, OWASP_MINIMUM_ARGON2)
    assert hashing.needs_rehash(strong, Argon2Parameters(65536, 3, 1))
    assert hashing.needs_rehash("not a hash", OWASP_MINIMUM_ARGON2)


def test_dummy_verification_uses_the_configured_parameters():
    parameters = Argon2Parameters(20000, 2, 1)
    hashing.verify_against_dummy("x", parameters)
    assert hashing.parameters_of(hashing._dummy_hash(parameters)) == parameters
