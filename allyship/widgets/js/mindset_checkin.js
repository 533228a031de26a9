// MindsetCheckin: rate statements; the summary points back to the chapter's ideas.

/** Which answered statements lean toward a mindset worth examining, and which are unsure. */
function mindsetSummary(content, ratings) {
  const flagged = [];
  const unsure = [];
  let answered = 0;
  for (const statement of content.statements) {
    const value = ratings[statement.id];
    if (!value) continue;
    answered += 1;
    if (value === 3) unsure.push(statement);
    else if ((statement.lean === "agree") === value > 3) flagged.push(statement);
  }
  return { answered, flagged, unsure, total: content.statements.length };
}

function renderSummary(box, content, ratings) {
  const texts = content.summary;
  const { answered, flagged, unsure, total } = mindsetSummary(content, ratings);
  const parts = [];
  if (!answered) {
    setLive(box, h("p", {}, texts.none_answered));
    return;
  }
  parts.push(h("p", { className: "ally-progress-text" }, fill(texts.progress, { answered, total })));
  parts.push(
    h(
      "p",
      {},
      flagged.length ? fill(texts.some_flagged, { count: flagged.length }) : texts.none_flagged,
    ),
  );
  if (flagged.length) {
    parts.push(
      h(
        "ul",
        { className: "ally-summary-list" },
        flagged.map((s) =>
          h(
            "li",
            {},
            h("strong", {}, `"${s.text}"`),
            " ",
            s.idea,
            " ",
            h("em", {}, `Reflect: ${s.reflect}`),
          ),
        ),
      ),
    );
  }
  if (unsure.length) parts.push(h("p", {}, fill(texts.unsure, { count: unsure.length })));
  if (flagged.length || unsure.length) parts.push(h("p", {}, texts.closing));
  setLive(box, parts);
}

function render({ model, el }) {
  const content = model.get("content");
  const root = frame(el, "mindset", content.title, content.intro);
  const inputs = {};
  const list = h("div", { className: "ally-statements" });
  content.statements.forEach((statement, index) => {
    const name = allyUid(`mindset-${statement.id}`);
    const legendId = `${name}-legend`;
    inputs[statement.id] = [];
    const options = content.scale.map((step) => {
      const input = h("input", {
        type: "radio",
        name,
        value: step.value,
        "data-statement": statement.id,
        onchange: () => {
          const ratings = { ...model.get("ratings"), [statement.id]: step.value };
          save(model, "ratings", ratings);
        },
      });
      inputs[statement.id].push(input);
      return h("label", { className: "ally-scale-option" }, input, h("span", {}, step.label));
    });
    list.append(
      h(
        "fieldset",
        { className: "ally-statement", "aria-labelledby": legendId },
        h("legend", { id: legendId }, `${index + 1}. ${statement.text}`),
        h("div", { className: "ally-scale" }, options),
      ),
    );
  });
  const summary = h("div", {
    className: "ally-summary ally-feedback",
    "aria-live": "polite",
    "data-role": "summary",
  });
  const reset = h(
    "button",
    { type: "button", className: "ally-button ally-secondary", onclick: () => save(model, "ratings", {}) },
    "Clear my answers",
  );
  root.append(list, h("div", { className: "ally-summary-title" }, "Your summary"), summary, reset);

  const sync = () => {
    const ratings = model.get("ratings") || {};
    for (const [id, group] of Object.entries(inputs)) {
      for (const input of group) input.checked = Number(input.value) === ratings[id];
    }
    renderSummary(summary, content, ratings);
  };
  model.on("change:ratings", sync);
  sync();
  return () => model.off("change:ratings", sync);
}

export default { render };
