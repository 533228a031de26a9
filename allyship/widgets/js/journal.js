// Journal: the chapter's reflection prompts, a textarea each, and the grader's own verdict.
// `evaluate` comes from allyship/reflection/rules.js, concatenated in front of this file, so the
// journal and the grader apply the same rules. Entries stay in this browser (localStorage, one
// key per prompt grade_id, shared by every journal that shows the prompt).

const JOURNAL_PREFIX = "allyship:journal:";
const STATUS_LABELS = {
  complete: "Complete",
  incomplete: "Not complete yet",
  flagged: "Complete, marked for a closer look by an instructor",
};

const NOT_STARTED = "Not started. As you write, the grader's completion check appears here.";

function journalVerdict(model, prompt, text) {
  const verdict = evaluate(text, prompt.settings, model.get("rules_config"), model.get("reading"));
  return {
    status: verdict.status,
    credit: verdict.credit,
    reasons: Array.from(verdict.reasons || []),
    words: verdict.words,
    checks: Array.from(verdict.checks || []),
  };
}

/** The whole journal as one Markdown document (what the download button saves). */
function journalMarkdown(model) {
  const entries = model.get("entries") || {};
  const verdicts = model.get("verdicts") || {};
  const lines = ["# My allyship journal", ""];
  lines.push("Written in *Allyship in Practice*. This file was made in your browser; nothing was sent anywhere.", "");
  let chapter = null;
  for (const prompt of model.get("prompts")) {
    if (prompt.chapter !== chapter) {
      chapter = prompt.chapter;
      lines.push(`## ${chapter}`, "");
    }
    lines.push(`### ${prompt.title}`, "");
    for (const line of prompt.text.split("\n")) lines.push(line.trim() ? `> ${line}` : ">");
    lines.push("");
    const text = (entries[prompt.grade_id] || "").trim();
    lines.push(text || "*(not written yet)*", "");
    const verdict = verdicts[prompt.grade_id];
    if (verdict && text) {
      lines.push(`*Self-check: ${STATUS_LABELS[verdict.status] || verdict.status}. ${verdict.reasons.join(" ")}*`, "");
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function render({ model, el }) {
  const prompts = model.get("prompts");
  const assignment = model.get("assignment");
  const title = assignment ? "Your journal for this chapter" : "Your journal: every prompt of the course";
  const intro =
    "Write your reflections here. They are saved in this browser only and never sent anywhere. " +
    "Under each answer you see the same completion check your instructor's grader uses.";
  const root = frame(el, "journal", title, intro);
  const views = {};

  const stored = {};
  for (const prompt of prompts) {
    const text = allyStore.get(JOURNAL_PREFIX + prompt.grade_id);
    if (text !== null) stored[prompt.grade_id] = text;
  }
  if (Object.keys(stored).length) save(model, "entries", { ...model.get("entries"), ...stored });

  const updateVerdict = (prompt, announce) => {
    const view = views[prompt.grade_id];
    const text = (model.get("entries") || {})[prompt.grade_id] || "";
    const verdict = journalVerdict(model, prompt, text);
    view.count.textContent = `${verdict.words} ${verdict.words === 1 ? "word" : "words"}` +
      (prompt.settings.min_words ? ` (at least ${prompt.settings.min_words})` : "");
    if (announce && !text.trim()) {
      // Nothing written yet: an invitation, not a red "incomplete" before the learner starts.
      view.verdict.dataset.status = "not-started";
      view.verdict.className = "ally-feedback ally-verdict ally-status-not-started";
      setLive(view.verdict, h("p", {}, NOT_STARTED));
    } else if (announce) {
      view.verdict.dataset.status = verdict.status;
      view.verdict.className = `ally-feedback ally-verdict ally-status-${verdict.status}`;
      setLive(
        view.verdict,
        h("p", {}, h("strong", {}, STATUS_LABELS[verdict.status] || verdict.status)),
        h("ul", {}, verdict.reasons.map((r) => h("li", {}, r))),
      );
    }
    return verdict;
  };
  const refreshAll = () => {
    const verdicts = {};
    for (const prompt of prompts) verdicts[prompt.grade_id] = updateVerdict(prompt, true);
    save(model, "verdicts", verdicts);
  };

  let chapter = null;
  prompts.forEach((prompt, index) => {
    if (!assignment && prompt.chapter !== chapter) {
      chapter = prompt.chapter;
      root.append(h("p", { className: "ally-chapter" }, chapter));
    }
    const areaId = allyUid(`journal-${prompt.grade_id}`);
    const textId = `${areaId}-prompt`;
    const countId = `${areaId}-count`;
    const area = h("textarea", {
      id: areaId,
      className: "ally-textarea",
      rows: 7,
      "data-grade-id": prompt.grade_id,
      "aria-describedby": `${textId} ${countId}`,
      placeholder: prompt.settings.release_text || "",
    });
    const count = h("p", { className: "ally-count", id: countId, "data-role": "count" });
    const verdict = h("div", {
      className: "ally-feedback ally-verdict",
      "aria-live": "polite",
      "data-role": "verdict",
    });
    let timer = null;
    area.addEventListener("input", () => {
      const entries = { ...model.get("entries"), [prompt.grade_id]: area.value };
      if (area.value) allyStore.set(JOURNAL_PREFIX + prompt.grade_id, area.value);
      else allyStore.remove(JOURNAL_PREFIX + prompt.grade_id);
      save(model, "entries", entries);
      updateVerdict(prompt, false);
      clearTimeout(timer);
      timer = setTimeout(refreshAll, 400);
    });
    views[prompt.grade_id] = { area, count, verdict };
    root.append(
      h(
        "div",
        { className: "ally-entry", "data-grade-id": prompt.grade_id },
        h("label", { for: areaId, className: "ally-entry-title" }, `${index + 1}. ${prompt.title}`),
        h("div", { id: textId, className: "ally-prompt-text" }, prompt.text.split(/\n\s*\n/).map((p) => h("p", {}, p))),
        area,
        count,
        verdict,
      ),
    );
  });

  const status = h("p", { className: "ally-status", role: "status", "data-role": "journal-status" });
  const download = h(
    "button",
    {
      type: "button",
      className: "ally-button",
      "data-action": "download",
      onclick: () => {
        const blob = new Blob([journalMarkdown(model)], { type: "text/markdown" });
        const url = URL.createObjectURL(blob);
        const link = h("a", { href: url, download: `allyship-journal-${assignment || "all"}.md` });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
        status.textContent = "Your journal was saved as a Markdown file.";
      },
    },
    "Download my journal (Markdown)",
  );
  const erase = h(
    "button",
    {
      type: "button",
      className: "ally-button ally-danger",
      "data-action": "erase",
      onclick: () => {
        const question = "Erase every answer of this journal from this browser? This cannot be undone.";
        if (!window.confirm(question)) {
          status.textContent = "Nothing was erased.";
          return;
        }
        const entries = { ...model.get("entries") };
        for (const prompt of prompts) {
          allyStore.remove(JOURNAL_PREFIX + prompt.grade_id);
          delete entries[prompt.grade_id];
        }
        save(model, "entries", entries);
        status.textContent = "Your answers were erased from this browser.";
      },
    },
    "Erase my journal",
  );
  root.append(h("div", { className: "ally-controls" }, download, erase), status);

  const sync = () => {
    const entries = model.get("entries") || {};
    for (const prompt of prompts) {
      const area = views[prompt.grade_id].area;
      const text = entries[prompt.grade_id] || "";
      if (area.value !== text) area.value = text;
    }
    refreshAll();
  };
  // Typing refreshes on its own timer; only changes from elsewhere (Python, erase) need a sync.
  const onEntries = () => {
    const entries = model.get("entries") || {};
    if (prompts.some((p) => views[p.grade_id].area.value !== (entries[p.grade_id] || ""))) sync();
  };
  model.on("change:entries", onEntries);
  sync();
  return () => model.off("change:entries", onEntries);
}

export default { render };
