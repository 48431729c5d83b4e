// The operator console: one page over the operations API (paybridge/ops/console.py). No framework, no build step, and
// no markup built from data: what the API returns holds customer-entered and provider-sent text, so it only ever
// enters the page as text nodes (el() below), never through innerHTML.

const BASE = new URL(".", location.href); // the page's directory: /ops/ on the local stack, /live/ deployed
const TOKEN = "paybridge.ops.idToken"; // in sessionStorage: gone with the tab, never in a URL
const REFRESH = "paybridge.ops.refreshToken"; // the pool's ID tokens last minutes: this renews them for hours
const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

class SignedOut extends Error {}

// ---------- the page, built from text ----------

const present = (children) => children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false);

function build(node, props, children) {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...present(children).map((c) => (c instanceof Node ? c : String(c)))); // strings become text nodes
  return node;
}

const el = (tag, props = {}, ...children) => build(document.createElement(tag), props, children);
const svg = (tag, attrs = {}, ...children) =>
  build(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
const td = (value, cls = null) => el("td", { class: cls }, value instanceof Node ? value : text(value));
const empty = (message) => el("p", { class: "empty" }, message);

function table(head, rows, cls = "rows") {
  const header = el("tr", {}, head.map((h) => el("th", {}, h)));
  return el("table", { class: cls }, el("thead", {}, header), el("tbody", {}, rows));
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.map(([name, value]) => [el("dt", {}, name), el("dd", {}, text(value))]));
}

function showAlert(message) {
  $("alert-text").textContent = message;
  $("alert").hidden = false;
}

function notice(message) {
  $("notice").textContent = message;
  $("notice").hidden = false;
}

// A button's work: the button disabled meanwhile, a failure shown in the alert.
async function act(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    if (!(error instanceof SignedOut)) showAlert(error.message);
  } finally {
    button.disabled = false;
  }
}

// ---------- values as an operator reads them ----------

function text(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function when(iso) {
  if (!iso) return "—";
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? String(iso) : `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  const [m, h, d] = [Math.floor(s / 60), Math.floor(s / 3600), Math.floor(s / 86400)];
  if (m < 1) return `${s} s`;
  if (h < 1) return `${m} min`;
  if (d < 1) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

const amount = (p) => `${p.amount} ${p.currency ?? ""}`.trim();
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const badge = (state) => el("span", { class: `state ${/^[A-Z_]+$/.test(state) ? `state-${state}` : ""}` }, text(state));
const paymentHash = (p) => `payment/${enc(p.tenant_id)}/${enc(p.payment_id)}`; // the view's, in the hash
const paymentApi = (p) => `payments/${enc(p.tenant_id)}/${enc(p.payment_id)}`; // the API's

// Money is summed as decimal strings, exactly (never as floats).
function addDecimals(values) {
  if (!values.every((v) => /^-?\d+(\.\d+)?$/.test(String(v)))) return "—";
  const scale = Math.max(0, ...values.map((v) => (String(v).split(".")[1] ?? "").length));
  let units = 0n;
  for (const v of values) {
    const [whole, fraction = ""] = String(v).split(".");
    const magnitude = BigInt(whole.replace("-", "") + fraction.padEnd(scale, "0"));
    units += whole.startsWith("-") ? -magnitude : magnitude;
  }
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, "0");
  const sign = units < 0n ? "-" : "";
  return scale ? `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}` : `${sign}${digits}`;
}

// ---------- sign-in: Cognito's user pool, called directly ----------

let configuration = null;

async function settings() {
  if (!configuration) {
    const response = await fetch(new URL("config.json", BASE));
    if (!response.ok) throw new Error(`the console's configuration could not be read (HTTP ${response.status})`);
    configuration = await response.json();
  }
  return configuration;
}

async function cognito(operation, body) {
  const { cognito_endpoint: endpoint, user_pool_client_id: clientId } = await settings();
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify({ ClientId: clientId, ...body }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.message || answer.__type || `sign-in failed (HTTP ${response.status})`);
  return answer;
}

let challenge = null; // a first sign-in's NEW_PASSWORD_REQUIRED: {username, session}

async function signIn(form) {
  const fields = new FormData(form);
  const answer = challenge
    ? await cognito("RespondToAuthChallenge", {
        ChallengeName: "NEW_PASSWORD_REQUIRED",
        Session: challenge.session,
        ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: fields.get("new_password") },
      })
    : await cognito("InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: fields.get("username"), PASSWORD: fields.get("password") },
      });
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    // Users an administrator created sign in first with a temporary password, then choose their own.
    const username = answer.ChallengeParameters?.USER_ID_FOR_SRP || fields.get("username");
    challenge = { username, session: answer.Session };
    $("new-password-row").hidden = false;
    form.elements.new_password.required = true;
    notice("This is your first sign-in: choose a new password.");
    return;
  }
  const tokens = answer.AuthenticationResult;
  if (!tokens?.IdToken) throw new Error(`sign-in asked for ${answer.ChallengeName}, which the console cannot answer`);
  sessionStorage.setItem(TOKEN, tokens.IdToken);
  sessionStorage.setItem(REFRESH, tokens.RefreshToken ?? "");
  challenge = null;
  form.reset();
  $("new-password-row").hidden = true;
  form.elements.new_password.required = false;
  $("notice").hidden = true;
  await route();
}

// A new ID token for the session's refresh token, after the API refused the one it had; false if there is none.
async function renewed() {
  const refreshToken = sessionStorage.getItem(REFRESH);
  if (!refreshToken) return false;
  try {
    const answer = await cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    });
    sessionStorage.setItem(TOKEN, answer.AuthenticationResult.IdToken);
    return true;
  } catch {
    return false; // expired or revoked: sign in again
  }
}

function signOut(reason) {
  const refreshToken = sessionStorage.getItem(REFRESH);
  if (refreshToken && !reason) {
    // The pool revokes the session, best effort: the tokens are dropped here whatever it answers.
    cognito("RevokeToken", { Token: refreshToken }).catch(() => {});
  }
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(REFRESH);
  showLogin();
  if (reason) showAlert(reason);
}

function userName(token) {
  try {
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return claims["cognito:username"] || claims.email || claims.sub || "";
  } catch {
    return "";
  }
}

function showLogin() {
  for (const id of ["nav", "who", "view"]) $(id).hidden = true;
  $("login").hidden = false;
}

// ---------- the API: relative to the page, the ID token in the Authorization header ----------

async function request(path, { method = "GET" } = {}) {
  if (!sessionStorage.getItem(TOKEN)) {
    showLogin();
    throw new SignedOut();
  }
  const headers = () => ({ Authorization: sessionStorage.getItem(TOKEN) });
  const send = () => fetch(new URL(`api/${path}`, BASE), { method, headers: headers() });
  let response = await send();
  // A 401 is API Gateway's authorizer: the function never ran, so sending again with a renewed token is safe.
  if (response.status === 401 && (await renewed())) response = await send();
  if (response.status === 401) {
    signOut("Your session has ended: sign in again.");
    throw new SignedOut();
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error(body?.message || `${method} ${path}: HTTP ${response.status}`);
  }
  return response;
}

const api = async (path, options) => (await request(path, options)).json();

async function loading(root, path) {
  const wait = el("p", { class: "loading" }, "Loading…");
  root.append(wait);
  try {
    return await api(path);
  } finally {
    wait.remove();
  }
}

// ---------- routing: #/view/parts?query ----------

const go = (target) => {
  location.hash = `#/${target}`;
};

async function route() {
  $("alert").hidden = true;
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return showLogin();
  $("login").hidden = true;
  for (const id of ["nav", "who", "view"]) $(id).hidden = false;
  $("user").textContent = userName(token);
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...parts] = path.split("/").map(decodeURIComponent);
  const view = VIEWS[name] ? name : "search";
  const tab = view === "payment" ? "search" : view;
  for (const link of $("nav").querySelectorAll("a")) link.classList.toggle("current", link.dataset.view === tab);
  const root = el("div", { class: `view-${view}` });
  $("view").replaceChildren(root);
  try {
    await VIEWS[view](root, parts, new URLSearchParams(query));
  } catch (error) {
    if (!(error instanceof SignedOut) && root.isConnected) showAlert(error.message);
  }
}

function paymentsTable(payments, { matchedBy = false, age = false, withRetry = false } = {}) {
  const head = ["Tenant", "Payment", "Provider", "State", "Amount", age ? "Age" : "Created"];
  const rows = payments.map((p) => {
    const retryButton = el("button", { type: "button" }, "Retry");
    retryButton.addEventListener("click", (event) => {
      event.stopPropagation(); // not the row's click
      retry(p, retryButton);
    });
    return el(
      "tr",
      { class: "link", onclick: () => go(paymentHash(p)) },
      td(p.tenant_id),
      td(el("a", { href: `#/${paymentHash(p)}` }, text(p.payment_id))),
      td(p.provider),
      td(badge(p.state)),
      td(amount(p), "num"),
      td(age ? duration(p.age_seconds) : when(p.created_at), "age"),
      matchedBy && td(p.matched_by),
      withRetry && td(retryButton),
    );
  });
  return table(present([...head, matchedBy && "Matched by", withRetry && ""]), rows);
}

// Asks the gateway what it did with the payment and finishes the payment by that (never a second charge).
function retry(payment, button) {
  return act(button, async () => {
    const result = await api(`${paymentApi(payment)}/retry`, { method: "POST" });
    notice(`Retry of ${payment.payment_id}: ${result.outcome}${result.message ? ` (${result.message})` : ""}.`);
    await route(); // the view again, with what the retry changed
  });
}

// ---------- 1. search: any id ----------

async function searchView(root, _parts, params) {
  const id = params.get("id") ?? "";
  const input = el("input", {
    name: "id",
    type: "search",
    value: id,
    required: true,
    "aria-label": "any id",
    placeholder: "any id: VendorTXCode, reference number, receipt, PaymentId, gateway reference, payment id",
  });
  const find = (event) => {
    event.preventDefault();
    go(`search?id=${enc(input.value.trim())}`);
  };
  const form = el("form", { class: "search", onsubmit: find }, input, el("button", { type: "submit" }, "Find"));
  root.append(el("h2", {}, "Find a payment"), form);
  input.focus();
  if (!id) return;
  const found = await loading(root, `find?id=${enc(id)}`);
  root.append(
    found.matches.length
      ? paymentsTable(found.matches, { matchedBy: true })
      : empty(`No payment matches “${found.query}”.`),
  );
}

// ---------- 2. a payment's timeline ----------

function timeline(states) {
  const steps = states.map((step, i) => {
    const next = states[i + 1];
    const stayed = next ? `for ${duration((new Date(next.at) - new Date(step.at)) / 1000)}` : "current";
    const at = el("time", { datetime: step.at }, when(step.at));
    return el("li", {}, badge(step.state), " ", at, el("span", { class: "muted" }, ` ${stayed}`));
  });
  return el("ol", { class: "timeline" }, steps);
}

function answerShown(answer) {
  let body = text(answer.body);
  if (/json/.test(answer.content_type ?? "")) {
    try {
      body = JSON.stringify(JSON.parse(answer.body), null, 2);
    } catch {
      // shown as it was sent
    }
  }
  const said = [answer.operation, answer.status ?? "no answer yet", answer.at && when(answer.at)];
  return el(
    "details",
    { class: "answer" },
    el("summary", {}, said.filter(Boolean).join(" · ")),
    answer.expires_at && el("p", { class: "muted" }, `Kept for replays until ${when(answer.expires_at)}.`),
    el("p", { class: "muted" }, text(answer.content_type)),
    el("pre", {}, body),
  );
}

async function paymentView(root, [tenant, payment]) {
  root.append(el("p", {}, el("a", { href: "#/search" }, "← Find another payment")));
  const data = await loading(root, paymentApi({ tenant_id: tenant, payment_id: payment }));
  const p = data.payment;
  const retryButton = el("button", { type: "button", class: "primary" }, "Retry");
  retryButton.addEventListener("click", () => retry(p, retryButton));
  const ids = Object.entries(p.ids ?? {});
  const idValues = new Set(ids.map(([, value]) => value));
  const instrument = Object.entries(data.instrument ?? {}).map(([k, v]) => `${k} ${text(v)}`);
  const summary = [
    ["Tenant", p.tenant_id],
    ...ids,
    ["Provider", p.provider],
    ["Method", p.method],
    ["Amount", amount(p)],
    Number(data.refunded) && ["Refunded", `${data.refunded} ${p.currency ?? ""}`],
    instrument.length && ["Instrument", instrument.join(", ")],
    ["Gateway", p.gateway],
    !idValues.has(p.gateway_reference) && ["Gateway reference", p.gateway_reference],
    ["Created", when(p.created_at)],
    ["In this state", `${duration(p.age_seconds)} (since ${when(p.since)})`],
    ["Attempts", data.attempts],
  ];
  const gateway = Object.entries(data.gateway_result ?? {});
  const allocations = (data.allocations ?? []).map((a) => el("tr", {}, td(a.receivable_id), td(a.amount, "num")));
  const answers = (data.answers ?? []).map(answerShown);
  const reversals = (data.reversals ?? []).map((r) => el("tr", {}, td(r.kind), td(r.amount, "num"), td(when(r.at))));
  root.append(
    el("div", { class: "title" }, el("h2", {}, "Payment ", el("code", {}, text(p.payment_id))), badge(p.state),
      retryButton),
    facts(summary.filter(Boolean)),
    el("h3", {}, "Timeline"),
    timeline(data.timeline ?? []),
    el("h3", {}, "Gateway result"),
    gateway.length ? facts(gateway) : empty("No gateway result."),
    el("h3", {}, "Allocations"),
    allocations.length ? table(["Receivable", "Amount"], allocations, "") : empty("No allocation."),
    el("h3", {}, "Answers the client got"),
    answers.length ? el("div", {}, answers) : empty("No stored answer."),
    el("h3", {}, "Reversals"),
    reversals.length ? table(["Kind", "Amount", "At"], reversals, "") : empty("No reversal."),
  );
}

// ---------- 3. queues: stuck, pending, failed ----------

const QUEUES = { PROCESSING: "Stuck", PENDING: "Pending", FAILED: "Failed" };
const OLDER_THAN = { 0: "any age", 300: "5 min", 900: "15 min", 3600: "1 h", 21600: "6 h", 86400: "1 d" };

async function queuesView(root, [wanted], params) {
  const state = QUEUES[wanted] ? wanted : "PROCESSING";
  const olderThan = params.get("older_than") ?? "0";
  const target = (s, seconds) => `queues/${s}?older_than=${seconds}`;
  const options = Object.entries(OLDER_THAN).map(([s, label]) =>
    el("option", { value: s, selected: s === olderThan }, label),
  );
  const select = el("select", { name: "older_than" }, options);
  select.addEventListener("change", () => go(target(state, select.value)));
  const tabs = Object.entries(QUEUES).map(([s, label]) =>
    el("a", { href: `#/${target(s, olderThan)}`, class: s === state ? "current" : null }, `${label} (${s})`),
  );
  const filter = el("label", { class: "filter" }, "Older than ", select);
  root.append(el("h2", {}, "Queues"), el("nav", { class: "tabs" }, tabs), filter);
  const { payments } = await loading(root, `queue?state=${state}&older_than=${enc(olderThan)}`);
  root.append(
    el("p", { class: "count" }, plural(payments.length, `${state} payment`)),
    payments.length ? paymentsTable(payments, { age: true, withRetry: true }) : empty("None."),
  );
}

// ---------- 4. dead letters ----------

const DLQS = { retry: "Retry dead-letter queue", gateway_events: "Gateway events dead-letter queue" };

function redrive(name, count, button) {
  if (!confirm(`Move the ${plural(count, "message")} of the ${DLQS[name] ?? name} back to their queue?`)) return;
  return act(button, async () => {
    const result = await api(`dlq/${enc(name)}/redrive`, { method: "POST" });
    notice(`Moved ${result.moved} message(s) from the ${DLQS[result.queue] ?? result.queue}.`);
    await route();
  });
}

function letterRow(m) {
  const payment = m.payment ? el("a", { href: `#/${paymentHash(m.payment)}` }, text(m.payment.payment_id)) : "—";
  const body = el("details", {}, el("summary", {}, "body"), el("pre", {}, JSON.stringify(m.body, null, 2)));
  return el(
    "tr",
    {},
    td(el("code", {}, text(m.message_id))),
    td(when(m.sent_at)),
    td(duration(m.age_seconds), "age"),
    td(m.receive_count, "num"),
    td(payment),
    td(body),
  );
}

async function dlqView(root) {
  root.append(el("h2", {}, "Dead letters"));
  const { queues } = await loading(root, "dlq");
  for (const queue of queues) {
    const count = queue.messages.length;
    const button = el("button", { type: "button", disabled: count === 0 }, "Redrive");
    button.addEventListener("click", () => redrive(queue.name, count, button));
    const title = el("h3", {}, `${DLQS[queue.name] ?? queue.name}: ${plural(count, "message")}`);
    const head = ["Message", "Sent", "Age", "Receives", "Payment", "Body"];
    const listed = count ? table(head, queue.messages.map(letterRow)) : empty("Empty.");
    const heading = el("div", { class: "title" }, title, button);
    root.append(el("section", { class: "dlq", "data-queue": queue.name }, heading, listed));
  }
}

// ---------- 5. settlement: batches and ABA files ----------

const yesterday = () => new Date(Date.now() - 86400000).toISOString().slice(0, 10); // the daily run's business date

function batchRows(batches) {
  const rows = batches.map((b) =>
    el("tr", {}, td(b.provider), td(b.count, "num"), td(b.gross, "num"), td(b.fees, "num"), td(b.net, "num"),
      td(b.currency), td(b.reversals, "num")),
  );
  for (const currency of new Set(batches.map((b) => b.currency))) {
    const of = batches.filter((b) => b.currency === currency);
    const sum = (field) => td(addDecimals(of.map((b) => b[field])), "num");
    const count = of.reduce((n, b) => n + Number(b.count), 0);
    rows.push(el("tr", { class: "total" }, td("Total"), td(count, "num"), sum("gross"), sum("fees"), sum("net"),
      td(currency), td("")));
  }
  return rows;
}

async function settlementView(root, _parts, params) {
  root.append(el("h2", {}, "Settlement"));
  const { tenants } = await loading(root, "tenants");
  const tenant = params.get("tenant") ?? tenants[0]?.tenant_id ?? "";
  const date = params.get("date") ?? yesterday();
  const choices = tenants.map((t) =>
    el("option", { value: t.tenant_id, selected: t.tenant_id === tenant }, `${t.name} (${t.tenant_id}, ${t.currency})`),
  );
  const tenantSelect = el("select", { name: "tenant" }, choices);
  const dateInput = el("input", { name: "date", type: "date", value: date, required: true });
  const show = (event) => {
    event.preventDefault();
    go(`settlement?tenant=${enc(tenantSelect.value)}&date=${enc(dateInput.value)}`);
  };
  root.append(
    el("form", { class: "inline", onsubmit: show },
      el("label", {}, "Tenant ", tenantSelect), el("label", {}, "Business date ", dateInput),
      el("button", { type: "submit" }, "Show batches")),
  );
  if (!params.has("tenant") || !params.has("date")) return;
  const data = await loading(root, `batches?tenant=${enc(tenant)}&date=${enc(date)}`);
  const head = ["Provider", "Payments", "Gross", "Fees", "Net", "Currency", "Reversals"];
  root.append(
    el("h3", {}, `Batches of ${data.tenant_id} for ${data.business_date}`),
    data.batches.length ? table(head, batchRows(data.batches)) : empty("No batch for this date."),
    el("h3", {}, "ABA file"),
  );
  if (!data.aba) return root.append(empty("No ABA file for this date."));
  const outcome = el("div", { class: "aba-outcome" });
  const button = el("button", { type: "button" }, "Download ABA file");
  button.addEventListener("click", () => act(button, () => downloadAba(tenant, date, data.aba, outcome)));
  root.append(facts([["Key", data.aba.key], ["Stored sha256", data.aba.sha256]]), button, outcome);
}

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

// Fetched with the Authorization header (a plain link could not carry it), checked, then saved from a Blob URL.
async function downloadAba(tenant, date, aba, outcome) {
  const response = await request(`aba?organisation=${enc(tenant)}&date=${enc(date)}`);
  const stored = (response.headers.get("X-Sha256") ?? "").toLowerCase();
  const bytes = await response.arrayBuffer();
  const name = `${tenant}-${date}.aba`;
  const href = URL.createObjectURL(new Blob([bytes], { type: "text/plain" }));
  const link = el("a", { href, download: name }, `Save ${name} again`);
  let verdict;
  if (!crypto.subtle) {
    verdict = el("p", { class: "bad" }, "This browser cannot compute a sha256 here (the page is not on HTTPS).");
  } else {
    const actual = hex(await crypto.subtle.digest("SHA-256", bytes));
    const matched = actual === stored && actual === String(aba.sha256).toLowerCase();
    const said = matched
      ? `sha256 ${actual}: matches the hash stored with the file.`
      : `sha256 ${actual}: does NOT match the stored hash ${stored || "(none)"}.`;
    verdict = el("p", { class: matched ? "ok" : "bad", "data-sha256": actual }, said);
  }
  outcome.replaceChildren(verdict, link);
  link.click();
}

// ---------- 6. payments per hour by state: stacked bars in SVG ----------

const COLOURS = {
  RECEIVED: "#90a4ae", DRAFT: "#cfd8dc", PROCESSING: "#1e88e5", PENDING: "#fbc02d", SUCCEEDED: "#43a047",
  SETTLED: "#00897b", FAILED: "#e53935", REJECTED: "#d81b60", CANCELLED: "#6d4c41", REFUNDED: "#8e24aa",
};
const SPARE = ["#3949ab", "#f4511e", "#7cb342", "#546e7a", "#c0ca33", "#5e35b1"];

// The y axis' step: 1, 2 or 5 times a power of ten, for about five grid lines.
function niceStep(max, ticks = 5) {
  const rough = Math.max(1, max) / ticks;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough && Number.isInteger(s)) ?? Math.ceil(rough);
}

function barChart({ hours, series }) {
  const states = Object.keys(series);
  const colour = (s, k) => COLOURS[s] ?? SPARE[k % SPARE.length];
  const [width, height, left, right, top, bottom] = [960, 340, 56, 170, 16, 56];
  const [plotWidth, plotHeight] = [width - left - right, height - top - bottom];
  const totals = hours.map((_, i) => states.reduce((sum, s) => sum + (series[s][i] ?? 0), 0));
  const highest = Math.max(...totals, 1);
  const step = niceStep(highest);
  const ceiling = Math.max(step, Math.ceil(highest / step) * step);
  const y = (n) => top + plotHeight - (n / ceiling) * plotHeight;
  const slot = plotWidth / Math.max(hours.length, 1);

  const grid = [];
  for (let n = 0; n <= ceiling; n += step) {
    grid.push(
      svg("line", { x1: left, x2: left + plotWidth, y1: y(n), y2: y(n), class: "grid" }),
      svg("text", { x: left - 6, y: y(n) + 4, "text-anchor": "end", class: "tick" }, n),
    );
  }
  const bars = hours.map((hour, i) => {
    let below = 0;
    return states.map((s, k) => {
      const n = series[s][i] ?? 0;
      if (!n) return null;
      const box = { x: left + (i + 0.1) * slot, y: y(below + n), width: slot * 0.8, height: y(below) - y(below + n) };
      below += n;
      const attrs = { ...box, fill: colour(s, k), "data-state": s, "data-hour": hour };
      return svg("rect", attrs, svg("title", {}, `${when(hour)}: ${n} ${s}`));
    });
  });
  const hourLabel = (hour) => `${String(new Date(hour).getUTCHours()).padStart(2, "0")}:00`;
  const labelled = (i) => i % 3 === 0 || i === hours.length - 1; // every third hour, and the last
  const label = (hour, i) =>
    svg("text", { x: left + (i + 0.5) * slot, y: y(0) + 16, class: "tick middle" }, hourLabel(hour));
  const labels = hours.map((hour, i) => (labelled(i) ? label(hour, i) : null));
  const legend = states.map((s, k) =>
    svg("g", { transform: `translate(${left + plotWidth + 20}, ${top + 8 + k * 20})`, class: "legend-item" },
      svg("rect", { width: 12, height: 12, fill: colour(s, k) }),
      svg("text", { x: 18, y: 10 }, `${s} (${series[s].reduce((a, b) => a + b, 0)})`)),
  );
  const axes = [
    svg("line", { x1: left, x2: left + plotWidth, y1: y(0), y2: y(0), class: "axis" }),
    svg("line", { x1: left, x2: left, y1: top, y2: y(0), class: "axis" }),
    svg("text", { x: left + plotWidth / 2, y: height - 12, class: "axis-title middle" }, "hour (UTC)"),
    svg("text", { transform: `translate(16, ${top + plotHeight / 2}) rotate(-90)`, class: "axis-title middle" },
      "payments"),
  ];
  const attrs = { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": "payments per hour" };
  return svg("svg", attrs, grid, bars, labels, axes, legend);
}

async function chartView(root) {
  root.append(el("h2", {}, "Payments per hour by state, last 24 h"));
  const data = await loading(root, "chart?hours=24");
  const total = Object.values(data.series).flat().reduce((a, b) => a + b, 0);
  const cut = data.truncated ? " Only the first of them are counted: the chart stops at its limit." : "";
  const span = `${total} payments from ${when(data.hours[0])} to ${when(data.hours.at(-1))}.${cut}`;
  root.append(barChart(data), el("p", { class: "muted" }, span));
}

const VIEWS = {
  search: searchView,
  payment: paymentView,
  queues: queuesView,
  dlq: dlqView,
  settlement: settlementView,
  chart: chartView,
};

// ---------- start ----------

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("alert").hidden = true;
  act(event.target.querySelector("button"), () => signIn(event.target));
});
$("logout").addEventListener("click", () => signOut());
$("alert-close").addEventListener("click", () => ($("alert").hidden = true));
window.addEventListener("hashchange", () => {
  $("notice").hidden = true;
  route();
});
route();
