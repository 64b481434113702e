/* The API key form: shown when the service answers 401 or 403; a key typed is tried at once
 * (GET v1/proof-types) so that a refused key is said right away, not after the next upload.
 */
import { $, API, JSON_FR, announce, getKey, keyRefused, setKey } from "./common.js";

const waiting = [];   // what to run again once a key is accepted

export function showKeyForm(message) {
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

// A 401/403 answered to a request sent with ``sentKey``: the key is missing or refused; ``retry`` runs
// once one is accepted — at once when another key was accepted while the request was on its way.
export function keyNeeded(status, retry, sentKey) {
  if (getKey() && sentKey !== getKey()) {
    if (retry) retry();
    return;
  }
  if (retry) waiting.push(retry);
  const message = status === 403
    ? "Clé d'API refusée par le service (HTTP 403 : cette clé n'y a pas accès) : saisissez une autre clé."
    : getKey() ? "Clé d'API refusée par le service (HTTP 401) : vérifiez-la et saisissez-la de nouveau." : undefined;
  setKey(null);
  showKeyForm(message);
}

function fieldError(text) {
  const input = $("#api-key");
  const error = $("#key-error");
  error.textContent = text;
  error.hidden = false;
  input.setAttribute("aria-invalid", "true");
  input.focus();
  announce(text, true);
}

async function onSubmit(event, onAccepted) {
  event.preventDefault();
  const input = $("#api-key");
  const value = input.value.trim();
  // A header value must be visible ASCII: say so here rather than let setRequestHeader throw.
  if (!value || !/^[\x21-\x7e]+$/.test(value)) {
    fieldError(value ? "La clé ne peut contenir que des caractères ASCII visibles, sans espace." : "Saisissez une clé d'API.");
    return;
  }
  let status = 0;
  try {
    status = (await fetch(API.proofTypes, { headers: { ...JSON_FR, Authorization: `Bearer ${value}` } })).status;
  } catch (_) { /* unreachable service: keep the key, the uploads will say what happens */ }
  if (keyRefused(status)) {
    fieldError(`Clé d'API refusée par le service (HTTP ${status}) : vérifiez-la et saisissez-la de nouveau.`);
    return;
  }
  setKey(value);
  input.value = "";
  input.removeAttribute("aria-invalid");
  $("#key-error").hidden = true;
  announce("Clé acceptée, gardée pour cet onglet seulement.");
  onAccepted();
  for (const retry of waiting.splice(0)) retry();
}

export function initKeyForm(onAccepted) {
  $("#key-form").addEventListener("submit", (event) => onSubmit(event, onAccepted));
}
