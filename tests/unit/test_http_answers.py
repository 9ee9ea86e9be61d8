"""What oidc_core.http decides from an event's headers and how it renders answers."""

from __future__ import annotations

import pytest

from oidc_core.http import source_ip

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
