"""The README's grpcurl section shows a call of every AdminService method (CreateApiKey aside)."""
from __future__ import annotations

from protos import admin_service_pb2 as A
from support.readme_grpcurl import readme_grpcurl_calls


def test_readme_shows_every_admin_call():
    shown = {argv[-1].split("/")[-1] for argv in readme_grpcurl_calls() if "/" in argv[-1]}
    admin_methods = set(A.DESCRIPTOR.services_by_name["AdminService"].methods_by_name)
    assert admin_methods - {"CreateApiKey"} <= shown, admin_methods - shown
