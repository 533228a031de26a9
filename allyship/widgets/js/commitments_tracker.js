// CommitmentsTracker: pick or write commitments, mark them done, see progress.
// State: `commitments`, a list of {id, text, done, custom}; kept in this browser's localStorage.

const COMMITMENTS_KEY = "allyship:commitments";

function render({ model, el }) {
  const content = model.get("content");
  const labels = content.labels;
  const root = frame(el, "commit", content.title, content.intro);

  const stored = allyStore.get(COMMITMENTS_KEY);
  if (stored) {
    try {
      const list = JSON.parse(stored);
      if (Array.isArray(list)) save(model, "commitments", list);
    } catch (err) {
      allyStore.remove(COMMITMENTS_KEY);
    }
  }
  const update = (list) => {
    allyStore.set(COMMITMENTS_KEY, JSON.stringify(list));
    save(model, "commitments", list);
  };
  const current = () => model.get("commitments") || [];

  const suggestionList = h("ul", { className: "ally-suggestions" });
  const suggestionButtons = {};
  for (const s of content.suggestions) {
    const textId = allyUid(`sugg-${s.id}`);
    const button = h(
      "button",
      {
        type: "button",
        className: "ally-button ally-small",
        "aria-describedby": textId,
        "data-suggestion": s.id,
        onclick: () => {
          if (current().some((c) => c.id === s.id)) return;
          update([...current(), { id: s.id, text: s.text, done: false, custom: false }]);
        },
      },
      labels.add_suggestion,
    );
    suggestionButtons[s.id] = button;
    suggestionList.append(h("li", {}, h("span", { id: textId }, s.text), button));
  }
  const ownId = allyUid("commit-own");
  const ownInput = h("input", { id: ownId, type: "text", className: "ally-text", maxlength: 300 });
  const ownStatus = h("p", { className: "ally-status", role: "status" });
  const addOwn = () => {
    const text = ownInput.value.trim();
    if (!text) {
      ownStatus.textContent = labels.empty_text;
      return;
    }
    ownStatus.textContent = "";
    update([...current(), { id: allyUid("own"), text, done: false, custom: true }]);
    ownInput.value = "";
  };
  ownInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") addOwn();
  });
  const own = h(
    "div",
    { className: "ally-field ally-inline" },
    h("label", { for: ownId }, labels.own),
    h("div", { className: "ally-controls" }, ownInput, h("button", { type: "button", className: "ally-button", onclick: addOwn }, labels.add_own)),
    ownStatus,
  );
  const mineTitleId = allyUid("commit-mine");
  const mine = h("ul", { className: "ally-commitments", "aria-labelledby": mineTitleId, "data-role": "mine" });
  const progress = h("progress", { max: 1, value: 0 });
  const progressText = h("p", { className: "ally-progress-text", "aria-live": "polite", "data-role": "progress" });
  const progressLabelId = allyUid("commit-progress");
  progressText.id = progressLabelId;
  progress.setAttribute("aria-labelledby", progressLabelId);
  const clear = h(
    "button",
    {
      type: "button",
      className: "ally-button ally-secondary",
      onclick: () => {
        if (window.confirm(labels.confirm_clear)) {
          allyStore.remove(COMMITMENTS_KEY);
          save(model, "commitments", []);
        }
      },
    },
    labels.clear,
  );
  root.append(
    h("p", { className: "ally-summary-title" }, labels.suggestions),
    suggestionList,
    own,
    h("p", { className: "ally-summary-title", id: mineTitleId }, labels.mine),
    mine,
    progress,
    progressText,
    clear,
  );

  const sync = () => {
    const list = current();
    for (const [id, button] of Object.entries(suggestionButtons)) {
      const added = list.some((c) => c.id === id);
      button.disabled = added;
      button.textContent = added ? labels.added : labels.add_suggestion;
    }
    mine.replaceChildren();
    if (!list.length) mine.append(h("li", { className: "ally-empty" }, labels.none));
    list.forEach((item, index) => {
      const boxId = allyUid("commit-done");
      mine.append(
        h(
          "li",
          { className: item.done ? "ally-commitment ally-done" : "ally-commitment", "data-id": item.id },
          h("input", {
            type: "checkbox",
            id: boxId,
            checked: item.done,
            onchange: (event) =>
              update(current().map((c, i) => (i === index ? { ...c, done: event.target.checked } : c))),
          }),
          h("label", { for: boxId }, item.text),
          h(
            "button",
            {
              type: "button",
              className: "ally-button ally-small ally-secondary",
              "aria-label": `${labels.remove}: ${item.text}`,
              onclick: () => update(current().filter((_, i) => i !== index)),
            },
            labels.remove,
          ),
        ),
      );
    });
    const done = list.filter((c) => c.done).length;
    progress.max = Math.max(list.length, 1);
    progress.value = done;
    progressText.textContent = fill(labels.progress, { done, total: list.length });
    if (list.length && done === list.length) progressText.textContent += ` ${labels.all_done}`;
    clear.disabled = !list.length;
  };
  model.on("change:commitments", sync);
  sync();
  return () => model.off("change:commitments", sync);
}

export default { render };
