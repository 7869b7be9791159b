"""TLS material from files: this process's certificate and key, and the CA bundle it trusts.

Every fanflow process that has `tls_cert_file` / `tls_key_file` serves TLS with them and
presents the same certificate as a client when it calls another service; `tls_ca_file` is
the bundle both sides check the other against (history and matching require a client
certificate signed by it: mutual TLS).

Rotation without a restart: the files are re-read when they change on disk (size, mtime
or inode). A server checks them before each new TLS handshake (grpc's certificate
configuration fetcher); a client every `CHECK_INTERVAL` seconds, after which new calls go
over new connections with the new files. A half-written set (a key that does not match
its certificate, a file that does not parse) is not taken: the previous one stays in use
and the problem is logged once.

What is wrong with a certificate is said in OpenSSL's words where it has them ("certificate
has expired", "certificate is not yet valid"), so the refused side's message and gRPC's own
handshake log line agree. Parsing certificates needs the `cryptography` package (in the
`server` extra); without it the files are still used, only not diagnosed.
"""
from __future__ import annotations

import datetime
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import structlog

log = structlog.get_logger("fanflow.tls")

CHECK_INTERVAL = 1.0  # seconds between a client's checks of its files for a change


class TlsFileError(ValueError):
    """A TLS setting that cannot be used: the message names the setting and the file."""


@dataclass(frozen=True)
class Pem:
    """One consistent set of PEM bytes (the chain, its key, the trusted CA bundle)."""

    cert: bytes
    key: bytes
    ca: bytes | None
    not_after: datetime.datetime | None = None  # of the leaf certificate, when it could be parsed


@dataclass(frozen=True)
class Settings:
    """The setting names a message names (they differ between a service's config and the SDK)."""

    cert: str = "tls_cert_file"
    key: str = "tls_key_file"
    ca: str = "tls_ca_file"


def _read(path: str, setting: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TlsFileError(f"{setting} {path}: cannot be read ({exc.strerror or exc})") from None
    if b"-----BEGIN" not in data:
        raise TlsFileError(f"{setting} {path}: is not a PEM file (no '-----BEGIN' line)")
    return data


def _x509():
    try:
        from cryptography import x509
    except ModuleNotFoundError:  # the SDK alone: files are used as they are, without a diagnosis
        return None
    return x509


def _certificates(data: bytes, setting: str, path: str) -> list:
    x509 = _x509()
    if x509 is None:
        return []
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise TlsFileError(f"{setting} {path}: is not a PEM certificate ({exc})") from None


def _utc(cert, attribute: str) -> datetime.datetime:
    value = getattr(cert, f"{attribute}_utc", None)  # cryptography >= 42
    return value if value is not None else getattr(cert, attribute).replace(tzinfo=datetime.timezone.utc)


def validity_problem(cert, now: datetime.datetime | None = None) -> str | None:
    """'certificate has expired (...)' / 'certificate is not yet valid (...)', else None."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_after, not_before = _utc(cert, "not_valid_after"), _utc(cert, "not_valid_before")
    if now > not_after:
        return f"certificate has expired (not valid after {not_after:%Y-%m-%d %H:%M:%S} UTC)"
    if now < not_before:
        return f"certificate is not yet valid (not valid before {not_before:%Y-%m-%d %H:%M:%S} UTC)"
    return None


def _issued_by(cert, issuer) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - InvalidSignature, a key type that cannot sign: not its issuer
        return False
    return True


def chain_problem(chain: list, cas: list) -> str | None:
    """None when the leaf (chain[0]) leads, through the chain's other certificates, to a
    certificate of the CA bundle; else what is missing."""
    if not chain or not cas:
        return None
    current, others = chain[0], list(chain[1:])
    for _ in range(8):
        if any(ca == current or _issued_by(current, ca) for ca in cas):
            return None
        parent = next((c for c in others if _issued_by(current, c)), None)
        if parent is None:
            break
        others.remove(parent)
        current = parent
    return f"certificate {chain[0].subject.rfc4514_string()!r} is not signed by a CA in the trusted bundle (unable to get local issuer certificate)"


def _key_matches(cert, key_pem: bytes, setting: str, path: str) -> None:
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        # never echo the key's bytes: say what is wrong with the file only
        raise TlsFileError(f"{setting} {path}: is not an unencrypted PEM private key ({type(exc).__name__})") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.PEM, public) != cert.public_key().public_bytes(serialization.Encoding.PEM, public):
        raise TlsFileError(f"{setting} {path}: this key does not belong to the certificate")


def load(cert_file: str, key_file: str, ca_file: str | None = None, settings: Settings = Settings()) -> Pem:
    """Read and check one set of files. Raises TlsFileError naming the setting: a file that
    cannot be read, is not PEM, or a key that is not the certificate's."""
    cert_pem, key_pem = _read(cert_file, settings.cert), _read(key_file, settings.key)
    ca_pem = _read(ca_file, settings.ca) if ca_file else None
    chain = _certificates(cert_pem, settings.cert, cert_file)
    if ca_pem is not None:
        _certificates(ca_pem, settings.ca, ca_file)
    not_after = None
    if chain:
        _key_matches(chain[0], key_pem, settings.key, key_file)
        not_after = _utc(chain[0], "not_valid_after")
    return Pem(cert_pem, key_pem, ca_pem, not_after)


def load_ca(ca_file: str, setting: str = "tls_ca_file") -> bytes:
    data = _read(ca_file, setting)
    _certificates(data, setting, ca_file)
    return data


def certificate_problem(pem: Pem, now: datetime.datetime | None = None) -> str | None:
    """What would make a peer refuse this process's certificate, as far as it can tell from
    its own files: expired, not yet valid, not signed by the CA bundle. None when fine (or
    when `cryptography` is not installed)."""
    problem = _validity_of_chain(pem, now)
    return problem if problem is not None else _trust_of_chain(pem)


def _validity_of_chain(pem: Pem, now: datetime.datetime | None = None) -> str | None:
    if _x509() is None:
        return None
    chain = _certificates(pem.cert, "tls_cert_file", "")
    for cert in chain:
        problem = validity_problem(cert, now)
        if problem is not None:
            return problem if cert is chain[0] else f"its issuer {cert.subject.rfc4514_string()!r}: {problem}"
    return None


def _trust_of_chain(pem: Pem) -> str | None:
    if _x509() is None or pem.ca is None:
        return None
    return chain_problem(_certificates(pem.cert, "tls_cert_file", ""), _certificates(pem.ca, "tls_ca_file", ""))


def check_usable(pem: Pem, cert_file: str, settings: Settings = Settings(), ca_file: str | None = None) -> None:
    """At start-up: refuse a certificate peers would refuse (TlsFileError naming the setting)."""
    problem = _validity_of_chain(pem)
    if problem is not None:
        raise TlsFileError(f"{settings.cert} {cert_file}: {problem}")
    problem = _trust_of_chain(pem)
    if problem is not None:
        raise TlsFileError(f"{settings.cert} {cert_file} (checked against {settings.ca} {ca_file}): {problem}")


def _stamp(path: str | None) -> tuple:
    if not path:
        return ()
    try:
        st = os.stat(path)
    except OSError:
        return (path, None)
    return (path, st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass
class TlsFiles:
    """This process's TLS files, read at start and re-read when they change on disk."""

    cert_file: str
    key_file: str
    ca_file: str | None = None
    settings: Settings = Settings()
    role: str = ""  # for log lines: which side uses them
    current: Pem = field(init=False)
    version: int = field(default=1, init=False)
    _stamps: tuple = field(default=(), init=False)
    _refused_stamps: tuple = field(default=(), init=False)
    _expiry_logged: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._stamps = self._current_stamps()
        self.current = load(self.cert_file, self.key_file, self.ca_file, self.settings)

    def _current_stamps(self) -> tuple:
        return (_stamp(self.cert_file), _stamp(self.key_file), _stamp(self.ca_file))

    def reload_if_changed(self) -> bool:
        """Re-read the files if one changed; True when a new set was taken. A set that does
        not load (half written, a key of another certificate) is skipped with one warning."""
        stamps = self._current_stamps()
        if stamps == self._stamps or stamps == self._refused_stamps:
            self.note_expiry()
            return False
        with self._lock:
            if stamps == self._stamps:
                return False
            try:
                pem = load(self.cert_file, self.key_file, self.ca_file, self.settings)
            except TlsFileError as exc:
                self._refused_stamps = stamps
                log.warning("TLS files changed but cannot be used yet; keeping the previous ones", role=self.role, problem=str(exc))
                return False
            self.current, self._stamps, self.version = pem, stamps, self.version + 1
            self._expiry_logged = False
        problem = certificate_problem(pem)
        log.info("TLS files re-read", role=self.role, cert=self.cert_file, ca=self.ca_file or "", version=self.version,
                 **({"problem": problem} if problem else {}))
        return True

    def note_expiry(self) -> None:
        """Log once when this process's certificate passes its expiry while in use: from then
        on peers refuse every new connection it makes."""
        not_after = self.current.not_after
        if not_after is None or self._expiry_logged or datetime.datetime.now(datetime.timezone.utc) <= not_after:
            return
        self._expiry_logged = True
        log.error(
            f"this process's TLS certificate has expired: peers refuse its new connections; replace {self.settings.cert} "
            "(the file is re-read when it changes)",
            role=self.role, cert=self.cert_file, problem=f"certificate has expired (not valid after {not_after:%Y-%m-%d %H:%M:%S} UTC)",
        )


# ------------------------------------------------------------------ servers
def server_credentials(files: TlsFiles, *, require_client_auth: bool, client_ca_file: str | None = None) -> grpc.ServerCredentials:
    """TLS server credentials that follow the files (before each handshake). With
    require_client_auth a caller must present a certificate signed by the CA bundle
    (client_ca_file, else the files' own tls_ca_file)."""
    client_ca = TlsCaFile(client_ca_file) if client_ca_file else None

    def configuration() -> grpc.ServerCertificateConfiguration:
        pem = files.current
        roots = client_ca.current if client_ca is not None else pem.ca
        return grpc.ssl_server_certificate_configuration([(pem.key, pem.cert)], root_certificates=roots if require_client_auth else None)

    if require_client_auth and (client_ca.current if client_ca is not None else files.current.ca) is None:
        raise TlsFileError(f"client certificates are required but no CA bundle is set ({files.settings.ca})")

    def fetch() -> grpc.ServerCertificateConfiguration | None:
        # Called by gRPC before each new handshake, on its own thread: must not raise.
        try:
            changed = files.reload_if_changed()
            if client_ca is not None:
                changed = client_ca.reload_if_changed() or changed
            return configuration() if changed else None
        except Exception as exc:  # noqa: BLE001 - keep serving with what we have
            log.warning("could not re-read the TLS files; keeping the previous ones", role=files.role, error=str(exc))
            return None

    return grpc.dynamic_ssl_server_credentials(configuration(), fetch, require_client_authentication=require_client_auth)


@dataclass
class TlsCaFile:
    """A CA bundle on its own (the frontend's bundle for workers' certificates, the SDK's
    bundle for the frontend's), re-read when it changes."""

    path: str
    setting: str = "frontend_client_ca_file"
    current: bytes = field(init=False)
    version: int = field(default=1, init=False)
    _stamp: tuple = field(init=False)

    def __post_init__(self) -> None:
        self._stamp = _stamp(self.path)
        self.current = load_ca(self.path, self.setting)

    def reload_if_changed(self) -> bool:
        """True when a changed bundle was taken; one that does not load is skipped (logged)."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            self.current = load_ca(self.path, self.setting)
        except TlsFileError as exc:
            log.warning("CA bundle changed but cannot be used yet; keeping the previous one", problem=str(exc))
            return False
        self.version += 1
        log.info("CA bundle re-read", ca=self.path, version=self.version)
        return True


# ------------------------------------------------------------------ clients
class ClientTls:
    """Channel credentials from files: this side's certificate and key (a TlsFiles, whose
    CA bundle checks servers) and/or a CA bundle of its own (a TlsCaFile, used when the
    TlsFiles has none), rebuilt when the files change; checked at most every CHECK_INTERVAL
    seconds, so asking on every call costs a clock read."""

    def __init__(self, files: TlsFiles | None, ca: TlsCaFile | None = None, server_name: str = ""):
        self.files = files
        self.ca = ca
        self.server_name = server_name
        self._checked = time.monotonic()
        self._version: tuple = ()
        self._credentials: grpc.ChannelCredentials | None = None

    def _current_version(self) -> tuple:
        return (self.files.version if self.files is not None else 0, self.ca.version if self.ca is not None else 0)

    def changed(self) -> bool:
        """True when the files changed since the credentials were last built (by this
        object's own check, or by anyone else sharing the TlsFiles, e.g. a server's)."""
        now = time.monotonic()
        if now - self._checked >= CHECK_INTERVAL:
            self._checked = now
            if self.files is not None:
                self.files.reload_if_changed()
            if self.ca is not None:
                self.ca.reload_if_changed()
        return self._credentials is not None and self._current_version() != self._version

    def credentials(self) -> grpc.ChannelCredentials:
        version = self._current_version()
        if self._credentials is None or version != self._version:
            pem = self.files.current if self.files is not None else None
            roots = (pem.ca if pem is not None else None) or (self.ca.current if self.ca is not None else None)
            self._credentials = grpc.ssl_channel_credentials(
                root_certificates=roots, private_key=pem.key if pem else None, certificate_chain=pem.cert if pem else None)
            self._version = version
        return self._credentials


# ------------------------------------------------------------------ one set per process
_shared: dict[tuple, TlsFiles] = {}
_shared_lock = threading.Lock()


def process_files(cert_file: str, key_file: str, ca_file: str | None, role: str = "") -> TlsFiles:
    """The TlsFiles for these paths, shared by the servers and clients of this process (one
    re-read and one log line per change, not one per user). Raises TlsFileError."""
    key = (cert_file, key_file, ca_file or None)
    with _shared_lock:
        files = _shared.get(key)
        if files is None:
            files = _shared[key] = TlsFiles(cert_file, key_file, ca_file or None, role=role)
        return files


# ------------------------------------------------------------------ refusals, as the caller sees them
# With TLS 1.3 the server checks the client's certificate after the client has finished its
# side of the handshake: a refused client only sees the connection closed ("Socket closed").
# It can say why itself: its own files show an expired certificate or one its CA bundle does
# not vouch for. The server's side is logged by gRPC ("Handshake failed ... certificate has
# expired").
_HANDSHAKE_SIGNS = ("Socket closed", "handshake", "Handshake", "SSL", "TSI_", "Connection reset")


def explain_refusal(details: str, pem: Pem | None, settings: Settings = Settings(), cert_file: str = "") -> str | None:
    """Why a TLS peer likely refused this process, from its own certificate; None when the
    failure does not look like a refused handshake or nothing is wrong that it can see."""
    if not any(sign in (details or "") for sign in _HANDSHAKE_SIGNS):
        return None
    if pem is None:
        if "Socket closed" in details:
            return (f"the server closed the TLS connection: if it requires client certificates, set {settings.cert} "
                    f"and {settings.key}")
        return None
    problem = certificate_problem(pem)
    if problem is None:
        return None
    return f"the server refused this process's TLS certificate ({settings.cert} {cert_file}): {problem}"


class TlsRefusedError(grpc.aio.AioRpcError):
    """UNAVAILABLE because this side's own certificate is unusable (expired, not yet valid,
    not signed by the CA bundle): retrying cannot help until its files are replaced."""


class ExplainTlsRefusals(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds to an UNAVAILABLE error what is wrong with this side's certificate (see
    explain_refusal), and logs it once a minute at most: calls refused for an expired
    certificate then say so."""

    LOG_EVERY = 60.0

    def __init__(self, current, settings: Settings = Settings(), cert_file: str = "", target: str = "", logs: bool = True):
        self._current = current  # () -> Pem | None: the set in use now
        self.settings, self.cert_file, self.target, self.logs = settings, cert_file, target, logs
        self._logged_at = float("-inf")

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        call = await continuation(client_call_details, request)
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNAVAILABLE:
                raise
            pem = self._current()
            explanation = explain_refusal(exc.details() or "", pem, self.settings, self.cert_file)
            if explanation is None:
                raise
            if self.logs and time.monotonic() - self._logged_at >= self.LOG_EVERY:
                self._logged_at = time.monotonic()
                log.error("TLS connection refused", target=self.target, problem=explanation)
            error_class = TlsRefusedError if pem is not None else grpc.aio.AioRpcError
            raise error_class(
                exc.code(), exc.initial_metadata(), exc.trailing_metadata(),
                details=f"{exc.details()} ({explanation})", debug_error_string=exc.debug_error_string(),
            ) from None
