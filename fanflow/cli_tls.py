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
