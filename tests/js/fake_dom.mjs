// The sliver of the DOM that js_bridge/spinner.mjs uses, installed as globals for Node tests:
// document (createElement, getElementById, head, body, activeElement) and getComputedStyle.
//
//   const dom = installFakeDom();  ...  dom.uninstall();

class FakeClassList {
  constructor() { this.names = new Set(); }
  add(name) { this.names.add(name); }
  remove(name) { this.names.delete(name); }
  contains(name) { return this.names.has(name); }
}

export class FakeElement {
  constructor(document, tag) {
    this.ownerDocument = document;
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.parentNode = null;
    this.attributes = new Map();
    this.style = { position: "", minHeight: "", inset: "" };
    this.classList = new FakeClassList();
    this.inert = false;
    this.id = "";
    this.textContent = "";
    this.computedPosition = "static";
    this.blurred = 0;
  }

  set className(value) { this.classList = new FakeClassList(); for (const n of value.split(" ").filter(Boolean)) this.classList.add(n); }
  get className() { return [...this.classList.names].join(" "); }
  get offsetWidth() { return 0; }

  appendChild(child) {
    if (child.parentNode) child.remove();
    child.parentNode = this;
    this.children.push(child);
    return child;
  }

  remove() {
    if (!this.parentNode) return;
    this.parentNode.children = this.parentNode.children.filter((c) => c !== this);
    this.parentNode = null;
  }

  contains(other) {
    for (let node = other; node; node = node.parentNode) if (node === this) return true;
    return false;
  }

  setAttribute(name, value) { this.attributes.set(name, String(value)); }
  getAttribute(name) { return this.attributes.has(name) ? this.attributes.get(name) : null; }
  removeAttribute(name) { this.attributes.delete(name); }
  hasAttribute(name) { return this.attributes.has(name); }
  blur() { this.blurred += 1; if (this.ownerDocument.activeElement === this) this.ownerDocument.activeElement = null; }

  *walk() { for (const child of this.children) { yield child; yield* child.walk(); } }
}

export class FakeDocument {
  constructor() {
    this.documentElement = new FakeElement(this, "html");
    this.head = this.documentElement.appendChild(new FakeElement(this, "head"));
    this.body = this.documentElement.appendChild(new FakeElement(this, "body"));
    this.activeElement = null;
  }

  createElement(tag) { return new FakeElement(this, tag); }

  getElementById(id) {
    for (const node of this.documentElement.walk()) if (node.id === id) return node;
    return null;
  }

  /** Every element with the class `name`, in document order. */
  byClass(name) { return [...this.documentElement.walk()].filter((n) => n.classList.contains(name)); }
}

export function installFakeDom() {
  const document = new FakeDocument();
  const saved = { document: globalThis.document, getComputedStyle: globalThis.getComputedStyle };
  globalThis.document = document;
  globalThis.getComputedStyle = (element) => ({ position: element.style.position || element.computedPosition });
  return {
    document,
    uninstall() {
      globalThis.document = saved.document;
      globalThis.getComputedStyle = saved.getComputedStyle;
    },
  };
}
