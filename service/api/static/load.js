// The review page (/load): a document in, its figures proposed by POST /v1/extract, a person accepts, edits or
// rejects them, and one POST /v1/batch commits the accepted rows with the document's source (Idempotency-Key: the
// digest of what is committed, so a retried click stores it once). No framework, no CDN; text only via textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { answer: null, text: "", file: null, rows: [] };
const MEDIA = {
  txt: "text/plain; charset=utf-8",
  html: "text/html",
  htm: "text/html",
  csv: "text/csv",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  xls: "application/vnd.ms-excel",
};
const OBSERVATION_COLUMNS = ["indicator", "region", "period", "value", "status", "published", "source", "quote", "note"];

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function say(where, text, bad = false) {
  $(where).textContent = text;
  $(where).classList.toggle("bad", bad);
}

function problemText(p) {
  const errors = (p.errors || []).slice(0, 8).map((e) => {
    const at = [e.parameter, e.file, e.row && `row ${e.row}`, e.column].filter(Boolean).join(" ");
    return (at ? `${at}: ` : "") + e.detail;
  });
  return [p.detail || p.title || "error", ...errors].join(" · ");
}

function headers(extra = {}) {
  const key = $("key").value.trim();
  return key ? { authorization: `Bearer ${key}`, ...extra } : extra;
}

async function extract(event) {
  event.preventDefault();
  const file = state.file;
  const pasted = $("text").value;
  if (!file && !pasted.trim()) return say("status", "先粘贴文字或选择文件 Paste a text or choose a file first.", true);
  const params = new URLSearchParams();
  for (const name of ["region", "published", "period"]) if ($(name).value.trim()) params.set(name, $(name).value.trim());
  const ext = file ? file.name.split(".").pop().toLowerCase() : "txt";
  const media = file ? MEDIA[ext] || file.type || "application/octet-stream" : MEDIA.txt;
  say("status", "提取中 Extracting…");
  const response = await fetch(`/v1/extract?${params}`, {
    method: "POST",
    headers: headers({ "content-type": media }),
    body: file || pasted,
  });
  const body = await response.json();
  if (!response.ok) return say("status", `${response.status}: ${problemText(body)}`, true);
  state.answer = body;
  state.text = body.document.text ?? (file ? await decoded(file) : pasted);
  state.rows = body.observations.map((o, i) => ({ ...o, id: i, accepted: true }));
  render();
  const n = body.observations.length;
  say("status", `${n} 个数据 figures found, ${body.unresolved.length} not resolved. Review them, then commit.`);
}

async function decoded(file) {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("gb18030").decode(bytes);
  }
}

function render() {
  $("review").hidden = false;
  renderDocument();
  renderRows();
  renderList("new-indicators", state.answer.indicators, (ind) => {
    const box = el("input", { type: "checkbox", checked: true, dataset: { code: ind.code } });
    return el("label", {}, box, ` ${ind.code} · ${ind.name} (${ind.unit}, ${ind.kind}, ${ind.frequency})`);
  });
  renderList("unresolved", state.answer.unresolved, (u) => el("span", {}, `“${u.quote}” — ${u.why}`));
  $("summary").textContent = `document sha256 ${state.answer.document.sha256.slice(0, 12)}…`;
}

function renderList(id, items, item) {
  const list = $(id).querySelector("ul");
  list.replaceChildren(...items.map((x) => el("li", {}, item(x))));
  $(id).hidden = items.length === 0;
}

// The text, each found figure's span a <mark> linked to its row (spans count code points, as the API does).
function renderDocument() {
  const chars = Array.from(state.text);
  const spans = state.rows
    .filter((r) => Array.isArray(r.span))
    .map((r) => ({ start: r.span[0], end: r.span[1], ids: [r.id] }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      last.ids.push(...s.ids);
    } else merged.push({ ...s, ids: [...s.ids] });
  }
  const parts = [];
  let at = 0;
  for (const s of merged) {
    parts.push(chars.slice(at, s.start).join(""));
    const mark = el("mark", { tabIndex: 0, dataset: { rows: s.ids.join(" ") } }, chars.slice(s.start, s.end).join(""));
    mark.addEventListener("click", () => focusRow(s.ids[0]));
    parts.push(mark);
    at = s.end;
  }
  parts.push(chars.slice(at).join(""));
  $("document").replaceChildren(...parts);
}

function cell(row, field, width) {
  const input = el("input", { value: row[field] ?? "", size: width, "aria-label": field, dataset: { field } });
  input.addEventListener("change", () => {
    row[field] = field === "value" ? Number(input.value) : input.value.trim();
    row.edited = true;
    input.closest("tr").classList.add("edited");
  });
  return el("td", {}, input);
}

function renderRows() {
  const body = $("rows").querySelector("tbody");
  body.replaceChildren(
    ...state.rows.map((row) => {
      const box = el("input", { type: "checkbox", checked: row.accepted, "aria-label": "accept" });
      box.addEventListener("change", () => {
        row.accepted = box.checked;
        box.closest("tr").classList.toggle("rejected", !box.checked);
      });
      const tr = el(
        "tr",
        { id: `row-${row.id}`, dataset: { row: row.id }, className: rowClass(row) },
        el("td", {}, box),
        cell(row, "indicator", 22),
        cell(row, "region", 7),
        cell(row, "period", 8),
        cell(row, "value", 8),
        el("td", { title: row.note || "" }, row.status),
        el("td", { className: "quote" }, row.quote),
      );
      tr.addEventListener("click", (e) => e.target.tagName !== "INPUT" && focusMark(row.id));
      return tr;
    }),
  );
}

function rowClass(row) {
  return [row.status === "D" && "derived", !row.accepted && "rejected", row.edited && "edited"].filter(Boolean).join(" ");
}

function focusRow(id) {
  const tr = $(`row-${id}`);
  document.querySelectorAll("tr.focus").forEach((x) => x.classList.remove("focus"));
  tr.classList.add("focus");
  tr.scrollIntoView({ block: "center" });
}

function focusMark(id) {
  const mark = [...document.querySelectorAll("#document mark")].find((m) => m.dataset.rows.split(" ").includes(`${id}`));
  if (!mark) return;
  document.querySelectorAll("mark.focus").forEach((x) => x.classList.remove("focus"));
  mark.classList.add("focus");
  mark.scrollIntoView({ block: "center" });
}

function batch() {
  const doc = state.answer.document;
  const published = $("published").value;
  const sourceId = `doc-${doc.sha256.slice(0, 16)}`;
  const title = $("title").value.trim() || `${state.text.trim().split("\n")[0].slice(0, 60)}`;
  const source = { id: sourceId, title, published: published || null, note: `sha256:${doc.sha256}` };
  for (const k of ["publisher", "url"]) if ($(k).value.trim()) source[k] = $(k).value.trim();
  const chosen = new Set([...document.querySelectorAll("#new-indicators input:checked")].map((b) => b.dataset.code));
  const indicators = state.answer.indicators.filter((i) => chosen.has(i.code));
  const observations = state.rows
    .filter((r) => r.accepted)
    .map((r) => {
      const row = Object.fromEntries(OBSERVATION_COLUMNS.map((c) => [c, r[c] ?? null]));
      return { ...row, published: published || r.published, source: sourceId };
    });
  const out = { sources: [source] };
  if (indicators.length) out.indicators = indicators;
  if (observations.length) out.observations = observations;
  return out;
}

async function digest(text) {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function commit() {
  if (!$("published").value && state.rows.some((r) => r.accepted && !r.published)) {
    return say("result", "填写发布日期 Give the published date: it is the figures' vintage.", true);
  }
  const body = JSON.stringify(batch());
  const key = `load-${(await digest(body)).slice(0, 32)}`;
  say("result", "提交中 Committing…");
  const response = await fetch("/v1/batch", {
    method: "POST",
    headers: headers({ "content-type": "application/json", "idempotency-key": key }),
    body,
  });
  const answer = await response.json();
  if (!response.ok) return say("result", `${response.status}: ${problemText(answer)}`, true);
  say("result", `已提交 Committed: snapshot ${answer.snapshot}, ${answer.added} added, ${answer.revised} revised, ` +
    `${answer.unchanged} unchanged.`);
  document.body.dataset.committed = answer.snapshot || "unchanged";
}

function pick(file) {
  state.file = file;
  $("file-name").textContent = file ? `${file.name} (${file.size} bytes)` : "";
}

$("doc").addEventListener("submit", (e) => extract(e).catch((err) => say("status", String(err), true)));
$("file").addEventListener("change", () => pick($("file").files[0] || null));
$("text").addEventListener("input", () => pick(null));
$("text").addEventListener("dragover", (e) => e.preventDefault());
$("text").addEventListener("drop", (e) => {
  e.preventDefault();
  if (e.dataTransfer.files.length) pick(e.dataTransfer.files[0]);
});
$("all").addEventListener("click", () => setAll(true));
$("none").addEventListener("click", () => setAll(false));
$("commit").addEventListener("click", () => commit().catch((err) => say("result", String(err), true)));

function setAll(accepted) {
  state.rows.forEach((r) => (r.accepted = accepted));
  renderRows();
}

document.body.dataset.ready = "true";
