// PhraseBuilder: compose an opening line for a hard conversation from parts.
// State: `selected` maps each part id to the chosen option id.

function phraseSentence(content, selected) {
  const chosen = content.parts.map((part) => part.options.find((o) => o.id === selected[part.id]));
  return { chosen, sentence: chosen.filter(Boolean).map((o) => o.text).join(" ") };
}

function render({ model, el }) {
  const content = model.get("content");
  const labels = content.labels;
  const root = frame(el, "phrase", content.title, content.intro);
  const radios = {};
  const form = h("div", { className: "ally-phrase-parts" });
  for (const part of content.parts) {
    const name = allyUid(`phrase-${part.id}`);
    radios[part.id] = part.options.map((o) =>
      h("input", {
        type: "radio",
        name,
        value: o.id,
        "data-part": part.id,
        onchange: () => save(model, "selected", { ...model.get("selected"), [part.id]: o.id }),
      }),
    );
    form.append(
      h(
        "fieldset",
        { className: "ally-part", "data-part": part.id },
        h("legend", {}, part.label),
        h(
          "div",
          { className: "ally-options" },
          part.options.map((o, i) =>
            h("label", { className: "ally-scale-option" }, radios[part.id][i], h("span", {}, o.text)),
          ),
        ),
      ),
    );
  }
  const sentenceId = allyUid("phrase-sentence");
  const sentence = h("p", { className: "ally-sentence", id: sentenceId, "data-role": "sentence" });
  const status = h("p", { className: "ally-status", role: "status", "data-role": "copy-status" });
  const copy = h(
    "button",
    {
      type: "button",
      className: "ally-button",
      "aria-describedby": sentenceId,
      onclick: async () => {
        const { sentence: text } = phraseSentence(content, model.get("selected") || {});
        try {
          await navigator.clipboard.writeText(text);
          status.textContent = labels.copied;
        } catch (err) {
          status.textContent = labels.copy_failed;
        }
      },
    },
    labels.copy,
  );
  const clear = h(
    "button",
    { type: "button", className: "ally-button ally-secondary", onclick: () => save(model, "selected", {}) },
    labels.clear,
  );
  const controls = h("div", { className: "ally-controls" }, copy, clear, status);
  const tips = h("ul", { className: "ally-tips", "data-role": "tips" });
  const tipsBox = h(
    "div",
    { className: "ally-feedback", "aria-live": "polite" },
    h("p", {}, h("strong", {}, labels.tips)),
    tips,
    h("p", {}, labels.reminder),
  );
  root.append(
    form,
    h("p", { className: "ally-summary-title" }, labels.sentence),
    h("div", { "aria-live": "polite" }, sentence),
    controls,
    tipsBox,
  );

  const sync = () => {
    const selected = model.get("selected") || {};
    for (const [partId, inputs] of Object.entries(radios)) {
      for (const input of inputs) input.checked = input.value === selected[partId];
    }
    const { chosen, sentence: text } = phraseSentence(content, selected);
    sentence.textContent = text || labels.empty;
    sentence.dataset.empty = text ? "no" : "yes";
    copy.disabled = !text;
    status.textContent = "";
    tips.replaceChildren(...chosen.filter(Boolean).map((o) => h("li", {}, o.tip)));
    tipsBox.hidden = !text;
  };
  model.on("change:selected", sync);
  sync();
  return () => model.off("change:selected", sync);
}

export default { render };
