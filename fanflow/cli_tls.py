"""The TLS options every client command of the CLI takes (--tls-ca, --tls-cert, --tls-key,
--tls-server-name; FANFLOW_TLS_* otherwise) and the connect that uses them."""
from __future__ import annotations

import sys


async def connect(args, **options):
    """Client.connect with the command's --address, --namespace and --tls-* options; a TLS
    file that cannot be used exits 2 with what is wrong."""
    from worker_sdk.client import Client

    try:
        return await Client.connect(args.address, namespace=args.namespace, **tls_options(args), **options)
    except ValueError as exc:
        print(f"fanflow {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def tls_options(args) -> dict:
    return {"tls_ca_file": args.tls_ca, "tls_cert_file": args.tls_cert, "tls_key_file": args.tls_key, "tls_server_name": args.tls_server_name}


def add_tls_client_options(parser) -> None:
    parser.add_argument("--tls-ca", default=None, help="PEM CA bundle to check the server's certificate (dials TLS); or FANFLOW_TLS_CA_FILE")
    parser.add_argument("--tls-cert", default=None, help="PEM client certificate, for a server that requires one; or FANFLOW_TLS_CERT_FILE")
    parser.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert; or FANFLOW_TLS_KEY_FILE")
    parser.add_argument("--tls-server-name", default=None, help="check the server's certificate against this name; or FANFLOW_TLS_SERVER_NAME")


def add_tls_command(sub) -> None:
    """`fanflow tls generate`: a CA and a certificate per service (and client) for mutual TLS."""
    tls = sub.add_parser("tls", help="make certificates for mutual TLS between services (a CA, one per service)")
    tls_sub = tls.add_subparsers(dest="action", required=True)
    gen = tls_sub.add_parser("generate", help="write ca.pem/ca.key and NAME.pem/NAME.key for each --hosts (and --clients) name",
                             description="Writes a CA (reused if DIR has ca.pem and ca.key already) and, for each service, a "
                                         "certificate for server and client use whose names (SANs) are the service's name and "
                                         "every --san; for each --clients name, a client-only certificate (workers, the CLI, grpcurl "
                                         "when the frontend asks for client certificates). Keys are written with mode 0600.")
    gen.add_argument("--out", required=True, help="folder to write into (made if missing)")
    gen.add_argument("--hosts", default="", help="comma-separated service names, as the others dial them (e.g. frontend,history-a,matching-a)")
    gen.add_argument("--clients", default="", help="comma-separated client names (e.g. worker,admin): client-only certificates")
    gen.add_argument("--san", action="append", default=[], help="another name or IP address in every service certificate (repeatable, e.g. --san localhost --san 127.0.0.1)")
    gen.add_argument("--days", type=float, default=365, help="validity of the service and client certificates, days (default 365)")
    gen.add_argument("--ca-days", type=float, default=3650, help="validity of a new CA, days (default 3650)")
    gen.add_argument("--force", action="store_true", help="replace a name's existing certificate and key")
    gen.set_defaults(func=_cmd_tls_generate)


def _cmd_tls_generate(args) -> int:
    from fanflow.certs import generate

    try:
        lines = generate(args.out, args.hosts.split(","), clients=args.clients.split(","), sans=args.san, days=args.days,
                         ca_days=args.ca_days, force=args.force)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"fanflow tls generate: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0
