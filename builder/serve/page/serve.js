// guideprint serve: the page. Each state the server publishes (/events, server-sent events)
// redraws what changed: a card's picture is swapped once its new PNG has loaded, so the
// last picture stays until the new one is there. Text from the project goes in as text.
"use strict";

const byId = (id) => document.getElementById(id);

function make(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

function swap(img, src) {
  // The new picture replaces the old once loaded: no blank frame, no half-drawn image.
  if (img.dataset.want === src) return;
  img.dataset.want = src;
  const next = new Image();
  next.onload = () => {
    if (img.dataset.want === src) img.src = src;
  };
  next.src = src;
}

function sizeSide(img, side) {
  const trueSize = document.body.classList.contains("true-size");
  img.style.width = trueSize ? `${side.width_mm}mm` : "";
  img.dataset.widthMm = side.width_mm;
}

function drawCard(card) {
  let figure = document.querySelector(`figure.card[data-card="${CSS.escape(card.name)}"]`);
  if (!figure) {
    figure = make("figure", { class: "card", "data-card": card.name });
    figure.append(
      make("figcaption", {}, make("a", { class: "title", target: "_blank", rel: "noopener" }),
        make("span", { class: "name" })),
      make("div", { class: "sides" }),
      make("span", { class: "stale-mark", text: "stale" }),
      make("p", { class: "problem", hidden: true }),
    );
  }
  const link = figure.querySelector("a.title");
  link.textContent = card.title || card.name;
  link.href = card.pdf;
  figure.querySelector(".name").textContent = `cards/${card.name}.pdf`;
  figure.classList.toggle("stale", card.stale);
  figure.dataset.stale = card.stale ? "true" : "false";
  const problem = figure.querySelector(".problem");
  problem.textContent = card.error || "";
  problem.hidden = !card.error;
  const sides = figure.querySelector(".sides");
  card.sides.forEach((side, index) => {
    let box = sides.children[index];
    if (!box) {
      box = make("div", { class: "side" }, make("img", { alt: "" }), make("span"));
      sides.append(box);
    }
    const img = box.querySelector("img");
    img.alt = `${card.name}, ${side.side}`;
    img.dataset.side = side.side;
    box.querySelector("span").textContent = `${side.side} · ${side.width_mm} × ${side.height_mm} mm`;
    sizeSide(img, side);
    swap(img, side.png);
  });
  while (sides.children.length > card.sides.length) sides.lastElementChild.remove();
  return figure;
}

function drawCards(cards) {
  const holder = byId("cards");
  const figures = cards.map(drawCard);
  holder.replaceChildren(...figures);
  if (!cards.length) holder.append(make("p", { text: "No cards in this space." }));
}

function drawManual(manual) {
  const section = byId("manual-section");
  section.hidden = !manual;
  if (!manual) return;
  const problem = byId("manual-problem");
  problem.textContent = manual.error || "";
  problem.hidden = !manual.error;
  const pages = byId("pages");
  pages.classList.toggle("stale", manual.stale);
  const key = manual.pages.map((p) => p.png).join(" ");
  if (pages.dataset.key === key) return;
  pages.dataset.key = key;
  pages.replaceChildren(...manual.pages.map((page) => make("a", {
    class: "page", href: `${manual.pdf}#page=${page.number}`, target: "_blank", rel: "noopener",
    title: `open manual.pdf at page ${page.number}`, "data-page": page.number,
  }, make("img", { src: page.png, alt: `page ${page.number}`, loading: "lazy" }),
  make("span", { text: String(page.number) }))));
}

function drawProblems(state) {
  const lines = [];
  if (state.error) lines.push(`the build stopped: ${state.error}`);
  for (const f of state.failed) lines.push(`${f.output}: failed: ${f.message}`);
  for (const d of state.diagnostics) if (d.level === "error") lines.push(d.text);
  const banner = byId("banner");
  banner.hidden = lines.length === 0;
  byId("banner-lines").replaceChildren(...lines.map((text) => make("li", { text })));
  const list = byId("diagnostics");
  const items = state.diagnostics.map((d) => make("li", { class: d.level },
    make("span", { class: "level", text: d.level }), d.text));
  if (!items.length) items.push(make("li", { class: "none", text: "none" }));
  list.replaceChildren(...items);
  byId("counts").textContent = `${state.errors} error(s), ${state.warnings} warning(s)`;
}

function drawStatus(state) {
  const status = byId("status");
  const failed = !!(state.error || state.failed.length || state.errors);
  let text = failed ? "failed" : "up to date";
  if (state.building) text = "building…";
  if (state.seconds) text += ` · built in ${state.seconds.toFixed(2)} s at ${state.finished}`;
  status.textContent = text;
  status.className = `status ${state.building ? "building" : failed ? "failed" : "ok"}`;
  document.body.dataset.version = state.version;
  document.body.dataset.building = state.building ? "true" : "false";
}

function draw(state) {
  if (state.title) {
    byId("title").textContent = state.title;
    document.title = `${state.title} · guideprint serve`;
  }
  drawCards(state.cards);
  drawManual(state.manual);
  drawProblems(state);
  drawStatus(state);
}

function drawScale() {
  const ruler = document.querySelector("#scale .ruler");
  for (let mm = 0; mm <= 100; mm += 10) {
    const label = make("span", { text: String(mm) });
    label.style.left = `${mm}mm`;
    ruler.append(label);
  }
}

function setTrueSize(on) {
  document.body.classList.toggle("true-size", on);
  byId("scale").hidden = !on;
  for (const img of document.querySelectorAll(".side img")) {
    img.style.width = on ? `${img.dataset.widthMm}mm` : "";
  }
  try {
    localStorage.setItem("guideprint-true-size", on ? "1" : "");
  } catch {
    // storage refused: the choice lasts for this page only
  }
}

function start() {
  drawScale();
  const toggle = byId("true-size");
  let stored = "";
  try {
    stored = localStorage.getItem("guideprint-true-size") || "";
  } catch {
    stored = "";
  }
  toggle.checked = stored === "1";
  setTrueSize(toggle.checked);
  toggle.addEventListener("change", () => setTrueSize(toggle.checked));
  const events = new EventSource("/events");
  events.addEventListener("state", (event) => draw(JSON.parse(event.data)));
  events.addEventListener("error", () => {
    const status = byId("status");
    status.textContent = "disconnected: is guideprint serve still running?";
    status.className = "status off";
  });
}

start();
