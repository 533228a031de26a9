// Journal: the chapter's reflection prompts, a textarea each, and the grader's own verdict.
// `evaluate` comes from allyship/reflection/rules.js, concatenated in front of this file, so the
// journal and the grader apply the same rules. Entries stay in this browser (localStorage, one
// key per prompt grade_id, shared by every journal that shows the prompt); when one cannot be
// kept there (over the quota, storage off), the entry says so and points to the download.

const JOURNAL_PREFIX = "allyship:journal:";
const STATUS_LABELS = {
  complete: "Complete",
  incomplete: "Not complete yet",
  flagged: "Complete, marked for a closer look by an instructor",
};

const NOT_STARTED = "Not started. As you write, the grader's completion check appears here.";
const NOT_SAVED = {
  full:
    "This answer could not be saved in this browser: the space this browser gives the book is full. " +
    "If you reload or close the page, what you wrote since it was last saved is lost. " +
    'To keep it, use "Download my journal (Markdown)" below.',
  off:
    "This answer could not be saved: this browser does not let the book keep anything (a private " +
    "window, or storage turned off). If you reload or close the page, it is lost. " +
    'To keep it, use "Download my journal (Markdown)" below.',
};
const SAVED_AGAIN = "Saved in this browser again.";

/** Keep one entry in this browser (removed when empty). Returns "" when kept, "full" over the
 * storage quota (the earlier saved version, if any, stays), "off" when storage is unavailable. */
function storeEntry(key, text) {
  try {
    if (text) window.localStorage.setItem(key, text);
    else window.localStorage.removeItem(key);
    return "";
  } catch (err) {
    const name = (err && err.name) || "";
    const code = (err && err.code) || 0;
    const full = name === "QuotaExceededError" || name === "NS_ERROR_DOM_QUOTA_REACHED" || code === 22 || code === 1014;
    return full ? "full" : "off";
  }
}

// The learned second opinion (model.json, about 650 KB) is fetched only once the learner has
// something written: from the book's own _static folder on a static page, or from the kernel
// (the `learned` trait) in JupyterLab. Until it arrives the rules alone judge, and every
// verdict is refreshed when it does.
let learnedData = null;
let learnedWanted = false;
const learnedWaiting = new Set();

function learnedReady(data) {
  if (learnedData || !data || !data.gaming) return;
  learnedData = data;
  for (const refresh of learnedWaiting) refresh();
}

function staticRoot() {
  const script = document.querySelector('script[src*="_static/"]');
  if (!script) return null;
  const src = script.src;
  return src.slice(0, src.indexOf("_static/"));
}

function wantLearned(model, refresh) {
  learnedWaiting.add(refresh);
  learnedReady(model.get("learned"));
  if (learnedData || learnedWanted) return;
  learnedWanted = true;
  model.on("change:learned", () => learnedReady(model.get("learned")));
  const root = staticRoot();
  if (root !== null) {
    fetch(`${root}_static/allyship/model.json`)
      .then((r) => (r.ok ? r.json() : null))
      .then(learnedReady)
      .catch(() => {});
  }
  try {
    model.send({ want: "learned" });
  } catch (err) {
    // a static page has no kernel to ask
  }
}

function journalVerdict(model, prompt, text) {
  const verdict = evaluate(text, prompt.settings, model.get("rules_config"), model.get("reading"), learnedData);
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
  /** Tell the learner when an entry could not be kept in this browser (`stored` is "full" or
   * "off", from storeEntry), and when it is kept again after that (""); null clears. */
  const showSaved = (view, stored) => {
    let next = stored;
    if (stored === "") next = view.problem && view.problem !== "again" ? "again" : view.problem;
    if (stored === null) next = "";
    if (next === view.problem) return;
    view.problem = next;
    view.saved.dataset.problem = next;
    if (!next) view.saved.replaceChildren();
    else if (next === "again") view.saved.replaceChildren(h("p", { className: "ally-count" }, SAVED_AGAIN));
    else view.saved.replaceChildren(h("p", { className: "ally-feedback ally-status-incomplete" }, NOT_SAVED[next]));
  };
  const refreshAll = () => {
    const verdicts = {};
    for (const prompt of prompts) verdicts[prompt.grade_id] = updateVerdict(prompt, true);
    save(model, "verdicts", verdicts);
    const entries = model.get("entries") || {};
    if (!learnedData && prompts.some((p) => (entries[p.grade_id] || "").trim())) wantLearned(model, refreshAll);
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
    const savedId = `${areaId}-saved`;
    const area = h("textarea", {
      id: areaId,
      className: "ally-textarea",
      rows: 7,
      "data-grade-id": prompt.grade_id,
      "aria-describedby": `${textId} ${countId} ${savedId}`,
      placeholder: prompt.settings.release_text || "",
    });
    const count = h("p", { className: "ally-count", id: countId, "data-role": "count" });
    const verdict = h("div", {
      className: "ally-feedback ally-verdict",
      "aria-live": "polite",
      "data-role": "verdict",
    });
    // Always in the page (an empty live region is announced when it fills).
    const saved = h("div", { id: savedId, role: "status", "data-role": "save-status" });
    let timer = null;
    area.addEventListener("input", () => {
      const entries = { ...model.get("entries"), [prompt.grade_id]: area.value };
      showSaved(views[prompt.grade_id], storeEntry(JOURNAL_PREFIX + prompt.grade_id, area.value));
      save(model, "entries", entries);
      updateVerdict(prompt, false);
      clearTimeout(timer);
      timer = setTimeout(refreshAll, 400);
    });
    views[prompt.grade_id] = { area, count, verdict, saved, problem: "" };
    root.append(
      h(
        "div",
        { className: "ally-entry", "data-grade-id": prompt.grade_id },
        h("label", { for: areaId, className: "ally-entry-title" }, `${index + 1}. ${prompt.title}`),
        h("div", { id: textId, className: "ally-prompt-text" }, prompt.text.split(/\n\s*\n/).map((p) => h("p", {}, p))),
        area,
        count,
        saved,
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
          showSaved(views[prompt.grade_id], null);
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
  return () => {
    model.off("change:entries", onEntries);
    learnedWaiting.delete(refreshAll);
  };
}

export default { render };
