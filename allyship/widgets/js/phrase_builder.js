// PhraseBuilder: compose an opening line for a hard conversation from parts.
// State: `selected` maps each part id to the chosen option id. The built sentence lands in a
// textarea the learner can edit; once edited, picking pieces no longer overwrites it, and "copy"
// copies what is in the box.

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
  const sentenceLabelId = allyUid("phrase-sentence-label");
  const editedNote = h("p", { className: "ally-status ally-edited-note", "data-role": "edited-note" });
  let built = "";
  let edited = false;
  const sentence = h("textarea", {
    className: "ally-sentence ally-textarea",
    id: sentenceId,
    rows: 4,
    "data-role": "sentence",
    "aria-labelledby": sentenceLabelId,
    placeholder: labels.empty,
    oninput: () => {
      edited = sentence.value !== built;
      editedNote.textContent = edited ? labels.edited : "";
      sentence.dataset.empty = sentence.value.trim() ? "no" : "yes";
      copy.disabled = !sentence.value.trim();
      status.textContent = "";
    },
  });
  const status = h("p", { className: "ally-status", role: "status", "data-role": "copy-status" });
  const copy = h(
    "button",
    {
      type: "button",
      className: "ally-button",
      "aria-describedby": sentenceId,
      onclick: async () => {
        const text = sentence.value;
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
    {
      type: "button",
      className: "ally-button ally-secondary",
      onclick: () => {
        edited = false;
        editedNote.textContent = "";
        save(model, "selected", {});
        sync();
      },
    },
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
    h("label", { className: "ally-summary-title", id: sentenceLabelId, for: sentenceId }, labels.sentence),
    sentence,
    editedNote,
    controls,
    tipsBox,
  );

  const sync = () => {
    const selected = model.get("selected") || {};
    for (const [partId, inputs] of Object.entries(radios)) {
      for (const input of inputs) input.checked = input.value === selected[partId];
    }
    const { chosen, sentence: text } = phraseSentence(content, selected);
    built = text;
    if (!edited) sentence.value = text;
    sentence.dataset.empty = sentence.value.trim() ? "no" : "yes";
    copy.disabled = !sentence.value.trim();
    status.textContent = "";
    tips.replaceChildren(...chosen.filter(Boolean).map((o) => h("li", {}, o.tip)));
    tipsBox.hidden = !text;
  };
  model.on("change:selected", sync);
  sync();
  return () => model.off("change:selected", sync);
}

export default { render };
