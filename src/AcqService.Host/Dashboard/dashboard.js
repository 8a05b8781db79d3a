// AcqService dashboard: plain JavaScript and <canvas>, no dependencies, so it works offline on the lab PC.
// Everything heavy is done by the service (traces are decimated there); the page draws what the control API gives.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
const conditionColour = {};
const view = { state: null, session: null, alpha: [], regions: [], erp: null, erpDirty: true, traces: null, hrf: null };

function api(path, options = {}) {
  const headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
  if (token) headers["Authorization"] = "Bearer " + token;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(path, Object.assign({}, options, { headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) }));
}

async function apiJson(path, options) {
  const response = await api(path, options);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error((data && data.error) || response.status + " " + response.statusText);
  return data;
}

function say(text, isError) {
  const m = document.getElementById("message");
  m.textContent = text;
  m.className = isError ? "error" : "";
}

function colourOf(name) {
  if (!(name in conditionColour)) conditionColour[name] = palette[Object.keys(conditionColour).length % palette.length];
  return conditionColour[name];
}

function fmt(value, digits) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toFixed(digits);
}

// ---------- state, streams, controls ----------

function showState(state) {
  view.state = state;
  document.getElementById("station").textContent = "· " + state.station + " · " + state.profile;
  const badge = document.getElementById("state");
  badge.textContent = state.state;
  badge.dataset.state = state.state;
  showSession(state.session);
  const body = document.querySelector("#streams tbody");
  body.replaceChildren(...state.streams.map(s => {
    const row = document.createElement("tr");
    row.dataset.key = s.key;
    const cells = [
      s.key + " — " + s.name + " (" + s.type + ")",
      s.state + (s.reason ? " — " + s.reason : ""),
      s.kind === "markers" ? "markers" : fmt(s.effectiveRateHz, 1) + " / " + fmt(s.nominalRateHz, 0) + " Hz",
      s.lastSampleAgeSeconds === null ? "–" : fmt(s.lastSampleAgeSeconds, 1) + " s ago",
      String(s.gaps),
      s.clockOffsetSeconds === null ? "–" : fmt(s.clockOffsetSeconds * 1000, 2) + " ms",
      (s.sourceId || "–") + " · " + (s.hostname || "–"),
    ];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 1) td.className = "state-" + s.state;
      row.appendChild(td);
    });
    return row;
  }));
  const running = state.state === "recording" || state.state === "stopping";
  document.getElementById("start").disabled = running;
  document.getElementById("stop").disabled = !running;
  document.getElementById("mark").disabled = state.state !== "recording";
}

function showSession(info) {
  const line = document.getElementById("session-line");
  if (!info) {
    line.textContent = "no session running";
    return;
  }
  if (!view.session || view.session.id !== info.id) {
    view.alpha = [];
    view.erp = null;
    view.erpDirty = true;
    view.hrf = null;
    view.allMarkers = [];
    loadAlpha();
  }
  view.session = info;
  line.textContent = info.id + " · " + info.phase + " · " + Math.round(info.elapsedSeconds) + " s" +
    (info.end ? " · ended: " + info.end.reason : "");
  const epochs = document.querySelector("#epochs tbody");
  epochs.replaceChildren(...Object.entries(info.epochsPerCondition).map(([c, n]) => row([c, n], colourOf(c))));
  const drops = document.querySelector("#drops tbody");
  const entries = Object.entries(info.dropsByReason);
  drops.replaceChildren(...(entries.length ? entries.map(([r, n]) => row([r, n])) : [row(["none", 0])]));
}

function row(values, colour) {
  const tr = document.createElement("tr");
  values.forEach((v, i) => {
    const td = document.createElement("td");
    td.textContent = String(v);
    if (i === 0 && colour) td.style.color = colour;
    tr.appendChild(td);
  });
  return tr;
}

document.getElementById("start-form").addEventListener("submit", async event => {
  event.preventDefault();
  const body = {};
  for (const field of ["subject", "session", "task", "protocol"]) {
    const value = document.getElementById(field).value.trim();
    if (value) body[field] = value;
  }
  try {
    const info = await apiJson("api/session/start", { method: "POST", body });
    say("Started " + info.id);
    await refreshState();
  } catch (e) { say("Start refused: " + e.message, true); }
});

document.getElementById("stop").addEventListener("click", async () => {
  say("Stopping… (the results are being written)");
  try {
    const info = await apiJson("api/session/stop", { method: "POST" });
    say("Stopped " + info.id + ": " + (info.end ? info.end.reason : "ended"));
    await refreshState();
  } catch (e) { say("Stop failed: " + e.message, true); }
});

document.getElementById("mark-form").addEventListener("submit", async event => {
  event.preventDefault();
  const body = { event: document.getElementById("mark-event").value, kind: document.getElementById("mark-kind").value };
  const site = document.getElementById("mark-site").value.trim();
  if (site) body.site = site;
  try {
    const mark = await apiJson("api/session/markers", { method: "POST", body });
    say("Marked " + mark.label + " at " + fmt(mark.sessionTime, 2) + " s" + (mark.condition ? " (" + mark.condition + ")" : ""));
  } catch (e) { say("Mark refused: " + e.message, true); }
});

function showCheck(report) {
  const summary = document.getElementById("check-summary");
  summary.textContent = "last check " + new Date(report.time).toLocaleTimeString() + ": " + report.worst.toUpperCase();
  summary.dataset.worst = report.worst;
  const rows = [];
  for (const s of report.streams) {
    rows.push(row([s.key + " (" + (s.effectiveRateHz === null ? "no data" : fmt(s.effectiveRateHz, 1) + " / " + fmt(s.nominalRateHz, 0) + " Hz") + ")", s.verdict, s.reasons.join("; ")]));
    for (const c of s.channels || []) {
      if (c.verdict !== "pass") rows.push(row(["  " + s.key + " " + c.label, c.verdict, c.reasons.join("; ")]));
    }
  }
  const table = document.getElementById("check-results");
  table.querySelector("tbody").replaceChildren(...rows);
  table.hidden = false;
}

document.getElementById("check").addEventListener("click", async () => {
  const button = document.getElementById("check");
  button.disabled = true;
  say("Checking the signals for 3 s…");
  try {
    const report = await apiJson("api/check?seconds=3", { method: "POST" });
    showCheck(report);
    say("Signal check: " + report.worst);
  } catch (e) { say("Check failed: " + e.message, true); }
  button.disabled = false;
});

async function refreshState() {
  try { showState(await apiJson("api/state")); } catch (e) { say("Service not reachable: " + e.message, true); }
}

// ---------- live feed ----------

function connectFeed() {
  const source = new EventSource("api/events" + (token ? "?token=" + encodeURIComponent(token) : ""));
  source.addEventListener("state", e => showState(JSON.parse(e.data)));
  source.addEventListener("session", e => { showSession(JSON.parse(e.data)); refreshState(); });
  source.addEventListener("epoch", e => {
    const o = JSON.parse(e.data);
    if (o.accepted) view.erpDirty = true;
    view.allMarkers = view.allMarkers || [];
    if (!view.allMarkers.some(m => m.label === o.label && Math.abs(m.time - o.sessionTime) < 1e-6)) {
      view.allMarkers.push({ time: o.sessionTime, label: o.label });
      if (view.allMarkers.length > 500) view.allMarkers.shift();
    }
  });
  source.addEventListener("alpha", e => {
    const a = JSON.parse(e.data);
    if (view.session && a.session !== view.session.id) return;
    view.regions = a.regions;
    view.alpha.push({ sessionTime: a.sessionTime, absolute: a.absolute, relative: a.relative });
    if (view.alpha.length > 4000) view.alpha.shift();
    drawAlpha();
  });
  source.addEventListener("marker", e => {
    const m = JSON.parse(e.data);
    say("Marker " + m.label + " at " + fmt(m.sessionTime, 2) + " s");
  });
  source.onerror = () => say("Live feed interrupted; reconnecting…", true);
}

async function loadAlpha() {
  try {
    const a = await apiJson("api/session/alpha");
    view.regions = a.regions;
    view.alpha = a.points.map(p => ({ sessionTime: p.sessionTime, absolute: p.absolute, relative: p.relative }));
    drawAlpha();
  } catch (e) { /* no session */ }
}

// ---------- drawing ----------

function frame(canvas, xRange, yRange, xLabel, yLabel) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  const box = { left: 56, right: w - 10, top: 10, bottom: h - 28 };
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = "#d0d5dd";
  ctx.fillStyle = "#667085";
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
  const x = v => box.left + (v - xRange[0]) / (xRange[1] - xRange[0] || 1) * (box.right - box.left);
  const y = v => box.bottom - (v - yRange[0]) / (yRange[1] - yRange[0] || 1) * (box.bottom - box.top);
  for (const t of ticks(xRange[0], xRange[1], 6)) {
    ctx.fillText(String(+t.toFixed(3)), x(t) - 8, box.bottom + 14);
  }
  if (yRange && yLabel) for (const t of ticks(yRange[0], yRange[1], 5)) {
    ctx.fillText(String(+t.toPrecision(3)), 2, y(t) + 4);
    ctx.beginPath(); ctx.moveTo(box.left, y(t)); ctx.lineTo(box.right, y(t)); ctx.strokeStyle = "#f2f4f7"; ctx.stroke();
  }
  ctx.fillText(xLabel, (box.left + box.right) / 2 - 20, h - 2);
  ctx.save(); ctx.translate(10, box.top + 40); ctx.rotate(-Math.PI / 2); ctx.fillText(yLabel, -40, 0); ctx.restore();
  return { ctx, x, y, box };
}

function ticks(lo, hi, n) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(t);
  return out;
}

function line(ctx, xs, ys, x, y, colour, width) {
  ctx.beginPath();
  let started = false;
  for (let i = 0; i < xs.length; i++) {
    const v = ys[i];
    if (v === null || Number.isNaN(v) || typeof v !== "number") { started = false; continue; }
    if (!started) { ctx.moveTo(x(xs[i]), y(v)); started = true; } else ctx.lineTo(x(xs[i]), y(v));
  }
  ctx.strokeStyle = colour; ctx.lineWidth = width || 1.2; ctx.stroke(); ctx.lineWidth = 1;
}

function markerLines(g, markers, xRange) {
  for (const m of markers) {
    if (m.time < xRange[0] || m.time > xRange[1]) continue;
    const real = /kind=real/.test(m.label), manual = /source=manual/.test(m.label);
    g.ctx.strokeStyle = real ? "#b42318" : "#1570ef";
    g.ctx.setLineDash(manual ? [2, 3] : [6, 3]);
    g.ctx.beginPath(); g.ctx.moveTo(g.x(m.time), g.box.top); g.ctx.lineTo(g.x(m.time), g.box.bottom); g.ctx.stroke();
    g.ctx.setLineDash([]);
    g.ctx.fillStyle = g.ctx.strokeStyle;
    g.ctx.fillText(m.label.replace(/^needle\//, "").replace(/;source=manual/, " (by hand)").slice(0, 36), g.x(m.time) + 3, g.box.top + 12);
  }
}

function drawTraces() {
  const t = view.traces, canvas = document.getElementById("traces");
  if (!t || t.times.length === 0) return;
  const scale = Number(document.getElementById("trace-scale").value);
  const n = t.channels.length;
  const end = t.times[t.times.length - 1], span = Number(document.getElementById("trace-window").value);
  const g = frame(canvas, [end - span, end], [0, n], "session time (s)", "");
  const pitch = 1;
  t.values.forEach((values, c) => {
    // Each channel on its own baseline, its mean removed, `scale` µV per lane.
    let mean = 0;
    for (const v of values) mean += v;
    mean /= values.length || 1;
    const base = n - c - 0.5;
    line(g.ctx, t.times, values.map(v => base + (v - mean) / scale * pitch * 0.5), g.x, g.y, palette[c % palette.length], 1);
    g.ctx.fillStyle = palette[c % palette.length];
    g.ctx.fillText(t.channels[c], 4, g.y(base) + 4);
  });
  markerLines(g, t.markers, [end - span, end]);
  canvas.dataset.points = String(t.times.length);
  document.getElementById("traces-info").textContent = t.stream + " · " + fmt(t.rateHz, 0) + " points/s per channel (decimated by the service) · " + scale + " " + (t.units[0] || "µV").replace("uV", "µV") + " per lane";
}

function drawAlpha() {
  const canvas = document.getElementById("alpha");
  const mode = document.querySelector("input[name=alpha-mode]:checked").value;
  const points = view.alpha;
  canvas.dataset.points = String(points.length);
  if (points.length === 0) return;
  const xs = points.map(p => p.sessionTime);
  let lo = Infinity, hi = -Infinity;
  for (const p of points) for (const v of p[mode]) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (mode === "relative") { lo = 0; hi = Math.max(1, hi); } else { lo = 0; hi = hi * 1.1 || 1; }
  const g = frame(canvas, [xs[0], Math.max(xs[xs.length - 1], xs[0] + 1)], [lo, hi], "session time (s)", mode === "relative" ? "relative" : "µV²");
  view.regions.forEach((r, i) => line(g.ctx, xs, points.map(p => p[mode][i]), g.x, g.y, palette[i % palette.length], 1.5));
  const markers = view.allMarkers || [];
  markerLines(g, markers, [xs[0], xs[xs.length - 1]]);
  document.getElementById("alpha-legend").replaceChildren(...view.regions.map((r, i) => legend(r, palette[i % palette.length])));
}

function legend(text, colour) {
  const s = document.createElement("span");
  s.textContent = text;
  s.style.setProperty("--c", colour);
  return s;
}

function drawErp() {
  const canvas = document.getElementById("erp");
  const e = view.erp;
  if (!e || e.averages.length === 0) { canvas.dataset.epochs = "0"; return; }
  const select = document.getElementById("erp-channel");
  const channels = e.averages[0].channels;
  if (select.options.length !== channels.length) {
    select.replaceChildren(...channels.map(c => new Option(c, c)));
    select.value = channels.includes("Cz") ? "Cz" : channels[0];
  }
  const ch = Math.max(0, channels.indexOf(select.value));
  let lo = Infinity, hi = -Infinity;
  for (const a of e.averages) a.mean[ch].forEach((m, k) => {
    const se = Number(a.standardError[ch][k]) || 0;
    if (m - se < lo) lo = m - se; if (m + se > hi) hi = m + se;
  });
  const times = e.averages[0].times;
  const g = frame(canvas, [times[0], times[times.length - 1]], [lo, hi], "time from needle event (s)", "µV (" + channels[ch] + ")");
  let epochs = 0;
  for (const a of e.averages) {
    const colour = colourOf(a.condition), m = a.mean[ch], se = a.standardError[ch].map(Number);
    epochs += a.count;
    if (a.count > 1) {
      g.ctx.beginPath();
      a.times.forEach((t, k) => k === 0 ? g.ctx.moveTo(g.x(t), g.y(m[k] + se[k])) : g.ctx.lineTo(g.x(t), g.y(m[k] + se[k])));
      for (let k = a.times.length - 1; k >= 0; k--) g.ctx.lineTo(g.x(a.times[k]), g.y(m[k] - se[k]));
      g.ctx.closePath(); g.ctx.globalAlpha = 0.15; g.ctx.fillStyle = colour; g.ctx.fill(); g.ctx.globalAlpha = 1;
    }
    line(g.ctx, a.times, m, g.x, g.y, colour, 1.6);
  }
  g.ctx.strokeStyle = "#98a2b3"; g.ctx.beginPath(); g.ctx.moveTo(g.x(0), g.box.top); g.ctx.lineTo(g.x(0), g.box.bottom); g.ctx.stroke();
  canvas.dataset.epochs = String(epochs);
  document.getElementById("erp-legend").replaceChildren(...e.averages.map(a => legend(a.condition + " (n=" + a.count + ")", colourOf(a.condition))));
}

function drawHrf() {
  const panel = document.getElementById("hrf-panel"), canvas = document.getElementById("hrf");
  const h = view.hrf;
  panel.hidden = !h || h.averages.length === 0;
  if (panel.hidden) return;
  let lo = Infinity, hi = -Infinity;
  for (const a of h.averages) for (const s of [a.hbo, a.hbr]) for (const v of s) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const times = h.averages[0].times;
  const g = frame(canvas, [times[0], times[times.length - 1]], [lo, hi], "time from needle event (s)", "Δ µM");
  let epochs = 0;
  for (const a of h.averages) {
    epochs += a.count;
    line(g.ctx, a.times, a.hbo, g.x, g.y, colourOf(a.condition), 1.8);
    g.ctx.setLineDash([4, 3]); line(g.ctx, a.times, a.hbr, g.x, g.y, colourOf(a.condition), 1.4); g.ctx.setLineDash([]);
  }
  canvas.dataset.epochs = String(epochs);
  document.getElementById("hrf-legend").replaceChildren(...h.averages.map(a => legend(a.condition + " HbO — / HbR - - (n=" + a.count + ")", colourOf(a.condition))));
}

// ---------- polling of the bulky views ----------

async function pollTraces() {
  if (view.state && view.state.state === "recording") {
    const stream = document.getElementById("trace-stream").value;
    const channels = document.getElementById("trace-channels").value.replace(/\s/g, "");
    const span = document.getElementById("trace-window").value;
    const query = new URLSearchParams({ seconds: span });
    if (stream) query.set("stream", stream);
    if (channels) query.set("channels", channels);
    try {
      view.traces = await apiJson("api/session/traces?" + query);
      const select = document.getElementById("trace-stream");
      if (select.options.length !== view.traces.allStreams.length) {
        select.replaceChildren(...view.traces.allStreams.map(k => new Option(k, k)));
        select.value = view.traces.stream;
      }
      drawTraces();
    } catch (e) { say("Traces: " + e.message, true); }
  }
  setTimeout(pollTraces, 250);
}

async function pollResults() {
  if (view.state && view.state.state === "recording") {
    if (view.erpDirty) {
      view.erpDirty = false;
      try { view.erp = await apiJson("api/session/erp?step=2"); drawErp(); } catch (e) { view.erpDirty = true; }
    }
    try {
      const r = await api("api/session/hrf");
      if (r.ok) { view.hrf = await r.json(); drawHrf(); }
    } catch (e) { /* optional */ }
  }
  setTimeout(pollResults, 1000);
}

for (const input of document.querySelectorAll("input[name=alpha-mode]")) input.addEventListener("change", drawAlpha);
document.getElementById("erp-channel").addEventListener("change", drawErp);
document.getElementById("trace-scale").addEventListener("change", drawTraces);
document.getElementById("trace-stream").addEventListener("change", () => { document.getElementById("trace-channels").value = ""; });

refreshState();
connectFeed();
pollTraces();
pollResults();
