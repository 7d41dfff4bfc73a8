// Yardstick explorer: pick a region and an indicator; see the series, the comparison, the league tables, the
// revisions, the sources. The view lives in the URL (?region=&indicator=&period=&tab=&span=&start=&end=&units=&lang=):
// links can be shared and back/forward work. A newer choice always wins over answers still arriving for an older one.
"use strict";
const $ = (s) => document.querySelector(s);
const enc = encodeURIComponent;
const TABS = ["compare", "league", "revisions", "use"];
const STATUS = { A: "公布 reported", P: "初步 provisional", E: "估计 estimated", D: "推算 derived" };
const SPANS = ["5y", "10y", "all", "custom"];
const DEFAULTS = { tab: "compare", span: "10y", units: "lin", lang: "zh" };
const KEYS = ["region", "indicator", "period", "tab", "span", "start", "end", "units", "lang"];
const state = { region: null, indicator: null, period: null, tab: "compare", span: "10y", start: null, end: null, units: "lin", lang: "zh" };
// The transforms /v1/series offers (units=), in the words of the page; which apply depends on the indicator.
const UNITS = {
  lin: ["原值 level", "level"],
  chg: ["变化 change", "change"],
  ch1: ["同比变化 change from a year ago", "change from a year ago"],
  pch: ["环比增长 % change", "% change"],
  pc1: ["同比增长 % change from a year ago", "% change from a year ago"],
  chg_prev: ["较上次变化 change from the previous figure", "change from the previous figure"],
  pch_prev: ["较上次增长 % change from the previous figure", "% change from the previous figure"],
  from_ytd: ["当期值 single-period values", "single-period values"],
  normalize: ["指数 index (first = 100)", "index (first = 100)"],
};
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
const en = () => state.lang === "en";
const W = (zh, english) => (en() ? english : zh);
const nm = (o) => (en() && o.name_en ? o.name_en : o.name);
// Charts drawn at the width they are shown at, so their text stays readable on a phone (never scaled down): the
// whole width of the page, or half of it beside another chart (two columns above 640 px).
const fullWidth = () => Math.max(160, Math.min(960, Math.floor($("main").clientWidth)));
const chartWidth = () => (matchMedia("(max-width: 640px)").matches ? fullWidth() : Math.max(160, Math.floor((fullWidth() - 16) / 2)));
const langQ = () => (en() ? "&lang=en" : "");
const statusWord = (s) => { const t = STATUS[s || "A"] || s; return en() ? t.split(" ").slice(1).join(" ") : t; };
const statusCell = (s) => el("td", statusWord(s), s === "D" ? "derived" : s === "E" ? "estimated" : "");
// A figure as the tables show it: at most 4 decimals (a percent change is 11.249999999999993 in the JSON).
const num = (v) => (v == null ? "—" : String(Number(v.toFixed(4))));
// 累计: a year-to-date series (the catalog's accumulation), unless its single-period values are shown (from_ytd).
const cumulative = (ind, units) => (ind && ind.accumulation === "ytd" && units !== "from_ytd" ? W("（累计）", " (YTD, 累计)") : "");
const unitText = (u) => (en() ? u.name_en || u.symbol : u.symbol || u.name);

function row(cells, cls) {
  const tr = el("tr", null, cls);
  for (const c of cells) tr.append(c instanceof Node ? c : el("td", fmt(c)));
  return tr;
}

// CSV as Excel opens it: with a UTF-8 BOM (bom=true), or Excel on Chinese Windows reads it as GBK (mojibake).
function downloads(target, base, label) {
  const sep = base.includes("?") ? "&" : "?";
  target.replaceChildren(el("span", W(`下载 Download ${label}: `, `Download ${label}: `)),
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
  for (const k of KEYS) state[k] = p.get(k) || DEFAULTS[k] || null;
  if (!TABS.includes(state.tab)) state.tab = "compare";
  if (!SPANS.includes(state.span)) state.span = DEFAULTS.span;
  if (state.start || state.end) state.span = "custom";
  if (state.lang !== "en") state.lang = "zh";
}

function toURL() {
  const p = new URLSearchParams();
  for (const k of KEYS) if (state[k] && state[k] !== DEFAULTS[k] && !(k === "span" && state.span === "custom")) p.set(k, state[k]);
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
  select.replaceChildren(...codes.map((c) => new Option(`${nm(indicators[c])} (${c})`, c)));
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
      const both = (r) => (en() ? [r.name_en, r.name] : [r.name, r.name_en]).filter(Boolean).join(" · ");
      select.replaceChildren(...regions.map((r) => new Option(`${both(r)} (${r.code})`, r.code)));
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

// A plain table of the values a chart draws: its caption, a header row, one row per period (th scope=row).
function valueTable(table, caption, head, rows) {
  const tr = el("tr");
  for (const h of head) { const th = el("th", h); th.scope = "col"; tr.append(th); }
  const thead = el("thead");
  thead.append(tr);
  const tbody = el("tbody");
  for (const [first, ...cells] of rows) {
    const r = el("tr");
    const th = el("th", first);
    th.scope = "row";
    r.append(th, ...cells.map((c) => (c instanceof Node ? c : el("td", c, "num"))));
    tbody.append(r);
  }
  table.replaceChildren(el("caption", caption), thead, tbody);
}

// The transforms that apply to an indicator: none to a rank; percent changes and indexes to levels and counts only;
// from a year ago only below a year (on a yearly series it is the change itself); from_ytd to year-to-date series.
function unitsFor(ind) {
  if (!ind || ind.kind === "rank") return ["lin"];
  const levels = ind.kind === "level" || ind.kind === "count";
  return Object.keys(UNITS).filter((u) => !(["pch", "pc1", "pch_prev", "normalize", "from_ytd"].includes(u) && !levels)
    && !(["ch1", "pc1"].includes(u) && ind.frequency === "A")
    && !(u === "from_ytd" && ind.accumulation !== "ytd"));
}

// The periods shown over time: the last 5 or 10 years of the series, all of it, or from … to … as typed.
function windowOf(periods) {
  if (state.span === "custom" && (state.start || state.end)) return { start: state.start, end: state.end };
  if (state.span !== "5y" && state.span !== "10y") return { start: periods[0], end: null };
  const last = parseInt(periods[periods.length - 1].slice(0, 4), 10);
  return { start: String(last - parseInt(state.span, 10) + 1), end: null };
}

function rangeQuery(range) {
  const p = new URLSearchParams();
  if (range.start) p.set("start", range.start);
  if (range.end) p.set("end", range.end);
  return p.toString();
}

// Every fixed word of the page in the chosen language (data-en holds the English; the bilingual text is kept).
function applyLang() {
  document.documentElement.lang = en() ? "en" : "zh-CN";
  $("#lang").value = state.lang;
  for (const e of document.querySelectorAll("[data-en]")) {
    if (e.dataset.zh == null) e.dataset.zh = e.textContent;
    e.textContent = en() ? e.dataset.en : e.dataset.zh;
  }
  $("#region-q").placeholder = W("地名或拼音，如 衡阳 / hengyang / hy", "a name or pinyin, e.g. Hengyang / hy");
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
  $("#empty").hidden = true;  // the result stays while the next one loads: a control being used keeps its focus
  showTab();
  if (state.region && $("#with-data").checked) await fillIndicators().catch(showError);
  $("#span").value = state.span;
  if (!state.region || !state.indicator) {
    $("#result").hidden = true;
    $("#status").textContent = W("请选择地区和指标 Choose a region and an indicator.", "Choose a region and an indicator.");
    return;
  }
  $("#status").textContent = W("加载中 Loading…", "Loading…");
  const ind = indicators[state.indicator];
  const seriesUrl = `/v1/series/${enc(state.indicator)}/${enc(state.region)}`;
  try {
    const [region, series] = await Promise.all([getJSON(`/v1/regions/${enc(state.region)}`), getJSON(seriesUrl)]);
    if (!current()) return;
    $("#indicator").value = state.indicator;
    if (![...$("#region").options].some((o) => o.value === state.region)) $("#region").replaceChildren(new Option(`${nm(region)} (${region.code})`, region.code));
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
    const units = unitsFor(ind);
    if (!units.includes(state.units)) state.units = "lin";
    $("#units").replaceChildren(...units.map((u) => new Option(W(...UNITS[u]), u)));
    $("#units").value = state.units;
    const range = windowOf(series.observations.map((o) => o.period));
    for (const [id, v] of [["#start", range.start], ["#end", range.end]]) if (document.activeElement !== $(id)) $(id).value = v || "";
    const rq = rangeQuery(range);
    const shownQ = [rq, state.units === "lin" ? "" : `units=${enc(state.units)}`].filter(Boolean).join("&");
    const trendUrl = `/v1/compare/${enc(state.indicator)}/${enc(state.region)}`;
    const [cmp, siblings, nation, history, shown, trend] = await Promise.all([
      getJSON(`${compareUrl}&rank_scope=nation`),
      siblingsUrl ? getJSON(siblingsUrl) : null,
      nationUrl ? getJSON(`${nationUrl}&limit=20`) : null,
      getJSON(`${seriesUrl}?vintages=all`),
      getJSON(`${seriesUrl}?${shownQ}`),
      getJSON(`${trendUrl}?${shownQ}`),
    ]);
    if (!current()) return;
    $("#status").textContent = "";
    $("#result").hidden = false;
    $("#heading").textContent = `${nm(region)} · ${nm(ind)}${cumulative(ind, "lin")}`;
    document.title = `${nm(region)} · ${nm(ind)}${cumulative(ind, "lin")} · Yardstick`;
    showTrend(trend, trendUrl, shownQ, ind);
    showSeries(shown, seriesUrl, shownQ, ind);
    showCompare(cmp.periods[0], compareUrl);
    showLeague(cmp.periods[0], siblings, nation, siblingsUrl, nationUrl);
    showRevisions(history, seriesUrl);
    showUse(series, seriesUrl, rq);
  } catch (err) {
    if (!current()) return;
    $("#status").textContent = "";
    $("#result").hidden = true;
    showError(err);
  }
}

async function noData(region, ind, current) {
  $("#status").textContent = "";
  $("#result").hidden = true;
  $("#empty").hidden = false;
  $("#empty-text").textContent = W(`${region.name}没有“${ind.name}”的数据。 ${region.name} has no figures for this indicator.`,
    `${nm(region)} has no figures for ${nm(ind)}.`);
  const { series } = await getJSON(`/v1/series?region=${enc(region.code)}&limit=1000`);
  if (!current()) return;
  if (!series.length) {
    $("#empty-text").textContent += " 该地区暂无任何数据 It has no figures for any indicator yet: try its parent region.";
    $("#empty-choices").replaceChildren();
    return;
  }
  $("#empty-text").textContent += " 本地区有数据的指标 Indicators it has:";
  $("#empty-choices").replaceChildren(...series.map((s) => {
    const b = el("button", indicators[s.indicator] ? nm(indicators[s.indicator]) : s.indicator);
    b.type = "button";
    b.addEventListener("click", () => { $("#indicator").value = s.indicator; pick(); });
    const li = el("li");
    li.append(b);
    return li;
  }));
}

// The region, its province and the nation over the chosen years in the chosen units: the line chart
// (/v1/compare/…/chart.svg with start/end and units) and its values, period by region.
function showTrend(trend, trendUrl, shownQ, ind) {
  const periods = trend.periods || [];
  const units = state.units === "lin" ? "" : ` · ${W(...UNITS[state.units])}`;
  const caption = `${W("随时间与上级比较 Over time, with the province and the nation", "Over time, with the province and the nation")}${units}${cumulative(ind, state.units)}`;
  $("#trend-chart").src = `${trendUrl}/chart.svg?${shownQ}&width=${fullWidth()}${langQ()}`;
  $("#trend-chart").alt = `${caption}: ${periods.length} ${W("个时期", "periods")}`;
  $("#trend-caption").textContent = caption;
  const names = periods.length ? [nm(periods[0]), ...periods[0].against.map(nm)] : [];
  valueTable($("#trend-table"), `${caption} (${unitText(trend.unit)})`, [W("时期 Period", "Period"), ...names],
    periods.map((p) => [p.period, num(p.value), ...p.against.map((a) => num(a.value))]));
}

// The series in the chosen units (units=) over the chosen years: the line chart and its values.
function showSeries(shown, seriesUrl, shownQ, ind) {
  const label = `${W("时间序列 Series", "Series")} · ${W(...UNITS[state.units])}${cumulative(ind, state.units)}`;
  $("#series-chart").src = `${seriesUrl}/chart.svg?${shownQ}${shownQ ? "&" : ""}last_n=1000&width=${chartWidth()}${langQ()}`;
  $("#series-chart").alt = `${nm(shown.region)}: ${label}, ${shown.observations.length} ${W("个时期", "periods")}`;
  $("#series-caption").textContent = label;
  const unit = unitText(shown.unit);
  valueTable($("#series-table"), label, [W("时期 Period", "Period"), W("数值 Value", "Value"), W("单位 Unit", "Unit")],
    shown.observations.map((o) => [o.period, num(o.value), el("td", unit)]));
}

function showCompare(p, compareUrl) {
  $("#compare-chart").src = `${compareUrl.replace("?", "/chart.svg?")}&width=${chartWidth()}${langQ()}`;
  $("#compare-chart").alt = `${nm(p)} ${p.value} ${W("与上级比较", "compared with its ancestors")}`;
  $("#compare-period").textContent = p.period;
  const gap = (a) => a.gap_pp != null ? `${a.gap_pp >= 0 ? "+" : ""}${a.gap_pp.toFixed(1)} pp` : a.share_pct != null ? `${a.share_pct.toFixed(1)}%` : "—";
  $("#compare tbody").replaceChildren(
    row([nm(p), el("td", fmt(p.value), "num"), "", statusCell(p.status)], "me"),
    ...p.against.map((a) => row([nm(a), el("td", fmt(a.value), "num"), gap(a), a.missing ? el("td", W("无数据 no data", "no data"), "missing") : statusCell(a.status)])));
  $("#rank").textContent = rankText(p.rank, p.rank_nation);
  downloads($("#compare-downloads"), compareUrl, "comparison");
}

// How complete a computed rank is: among the regions with data only, when some have none.
function coverage(rank) {
  const c = rank.computed;
  if (rank.method !== "computed" || !c || c.complete) return `(${rank.method})`;
  const among = c.of + c.missing.length;
  return W(`（${among}个中${c.of}个有数据 ${c.of} of ${among} have data）`, `(${c.of} of ${among} have data)`);
}

function rankText(rank, nation) {
  const parts = [];
  if (rank) {
    parts.push(`${W("同级排名 Rank among siblings", "Rank among siblings")}: ${rank.rank} / ${rank.of} ${coverage(rank)}`);
    if (rank.reported && rank.computed && rank.reported.rank !== rank.computed.rank) {
      parts.push(`公布 reported ${rank.reported.rank}, 计算 computed ${rank.computed.rank} of ${rank.computed.of}: they disagree`);
    } else if (rank.reported && rank.computed) {
      parts.push(`reported and computed agree`);
    }
  }
  if (nation) parts.push(`${W("全国同级 nationwide", "nationwide")}: ${nation.rank} / ${nation.of} ${coverage(nation)}`);
  return parts.join(" · ");
}

function leagueRow(r, me, withParent) {
  const cells = [r.rank, nm(r), ...(withParent ? [r.parent_name] : []), el("td", fmt(r.value), "num"), r.percentile];
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
    rows.push(row(["…", "", "", "", ""]), row([rank, nm(p), "", el("td", fmt(p.value), "num"), ""], "me"));
  }
  $("#league-nation tbody").replaceChildren(...rows);
  const chartUrl = nationUrl.replace("?", "/chart.svg?");
  $("#rankings-chart").src = `${chartUrl}&limit=20&highlight=${enc(me)}&width=${fullWidth()}${langQ()}`;
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
    ? W(`${revised.length} 个时期有修订 periods were revised.`, `${revised.length} periods were revised.`)
    : W("没有修订 No revisions: every figure is as first published.", "No revisions: every figure is as first published.");
  downloads($("#revisions-downloads"), `${seriesUrl}?vintages=all`, "every release");
}

// The widget's chart size (its own width= and height=) and the caption below it (source line, data links): the
// iframe is exactly as big as the widget, so it never scrolls.
const WIDGET = { width: 560, height: 320, caption: 88 };

function showUse(series, seriesUrl, rq) {
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
    snippet("iframe", `<iframe src="${widgetUrl(base, rq).replaceAll("&", "&amp;")}" width="${WIDGET.width}" `
      + `height="${WIDGET.height + WIDGET.caption}" style="border:0" title="Yardstick"></iframe>`),
  );
  downloads($("#series-downloads"), seriesUrl, "series");
}

function widgetUrl(base, rq) {
  const size = `width=${WIDGET.width}&height=${WIDGET.height}${langQ()}`;
  return `${base}/embed/compare/${enc(state.indicator)}/${enc(state.region)}?${rq}${rq ? "&" : ""}${size}`;
}

function onRange(custom) {
  state.span = custom ? "custom" : $("#span").value;
  [state.start, state.end] = state.span === "custom" ? [$("#start").value.trim() || null, $("#end").value.trim() || null] : [null, null];
  toURL();
  render();
}

document.addEventListener("DOMContentLoaded", async () => {
  fromURL();
  applyLang();
  try { await loadIndicators(); } catch (err) { showError(err); }
  $("#region-q").addEventListener("input", searchRegions);
  $("#region").addEventListener("change", pick);
  $("#indicator").addEventListener("change", pick);
  $("#with-data").addEventListener("change", () => fillIndicators().catch(showError));
  $("#period").addEventListener("change", () => { state.period = $("#period").value; toURL(); render(); });
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => { state.tab = b.dataset.tab; toURL(); showTab(); });
  $("#span").addEventListener("change", () => onRange(false));
  for (const id of ["#start", "#end"]) $(id).addEventListener("change", () => onRange(true));
  $("#units").addEventListener("change", () => { state.units = $("#units").value; toURL(); render(); });
  $("#lang").addEventListener("change", () => {
    state.lang = $("#lang").value;
    toURL();
    applyLang();
    fillIndicators().then(render).catch(showError);
  });
  $("#pick").addEventListener("submit", (e) => e.preventDefault());
  window.addEventListener("popstate", () => {
    const lang = state.lang;
    fromURL();
    if (lang !== state.lang) { applyLang(); fillIndicators().catch(showError); }
    render();
  });
  await render();
  document.body.dataset.ready = "true";
});
