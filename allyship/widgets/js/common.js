// Shared helpers, concatenated in front of every widget's module: anywidget imports `_esm`
// from a blob: URL, so a widget module cannot import a sibling file.

let allyUidCounter = 0;

/** A page-unique id, so two copies of a widget on one page never share label targets. */
function allyUid(prefix) {
  allyUidCounter += 1;
  return `ally-${prefix}-${Date.now().toString(36)}-${allyUidCounter}`;
}

/** Create an element: h("button", {type: "button", onclick: f}, "Label"). */
function h(tag, attrs, ...children) {
  const svgTags = new Set(["svg", "circle", "rect", "text", "title", "g", "line", "desc"]);
  const el = svgTags.has(tag)
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "className") {
      el.setAttribute("class", value);
    } else if (key === "value" && "value" in el) {
      el.value = value;
    } else if (key === "checked") {
      el.checked = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Fill "{name}" placeholders of a content string. */
function fill(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (match, key) =>
    key in values ? String(values[key]) : match,
  );
}

/** The widget frame: a labelled region with a title and an intro paragraph. */
function frame(el, kind, title, intro) {
  const titleId = allyUid(`${kind}-title`);
  const root = h("section", { className: `ally-w ally-${kind}`, "aria-labelledby": titleId });
  root.append(h("p", { className: "ally-title", id: titleId }, title));
  if (intro) root.append(h("p", { className: "ally-intro" }, intro));
  el.replaceChildren(root);
  return root;
}

/** localStorage that fails quietly (private windows, disabled storage): the widget still works. */
const allyStore = {
  get(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (err) {
      return null;
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, value);
      return true;
    } catch (err) {
      return false;
    }
  },
  remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (err) {
      /* storage unavailable: nothing to remove */
    }
  },
};

/** Replace a live region's content only when its text changes, so screen readers announce
 * news once instead of re-reading the same feedback on every keystroke or slider step. */
function setLive(el, ...children) {
  const next = h("div", {}, ...children);
  if (el.dataset.said === next.textContent) return;
  el.dataset.said = next.textContent;
  el.replaceChildren(...next.childNodes);
}

/** Set a trait and sync it (a no-op sync in a static page, a real one in Jupyter). */
function save(model, name, value) {
  model.set(name, value);
  model.save_changes();
}
