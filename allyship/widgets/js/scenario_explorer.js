// ScenarioExplorer: branching situations; each choice shows a consequence and feedback.
// State: `scenario` (the situation's id) and `path` (node ids from the start node).

function render({ model, el }) {
  const content = model.get("content");
  const labels = content.labels;
  const byId = Object.fromEntries(content.scenarios.map((s) => [s.id, s]));
  const root = frame(el, "scenario", content.title, content.intro);
  let focusNext = false;

  const groupName = allyUid("scenario-pick");
  const picker = h(
    "fieldset",
    { className: "ally-scenario-picker" },
    h("legend", {}, labels.choose_scenario),
    h("div", { className: "ally-scale" }, content.scenarios.map((s) =>
      h(
        "label",
        { className: "ally-scale-option" },
        h("input", {
          type: "radio",
          name: groupName,
          value: s.id,
          onchange: () => {
            model.set("scenario", s.id);
            save(model, "path", [s.start]);
          },
        }),
        h("span", {}, s.title),
      ),
    )),
  );
  const story = h("div", { className: "ally-story", "data-role": "story" });
  // Announces only the newest step (the whole story is not re-read after each choice).
  const announcer = h("div", { className: "ally-sr-only", "aria-live": "polite" });
  const back = h(
    "button",
    {
      type: "button",
      className: "ally-button ally-secondary",
      "data-action": "back",
      onclick: () => {
        const path = model.get("path") || [];
        if (path.length > 1) {
          focusNext = true;
          save(model, "path", path.slice(0, -1));
        }
      },
    },
    labels.back,
  );
  const restart = h(
    "button",
    {
      type: "button",
      className: "ally-button ally-secondary",
      "data-action": "restart",
      onclick: () => {
        const scenario = byId[model.get("scenario")];
        if (scenario) {
          focusNext = true;
          save(model, "path", [scenario.start]);
        }
      },
    },
    labels.restart,
  );
  const controls = h("div", { className: "ally-controls" }, back, restart);
  root.append(picker, story, controls, announcer);

  const step = (scenario, path, index) => {
    const node = scenario.nodes[path[index]];
    const parts = [];
    if (index > 0) {
      const prev = scenario.nodes[path[index - 1]];
      const chosen = (prev.choices || []).find((c) => c.next === path[index]);
      parts.push(h("p", { className: "ally-chosen" }, h("strong", {}, `${labels.you_chose}: `), chosen ? chosen.label : ""));
      parts.push(h("p", { className: "ally-step-label" }, labels.what_happens));
    }
    parts.push(h("p", { className: "ally-step-text" }, node.text));
    if (node.feedback) {
      parts.push(
        h(
          "div",
          { className: `ally-feedback ally-tone-${node.tone || "mixed"}`, "data-role": "feedback" },
          h("p", {}, h("strong", {}, `${labels.what_it_shows}: ${content.tones[node.tone] || ""}. `), node.feedback),
        ),
      );
    }
    return h("div", { className: "ally-step", tabindex: "-1", "data-node": path[index] }, parts);
  };

  const sync = () => {
    const scenario = byId[model.get("scenario")];
    for (const input of picker.querySelectorAll("input")) {
      input.checked = scenario ? input.value === scenario.id : false;
    }
    story.replaceChildren();
    back.disabled = true;
    restart.disabled = !scenario;
    if (!scenario) return;
    const path = (model.get("path") || []).filter((id) => id in scenario.nodes);
    if (!path.length) path.push(scenario.start);
    story.append(h("p", { className: "ally-scenario-name" }, scenario.title));
    const steps = path.map((_, index) => step(scenario, path, index));
    story.append(...steps);
    const current = scenario.nodes[path[path.length - 1]];
    if (current.choices && current.choices.length) {
      story.append(
        h(
          "div",
          { className: "ally-choices ally-choices-column", role: "group", "aria-label": labels.what_do_you_do },
          h("p", { className: "ally-step-label" }, labels.what_do_you_do),
          current.choices.map((choice) =>
            h(
              "button",
              {
                type: "button",
                className: "ally-button ally-choice",
                "data-next": choice.next,
                onclick: () => {
                  focusNext = true;
                  save(model, "path", [...path, choice.next]);
                },
              },
              choice.label,
            ),
          ),
        ),
      );
    } else {
      story.append(h("p", { className: "ally-end" }, labels.end));
    }
    back.disabled = path.length < 2;
    const last = steps[steps.length - 1];
    setLive(announcer, last.textContent);
    if (focusNext) {
      focusNext = false;
      steps[steps.length - 1].focus();
    }
  };
  model.on("change:path", sync);
  model.on("change:scenario", sync);
  sync();
  return () => {
    model.off("change:path", sync);
    model.off("change:scenario", sync);
  };
}

export default { render };
