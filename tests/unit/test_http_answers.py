"""What oidc_core.http decides from an event's headers and how it renders answers."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings, strategies as st

from oidc_core.endpoints.authing.envelope import error_envelope
from oidc_core.errors import OAuthError, bearer_error
from oidc_core.http import oauth_error_response, source_ip

PROPERTIES = settings(max_examples=300, derandomize=True, deadline=None, database=None, print_blob=False)

PEER = "192.0.2.99"  # API Gateway's sourceIp: the proxy nearest to it


@pytest.mark.parametrize(("forwarded_for", "hops", "caller"), [
    (None, 1, PEER),
    ("203.0.113.5", 0, PEER),  # no proxy trusted: the header is the client's own writing
    # One proxy (CloudFront): it appended the client it saw; API Gateway may append the proxy itself.
    ("203.0.113.5", 1, "203.0.113.5"),
    (f"203.0.113.5, {PEER}", 1, "203.0.113.5"),
    (f"6.6.6.6, 203.0.113.5, {PEER}", 1, "203.0.113.5"),
    ("6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),
    # Two proxies: CDN then load balancer; the load balancer appended the CDN's address.
    ("203.0.113.5, 198.51.100.20", 2, "203.0.113.5"),
    (f"203.0.113.5, 198.51.100.20, {PEER}", 2, "203.0.113.5"),
    # Fewer entries than hops: the request came around our proxies, and every entry is the sender's pick.
    ("6.6.6.6", 2, PEER),
    (f"6.6.6.6, {PEER}", 2, PEER),
    (PEER, 1, PEER),
    (" , ,", 1, PEER),
])
def test_the_caller_is_the_hops_th_entry_from_the_right_not_counting_the_gateways_peer(forwarded_for, hops, caller):
    assert source_ip(PEER, forwarded_for, hops) == caller


# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
RFC_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")


@PROPERTIES
@given(description=st.text(min_size=1, max_size=3000))
def test_every_rendered_error_description_is_rfc_6749_text_and_bounded(description):
    for error in (OAuthError("invalid_request", description), bearer_error("invalid_token", description)):
        rendered = json.loads(oauth_error_response(error).body)["error_description"]
        assert RFC_DESCRIPTION.fullmatch(rendered) and len(rendered) <= 256
        assert error_envelope(error)["message"] == rendered
    challenge = bearer_error("invalid_token", description).headers["WWW-Authenticate"]
    quoted = challenge.split('error_description="', 1)[1]
    assert quoted.endswith('"') and '"' not in quoted[:-1] and "\\" not in quoted  # one quoted-string, unbroken
