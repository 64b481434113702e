/* What every part of the page shares: the service's addresses, the API key (tab memory only), DOM and
 * number helpers, the verdict labels and the aria-live announcements.
 *
 * Untrusted text (file names, messages, facts) only ever reaches the DOM through textContent.
 * The API key lives in one variable of this module: never in localStorage, sessionStorage or cookies.
 */

// Relative URLs: the page also works behind a reverse proxy that serves the service under a path prefix.
export const API = {
  validations: "v1/validations",
  dossiers: "v1/dossiers",
  proofTypes: "v1/proof-types",
  openapi: "openapi.json",
  requirements: "v1/requirements",
  profiles: "v1/requirements/profiles",
};

// What the service offers, read at start-up by app.js (GET v1/proof-types, /openapi.json).
export const service = {
  // Used until (or if) GET v1/proof-types answers: the ANS table's rows.
  proofTypes: [
    { id: "video", label_fr: "Vidéo", max_bytes: 50000000 },
    { id: "screenshot", label_fr: "Capture d'écran", max_bytes: 50000000 },
    { id: "report_link", label_fr: "Lien vers le rapport", max_bytes: 1000000 },
    { id: "logs", label_fr: "Fichier (journaux, TBB, DUMP…)", max_bytes: 1000000 },
    { id: "pdf_report", label_fr: "Compte-rendu PDF", max_bytes: 10000000 },
  ],
  catalogue: false,   // GET v1/requirements/{id} exists
  uploadFields: {},   // the multipart fields POST v1/validations declares
  rems: [],           // the REMs POST v1/dossiers takes (empty: no dossier mode)
};

export function typeLabel(id) {
  const t = service.proofTypes.find((p) => p.id === id);
  return t ? t.label_fr || t.id : id;
}

export const VERDICTS = {
  pending: "En attente",
  uploading: "Envoi…",
  checking: "Vérification…",
  accepted: "Acceptée",
  accepted_with_warnings: "Acceptée avec avertissements",
  rejected: "Refusée",
  failed: "Non vérifiée",
  key: "Clé d'API requise",
  missing: "Manquante",
  unknown: "Identifiant inconnu",
};
export const FINAL_VERDICTS = ["accepted", "accepted_with_warnings", "rejected", "failed"];
const SEVERITIES = { error: "Erreur", warning: "Avertissement", info: "Information" };
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };

export const $ = (sel, root = document) => root.querySelector(sel);
export const el = (tag, props = {}, text) => {
  const node = document.createElement(tag);
  Object.assign(node, props);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
};
export const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
export const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
export const str = (v) => (typeof v === "string" ? v : "");
export const frNumber = (n, digits = 1) => n.toLocaleString("fr-FR", { maximumFractionDigits: digits });
// « 1 fichier », « 3 fichiers » (French: 0 and 1 are singular).
export const plural = (n, one, many) => `${n} ${Math.abs(n) < 2 ? one : many}`;

// A summary count and its label, in the singular or the plural (the label's data-one / data-many).
export function setCount(id, n) {
  const count = $(`#${id}`);
  count.textContent = String(n);
  const label = count.nextElementSibling;
  if (label && label.dataset.one) label.textContent = Math.abs(n) < 2 ? label.dataset.one : label.dataset.many;
}

export function formatBytes(n) {
  if (num(n) === null) return "";
  if (n >= 1e6) return `${frNumber(n / 1e6)} Mo`;
  if (n >= 1e3) return `${frNumber(n / 1e3)} ko`;
  return `${n} o`;
}

export function formatDuration(s) {
  if (s < 60) return `${frNumber(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${frNumber(s - m * 60, 0)} s`;
}

export function parseJson(text) {
  try { return JSON.parse(text); } catch (_) { return null; }
}

// The message of a problem+json body, if it has one.
export const problemDetail = (body) => (isObj(body) && typeof body.detail === "string" ? body.detail : null);

// -- announcements (aria-live) --------------------------------------------------------------
export function announce(text, urgent = false) {
  const region = urgent ? $("#alerts") : $("#announcer");
  region.append(el("p", {}, text));
  // Keep the region short: screen readers read additions, older lines are noise for the DOM.
  while (region.childElementCount > 5) region.firstElementChild.remove();
}

// -- the API key --------------------------------------------------------------------------------
let apiKey = null;
export const getKey = () => apiKey;
export const setKey = (value) => { apiKey = value; };
export const authHeaders = (key = apiKey) => (key ? { Authorization: `Bearer ${key}` } : {});
// Every API call asks for JSON in French: the page is French, so are the errors it shows, whatever the
// browser's own language (the service follows Accept-Language).
export const JSON_FR = { Accept: "application/json", "Accept-Language": "fr" };
// 401: no key or an unknown one; 403: a key without access. Both mean « the key », never a generic failure.
export const keyRefused = (status) => status === 401 || status === 403;

export function download(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export const stamp = () => new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");

// -- findings (one rendering for a file's report in both modes) ----------------------------------
export function sortedFindings(report) {
  const findings = (Array.isArray(report && report.findings) ? report.findings : []).filter(isObj);
  return findings.sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3));
}

export function findingsList(findings) {
  const list = el("ul", { className: "findings" });
  list.setAttribute("aria-label", "Constats");
  for (const f of findings) {
    const li = el("li", { className: "finding" });
    li.dataset.severity = typeof f.severity === "string" ? f.severity : "info";
    li.append(el("span", { className: "severity" }, `${SEVERITIES[f.severity] || "Information"} :`), " ");
    li.append(el("span", { className: "message" }, typeof f.message === "string" ? f.message : f.code));
    if (typeof f.code === "string") li.append(el("code", {}, f.code));
    list.append(li);
  }
  return list;
}

// A report's JSON, folded: the <pre> is a named region reachable by keyboard (it scrolls).
export function jsonDetails(value, name) {
  const details = el("details");
  details.append(el("summary", {}, "Rapport complet (JSON)"));
  const pre = el("pre", { tabIndex: 0 }, JSON.stringify(value, null, 2));
  pre.setAttribute("role", "region");
  pre.setAttribute("aria-label", `Rapport complet au format JSON : ${name}`);
  details.append(pre);
  return details;
}

export function badge(state, text) {
  const node = el("p", { className: "badge" });
  node.dataset.verdict = FINAL_VERDICTS.includes(state) ? state : state === "missing" || state === "unknown" ? "rejected" : "pending";
  node.append(el("span", { className: "badge-icon" }), el("span", { className: "badge-text" }, text || VERDICTS[state] || state));
  node.firstChild.setAttribute("aria-hidden", "true");
  return node;
}
