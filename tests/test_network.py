"""One description of a failed connection and one test of an inward address, shared by
`digest fetch` and `digest check --links`."""

from __future__ import annotations

import http.client
import socket

import pytest

from digest.authoring.network import failure_reason, not_global


def test_failures_in_words():
    dns = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert failure_reason(dns, 1) == "cannot find the server (DNS: Name or service not known)"
    assert failure_reason(TimeoutError(), 0.5) == "timed out: no answer within 0.5 s"
    assert failure_reason(ConnectionResetError(), 1) == (
        "the server closed the connection without answering"
    )
    assert failure_reason(http.client.BadStatusLine("x"), 1) == "broken HTTP answer (BadStatusLine)"


@pytest.mark.parametrize(
    ("host", "inward"),
    [
        ("127.0.0.1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),  # an IPv4 address written as IPv6
        ("10.1.2.3", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),
        ("localhost", True),
        ("8.8.8.8", False),
        ("[2001:4860:4860::8888]", False),
    ],
)
def test_not_global(host, inward):
    assert not_global(host, 80) is inward
