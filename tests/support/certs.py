"""Certificates for the TLS tests, made with the `cryptography` package: a CA, certificates
it signs (for services and clients, valid for 127.0.0.1 / localhost), an expired one, and a
second CA the cluster does not trust."""
from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = datetime.timezone.utc


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fanflow tests"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@dataclass
class Issued:
    cert_file: str
    key_file: str
    cert_pem: bytes
    key_pem: bytes


class CertificateAuthority:
    """A CA whose certificate and key live under `folder`; `issue` writes a leaf pair there."""

    def __init__(self, folder: Path, name: str = "fanflow test CA"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self.ca_file = str(self.folder / f"{self._slug(name)}.pem")
        Path(self.ca_file).write_bytes(self.cert_pem)

    @staticmethod
    def _slug(text: str) -> str:
        return "".join(c if c.isalnum() else "-" for c in text).strip("-")

    def issue(self, common_name: str, *, expired: bool = False, not_yet_valid: bool = False, valid_for: float | None = None,
              file_stem: str | None = None) -> Issued:
        """A certificate for `common_name`, usable as a server's (127.0.0.1, localhost) and a
        client's; `expired`: valid from 10 days ago until yesterday; `valid_for`: expires that
        many seconds from now."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(UTC)
        if expired:
            not_before, not_after = now - datetime.timedelta(days=10), now - datetime.timedelta(days=1)
        elif valid_for is not None:
            not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(seconds=valid_for)
        elif not_yet_valid:
            not_before, not_after = now + datetime.timedelta(days=1), now + datetime.timedelta(days=10)
        else:
            not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=10)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.DNSName(common_name),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        stem = file_stem or self._slug(common_name)
        cert_pem, key_pem = cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)
        cert_file, key_file = self.folder / f"{stem}.crt", self.folder / f"{stem}.key"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        key_file.chmod(0o600)
        return Issued(str(cert_file), str(key_file), cert_pem, key_pem)
