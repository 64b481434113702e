/* Previews made in the browser, from the file itself: a thumbnail of each image, a strip of frames of
 * each video. The file never leaves the page for that: an image is decoded by createImageBitmap(),
 * a video is played from an object URL (blob:, the one source the page's CSP adds, for media only) and
 * seeked frame by frame; each picture is drawn on a <canvas> and shown as a data: image.
 */
import { el, formatDuration } from "./common.js";

const THUMB_WIDTH = 240;
const FRAME_WIDTH = 160;
const FRAMES = 4;
const VIDEO_TIMEOUT_MS = 15000;

const isImage = (file) => /^image\//.test(file.type) || /\.(png|jpe?g|gif|webp|bmp)$/i.test(file.name);
const isVideo = (file) => /^video\//.test(file.type) || /\.(mp4|mov|m4v|webm|avi|flv|mkv)$/i.test(file.name);

function picture(source, width, height, maxWidth) {
  const scale = Math.min(1, maxWidth / width);
  const canvas = el("canvas", { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) });
  canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", 0.8);
}

async function thumbnail(file) {
  const bitmap = await createImageBitmap(file);
  try {
    const figure = el("figure", { className: "thumb" });
    figure.append(el("img", { src: picture(bitmap, bitmap.width, bitmap.height, THUMB_WIDTH), alt: `Aperçu de ${file.name}` }));
    figure.append(el("figcaption", {}, `Aperçu (${bitmap.width} × ${bitmap.height} px)`));
    return figure;
  } finally {
    bitmap.close();
  }
}

function once(target, event, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
    target.addEventListener(event, () => { clearTimeout(timer); resolve(); }, { once: true });
    target.addEventListener("error", () => { clearTimeout(timer); reject(new Error("media error")); }, { once: true });
  });
}

async function frameStrip(file) {
  const url = URL.createObjectURL(file);
  const video = el("video", { muted: true, preload: "auto", src: url });
  try {
    await once(video, "loadeddata", VIDEO_TIMEOUT_MS);
    const duration = video.duration;
    if (!Number.isFinite(duration) || !video.videoWidth) throw new Error("no frames");
    const figure = el("figure", { className: "frames" });
    const strip = el("ul", { className: "frame-strip" });
    strip.setAttribute("aria-label", `Images extraites de ${file.name}`);
    for (let i = 0; i < FRAMES; i += 1) {
      const at = (duration * (i + 0.5)) / FRAMES;
      video.currentTime = at;
      await once(video, "seeked", VIDEO_TIMEOUT_MS);
      const li = el("li");
      li.append(el("img", { src: picture(video, video.videoWidth, video.videoHeight, FRAME_WIDTH), alt: `Image à ${formatDuration(at)}` }));
      strip.append(li);
    }
    figure.append(strip, el("figcaption", {}, `${FRAMES} images de la vidéo (${formatDuration(duration)}), extraites dans le navigateur`));
    return figure;
  } finally {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  }
}

// The preview of ``file`` put in ``container`` (nothing for other files; a short note when the
// browser cannot decode it: the service's verdict does not depend on it).
export async function showPreview(file, container) {
  const make = isImage(file) ? thumbnail : isVideo(file) ? frameStrip : null;
  if (!make) return;
  try {
    container.replaceChildren(await make(file));
  } catch (_) {
    container.replaceChildren(el("p", { className: "hint" }, "Aperçu impossible dans ce navigateur (la vérification n'en dépend pas)."));
  }
  container.hidden = false;
}
