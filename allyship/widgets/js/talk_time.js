// TalkTimeSimulator: "who holds the floor". State: `context`, `people` and `share` (the percent
// of talking time you take); the picture and the feedback follow the state. No verdict is shown
// until the learner moves the slider (or sets the number of people): the widget never judges a
// share nobody chose. Settings that are not the affected people's space use the bands'
// `mixed_text`/`mixed_tone`.

function talkBand(content, share, people) {
  const fair = 100 / people;
  const ratio = share / fair;
  if (share <= 0) return content.bands[0];
  return content.bands.slice(1).find((b) => b.max_ratio === null || ratio <= b.max_ratio);
}

function seatsPicture(content, share, people) {
  const labels = content.labels;
  const rest = 100 - share;
  const other = people > 1 ? rest / (people - 1) : 0;
  const fair = Math.round(100 / people);
  const width = 340;
  const height = 270;
  const cx = width / 2;
  const cy = height / 2;
  const ring = 82;
  const radius = (pct) => 6 + Math.sqrt(Math.max(pct, 0)) * 3.4;
  const description = fill(labels.picture, {
    share,
    others: people - 1,
    rest: Math.round(rest),
    fair,
  });
  const svg = h("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": description,
    className: "ally-talk-svg",
    "data-share": share,
    "data-people": people,
  });
  svg.append(h("title", {}, description));
  svg.append(h("circle", { cx, cy, r: ring - 30, className: "ally-table" }));
  for (let i = 0; i < people; i += 1) {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / people;
    const x = cx + ring * Math.cos(angle);
    const y = cy + ring * Math.sin(angle) * 0.78;
    const pct = i === 0 ? share : other;
    const seat = h("g", { className: i === 0 ? "ally-seat ally-seat-you" : "ally-seat" });
    seat.append(h("circle", { cx: x, cy: y, r: radius(pct), "data-seat": i }));
    const label = i === 0 ? `${labels.you} ${share}%` : `${Math.round(pct)}%`;
    // Labels sit outside the seat, away from the table, so they never cover it.
    const below = Math.sin(angle) > -0.2;
    const ty = below ? y + radius(pct) + 14 : y - radius(pct) - 6;
    seat.append(h("text", { x, y: ty, "text-anchor": "middle" }, label));
    svg.append(seat);
  }
  return svg;
}

function render({ model, el }) {
  const content = model.get("content");
  const labels = content.labels;
  const limits = content.limits;
  const root = frame(el, "talk", content.title, content.intro);
  let touched = false;
  const ids = { people: allyUid("talk-people"), share: allyUid("talk-share") };
  const contextName = allyUid("talk-context");
  const contextInputs = content.contexts.map((c) =>
    h("input", {
      type: "radio",
      name: contextName,
      value: c.id,
      onchange: () => {
        model.set("context", c.id);
        save(model, "people", c.default_people);
      },
    }),
  );
  const contextGroup = h(
    "fieldset",
    { className: "ally-context" },
    h("legend", {}, labels.context),
    h(
      "div",
      { className: "ally-options" },
      content.contexts.map((c, i) =>
        h("label", { className: "ally-scale-option" }, contextInputs[i], h("span", {}, c.label)),
      ),
    ),
  );
  const peopleInput = h("input", {
    id: ids.people,
    type: "number",
    min: limits.min_people,
    max: limits.max_people,
    step: 1,
    className: "ally-number",
    onchange: (event) => {
      const n = Math.round(Number(event.target.value));
      const clamped = Math.min(limits.max_people, Math.max(limits.min_people, n || limits.min_people));
      touched = true;
      save(model, "people", clamped);
    },
  });
  const shareOutput = h("output", { for: ids.share, className: "ally-output", "data-role": "share" });
  const shareInput = h("input", {
    id: ids.share,
    type: "range",
    min: 0,
    max: limits.max_share,
    step: 5,
    className: "ally-range",
    oninput: (event) => {
      touched = true;
      save(model, "share", Number(event.target.value));
    },
  });
  const picture = h("div", { className: "ally-picture", "data-role": "picture" });
  const feedback = h("div", { className: "ally-feedback", "aria-live": "polite", "data-role": "feedback" });
  root.append(
    contextGroup,
    h(
      "div",
      { className: "ally-phrase-parts" },
      h("div", { className: "ally-field" }, h("label", { for: ids.people }, labels.people), peopleInput),
      h(
        "div",
        { className: "ally-field" },
        h("label", { for: ids.share }, labels.share, ": ", shareOutput),
        shareInput,
      ),
    ),
    picture,
    feedback,
    h("p", { className: "ally-practice", "data-role": "practice" }, content.practice),
  );

  const sync = () => {
    const ctx = content.contexts.find((c) => c.id === model.get("context")) || content.contexts[0];
    const people = model.get("people");
    const share = model.get("share");
    for (const input of contextInputs) input.checked = input.value === ctx.id;
    peopleInput.value = people;
    shareInput.value = share;
    shareInput.setAttribute("aria-valuetext", `${share}%`);
    shareOutput.textContent = `${share}%`;
    picture.replaceChildren(seatsPicture(content, share, people));
    const fairText = h("p", {}, fill(labels.fair, { fair: Math.round(100 / people) }));
    if (!touched) {
      feedback.className = "ally-feedback";
      feedback.dataset.band = "";
      feedback.dataset.setting = ctx.their_space ? "theirs" : "mixed";
      setLive(feedback, fairText, h("p", {}, content.start));
      return;
    }
    const band = talkBand(content, share, people);
    const mixed = !ctx.their_space;
    const text = mixed ? band.mixed_text || band.text : band.text;
    const tone = mixed ? band.mixed_tone || band.tone : band.tone;
    feedback.className = `ally-feedback ally-tone-${tone}`;
    feedback.dataset.band = band.id;
    feedback.dataset.setting = mixed ? "mixed" : "theirs";
    setLive(feedback, fairText, h("p", {}, text));
  };
  for (const name of ["context", "people", "share"]) model.on(`change:${name}`, sync);
  sync();
  return () => {
    for (const name of ["context", "people", "share"]) model.off(`change:${name}`, sync);
  };
}

export default { render };
