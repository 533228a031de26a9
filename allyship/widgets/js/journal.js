// Journal: the chapter's reflection prompts, a textarea each, and the grader's own verdict.
// `evaluate` comes from allyship/reflection/rules.js, concatenated in front of this file, so the
// journal and the grader apply the same rules. Entries stay in this browser (localStorage, one
// key per prompt grade_id, shared by every journal that shows the prompt); when one cannot be
// kept there (over the quota, storage off), the entry says so and points to the download.

const JOURNAL_PREFIX = "allyship:journal:";
const PLAN_PREFIX = "allyship:plan:";
const STATUS_LABELS = {
  complete: "Complete",
  incomplete: "Not complete yet",
  flagged: "Complete; in a class, an instructor would take a closer look",
};
// While the learner types, only a neutral word count shows; the check speaks when they pause
// this long or leave the box.
const PAUSE_MS = 1500;

const NOT_STARTED = "Not started. When you pause or leave the box, the grader's completion check appears here.";
const NOTEBOOK_MAX_BYTES = 5 * 1024 * 1024;
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

/** The grader's words as a reader of the book meets them: there may be no class, so "your
 * instructor will read it" becomes "in a class, your instructor would read it". */
function bookWords(text) {
  return String(text)
    .replace(/\byour instructor will (read|see|check) it\b/g, "in a class, your instructor would $1 it")
    .replace(/\ban instructor will read it\b/g, "in a class, an instructor would read it");
}

/** A verdict as one heading and its reasons, without saying "Complete" twice: when the first
 * reason already opens with the label ("Complete: 96 words…"), it is the heading. */
function verdictText(verdict) {
  const label = STATUS_LABELS[verdict.status] || verdict.status;
  const reasons = verdict.reasons.map(bookWords);
  const first = reasons[0] || "";
  if (first.toLowerCase().startsWith(label.toLowerCase())) {
    const rest = first.slice(label.length).replace(/^[\s:.,;]+/, "");
    return { label, lead: rest, reasons: reasons.slice(1) };
  }
  return { label, lead: "", reasons };
}

/** The count line: a neutral "14 of 80 words, keep going" until the length asked for. */
function countText(words, min) {
  const unit = words === 1 ? "word" : "words";
  if (!min) return `${words} ${unit}`;
  if (words === 0) return `0 of ${min} words`;
  if (words < min) return `${words} of ${min} words, keep going`;
  return `${words} ${unit} (at least ${min} asked for)`;
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
      const said = verdictText(verdict);
      const head = said.lead ? `${said.label}: ${said.lead}` : `${said.label}.`;
      lines.push(`*Self-check: ${[head, ...said.reasons].join(" ")}*`, "");
    }
  }
  const plan = model.get("plan") || {};
  if (plan.fields) {
    const mine = model.get("plan_entries") || {};
    lines.push(`## ${plan.title}`, "");
    for (const field of plan.fields) {
      lines.push(`### ${field.label}`, "");
      lines.push((mine[field.id] || "").trim() || "*(not planned yet)*", "");
    }
    lines.push(`**${plan.date.label}:** ${(mine[plan.date.id] || "").trim() || "*(no date yet)*"}`, "");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** The released notebook's answer cells for `gradeId` (Markdown cells with that nbgrader id). */
function answerCells(cells, gradeId) {
  return cells.filter((cell) => {
    const meta = (cell && cell.metadata) || {};
    const nbg = meta.nbgrader;
    return nbg && typeof nbg === "object" && String(nbg.grade_id || "") === gradeId;
  });
}

function cellSource(cell) {
  const source = cell.source;
  return Array.isArray(source) ? source.join("") : String(source || "");
}

/** Notebook JSON stores a cell's text as a list of lines, each but the last ending in "\n". */
function sourceLines(text) {
  const lines = text.split(/(?<=\n)/);
  return lines.length && lines[lines.length - 1] === "" ? lines.slice(0, -1) : lines;
}

/** What a learner wrote for `prompt` in a notebook, as the grader reads it (allyship/answers.py
 * find_answer): copies still holding the placeholder add nothing; null when the cell is gone. */
function notebookAnswer(cells, prompt) {
  const texts = answerCells(cells, prompt.grade_id).map(cellSource);
  if (!texts.length) return null;
  const release = (prompt.settings.release_text || "").trim();
  const written = texts.filter((t) => t.trim() && t.trim() !== release);
  if (!written.length) return "";
  return written.map((t) => t.replace(/^\n+|\n+$/g, "")).join("\n\n");
}

/** Is `data` a notebook with an answer cell for every prompt of this journal? */
function notebookProblem(data, prompts, name) {
  if (!data || typeof data !== "object" || !Array.isArray(data.cells) || typeof data.nbformat !== "number") {
    return `${name} is not a Jupyter notebook.`;
  }
  const missing = prompts.filter((p) => !answerCells(data.cells, p.grade_id).length);
  if (missing.length === prompts.length) return "none";
  if (missing.length) return "some";
  return "";
}

function render({ model, el }) {
  const prompts = model.get("prompts");
  const assignment = model.get("assignment");
  const plan = model.get("plan") || {};
  const title = assignment ? "Your journal for this chapter" : "Your journal: every prompt of the course";
  const intro =
    "Write your reflections here. They are saved in this browser only and never sent anywhere. " +
    "Under each answer you see the same completion check a class's grader uses.";
  const root = frame(el, "journal", title, intro);
  const views = {};

  const stored = {};
  for (const prompt of prompts) {
    const text = allyStore.get(JOURNAL_PREFIX + prompt.grade_id);
    if (text !== null) stored[prompt.grade_id] = text;
  }
  if (Object.keys(stored).length) save(model, "entries", { ...model.get("entries"), ...stored });

  const showVerdict = (view, verdict) => {
    const said = verdictText(verdict);
    view.verdict.dataset.status = verdict.status;
    view.verdict.className = `ally-feedback ally-verdict ally-status-${verdict.status}`;
    setLive(
      view.verdict,
      h("p", {}, h("strong", {}, said.lead ? `${said.label}:` : said.label), said.lead ? ` ${said.lead}` : null),
      said.reasons.length ? h("ul", {}, said.reasons.map((r) => h("li", {}, r))) : null,
    );
  };
  /** Refresh one entry's count and verdict. `announce` (a pause, leaving the box, a reload)
   * shows the verdict whatever it is; while typing, only good news shows: an answer not
   * complete yet gets the neutral word count, never a verdict. */
  const updateVerdict = (prompt, announce) => {
    const view = views[prompt.grade_id];
    const text = (model.get("entries") || {})[prompt.grade_id] || "";
    const verdict = journalVerdict(model, prompt, text);
    view.count.textContent = countText(verdict.words, prompt.settings.min_words);
    if (announce && !text.trim()) {
      // Nothing written yet: an invitation, not a "not complete" before the learner starts.
      view.verdict.dataset.status = "not-started";
      view.verdict.className = "ally-feedback ally-verdict ally-status-not-started";
      setLive(view.verdict, h("p", {}, NOT_STARTED));
    } else if (announce || verdict.status !== "incomplete") {
      showVerdict(view, verdict);
    } else if (view.verdict.dataset.status !== "writing") {
      view.verdict.dataset.status = "writing";
      view.verdict.className = "ally-feedback ally-verdict ally-status-writing";
      view.verdict.dataset.said = "";
      view.verdict.replaceChildren();
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
    else view.saved.replaceChildren(h("p", { className: "ally-feedback ally-journal-warning" }, NOT_SAVED[next]));
  };
  const refreshAll = () => {
    const verdicts = {};
    for (const prompt of prompts) verdicts[prompt.grade_id] = updateVerdict(prompt, true);
    save(model, "verdicts", verdicts);
    const entries = model.get("entries") || {};
    if (!learnedData && prompts.some((p) => (entries[p.grade_id] || "").trim())) wantLearned(model, refreshAll);
  };

  let chapter = null;
  let timer = null;
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
    area.addEventListener("input", () => {
      const entries = { ...model.get("entries"), [prompt.grade_id]: area.value };
      showSaved(views[prompt.grade_id], storeEntry(JOURNAL_PREFIX + prompt.grade_id, area.value));
      save(model, "entries", entries);
      updateVerdict(prompt, false);
      clearTimeout(timer);
      timer = setTimeout(refreshAll, PAUSE_MS);
    });
    area.addEventListener("blur", () => {
      clearTimeout(timer);
      timer = null;
      refreshAll();
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

  // The closing plan (content/plan.json): saved like the answers, one key per field.
  const planViews = {};
  const planFields = plan.fields ? [...plan.fields, { ...plan.date, date: true }] : [];
  if (planFields.length) {
    const planTitleId = allyUid("journal-plan-title");
    const block = h(
      "div",
      { className: "ally-plan", role: "group", "aria-labelledby": planTitleId, "data-role": "plan" },
      h("p", { className: "ally-chapter", id: planTitleId }, plan.title),
      plan.intro ? h("p", { className: "ally-intro" }, plan.intro) : null,
    );
    const storedPlan = {};
    for (const field of planFields) {
      const text = allyStore.get(PLAN_PREFIX + field.id);
      if (text !== null) storedPlan[field.id] = text;
    }
    if (Object.keys(storedPlan).length) save(model, "plan_entries", { ...model.get("plan_entries"), ...storedPlan });
    for (const field of planFields) {
      const inputId = allyUid(`journal-plan-${field.id}`);
      const hintId = `${inputId}-hint`;
      const input = field.date
        ? h("input", { id: inputId, type: "date", className: "ally-plan-date", "data-plan-field": field.id })
        : h("textarea", {
            id: inputId,
            className: "ally-textarea ally-plan-text",
            rows: 3,
            "data-plan-field": field.id,
            "aria-describedby": field.hint ? hintId : null,
          });
      const saved = h("div", { role: "status", "data-role": "save-status" });
      const onChange = () => {
        const problem = storeEntry(PLAN_PREFIX + field.id, input.value);
        saved.replaceChildren(...(problem ? [h("p", { className: "ally-feedback ally-journal-warning" }, NOT_SAVED[problem])] : []));
        save(model, "plan_entries", { ...model.get("plan_entries"), [field.id]: input.value });
      };
      input.addEventListener("input", onChange);
      input.addEventListener("change", onChange);
      planViews[field.id] = { input, saved };
      block.append(
        h(
          "div",
          { className: "ally-entry ally-plan-field", "data-plan-field": field.id },
          h("label", { for: inputId, className: "ally-entry-title" }, field.label),
          field.hint ? h("p", { id: hintId, className: "ally-prompt-text" }, field.hint) : null,
          input,
          saved,
        ),
      );
    }
    root.append(block);
  }

  const status = h("p", { className: "ally-status", role: "status", "data-role": "journal-status" });
  const say = (text) => {
    status.textContent = text;
  };
  const offer = (blob, name) => {
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const download = h(
    "button",
    {
      type: "button",
      className: "ally-button",
      "data-action": "download",
      onclick: () => {
        offer(new Blob([journalMarkdown(model)], { type: "text/markdown" }), `allyship-journal-${assignment || "all"}.md`);
        say("Your journal was saved as a Markdown file.");
      },
    },
    "Download my journal (Markdown)",
  );
  const controls = h("div", { className: "ally-controls" }, download);

  // A chapter's journal exports the released student notebook with the answers written in,
  // fetched from the book's own copy (the file of the "Download the student notebook" link).
  const fileName = assignment ? `${assignment}.ipynb` : "";
  const notebookUrl = () => {
    for (const link of document.querySelectorAll("a.download[href], a[download][href]")) {
      const url = new URL(link.getAttribute("href"), document.baseURI);
      if (url.pathname.endsWith(`/${fileName}`) && url.origin === window.location.origin) return url.href;
    }
    const root = staticRoot();
    const path = model.get("notebook_path");
    if (root === null || !path) return null;
    const url = new URL(path, root);
    return url.origin === window.location.origin ? url.href : null;
  };
  const fillNotebook = (data) => {
    const entries = model.get("entries") || {};
    let written = 0;
    for (const prompt of prompts) {
      const text = entries[prompt.grade_id] || "";
      if (!text.trim()) continue; // an empty answer keeps the placeholder: "No response"
      const cells = answerCells(data.cells, prompt.grade_id).filter((c) => c.cell_type === "markdown");
      if (!cells.length) continue;
      cells[0].source = sourceLines(text);
      written += 1;
    }
    return written;
  };
  if (assignment) {
    const exportNb = h(
      "button",
      {
        type: "button",
        className: "ally-button",
        "data-action": "download-notebook",
        onclick: async () => {
          const url = notebookUrl();
          const fail =
            `The student notebook could not be loaded from the book, so ${fileName} was not made. ` +
            'Use "Download the student notebook" above and copy your answers into it in Jupyter.';
          if (!url) return say(fail);
          let data;
          try {
            const response = await fetch(url, { credentials: "same-origin" });
            if (!response.ok) return say(fail);
            data = await response.json();
          } catch (err) {
            return say(fail);
          }
          if (notebookProblem(data, prompts, fileName)) return say(fail);
          const written = fillNotebook(data);
          offer(new Blob([`${JSON.stringify(data, null, 1)}\n`], { type: "application/x-ipynb+json" }), fileName);
          const empty = prompts.length - written;
          say(
            `Your answers were written into ${fileName} (${written} of ${prompts.length}` +
              (empty ? `; ${empty === 1 ? "one prompt is" : `${empty} prompts are`} still empty` : "") +
              "). Submit that file as you would a notebook written in Jupyter.",
          );
        },
      },
      "Download as notebook (.ipynb)",
    );
    const loadId = allyUid("journal-load");
    const loader = h("input", {
      id: loadId,
      type: "file",
      className: "ally-journal-file",
      accept: ".ipynb,application/x-ipynb+json,application/json",
      "data-action": "load-notebook",
    });
    loader.addEventListener("change", async () => {
      const file = loader.files && loader.files[0];
      loader.value = "";
      if (!file) return;
      const name = file.name || "this file";
      const refuse = (why) =>
        say(`${why} Nothing was loaded. Choose the ${fileName} of this chapter, as downloaded here or saved in Jupyter.`);
      if (file.size > NOTEBOOK_MAX_BYTES) return refuse(`${name} is too large to be a notebook of this course.`);
      let data;
      try {
        data = JSON.parse(await file.text());
      } catch (err) {
        return refuse(`${name} is not a Jupyter notebook (it could not be read as one).`);
      }
      const problem = notebookProblem(data, prompts, name);
      if (problem === "none") {
        return refuse(`${name} is not a notebook of this chapter's assignment (${assignment}): it has none of its answer cells.`);
      }
      if (problem && problem !== "some") return refuse(problem);
      const found = {};
      for (const prompt of prompts) {
        const text = notebookAnswer(data.cells, prompt);
        if (text) found[prompt.grade_id] = text;
      }
      const entries = model.get("entries") || {};
      const replaced = Object.keys(found).filter((gid) => (entries[gid] || "").trim() && entries[gid] !== found[gid]);
      if (replaced.length && !window.confirm(
        `Replace ${replaced.length === 1 ? "one answer" : `${replaced.length} answers`} of this journal with the notebook's? What the journal holds for ${replaced.length === 1 ? "it" : "them"} now is lost.`,
      )) {
        return say("Nothing was loaded.");
      }
      for (const [gid, text] of Object.entries(found)) {
        showSaved(views[gid], storeEntry(JOURNAL_PREFIX + gid, text));
      }
      save(model, "entries", { ...entries, ...found });
      sync();
      const n = Object.keys(found).length;
      say(
        n
          ? `Loaded ${n === 1 ? "one answer" : `${n} answers`} from ${name}.` +
              (problem === "some" ? " Some answer cells were missing from the notebook." : "")
          : `${name} has no answers written yet: nothing was loaded.`,
      );
    });
    controls.append(
      exportNb,
      h("span", { className: "ally-journal-load" }, h("label", { for: loadId }, "Load a notebook (.ipynb)"), loader),
    );
  }

  const erase = h(
    "button",
    {
      type: "button",
      className: "ally-button ally-danger",
      "data-action": "erase",
      onclick: () => {
        const what = planFields.length ? "every answer of this journal and your plan" : "every answer of this journal";
        const question = `Erase ${what} from this browser? This cannot be undone.`;
        if (!window.confirm(question)) {
          say("Nothing was erased.");
          return;
        }
        const entries = { ...model.get("entries") };
        for (const prompt of prompts) {
          allyStore.remove(JOURNAL_PREFIX + prompt.grade_id);
          delete entries[prompt.grade_id];
          showSaved(views[prompt.grade_id], null);
        }
        save(model, "entries", entries);
        if (planFields.length) {
          for (const field of planFields) {
            allyStore.remove(PLAN_PREFIX + field.id);
            planViews[field.id].input.value = "";
            planViews[field.id].saved.replaceChildren();
          }
          save(model, "plan_entries", {});
        }
        say(planFields.length ? "Your answers and your plan were erased from this browser." : "Your answers were erased from this browser.");
      },
    },
    "Erase my journal",
  );
  controls.append(erase);
  root.append(controls, status);

  const syncPlan = () => {
    const mine = model.get("plan_entries") || {};
    for (const field of planFields) {
      const input = planViews[field.id].input;
      const text = mine[field.id] || "";
      if (input.value !== text) input.value = text;
    }
  };
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
  model.on("change:plan_entries", syncPlan);
  syncPlan();
  sync();
  return () => {
    clearTimeout(timer);
    model.off("change:entries", onEntries);
    model.off("change:plan_entries", syncPlan);
    learnedWaiting.delete(refreshAll);
  };
}

export default { render };
