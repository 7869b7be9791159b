"""The web UI in a real headless Chromium (Debian's chromium, driven by Playwright) against a
real `fanflow dev` process and a `fanflow worker` process: a List executor run of 20,000
items whose progress bar moves to 100 %, failing items shown, signal / cancel / terminate
from the page, and ids and inputs holding `<script>` shown as text. The list page and the
workflow page are saved as screenshots (build/screenshots/, or FANFLOW_UI_SCREENSHOTS)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from conftest import ROOT, SUPPORT, Processes, free_port, wait_for_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.async_api import async_playwright, expect
except ModuleNotFoundError:  # pragma: no cover
    async_playwright = None
if CHROMIUM is None or async_playwright is None:
    reason = "no chromium browser on this machine (.ci/run installs Debian's)" if CHROMIUM is None else "playwright is not installed (the test extra)"
    print(f"tests/cluster/ui/test_ui_browser.py skipped: {reason}")
    pytest.skip(reason, allow_module_level=True)

SCREENSHOTS = Path(os.environ.get("FANFLOW_UI_SCREENSHOTS") or ROOT / "build" / "screenshots")
TQ = "ui-browser"


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    """`fanflow dev` with its web UI, and a worker process for tests/support/ui_workflows.py."""
    tmp = tmp_path_factory.mktemp("ui-dev")
    processes = Processes(tmp)
    port, ui_port = free_port(), free_port()
    proc = processes.fanflow("dev", "--port", str(port), "--data-dir", str(tmp / "data"), "--ui-address", f"127.0.0.1:{ui_port}", name="dev")
    try:
        wait_for_port(port, proc=proc)
        wait_for_port(ui_port, proc=proc)
        worker = processes.fanflow("worker", "ui_workflows", "--address", f"127.0.0.1:{port}", "--task-queue", TQ, name="worker",
                                   cwd=SUPPORT, env={"PYTHONPATH": str(ROOT)})
        with httpx.Client(base_url=f"http://127.0.0.1:{ui_port}", timeout=30) as http:
            yield http, f"http://127.0.0.1:{ui_port}", worker
    finally:
        processes.cleanup()


@pytest.fixture
async def page():
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = await browser.new_context(viewport={"width": 1360, "height": 1000})
        tab = await context.new_page()
        problems: list[str] = []
        tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        tab.on("dialog", lambda dialog: problems.append(f"a dialog opened: {dialog.message}"))
        tab.problems = problems
        yield tab
        await browser.close()


def start(http, workflow_type: str, workflow_id: str, input) -> dict:
    response = http.post("/api/v1/namespaces/default/workflows", json={"workflow_type": workflow_type, "workflow_id": workflow_id, "task_queue": TQ, "input": input})
    assert response.status_code == 201, response.text
    return response.json()


def workflow_url(base: str, workflow_id: str) -> str:
    return f"{base}/namespaces/default/workflow?id={quote(workflow_id, safe='')}"


def history_types(http, workflow_id: str) -> list[str]:
    response = http.get(f"/api/v1/namespaces/default/workflows/{quote(workflow_id, safe='')}/history", params={"page_size": 1000})
    return [e["type"] for e in response.json()["events"]]


async def test_a_20000_item_run_moves_its_progress_bar_to_100_percent(dev, page):
    http, base, _ = dev
    start(http, "ui_items", "browser-20k", {"n_items": 20_000, "label": "twenty thousand"})
    await page.goto(f"{base}/namespaces/default/workflows")
    await expect(page.locator("#counts a.count.all")).to_be_visible(timeout=30_000)
    await page.get_by_role("link", name="browser-20k").first.click()
    bar = page.locator(".executor .bar").first
    await expect(bar).to_be_visible(timeout=60_000)
    seen: list[float] = []
    while True:  # every value the bar shows, until it is full
        value = float(await bar.get_attribute("aria-valuenow") or 0)
        if not seen or value != seen[-1]:
            seen.append(value)
        if value >= 100:
            break
        await page.wait_for_function(
            "([el, v]) => Number(el.getAttribute('aria-valuenow')) !== v", arg=[await bar.element_handle(), value], timeout=60_000)
    assert len([v for v in seen if 0 < v < 100]) >= 2, seen  # it moved: values between empty and full were shown
    assert seen == sorted(seen)
    await expect(page.locator("#status")).to_have_text("completed", timeout=60_000)
    await expect(page.locator(".executor .numbers .done")).to_have_text("20,000 / 20,000 done")
    await expect(page.locator("#result")).to_have_text(str(sum(2 * i for i in range(20_000))))
    await expect(page.locator("#runs li").nth(1)).to_be_visible()  # continued as new on the way: two runs or more
    await expect(page.locator("#recorded li").first).to_contain_text("finished")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "ui-workflow.png"), clip={"x": 0, "y": 0, "width": 1360, "height": 1250}, full_page=True)
    await page.goto(f"{base}/namespaces/default/workflows")
    await expect(page.locator("#counts a.count.completed")).to_be_visible(timeout=30_000)
    await page.screenshot(path=str(SCREENSHOTS / "ui-workflows.png"))
    assert page.problems == []


async def test_items_that_failed_are_shown_with_their_errors(dev, page):
    http, base, _ = dev
    start(http, "ui_items", "browser-flaky", {"n_items": 600, "flaky_every": 100})
    start(http, "ui_items", "browser-broken", {"n_items": 600, "fatal_index": 450})
    await page.goto(workflow_url(base, "browser-flaky"))
    await expect(page.locator("#status")).to_have_text("completed", timeout=60_000)
    await expect(page.locator("#failed-link")).to_be_visible(timeout=30_000)
    await expect(page.locator("#failed-preview li").first).to_contain_text("item 3 attempt 1 (recovered)")
    await page.locator("#failed-link a").click()
    rows = page.locator("#failed-items tbody tr")
    await expect(rows).to_have_count(6)  # items 3, 103, ..., 503
    await expect(rows.first).to_contain_text("item 3 failed on its first attempt")
    await expect(rows.first).to_contain_text("recovered")
    await page.goto(workflow_url(base, "browser-broken"))
    await expect(page.locator("#status")).to_have_text("failed", timeout=60_000)
    await expect(page.locator("#failure")).to_contain_text("item 450 is broken for good")
    await page.locator("#failed-link a").click()
    await expect(page.locator("#failed-items tbody tr")).to_have_count(1)
    await expect(page.locator("#failed-items")).to_contain_text("BrokenItem")
    await expect(page.locator("#failed-items")).to_contain_text("final")
    assert page.problems == []


async def test_signal_cancel_and_terminate_from_the_page(dev, page):
    http, base, _ = dev
    start(http, "ui_waiter", "browser-waiter", {"label": "cancel me"})
    start(http, "ui_waiter", "browser-doomed", {"label": "terminate me"})
    await page.goto(workflow_url(base, "browser-waiter"))
    await expect(page.locator("#status")).to_have_text("running")
    await page.get_by_role("button", name="Signal").click()
    dialog = page.locator("#signal-dialog")
    await dialog.locator("input[name=name]").fill("approve")
    await dialog.locator("textarea[name=input]").fill('"ops <team>"')
    await dialog.get_by_role("button", name="Send signal").click()
    await expect(page.locator("#action-result")).to_have_text("signal approve sent")
    await expect(page.locator("#history")).to_contain_text("WorkflowExecutionSignaled", timeout=30_000)
    assert "WorkflowExecutionSignaled" in history_types(http, "browser-waiter")

    await page.get_by_role("button", name="Cancel").click()
    await page.locator("#cancel-dialog").get_by_role("button", name="Back").click()  # changed our mind: nothing sent
    assert "WorkflowExecutionCancelRequested" not in history_types(http, "browser-waiter")
    await page.get_by_role("button", name="Cancel").click()
    await page.locator("#cancel-dialog").get_by_role("button", name="Yes, cancel it").click()
    await expect(page.locator("#status")).to_have_text("completed", timeout=30_000)  # the workflow caught the cancel and returned
    await expect(page.locator("#result")).to_contain_text("ops <team>")
    assert "WorkflowExecutionCancelRequested" in history_types(http, "browser-waiter")

    await page.goto(workflow_url(base, "browser-doomed"))
    await page.get_by_role("button", name="Terminate").click()
    await page.locator("#terminate-dialog input[name=reason]").fill("stopped from a browser test")
    await page.locator("#terminate-dialog").get_by_role("button", name="Yes, terminate it").click()
    await expect(page.locator("#status")).to_have_text("terminated", timeout=30_000)
    await expect(page.locator("#history")).to_contain_text("WorkflowExecutionTerminated", timeout=30_000)
    assert history_types(http, "browser-doomed")[-1] == "WorkflowExecutionTerminated"
    await expect(page.get_by_role("button", name="Terminate")).to_be_disabled()
    assert page.problems == []


async def test_ids_and_inputs_with_script_tags_render_as_text(dev, page):
    http, base, _ = dev
    nasty = "<script>window.__owned = 1</script><img src=x onerror=window.__owned=2>"
    start(http, "ui_waiter", nasty, {"label": nasty})
    await page.goto(f"{base}/namespaces/default/workflows")
    await expect(page.locator("#workflow-list")).to_contain_text(nasty)
    await page.get_by_role("link", name=nasty).click()
    await expect(page.locator("#workflow-id")).to_have_text(nasty)
    await expect(page.locator("#input")).to_contain_text(nasty)
    await page.get_by_role("button", name="Signal").click()
    await page.locator("#signal-dialog input[name=name]").fill("approve")
    await page.locator("#signal-dialog textarea[name=input]").fill(f'"{nasty.replace(chr(34), chr(92) + chr(34))}"')
    await page.locator("#signal-dialog").get_by_role("button", name="Send signal").click()
    await expect(page.locator("#history")).to_contain_text("WorkflowExecutionSignaled", timeout=30_000)
    await expect(page.locator("#history")).to_contain_text("<script>window.__owned = 1</script>")
    assert await page.evaluate("window.__owned") is None
    assert await page.locator("script:not([src])").count() == 0 and await page.locator("img[src=x]").count() == 0
    assert page.problems == []
    http.post(f"/api/v1/namespaces/default/workflows/{quote(nasty, safe='')}/terminate", json={})
