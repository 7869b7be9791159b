"""fanflow/certs.py and `fanflow tls generate`: a CA and per-service certificates with the right
names and uses, keys readable by their owner only, the CA reused on a second run, and bad
input refused with exit 2 naming the option."""
from __future__ import annotations

import stat
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from conftest import ROOT
from fanflow.certs import generate


def _cert(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _sans(cert: x509.Certificate) -> set[str]:
    return {str(v.value) for v in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value}


def _uses(cert: x509.Certificate) -> set:
    return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
        return True
    except Exception:
        return False


def test_generate_writes_a_ca_and_a_certificate_per_service_and_client(tmp_path):
    out = tmp_path / "certs"
    lines = generate(out, ["frontend", "history-a", "matching-a"], clients=["worker"], sans=["localhost", "127.0.0.1"], days=30)
    ca = _cert(out / "ca.pem")
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for name in ("frontend", "history-a", "matching-a"):
        cert = _cert(out / f"{name}.pem")
        assert _signed_by(cert, ca)
        assert _sans(cert) == {name, "localhost", "127.0.0.1"}
        assert _uses(cert) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
        assert 29 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 31
    worker = _cert(out / "worker.pem")
    assert _signed_by(worker, ca) and _uses(worker) == {ExtendedKeyUsageOID.CLIENT_AUTH} and _sans(worker) == {"worker"}
    for key in out.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    assert lines[0].startswith("wrote the CA") and len(lines) == 5


def test_a_second_run_reuses_the_ca_and_keeps_existing_files_unless_forced(tmp_path):
    generate(tmp_path, ["frontend"])
    ca_before, frontend_before = (tmp_path / "ca.pem").read_bytes(), (tmp_path / "frontend.pem").read_bytes()
    lines = generate(tmp_path, ["frontend", "history-b"])
    assert (tmp_path / "ca.pem").read_bytes() == ca_before and (tmp_path / "frontend.pem").read_bytes() == frontend_before
    assert lines[0].startswith("reused the CA") and lines[1].startswith("kept ")
    assert _signed_by(_cert(tmp_path / "history-b.pem"), _cert(tmp_path / "ca.pem"))
    generate(tmp_path, ["frontend"], force=True)
    renewed = _cert(tmp_path / "frontend.pem")
    assert (tmp_path / "frontend.pem").read_bytes() != frontend_before and _signed_by(renewed, _cert(tmp_path / "ca.pem"))
    key = (tmp_path / "frontend.key").read_bytes()
    from cryptography.hazmat.primitives import serialization

    loaded = serialization.load_pem_private_key(key, password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey) and loaded.public_key().public_numbers() == renewed.public_key().public_numbers()


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fanflow.cli", "tls", "generate", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_bad_input_is_refused_naming_the_option(tmp_path):
    cases = [
        (["--out", "c", "--hosts", "front end"], "--hosts: 'front end' is not a host name or IP address"),
        (["--out", "c"], "--hosts: give at least one service name"),
        (["--out", "c", "--hosts", "frontend", "--san", "bad_name!"], "--san: 'bad_name!' is not a host name"),
        (["--out", "c", "--hosts", "frontend,frontend"], "each name once"),
        (["--out", "c", "--hosts", "frontend", "--days", "0"], "--days and --ca-days must be positive"),
    ]
    for args, message in cases:
        done = _cli(*args, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "ca.pem").write_text("x")
    done = _cli("--out", "half", "--hosts", "frontend", cwd=tmp_path)
    assert done.returncode == 2 and "holds ca.pem but not its pair" in done.stderr, done.stderr
    done = _cli("--out", "ok", "--hosts", "frontend", cwd=tmp_path)
    assert done.returncode == 0 and "wrote the CA" in done.stdout, done.stderr
