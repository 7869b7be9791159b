"""The seed's Real-World Examples run as a plain script, only the import changed."""
import subprocess
import sys

from conftest import ROOT


def test_seed_real_world_examples_run(tmp_path):
    script = ROOT / "examples" / "seed_real_world.py"
    assert "import worker_sdk as workflows" in script.read_text()
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("documents: 200, first {'document_id': 'doc-0', 'extracted_text': 'TEXT OF DOCUMENT 0'")
    assert lines[1].startswith("users: 200, first {'user_id': 'u0', 'name': 'User 0'")
    assert lines[2].startswith("orders: 200, first {'order_id': 'o0', 'status': 'processed'")
