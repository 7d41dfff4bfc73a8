// Yardstick explorer: pick a region and an indicator; see the series, the comparison, the league tables, the
// revisions, the sources. The view lives in the URL (?region=&indicator=&period=&tab=): links can be shared and
// back/forward work. A newer choice always wins over answers still arriving for an older one.
"use strict";
const $ = (s) => document.querySelector(s);
const enc = encodeURIComponent;
const TABS = ["compare", "league", "revisions", "use"];
const STATUS = { A: "公布 reported", P: "初步 provisional", E: "估计 estimated", D: "推算 derived" };
const state = { region: null, indicator: null, period: null, tab: "compare" };
const indicators = {};
let generation = 0;

class Problem extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function getJSON(url) {
  let r;
  try { r = await fetch(url, { headers: { accept: "application/json" } }); } catch {
    throw new Problem(0, "");
  }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Problem(r.status, body.detail || r.statusText);
  return body;
}

function plain(err) {
  if (err.status === 0) return "连不上服务器 The server could not be reached. Check the connection and try again.";
  if (err.status === 404) return `没有找到 Not found: ${err.message}`;
  if (err.status === 429) return "请求太多 Too many requests for now: wait a minute and try again.";
  if (err.status === 401) return "需要 API key: this server asks for a key to read data.";
  if (err.status >= 500) return "服务器出错 The server had a problem: please try again later.";
  return `无法显示 Cannot show this: ${err.message}`;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const fmt = (v) => (v == null ? "—" : String(v));
// Charts drawn at the width they are shown at, so their text stays readable on a phone (never scaled down).
const chartWidth = () => Math.max(160, Math.min(480, $("main").clientWidth - 90));
const statusCell = (s) => el("td", STATUS[s || "A"] || s, s === "D" ? "derived" : s === "E" ? "estimated" : "");

function row(cells, cls) {
  const tr = el("tr", null, cls);
  for (const c of cells) tr.append(c instanceof Node ? c : el("td", fmt(c)));
  return tr;
}

// CSV as Excel opens it: with a UTF-8 BOM (bom=true), or Excel on Chinese Windows reads it as GBK (mojibake).
function downloads(target, base, label) {
  const sep = base.includes("?") ? "&" : "?";
  target.replaceChildren(el("span", `下载 Download ${label}: `),
    ...["csv", "parquet"].map((f) => {
      const a = el("a", f.toUpperCase(), "button");
      a.href = `${base}${sep}format=${f}${f === "csv" ? "&bom=true" : ""}`;
      a.download = "";
      return a;
    }));
}

// ---- the URL is the state ----
function fromURL() {
  const p = new URLSearchParams(location.search);
  state.region = p.get("region");
  state.indicator = p.get("indicator");
  state.period = p.get("period");
  state.tab = TABS.includes(p.get("tab")) ? p.get("tab") : "compare";
}

function toURL() {
  const p = new URLSearchParams();
  for (const k of ["region", "indicator", "period", "tab"]) if (state[k] && !(k === "tab" && state.tab === "compare")) p.set(k, state[k]);
  const url = `${location.pathname}${p.toString() ? "?" + p : ""}`;
  if (url !== location.pathname + location.search) history.pushState(null, "", url);
}

// ---- pickers ----
async function loadIndicators() {
  const { indicators: list } = await getJSON("/v1/indicators?limit=1000");
  for (const i of list) indicators[i.code] = i;
  await fillIndicators();
}

async function fillIndicators() {
  let codes = Object.keys(indicators);
  if ($("#with-data").checked && state.region) {
    const { series } = await getJSON(`/v1/series?region=${enc(state.region)}&limit=1000`);
    const have = new Set(series.map((s) => s.indicator));
    codes = codes.filter((c) => have.has(c));
  }
  const select = $("#indicator");
  select.replaceChildren(...codes.map((c) => new Option(`${indicators[c].name} (${c})`, c)));
  if (state.indicator) select.value = state.indicator;
}

let searchTimer = null;
function searchRegions() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("#region-q").value.trim();
    const select = $("#region");
    if (!q) { select.replaceChildren(); return; }
    try {
      const { results } = await getJSON(`/v1/search?q=${enc(q)}&limit=60`);
      const regions = results.filter((r) => r.type === "region").slice(0, 20);
      select.replaceChildren(...regions.map((r) => new Option(`${r.name}${r.name_en ? " · " + r.name_en : ""} (${r.code})`, r.code)));
      if (regions.length === 1) { select.value = regions[0].code; pick(); }
    } catch (err) { showError(err); }
  }, 150);
}

function pick() {
  const region = $("#region").value || state.region;
  const indicator = $("#indicator").value || state.indicator;
  if (region !== state.region || indicator !== state.indicator) state.period = null;
  Object.assign(state, { region, indicator });
  toURL();
  render();
}

function showError(err) {
  $("#error").textContent = plain(err);
  $("#error").hidden = false;
}

function showTab() {
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === state.tab));
  for (const v of document.querySelectorAll("[data-view]")) v.hidden = v.dataset.view !== state.tab;
}

// ---- one view, built from the state; an older render stops where a newer one began ----
async function render() {
  const mine = ++generation;
  const current = () => mine === generation;
  $("#error").hidden = true;
  $("#result").hidden = true;
  $("#empty").hidden = true;
  showTab();
  if (state.region && $("#with-data").checked) await fillIndicators().catch(showError);
  if (!state.region || !state.indicator) { $("#status").textContent = "请选择地区和指标 Choose a region and an indicator."; return; }
  $("#status").textContent = "加载中 Loading…";
  const ind = indicators[state.indicator];
  const seriesUrl = `/v1/series/${enc(state.indicator)}/${enc(state.region)}`;
  try {
    const [region, series] = await Promise.all([getJSON(`/v1/regions/${enc(state.region)}`), getJSON(seriesUrl)]);
    if (!current()) return;
    $("#indicator").value = state.indicator;
    if (![...$("#region").options].some((o) => o.value === state.region)) $("#region").replaceChildren(new Option(`${region.name} (${region.code})`, region.code));
    $("#region").value = state.region;
    if (!series.observations.length) return noData(region, ind, current);
    const periods = series.observations.map((o) => o.period).reverse();
    if (!periods.includes(state.period)) state.period = periods[0];
    $("#period").replaceChildren(...periods.map((p) => new Option(p, p)));
    $("#period").value = state.period;
    const q = `period=${enc(state.period)}`;
    const root = region.ancestors.length ? region.ancestors[region.ancestors.length - 1].code : null;
    const compareUrl = `/v1/compare/${enc(state.indicator)}/${enc(state.region)}?${q}`;
    const siblingsUrl = region.parent ? `/v1/rankings/${enc(state.indicator)}?parent=${enc(region.parent)}&${q}` : null;
    const nationUrl = root ? `/v1/rankings/${enc(state.indicator)}?parent=${enc(root)}&level=${enc(region.level)}&${q}` : null;
    const [cmp, siblings, nation, history] = await Promise.all([
      getJSON(`${compareUrl}&rank_scope=nation`),
      siblingsUrl ? getJSON(siblingsUrl) : null,
      nationUrl ? getJSON(`${nationUrl}&limit=20`) : null,
      getJSON(`${seriesUrl}?vintages=all`),
    ]);
    if (!current()) return;
    $("#status").textContent = "";
    $("#result").hidden = false;
    $("#heading").textContent = `${region.name} · ${ind.name}`;
    document.title = `${region.name} · ${ind.name} · Yardstick`;
    showCompare(cmp.periods[0], seriesUrl, compareUrl, series);
    showLeague(cmp.periods[0], siblings, nation, siblingsUrl, nationUrl);
    showRevisions(history, seriesUrl);
    showUse(series, seriesUrl);
  } catch (err) {
    if (!current()) return;
    $("#status").textContent = "";
    showError(err);
  }
}

async function noData(region, ind, current) {
  $("#status").textContent = "";
  $("#empty").hidden = false;
  $("#empty-text").textContent = `${region.name}没有“${ind.name}”的数据。 ${region.name} has no figures for this indicator.`;
  const { series } = await getJSON(`/v1/series?region=${enc(region.code)}&limit=1000`);
  if (!current()) return;
  if (!series.length) {
    $("#empty-text").textContent += " 该地区暂无任何数据 It has no figures for any indicator yet: try its parent region.";
    $("#empty-choices").replaceChildren();
    return;
  }
  $("#empty-text").textContent += " 本地区有数据的指标 Indicators it has:";
  $("#empty-choices").replaceChildren(...series.map((s) => {
    const b = el("button", indicators[s.indicator] ? indicators[s.indicator].name : s.indicator);
    b.type = "button";
    b.addEventListener("click", () => { $("#indicator").value = s.indicator; pick(); });
    const li = el("li");
    li.append(b);
    return li;
  }));
}

function showCompare(p, seriesUrl, compareUrl, series) {
  $("#series-chart").src = `${seriesUrl}/chart.svg?width=${chartWidth()}`;
  $("#series-chart").alt = `${series.region.name}: line chart of ${series.observations.length} periods`;
  $("#compare-chart").src = `${compareUrl.replace("?", "/chart.svg?")}&width=${chartWidth()}`;
  $("#compare-chart").alt = `${p.name} ${p.value} compared with its ancestors`;
  $("#compare-period").textContent = p.period;
  const gap = (a) => a.gap_pp != null ? `${a.gap_pp >= 0 ? "+" : ""}${a.gap_pp.toFixed(1)} pp` : a.share_pct != null ? `${a.share_pct.toFixed(1)}%` : "—";
  $("#compare tbody").replaceChildren(
    row([p.name, el("td", fmt(p.value), "num"), "", statusCell(p.status)], "me"),
    ...p.against.map((a) => row([a.name, el("td", fmt(a.value), "num"), gap(a), a.missing ? el("td", "无数据 no data", "missing") : statusCell(a.status)])));
  $("#rank").textContent = rankText(p.rank, p.rank_nation);
  downloads($("#compare-downloads"), compareUrl, "comparison");
}

// How complete a computed rank is: among the regions with data only, when some have none.
function coverage(rank) {
  const c = rank.computed;
  if (rank.method !== "computed" || !c || c.complete) return `(${rank.method})`;
  const among = c.of + c.missing.length;
  return `（${among}个中${c.of}个有数据 ${c.of} of ${among} have data）`;
}

function rankText(rank, nation) {
  const parts = [];
  if (rank) {
    parts.push(`同级排名 Rank among siblings: ${rank.rank} / ${rank.of} ${coverage(rank)}`);
    if (rank.reported && rank.computed && rank.reported.rank !== rank.computed.rank) {
      parts.push(`公布 reported ${rank.reported.rank}, 计算 computed ${rank.computed.rank} of ${rank.computed.of}: they disagree`);
    } else if (rank.reported && rank.computed) {
      parts.push(`reported and computed agree`);
    }
  }
  if (nation) parts.push(`全国同级 nationwide: ${nation.rank} / ${nation.of} ${coverage(nation)}`);
  return parts.join(" · ");
}

function leagueRow(r, me, withParent) {
  const cells = [r.rank, r.name, ...(withParent ? [r.parent_name] : []), el("td", fmt(r.value), "num"), r.percentile];
  if (!withParent) cells.push(r.reported_rank);
  return row(cells, r.region === me ? "me" : "");
}

function showLeague(p, siblings, nation, siblingsUrl, nationUrl) {
  const me = state.region;
  $("#league-siblings tbody").replaceChildren(...(siblings ? siblings.rankings.filter((r) => r.value != null || r.reported_rank != null).map((r) => leagueRow(r, me, false)) : []));
  if (siblingsUrl) downloads($("#siblings-downloads"), siblingsUrl, "siblings");
  if (!nation) return;
  $("#league-count").textContent = `${nation.ranked} / ${nation.of} 有数据 with data`;
  const rows = nation.rankings.filter((r) => r.value != null).map((r) => leagueRow(r, me, true));
  if (!nation.rankings.some((r) => r.region === me)) {
    const rank = p.rank_nation ? p.rank_nation.rank : "—";
    rows.push(row(["…", "", "", "", ""]), row([rank, p.name, "", el("td", fmt(p.value), "num"), ""], "me"));
  }
  $("#league-nation tbody").replaceChildren(...rows);
  const chartUrl = nationUrl.replace("?", "/chart.svg?");
  $("#rankings-chart").src = `${chartUrl}&limit=20&highlight=${enc(me)}&width=${chartWidth()}`;
  $("#rankings-chart").alt = `Top 20 of ${nation.of} regions of this level, this region highlighted`;
  downloads($("#league-downloads"), nationUrl, "nationwide table");
}

function showRevisions(history, seriesUrl) {
  const by = {};
  for (const o of history.observations) (by[o.period] = by[o.period] || []).push(o);
  const revised = Object.values(by).filter((list) => list.length > 1);
  $("#revisions tbody").replaceChildren(...revised.flat().map((o) =>
    row([o.period, el("td", fmt(o.value), "num"), o.published, `${o.realtime_start} – ${o.realtime_end === "9999-12-31" ? "今 now" : o.realtime_end}`])));
  $("#revisions-note").textContent = revised.length
    ? `${revised.length} 个时期有修订 periods were revised.`
    : "没有修订 No revisions: every figure is as first published.";
  downloads($("#revisions-downloads"), `${seriesUrl}?vintages=all`, "every release");
}

function showUse(series, seriesUrl) {
  const base = location.origin;
  const quotes = [...new Set(series.observations.map((o) => o.quote).filter(Boolean))];
  $("#quotes").replaceChildren(...quotes.map((q) => el("li", `“${q}”`)));
  const csv = `${base}${seriesUrl}?format=csv`;
  const snippet = (title, text) => {
    const wrap = el("div");
    const copy = el("button", "Copy");
    copy.type = "button";
    copy.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(text));
    wrap.append(el("h4", title), el("pre", text), copy);
    return wrap;
  };
  $("#snippets").replaceChildren(
    snippet("curl", `curl -s '${base}${seriesUrl}'`),
    snippet("pandas", `import pandas as pd\ndf = pd.read_csv('${csv}')`),
    snippet("DuckDB", `select * from read_csv('${csv}');`),
    snippet("iframe", `<iframe src="${base}/embed/compare/${enc(state.indicator)}/${enc(state.region)}" width="520" height="380" style="border:0"></iframe>`),
  );
  downloads($("#series-downloads"), seriesUrl, "series");
}

document.addEventListener("DOMContentLoaded", async () => {
  fromURL();
  try { await loadIndicators(); } catch (err) { showError(err); }
  $("#region-q").addEventListener("input", searchRegions);
  $("#region").addEventListener("change", pick);
  $("#indicator").addEventListener("change", pick);
  $("#with-data").addEventListener("change", () => fillIndicators().catch(showError));
  $("#period").addEventListener("change", () => { state.period = $("#period").value; toURL(); render(); });
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => { state.tab = b.dataset.tab; toURL(); showTab(); });
  $("#pick").addEventListener("submit", (e) => e.preventDefault());
  window.addEventListener("popstate", () => { fromURL(); render(); });
  await render();
  document.body.dataset.ready = "true";
});
