// fanflow web UI: live parts of the pages. Everything that came from a user is written with
// textContent (never innerHTML), so ids, inputs, results and event details show as text.
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;
const NS = () => document.body.dataset.namespace;
const enc = encodeURIComponent;

async function api(path, options = {}) {
  const init = { credentials: "same-origin", headers: { Accept: "application/json" }, ...options };
  if (init.body !== undefined) {
    init.method = init.method || "POST";
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRF-Token"] = csrfToken();
    init.body = JSON.stringify(init.body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || response.statusText);
    error.code = data.code; error.status = response.status;
    throw error;
  }
  return data;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

const fmt = new Intl.NumberFormat();
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "?";
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
function localTimes(root = document) {
  for (const node of root.querySelectorAll(".time")) {
    const text = node.textContent.trim();
    if (!text || node.dataset.iso) continue;
    const date = new Date(text);
    if (!isNaN(date)) { node.dataset.iso = text; node.title = text; node.textContent = date.toLocaleString(); }
  }
}

// ------------------------------------------------------------------ workflow list
async function workflowsPage() {
  const box = document.getElementById("counts");
  const params = new URLSearchParams(location.search);
  const chosen = params.get("status") || "";
  params.delete("status"); params.delete("page_token");
  try {
    const counts = await api(`/api/v1/namespaces/${enc(NS())}/workflow-count?${params}`);
    box.textContent = "";
    const link = (status, label, n) => {
      const q = new URLSearchParams(params); if (status) q.set("status", status);
      return el("a", { href: `?${q}`, class: `count ${status || "all"}${status === chosen ? " on" : ""}`, "data-status": status || "all" },
        el("span", { text: label }), " ", el("b", { text: fmt.format(n) }));
    };
    box.append(link("", "all", counts.total));
    for (const [status, n] of Object.entries(counts.by_status)) if (n) box.append(link(status, status.replaceAll("_", " "), n));
  } catch (error) {
    box.textContent = `counts unavailable: ${error.message}`;
  }
}

// ------------------------------------------------------------------ one workflow
const EVENT_TYPES = ["WorkflowExecutionStarted", "WorkflowExecutionCompleted", "WorkflowExecutionFailed", "WorkflowExecutionTimedOut",
  "WorkflowExecutionTerminated", "WorkflowExecutionContinuedAsNew", "WorkflowExecutionSignaled", "WorkflowExecutionCancelRequested",
  "WorkflowExecutionCanceled", "WorkflowTaskScheduled", "WorkflowTaskStarted", "WorkflowTaskCompleted", "WorkflowTaskFailed",
  "WorkflowTaskTimedOut", "ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskCompleted", "ActivityTaskFailed",
  "ActivityTaskTimedOut", "ActivityTaskCancelRequested", "ActivityTaskCanceled", "TimerStarted", "TimerFired", "TimerCanceled",
  "MarkerRecorded", "WorkflowExecutionUpdateAccepted", "WorkflowExecutionUpdateCompleted"];

function workflowPage() {
  const root = document.getElementById("workflow");
  const wf = {
    id: root.dataset.workflowId, runId: root.dataset.runId, pinned: root.dataset.pinnedRun, status: root.dataset.status,
    length: Number(root.dataset.historyLength),
  };
  wf.base = `/api/v1/namespaces/${enc(NS())}/workflows/${enc(wf.id)}`;
  const view = { executors: new Map(), failedShownAt: 0, pendingAt: 0 };
  setupActions(wf);
  setupHistory(wf);
  loadRuns(wf, "");
  loadTimeline(wf);
  if (wf.pinned) { followOnce(wf, view); return; }
  follow(wf, view);
}

function setStatus(wf, status) {
  wf.status = status;
  const badge = document.getElementById("status");
  badge.textContent = status; badge.className = `status ${status}`;
  document.getElementById("workflow").dataset.status = status;
  for (const button of document.querySelectorAll("#actions button")) button.disabled = status !== "running";
}

function follow(wf, view) {
  const source = new EventSource(`${wf.base}/stream?interval=0.5`);
  source.addEventListener("status", (e) => {
    const data = JSON.parse(e.data);
    setStatus(wf, data.status);
    document.getElementById("runs-count").textContent = `(${data.runs})`;
    if (data.current_run_id !== wf.runId) {
      wf.runId = data.current_run_id;
      document.getElementById("run-id").textContent = wf.runId;
      document.getElementById("close-time").textContent = "—";
      loadRuns(wf, "");
    }
  });
  source.addEventListener("progress", (e) => renderProgress(wf, view, JSON.parse(e.data)));
  source.addEventListener("recorded", (e) => addRecorded(JSON.parse(e.data)));
  source.addEventListener("closed", (e) => {
    source.close();
    const data = JSON.parse(e.data);
    setStatus(wf, data.status);
    renderOutcome(data);
    refreshAfterChange(wf, view);
  });
  source.addEventListener("error", (e) => {
    if (e.data) { document.getElementById("progress-note").textContent = `stream stopped: ${JSON.parse(e.data).message}`; source.close(); }
  });
}

async function followOnce(wf, view) {
  try {
    const data = await api(`${wf.base}/progress`);
    renderProgress(wf, view, data);
    for (const event of [...data.events].reverse()) addRecorded(event);
  } catch (error) { /* an old run: nothing to show */ }
}

function renderOutcome(data) {
  const box = document.getElementById("outcome");
  box.textContent = "";
  if (data.failure) box.append(el("h3", { text: "Failure" }), el("pre", { class: "json failure", id: "failure", text: JSON.stringify(data.failure, null, 2) }));
  else if (data.status === "continued_as_new") box.append(el("h3", { text: "Continued as new" }));
  else box.append(el("h3", { text: "Result" }), el("pre", { class: "json", id: "result", text: JSON.stringify(data.result, null, 2) }));
}

function renderProgress(wf, view, data) {
  const note = document.getElementById("progress-note");
  const list = document.getElementById("executors");
  if (!data.executors.length) { note.textContent = "no parallel executor in this workflow (yet)"; return; }
  note.textContent = "";
  const now = data.at ? Date.parse(data.at) : Date.now();
  let failed = 0;
  for (const ex of data.executors) {
    failed += ex.failed;
    let item = view.executors.get(ex.executor_id);
    if (!item) {
      item = { samples: [], node: el("div", { class: "executor card", "data-executor": ex.executor_id }) };
      item.title = el("h3", {}, el("span", { text: ex.pattern }), " ", el("span", { class: "mono small muted", text: ex.executor_id }));
      item.bar = el("div", { class: "bar-fill" });
      item.barText = el("span", { class: "bar-text" });
      item.barBox = el("div", { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 }, item.bar, item.barText);
      item.numbers = el("p", { class: "numbers" });
      item.chart = el("canvas", { class: "rate-chart", width: 480, height: 60, title: "items per second" });
      item.node.append(item.title, item.barBox, item.numbers, el("div", { class: "chart-row" }, item.chart, el("span", { class: "muted small", text: "items/s over time" })));
      list.append(item.node);
      view.executors.set(ex.executor_id, item);
    }
    const pct = ex.total ? Math.min(100, (100 * ex.done) / ex.total) : 0;
    item.bar.style.width = `${pct}%`;
    item.barBox.setAttribute("aria-valuenow", pct.toFixed(1));
    item.barBox.dataset.done = ex.done; item.barBox.dataset.total = ex.total;
    item.barText.textContent = ex.total ? `${pct.toFixed(1)} %` : `${fmt.format(ex.done)} done`;
    const last = item.samples[item.samples.length - 1];
    if (!last || now > last.t) {
      const rate = last ? Math.max(0, ((ex.done - last.done) * 1000) / (now - last.t)) : ex.items_per_second;
      item.samples.push({ t: now, done: ex.done, rate });
      if (item.samples.length > 240) item.samples.shift();
    }
    const current = item.samples[item.samples.length - 1].rate;
    item.numbers.textContent = "";
    item.numbers.append(
      el("span", { class: "n done", text: `${fmt.format(ex.done)} / ${ex.total ? fmt.format(ex.total) : "?"} done` }),
      el("span", { class: ex.failed ? "n failed" : "n", text: `${fmt.format(ex.failed)} failed attempts` }),
      el("span", { class: "n inflight", text: `${fmt.format(ex.in_flight)} in flight` }),
      el("span", { class: "n rate", text: `${fmt.format(Math.round(current))} items/s now, ${fmt.format(Math.round(ex.items_per_second))} on average` }),
      el("span", { class: "n eta", text: ex.total && ex.done >= ex.total ? "done" : `ETA ${duration(ex.eta_seconds)}` }),
    );
    drawChart(item.chart, item.samples);
  }
  if (failed) {
    document.getElementById("failed-link").hidden = false;
    if (Date.now() - view.failedShownAt > 3000) { view.failedShownAt = Date.now(); loadFailedPreview(wf); }
  }
  if (Date.now() - view.pendingAt > 3000) { view.pendingAt = Date.now(); refreshPending(wf); }
}

function drawChart(canvas, samples) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  if (samples.length < 2) return;
  const max = Math.max(1, ...samples.map((s) => s.rate));
  const t0 = samples[0].t, t1 = samples[samples.length - 1].t;
  ctx.strokeStyle = "#2f6fde"; ctx.lineWidth = 1.5; ctx.beginPath();
  samples.forEach((s, i) => {
    const x = t1 === t0 ? 0 : ((s.t - t0) / (t1 - t0)) * (w - 2) + 1;
    const y = h - 2 - (s.rate / max) * (h - 14);
    if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#667"; ctx.font = "10px sans-serif"; ctx.fillText(`max ${fmt.format(Math.round(max))}/s`, 4, 10);
}

async function loadFailedPreview(wf) {
  const link = document.getElementById("failed-link");
  try {
    const data = await api(`${wf.base}/failures?page_size=10`);
    if (!data.total) return;
    link.hidden = false;
    link.querySelector("a").textContent = `failed items: ${fmt.format(data.total)} (see all)`;
    let list = document.getElementById("failed-preview");
    if (!list) { list = el("ul", { id: "failed-preview", class: "failed-preview" }); link.after(list); }
    list.textContent = "";
    for (const f of data.failures) {
      const state = f.recovered ? "recovered" : f.final ? "final" : "retrying";
      const message = f.failure ? `${f.failure.type || "Error"}: ${f.failure.message || ""}` : "";
      list.append(el("li", {}, el("span", { class: "mono", text: `item ${f.index}` }), ` attempt ${f.attempt} (${state}): `, el("span", { class: "error-text", text: message })));
    }
  } catch (error) { /* shown again on the next progress */ }
}

function addRecorded(event) {
  const list = document.getElementById("recorded");
  const empty = list.querySelector(".muted"); if (empty) empty.remove();
  const when = event.time ? new Date(event.time).toLocaleTimeString() : "";
  list.prepend(el("li", {}, el("b", { text: event.name }), " ", el("code", { text: JSON.stringify(event.details) }), " ", el("span", { class: "muted small", text: when })));
}

async function refreshPending(wf) {
  try {
    const data = await api(`${wf.base}${wf.pinned ? `?run_id=${enc(wf.pinned)}` : ""}`);
    const body = document.querySelector("#pending tbody");
    body.textContent = "";
    document.getElementById("history-length").textContent = data.info.history_length;
    document.getElementById("run-id").textContent = data.info.run_id;
    if (data.info.close_time) {
      const closed = document.getElementById("close-time");
      closed.textContent = data.info.close_time; delete closed.dataset.iso; localTimes(closed.parentNode);
    }
    wf.length = data.info.history_length;
    document.getElementById("pending-count").textContent = `(${data.pending_activities.length}${data.info.pending_activity_count > data.pending_activities.length ? ` of ${data.info.pending_activity_count}` : ""})`;
    if (!data.pending_activities.length) body.append(el("tr", {}, el("td", { colSpan: 7, class: "muted", text: "none" })));
    for (const a of data.pending_activities) {
      const failure = a.last_failure ? `${a.last_failure.type || ""} ${a.last_failure.message || ""}` : "";
      const beat = a.last_heartbeat_time ? `${new Date(a.last_heartbeat_time).toLocaleTimeString()} ${JSON.stringify(a.heartbeat_details)}` : "";
      body.append(el("tr", {},
        el("td", { text: a.activity_type }), el("td", { class: "mono small", text: a.activity_id }), el("td", { class: "num", text: a.attempt }),
        el("td", { text: a.started ? "running" : "waiting" }), el("td", { text: failure }), el("td", { text: beat }),
        el("td", { class: "small", text: a.last_worker_identity || "" })));
    }
  } catch (error) { /* keep what is shown */ }
}

function refreshAfterChange(wf, view) {
  // the run closed or an action was taken: what was throttled while it ran is read once more
  refreshPending(wf).then(() => { wf.history.goLast(); loadTimeline(wf); loadRuns(wf, ""); loadFailedPreview(wf); });
}

// ---- runs (the continue-as-new chain)
async function loadRuns(wf, token) {
  const list = document.getElementById("runs");
  const more = document.getElementById("runs-more");
  try {
    const data = await api(`${wf.base}/runs?page_size=10${token ? `&page_token=${enc(token)}` : ""}`);
    if (!token) list.textContent = "";  // replaced once the new page is here: no empty list in between
    for (const run of data.runs) {
      const link = el("a", { href: `?id=${enc(wf.id)}&run_id=${enc(run.run_id)}`, class: "mono", text: run.run_id });
      list.append(el("li", { class: run.run_id === (wf.pinned || wf.runId) ? "on" : "" }, link, " ", el("span", { class: `status ${run.status}`, text: run.status }),
        " ", el("span", { class: "muted small", text: `${fmt.format(run.history_length)} events` })));
    }
    more.hidden = !data.next_page_token;
    more.onclick = () => loadRuns(wf, data.next_page_token);
  } catch (error) { list.append(el("li", { class: "problem", text: error.message })); }
}

// ---- timeline
async function loadTimeline(wf) {
  const box = document.getElementById("timeline");
  const note = document.getElementById("timeline-note");
  try {
    const run = wf.pinned ? `&run_id=${enc(wf.pinned)}` : "";
    const data = await api(`${wf.base}/timeline?events=2000${run}`);
    let spans = data.spans.filter((s) => s.kind !== "workflow_task");
    const shown = spans.slice(-200);
    note.textContent = `events ${fmt.format(data.first_event_id)}–${fmt.format(data.last_event_id)} of ${fmt.format(data.history_length)}` +
      (spans.length > shown.length ? `, the last ${shown.length} of ${spans.length} spans` : "");
    box.textContent = "";
    if (!shown.length) { box.append(el("p", { class: "muted", text: "no activity, timer or signal in these events" })); return; }
    const now = Date.now();
    const t0 = Math.min(...shown.map((s) => Date.parse(s.start)));
    const t1 = Math.max(...shown.map((s) => (s.end ? Date.parse(s.end) : now)), t0 + 1);
    const svgNS = "http://www.w3.org/2000/svg";
    const rowH = 6, width = 900, height = shown.length * rowH + 20;
    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`); svg.setAttribute("class", "timeline-svg");
    shown.forEach((s, i) => {
      const start = Date.parse(s.start), end = s.end ? Date.parse(s.end) : now;
      const x = ((start - t0) / (t1 - t0)) * (width - 10) + 5;
      const w = Math.max(2, ((end - start) / (t1 - t0)) * (width - 10));
      const rect = document.createElementNS(svgNS, "rect");
      rect.setAttribute("x", x); rect.setAttribute("y", i * rowH + 2); rect.setAttribute("width", w); rect.setAttribute("height", rowH - 1);
      rect.setAttribute("class", `span ${s.kind} ${s.outcome}`);
      const title = document.createElementNS(svgNS, "title");
      title.textContent = `${s.kind} ${s.name} (event ${s.first_event_id}): ${s.outcome}, ${((end - start) / 1000).toFixed(3)} s`;
      rect.append(title); svg.append(rect);
    });
    const axis = document.createElementNS(svgNS, "text");
    axis.setAttribute("x", 5); axis.setAttribute("y", height - 4); axis.setAttribute("class", "axis");
    axis.textContent = `${new Date(t0).toLocaleTimeString()} → ${new Date(t1).toLocaleTimeString()} (${((t1 - t0) / 1000).toFixed(1)} s)`;
    svg.append(axis);
    box.append(svg);
  } catch (error) { note.textContent = `timeline unavailable: ${error.message}`; }
}

// ---- history
function setupHistory(wf) {
  const form = document.getElementById("history-filter");
  const select = document.getElementById("event-type");
  for (const type of EVENT_TYPES) select.append(el("option", { value: type, text: type }));
  const state = { first: 1, next: "", filter: null, pageSize: 100, stack: [] };
  const runParam = () => `run_id=${enc(wf.pinned || wf.runId)}`;
  const range = document.getElementById("history-range");
  async function load(first) {
    const f = new FormData(form);
    state.pageSize = Number(f.get("page_size"));
    const q = new URLSearchParams({ page_size: state.pageSize, first_event_id: Math.max(1, first) });
    if (f.get("event_type")) q.set("event_type", f.get("event_type"));
    if (f.get("q")) q.set("q", f.get("q"));
    state.filtered = Boolean(f.get("event_type") || f.get("q"));
    try {
      const data = await api(`${wf.base}/history?${runParam()}&${q}`);
      state.first = Math.max(1, first); state.next = data.next_page_token;
      renderHistory(data.events);
      const shown = data.events.length ? `${fmt.format(data.events[0].event_id)}–${fmt.format(data.events[data.events.length - 1].event_id)}` : "none";
      range.textContent = `events ${shown}${state.filtered ? ` (looked at up to ${fmt.format(data.scanned_to_event_id)})` : ""} of ${fmt.format(wf.length)}`;
    } catch (error) { range.textContent = error.message; }
  }
  wf.history = {
    goLast: async () => {
      try { const d = await api(`${wf.base}${wf.pinned ? `?run_id=${enc(wf.pinned)}` : ""}`); wf.length = d.info.history_length; } catch (e) { /* keep */ }
      state.stack = []; await load(Math.max(1, wf.length - state.pageSize + 1));
    },
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); state.stack = []; load(1); });
  document.getElementById("history-paging").addEventListener("click", (e) => {
    const go = e.target.dataset.go; if (!go) return;
    if (go === "first") { state.stack = []; load(1); }
    else if (go === "next" && state.next) { state.stack.push(state.first); load(Number(state.next)); }
    else if (go === "prev") {
      if (state.filtered) { if (state.stack.length) load(state.stack.pop()); }
      else load(Math.max(1, state.first - state.pageSize));
    } else if (go === "last") wf.history.goLast();
  });
  document.getElementById("goto-event").addEventListener("change", (e) => { state.stack = []; load(Number(e.target.value) || 1); });
  load(1);
}

function renderHistory(events) {
  const body = document.querySelector("#history tbody");
  body.textContent = "";
  if (!events.length) { body.append(el("tr", {}, el("td", { colSpan: 4, class: "muted", text: "no event" }))); return; }
  for (const e of events) {
    const details = JSON.stringify(e.attributes);
    const cell = el("td", { class: "details" });
    if (details.length > 160) {
      cell.append(el("details", {}, el("summary", { text: details.slice(0, 160) + "…" }), el("pre", { class: "json", text: JSON.stringify(e.attributes, null, 2) })));
    } else cell.append(el("code", { text: details }));
    body.append(el("tr", { "data-event-id": e.event_id, "data-type": e.type },
      el("td", { class: "num", text: e.event_id }), el("td", { class: "small", text: e.time ? new Date(e.time).toLocaleTimeString() : "" }),
      el("td", { class: `etype ${e.type}`, text: e.type }), cell));
  }
}

// ---- actions: signal, cancel, terminate (each confirmed in its dialog)
function setupActions(wf) {
  for (const button of document.querySelectorAll("#actions button[data-dialog]")) {
    button.addEventListener("click", () => document.getElementById(button.dataset.dialog).showModal());
  }
  for (const form of document.querySelectorAll("dialog form[data-action]")) {
    form.addEventListener("submit", async (e) => {
      if (e.submitter && e.submitter.value !== "confirm") return;  // "Back" closes the dialog
      e.preventDefault();
      const action = form.dataset.action;
      const problem = form.querySelector("[data-problem]");
      problem.textContent = "";
      const f = new FormData(form);
      let body;
      if (action === "signal") {
        let input = null;
        const raw = String(f.get("input") || "").trim();
        if (raw) { try { input = JSON.parse(raw); } catch (error) { problem.textContent = `input is not JSON: ${error.message}`; return; } }
        body = { name: f.get("name"), input };
      } else body = { reason: f.get("reason") || "" };
      try {
        await api(`${wf.base}/${action}`, { body });
        form.closest("dialog").close();
        document.getElementById("action-result").textContent = action === "signal" ? `signal ${body.name} sent` : action === "cancel" ? "cancellation requested" : "terminated";
        setTimeout(() => refreshAfterChange(wf, null), 300);
      } catch (error) { problem.textContent = `${error.code || "error"}: ${error.message}`; }
    });
  }
}

// ------------------------------------------------------------------ start
document.addEventListener("DOMContentLoaded", () => {
  localTimes();
  const page = document.body.dataset.page;
  if (page === "workflows") workflowsPage();
  else if (page === "workflow") workflowPage();
});
