/* Pré-vérification des preuves Ségur — the page's whole behaviour, plain JavaScript, no build step.
 *
 * Every file goes to the service's own endpoint (POST v1/validations), one XMLHttpRequest per file
 * (fetch() has no upload progress), at most MAX_PARALLEL at a time. URLs are relative so the page
 * also works behind a reverse proxy that serves the service under a path prefix.
 *
 * Untrusted text (file names, messages, facts) only ever reaches the DOM through textContent.
 * The API key lives in one variable of this closure: never in localStorage, sessionStorage or cookies.
 */
"use strict";

(() => {
  const API = {
    validations: "v1/validations",
    proofTypes: "v1/proof-types",
    openapi: "openapi.json",
    requirements: "v1/requirements",
  };
  // The requirement catalogue (GET v1/requirements/{id}): when the service has it, each file gets an
  // optional proof id ("DOC/va1.01.01.01"). The page resolves it to the proof's text and admitted
  // types (and sends that type when the user chose none); when POST v1/validations declares these
  // multipart fields in the OpenAPI document, the id (and its REM) are also sent to the engine.
  const REQUIREMENT_FIELD = "requirement";
  const REM_FIELD = "rem";
  const MAX_PARALLEL = 2;          // two uploads at a time: steady progress, no self-inflicted 429
  const MAX_RETRIES = 3;           // on 429/503, honouring Retry-After
  const MAX_RETRY_WAIT_S = 60;
  const MAX_LINKS_SHOWN = 10;

  // Used until (or if) GET v1/proof-types answers: the ANS table's rows.
  let proofTypes = [
    { id: "video", label_fr: "Vidéo", max_bytes: 50000000 },
    { id: "screenshot", label_fr: "Capture d'écran", max_bytes: 50000000 },
    { id: "report_link", label_fr: "Lien vers le rapport", max_bytes: 1000000 },
    { id: "logs", label_fr: "Fichier (journaux, TBB, DUMP…)", max_bytes: 1000000 },
    { id: "pdf_report", label_fr: "Compte-rendu PDF", max_bytes: 10000000 },
  ];
  // Over the largest per-type limit, the service answers 413 without a report: say it here instead
  // of uploading 500 Mo for nothing (the extra 64 Kio is the multipart framing the service allows).
  const MULTIPART_ALLOWANCE = 64 * 1024;

  let apiKey = null;                // tab memory only
  let catalogueAvailable = false;   // GET v1/requirements/{id} exists
  let uploadFields = {};            // the multipart fields POST v1/validations declares
  let nextId = 1;
  const items = [];                 // {id, file, card, state, report, proofType, requirement, tries}
  const queue = [];
  const waitingForKey = [];
  let running = 0;

  const VERDICTS = {
    pending: "En attente",
    uploading: "Envoi…",
    checking: "Vérification…",
    accepted: "Acceptée",
    accepted_with_warnings: "Acceptée avec avertissements",
    rejected: "Refusée",
    failed: "Non vérifiée",
    key: "Clé d'API requise",
  };
  const SEVERITIES = { error: "Erreur", warning: "Avertissement", info: "Information" };
  const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };

  const $ = (sel, root = document) => root.querySelector(sel);
  const el = (tag, props = {}, text) => {
    const node = document.createElement(tag);
    Object.assign(node, props);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const frNumber = (n, digits = 1) => n.toLocaleString("fr-FR", { maximumFractionDigits: digits });

  function formatBytes(n) {
    if (num(n) === null) return "";
    if (n >= 1e6) return `${frNumber(n / 1e6)} Mo`;
    if (n >= 1e3) return `${frNumber(n / 1e3)} ko`;
    return `${n} o`;
  }

  function formatDuration(s) {
    if (s < 60) return `${frNumber(s)} s`;
    const m = Math.floor(s / 60);
    return `${m} min ${frNumber(s - m * 60, 0)} s`;
  }

  // -- announcements (aria-live) ------------------------------------------------------------
  function announce(text, urgent = false) {
    const region = urgent ? $("#alerts") : $("#announcer");
    region.append(el("p", {}, text));
    // Keep the region short: screen readers read additions, older lines are noise for the DOM.
    while (region.childElementCount > 5) region.firstElementChild.remove();
  }

  // -- proof types ---------------------------------------------------------------------------
  function typeLabel(id) {
    const t = proofTypes.find((p) => p.id === id);
    return t ? t.label_fr || t.id : id;
  }

  function fillTypeSelect(select, value) {
    select.replaceChildren(el("option", { value: "" }, "Déduit du contenu"));
    for (const t of proofTypes) select.append(el("option", { value: t.id }, t.label_fr || t.id));
    select.value = value || "";
  }

  function largestLimit() {
    const limits = proofTypes.map((t) => num(t.max_bytes)).filter((n) => n !== null);
    return limits.length ? Math.max(...limits) : null;
  }

  function authHeaders() {
    return apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
  }

  async function loadProofTypes() {
    try {
      const response = await fetch(API.proofTypes, { headers: { Accept: "application/json", ...authHeaders() } });
      if (response.status === 401) { showKeyForm(); return; }
      if (!response.ok) return;
      const body = await response.json();
      const list = Array.isArray(body) ? body : body && body.proof_types;
      if (Array.isArray(list) && list.length && list.every((t) => isObj(t) && typeof t.id === "string")) {
        proofTypes = list;
        fillTypeSelect($("#default-type"), $("#default-type").value);
        for (const item of items) fillTypeSelect($(".type-select", item.card), item.proofType);
      }
    } catch (_) { /* offline or older service: keep the built-in list */ }
  }

  // The proof id field appears only when the service serves the catalogue, read from the OpenAPI
  // document (public, no key): an older or newer service needs no change to this page.
  async function probeCatalogue() {
    let available = false;
    try {
      const response = await fetch(API.openapi, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const spec = await response.json();
        const paths = isObj(spec) && isObj(spec.paths) ? spec.paths : {};
        const post = isObj(paths["/v1/validations"]) ? paths["/v1/validations"].post : null;
        const content = isObj(post) && isObj(post.requestBody) ? post.requestBody.content : null;
        const form = isObj(content) ? content["multipart/form-data"] : null;
        const props = isObj(form) && isObj(form.schema) && isObj(form.schema.properties) ? form.schema.properties : {};
        available = Object.keys(paths).some((p) => p.startsWith("/v1/requirements/"));
        uploadFields = props;
      }
    } catch (_) { /* no OpenAPI document: no proof id field */ }
    catalogueAvailable = available;
    for (const item of items) $(".requirement-wrap", item.card).hidden = !catalogueAvailable;
  }

  // -- API key -------------------------------------------------------------------------------
  function showKeyForm(message) {
    const section = $("#key-section");
    const wasHidden = section.hidden;
    section.hidden = false;
    const error = $("#key-error");
    if (message) {
      error.textContent = message;
      error.hidden = false;
      $("#api-key").setAttribute("aria-invalid", "true");
    }
    if (wasHidden || message) {
      announce(message || "Ce service demande une clé d'API : saisissez-la pour lancer les vérifications.", true);
      $("#api-key").focus();
    }
  }

  function onKeySubmit(event) {
    event.preventDefault();
    const input = $("#api-key");
    const value = input.value.trim();
    const error = $("#key-error");
    // A header value must be visible ASCII: say so here rather than let setRequestHeader throw.
    if (!value || !/^[\x21-\x7e]+$/.test(value)) {
      error.textContent = value ? "La clé ne peut contenir que des caractères ASCII visibles, sans espace." : "Saisissez une clé d'API.";
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    apiKey = value;
    input.value = "";
    input.removeAttribute("aria-invalid");
    error.hidden = true;
    announce("Clé enregistrée pour cet onglet.");
    loadProofTypes();
    const again = waitingForKey.splice(0);
    for (const item of again) enqueue(item);
  }

  // -- cards ---------------------------------------------------------------------------------
  function createCard(item) {
    const fragment = $("#card-template").content.cloneNode(true);
    const card = fragment.querySelector(".card");
    card.dataset.id = String(item.id);
    $(".file-name", card).textContent = item.file.name || "(sans nom)";
    const select = $(".type-select", card);
    select.id = `type-${item.id}`;
    $(".type-label", card).htmlFor = select.id;
    select.setAttribute("aria-describedby", `name-${item.id}`);
    $(".file-name", card).id = `name-${item.id}`;
    fillTypeSelect(select, item.proofType);
    const requirement = $(".requirement-input", card);
    requirement.id = `requirement-${item.id}`;
    $(".requirement-label", card).htmlFor = requirement.id;
    $(".requirement-wrap", card).hidden = !catalogueAvailable;
    const progressLabel = $(".progress-label", card);
    const progress = $("progress", card);
    progress.id = `progress-${item.id}`;
    progressLabel.htmlFor = progress.id;
    const recheck = $(".recheck", card);
    recheck.setAttribute("aria-describedby", `name-${item.id}`);
    recheck.addEventListener("click", () => {
      item.proofType = select.value;
      item.requirement = requirement.value.trim();
      item.tries = 0;
      enqueue(item);
    });
    item.card = card;
    $("#results").prepend(card);
    $("#empty").hidden = true;
  }

  function setState(item, state, badgeText) {
    item.state = state;
    item.card.dataset.state = state;
    const badge = $(".badge", item.card);
    badge.dataset.verdict = state in { accepted: 1, accepted_with_warnings: 1, rejected: 1, failed: 1 } ? state : "pending";
    $(".badge-text", badge).textContent = badgeText || VERDICTS[state] || state;
    const busy = state === "pending" || state === "uploading" || state === "checking";
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
    const body = $(".body", item.card);
    body.replaceChildren(el("p", { className: "field-error" }, text));
  }

  // -- facts (read defensively: plugins are written independently, keys may be missing) -------
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
        if (total > MAX_LINKS_SHOWN) ul.append(el("li", {}, `… et ${total - MAX_LINKS_SHOWN} autre(s)`));
        rows.push([`Liens trouvés (${total})`, ul]);
      }
    }
    return rows;
  }

  // -- report rendering ------------------------------------------------------------------------
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
    const findings = (Array.isArray(report.findings) ? report.findings : []).filter(isObj);
    findings.sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3));
    const problems = findings.filter((f) => f.severity === "error" || f.severity === "warning");
    if (!problems.length) body.append(el("p", { className: "ok-text" }, "Aucun problème détecté."));
    if (findings.length) {
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
      body.append(list);
    }
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
    const details = el("details");
    details.append(el("summary", {}, "Rapport complet (JSON)"));
    details.append(el("pre", {}, JSON.stringify(report, null, 2)));
    body.append(details);

    setProgress(item, null);
    setState(item, verdict);
    const errors = findings.filter((f) => f.severity === "error").length;
    const warnings = findings.filter((f) => f.severity === "warning").length;
    announce(`${item.file.name} : ${VERDICTS[verdict]}. ${errors} erreur(s), ${warnings} avertissement(s).`);
  }

  function fail(item, message) {
    item.report = null;
    setProgress(item, null);
    showMessage(item, message);
    setState(item, "failed");
    announce(`${item.file.name} : non vérifié. ${message}`);
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (_) { return null; }
  }

  // -- upload ----------------------------------------------------------------------------------
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
        if (REM_FIELD in uploadFields && typeof spec.rem === "string") form.append(REM_FIELD, spec.rem);
      }
      form.append("lang", "fr");

      const xhr = new XMLHttpRequest();
      xhr.open("POST", API.validations);
      xhr.setRequestHeader("Accept", "application/json, application/problem+json");
      if (apiKey) xhr.setRequestHeader("Authorization", `Bearer ${apiKey}`);
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
        handleResponse(item, xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After"));
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

  function handleResponse(item, status, text, retryAfter) {
    const body = parseJson(text);
    if (status === 200 && isObj(body) && typeof body.verdict === "string") {
      renderReport(item, body);
      return;
    }
    const detail = isObj(body) && typeof body.detail === "string" ? body.detail : null;
    if (status === 401) {
      setProgress(item, null);
      showMessage(item, "En attente d'une clé d'API valide.");
      setState(item, "pending", VERDICTS.key);
      waitingForKey.push(item);
      showKeyForm(apiKey ? "Clé d'API refusée par le service : vérifiez-la et saisissez-la de nouveau." : undefined);
      apiKey = null;
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
    fail(item, detail ? `${detail} (HTTP ${status})` : `Réponse inattendue du service (HTTP ${status}).`);
  }

  // -- proof id (requirement catalogue) -----------------------------------------------------------
  function engineTakesRequirement() {
    return REQUIREMENT_FIELD in uploadFields;
  }

  // The type to send for a proof id when the user chose none: the catalogue's only admitted type.
  // With several (video or screenshot), the engine infers it and the page checks it is admitted.
  function requirementType(item) {
    const admits = item.requirementSpec && Array.isArray(item.requirementSpec.admits) ? item.requirementSpec.admits : [];
    return admits.length === 1 && typeof admits[0] === "string" ? admits[0] : "";
  }

  async function resolveRequirement(item) {
    item.requirementSpec = null;
    if (!catalogueAvailable || !item.requirement) return true;
    setState(item, "pending", "Recherche de la preuve…");
    let response;
    try {
      response = await fetch(`${API.requirements}/${encodeURIComponent(item.requirement)}`, {
        headers: { Accept: "application/json", ...authHeaders() },
      });
    } catch (_) {
      fail(item, "Le catalogue des exigences est injoignable.");
      return false;
    }
    const body = parseJson(await response.text());
    if (response.status === 401) {
      handleResponse(item, 401, "", null);
      return false;
    }
    if (!response.ok || !isObj(body) || typeof body.id !== "string") {
      const detail = isObj(body) && typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`;
      fail(item, `Identifiant de preuve « ${item.requirement} » : ${detail}`);
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

  function addFiles(fileList) {
    const files = Array.from(fileList || []);
    if (!files.length) return;
    const proofType = $("#default-type").value;
    const cap = largestLimit();
    for (const file of files) {
      const item = {
        id: nextId++, file, card: null, state: "pending", report: null, proofType, requirement: "", requirementSpec: null, tries: 0,
      };
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

  // -- summary and download --------------------------------------------------------------------
  function updateSummary() {
    const count = (pred) => items.filter(pred).length;
    $("#count-accepted").textContent = count((i) => i.state === "accepted");
    $("#count-warnings").textContent = count((i) => i.state === "accepted_with_warnings");
    $("#count-rejected").textContent = count((i) => i.state === "rejected");
    $("#count-pending").textContent = count((i) => ["pending", "uploading", "checking"].includes(i.state));
    $("#count-failed").textContent = count((i) => i.state === "failed");
    $("#download").disabled = !items.some((i) => i.report);
    $("#clear").disabled = !items.some((i) => !["pending", "uploading", "checking"].includes(i.state));
  }

  function download() {
    const reports = items.filter((i) => i.report).map((i) => i.report);
    if (!reports.length) return;
    const blob = new Blob([JSON.stringify(reports, null, 2)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
    const link = el("a", { href: url, download: `rapports-preuves-${stamp}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    announce(`${reports.length} rapport(s) téléchargé(s) au format JSON.`);
  }

  function clearDone() {
    for (let i = items.length - 1; i >= 0; i -= 1) {
      const item = items[i];
      if (["pending", "uploading", "checking"].includes(item.state)) continue;
      item.card.remove();
      items.splice(i, 1);
    }
    $("#empty").hidden = items.length > 0;
    updateSummary();
    announce("Liste des fichiers vérifiés effacée.");
    $("#drop-zone").focus();
  }

  // -- wiring ----------------------------------------------------------------------------------
  function init() {
    const zone = $("#drop-zone");
    const input = $("#file-input");
    zone.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      addFiles(input.files);
      input.value = ""; // the same file can be chosen again
    });
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
      if (e.dataTransfer) addFiles(e.dataTransfer.files);
    });
    // A file dropped next to the zone must not make the browser leave the page (and lose results).
    window.addEventListener("dragover", (e) => e.preventDefault());
    window.addEventListener("drop", (e) => e.preventDefault());

    $("#key-form").addEventListener("submit", onKeySubmit);
    $("#download").addEventListener("click", download);
    $("#clear").addEventListener("click", clearDone);
    fillTypeSelect($("#default-type"), "");
    updateSummary();
    loadProofTypes();
    probeCatalogue();
    document.documentElement.dataset.ready = "true"; // for the end-to-end tests
  }

  init();
})();
