"""The local CA: files and modes, the name constraints that TLS clients enforce, the leaf it issues."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509

from storeflight.intercept import INTERCEPTED_HOSTS, ca


def test_create_writes_the_key_owner_only_and_the_certificate_as_a_constrained_ca(tmp_path: Path) -> None:
    authority = ca.create(tmp_path / "ca")
    assert stat.S_IMODE((tmp_path / "ca" / ca.CA_KEY).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ca").stat().st_mode) == 0o700
    cert = authority.cert
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    constraints = cert.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert authority.permitted_hosts == list(INTERCEPTED_HOSTS)
    assert {str(n.value) for n in constraints.value.excluded_subtrees or ()} == {"0.0.0.0/0", "::/0"}
    assert len(authority.fingerprint.split(":")) == 32


def test_load_finds_the_same_ca_and_load_or_create_keeps_it(tmp_path: Path) -> None:
    made, created = ca.load_or_create(tmp_path)
    again, created_again = ca.load_or_create(tmp_path)
    assert created and not created_again
    assert again.fingerprint == made.fingerprint


def test_load_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ca.AuthorityError, match="storeflight ca init"):
        ca.load(tmp_path)
    ca.create(tmp_path / "a")
    ca.create(tmp_path / "b")
    (tmp_path / "a" / ca.CA_KEY).write_bytes((tmp_path / "b" / ca.CA_KEY).read_bytes())
    with pytest.raises(ca.AuthorityError, match="does not belong"):
        ca.load(tmp_path / "a")
    (tmp_path / "b" / ca.CA_CERT).write_text("not a certificate")
    with pytest.raises(ca.AuthorityError, match="cannot be read"):
        ca.load(tmp_path / "b")


def _handshake(authority: ca.Authority, hosts: list[str], server_name: str) -> None:
    """A real TLS handshake: a server with a leaf for `hosts`, a client trusting only the CA."""
    cert, key = authority.issue_leaf(hosts)
    folder = authority.folder
    (folder / "leaf.pem").write_bytes(cert)
    (folder / "leaf-key.pem").write_bytes(key)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(folder / "leaf.pem", folder / "leaf-key.pem")
    client_context = ssl.create_default_context(cafile=str(authority.cert_path))
    left, right = socket.socketpair()

    def serve() -> None:
        try:
            with server_context.wrap_socket(right, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_context.wrap_socket(left, server_hostname=server_name) as tls:
            tls.sendall(b"x")
    finally:
        left.close()
        thread.join(10)


@pytest.mark.parametrize("host", INTERCEPTED_HOSTS)
def test_the_leaf_verifies_for_each_intercepted_host(tmp_path: Path, host: str) -> None:
    _handshake(ca.create(tmp_path), list(INTERCEPTED_HOSTS), host)


def test_a_leaf_for_any_other_name_is_rejected_by_tls_clients(tmp_path: Path) -> None:
    """Even with the CA trusted, it cannot vouch for other hosts: its name constraints stop the chain."""
    with pytest.raises(ssl.SSLCertVerificationError, match=r"name constraint|permitted"):
        _handshake(ca.create(tmp_path), ["www.example.com"], "www.example.com")


def test_leaf_names_the_hosts_and_is_short_lived(tmp_path: Path) -> None:
    authority = ca.create(tmp_path)
    cert_path, key_path = authority.write_leaf()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    chain = x509.load_pem_x509_certificates(cert_path.read_bytes())
    assert chain[1] == authority.cert  # the chain carries the CA after the leaf
    leaf = chain[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == list(INTERCEPTED_HOSTS)
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days <= ca.LEAF_DAYS + 1
