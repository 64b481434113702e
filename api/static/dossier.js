/* Dossier mode: a whole folder against a REM in one request (POST v1/dossiers, the check `preuves
 * dossier` runs): the REM, its profiles and the conditions that hold for the system are chosen from
 * GET v1/requirements/profiles; the folder's files are sent with their relative paths, which carry the
 * proof ids (« DOC_va1.01.01.01 prescription.pdf », « DOC/va1.25.01.01/chrome.png »).
 *
 * The answer lists each filed proof with its verdict, the proofs missing, those that do not apply or
 * wait for a condition, the files matching no proof. The Markdown summary is the service's (asked in
 * the same request, `markdown=true`: the files are sent once); the CSV is made here, from the JSON.
 */
import {
  $, API, JSON_FR, VERDICTS, announce, authHeaders, download, el, findingsList, formatBytes, getKey, isObj, jsonDetails,
  badge, keyRefused, parseJson, plural, problemDetail, service, setCount, sortedFindings, stamp, str, typeLabel,
} from "./common.js";
import { keyNeeded } from "./key.js";
import { dropTarget } from "./files.js";

const GENERAL = "Général";
const BOOLEAN_VALUES = ["oui", "non"];
const SHOWN_OPEN = 15;  // longer lists of proofs start folded (BIO has 200 and more missing)
const STATUS_TEXT = { ...VERDICTS, not_applicable: "Non applicable", undecided: "Selon des conditions à déclarer", unmatched: "Fichier sans preuve" };

let files = [];          // [{file, path}] in the order the folder gave them
let result = null;       // the last JSON answer

// -- REM, profiles, conditions -------------------------------------------------------------------
export function refreshDossierMode() {
  const select = $("#dossier-rem");
  const previous = select.value;
  select.replaceChildren(...service.rems.map((rem) => el("option", { value: rem }, rem)));
  if (service.rems.includes(previous)) select.value = previous;
  $("#mode-choice").hidden = !service.rems.length;
  if (service.rems.length) loadProfiles();
}

async function loadProfiles() {
  const rem = $("#dossier-rem").value;
  const key = getKey();
  let response;
  try {
    response = await fetch(`${API.profiles}?rem=${encodeURIComponent(rem)}`, { headers: { ...JSON_FR, ...authHeaders(key) } });
  } catch (_) { return; }
  if (keyRefused(response.status)) { keyNeeded(response.status, loadProfiles, key); return; }
  const body = parseJson(await response.text());
  if (!response.ok || !isObj(body) || rem !== $("#dossier-rem").value) return;
  const editions = Array.isArray(body.editions) ? body.editions.filter((e) => typeof e === "string") : [];
  const edition = $("#catalogue-edition");
  edition.textContent = editions.length ? `Catalogue des exigences : ${editions.join(" ; ")}.` : "";
  edition.hidden = !editions.length;
  renderProfiles(Array.isArray(body.profiles) ? body.profiles.filter(isObj) : []);
  renderConditions(Array.isArray(body.conditions) ? body.conditions.filter(isObj) : []);
}

function renderProfiles(profiles) {
  const box = $("#dossier-profile-list");
  box.replaceChildren();
  profiles.filter((p) => p.profile !== GENERAL).forEach((p, i) => {
    const id = `profile-${i}`;
    const label = el("label", { htmlFor: id, className: "choice" });
    label.append(el("input", { type: "checkbox", id, value: str(p.profile), name: "profiles" }),
      ` ${str(p.profile)} (${plural(p.proofs || 0, "preuve", "preuves")})`);
    box.append(label);
  });
}

function renderConditions(conditions) {
  const box = $("#dossier-condition-list");
  box.replaceChildren();
  $("#dossier-conditions").hidden = !conditions.length;
  conditions.forEach((c, i) => {
    const values = Array.isArray(c.values) ? c.values.filter((v) => typeof v === "string") : [];
    const fieldset = el("fieldset", { className: "condition" });
    fieldset.dataset.condition = str(c.id);
    fieldset.append(el("legend", {}, `${str(c.label) || str(c.id)} (${plural(c.proofs || 0, "preuve", "preuves")})`));
    const boolean = values.length === 2 && BOOLEAN_VALUES.every((v) => values.includes(v));
    // Yes/no: one answer or none (« non déclarée »); several values (PSC modalities): any of them.
    const choices = boolean ? [["", "Non déclarée"], ["oui", "Oui"], ["non", "Non"]] : values.map((v) => [v, v.replace(/_/g, " ")]);
    choices.forEach(([value, text], j) => {
      const id = `condition-${i}-${j}`;
      const input = el("input", { type: boolean ? "radio" : "checkbox", id, value, name: `condition-${i}`, checked: boolean && value === "" });
      const label = el("label", { htmlFor: id, className: "choice" });
      label.append(input, ` ${text}`);
      fieldset.append(label);
    });
    box.append(fieldset);
  });
}

function declaredConditions() {
  const out = [];
  for (const fieldset of document.querySelectorAll("#dossier-condition-list fieldset")) {
    const values = [...fieldset.querySelectorAll("input:checked")].map((i) => i.value).filter(Boolean);
    if (values.length) out.push(`${fieldset.dataset.condition}=${values.join(",")}`);
  }
  return out;
}

// -- the folder ----------------------------------------------------------------------------------
// A dropped directory is walked through its entries (readEntries answers in batches).
async function walk(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\/+/, "") });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, out);
    }
  }
}

async function onDrop(dataTransfer) {
  const entries = [...(dataTransfer.items || [])].map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null)).filter(Boolean);
  const found = [];
  if (entries.length) {
    for (const entry of entries) await walk(entry, found);
  } else {
    for (const file of dataTransfer.files) found.push({ file, path: file.webkitRelativePath || file.name });
  }
  const top = entries.length === 1 && entries[0].isDirectory ? entries[0].name : "";
  useFiles(found, top);
}

function useFiles(found, name) {
  // Hidden files (.DS_Store, ._x) are the system's, not proofs.
  files = found.filter(({ path }) => !path.split("/").some((part) => part.startsWith(".")));
  const total = files.reduce((sum, f) => sum + f.file.size, 0);
  $("#dossier-selection").textContent = files.length
    ? `${plural(files.length, "fichier", "fichiers")} (${formatBytes(total)})${name ? ` dans « ${name} »` : ""}.`
    : "Aucun fichier dans ce dossier.";
  $("#dossier-check").disabled = !files.length;
  if (files.length) check();
}

// -- the check -------------------------------------------------------------------------------------
function setBusy(percent, label) {
  const wrap = $("#dossier-progress-wrap");
  wrap.hidden = percent === null;
  $("#dossier-check").disabled = percent !== null || !files.length;
  $("#dossier-panel").setAttribute("aria-busy", percent === null ? "false" : "true");
  if (percent === null) return;
  const progress = $("#dossier-progress");
  if (percent === undefined) progress.removeAttribute("value"); else progress.value = percent;
  $("#dossier-progress-label").textContent = label;
}

function showError(text) {
  const error = $("#dossier-error");
  error.textContent = text;
  error.hidden = false;
  announce(text, true);
}

function check() {
  if (!files.length) return;
  $("#dossier-error").hidden = true;
  const form = new FormData();
  // The REM first: the service refuses an unknown one before reading the files.
  form.append("rem", $("#dossier-rem").value);
  for (const input of document.querySelectorAll("#dossier-profile-list input:checked")) form.append("profiles", input.value);
  for (const condition of declaredConditions()) form.append("conditions", condition);
  form.append("lang", "fr");
  for (const { file, path } of files) form.append("file", file, path);

  const xhr = new XMLHttpRequest();
  xhr.open("POST", `${API.dossiers}?markdown=true`);
  xhr.setRequestHeader("Accept", "application/json, application/problem+json");
  xhr.setRequestHeader("Accept-Language", JSON_FR["Accept-Language"]);
  const key = getKey();
  if (key) xhr.setRequestHeader("Authorization", `Bearer ${key}`);
  setBusy(0, "Envoi : 0 %");
  announce(`Vérification du dossier lancée : ${plural(files.length, "fichier", "fichiers")}.`);
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) setBusy(Math.round((e.loaded / e.total) * 100), `Envoi : ${Math.round((e.loaded / e.total) * 100)} %`);
  });
  xhr.upload.addEventListener("load", () => setBusy(undefined, "Vérification des fichiers en cours…"));
  xhr.addEventListener("load", () => {
    setBusy(null);
    const body = parseJson(xhr.responseText);
    if (xhr.status === 200 && isObj(body) && isObj(body.summary)) {
      render(body);
    } else if (keyRefused(xhr.status)) {
      showError(`Clé d'API requise ou refusée (HTTP ${xhr.status}) : saisissez-la ci-dessus, la vérification repartira.`);
      keyNeeded(xhr.status, check, key);
    } else {
      const detail = problemDetail(body);
      showError(`Dossier non vérifié : ${detail ? `${detail} (HTTP ${xhr.status})` : `réponse inattendue du service (HTTP ${xhr.status})`}.`);
    }
  });
  const broken = () => { setBusy(null); showError("La connexion au service a été interrompue : dossier non vérifié."); };
  xhr.addEventListener("error", broken);
  xhr.addEventListener("abort", broken);
  xhr.send(form);
}

// -- the result ------------------------------------------------------------------------------------
const list = (className) => el("ul", { className });

function section(title, count, id) {
  const wrap = el("section", { className: "dossier-part" });
  wrap.setAttribute("aria-labelledby", id);
  wrap.append(el("h3", { id }, `${title} (${count})`));
  return wrap;
}

function proofCard(proof, index) {
  const li = el("li", { className: "card" });
  li.dataset.state = proof.status;
  const head = el("header", { className: "card-head" });
  head.append(el("h4", { className: "proof-id", id: `proof-${index}` }, str(proof.proof)), badge(proof.status));
  li.append(head);
  if (proof.text) li.append(el("p", { className: "proof-text" }, `Attendu : ${proof.text}`));
  const admits = Array.isArray(proof.admits) ? proof.admits : [];
  const meta = [proof.requirement && `Exigence ${proof.requirement}`, proof.profile, admits.length && `types admis : ${admits.map(typeLabel).join(", ")}`];
  if (!proof.in_scope) meta.push("hors des profils choisis");
  li.append(el("p", { className: "file-meta" }, meta.filter(Boolean).join(" · ")));
  const filesList = list("proof-files");
  for (const file of Array.isArray(proof.files) ? proof.files.filter(isObj) : []) {
    const item = el("li", { className: "proof-file" });
    item.dataset.state = str(file.status);
    const title = el("p", { className: "proof-file-name" });
    title.append(el("span", { className: "file-path" }, str(file.path)), " — ", el("strong", {}, STATUS_TEXT[file.status] || str(file.status)));
    item.append(title);
    if (file.error) item.append(el("p", { className: "field-error" }, str(file.error)));
    const findings = sortedFindings(file.report).filter((f) => f.severity === "error" || f.severity === "warning");
    if (findings.length) item.append(findingsList(findings));
    if (isObj(file.report)) item.append(jsonDetails(file.report, str(file.path)));
    filesList.append(item);
  }
  li.append(filesList);
  return li;
}

function proofLine(entry, extra) {
  const admits = Array.isArray(entry.admits) ? entry.admits : [];
  const li = el("li");
  li.append(el("strong", {}, str(entry.proof)), ` — ${str(entry.text)}`);
  if (admits.length) li.append(` (${admits.map(typeLabel).join(", ")})`);
  if (extra) li.append(el("br"), el("span", { className: "hint" }, extra));
  return li;
}

const conditionText = (c) => `« ${str(c.quote) || str(c.label) || str(c.id)} »`;

function render(body) {
  result = body;
  const s = body.summary;
  const out = $("#dossier-results");
  out.hidden = false;
  const verdict = $("#dossier-verdict");
  verdict.dataset.ready = s.ready ? "true" : "false";
  verdict.textContent = s.ready ? "Prêt pour le dépôt." : "Pas prêt pour le dépôt.";
  const counts = {
    accepted: s.accepted, warnings: s.accepted_with_warnings, rejected: s.rejected, missing: s.missing,
    not_applicable: s.not_applicable, undecided: s.undecided, unknown: s.unknown_proofs, unmatched: s.unmatched_files,
  };
  for (const [key, value] of Object.entries(counts)) setCount(`dossier-count-${key}`, value ?? 0);
  $("#dossier-scope").textContent = `REM ${str(s.rem)} (${(s.profiles || []).join(", ")}) : ${plural(s.filed_proofs, "preuve déposée", "preuves déposées")} sur ${plural(s.expected_proofs, "attendue", "attendues")}, ${plural(s.files, "fichier vérifié", "fichiers vérifiés")}.`;

  const parts = $("#dossier-parts");
  parts.replaceChildren();
  const dossierFindings = sortedFindings(body);
  if (dossierFindings.length) {
    const part = section("Constats sur le dossier", dossierFindings.length, "dossier-findings-title");
    part.append(findingsList(dossierFindings));
    parts.append(part);
  }
  const proofs = (body.proofs || []).filter(isObj);
  const filed = section("Preuves déposées", proofs.length, "dossier-proofs-title");
  const ol = el("ol", { className: "results", id: "dossier-proofs" });
  proofs.forEach((p, i) => ol.append(proofCard(p, i)));
  filed.append(ol);
  parts.append(filed);

  const unknown = (body.unknown || []).filter(isObj);
  if (unknown.length) {
    const part = section("Identifiants inconnus", unknown.length, "dossier-unknown-title");
    const ul = list("plain-list");
    for (const u of unknown) ul.append(proofLine({ proof: u.proof, text: (u.files || []).join(", ") }, str(u.reason)));
    part.append(ul);
    parts.append(part);
  }

  const missing = (body.missing || []).filter(isObj);
  const missingPart = section("Preuves manquantes", missing.length, "dossier-missing-title");
  if (missing.length) {
    const details = el("details", { open: missing.length <= SHOWN_OPEN });
    details.append(el("summary", {}, `Voir les ${plural(missing.length, "preuve manquante", "preuves manquantes")}`));
    const ul = list("plain-list");
    ul.id = "dossier-missing";
    for (const m of missing) ul.append(proofLine(m, `Exigence ${str(m.requirement)} (${str(m.profile)})`));
    details.append(ul);
    missingPart.append(details);
  } else missingPart.append(el("p", {}, "Aucune : toutes les preuves attendues sont déposées."));
  parts.append(missingPart);

  const undecided = (body.undecided || []).filter(isObj);
  if (undecided.length) {
    const part = section("Preuves selon des conditions à déclarer", undecided.length, "dossier-undecided-title");
    part.append(el("p", { className: "hint" }, "Déclarez ces conditions dans « Conditions du système » : chaque preuve devient attendue ou non applicable."));
    const details = el("details");
    details.append(el("summary", {}, `Voir les ${plural(undecided.length, "preuve", "preuves")}`));
    const ul = list("plain-list");
    ul.id = "dossier-undecided";
    for (const u of undecided) ul.append(proofLine(u, `Condition : ${(u.conditions || []).filter(isObj).map(conditionText).join(" ; ")}`));
    details.append(ul);
    part.append(details);
    parts.append(part);
  }

  const notApplicable = (body.not_applicable || []).filter(isObj);
  if (notApplicable.length) {
    const part = section("Preuves non applicables", notApplicable.length, "dossier-na-title");
    const details = el("details", { open: notApplicable.length <= SHOWN_OPEN });
    details.append(el("summary", {}, `Voir les ${plural(notApplicable.length, "preuve non applicable", "preuves non applicables")}`));
    const ul = list("plain-list");
    ul.id = "dossier-not-applicable";
    for (const n of notApplicable) {
      const reason = (n.conditions || []).filter(isObj).map((c) => `${conditionText(c)} : déclaré ${(c.declared || []).join(", ")}`).join(" ; ");
      ul.append(proofLine(n, reason));
    }
    details.append(ul);
    part.append(details);
    parts.append(part);
  }

  const unmatched = (body.unmatched_files || []).filter((u) => typeof u === "string");
  const unmatchedPart = section("Fichiers sans preuve", unmatched.length, "dossier-unmatched-title");
  if (unmatched.length) {
    unmatchedPart.append(el("p", { className: "hint" }, "Leur nom ne commence par aucun identifiant de preuve du REM : renommez-les (« DOC_va1.01.01.01 prescription.pdf ») ou retirez-les du dossier."));
    const ul = list("plain-list");
    ul.id = "dossier-unmatched";
    for (const u of unmatched) ul.append(el("li", { className: "file-path" }, u));
    unmatchedPart.append(ul);
  } else unmatchedPart.append(el("p", {}, "Aucun."));
  parts.append(unmatchedPart);

  applyFilter();
  $("#dossier-md").disabled = typeof body.markdown !== "string";
  $("#dossier-csv").disabled = false;
  announce(`Dossier vérifié : ${verdict.textContent} ${plural(s.accepted + s.accepted_with_warnings, "preuve acceptée", "preuves acceptées")}, `
    + `${plural(s.rejected, "refusée", "refusées")}, ${plural(s.missing, "manquante", "manquantes")}, ${plural(s.unmatched_files, "fichier sans preuve", "fichiers sans preuve")}.`);
  $("#dossier-results-title").focus();
}

function applyFilter() {
  const proofs = $("#dossier-proofs");
  if (proofs) proofs.classList.toggle("problems-only", $("#dossier-problems-only").checked);
}

// -- downloads ---------------------------------------------------------------------------------------
// A cell opening with = + - @ (or a tab/CR) is a formula to a spreadsheet: quoted with a leading
// apostrophe (OWASP's advice), as the service's own checklist CSV does.
function csvCell(value) {
  let text = String(value ?? "");
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[;"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function dossierCsv(body) {
  const rows = [["preuve", "statut", "fichier", "constats", "exigence", "profil", "attendu"]];
  for (const p of (body.proofs || []).filter(isObj)) {
    for (const f of (p.files || []).filter(isObj)) {
      const findings = sortedFindings(f.report).filter((x) => x.code !== "type.inferred")
        .map((x) => `${x.severity} : ${x.message} (${x.code})`).join(" ; ") || str(f.error);
      rows.push([p.proof, STATUS_TEXT[f.status] || f.status, f.path, findings, p.requirement, p.profile, p.text]);
    }
  }
  for (const u of (body.unknown || []).filter(isObj)) rows.push([u.proof, STATUS_TEXT.unknown, (u.files || []).join(", "), u.reason, "", "", ""]);
  for (const m of (body.missing || []).filter(isObj)) rows.push([m.proof, STATUS_TEXT.missing, "", "", m.requirement, m.profile, m.text]);
  for (const u of (body.undecided || []).filter(isObj)) {
    rows.push([u.proof, STATUS_TEXT.undecided, "", (u.conditions || []).map(conditionText).join(" ; "), u.requirement, u.profile, u.text]);
  }
  for (const n of (body.not_applicable || []).filter(isObj)) {
    rows.push([n.proof, STATUS_TEXT.not_applicable, "", (n.conditions || []).map((c) => `${conditionText(c)} : déclaré ${(c.declared || []).join(", ")}`).join(" ; "),
      n.requirement, n.profile, n.text]);
  }
  for (const u of body.unmatched_files || []) rows.push(["", STATUS_TEXT.unmatched, u, "", "", "", ""]);
  // A BOM so that spreadsheets read UTF-8; « ; » as French spreadsheets expect.
  return `\ufeff${rows.map((r) => r.map(csvCell).join(";")).join("\r\n")}\r\n`;
}

function fileStem() {
  const rem = result && result.summary ? str(result.summary.rem).toLowerCase() : "rem";
  return `dossier-${rem}-${stamp()}`;
}

export function initDossierMode() {
  const zone = $("#dossier-drop");
  const input = $("#dossier-input");
  zone.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const chosen = [...input.files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
    const top = chosen.length && chosen[0].path.includes("/") ? chosen[0].path.split("/")[0] : "";
    useFiles(chosen, top);
    input.value = "";
  });
  dropTarget(zone, onDrop);
  $("#dossier-rem").addEventListener("change", loadProfiles);
  $("#dossier-check").addEventListener("click", check);
  $("#dossier-problems-only").addEventListener("change", () => {
    applyFilter();
    announce($("#dossier-problems-only").checked ? "Problèmes seulement : preuves acceptées masquées." : "Toutes les preuves affichées.");
  });
  $("#dossier-md").addEventListener("click", () => {
    download(result.markdown, `${fileStem()}.md`, "text/markdown;charset=utf-8");
    announce("Synthèse du dossier téléchargée au format Markdown.");
  });
  $("#dossier-csv").addEventListener("click", () => {
    download(dossierCsv(result), `${fileStem()}.csv`, "text/csv;charset=utf-8");
    announce("Synthèse du dossier téléchargée au format CSV.");
  });
}
