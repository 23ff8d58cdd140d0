"""Loaded by the app server the browser tests start (its PYTHONPATH holds this folder): when
EVALBOARD_NET_GUARD names a file, every attempt to resolve a host name or connect beyond loopback is written
to that file and refused, so a test can assert the server sent nothing anywhere (not even a DNS query)."""

import ipaddress
import os
import socket

_LOG = os.environ.get("EVALBOARD_NET_GUARD")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _loopback(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%")[0]
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False  # a name that DNS would have to resolve


def _refuse(what: str) -> None:
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(what + "\n")


if _LOG:
    with open(_LOG + ".active", "w", encoding="utf-8") as marker:  # the test checks the guard really loaded
        marker.write(str(os.getpid()))
    _getaddrinfo = socket.getaddrinfo
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            _refuse(f"resolve {host}")
            raise socket.gaierror(socket.EAI_NONAME, "refused by the test's network guard")
        return _getaddrinfo(host, *args, **kwargs)

    def _check(sock, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            _refuse(f"connect {address[0]}:{address[1]}")
            raise OSError(101, "refused by the test's network guard")  # ENETUNREACH

    def connect(self, address):
        _check(self, address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return _connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
