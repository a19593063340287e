/* Operator console of the ATA hub.
 *
 * Plain JavaScript, no build step, no library. Nothing is read before the console knows who is here:
 * GET /api/session answers 401 to a logged-out browser, which then sees the login form only. Logged in,
 * the page keeps the session's CSRF token in memory (never in storage) and sends it, in X-CSRF-Token,
 * with every change; an operator of the role "watch" sees every button of a change disabled (the
 * server refuses them anyway). Any 401 (the session ended, expired or went idle) empties the page and
 * shows the login form again. Every 2 seconds the page reads, from its own origin:
 * /api/overview (each process's health, lag, throughput, errors, external systems, outbox),
 * /api/dead-letters and /api/reconciliations, and updates its tables in place (a row keeps its
 * buttons while its figures change). Everything shown goes through textContent: a dead letter's
 * reason or bytes are text, never markup.
 */
"use strict";

(function () {
  const REFRESH_MS = 2000;
  const WATCH_ONLY = "Your role (watch) may look, not act";

  const $ = (id) => document.getElementById(id);
  // session: {operator, role, may_act, csrf_token, ...} of GET /api/session; generation: bumped at each
  // login and logout, so that an answer to a read begun before is dropped.
  const state = { showAll: false, timer: null, session: null, generation: 0 };

  // ---------------------------------------------------------------- small helpers

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "className") node.className = value;
      else node.setAttribute(name, value);
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setText(node, text) {
    const value = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  function cell(tr, testid, className) {
    const td = el("td", { "data-testid": testid, className: className || "" });
    tr.appendChild(td);
    return td;
  }

  /* A cell with a main line and a smaller one below; both text. */
  function twoLines(td, main, detail) {
    if (!td.firstChild) {
      const name = td.getAttribute("data-testid");
      td.appendChild(el("span", { className: "main", "data-testid": name + "-text" }));
      td.appendChild(el("span", { className: "detail", "data-testid": name + "-detail" }));
    }
    setText(td.firstChild, main);
    setText(td.lastChild, detail);
    td.lastChild.hidden = !detail;
  }

  /* Rows of `tbody` kept by key: created once, updated on every refresh, removed when gone. */
  function keyedRows(tbody, items, keyOf, create, update) {
    const existing = new Map();
    for (const tr of Array.from(tbody.rows)) existing.set(tr.dataset.key, tr);
    const seen = new Set();
    let previous = null;
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      let tr = existing.get(key);
      if (!tr) {
        tr = create(item);
        tr.dataset.key = key;
      }
      update(tr, item);
      const wanted = previous ? previous.nextSibling : tbody.firstChild;
      if (tr !== wanted) tbody.insertBefore(tr, wanted);
      previous = tr;
    }
    for (const [key, tr] of existing) if (!seen.has(key)) tr.remove();
  }

  function clock(iso) {
    if (!iso) return "never";
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return String(iso);
    const text = at.toISOString();
    const today = new Date().toISOString().slice(0, 10);
    const time = text.slice(11, 19) + " UTC";
    return text.slice(0, 10) === today ? time : text.slice(0, 10) + " " + time;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.round(seconds);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }

  function number(value, digits) {
    if (value === null || value === undefined) return "—";
    if (Number.isInteger(value)) return value.toLocaleString("en-GB");
    return value.toLocaleString("en-GB", { maximumFractionDigits: digits === undefined ? 2 : digits });
  }

  function milliseconds(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    return seconds < 1 ? Math.round(seconds * 1000) + " ms" : number(seconds, 2) + " s";
  }

  function windowed(process, figure) {
    const windows = process.windows || {};
    return ["1m", "5m"].map((label) => (windows[label] ? number(windows[label][figure]) : "—")).join(" / ");
  }

  function mayAct() {
    return Boolean(state.session && state.session.may_act);
  }

  /* A button that changes something: disabled, and saying why, for an operator who may not act. */
  function actionButton(attributes, text) {
    const button = el("button", Object.assign({ type: "button" }, attributes), text);
    if (!mayAct()) {
      button.disabled = true;
      button.classList.add("not-allowed");
      button.title = WATCH_ONLY;
    }
    return button;
  }

  function say(kind, text) {
    const other = kind === "error" ? "info" : "error";
    $(other).hidden = true;
    setText($(kind), text);
    $(kind).hidden = !text;
  }

  function problem(data, status) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && Array.isArray(data.detail)) {
      return data.detail.map((d) => ((d.loc && d.loc.length ? d.loc[d.loc.length - 1] + ": " : "") + d.msg)).join("; ");
    }
    return "the console answered HTTP " + status;
  }

  async function api(method, path, body) {
    const options = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET" && state.session) options.headers["X-CSRF-Token"] = state.session.csrf_token;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      throw new Error("the console does not answer (" + error.message + ")");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (response.status === 401 && path !== "/api/login") {
      showLogin("Your session has ended; log in again. · Oturumunuz sona erdi; yeniden giriş yapın.");
    }
    if (!response.ok) {
      const error = new Error(problem(data, response.status));
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // ---------------------------------------------------------------- the reason dialog

  /* Ask for confirmation, and for a reason when `needReason`; resolves to the reason ("" when none
     was asked) or null when cancelled. */
  function ask(title, text, needReason) {
    const dialog = $("reason-dialog");
    setText($("reason-title"), title);
    setText($("reason-text"), text);
    $("reason-field").hidden = !needReason;
    $("reason-error").hidden = true;
    $("reason-input").value = "";
    return new Promise((resolve) => {
      const form = $("reason-form");
      function finish(value) {
        form.removeEventListener("submit", onSubmit);
        $("reason-cancel").removeEventListener("click", onCancel);
        dialog.removeEventListener("cancel", onCancel);
        dialog.close();
        resolve(value);
      }
      function onSubmit(event) {
        event.preventDefault();
        const reason = $("reason-input").value.trim();
        if (needReason && !reason) {
          $("reason-error").hidden = false;
          $("reason-input").focus();
          return;
        }
        finish(reason);
      }
      function onCancel(event) {
        event.preventDefault();
        finish(null);
      }
      form.addEventListener("submit", onSubmit);
      $("reason-cancel").addEventListener("click", onCancel);
      dialog.addEventListener("cancel", onCancel);
      dialog.showModal();
      (needReason ? $("reason-input") : $("reason-confirm")).focus();
    });
  }

  async function act(button, work) {
    button.disabled = true;
    try {
      const message = await work();
      if (message) say("info", message);
      await refresh();
    } catch (error) {
      say("error", error.message);
    } finally {
      button.disabled = !mayAct();
    }
  }

  // ---------------------------------------------------------------- processes

  function lagDetail(lag) {
    const behind = (lag.partitions || []).filter((p) => p.lag > 0);
    return behind.map((p) => p.group + " on " + p.topic + "[" + p.partition + "]: " + number(p.lag)).join("; ");
  }

  function createProcessRow(process) {
    const tr = el("tr", { "data-testid": "process-" + process.name });
    const name = cell(tr, "process-name");
    name.appendChild(el("strong", {}, process.name));
    cell(tr, "process-health", "health wrap");
    cell(tr, "process-lag", "number");
    cell(tr, "process-throughput", "number");
    cell(tr, "process-errors", "number");
    cell(tr, "process-dead-lettered", "number");
    cell(tr, "process-refused", "wrap");
    const metrics = cell(tr, "process-metrics-cell");
    const href = "/api/processes/" + encodeURIComponent(process.name) + "/metrics";
    metrics.appendChild(el("a", { href: href, "data-testid": "process-metrics" }, "metrics"));
    return tr;
  }

  function updateProcessRow(tr, p) {
    tr.dataset.state = p.state;
    const [health, lag, throughput, errors, dead, refused] = Array.from(tr.cells).slice(1, 7);
    const uptime = p.up && p.uptime_s !== null && p.uptime_s !== undefined ? "live, up " + duration(p.uptime_s) : "";
    const seen = p.up || p.last_answer_at ? "" : "never answered";
    twoLines(health, p.health, [uptime, seen].filter(Boolean).join("; "));
    twoLines(lag, p.up || p.last_answer_at ? number(p.lag.total) : "—", lagDetail(p.lag));
    setText(throughput, windowed(p, "consumed_per_s"));
    setText(errors, windowed(p, "errors_per_min"));
    const lately = p.windows && p.windows["5m"] ? p.windows["5m"].dead_lettered : null;
    twoLines(dead, number(p.totals.dead_lettered), lately ? "+" + number(lately) + " in the last 5 min" : "");
    const rules = Object.entries(p.totals.refused || {});
    setText(refused, rules.length ? rules.map(([rule, n]) => rule + ": " + number(n)).join(", ") : "none");
  }

  // ---------------------------------------------------------------- external systems

  const CIRCUIT = {
    closed: "closed",
    half_open: "half-open: a trial call is due",
    open: "open: calls are held back",
    unknown: "unknown",
  };

  /* Failing but accepted as such: the adapter says "knowingly degraded" only while the system fails. */
  function systemState(system) {
    if (system.stale) return "stale";
    if (system.degraded && system.ok && system.detail.includes("knowingly degraded")) return "degraded";
    return system.ok === false ? "failing" : "answering";
  }

  function systemWords(system) {
    const words = { answering: "Answering", degraded: "Knowingly degraded", failing: "Not answering", stale: "Unknown now" };
    const state = systemState(system);
    return state === "answering" && system.degraded ? "Answering (still declared degraded)" : words[state];
  }

  function callsText(system) {
    const last = system.windows && system.windows["5m"];
    if (!last) return "—";
    const kinds = Object.entries(last.errors_by_kind || {}).map(([kind, n]) => kind.replace(/_/g, " ") + " " + number(n));
    const errors =
      number(last.errors) + (last.errors === 1 ? " error" : " errors") + (kinds.length ? " (" + kinds.join(", ") + ")" : "");
    return number(last.calls) + (last.calls === 1 ? " call, " : " calls, ") + errors;
  }

  function createSystemRow(item) {
    const tr = el("tr", { "data-testid": "system-" + item.process + "-" + item.system.system });
    cell(tr, "system-name").appendChild(el("strong", {}, item.system.system));
    cell(tr, "system-process").textContent = item.process;
    cell(tr, "system-state", "state wrap");
    cell(tr, "system-circuit");
    cell(tr, "system-last-answer");
    cell(tr, "system-calls", "wrap");
    cell(tr, "system-p95", "number");
    const actions = cell(tr, "system-actions");
    const degrade = actionButton({ "data-testid": "declare-degraded" }, "Declare degraded");
    const clear = actionButton({ className: "secondary", "data-testid": "clear-degraded" }, "Clear degraded");
    degrade.addEventListener("click", () => declareDegraded(degrade, tr.dataset.process, tr.dataset.system));
    clear.addEventListener("click", () => clearDegraded(clear, tr.dataset.process, tr.dataset.system));
    actions.append(degrade, clear);
    return tr;
  }

  function updateSystemRow(tr, item) {
    const system = item.system;
    tr.dataset.process = item.process;
    tr.dataset.system = system.system;
    tr.dataset.state = systemState(system);
    const [, , stateCell, circuit, last, calls, p95, actions] = Array.from(tr.cells);
    const stale = system.stale ? "what it said when it last answered: " : "";
    twoLines(stateCell, systemWords(system), stale + system.summary);
    setText(circuit, "Circuit " + (CIRCUIT[system.circuit] || system.circuit));
    circuit.className = "circuit-" + system.circuit;
    const by = system.degraded ? "declared degraded by " + system.degraded.by + ": " + system.degraded.reason : "";
    twoLines(last, clock(system.last_answer_at), by);
    setText(calls, callsText(system));
    setText(p95, milliseconds(system.windows && system.windows["5m"] ? system.windows["5m"].p95_s : null));
    const [degrade, clear] = actions.querySelectorAll("button");
    degrade.hidden = Boolean(system.degraded) || system.stale;
    clear.hidden = !system.degraded || system.stale;
  }

  async function declareDegraded(button, process, system) {
    const reason = await ask(
      "Declare " + system + " knowingly degraded",
      process + " stays ready while " + system + " fails; requests are still answered, as unavailable.",
      true,
    );
    if (reason === null) return;
    await act(button, async () => {
      const path = "/api/processes/" + encodeURIComponent(process) + "/degraded/" + encodeURIComponent(system);
      await api("PUT", path, { reason: reason });
      return system + " declared knowingly degraded for " + process + ": " + reason;
    });
  }

  async function clearDegraded(button, process, system) {
    await act(button, async () => {
      const path = "/api/processes/" + encodeURIComponent(process) + "/degraded/" + encodeURIComponent(system);
      await api("DELETE", path);
      return system + " is no longer declared degraded for " + process + ".";
    });
  }

  // ---------------------------------------------------------------- outbox

  function createOutboxRow(p) {
    const tr = el("tr", { "data-testid": "outbox-" + p.name });
    cell(tr, "outbox-process").appendChild(el("strong", {}, p.name));
    cell(tr, "outbox-backlog", "number");
    cell(tr, "outbox-age", "number");
    return tr;
  }

  function updateOutboxRow(tr, p) {
    const [, backlog, age] = Array.from(tr.cells);
    const waiting = p.outbox.backlog;
    setText(backlog, waiting === null ? "—" : number(waiting) + (waiting === 1 ? " outcome" : " outcomes"));
    setText(age, waiting ? duration(p.outbox.oldest_unsent_age_s) : "nothing waits");
  }

  // ---------------------------------------------------------------- dead letters

  function createDeadLetterRow(letter) {
    const tr = el("tr", { "data-testid": "dead-letter-" + letter.id });
    cell(tr, "dead-letter-id").appendChild(el("code", {}, letter.id));
    cell(tr, "dead-letter-status", "wrap");
    cell(tr, "dead-letter-failed-at");
    cell(tr, "dead-letter-origin", "wrap");
    cell(tr, "dead-letter-type", "wrap");
    cell(tr, "dead-letter-reason", "wrap");
    cell(tr, "dead-letter-bytes", "bytes");
    const actions = cell(tr, "dead-letter-actions");
    const replay = actionButton({ "data-testid": "replay" }, "Replay");
    const discard = actionButton({ className: "secondary", "data-testid": "discard" }, "Discard");
    const again = actionButton({ className: "secondary", "data-testid": "replay-again" }, "Replay again");
    replay.addEventListener("click", () => replayLetter(replay, tr.dataset.key, false));
    again.addEventListener("click", () => replayLetter(again, tr.dataset.key, true));
    discard.addEventListener("click", () => discardLetter(discard, tr.dataset.key));
    actions.append(replay, discard, again);
    return tr;
  }

  function decisionText(letter) {
    const d = letter.decision;
    if (!d) return letter.replayed_from ? "waiting (a failed replay of " + letter.replayed_from + ")" : "waiting";
    const who = " by " + d.decided_by + " at " + clock(d.decided_at);
    if (d.action === "replayed") return "replayed" + who + (d.replayed_to ? " to " + d.replayed_to : "");
    return "discarded" + who + ": " + (d.reason || "");
  }

  function updateDeadLetterRow(tr, letter) {
    tr.dataset.status = letter.status;
    const [, status, failedAt, origin, type, reason, bytes, actions] = Array.from(tr.cells);
    setText(status, decisionText(letter));
    setText(failedAt, clock(letter.failed_at));
    const place = " (partition " + letter.original_partition + ", offset " + letter.original_offset + ")";
    const attempts = letter.attempts ? ", " + letter.attempts + (letter.attempts === 1 ? " attempt" : " attempts") : "";
    twoLines(origin, letter.original_topic + place, "consumer " + letter.consumer + attempts);
    twoLines(type, letter.message_type || "not a message", letter.correlation_id ? "correlation " + letter.correlation_id : "");
    setText(reason, letter.reason);
    const size = letter.truncated
      ? "truncated copy: first " + number(letter.size) + " of " + number(letter.original_size) + " bytes, cannot be replayed"
      : number(letter.size) + " bytes";
    twoLines(bytes, letter.first_bytes, size + (letter.key ? ", key " + letter.key : ""));
    const [replay, discard, again] = actions.querySelectorAll("button");
    discard.hidden = letter.status !== "waiting";
    replay.hidden = letter.status !== "waiting" || letter.truncated;
    again.hidden = letter.status === "waiting" || letter.truncated;
  }

  async function replayLetter(button, id, again) {
    if (again) {
      const status = button.closest("tr").dataset.status;
      const ok = await ask("Replay " + id + " again", "It was already " + status + "; it is sent to its topic once more.", false);
      if (ok === null) return;
    }
    await act(button, async () => {
      const done = await api("POST", "/api/dead-letters/" + encodeURIComponent(id) + "/replay", { again: again });
      return done.message;
    });
  }

  async function discardLetter(button, id) {
    const reason = await ask("Discard dead letter " + id, "It is set aside for good: nothing is sent anywhere.", true);
    if (reason === null) return;
    await act(button, async () => {
      const path = "/api/dead-letters/" + encodeURIComponent(id) + "/discard";
      const done = await api("POST", path, { reason: reason });
      return done.message;
    });
  }

  // ---------------------------------------------------------------- reconciliations

  function createRunRow(run) {
    const tr = el("tr", { "data-testid": "reconciliation-" + run.id });
    cell(tr, "reconciliation-finished");
    cell(tr, "reconciliation-source", "wrap");
    cell(tr, "reconciliation-records", "number");
    cell(tr, "reconciliation-findings", "wrap");
    cell(tr, "reconciliation-corrections", "number");
    cell(tr, "reconciliation-summary", "wrap");
    cell(tr, "reconciliation-reports", "wrap");
    return tr;
  }

  function updateRunRow(tr, run) {
    const [finished, source, records, findings, corrections, summary, reports] = Array.from(tr.cells);
    setText(finished, clock(run.finished_at));
    setText(source, run.source);
    setText(records, number(run.records_read));
    const counts = Object.entries(run.counts || {})
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => kind.replace(/_/g, " ") + ": " + number(n));
    twoLines(findings, number(run.findings), counts.join(", "));
    setText(corrections, number(run.corrections));
    setText(summary, run.summary);
    setText(reports, (run.reports || []).join("\n"));
  }

  // ---------------------------------------------------------------- refresh

  function showOverview(overview) {
    const processes = overview.processes || [];
    const summary = $("summary");
    setText(summary, overview.summary);
    summary.className = "summary " + (processes.every((p) => p.state === "ready") ? "all-ready" : "attention");
    keyedRows($("process-rows"), processes, (p) => p.name, createProcessRow, updateProcessRow);
    $("no-processes").hidden = processes.length > 0;

    const systems = [];
    for (const p of processes) for (const s of p.systems || []) systems.push({ process: p.name, system: s });
    keyedRows($("system-rows"), systems, (i) => i.process + "\u0000" + i.system.system, createSystemRow, updateSystemRow);
    $("no-systems").hidden = systems.length > 0;

    const outboxes = processes.filter((p) => p.outbox);
    keyedRows($("outbox-rows"), outboxes, (p) => p.name, createOutboxRow, updateOutboxRow);
    $("no-outbox").hidden = outboxes.length > 0;
  }

  function showDeadLetters(answer) {
    const letters = answer.dead_letters || [];
    keyedRows($("dead-letter-rows"), letters, (d) => d.id, createDeadLetterRow, updateDeadLetterRow);
    $("no-dead-letters").hidden = letters.length > 0;
    setText($("dlq-count"), number(answer.waiting) + " waiting, " + number(answer.total) + " in hub.deadletter");
  }

  function showRuns(answer) {
    const runs = answer.runs || [];
    keyedRows($("reconciliation-rows"), runs, (r) => String(r.id), createRunRow, updateRunRow);
    $("no-reconciliations").hidden = runs.length > 0;
  }

  /* One part of the page (the overview, the dead letters, the reconciliations), read on its own so
     that a slow one (Kafka away: the dead letters wait for it) never holds back the others. Asked for
     while a read is under way, it reads again as soon as that one ends; an answer to a question the
     page no longer asks (the dead-letter filter changed meanwhile) is not shown. */
  function poller(path, show, fail) {
    const p = { current: null, again: false };
    async function once() {
      const asked = path();
      const generation = state.generation;
      try {
        const answer = await api("GET", asked);
        if (asked === path() && generation === state.generation) show(answer);
      } catch (error) {
        if (generation === state.generation && error.status !== 401) fail(asked, error);
      }
    }
    p.run = function () {
      if (p.current) {
        p.again = true;
        return p.current;
      }
      p.current = once().finally(() => {
        p.current = null;
        if (p.again) {
          p.again = false;
          p.run();
        }
      });
      return p.current;
    };
    return p;
  }

  function shown(problemId, show) {
    return function (answer) {
      $(problemId).hidden = true;
      show(answer);
    };
  }

  function failed(problemId) {
    return function (path, error) {
      setText($(problemId), "Could not read " + path + ": " + error.message);
      $(problemId).hidden = false;
    };
  }

  const pollers = [
    poller(
      () => "/api/overview",
      (overview) => {
        showOverview(overview);
        setText($("refreshed"), "Refreshed at " + clock(new Date().toISOString()) + "; every " + REFRESH_MS / 1000 + " s");
      },
      (path, error) => {
        setText($("summary"), "The console does not answer: " + error.message);
        $("summary").className = "summary attention";
      },
    ),
    poller(
      () => "/api/dead-letters" + (state.showAll ? "?all=1" : ""),
      shown("dlq-problem", showDeadLetters),
      failed("dlq-problem"),
    ),
    poller(() => "/api/reconciliations", shown("reconciliations-problem", showRuns), failed("reconciliations-problem")),
  ];

  function refresh() {
    return Promise.all(pollers.map((p) => p.run()));
  }

  function loop() {
    refresh();
    state.timer = window.setTimeout(loop, REFRESH_MS);
  }

  // ---------------------------------------------------------------- login, logout

  /* Everything the page showed goes: the next operator on this browser starts from nothing. */
  function forget() {
    state.generation += 1;
    state.session = null;
    if (state.timer !== null) window.clearTimeout(state.timer);
    state.timer = null;
    for (const tbody of document.querySelectorAll("tbody")) tbody.replaceChildren();
    for (const id of ["summary", "refreshed", "dlq-count", "operator", "operator-role", "role-note"]) setText($(id), "");
    for (const id of ["error", "info", "dlq-problem", "reconciliations-problem"]) $(id).hidden = true;
    for (const id of ["main", "status-bar", "who", "contract-links"]) $(id).hidden = true;
  }

  function showLogin(message) {
    forget();
    $("login").hidden = false;
    setText($("login-error"), message || "");
    $("login-error").hidden = !message;
    $("login-password").value = "";
    $("login-name").focus();
  }

  function showConsole(session) {
    forget();
    state.session = session;
    $("login").hidden = true;
    setText($("operator"), session.operator);
    setText($("operator-role"), session.role);
    setText($("role-note"), session.may_act ? "" : WATCH_ONLY + ".");
    for (const id of ["main", "status-bar", "who", "contract-links"]) $(id).hidden = false;
    setText($("summary"), "Looking at the processes…");
    loop();
  }

  async function login(event) {
    event.preventDefault();
    const name = $("login-name").value.trim();
    const password = $("login-password").value;
    if (!name || !password) {
      setText($("login-error"), "Give your operator name and password. · Operatör adınızı ve parolanızı girin.");
      $("login-error").hidden = false;
      return;
    }
    $("login-submit").disabled = true;
    try {
      showConsole(await api("POST", "/api/login", { name: name, password: password }));
    } catch (error) {
      $("login-password").value = "";
      setText($("login-error"), error.message);
      $("login-error").hidden = false;
    } finally {
      $("login-submit").disabled = false;
    }
  }

  async function logout() {
    try {
      await api("POST", "/api/logout");
    } catch (error) {
      /* already ended (401) or the console is away: this page forgets the session either way */
    }
    showLogin("");
  }

  async function start() {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    $("dlq-all").addEventListener("change", (event) => {
      state.showAll = event.target.checked;
      refresh();
    });
    try {
      showConsole(await api("GET", "/api/session"));
    } catch (error) {
      showLogin(error.status === 401 ? "" : error.message);
    }
  }

  start();
})();
