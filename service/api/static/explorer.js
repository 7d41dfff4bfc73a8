// Yardstick explorer: pick a region and an indicator; see the series, the comparison, the ranking, the sources.
"use strict";
const $ = (s) => document.querySelector(s);
const enc = encodeURIComponent;
const state = { region: null, indicator: null, indicators: {} };

async function getJSON(url) {
  const r = await fetch(url, { headers: { accept: "application/json" } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.detail || r.statusText);
  return body;
}

function option(value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

async function loadIndicators() {
  const { indicators } = await getJSON("/v1/indicators?limit=1000");
  const select = $("#indicator");
  for (const i of indicators) {
    state.indicators[i.code] = i;
    select.append(option(i.code, `${i.name} (${i.code})`));
  }
}

let searchTimer = null;
function searchRegions() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("#region-q").value.trim();
    const select = $("#region");
    select.replaceChildren();
    if (!q) return;
    const { regions } = await getJSON(`/v1/regions?q=${enc(q)}&limit=20`);
    for (const r of regions) select.append(option(r.code, `${r.name} ${r.name_en ? "· " + r.name_en : ""} (${r.code})`));
    if (regions.length === 1) { select.value = regions[0].code; choose(); }
  }, 150);
}

function snippet(title, text) {
  const wrap = document.createElement("div");
  const h = document.createElement("h4");
  h.textContent = title;
  const pre = document.createElement("pre");
  pre.textContent = text;
  const copy = document.createElement("button");
  copy.type = "button";
  copy.textContent = "Copy";
  copy.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(text));
  wrap.append(h, pre, copy);
  return wrap;
}

async function choose() {
  state.region = $("#region").value || state.region;
  state.indicator = $("#indicator").value || state.indicator;
  if (!state.region || !state.indicator) return;
  $("#error").hidden = true;
  const ind = state.indicators[state.indicator];
  const base = location.origin;
  const seriesUrl = `/v1/series/${enc(state.indicator)}/${enc(state.region)}`;
  try {
    const [series, cmp] = await Promise.all([getJSON(seriesUrl), getJSON(`/v1/compare/${enc(state.indicator)}/${enc(state.region)}`)]);
    $("#result").hidden = false;
    $("#heading").textContent = `${series.region.name} · ${ind.name}`;
    $("#series-chart").src = `${seriesUrl}/chart.svg`;
    $("#series-chart").alt = `${series.region.name} ${ind.name}: line chart`;
    const p = cmp.periods[0];
    $("#compare-chart").src = `/v1/compare/${enc(state.indicator)}/${enc(state.region)}/chart.svg?period=${enc(p.period)}`;
    $("#compare-chart").alt = `${p.name} ${p.value} compared with its province and the nation`;
    $("#compare-period").textContent = p.period;
    const rows = [[p.name, p.value, "", p.status]].concat(p.against.map((a) => [a.name, a.value,
      a.gap_pp != null ? `${a.gap_pp >= 0 ? "+" : ""}${a.gap_pp.toFixed(1)} pp` : a.share_pct != null ? `${a.share_pct.toFixed(1)}%` : "—", a.status || "missing"]));
    $("#compare tbody").replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      r.forEach((cell, i) => { const td = document.createElement("td"); td.textContent = cell == null ? "—" : cell; if (i === 1) td.className = "num"; tr.append(td); });
      return tr;
    }));
    $("#rank").textContent = p.rank ? `排名 Rank: ${p.rank.rank} / ${p.rank.of} (${p.rank.method})` : "";
    const parent = series.region.parent;
    $("#rankings-chart").src = parent ? `/v1/rankings/${enc(state.indicator)}/chart.svg?parent=${enc(parent)}&period=${enc(p.period)}` : "";
    $("#rankings-chart").alt = parent ? `Ranking among the children of ${parent}` : "";
    const quotes = [...new Set(series.observations.map((o) => o.quote).filter(Boolean))];
    $("#quotes").replaceChildren(...quotes.map((q) => { const li = document.createElement("li"); li.textContent = `“${q}”`; return li; }));
    const csv = `${base}${seriesUrl}?format=csv`;
    $("#snippets").replaceChildren(
      snippet("curl", `curl -s '${base}${seriesUrl}'`),
      snippet("pandas", `import pandas as pd\ndf = pd.read_csv('${csv}')`),
      snippet("DuckDB", `select * from read_csv('${csv}');`),
      snippet("iframe", `<iframe src="${base}/embed/compare/${enc(state.indicator)}/${enc(state.region)}" width="520" height="380" style="border:0"></iframe>`),
    );
  } catch (err) {
    $("#error").textContent = err.message;
    $("#error").hidden = false;
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  await loadIndicators();
  $("#region-q").addEventListener("input", searchRegions);
  $("#region").addEventListener("change", choose);
  $("#indicator").addEventListener("change", choose);
  $("#pick").addEventListener("submit", (e) => e.preventDefault());
  document.body.dataset.ready = "true";
});
