// ActionSort: place each action card in "performative gesture" or "real work"; every placement
// gets feedback that keeps the essay's nuance.

function render({ model, el }) {
  const content = model.get("content");
  const msgs = content.messages;
  const pileLabel = Object.fromEntries(content.piles.map((p) => [p.id, p.label]));
  const root = frame(el, "sort", content.title, content.intro);
  const status = h("p", { className: "ally-progress-text", "aria-live": "polite", "data-role": "status" });
  const grid = h("ol", { className: "ally-cards" });
  const views = {};

  for (const card of content.cards) {
    const textId = allyUid(`card-${card.id}`);
    const feedback = h("div", { className: "ally-feedback", "aria-live": "polite", "data-role": "feedback" });
    const buttons = content.piles.map((pile) =>
      h(
        "button",
        {
          type: "button",
          className: "ally-button ally-choice",
          "data-pile": pile.id,
          "aria-pressed": "false",
          "aria-describedby": textId,
          onclick: () => save(model, "placements", { ...model.get("placements"), [card.id]: pile.id }),
        },
        pile.label,
      ),
    );
    const item = h(
      "li",
      { className: "ally-card", "data-card": card.id },
      h("p", { className: "ally-card-text", id: textId }, card.text),
      h("div", { className: "ally-choices", role: "group", "aria-label": `Sort: ${card.text}` }, buttons),
      feedback,
    );
    views[card.id] = { item, buttons, feedback };
    grid.append(item);
  }
  const reset = h(
    "button",
    { type: "button", className: "ally-button ally-secondary", onclick: () => save(model, "placements", {}) },
    "Start the sort again",
  );
  root.append(status, grid, reset);

  const sync = () => {
    const placements = model.get("placements") || {};
    let agree = 0;
    for (const card of content.cards) {
      const view = views[card.id];
      const placed = placements[card.id];
      for (const button of view.buttons) {
        button.setAttribute("aria-pressed", String(button.dataset.pile === placed));
      }
      view.item.dataset.placed = placed || "";
      if (!placed) {
        delete view.item.dataset.match;
        setLive(view.feedback);
        continue;
      }
      const same = placed === card.pile;
      if (same) agree += 1;
      view.item.dataset.match = same ? "yes" : "no";
      setLive(
        view.feedback,
        h(
          "p",
          {},
          h("strong", {}, `${fill(msgs.placed, { pile: pileLabel[placed] })} `),
          same ? msgs.agree : fill(msgs.differ, { pile: pileLabel[card.pile] }),
          card.nuanced ? ` ${msgs.nuanced}` : "",
        ),
        h("p", {}, card.feedback),
      );
    }
    const placed = content.cards.filter((c) => placements[c.id]).length;
    const total = content.cards.length;
    status.textContent = fill(msgs.progress, { placed, total, agree });
    if (placed === total) status.textContent += ` ${msgs.done}`;
  };
  model.on("change:placements", sync);
  sync();
  return () => model.off("change:placements", sync);
}

export default { render };
