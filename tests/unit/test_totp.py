"""TOTP codes (oidc_core/factors/totp.py) against RFC 6238 itself: Appendix B's SHA-1 vectors, the ±1 step window of
§5.2, the otpauth URI authenticator apps read, and the enrolment QR code as SVG."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import segno

from oidc_core.factors import totp
from oidc_core.factors.qr_code import qr_svg

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII "12345678901234567890"; each row is (time, T in hex, 8-digit TOTP).
RFC_6238_SHA1 = [
    (59, "0000000000000001", "94287082"),
    (1111111109, "00000000023523EC", "07081804"),
    (1111111111, "00000000023523ED", "14050471"),
    (1234567890, "000000000273EF07", "89005924"),
    (2000000000, "0000000003F940AA", "69279037"),
    (20000000000, "0000000027BC86AA", "65353130"),
]
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(("now", "step_hex", "eight_digits"), RFC_6238_SHA1)
def test_codes_are_rfc_6238_appendix_b(now, step_hex, eight_digits):
    # HOTP truncates to value mod 10^Digit (RFC 4226 §5.3), so a 6-digit code is the 8-digit vector's last six.
    assert totp.step_at(now) == int(step_hex, 16)
    assert totp.code_at_step(RFC_SECRET, totp.step_at(now)) == eight_digits[-6:]


def test_the_parameters_are_the_ones_every_app_reads():
    assert (totp.DIGITS, totp.PERIOD) == (6, 30)
    assert len(totp.code_at_step(RFC_SECRET, 1)) == 6


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_of_the_step_before_now_or_after_is_accepted_and_names_its_step(offset):
    now = 1111111111
    step = totp.step_at(now) + offset
    assert totp.matching_step(RFC_SECRET, totp.code_at_step(RFC_SECRET, step), now) == step


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_a_code_two_steps_or_more_away_is_refused(offset):
    now = 1111111111
    code = totp.code_at_step(RFC_SECRET, totp.step_at(now) + offset)
    assert totp.matching_step(RFC_SECRET, code, now) is None


def test_the_window_follows_the_clock_within_a_step():
    # The last second of a step and the first of the next: each accepts the other's neighbours, not one further.
    step = 50_000_000
    first, last = step * totp.PERIOD, step * totp.PERIOD + totp.PERIOD - 1
    assert totp.matching_step(RFC_SECRET, totp.code_at_step(RFC_SECRET, step + 1), last) == step + 1
    assert totp.matching_step(RFC_SECRET, totp.code_at_step(RFC_SECRET, step - 1), first) == step - 1
    assert totp.matching_step(RFC_SECRET, totp.code_at_step(RFC_SECRET, step + 2), last) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", "１２３４５６", "123 456", None, 123456])
def test_anything_but_six_ascii_digits_is_refused(code):
    assert totp.matching_step(RFC_SECRET, code, 59) is None


def test_a_wrong_code_is_refused():
    now = 1234567890
    right = totp.code_at_step(RFC_SECRET, totp.step_at(now))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert totp.matching_step(RFC_SECRET, wrong, now) is None


def test_a_new_secret_is_160_random_bits_in_base32():
    secrets_made = {totp.new_secret() for _ in range(20)}
    assert len(secrets_made) == 20
    for secret in secrets_made:
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        assert len(base64.b32decode(secret)) == 20


def test_the_provisioning_uri_names_issuer_account_and_every_parameter():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "Example IdP", "alice@example.com")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Example IdP:alice@example.com"
    assert parse_qs(parts.query, strict_parsing=True) == {
        "secret": ["JBSWY3DPEHPK3PXP"], "issuer": ["Example IdP"], "algorithm": ["SHA1"], "digits": ["6"],
        "period": ["30"]}
    assert " " not in uri


def test_a_colon_or_question_mark_in_the_account_cannot_break_the_uri():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "IdP", "a?secret=AAAA&b")
    assert parse_qs(urlsplit(uri).query)["secret"] == ["JBSWY3DPEHPK3PXP"]


def _modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The dark modules a segno SVG path draws: (side in pixels / scale, {(row, column)}), border included."""
    root = ElementTree.fromstring(svg)
    path = root.find("path")
    scale = int(re.fullmatch(r"scale\((\d+)\)", path.get("transform")).group(1))
    dark, x, y = set(), 0.0, 0.0
    for command, numbers in re.findall(r"([MmHhVv])([-\d. ]+)", path.get("d").replace("m", " m").replace("h", " h")):
        values = [float(number) for number in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        elif command == "h":
            dark.update((int(y), int(x) + column) for column in range(int(values[0])))
            x += values[0]
    return int(root.get("width")) // scale, dark


def _finder_pattern_at(dark, top, left) -> bool:
    ring = {(top + r, left + c) for r in range(7) for c in range(7) if r in (0, 6) or c in (0, 6)}
    core = {(top + r, left + c) for r in range(2, 5) for c in range(2, 5)}
    gap = {(top + r, left + c) for r in range(1, 6) for c in range(1, 6)} - core
    return ring <= dark and core <= dark and not gap & dark


def test_the_qr_code_is_an_svg_image_of_the_uri_with_a_text_alternative():
    uri = totp.provisioning_uri(totp.new_secret(), "Example IdP", "alice@example.com")
    svg = qr_svg(uri, "QR code for your authenticator app")
    root = ElementTree.fromstring(svg)
    assert root.tag == "svg" and root.get("role") == "img"
    assert root.find("title").text == "QR code for your authenticator app"
    assert "<script" not in svg and "style=" not in svg  # nothing a strict CSP without unsafe-inline would block
    side, dark = _modules(svg)
    border = 4
    size = side - 2 * border
    assert (size - 17) % 4 == 0  # a QR symbol is 4 x version + 17 modules wide (ISO/IEC 18004 §6.3.1)
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        assert _finder_pattern_at(dark, border + top, border + left)
    # The modules are those of the URI's own symbol, not of something else.
    expected = segno.make(uri, error="m", micro=False)
    assert {(r + border, c + border) for r, row in enumerate(expected.matrix) for c, on in enumerate(row) if on} == dark


def test_what_an_enrolment_shows_is_not_in_its_repr():
    enrolment = totp.Enrolment(secret="JBSWY3DPEHPK3PXP", uri="otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", qr_svg="<svg/>")
    assert "JBSWY3DPEHPK3PXP" not in repr(enrolment)
