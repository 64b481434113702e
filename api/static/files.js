/* File mode: every file goes to POST v1/validations, one XMLHttpRequest per file (fetch() has no
 * upload progress), at most MAX_PARALLEL at a time; one card per file, in the order they were dropped.
 *
 * With the requirement catalogue (GET v1/requirements/{id}), each file takes an optional proof id
 * ("DOC/va1.01.01.01"), typed before the first check or on the card. The page resolves it to the
 * proof's text and admitted types (and sends that type when the user chose none); when POST
 * v1/validations declares these multipart fields in the OpenAPI document, the id (and its REM) are
 * also sent to the engine. An unknown id keeps the file's previous verdict and offers the catalogue's
 * close ids as buttons.
 */
import {
  $, API, FINAL_VERDICTS, JSON_FR, VERDICTS, announce, authHeaders, download, el, formatBytes, formatDuration, frNumber,
  findingsList, getKey, isObj, jsonDetails, keyRefused, num, parseJson, plural, problemDetail, service, setCount,
  sortedFindings, stamp, typeLabel,
} from "./common.js";
import { keyNeeded } from "./key.js";
import { showPreview } from "./preview.js";

const REQUIREMENT_FIELD = "requirement";
const REM_FIELD = "rem";
const MAX_PARALLEL = 2;          // two uploads at a time: steady progress, no self-inflicted 429
const MAX_RETRIES = 3;           // on 429/503, honouring Retry-After
const MAX_RETRY_WAIT_S = 60;
const MAX_LINKS_SHOWN = 10;
// Over the largest per-type limit, the service answers 413 without a report: say it here instead
// of uploading 500 Mo for nothing (the extra 64 Kio is the multipart framing the service allows).
const MULTIPART_ALLOWANCE = 64 * 1024;
const BUSY = ["pending", "uploading", "checking"];

let nextId = 1;
const items = [];                 // {id, file, card, state, report, proofType, requirement, requirementSpec, tries}
const queue = [];
let running = 0;

// -- proof types ---------------------------------------------------------------------------------
export function fillTypeSelect(select, value) {
  select.replaceChildren(el("option", { value: "" }, "Déduit du contenu"));
  for (const t of service.proofTypes) select.append(el("option", { value: t.id }, t.label_fr || t.id));
  select.value = value || "";
}

export function refreshFileMode() {
  fillTypeSelect($("#default-type"), $("#default-type").value);
  $("#default-requirement-row").hidden = !service.catalogue;
  $("#default-requirement-help").hidden = !service.catalogue;
  for (const item of items) {
    fillTypeSelect($(".type-select", item.card), item.proofType);
    $(".requirement-wrap", item.card).hidden = !service.catalogue;
  }
}

function largestLimit() {
  const limits = service.proofTypes.map((t) => num(t.max_bytes)).filter((n) => n !== null);
  return limits.length ? Math.max(...limits) : null;
}

// -- cards ---------------------------------------------------------------------------------------
function createCard(item) {
  const fragment = $("#card-template").content.cloneNode(true);
  const card = fragment.querySelector(".card");
  card.dataset.id = String(item.id);
  const name = $(".file-name", card);
  name.textContent = item.file.name || "(sans nom)";
  name.id = `name-${item.id}`;
  const select = $(".type-select", card);
  select.id = `type-${item.id}`;
  $(".type-label", card).htmlFor = select.id;
  select.setAttribute("aria-describedby", name.id);
  fillTypeSelect(select, item.proofType);
  const requirement = $(".requirement-input", card);
  requirement.id = `requirement-${item.id}`;
  requirement.value = item.requirement;
  $(".requirement-label", card).htmlFor = requirement.id;
  const feedback = $(".requirement-feedback", card);
  feedback.id = `requirement-feedback-${item.id}`;
  requirement.setAttribute("aria-describedby", feedback.id);
  $(".requirement-wrap", card).hidden = !service.catalogue;
  const progress = $("progress", card);
  progress.id = `progress-${item.id}`;
  $(".progress-label", card).htmlFor = progress.id;
  const recheck = $(".recheck", card);
  recheck.setAttribute("aria-describedby", name.id);
  recheck.addEventListener("click", () => {
    item.proofType = select.value;
    item.requirement = requirement.value.trim();
    item.tries = 0;
    enqueue(item);
  });
  item.card = card;
  $("#results").append(card);   // drop order: the first file dropped stays first
  $("#empty").hidden = true;
  showPreview(item.file, $(".preview", card));
}

function setState(item, state, badgeText) {
  item.state = state;
  item.card.dataset.state = state;
  const badge = $(".badge", item.card);
  badge.dataset.verdict = FINAL_VERDICTS.includes(state) ? state : "pending";
  $(".badge-text", badge).textContent = badgeText || VERDICTS[state] || state;
  const busy = BUSY.includes(state);
  item.card.setAttribute("aria-busy", busy ? "true" : "false");
  $(".recheck", item.card).disabled = busy;
  updateSummary();
}

function setProgress(item, percent, label) {
  const wrap = $(".progress-wrap", item.card);
  wrap.hidden = percent === null;
  if (percent === null) return;
  const progress = $("progress", item.card);
  if (percent === undefined) progress.removeAttribute("value"); // indeterminate: the server is checking
  else progress.value = percent;
  $(".progress-label", item.card).textContent = label;
}

function showMessage(item, text) {
  $(".body", item.card).replaceChildren(el("p", { className: "field-error" }, text));
}

// -- facts (read defensively: plugins are written independently, keys may be missing) -------------
function resolution(facts) {
  const w = num(facts.width);
  const h = num(facts.height);
  return w !== null && h !== null ? `${w} × ${h} px` : null;
}

function pdfaText(pdfa) {
  if (pdfa === undefined) return null;
  if (pdfa === null || pdfa === false) return "non déclarée";
  if (pdfa === true) return "déclarée";
  if (typeof pdfa === "string") return pdfa;
  if (typeof pdfa === "number") return `PDF/A-${pdfa}`;
  if (isObj(pdfa)) {
    if (typeof pdfa.claim === "string" && pdfa.claim) return pdfa.claim;
    if (num(pdfa.part) !== null) return `PDF/A-${pdfa.part}${typeof pdfa.conformance === "string" ? pdfa.conformance : ""}`;
    return "non déclarée";
  }
  return null;
}

function linkText(link) {
  if (typeof link === "string") return link;
  if (!isObj(link)) return null;
  const url = typeof link.url === "string" ? link.url : typeof link.href === "string" ? link.href : null;
  if (!url) return null;
  const extra = [link.platform, link.kind].filter((v) => typeof v === "string" && v);
  return extra.length ? `${url} (${extra.join(", ")})` : url;
}

function factRows(facts) {
  const rows = [];
  if (!isObj(facts)) return rows;
  const video = isObj(facts.video) ? facts.video : null;
  if (video) {
    const duration = num(video.duration_s);
    if (duration !== null) rows.push(["Durée", formatDuration(duration)]);
    const res = resolution(video);
    if (res) rows.push(["Résolution", res]);
    const fps = num(video.fps) ?? num(video.frame_rate);
    if (fps !== null) rows.push(["Images par seconde", frNumber(fps, 2)]);
    if (typeof video.codec === "string" && video.codec) rows.push(["Codec", video.codec]);
  }
  const shot = isObj(facts.screenshot) ? facts.screenshot : null;
  if (shot) {
    const res = resolution(shot);
    if (res) rows.push(["Dimensions", res]);
  }
  const pdf = isObj(facts.pdf_report) ? facts.pdf_report : null;
  if (pdf) {
    const pages = num(pdf.pages) ?? num(pdf.page_count);
    if (pages !== null) rows.push(["Pages", String(pages)]);
    const pdfa = pdfaText(pdf.pdfa);
    if (pdfa) rows.push(["PDF/A", pdfa]);
    if (typeof pdf.encryption === "string" && pdf.encryption !== "none") rows.push(["Chiffrement", pdf.encryption]);
  }
  const links = isObj(facts.report_link) ? facts.report_link : null;
  if (links) {
    const list = (Array.isArray(links.links) ? links.links : []).map(linkText).filter(Boolean);
    const total = num(links.links_total) ?? list.length;
    if (!list.length) rows.push(["Liens trouvés", total ? String(total) : "aucun"]);
    else {
      const ul = el("ul");
      for (const text of list.slice(0, MAX_LINKS_SHOWN)) ul.append(el("li", {}, text));
      if (total > MAX_LINKS_SHOWN) ul.append(el("li", {}, `… et ${plural(total - MAX_LINKS_SHOWN, "autre", "autres")}`));
      rows.push([`Liens trouvés (${total})`, ul]);
    }
  }
  return rows;
}

// -- report rendering ------------------------------------------------------------------------------
function renderReport(item, report) {
  item.report = report;
  const verdict = report.verdict in VERDICTS ? report.verdict : "failed";
  const file = isObj(report.file) ? report.file : {};
  const meta = [];
  if (typeof report.proof_type === "string") {
    meta.push(`Type : ${typeLabel(report.proof_type)}${report.proof_type_inferred ? " (déduit du contenu)" : ""}`);
  }
  if (typeof file.media_type === "string") meta.push(`Contenu : ${file.media_type}`);
  const size = formatBytes(file.size);
  if (size) meta.push(size);
  $(".file-meta", item.card).textContent = meta.join(" · ");

  const body = $(".body", item.card);
  body.replaceChildren();
  const findings = sortedFindings(report);
  const problems = findings.filter((f) => f.severity === "error" || f.severity === "warning");
  if (!problems.length) body.append(el("p", { className: "ok-text" }, "Aucun problème détecté."));
  if (findings.length) body.append(findingsList(findings));
  const rows = factRows(report.facts);
  if (rows.length) {
    const dl = el("dl", { className: "facts" });
    dl.setAttribute("aria-label", "Caractéristiques du fichier");
    for (const [term, value] of rows) {
      dl.append(el("dt", {}, term));
      const dd = el("dd");
      if (value instanceof Node) dd.append(value); else dd.textContent = value;
      dl.append(dd);
    }
    body.append(dl);
  }
  const requirementBox = renderRequirement(item, report);
  if (requirementBox) body.prepend(requirementBox);
  body.append(jsonDetails(report, item.file.name));

  setProgress(item, null);
  setState(item, verdict);
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.filter((f) => f.severity === "warning").length;
  announce(`${item.file.name} : ${VERDICTS[verdict]}. ${plural(errors, "erreur", "erreurs")}, ${plural(warnings, "avertissement", "avertissements")}.`);
}

function fail(item, message) {
  item.report = null;
  setProgress(item, null);
  showMessage(item, message);
  setState(item, "failed");
  announce(`${item.file.name} : non vérifié. ${message}`);
}

// -- upload ----------------------------------------------------------------------------------------
const engineTakesRequirement = () => REQUIREMENT_FIELD in service.uploadFields;

// The type to send for a proof id when the user chose none: the catalogue's only admitted type.
// With several (video or screenshot), the engine infers it and the page checks it is admitted.
function requirementType(item) {
  const admits = item.requirementSpec && Array.isArray(item.requirementSpec.admits) ? item.requirementSpec.admits : [];
  return admits.length === 1 && typeof admits[0] === "string" ? admits[0] : "";
}

function upload(item) {
  return new Promise((resolve) => {
    const form = new FormData();
    form.append("file", item.file, item.file.name);
    // When the engine takes the proof id it also derives the type from it: send the user's only.
    const proofType = item.proofType || (engineTakesRequirement() ? "" : requirementType(item));
    if (proofType) form.append("proof_type", proofType);
    const spec = item.requirementSpec;
    if (spec && engineTakesRequirement()) {
      form.append(REQUIREMENT_FIELD, spec.id);
      if (REM_FIELD in service.uploadFields && typeof spec.rem === "string") form.append(REM_FIELD, spec.rem);
    }
    form.append("lang", "fr");

    const xhr = new XMLHttpRequest();
    xhr.open("POST", API.validations);
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    xhr.setRequestHeader("Accept-Language", JSON_FR["Accept-Language"]);
    const key = getKey();
    if (key) xhr.setRequestHeader("Authorization", `Bearer ${key}`);
    setState(item, "uploading");
    setProgress(item, 0, "Envoi : 0 %");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      setProgress(item, percent, `Envoi : ${percent} %`);
    });
    xhr.upload.addEventListener("load", () => {
      setState(item, "checking");
      setProgress(item, undefined, "Vérification en cours…");
    });
    xhr.addEventListener("load", () => {
      handleResponse(item, xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After"), key);
      resolve();
    });
    const broken = () => {
      fail(item, "La connexion au service a été interrompue (service arrêté, réseau coupé ou fichier refusé en cours d'envoi).");
      resolve();
    };
    xhr.addEventListener("error", broken);
    xhr.addEventListener("abort", broken);
    xhr.send(form);
  });
}

function waitForKey(item, status, sentKey) {
  setProgress(item, null);
  showMessage(item, "En attente d'une clé d'API valide.");
  setState(item, "pending", VERDICTS.key);
  keyNeeded(status, () => enqueue(item), sentKey);
}

function handleResponse(item, status, text, retryAfter, sentKey) {
  const body = parseJson(text);
  if (status === 200 && isObj(body) && typeof body.verdict === "string") {
    renderReport(item, body);
    return;
  }
  if (keyRefused(status)) {
    waitForKey(item, status, sentKey);
    return;
  }
  if ((status === 429 || status === 503) && item.tries < MAX_RETRIES) {
    item.tries += 1;
    const wait = Math.min(Math.max(parseInt(retryAfter, 10) || 5, 1), MAX_RETRY_WAIT_S);
    setProgress(item, null);
    showMessage(item, `Service saturé : nouvel essai dans ${wait} s (essai ${item.tries} sur ${MAX_RETRIES}).`);
    setState(item, "pending");
    setTimeout(() => enqueue(item), wait * 1000);
    return;
  }
  const detail = problemDetail(body);
  fail(item, detail ? `${detail} (HTTP ${status})` : `Réponse inattendue du service (HTTP ${status}).`);
}

// -- proof id (requirement catalogue) -----------------------------------------------------------------
function clearRequirementFeedback(item) {
  const feedback = $(".requirement-feedback", item.card);
  feedback.replaceChildren();
  feedback.hidden = true;
  $(".requirement-input", item.card).removeAttribute("aria-invalid");
}

// An unknown id: said next to the field, with the catalogue's close ids as buttons that check again.
function wrongRequirement(item, detail, candidates) {
  const feedback = $(".requirement-feedback", item.card);
  feedback.replaceChildren(el("span", {}, `Identifiant de preuve « ${item.requirement} » : ${detail}`));
  if (candidates.length) {
    const list = el("ul", { className: "suggestions" });
    list.setAttribute("aria-label", "Identifiants proches");
    for (const id of candidates) {
      const button = el("button", { type: "button", className: "suggestion secondary" }, id);
      button.setAttribute("aria-label", `Utiliser l'identifiant ${id} et vérifier de nouveau`);
      button.addEventListener("click", () => {
        $(".requirement-input", item.card).value = id;
        item.requirement = id;
        item.tries = 0;
        enqueue(item);
        $(".requirement-input", item.card).focus();
      });
      const li = el("li");
      li.append(button);
      list.append(li);
    }
    feedback.append(list);
  }
  feedback.hidden = false;
  $(".requirement-input", item.card).setAttribute("aria-invalid", "true");
  announce(`${item.file.name} : identifiant de preuve « ${item.requirement} » inconnu${item.report ? ", verdict précédent conservé" : ""}.`);
  if (item.report) {
    setState(item, item.report.verdict in VERDICTS ? item.report.verdict : "failed"); // the previous verdict stands
  } else {
    setProgress(item, null);
    showMessage(item, "Non vérifié : corrigez l'identifiant de preuve (ou videz le champ) puis vérifiez de nouveau.");
    setState(item, "failed");
  }
}

async function resolveRequirement(item) {
  clearRequirementFeedback(item);
  if (!service.catalogue || !item.requirement) {
    item.requirementSpec = null;
    return true;
  }
  setState(item, "pending", "Recherche de la preuve…");
  const key = getKey();
  let response;
  try {
    response = await fetch(`${API.requirements}/${encodeURIComponent(item.requirement)}`, {
      headers: { ...JSON_FR, ...authHeaders(key) },
    });
  } catch (_) {
    fail(item, "Le catalogue des exigences est injoignable.");
    return false;
  }
  const body = parseJson(await response.text());
  if (keyRefused(response.status)) {
    waitForKey(item, response.status, key);
    return false;
  }
  if (!response.ok || !isObj(body) || typeof body.id !== "string") {
    const candidates = isObj(body) && Array.isArray(body.candidates) ? body.candidates.filter((c) => typeof c === "string") : [];
    wrongRequirement(item, problemDetail(body) || `HTTP ${response.status}`, candidates);
    return false;
  }
  item.requirementSpec = body;
  return true;
}

function renderRequirement(item, report) {
  const spec = item.requirementSpec;
  if (!spec) return null;
  const box = el("div", { className: "requirement-info" });
  const where = [spec.rem, spec.id].filter((v) => typeof v === "string" && v).join(" ");
  box.append(el("p", {}, `Preuve attendue (${where}) : ${typeof spec.text === "string" ? spec.text : ""}`));
  const admits = Array.isArray(spec.admits) ? spec.admits.filter((t) => typeof t === "string") : [];
  if (admits.length) {
    box.append(el("p", {}, `Types admis : ${admits.map(typeLabel).join(", ")}.`));
    // The engine reports a type the proof does not admit itself when it received the id.
    if (!engineTakesRequirement() && typeof report.proof_type === "string" && !admits.includes(report.proof_type)) {
      box.append(el("p", { className: "field-error" },
        `Le fichier a été vérifié comme « ${typeLabel(report.proof_type)} », type que cette preuve n'admet pas.`));
    }
  }
  return box;
}

function enqueue(item) {
  setProgress(item, null);
  setState(item, "pending");
  queue.push(item);
  pump();
}

function pump() {
  while (running < MAX_PARALLEL && queue.length) {
    const item = queue.shift();
    running += 1;
    resolveRequirement(item).then((ok) => (ok ? upload(item) : null)).finally(() => {
      running -= 1;
      pump();
    });
  }
}

export function addFiles(fileList) {
  const files = Array.from(fileList || []);
  if (!files.length) return;
  const proofType = $("#default-type").value;
  const requirement = service.catalogue ? $("#default-requirement").value.trim() : "";
  const cap = largestLimit();
  for (const file of files) {
    const item = { id: nextId++, file, card: null, state: "pending", report: null, proofType, requirement, requirementSpec: null, tries: 0 };
    items.push(item);
    createCard(item);
    $(".file-meta", item.card).textContent = formatBytes(file.size);
    if (cap !== null && file.size > cap + MULTIPART_ALLOWANCE) {
      fail(item, `Fichier de ${formatBytes(file.size)} : au-delà de la plus grande taille admise par l'ANS (${formatBytes(cap)}), il serait refusé. Il n'a pas été envoyé.`);
      continue;
    }
    enqueue(item);
  }
  announce(files.length === 1 ? "1 fichier ajouté : vérification lancée." : `${files.length} fichiers ajoutés : vérification lancée.`);
}

// -- summary, filter and download ----------------------------------------------------------------------
function updateSummary() {
  const count = (pred) => items.filter(pred).length;
  setCount("count-accepted", count((i) => i.state === "accepted"));
  setCount("count-warnings", count((i) => i.state === "accepted_with_warnings"));
  setCount("count-rejected", count((i) => i.state === "rejected"));
  setCount("count-pending", count((i) => BUSY.includes(i.state)));
  setCount("count-failed", count((i) => i.state === "failed"));
  $("#download").disabled = !items.some((i) => i.report);
  $("#clear").disabled = !items.some((i) => !BUSY.includes(i.state));
}

function onFilter() {
  const only = $("#problems-only").checked;
  $("#results").classList.toggle("problems-only", only);
  const shown = only ? items.filter((i) => i.state !== "accepted").length : items.length;
  announce(only ? `Problèmes seulement : ${plural(shown, "fichier affiché", "fichiers affichés")} sur ${items.length}.`
    : `Tous les fichiers affichés (${items.length}).`);
}

function downloadReports() {
  const reports = items.filter((i) => i.report).map((i) => i.report);
  if (!reports.length) return;
  download(JSON.stringify(reports, null, 2), `rapports-preuves-${stamp()}.json`, "application/json");
  announce(`${plural(reports.length, "rapport téléchargé", "rapports téléchargés")} au format JSON.`);
}

function clearDone() {
  for (let i = items.length - 1; i >= 0; i -= 1) {
    const item = items[i];
    if (BUSY.includes(item.state)) continue;
    item.card.remove();
    items.splice(i, 1);
  }
  $("#empty").hidden = items.length > 0;
  updateSummary();
  announce("Liste des fichiers vérifiés effacée.");
  $("#drop-zone").focus();
}

export function initFileMode() {
  const zone = $("#drop-zone");
  const input = $("#file-input");
  zone.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    addFiles(input.files);
    input.value = ""; // the same file can be chosen again
  });
  dropTarget(zone, (dataTransfer) => addFiles(dataTransfer.files));
  $("#download").addEventListener("click", downloadReports);
  $("#clear").addEventListener("click", clearDone);
  $("#problems-only").addEventListener("change", onFilter);
  fillTypeSelect($("#default-type"), "");
  updateSummary();
}

// A drop zone: highlighted while something is dragged over it, ``onDrop(dataTransfer)`` on a drop.
export function dropTarget(zone, onDrop) {
  zone.addEventListener("dragenter", (e) => { e.preventDefault(); zone.classList.add("dragover"); });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragover");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragover"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragover");
    if (e.dataTransfer) onDrop(e.dataTransfer);
  });
}
