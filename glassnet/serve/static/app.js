// glassnet demo page: draw or drop an image, see the top classes and the Grad-CAM overlay.
// Plain JavaScript, no libraries, nothing fetched from other sites: it works offline.
"use strict";

const TOP_K = 5;
const page = {
  meta: null,
  request: 0,          // the latest request's number: older answers arriving late are dropped
  drawing: false,
  canvas: document.getElementById("canvas"),
  bars: document.getElementById("bars"),
  status: document.getElementById("status"),
  explain: document.getElementById("explain"),
  photo: document.getElementById("photo"),
};
const pen = page.canvas.getContext("2d", { willReadFrequently: true });

function say(text, isError = false) {
  page.status.textContent = text;
  page.status.classList.toggle("error", isError);
}

function clearCanvas() {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, page.canvas.width, page.canvas.height);
}

async function loadMetadata() {
  const answer = await fetch("/metadata");
  page.meta = await answer.json();
  const pre = page.meta.preprocessing;
  document.getElementById("model-name").textContent = page.meta.model;
  document.getElementById("model-info").textContent =
    `Input ${pre.input_shape.join("×")} (${pre.color_mode || "numbers"}), ${page.meta.classes.length} classes, ` +
    `${page.meta.parameters.toLocaleString()} parameters, ${page.meta.backend} backend.`;
  if (!page.meta.explain) {
    document.getElementById("explain-note").textContent = page.meta.explain_off_because;
  }
  if (pre.color_mode === "rgb") {
    document.getElementById("hint").textContent =
      "Drop a photo on the drawing area or upload one (drawing works too, in white on black).";
  }
}

// ---- drawing: white strokes on black, like MNIST
function point(event) {
  const box = page.canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * page.canvas.width / box.width,
          (event.clientY - box.top) * page.canvas.height / box.height];
}

page.canvas.addEventListener("pointerdown", (event) => {
  page.drawing = true;
  page.canvas.setPointerCapture(event.pointerId);
  pen.strokeStyle = "#fff";
  pen.lineWidth = page.canvas.width / 14;
  pen.lineCap = pen.lineJoin = "round";
  pen.beginPath();
  pen.moveTo(...point(event));
});
page.canvas.addEventListener("pointermove", (event) => {
  if (!page.drawing) return;
  pen.lineTo(...point(event));
  pen.stroke();
});
function endStroke() {
  if (!page.drawing) return;
  page.drawing = false;
  page.photo.hidden = true;
  predictDrawing();
}
page.canvas.addEventListener("pointerup", endStroke);
page.canvas.addEventListener("pointercancel", endStroke);

document.getElementById("clear").addEventListener("click", () => {
  clearCanvas();
  page.bars.replaceChildren();
  page.bars.dataset.state = "empty";
  page.explain.hidden = true;
  say("");
});

// A grayscale model sees the drawing as MNIST was prepared: the digit scaled into a box of 20/28 of the
// image and its centre of mass moved to the centre. Colour models get the canvas as it is.
function mnistStyle(source, height, width) {
  const { data } = pen.getImageData(0, 0, source.width, source.height);
  let top = source.height, left = source.width, bottom = -1, right = -1;
  for (let y = 0; y < source.height; y++) {
    for (let x = 0; x < source.width; x++) {
      if (data[(y * source.width + x) * 4] > 20) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return null;
  const boxW = right - left + 1, boxH = bottom - top + 1;
  const scale = (Math.min(height, width) * 20 / 28) / Math.max(boxW, boxH);
  const small = document.createElement("canvas");
  small.width = width; small.height = height;
  const ctx = small.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = "high";
  const w = boxW * scale, h = boxH * scale;
  ctx.drawImage(source, left, top, boxW, boxH, (width - w) / 2, (height - h) / 2, w, h);
  const pixels = ctx.getImageData(0, 0, width, height).data;
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = pixels[(y * width + x) * 4];
      mass += v; cx += v * x; cy += v * y;
    }
  }
  const out = document.createElement("canvas");
  out.width = width; out.height = height;
  const octx = out.getContext("2d");
  octx.fillStyle = "#000";
  octx.fillRect(0, 0, width, height);
  octx.drawImage(small, Math.round((width - 1) / 2 - cx / mass), Math.round((height - 1) / 2 - cy / mass));
  return out;
}

function predictDrawing() {
  const pre = page.meta.preprocessing;
  const image = pre.color_mode === "grayscale"
    ? mnistStyle(page.canvas, pre.input_shape[0], pre.input_shape[1]) : page.canvas;
  if (image === null) return;
  image.toBlob((blob) => send(blob, "drawing.png"), "image/png");
}

// ---- photos: a file input and drag-and-drop onto the canvas
function usePhoto(file) {
  if (!file) return;
  if (!file.type.startsWith("image/")) {
    say(`${file.name} is not an image.`, true);
    return;
  }
  page.photo.src = URL.createObjectURL(file);
  page.photo.hidden = false;
  send(file, file.name);
}
document.getElementById("file").addEventListener("change", (event) => usePhoto(event.target.files[0]));
page.canvas.addEventListener("dragover", (event) => { event.preventDefault(); page.canvas.classList.add("dragover"); });
page.canvas.addEventListener("dragleave", () => page.canvas.classList.remove("dragover"));
page.canvas.addEventListener("drop", (event) => {
  event.preventDefault();
  page.canvas.classList.remove("dragover");
  usePhoto(event.dataTransfer.files[0]);
});

// ---- asking the server
async function post(path, blob, filename) {
  const form = new FormData();
  form.append("file", blob, filename);
  const answer = await fetch(path, { method: "POST", body: form });
  if (!answer.ok) {
    let detail = answer.statusText;
    try { detail = (await answer.json()).detail; } catch (ignored) { /* not JSON */ }
    throw new Error(`${answer.status}: ${detail}`);
  }
  return answer;
}

async function send(blob, filename) {
  const number = ++page.request;
  page.bars.dataset.state = "waiting";
  say("Asking the model…");
  try {
    const answer = await post(`/predict?top_k=${TOP_K}`, blob, filename);
    const result = await answer.json();
    if (number !== page.request) return;
    showBars(result.predictions[0].top_k);
    say("");
  } catch (error) {
    if (number === page.request) {
      page.bars.dataset.state = "error";
      say(`The server refused: ${error.message}`, true);
    }
    return;
  }
  if (page.meta.explain) explain(number, blob, filename);
}

async function explain(number, blob, filename) {
  const note = document.getElementById("explain-note");
  try {
    const explained = await post("/explain", blob, filename);
    const picture = await explained.blob();
    if (number !== page.request) return;
    page.explain.src = URL.createObjectURL(picture);
    page.explain.hidden = false;
    note.textContent = `Explaining "${explained.headers.get("X-Class")}". ${explained.headers.get("X-Note") || ""}`;
  } catch (error) {
    if (number === page.request) note.textContent = `No overlay: ${error.message}`;
  }
}

function showBars(top) {
  const rows = top.map(({ label, probability }) => {
    const row = document.createElement("li");
    const name = Object.assign(document.createElement("span"), { className: "label", textContent: label });
    const track = Object.assign(document.createElement("span"), { className: "track" });
    const fill = Object.assign(document.createElement("span"), { className: "fill" });
    fill.style.display = "block";
    fill.style.width = `${(probability * 100).toFixed(1)}%`;
    track.append(fill);
    const value = Object.assign(document.createElement("span"), {
      className: "value", textContent: `${(probability * 100).toFixed(1)}%` });
    row.append(name, track, value);
    return row;
  });
  page.bars.replaceChildren(...rows);
  page.bars.dataset.top1 = top[0].label;
  page.bars.dataset.state = "done";
}

clearCanvas();
loadMetadata().catch((error) => say(`Cannot read /metadata: ${error.message}`, true));
