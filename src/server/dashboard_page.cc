#include "server/dashboard_page.h"

namespace recd {
namespace {

constexpr std::string_view kHtml = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>recd ops</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.2em; color: #222; background: #fafafa; }
h1 { font-size: 1.4em; margin: 0 0 .3em 0; }
h2 { font-size: 1.05em; margin: 1.2em 0 .4em 0; }
#state { color: #666; font-size: .9em; }
.tiles { display: flex; flex-wrap: wrap; gap: .6em; }
.tile { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .5em .8em; min-width: 8em; }
.tile .v { font-size: 1.5em; font-weight: 600; }
.tile .l { font-size: .8em; color: #666; }
table { border-collapse: collapse; background: #fff; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th { background: #f0f0f0; }
td.n, th.n { text-align: left; }
form { margin-bottom: .6em; }
input { margin-right: .5em; }
.item { display: grid; grid-template-columns: 2em 9em 5em 22em auto; gap: .6em; align-items: center;
        background: #fff; border-bottom: 1px solid #eee; padding: .2em .4em; font-size: .9em; }
.bar { display: flex; height: 1em; background: #eee; }
.seg { height: 100%; }
.reason { color: #555; }
.legend span { display: inline-block; margin-right: 1em; font-size: .85em; }
.legend i { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: middle; }
.error { color: #b00; }
</style>
</head>
<body>
<h1>recd ops</h1>
<div id="state">loading...</div>

<h2>Traffic (RecommendItems, last poll interval)</h2>
<div class="tiles">
  <div class="tile"><div class="v" id="qps">-</div><div class="l">QPS</div></div>
  <div class="tile"><div class="v" id="p50">-</div><div class="l">p50 (OK)</div></div>
  <div class="tile"><div class="v" id="p99">-</div><div class="l">p99 (OK)</div></div>
  <div class="tile"><div class="v" id="errors">-</div><div class="l">errors / s</div></div>
  <div class="tile"><div class="v" id="degraded">-</div><div class="l">degraded answers</div></div>
  <div class="tile"><div class="v" id="state-hits">-</div><div class="l">state cache hit rate</div></div>
  <div class="tile"><div class="v" id="result-hits">-</div><div class="l">result cache hit rate</div></div>
  <div class="tile"><div class="v" id="rss">-</div><div class="l">RSS</div></div>
</div>

<h2>Serving</h2>
<div>bundle <b id="bundle-version">-</b>, config <b id="config-version">-</b>, up <span id="uptime">-</span>;
  reloads <span id="reloads">-</span>, rejected <span id="rejected">-</span></div>
<h2>Models</h2>
<table id="models">
  <thead><tr><th class="n">model</th><th>weight</th><th>calls/s</th><th>p50</th><th>p99</th><th>failed</th>
  <th>timed out</th><th class="n">validation</th></tr></thead>
  <tbody></tbody>
</table>
<h2>Experiments</h2>
<div id="experiments-none">none configured: every user is served by the one fusion profile</div>
<table id="experiments" hidden>
  <thead><tr><th class="n">arm</th><th>share</th><th>answers/s</th><th>p50</th><th>p99</th><th>answers</th>
  <th class="n">fusion weights</th></tr></thead>
  <tbody></tbody>
</table>

<h2>Shadow</h2>
<div id="shadow-none">none running</div>
<table id="shadow" hidden>
  <thead><tr><th class="n">shadow</th><th>version</th><th>share</th><th>ranked</th><th>overlap@k</th>
  <th>rank corr.</th><th>p50</th><th>p99</th><th>degraded</th><th>failed</th><th>skipped</th></tr></thead>
  <tbody><tr>
    <td class="n" id="shadow-name"></td><td id="shadow-version"></td><td id="shadow-share"></td>
    <td id="shadow-ranked"></td><td id="shadow-overlap"></td><td id="shadow-correlation"></td>
    <td id="shadow-p50"></td><td id="shadow-p99"></td><td id="shadow-degraded"></td>
    <td id="shadow-failed"></td><td id="shadow-skipped"></td>
  </tr></tbody>
</table>
<div id="shadow-decision"></div>

<h2>Try it</h2>
<form id="try">
  <input id="try-user" placeholder="user id" required>
  <input id="try-recent" placeholder="recent items (comma separated, optional)" size="36">
  <input id="try-k" type="number" min="1" max="50" value="10" style="width:4em">
  <button id="try-go" type="submit">recommend</button>
</form>
<div id="try-meta"></div>
<div class="legend" id="try-legend"></div>
<div id="try-result"></div>

<script>
"use strict";
const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];
const modelColor = {};
function colorOf(model) {
  if (!(model in modelColor)) modelColor[model] = COLORS[Object.keys(modelColor).length % COLORS.length];
  return modelColor[model];
}
function text(id, value) { document.getElementById(id).textContent = value; }
function ms(seconds) {
  if (seconds === null) return "-";
  if (seconds === Infinity) return "> 68 s";
  return seconds < 0.001 ? (seconds * 1e6).toFixed(0) + " us" : (seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1) + " ms";
}
function pct(x) { return x === null ? "-" : (100 * x).toFixed(1) + " %"; }
// Quantile q of the observations between two cumulative bucket exports: the
// upper bound of the bucket holding it (as Prometheus' buckets are read).
function quantile(now, before, q) {
  if (!now) return null;
  const count = now.count - (before ? before.count : 0);
  if (count <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  for (let i = 0; i < now.bounds.length; i++) {
    const seen = now.cumulative[i] - (before ? before.cumulative[i] : 0);
    if (seen >= rank) return now.bounds[i];
  }
  return Infinity;
}
function rate(now, before, seconds) { return seconds > 0 ? Math.max(0, now - before) / seconds : null; }
function hitRate(c, p, name) {
  const h = c[name + "_cache_hits"] || 0, m = c[name + "_cache_misses"] || 0;
  const ph = p ? p[name + "_cache_hits"] || 0 : 0, pm = p ? p[name + "_cache_misses"] || 0 : 0;
  const dh = h - ph, dm = m - pm;
  if (dh + dm > 0) return dh / (dh + dm);
  return h + m > 0 ? h / (h + m) : null;  // nothing new: since start
}
function methodCalls(s, method) { return s.calls.filter(c => c.method === method); }
function sumCount(calls, filter) { return calls.filter(filter).reduce((a, c) => a + c.latency.count, 0); }

let previous = null;
function render(s) {
  const seconds = previous ? s.time - previous.time : 0;
  const recNow = methodCalls(s, "RecommendItems"), recBefore = previous ? methodCalls(previous, "RecommendItems") : [];
  const total = sumCount(recNow, () => true), totalBefore = sumCount(recBefore, () => true);
  const bad = sumCount(recNow, c => c.code !== "OK"), badBefore = sumCount(recBefore, c => c.code !== "OK");
  const okNow = recNow.find(c => c.code === "OK"), okBefore = recBefore.find(c => c.code === "OK");
  if (previous) {
    const qps = rate(total, totalBefore, seconds);
    text("qps", qps === null ? "-" : qps.toFixed(1));
    text("errors", rate(bad, badBefore, seconds).toFixed(2));
    text("p50", ms(quantile(okNow && okNow.latency, okBefore && okBefore.latency, 0.5)));
    text("p99", ms(quantile(okNow && okNow.latency, okBefore && okBefore.latency, 0.99)));
  }
  const c = s.counters, p = previous ? previous.counters : null;
  const answers = okNow ? okNow.latency.count - (okBefore ? okBefore.latency.count : 0) : 0;
  const degraded = (c.degraded_answers || 0) - (p ? p.degraded_answers || 0 : 0);
  text("degraded", answers > 0 ? pct(degraded / answers) : (c.degraded_answers || 0) + " total");
  text("state-hits", pct(hitRate(c, p, "state")));
  text("result-hits", pct(hitRate(c, p, "result")));
  text("rss", s.process ? (s.process.resident_bytes / 1048576).toFixed(0) + " MB" : "-");
  text("bundle-version", s.bundle_version);
  text("config-version", s.config_version);
  text("uptime", (s.uptime_seconds / 60).toFixed(1) + " min");
  text("reloads", c.reloads || 0);
  text("rejected", c.rejected_reloads || 0);
  const body = document.querySelector("#models tbody");
  body.textContent = "";
  for (const m of s.models) {
    const before = previous ? previous.models.find(x => x.name === m.name) : null;
    const calls = before ? m.calls - before.calls : 0;
    const failed = before ? m.failures - before.failures : m.failures;
    const timedOut = before ? m.timeouts - before.timeouts : m.timeouts;
    const validation = m.validation ? Object.entries(m.validation).filter(([k]) => k.startsWith("valid_"))
        .map(([k, v]) => k.replace("valid_", "") + " " + (Number.isInteger(v) ? v : v.toFixed(3))).join(", ") : "";
    const cells = [m.name, m.weight.toFixed(3), seconds > 0 ? (calls / seconds).toFixed(1) : "-",
                   ms(quantile(m.latency, before && before.latency, 0.5)),
                   ms(quantile(m.latency, before && before.latency, 0.99)),
                   calls > 0 ? pct(failed / calls) : failed, calls > 0 ? pct(timedOut / calls) : timedOut, validation];
    const tr = document.createElement("tr");
    tr.className = "model";
    cells.forEach((v, i) => {
      const td = document.createElement("td");
      if (i === 0 || i === 7) td.className = "n";
      td.textContent = v;
      tr.appendChild(td);
    });
    body.appendChild(tr);
    colorOf(m.name);
  }
  renderExperiments(s.experiments, previous ? previous.experiments : [], seconds);
  renderShadow(s.shadow || {});
  previous = s;
}

function renderShadow(sh) {
  const running = !!sh.name;
  document.getElementById("shadow-none").hidden = running;
  document.getElementById("shadow").hidden = !running;
  const set = (id, v) => { document.getElementById(id).textContent = v; };
  if (running) {
    const measured = sh.measured_name === sh.name;
    set("shadow-name", sh.name);
    set("shadow-version", sh.bundle_version_number + (sh.own_bundle ? "" : " (live bundle)"));
    set("shadow-share", pct(sh.fraction));
    set("shadow-ranked", measured ? sh.ranked : 0);
    set("shadow-overlap", measured && sh.ranked > 0 ? sh.overlap_at_k.toFixed(3) : "-");
    set("shadow-correlation", measured && sh.correlated > 0 ? sh.rank_correlation.toFixed(3) : "-");
    set("shadow-p50", measured && sh.ranked > 0 ? sh.latency_p50_ms.toFixed(2) + " ms" : "-");
    set("shadow-p99", measured && sh.ranked > 0 ? sh.latency_p99_ms.toFixed(2) + " ms" : "-");
    set("shadow-degraded", measured ? sh.degraded : 0);
    set("shadow-failed", measured ? sh.failed : 0);
    set("shadow-skipped", measured ? sh.skipped : 0);
  }
  const decision = sh.promoted ? "promoted: " + sh.promoted + " (serving; until restart or a new shadow)"
                 : sh.dropped ? "dropped: " + sh.dropped : "";
  set("shadow-decision", decision);
}

function renderExperiments(arms, before, seconds) {
  document.getElementById("experiments-none").hidden = arms.length > 0;
  document.getElementById("experiments").hidden = arms.length === 0;
  const body = document.querySelector("#experiments tbody");
  body.textContent = "";
  for (const a of arms) {
    const b = before.find(x => x.name === a.name);
    const count = a.latency ? a.latency.count : 0;
    const fresh = b && b.latency ? count - b.latency.count : 0;
    const weights = Object.entries(a.weights).filter(([, w]) => w !== 0)
        .map(([m, w]) => m + " " + w.toFixed(2)).join(", ");
    const cells = [a.name, pct(a.share), seconds > 0 ? (fresh / seconds).toFixed(1) : "-",
                   ms(quantile(a.latency, b && b.latency, 0.5)), ms(quantile(a.latency, b && b.latency, 0.99)),
                   count, (weights || "the served profile") + (a.bundle_version ? " (bundle " + a.bundle_version + ")" : "")];
    const tr = document.createElement("tr");
    tr.className = "arm";
    cells.forEach((v, i) => {
      const td = document.createElement("td");
      if (i === 0 || i === 6) td.className = "n";
      td.textContent = v;
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
}

async function poll() {
  try {
    const r = await fetch("/api/status", {cache: "no-store"});
    const s = await r.json();
    if (!r.ok) throw new Error(s.error || r.statusText);
    render(s);
    text("state", "live, updated " + new Date().toLocaleTimeString());
    document.getElementById("state").className = "";
  } catch (e) {
    text("state", "not serving: " + e.message);
    document.getElementById("state").className = "error";
  }
}

function drawAnswer(a) {
  const meta = "request " + a.request_id + (a.experiment_arm ? ", arm " + a.experiment_arm : "") +
      (a.fallback ? ", popularity fallback" : "") +
      (a.degraded.length ? ", degraded: " + a.degraded.join(", ") : "") +
      (a.ignored_item_ids.length ? ", unknown ids ignored: " + a.ignored_item_ids.join(", ") : "");
  text("try-meta", meta);
  const result = document.getElementById("try-result");
  result.textContent = "";
  const widest = Math.max(1e-9, ...a.items.map(i => i.contributions.reduce((t, c) => t + Math.abs(c.contribution), 0)));
  const models = new Set();
  a.items.forEach((item, n) => {
    const row = document.createElement("div");
    row.className = "item";
    const rank = document.createElement("span"); rank.textContent = (n + 1) + ".";
    const id = document.createElement("b"); id.className = "item-id"; id.textContent = item.item_id;
    const score = document.createElement("span"); score.textContent = item.score.toFixed(3);
    const bar = document.createElement("div"); bar.className = "bar";
    for (const c of item.contributions) {
      models.add(c.model);
      const seg = document.createElement("div");
      seg.className = "seg";
      seg.style.width = (100 * Math.abs(c.contribution) / widest) + "%";
      seg.style.background = colorOf(c.model);
      seg.title = c.model + ": " + c.contribution.toFixed(3) + " = " + c.weight.toFixed(3) + " x " +
                  c.normalized_score.toFixed(3);
      bar.appendChild(seg);
    }
    const reason = document.createElement("span"); reason.className = "reason"; reason.textContent = item.reason;
    [rank, id, score, bar, reason].forEach(e => row.appendChild(e));
    result.appendChild(row);
  });
  const legend = document.getElementById("try-legend");
  legend.textContent = "";
  for (const m of models) {
    const span = document.createElement("span");
    const swatch = document.createElement("i"); swatch.style.background = colorOf(m);
    span.appendChild(swatch);
    span.appendChild(document.createTextNode(m));
    legend.appendChild(span);
  }
}

document.getElementById("try").addEventListener("submit", async ev => {
  ev.preventDefault();
  const q = new URLSearchParams({user_id: document.getElementById("try-user").value,
                                 recent: document.getElementById("try-recent").value,
                                 k: document.getElementById("try-k").value});
  document.getElementById("try-meta").className = "";
  try {
    const r = await fetch("/api/recommend?" + q.toString(), {cache: "no-store"});
    const a = await r.json();
    if (!r.ok) throw new Error(a.error || r.statusText);
    drawAnswer(a);
  } catch (e) {
    document.getElementById("try-result").textContent = "";
    text("try-meta", "error: " + e.message);
    document.getElementById("try-meta").className = "error";
  }
});

poll();
setInterval(poll, 2000);
</script>
</body>
</html>
)html";

}  // namespace

std::string_view DashboardHtml() { return kHtml; }

}  // namespace recd
