// The offices' page: log in, find declarations (C2), read one whole (C3, ledger, timeline), C4 statistics.
// Everything shown comes from /api/... of the same origin; data is only ever set as text, never as markup.
// The words of the page, in Türkçe and English, are TEXT of i18n.js (loaded first).
"use strict";

const STATUSES = ["lodged", "accepted", "inspection_completed", "closed", "rejected", "cancelled"];

let lang = localStorage.getItem("office-lang") === "en" ? "en" : "tr";
let session = null;
let lastSearch = null;
const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[lang][key] ?? key;

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang === "tr" ? "tr-TR" : "en-GB", { timeZone: "Europe/Istanbul" });
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  if (response.status === 401 && path !== "/api/login") {
    session = null;
    render();
    throw new Error(t("ended"));
  }
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = new Error((body && body.reason) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function translate() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("language").textContent = t("language");
  if (session) {
    $("who").textContent = TEXT[lang].logged_in({ ...session, role_label: TEXT[lang].roles[session.role] || session.role });
  }
  renderGlossary();
}

function render() {
  $("login-view").hidden = Boolean(session);
  $("app-view").hidden = !session;
  $("who").hidden = $("logout").hidden = !session;
  translate();
}

function tab(name) {
  document.querySelectorAll("[data-view]").forEach((v) => { v.hidden = v.id !== name; });
  document.querySelectorAll("[data-tab]").forEach((b) => {
    if (b.dataset.tab === name || (name === "detail" && b.dataset.tab === "search")) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  });
}

function statusText(status) { return status ? t("s_" + status) : ""; }

async function search(event) {
  if (event) event.preventDefault();
  showError("");
  const params = new URLSearchParams();
  for (const [key, value] of new FormData($("search-form"))) if (String(value).trim()) params.set(key, String(value).trim());
  try {
    const answer = await api("/api/declarations?" + params);
    lastSearch = answer;
    showResults(answer);
  } catch (error) { showError(error.message); }
}

function showResults(answer) {
  const body = $("results");
  body.replaceChildren();
  for (const d of answer.declarations) {
    const row = document.createElement("tr");
    row.dataset.testid = "result";
    row.setAttribute("data-testid", "result-" + d.declaration_number);
    const link = document.createElement("a");
    link.href = "#"; link.className = "declaration"; link.textContent = d.declaration_number;
    link.addEventListener("click", (e) => { e.preventDefault(); openDeclaration(d.declaration_number); });
    cell(row, "").appendChild(link);
    cell(row, d.carnet_number, "wrap"); cell(row, d.holder_name, "wrap"); cell(row, d.regime);
    cell(row, d.office_name || d.customs_office, "wrap"); cell(row, statusText(d.status)); cell(row, when(d.lodged_at));
    body.appendChild(row);
  }
  $("search-count").textContent = answer.declarations.length ? TEXT[lang].found(answer.declarations.length, answer.more) : t("none");
}

function fact(list, label, value) {
  if (value === null || value === undefined || value === "") return;
  const dt = document.createElement("dt"); dt.textContent = label;
  const dd = document.createElement("dd"); dd.textContent = value;
  list.append(dt, dd);
}

async function openDeclaration(number) {
  showError("");
  try {
    const d = await api("/api/declaration?" + new URLSearchParams({ number }));
    showDeclaration(d);
    tab("detail");
  } catch (error) { showError(error.message); }
}

function showDeclaration(d) {
  $("d-number").textContent = d.declaration_number;
  const facts = $("d-facts"); facts.replaceChildren();
  fact(facts, t("c_carnet"), d.carnet_number);
  fact(facts, t("c_holder"), d.holder_name);
  fact(facts, t("f_holder_id"), d.holder_id);
  fact(facts, t("f_country"), d.issuing_country);
  fact(facts, t("c_regime"), d.regime);
  fact(facts, t("c_office"), `${d.office_name || ""} (${d.customs_office})`);
  fact(facts, t("f_destination"), d.destination_office);
  fact(facts, t("c_status"), statusText(d.status));
  fact(facts, t("c_lodged"), when(d.lodged_at));
  fact(facts, t("f_declarant"), `${d.declarant.name} (${d.declarant.id_kind} ${d.declarant.id_value}, ${d.declarant.acts_as})`);
  fact(facts, t("f_inspector"), d.inspection_officer);
  fact(facts, t("f_voucher"), d.voucher_number);
  fact(facts, t("f_deadline"), d.discharge_deadline);
  fact(facts, t("f_closed_by"), d.closed_by);

  const ledger = $("ledger"); ledger.replaceChildren();
  for (const line of d.lines) {
    const row = document.createElement("tr");
    row.setAttribute("data-testid", "line-" + line.line_no);
    cell(row, String(line.line_no), "number"); cell(row, line.description, "wrap");
    cell(row, line.goods_list_quantity ?? "", "number"); cell(row, String(line.entered), "number");
    cell(row, String(line.discharged), "number"); cell(row, String(line.open), "number");
    const notes = cell(row, "", "wrap");
    const list = document.createElement("ul"); list.className = "notes";
    for (const doc of line.documents) {
      const item = document.createElement("li");
      item.textContent = `${doc.name} (${doc.document_type}, ${doc.location}; SHA-256 ${doc.sha256.slice(0, 12)}…)`;
      list.appendChild(item);
    }
    for (const note of line.notes) { const item = document.createElement("li"); item.textContent = "“" + note + "”"; list.appendChild(item); }
    if (list.children.length) notes.appendChild(list);
    ledger.appendChild(row);
  }

  const linked = $("linked"); linked.replaceChildren();
  for (const l of d.linked) {
    const item = document.createElement("li");
    item.setAttribute("data-testid", "linked-" + l.declaration_number);
    item.append(t("rel_" + l.relation) + ": ");
    if (l.visible) {
      const a = document.createElement("a"); a.href = "#"; a.textContent = l.declaration_number;
      a.addEventListener("click", (e) => { e.preventDefault(); openDeclaration(l.declaration_number); });
      item.append(a, ` (${l.regime}, ${statusText(l.status)})`);
    } else {
      item.append(`${l.declaration_number} (${t("tcgb")})`);
    }
    linked.appendChild(item);
  }
  if (!d.linked.length) { const item = document.createElement("li"); item.textContent = t("no_linked"); linked.appendChild(item); }
  $("summary").textContent = d.summary ? TEXT[lang].summary_text(d.summary) : t("no_summary");

  const timeline = $("timeline"); timeline.replaceChildren();
  for (const e of d.timeline) {
    const row = document.createElement("tr");
    row.setAttribute("data-testid", "event-" + e.event);
    cell(row, when(e.at)); cell(row, TEXT[lang].events[e.event] || e.event).title = e.event;
    cell(row, statusText(e.status));
    const who = e.role ? `${TEXT[lang].roles[e.role] || e.role}, ${e.office}, ${e.officer_id}` : (e.declarant || e.sent_by || "");
    cell(row, who, "wrap"); cell(row, e.detail, "wrap");
    timeline.appendChild(row);
  }
  lastDetail = d;
}
let lastDetail = null;

function statsQuery() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData($("stats-form"))) if (value) params.set(key, String(value));
  return params;
}

async function statistics(event) {
  if (event) event.preventDefault();
  showError("");
  try {
    const answer = await api("/api/statistics?" + statsQuery());
    showStatistics(answer);
  } catch (error) { showError(error.message); }
}

function showStatistics(answer) {
  const head = $("stats-head"); head.replaceChildren();
  const labels = [t("by_" + answer.by), t("st_declarations"), t("st_carnets"), ...STATUSES.map(statusText)];
  for (const label of labels) { const th = document.createElement("th"); th.textContent = label; head.appendChild(th); }
  const body = $("stats-body"); body.replaceChildren();
  for (const g of answer.groups) {
    const row = document.createElement("tr");
    row.setAttribute("data-testid", "group-" + g.key);
    cell(row, g.key, "wrap"); cell(row, String(g.declarations), "number"); cell(row, String(g.carnets), "number");
    for (const s of STATUSES) cell(row, String(g.by_status[s] || 0), "number");
    body.appendChild(row);
  }
  const total = document.createElement("tr");
  total.setAttribute("data-testid", "stats-total");
  cell(total, t("total")); cell(total, String(answer.total_declarations), "number"); cell(total, String(answer.total_carnets), "number");
  body.appendChild(total);
  lastStats = answer;
}
let lastStats = null;

function updateCsvLink() { $("csv").href = "/api/statistics.csv?" + statsQuery(); }

let officesShown = false;
function renderGlossary() {
  const list = $("glossary-list"); list.replaceChildren();
  for (const [term, meaning] of TEXT[lang].glossary) fact(list, term, meaning);
}

async function loadOffices() {
  if (officesShown) return;
  const offices = await api("/api/offices");
  const body = $("offices"); body.replaceChildren();
  for (const o of offices) {
    const row = document.createElement("tr");
    cell(row, o.code); cell(row, o.name, "wrap"); cell(row, t(o.kind)); cell(row, o.directorate, "wrap"); cell(row, o.region);
    body.appendChild(row);
  }
  officesShown = true;
}

async function login(event) {
  event.preventDefault();
  showError("");
  const form = new FormData($("login-form"));
  try {
    session = await api("/api/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: form.get("name"), password: form.get("password") }),
    });
    $("login-form").reset();
    render(); tab("search"); search();
  } catch (error) { showError(error.status === 401 ? t("wrong") : error.message); }
}

async function logout() {
  try { await api("/api/logout", { method: "POST" }); } catch (error) { /* ended already */ }
  session = null; officesShown = false;
  render();
}

function today() { return new Date().toLocaleDateString("sv-SE", { timeZone: "Europe/Istanbul" }); }

document.addEventListener("DOMContentLoaded", async () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("search-form").addEventListener("submit", search);
  $("stats-form").addEventListener("submit", statistics);
  $("stats-form").addEventListener("input", updateCsvLink);
  $("stats-form").addEventListener("change", updateCsvLink);
  $("back").addEventListener("click", () => tab("search"));
  document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", async () => {
    tab(b.dataset.tab);
    if (b.dataset.tab === "glossary") { try { await loadOffices(); } catch (error) { showError(error.message); } }
  }));
  $("language").addEventListener("click", () => {
    lang = lang === "tr" ? "en" : "tr";
    localStorage.setItem("office-lang", lang);
    render();
    if (lastSearch) showResults(lastSearch);
    if (lastDetail) showDeclaration(lastDetail);
    if (lastStats) showStatistics(lastStats);
    officesShown = false;
    if (!$("glossary").hidden) loadOffices().catch((error) => showError(error.message));
  });
  const first = new Date(); first.setDate(1);
  $("stats-form").elements.date_from.value = first.toLocaleDateString("sv-SE", { timeZone: "Europe/Istanbul" });
  $("stats-form").elements.date_to.value = today();
  updateCsvLink();
  try { session = await api("/api/session"); } catch (error) { session = null; }
  render();
  tab("search");
  if (session) search();
});
