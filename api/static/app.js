/* Pré-vérification des preuves Ségur — the page's entry point (an ES module, no build step).
 *
 * The page is split by job: common.js (addresses, key, DOM helpers, labels), key.js (the API key form),
 * files.js (file mode: one file at a time, POST v1/validations), preview.js (thumbnails and video frame
 * strips made in the browser), dossier.js (dossier mode: a folder against a REM, POST v1/dossiers).
 * Here: what the service offers (read from GET v1/proof-types and /openapi.json, so an older or newer
 * service needs no change to this page), the choice of mode, and start-up.
 */
import { $, API, JSON_FR, announce, authHeaders, getKey, isObj, keyRefused, service } from "./common.js";
import { initDossierMode, refreshDossierMode } from "./dossier.js";
import { initFileMode, refreshFileMode } from "./files.js";
import { initKeyForm, keyNeeded } from "./key.js";

async function loadProofTypes() {
  try {
    const key = getKey();
    const response = await fetch(API.proofTypes, { headers: { ...JSON_FR, ...authHeaders(key) } });
    if (keyRefused(response.status)) { keyNeeded(response.status, null, key); return; }
    if (!response.ok) return;
    const body = await response.json();
    const list = Array.isArray(body) ? body : body && body.proof_types;
    if (Array.isArray(list) && list.length && list.every((t) => isObj(t) && typeof t.id === "string")) {
      service.proofTypes = list;
      refreshFileMode();
    }
  } catch (_) { /* offline or older service: keep the built-in list */ }
}

const formFields = (operation) => {
  const content = isObj(operation) && isObj(operation.requestBody) ? operation.requestBody.content : null;
  const form = isObj(content) ? content["multipart/form-data"] : null;
  return isObj(form) && isObj(form.schema) && isObj(form.schema.properties) ? form.schema.properties : {};
};

// The OpenAPI document (public, no key) says whether the service has the catalogue (proof ids),
// which fields POST v1/validations takes, and the REMs POST v1/dossiers knows (dossier mode).
async function probeService() {
  try {
    const response = await fetch(API.openapi, { headers: JSON_FR });
    if (!response.ok) return;
    const spec = await response.json();
    const paths = isObj(spec) && isObj(spec.paths) ? spec.paths : {};
    service.catalogue = Object.keys(paths).some((p) => p.startsWith("/v1/requirements/"));
    service.uploadFields = formFields(isObj(paths["/v1/validations"]) ? paths["/v1/validations"].post : null);
    const rem = formFields(isObj(paths["/v1/dossiers"]) ? paths["/v1/dossiers"].post : null).rem;
    const hasProfiles = isObj(paths["/v1/requirements/profiles"]);
    service.rems = hasProfiles && isObj(rem) && Array.isArray(rem.enum) ? rem.enum.filter((r) => typeof r === "string") : [];
  } catch (_) { /* no OpenAPI document: file mode only, no proof id field */ }
  refreshFileMode();
  refreshDossierMode();
}

function onModeChange() {
  const dossier = $("#mode-dossier").checked;
  $("#files-mode").hidden = dossier;
  $("#dossier-mode").hidden = !dossier;
  $(".skip").href = dossier ? "#dossier-title" : "#results-title";
  announce(dossier ? "Mode dossier : choisissez le REM puis déposez le dossier." : "Mode fichier par fichier.");
}

function init() {
  $("#files-mode").hidden = false;
  for (const radio of document.querySelectorAll("input[name=mode]")) radio.addEventListener("change", onModeChange);
  initKeyForm(loadProofTypes); // what else was refused is retried by key.js
  initFileMode();
  initDossierMode();
  // A file dropped next to a zone must not make the browser leave the page (and lose results).
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  Promise.all([loadProofTypes(), probeService()]).finally(() => {
    document.documentElement.dataset.ready = "true"; // for the end-to-end tests
  });
}

init();
