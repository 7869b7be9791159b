"""fanflow/tls.py on its own: reading the files (each problem names the setting and the file),
saying what is wrong with a certificate in OpenSSL's words, re-reading changed files (and
keeping the old set when the new one is half written), and the config's TLS rules."""
from __future__ import annotations

import os

import pytest

from fanflow import tls
from fanflow.config import ClusterConfig
from support.certs import CertificateAuthority


@pytest.fixture
def ca(tmp_path):
    return CertificateAuthority(tmp_path / "ca")


def test_a_good_set_loads_and_has_no_problem(ca):
    leaf = ca.issue("history")
    pem = tls.load(leaf.cert_file, leaf.key_file, ca.ca_file)
    assert pem.cert == leaf.cert_pem and pem.key == leaf.key_pem and pem.ca == ca.cert_pem
    assert tls.certificate_problem(pem) is None
    tls.check_usable(pem, leaf.cert_file, ca_file=ca.ca_file)


def test_an_expired_certificate_is_refused_at_start_naming_the_setting(ca):
    old = ca.issue("old", expired=True)
    pem = tls.load(old.cert_file, old.key_file, ca.ca_file)
    assert tls.certificate_problem(pem).startswith("certificate has expired (not valid after ")
    with pytest.raises(tls.TlsFileError, match=r"tls_cert_file .*old\.crt: certificate has expired"):
        tls.check_usable(pem, old.cert_file, ca_file=ca.ca_file)


def test_a_certificate_not_yet_valid_says_so(ca):
    early = ca.issue("early", not_yet_valid=True)
    assert tls.certificate_problem(tls.load(early.cert_file, early.key_file)).startswith("certificate is not yet valid")


def test_a_certificate_of_another_ca_is_refused_naming_both_files(ca, tmp_path):
    stranger = CertificateAuthority(tmp_path / "other", "other CA").issue("stranger")
    pem = tls.load(stranger.cert_file, stranger.key_file, ca.ca_file)
    assert "is not signed by a CA in the trusted bundle (unable to get local issuer certificate)" in tls.certificate_problem(pem)
    with pytest.raises(tls.TlsFileError, match=r"tls_cert_file .*stranger\.crt \(checked against tls_ca_file .*\): certificate 'CN=stranger"):
        tls.check_usable(pem, stranger.cert_file, ca_file=ca.ca_file)


def test_unusable_files_name_the_setting_and_never_show_key_bytes(ca, tmp_path):
    leaf, other = ca.issue("a"), ca.issue("b")
    with pytest.raises(tls.TlsFileError, match=r"tls_cert_file .*missing\.crt: cannot be read"):
        tls.load(str(tmp_path / "missing.crt"), leaf.key_file)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(tls.TlsFileError, match=r"tls_ca_file .*garbage\.pem: is not a PEM file"):
        tls.load(leaf.cert_file, leaf.key_file, str(garbage))
    with pytest.raises(tls.TlsFileError, match=r"tls_key_file .*b\.key: this key does not belong to the certificate") as wrong_key:
        tls.load(leaf.cert_file, other.key_file)
    broken_key = tmp_path / "broken.key"
    broken_key.write_bytes(other.key_pem.replace(b"\n", b"\n#", 3))
    with pytest.raises(tls.TlsFileError, match=r"tls_key_file .*broken\.key: is not an unencrypted PEM private key") as broken:
        tls.load(leaf.cert_file, str(broken_key))
    body = other.key_pem.decode().splitlines()[1]
    assert body not in str(wrong_key.value) and body not in str(broken.value)


def test_the_sdk_names_its_own_options(ca, tmp_path):
    settings = tls.Settings("tls_cert_file", "tls_key_file", "tls_ca_file")
    with pytest.raises(tls.TlsFileError, match=r"^tls_key_file "):
        tls.load(ca.issue("x").cert_file, str(tmp_path / "nope.key"), settings=settings)


def _bump(path: str) -> None:
    """Make sure the file's stamp differs even on a coarse-mtime file system."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_changed_files_are_re_read_and_a_half_written_set_is_not_taken(ca):
    first = ca.issue("svc", file_stem="svc")
    files = tls.TlsFiles(first.cert_file, first.key_file, ca.ca_file)
    assert not files.reload_if_changed()
    assert files.version == 1

    second = ca.issue("svc", file_stem="svc")
    _bump(second.cert_file)
    assert files.reload_if_changed()
    assert files.version == 2 and files.current.cert == second.cert_pem

    # the certificate replaced, its key not yet: keep using the previous pair
    third = ca.issue("svc-next", file_stem="svc-next")
    with open(first.cert_file, "wb") as out:
        out.write(third.cert_pem)
    _bump(first.cert_file)
    assert not files.reload_if_changed()
    assert files.current.cert == second.cert_pem
    # ... until the key arrives
    with open(first.key_file, "wb") as out:
        out.write(third.key_pem)
    _bump(first.key_file)
    assert files.reload_if_changed()
    assert files.current.cert == third.cert_pem and files.version == 3


def test_client_credentials_follow_the_files(ca):
    leaf = ca.issue("client", file_stem="client")
    client = tls.ClientTls(tls.TlsFiles(leaf.cert_file, leaf.key_file, ca.ca_file))
    first = client.credentials()
    assert client.credentials() is first and not client.changed()
    ca.issue("client", file_stem="client")
    _bump(leaf.cert_file)
    client._checked -= tls.CHECK_INTERVAL  # the next check is due now
    assert client.changed()
    assert client.credentials() is not first and not client.changed()


def test_a_refusal_is_explained_from_this_sides_certificate(ca):
    old = ca.issue("old", expired=True)
    expired = tls.load(old.cert_file, old.key_file, ca.ca_file)
    closed = "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket closed"
    explanation = tls.explain_refusal(closed, expired, cert_file=old.cert_file)
    assert "refused this process's TLS certificate" in explanation and "certificate has expired" in explanation
    good = ca.issue("good")
    assert tls.explain_refusal(closed, tls.load(good.cert_file, good.key_file, ca.ca_file)) is None
    assert "set tls_cert_file and tls_key_file" in tls.explain_refusal(closed, None)
    assert tls.explain_refusal("Deadline Exceeded", expired) is None


def test_config_tls_rules(ca, tmp_path):
    leaf = ca.issue("svc")
    base = {"data_dir": tmp_path}
    with pytest.raises(ValueError, match="tls_cert_file is set but tls_key_file is not"):
        ClusterConfig(**base, tls_cert_file=leaf.cert_file)
    with pytest.raises(ValueError, match="tls_ca_file is set but tls_cert_file / tls_key_file are not"):
        ClusterConfig(**base, tls_ca_file=ca.ca_file)
    with pytest.raises(ValueError, match="frontend_client_auth needs TLS"):
        ClusterConfig(**base, frontend_client_auth=True)
    plain_tls = ClusterConfig(**base, tls_cert_file=leaf.cert_file, tls_key_file=leaf.key_file)
    assert plain_tls.tls_enabled and not plain_tls.mutual_tls
    mutual = ClusterConfig(**base, tls_cert_file=leaf.cert_file, tls_key_file=leaf.key_file, tls_ca_file=ca.ca_file)
    assert mutual.mutual_tls


def test_config_reads_tls_settings_from_the_environment(ca, monkeypatch):
    leaf = ca.issue("svc")
    monkeypatch.setenv("FANFLOW_TLS_CERT_FILE", leaf.cert_file)
    monkeypatch.setenv("FANFLOW_TLS_KEY_FILE", leaf.key_file)
    monkeypatch.setenv("FANFLOW_TLS_CA_FILE", ca.ca_file)
    monkeypatch.setenv("FANFLOW_FRONTEND_CLIENT_AUTH", "true")
    config = ClusterConfig.load(None)
    assert config.mutual_tls and config.frontend_client_auth and config.tls_ca_file == ca.ca_file
