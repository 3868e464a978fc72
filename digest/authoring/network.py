"""What `fetch` and `check --links` say about the network, in one place.

Both make requests on the author's behalf to addresses a feed or an issue named, so
both refuse to be redirected into this machine or its network, and both describe a
failed connection in the same words.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl


def not_global(host: str, port: int | None = None) -> bool:
    """Whether `host` is, or its name resolves to, an address that is not on the public
    internet (loopback, private, link-local, multicast; an IPv4 address written as IPv6
    too). A name that does not resolve is let through: connecting will fail."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return False
        addresses = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in found]
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return True
    return False


def failure_reason(error: object, timeout: float) -> str:
    """A failed connection, in words an author can act on."""
    if isinstance(error, socket.gaierror):
        return f"cannot find the server (DNS: {error.strerror})"
    if isinstance(error, TimeoutError):
        return f"timed out: no answer within {timeout:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError | http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return f"TLS error ({error.reason or error})"
    if isinstance(error, http.client.HTTPException):
        return f"broken HTTP answer ({type(error).__name__})"
    if isinstance(error, OSError):
        return f"connection failed ({error.strerror or error})"
    return str(error)
