// Loading indicators: one global spinner, reference-counted across concurrent calls, and overlays over
// single elements. Both fade in after a configurable show-delay (fast calls never flash them), are
// announced to assistive technology (role="progressbar", aria-busy), and are themable with CSS custom
// properties on any ancestor:
//   --anvil-spinner-color, --anvil-spinner-track, --anvil-spinner-size, --anvil-spinner-backdrop,
//   --anvil-spinner-fade-in, --anvil-spinner-fade-out
//
//   const spinner = new GlobalSpinner({ showDelayMs: 100 });
//   spinner.start(); ...; spinner.stop();

const STYLE_ID = "anvil-pyodide-spinner-style";
const CSS = `
.anvil-spinner-layer {
  position: fixed; inset: 0; z-index: 2147483646; display: flex; align-items: center; justify-content: center;
  background: var(--anvil-spinner-backdrop, transparent); opacity: 0; pointer-events: none;
  transition: opacity var(--anvil-spinner-fade-out, 200ms) ease-out;
}
.anvil-spinner-layer.anvil-spinner-element { position: absolute; pointer-events: auto; z-index: 10;
  background: var(--anvil-spinner-backdrop, rgba(255, 255, 255, 0.6)); }
.anvil-spinner-layer.anvil-spinner-visible { opacity: 1; transition: opacity var(--anvil-spinner-fade-in, 400ms) ease-in; }
.anvil-spinner-wheel {
  width: var(--anvil-spinner-size, 40px); height: var(--anvil-spinner-size, 40px); box-sizing: border-box;
  border-radius: 50%; border: calc(var(--anvil-spinner-size, 40px) / 8) solid var(--anvil-spinner-track, rgba(0, 0, 0, 0.12));
  border-top-color: var(--anvil-spinner-color, #2c6fbb); animation: anvil-spinner-turn 0.8s linear infinite;
}
@keyframes anvil-spinner-turn { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .anvil-spinner-wheel { animation-duration: 2.4s; } }
`;

function ensureStyle() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  document.head.appendChild(style);
}

function makeLayer(extraClass) {
  ensureStyle();
  const layer = document.createElement("div");
  layer.className = "anvil-spinner-layer" + (extraClass ? " " + extraClass : "");
  layer.setAttribute("role", "progressbar");
  layer.setAttribute("aria-label", "Loading");
  layer.setAttribute("aria-busy", "true");
  const wheel = document.createElement("div");
  wheel.className = "anvil-spinner-wheel";
  layer.appendChild(wheel);
  return layer;
}

/** Reference counting with a show-delay: `onShow` once the count has been above 0 for `showDelayMs`.
 *  One timer serves many calls: a call that ends before the delay leaves it armed, and when it fires it shows
 *  the spinner only if a busy spell has lasted the delay, else re-arms for what is left of it. Sequential calls
 *  faster than the delay cost no setTimeout/clearTimeout each (`now` is the clock, injectable for tests). */
class DelayedCounter {
  constructor(showDelayMs, onShow, onHide, now = () => performance.now()) {
    this.count = 0;
    this.showDelayMs = showDelayMs;
    this.onShow = onShow;
    this.onHide = onHide;
    this.now = now;
    this.timer = null;
    this.since = 0; // when the current busy spell began
    this.shown = false;
  }

  start() {
    this.count += 1;
    if (this.count !== 1) return;
    this.since = this.now();
    if (this.timer === null) this.arm(this.showDelayMs);
  }

  arm(ms) {
    this.timer = setTimeout(() => this.due(), ms);
  }

  due() {
    this.timer = null;
    if (this.count === 0) return;
    const left = this.since + this.showDelayMs - this.now();
    if (left > 0) {
      this.arm(left);
      return;
    }
    this.shown = true;
    this.onShow();
  }

  stop() {
    if (this.count === 0) return;
    this.count -= 1;
    if (this.count > 0) return;
    if (this.shown) {
      this.shown = false;
      this.onHide();
    }
  }
}

function fadeOut(layer) {
  layer.classList.remove("anvil-spinner-visible");
  setTimeout(() => {
    if (!layer.classList.contains("anvil-spinner-visible")) layer.remove();
  }, 250);
}

function fadeIn(layer, parent) {
  if (layer.parentNode !== parent) parent.appendChild(layer);
  void layer.offsetWidth; // start the transition from opacity 0
  layer.classList.add("anvil-spinner-visible");
}

export class GlobalSpinner {
  constructor({ showDelayMs = 100, now } = {}) {
    this.layer = null;
    this.counter = new DelayedCounter(showDelayMs, () => this.show(), () => this.hide(), now);
  }

  set showDelayMs(ms) {
    this.counter.showDelayMs = ms;
  }

  get active() {
    return this.counter.count;
  }

  start() {
    this.counter.start();
  }

  stop() {
    this.counter.stop();
  }

  show() {
    this.layer = this.layer || makeLayer("anvil-spinner-global");
    this.layer.id = "anvil-spinner";
    fadeIn(this.layer, document.body);
    document.body.setAttribute("aria-busy", "true");
  }

  hide() {
    document.body.removeAttribute("aria-busy");
    fadeOut(this.layer);
  }
}

/** Overlay spinners over elements: one overlay per element however many indicators use it at once.
 *  The overlay blocks input at once; it becomes visible with the fade-in, so quick work barely shows. */
export class ElementSpinners {
  constructor() {
    this.active = new Map(); // element -> {count, restore}
  }

  start(element, minHeight) {
    let entry = this.active.get(element);
    if (!entry) {
      entry = { count: 0, restore: this.cover(element, makeLayer("anvil-spinner-element"), minHeight) };
      this.active.set(element, entry);
    }
    entry.count += 1;
  }

  stop(element) {
    const entry = this.active.get(element);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count === 0) {
      this.active.delete(element);
      entry.restore();
    }
  }

  /** Put the overlay over `element`, blocking clicks and keys; returns a function undoing every change. */
  cover(element, layer, minHeight) {
    const style = element.style;
    const saved = { position: style.position, minHeight: style.minHeight, inert: element.inert,
                    busy: element.getAttribute("aria-busy") };
    if (getComputedStyle(element).position === "static") style.position = "relative";
    if (minHeight !== null && minHeight !== undefined) style.minHeight = typeof minHeight === "number" ? `${minHeight}px` : minHeight;
    element.setAttribute("aria-busy", "true");
    element.inert = true; // no focus, no keyboard or pointer input inside while it loads
    const blur = element.contains(document.activeElement) ? document.activeElement : null;
    if (blur) blur.blur();
    layer.style.inset = "0";
    fadeIn(layer, element);
    return () => {
      layer.remove();
      style.position = saved.position;
      style.minHeight = saved.minHeight;
      element.inert = saved.inert;
      if (saved.busy === null) element.removeAttribute("aria-busy");
      else element.setAttribute("aria-busy", saved.busy);
    };
  }
}
