"""The generated protobuf code is checked in; a test fails when it is stale."""
import shutil
import subprocess
import sys

from conftest import ROOT


def check(root) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fanflow.codegen", "--check", "--root", str(root)], capture_output=True, text=True, cwd=ROOT)


def test_generated_code_is_up_to_date():
    out = check(ROOT)
    assert out.returncode == 0, out.stderr


def test_check_fails_when_a_proto_changes(tmp_path):
    shutil.copytree(ROOT / "protos", tmp_path / "protos")
    proto = tmp_path / "protos" / "common.proto"
    proto.write_text(proto.read_text().replace("message Payload {", "message Payload {\n  string added_field = 99;"))
    out = check(tmp_path)
    assert out.returncode == 1
    assert "common_pb2.py" in out.stderr and "python -m fanflow.codegen" in out.stderr
