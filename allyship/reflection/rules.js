// Reflection completion rules, the browser twin of allyship/reflection/rules.py.
// Self-contained ES module (no imports): it is concatenated into widget code. The data comes in
// as arguments: `rulesConfig` is rules.json, `reading` is reading.json (or null: no copy check).
// Every step mirrors the Python line by line; tests/test_rules_js.py checks they agree.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const RJS_TOKEN =
  /([\p{L}\p{N}]+(?:['\u2019][\p{L}\p{N}]+)*)|([.!?;\n])|([,:()\[\]"\u201c\u201d\u00ab\u00bb\u2013\u2014\/*\u2022|-])/gu;
const RJS_TAG = /<\/?[A-Za-z][^<>]{0,500}>/g;
const RJS_URL = /(?:https?:\/\/|www\.)[^ \t\n\r\f\v]+/g;
const RJS_LETTER = /\p{L}/u;
const RJS_ASCII = /^[\x00-\x7f]*$/;
const WORD_CLASSES = ["det", "prep", "aux_be", "aux", "aux_fin", "pron", "subj", "conj", "wh", "to"];
const prepared = new WeakMap();
const readings = new WeakMap();

function cpLen(s) {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

function dropComments(text) {
  const out = [];
  let pos = 0;
  for (;;) {
    const start = text.indexOf("<!--", pos);
    if (start < 0) {
      out.push(text.slice(pos));
      return out.join("");
    }
    out.push(text.slice(pos, start));
    const end = text.indexOf("-->", start + 4);
    if (end < 0) return out.join(" ");
    out.push(" ");
    pos = end + 3;
  }
}

export function stripMarkup(text) {
  let t = text.normalize("NFKC").split("\r\n").join("\n").split("\r").join("\n");
  t = dropComments(t);
  t = t.replace(RJS_TAG, " ");
  return t.replace(RJS_URL, " ");
}

const normaliseWord = (w) => w.toLowerCase().split("\u2019").join("'");

export function tokenize(text, limit = null) {
  const raw = [];
  const ends = [];
  const pauses = [];
  for (const m of stripMarkup(text).matchAll(RJS_TOKEN)) {
    if (m[1] === undefined) {
      if (ends.length) {
        if (m[2] === undefined) pauses[pauses.length - 1] = true;
        else ends[ends.length - 1] = true;
      }
      continue;
    }
    if (limit !== null && raw.length >= limit) break;
    raw.push(m[1]);
    ends.push(false);
    pauses.push(false);
  }
  return { raw, norm: raw.map(normaliseWord), ends, pauses };
}

/** The words that count: those with a letter, and a lone number in prose ("in 2019").
 * Numbers next to numbers are not words; a break or pause after a dropped number moves to the
 * word before it. */
export function proseWords(tokens) {
  const raw = [];
  const ends = [];
  const pauses = [];
  const numeric = tokens.raw.map((word) => !RJS_LETTER.test(word));
  const last = numeric.length - 1;
  tokens.raw.forEach((word, i) => {
    const lone = !(i > 0 && numeric[i - 1]) && !(i < last && numeric[i + 1]);
    if (!numeric[i] || lone) {
      raw.push(word);
      ends.push(tokens.ends[i]);
      pauses.push(tokens.pauses[i]);
    } else if (raw.length) {
      ends[ends.length - 1] = ends[ends.length - 1] || tokens.ends[i];
      pauses[pauses.length - 1] = pauses[pauses.length - 1] || tokens.pauses[i];
    }
  });
  return { raw, norm: raw.map(normaliseWord), ends, pauses };
}

const encoder = new TextEncoder();

function fnv1a(str) {
  let h = FNV_OFFSET;
  for (const byte of encoder.encode(str)) h = Math.imul(h ^ byte, FNV_PRIME) >>> 0;
  return h;
}

function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function shingleHashes(words, size) {
  const cache = new Map();
  const hashed = words.map((w) => {
    let h = cache.get(w);
    if (h === undefined) {
      h = fnv1a(w);
      cache.set(w, h);
    }
    return h;
  });
  const out = [];
  for (let start = 0; start + size <= hashed.length; start++) {
    let h = FNV_OFFSET;
    for (let j = start; j < start + size; j++) h = Math.imul(h ^ hashed[j], FNV_PRIME) >>> 0;
    out.push(fmix32(h));
  }
  return out;
}

function bloomPositions(h, bits, k) {
  const step = (fmix32((h ^ 0x9e3779b9) >>> 0) | 1) >>> 0;
  const out = [];
  for (let i = 0; i < k; i++) out.push(((h + Math.imul(i, step)) >>> 0) % bits);
  return out;
}

function decodeBase64(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function prepareReading(reading) {
  if (!reading) return [];
  let filters = readings.get(reading);
  if (!filters) {
    filters = Object.values(reading.sources || {}).map((s) => ({
      raw: decodeBase64(s.filter),
      bits: Number(s.bits),
      k: Number(s.hashes),
    }));
    readings.set(reading, filters);
  }
  return filters;
}

function inReading(filters, h) {
  for (const f of filters) {
    if (bloomPositions(h, f.bits, f.k).every((p) => (f.raw[p >> 3] >> (p & 7)) & 1)) return true;
  }
  return false;
}

function stem(word, suffixes, minLength) {
  word = word.split("'").join("");
  for (const [suffix, replacement] of suffixes) {
    if (word.endsWith(suffix) && cpLen(word) - cpLen(suffix) >= minLength) {
      word = word.slice(0, word.length - suffix.length) + replacement;
      break;
    }
  }
  if (cpLen(word) > minLength && word.endsWith("e")) word = word.slice(0, -1);
  return word;
}

function prepare(cfg) {
  let r = prepared.get(cfg);
  if (r) return r;
  const set = (list) => new Set(list);
  const stemOf = (w) => stem(w, cfg.stem_suffixes, cfg.stem_min_length);
  const otherLanguages = Object.keys(cfg.other_languages)
    .sort()
    .map((k) => set(cfg.other_languages[k]));
  const languageIndex = new Map();
  otherLanguages.forEach((words, number) => {
    for (const w of words) {
      if (!languageIndex.has(w)) languageIndex.set(w, []);
      languageIndex.get(w).push(number);
    }
  });
  const themeStems = new Set(cfg.theme_words.map(stemOf));
  r = {
    t: cfg.thresholds,
    reasons: cfg.reasons,
    canonical: cfg.canonical,
    functionWords: set(cfg.function_words),
    commonWords: set(cfg.common_words),
    firstPerson: set(cfg.first_person),
    loremWords: set(cfg.lorem_words),
    genericWords: set(cfg.generic_words),
    genericPhrases: cfg.generic_phrases.map((p) => p.split(/\s+/).filter(Boolean)),
    metaPhrases: cfg.meta_phrases.map((p) => p.split(/\s+/).filter(Boolean)),
    secondPerson: set(cfg.second_person),
    selfWords: set([...cfg.first_person, ...cfg.first_person_plural]),
    courseWords: set(Object.values(cfg.course_words).flat()),
    summarySubjects: set(cfg.summary_subjects),
    reportingVerbs: set(cfg.reporting_verbs),
    concreteWords: set(cfg.concrete_words),
    abstractWords: set(cfg.abstract_words),
    abstractPhrases: cfg.abstract_phrases.map((p) => p.split(/\s+/).filter(Boolean)),
    agreementWords: set(cfg.agreement_words),
    agreementPhrases: cfg.agreement_phrases.map((p) => p.split(/\s+/).filter(Boolean)),
    declinePhrases: cfg.decline_phrases.map((p) => p.split(/\s+/).filter(Boolean)),
    declineCues: cfg.decline_cues, // word starts
    englishSuffixes: cfg.english_suffixes,
    classes: Object.fromEntries(WORD_CLASSES.map((n) => [n, set(cfg[n])])),
    impossible: cfg.impossible,
    otherLanguages,
    languageIndex,
    vowels: set(Array.from(cfg.vowels)),
    latinRanges: cfg.latin_ranges,
    denseRanges: cfg.dense_ranges,
    stem: stemOf,
    themeStems,
    topicStems: new Set([...themeStems, ...cfg.social_words.map(stemOf)]),
    taskStems: new Set(cfg.task_words.map(stemOf)),
    metaStems: new Set(cfg.meta_words.map(stemOf)),
    experienceStems: new Set(cfg.experience_words.map(stemOf)),
    promptCache: new Map(),
  };
  const english = new Set();
  for (const name of ["function_words", "common_words", "first_person", "second_person", "experience_words",
    "generic_words", "theme_words", "social_words", "task_words", "meta_words"]) {
    for (const w of cfg[name]) english.add(w);
  }
  for (const words of Object.values(cfg.domains)) for (const w of words) english.add(w);
  r.englishWords = english;
  r.domainStems = new Set();
  for (const words of Object.values(cfg.domains)) {
    for (const w of words) {
      const s = stemOf(w);
      if (!r.topicStems.has(s)) r.domainStems.add(s);
    }
  }
  r.canonicalWords = (words) => words.map((w) => (Object.hasOwn(r.canonical, w) ? r.canonical[w] : w));
  prepared.set(cfg, r);
  return r;
}

function asInt(value) {
  if (typeof value === "string" && !/^\s*[-+]?\d+\s*$/.test(value)) return 0;
  if (value === null || value === undefined || typeof value === "object") return 0;
  const n = Math.trunc(Number(value));
  return Number.isFinite(n) ? Math.max(0, n) : 0;
}

const inRanges = (cp, ranges) => ranges.some(([a, b]) => cp >= a && cp <= b);

/** Only the starts in `length` or more consecutive starts (the reading is a Bloom filter: two
 * stray "maybe"s a few words apart must not look like a copied run). Twin of `_chained`. */
function chained(starts, length) {
  const keep = [];
  let chain = [];
  for (const s of [...starts, null]) {
    if (chain.length && (s === null || s !== chain[chain.length - 1] + 1)) {
      if (chain.length >= length) keep.push(...chain);
      chain = [];
    }
    if (s !== null) chain.push(s);
  }
  return keep;
}

function runs(n, starts, size, minRun) {
  const marks = new Array(n).fill(false);
  for (const s of starts) for (let j = s; j < Math.min(n, s + size); j++) marks[j] = true;
  let i = 0;
  while (i < n) {
    if (!marks[i]) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < n && marks[j]) j += 1;
    if (j - i < minRun) for (let k = i; k < j; k++) marks[k] = false;
    i = j;
  }
  return marks;
}

/** Where one of `phrases` (arrays of words) starts in `words`. */
function phraseStarts(words, phrases) {
  const byFirst = new Map();
  for (const p of phrases) {
    if (!byFirst.has(p[0])) byFirst.set(p[0], []);
    byFirst.get(p[0]).push(p);
  }
  return words.map((w, i) => (byFirst.get(w) || []).some((p) => p.every((pw, j) => words[i + j] === pw)));
}

class Judge {
  constructor(text, settings, cfg, reading) {
    this.r = prepare(cfg);
    this.t = this.r.t;
    this.filters = prepareReading(reading);
    settings = settings || {};
    this.minimum = asInt(settings.min_words ?? 0);
    this.release = String(settings.release_text || "");
    this.prompt = String(settings.prompt || "");
    const tokens = tokenize(typeof text === "string" ? text : "", Math.trunc(this.t.max_tokens));
    this.blank = tokens.raw.length === 0;
    this.tokens = proseWords(tokens); // counting and padding numbers are not words
    this.words = this.tokens.norm;
    this.n = this.words.length;
    this.repeatMarks = null;
    this.repeatedUnits = null;
  }

  say(code, values) {
    // A sentence about one word has its own wording ("You wrote 1 word"), where there is one.
    const one = values.words === 1 ? this.r.reasons[code + "_one"] : undefined;
    let sentence = one || this.r.reasons[code];
    for (const [key, value] of Object.entries(values)) {
      sentence = sentence.split("{" + key + "}").join(String(value));
    }
    return sentence;
  }

  result(status, codes, own, extra = {}) {
    const values = { words: this.n, min: this.minimum, own, ...extra };
    return {
      status,
      credit: status === "incomplete" ? 0.0 : 1.0,
      reasons: codes.map((c) => this.say(c, values)),
      words: this.n,
      checks: codes,
      own_words: own,
    };
  }

  verdict() {
    if (this.blank) return this.result("incomplete", ["empty"], 0);
    if (this.n === 0) return this.result("incomplete", ["too_short"], 0);
    const release = proseWords(tokenize(this.release)).norm;
    if (release.length && release.length === this.n && release.every((w, i) => w === this.words[i])) {
      // The starting text is the course's words, not the student's: nothing written.
      return { ...this.result("incomplete", ["release_text"], 0), words: 0 };
    }
    if (this.declines()) return this.result("incomplete", ["decline"], 0);
    const [latin, other, effective] = this.scripts();
    if (other > latin * (1 / this.t.other_script_share - 1) && other > 0) {
      return this.otherLanguage(effective, this.ownEffective(), "other_language");
    }
    return this.latinText();
  }

  /** A short, polite refusal to share (twin of `_declines`). */
  declines() {
    if (this.n > Math.trunc(this.t.decline_max_words)) return false;
    if (phraseStarts(this.words, this.r.declinePhrases).some(Boolean)) return true;
    const cues = [...new Set(this.words)].filter((w) => this.r.declineCues.some((c) => w.startsWith(c))).length;
    return this.n < this.minimum && cues >= Math.trunc(this.t.decline_min_cues);
  }

  otherLanguage(effective, own, code) {
    const floor = this.minimum * this.t.other_language_min_fraction;
    if (effective < floor) {
      const short = code === "other_language" ? "other_language_short" : "too_short";
      return this.result("incomplete", [short], effective);
    }
    if (own < floor) {
      // Repeats are not writing, in any language or script.
      const repeated = code === "other_language" ? "other_language_repetition" : "repetition";
      return this.result("incomplete", [repeated], own);
    }
    return this.result("flagged", [code], own);
  }

  latinText() {
    const t = this.t;
    const n = this.n;
    if (this.count(this.r.loremWords) >= t.lorem_min_share * n) return this.result("incomplete", ["lorem"], 0);
    if (this.mashing()) return this.result("incomplete", ["mashing"], 0);
    const repeats = this.repeats();
    const kept = this.words.filter((_, i) => !repeats[i]);
    const k = kept.length;
    let english = 0;
    for (const w of kept) if (this.r.functionWords.has(w)) english += 1;
    const other = this.bestOtherLanguage(kept);
    if (english < t.english_min_function_ratio * k) {
      if (other >= t.other_language_min_ratio * k) return this.otherLanguage(n, k, "other_language");
      if (this.accentShare(kept) >= t.other_language_min_accent_share) return this.otherLanguage(n, k, "unrecognised");
      if (this.foreignShapes(kept)) return this.otherLanguage(n, k, "unrecognised");
      if (n < this.minimum) {
        // Too short first ("ok", "x"); a list long enough to judge is told both (see rules.py).
        const floor = this.minimum * t.other_language_min_fraction;
        return this.result("incomplete", n < floor ? ["too_short"] : ["too_short", "word_list"], n);
      }
      return this.result("incomplete", ["word_list"], 0);
    }
    if (other >= t.other_language_min_ratio * k && other > english) return this.otherLanguage(n, k, "other_language");
    if (this.foreignShapes(kept)) return this.otherLanguage(n, k, "unrecognised");
    if (n < this.minimum) return this.result("incomplete", ["too_short"], n);
    const distinct = new Set(this.words).size;
    if (distinct < Math.ceil(this.minimum * t.min_distinct_ratio)) {
      return this.result("incomplete", ["few_distinct"], distinct, { distinct });
    }
    const salad = this.impossibleBigrams();
    if (salad >= t.salad_min_count && salad >= t.salad_min_rate * n) return this.result("incomplete", ["word_salad"], n);
    if (this.runShare() >= t.salad_run_share * k) return this.result("incomplete", ["word_salad"], n);
    const [paired, functionTotal] = this.functionPairs();
    if (functionTotal >= t.pairs_min_function_words && paired < t.salad_min_paired_share * functionTotal) {
      return this.result("incomplete", ["word_salad"], n);
    }
    const [own, causes] = this.ownWords();
    if (own >= this.minimum) return this.engagement(own);
    let [code, covered] = causes[0];
    for (const [c, v] of causes) if (v > covered) [code, covered] = [c, v];
    if (this.onlyRestatingTippedIt(own)) {
      // Restated sentences are a judgement, not a copy: credit and flag (see rules.py).
      const verdict = this.engagement(own);
      if (verdict.status === "incomplete") return verdict;
      return this.result("flagged", ["prompt_copy_small"], own, { covered });
    }
    if (n - own >= t.copy_flag_max_share * n || own < t.copy_flag_min_own_fraction * this.minimum) return this.result("incomplete", [code], own, { covered });
    const verdict = this.engagement(own);
    if (verdict.status === "incomplete") return verdict;
    return this.result("flagged", [code + "_small"], own, { covered });
  }

  onlyRestatingTippedIt(own) {
    return this.verbatimOwn >= this.minimum && own >= this.t.restated_zero_max_own_fraction * this.minimum;
  }

  engagement(own) {
    const t = this.t;
    const [density, domain, domainCount] = this.topicDensity();
    const course = this.count(this.r.courseWords);
    if (
      density < t.off_topic_max_density ||
      (domain >= t.domain_min_share && domain >= density * t.domain_topic_ratio && domainCount >= t.domain_min_count) ||
      (course === 0 && domainCount >= t.off_course_domain_min_count)
    ) {
      return this.result("incomplete", ["off_topic"], own);
    }
    const selfless = this.count(this.r.selfWords) === 0;
    if (selfless && this.reports() >= t.summary_min_reports) return this.result("incomplete", ["summary"], own);
    const [firstPerson, personal, generic] = this.personalAndGeneric();
    const flags = [];
    if (firstPerson === 0) {
      if (personal < t.weak_personal_per100) return this.result("incomplete", ["generic"], own);
      if ((this.count(this.r.secondPerson) * 100) / this.n >= t.second_person_max_per100) {
        if (this.concrete() < t.concrete_min_count) return this.result("incomplete", ["generic"], own);
        flags.push("second_person");
      }
    }
    if (
      personal < t.personal_min_per100 ||
      (generic >= t.generic_max_per100 && generic >= personal * t.generic_dominates_ratio)
    ) {
      return this.result("incomplete", ["generic"], own);
    }
    if (this.concrete() < t.concrete_min_count) {
      // Personal in form, empty in substance: no lived moment, only agreement or commitments.
      if (this.agreement()) return this.result("incomplete", ["agreement"], own);
      const count = this.abstractCount();
      const abstract = (count * 100) / this.n;
      if (abstract >= t.abstract_max_per100 && count >= t.abstract_min_count) {
        return this.result("incomplete", ["abstract"], own);
      }
      if (abstract >= t.abstract_flag_per100) flags.push("abstract_talk");
    }
    if (density < t.weak_topic_max_density) flags.push("weak_topic");
    if (course === 0) flags.push("off_course");
    if (personal < t.weak_personal_per100) flags.push("weak_personal");
    if (selfless && !flags.length) flags.push("impersonal");
    if (flags.length) return this.result("flagged", flags, own);
    return this.result("complete", ["complete"], own);
  }

  reports() {
    const r = this.r;
    const window = Math.trunc(this.t.summary_subject_window);
    let count = 0;
    this.words.forEach((w, i) => {
      if (!r.reportingVerbs.has(w)) return;
      for (let j = i - 1; j > Math.max(-1, i - 1 - window); j--) {
        if (this.tokens.ends[j]) break;
        if (r.summarySubjects.has(this.words[j])) {
          count += 1;
          break;
        }
      }
    });
    return count;
  }

  /** Most sentences, and several, agree with or praise the reading. */
  agreement() {
    const words = this.words;
    const ends = this.tokens.ends;
    const n = this.n;
    const marked = phraseStarts(words, this.r.agreementPhrases);
    const vocabulary = this.r.agreementWords;
    let sentences = 0;
    let agreeing = 0;
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (!(ends[i] || i === n - 1)) continue;
      sentences += 1;
      for (let j = start; j <= i; j++) {
        if (marked[j] || vocabulary.has(words[j])) {
          agreeing += 1;
          break;
        }
      }
      start = i + 1;
    }
    const t = this.t;
    return agreeing >= t.agreement_min_sentences && agreeing >= t.agreement_min_share * sentences;
  }

  /** Words and phrases of commitments and corporate values, the prompt's words aside. */
  abstractCount() {
    const r = this.r;
    const prompt = this.promptStems();
    let count = 0;
    for (const w of this.words) if (r.abstractWords.has(w) && !prompt.has(r.stem(w))) count += 1;
    for (const hit of phraseStarts(this.words, r.abstractPhrases)) if (hit) count += 1;
    return count;
  }

  concrete() {
    const seen = new Set();
    for (const w of this.words) if (this.r.concreteWords.has(w)) seen.add(w);
    return seen.size;
  }

  count(vocabulary) {
    let c = 0;
    for (const w of this.words) if (vocabulary.has(w)) c += 1;
    return c;
  }

  scripts() {
    const perWord = Math.trunc(this.t.dense_chars_per_word);
    let latin = 0;
    let other = 0;
    let effective = 0;
    for (const word of this.tokens.raw) {
      if (RJS_ASCII.test(word)) {
        for (const c of word) if ((c >= "A" && c <= "Z") || (c >= "a" && c <= "z")) latin += 1;
        effective += 1;
        continue;
      }
      let dense = 0;
      for (const c of word) {
        const cp = c.codePointAt(0);
        if ((cp >= 48 && cp <= 57) || c === "'" || c === "\u2019") continue;
        if (inRanges(cp, this.r.latinRanges)) latin += 1;
        else {
          other += 1;
          if (inRanges(cp, this.r.denseRanges)) dense += 1;
        }
      }
      effective += dense ? Math.max(1, Math.ceil(dense / perWord)) : 1;
    }
    return [latin, other, effective];
  }

  mashing() {
    const t = this.t;
    const vowels = this.r.vowels;
    let longTokens = 0;
    let implausible = 0;
    let letters = 0;
    let vowelCount = 0;
    for (const word of this.words) {
      let consonantRun = 0;
      let sameRun = 0;
      let longestConsonants = 0;
      let longestSame = 0;
      let hasVowel = false;
      let previous = "";
      let length = 0;
      for (const c of word) {
        length += 1;
        if (!RJS_LETTER.test(c)) {
          consonantRun = 0;
          sameRun = 0;
          previous = "";
          continue;
        }
        letters += 1;
        if (vowels.has(c)) {
          vowelCount += 1;
          hasVowel = true;
          consonantRun = 0;
        } else consonantRun += 1;
        sameRun = c === previous ? sameRun + 1 : 1;
        previous = c;
        longestConsonants = Math.max(longestConsonants, consonantRun);
        longestSame = Math.max(longestSame, sameRun);
      }
      if (length >= t.mash_min_token_length) {
        longTokens += 1;
        if (!hasVowel || longestConsonants > t.mash_max_consonant_run || longestSame > t.mash_max_same_char_run) {
          implausible += 1;
        }
      }
    }
    if (longTokens >= 3 && implausible >= t.mash_token_share * longTokens) return true;
    return letters >= 20 && vowelCount < t.mash_min_vowel_ratio * letters;
  }

  bestOtherLanguage(words) {
    const counts = new Array(this.r.otherLanguages.length).fill(0);
    for (const w of words) for (const index of this.r.languageIndex.get(w) || []) counts[index] += 1;
    return Math.max(0, ...counts);
  }

  foreignShapes(words) {
    const r = this.r;
    const t = this.t;
    const longer = words.filter((w) => cpLen(w) >= t.foreign_min_word_length);
    if (!longer.length) return false;
    let english = 0;
    for (const w of longer) if (r.englishWords.has(w) || r.englishSuffixes.some((s) => w.endsWith(s))) english += 1;
    let open = 0;
    for (const w of words) {
      const chars = Array.from(w);
      if (r.vowels.has(chars[chars.length - 1])) open += 1;
    }
    return english <= t.foreign_max_english_share * longer.length && open >= t.foreign_min_open_share * words.length;
  }

  accentShare(words) {
    let letters = 0;
    let accented = 0;
    for (const word of words) {
      for (const c of word) {
        if (RJS_LETTER.test(c)) {
          letters += 1;
          if (c.codePointAt(0) > 127) accented += 1;
        }
      }
    }
    return letters ? accented / letters : 0.0;
  }

  /** Words inside a repeated run, in any script: a word repeats when all of it does. */
  repeats() {
    if (this.repeatMarks === null) {
      const { owner, marks } = this.repeated();
      const repeated = new Array(this.n).fill(true);
      owner.forEach((word, u) => {
        repeated[word] = repeated[word] && marks[u];
      });
      this.repeatMarks = repeated;
    }
    return this.repeatMarks;
  }

  /** Repeats in every script: units are words, or each character of a word in a script written
   * without spaces (a word weighs dense_chars_per_word characters); a unit repeats inside a run
   * weighing repeat_ngram words that came before (see rules.py). */
  repeated() {
    if (this.repeatedUnits === null) {
      const perWord = Math.trunc(this.t.dense_chars_per_word);
      const need = Math.trunc(this.t.repeat_ngram) * perWord;
      const SEP = "\u0000";
      const units = [];
      const weights = [];
      const owner = [];
      const dense = [];
      const ranges = this.r.denseRanges;
      const lowest = Math.min(0x110000, ...ranges.map(([a]) => a));
      this.words.forEach((word, index) => {
        let look = false; // most words: no need to look (a surrogate may be a dense character)
        for (let i = 0; i < word.length && !look; i++) {
          const unit = word.charCodeAt(i);
          look = unit >= lowest || (unit >= 0xd800 && unit <= 0xdfff);
        }
        const chars = look ? Array.from(word) : [];
        const kinds = chars.map((c) => inRanges(c.codePointAt(0), ranges));
        if (kinds.some(Boolean)) {
          chars.forEach((c, j) => {
            units.push(c);
            weights.push(1);
            owner.push(index);
            dense.push(kinds[j]);
          });
        } else {
          units.push(word);
          weights.push(perWord);
          owner.push(index);
          dense.push(false);
        }
      });
      const size = units.length;
      const marks = new Array(size).fill(false);
      const seen = new Set();
      let end = 0;
      let total = 0;
      for (let start = 0; start < size; start++) {
        while (end < size && total < need) {
          total += weights[end];
          end += 1;
        }
        if (total < need) break;
        const gram = units.slice(start, end).join(SEP);
        if (seen.has(gram)) for (let j = start; j < end; j++) marks[j] = true;
        seen.add(gram);
        total -= weights[start];
      }
      this.repeatedUnits = { owner, dense, marks };
    }
    return this.repeatedUnits;
  }

  /** The word count of scripts() without the repeats. */
  ownEffective() {
    const perWord = Math.trunc(this.t.dense_chars_per_word);
    const { owner, dense, marks } = this.repeated();
    const own = new Array(this.n).fill(false);
    const denseOwn = new Array(this.n).fill(0);
    owner.forEach((word, u) => {
      if (!marks[u]) {
        own[word] = true;
        if (dense[u]) denseOwn[word] += 1;
      }
    });
    let total = 0;
    for (let i = 0; i < this.n; i++) {
      if (own[i]) total += denseOwn[i] ? Math.max(1, Math.ceil(denseOwn[i] / perWord)) : 1;
    }
    return total;
  }

  runShare() {
    const { ends, pauses } = this.tokens;
    const fw = this.r.functionWords;
    const repeats = this.repeats();
    const longest = Math.trunc(this.t.salad_run_length);
    let total = 0;
    let run = 0;
    this.words.forEach((w, i) => {
      if (fw.has(w) || repeats[i]) {
        total += run >= longest ? run : 0;
        run = 0;
        return;
      }
      run += 1;
      if (ends[i] || pauses[i]) {
        total += run >= longest ? run : 0;
        run = 0;
      }
    });
    return total + (run >= longest ? run : 0);
  }

  functionPairs() {
    const { ends } = this.tokens;
    const isFunction = this.words.map((w) => this.r.functionWords.has(w));
    let paired = 0;
    let total = 0;
    isFunction.forEach((yes, i) => {
      if (!yes) return;
      total += 1;
      const left = i > 0 && isFunction[i - 1] && !ends[i - 1];
      const right = i + 1 < this.n && isFunction[i + 1] && !ends[i];
      if (left || right) paired += 1;
    });
    return [paired, total];
  }

  stemsOf(text) {
    const r = this.r;
    let out = r.promptCache.get(text);
    if (!out) {
      out = new Set();
      for (const w of tokenize(text).norm) {
        if (!r.functionWords.has(w) && !r.commonWords.has(w)) out.add(r.stem(w));
      }
      if (r.promptCache.size > 64) r.promptCache.clear();
      r.promptCache.set(text, out);
    }
    return out;
  }

  promptStems() {
    return this.stemsOf(this.prompt);
  }

  echoSentences() {
    const r = this.r;
    const t = this.t;
    const n = this.n;
    const prompt = this.stemsOf(this.prompt + "\n" + this.release);
    const metaAt = phraseStarts(this.words, r.metaPhrases);
    const marks = new Array(n).fill(false);
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (!(this.tokens.ends[i] || i === n - 1)) continue;
      let content = 0;
      let echoed = 0;
      let meta = 0;
      let isMeta = false;
      for (let j = start; j <= i; j++) {
        if (metaAt[j]) isMeta = true;
        const w = this.words[j];
        if (r.functionWords.has(w) || r.commonWords.has(w)) continue;
        content += 1;
        const s = r.stem(w);
        if (prompt.has(s) || r.taskStems.has(s)) echoed += 1;
        else if (r.metaStems.has(s)) meta += 1;
      }
      let restated = content >= t.echo_min_content && echoed >= t.echo_min_share * content;
      if (!restated && content >= t.echo_meta_min_content && isMeta) {
        restated = echoed + meta >= t.echo_meta_min_share * content;
      }
      if (restated) for (let j = start; j <= i; j++) marks[j] = true;
      start = i + 1;
    }
    return marks;
  }

  ownWords() {
    const t = this.t;
    const n = this.n;
    const SEP = "\u0000";
    const canon = this.r.canonicalWords(this.words);
    const size = Math.trunc(t.prompt_ngram);
    const source = this.r.canonicalWords(proseWords(tokenize(this.prompt + "\n" + this.release)).norm);
    const grams = new Set();
    for (let i = 0; i + size <= source.length; i++) grams.add(source.slice(i, i + size).join(SEP));
    const promptHits = [];
    for (let i = 0; i + size <= n; i++) if (grams.has(canon.slice(i, i + size).join(SEP))) promptHits.push(i);
    const echo = this.echoSentences();
    const verbatimPrompt = runs(n, promptHits, size, Math.trunc(t.prompt_min_run));
    const prompt = verbatimPrompt.map((m, i) => m || echo[i]);
    const shingle = Math.trunc(t.reading_shingle);
    const readingHits = [];
    shingleHashes(canon, shingle).forEach((h, i) => {
      if (inReading(this.filters, h)) readingHits.push(i);
    });
    const minRun = Math.trunc(t.reading_min_run);
    const reading = runs(n, chained(readingHits, minRun - shingle + 1), shingle, minRun);
    const repeats = this.repeats();
    let covered = 0;
    let verbatim = 0;
    for (let i = 0; i < n; i++) {
      if (prompt[i] || reading[i] || repeats[i]) covered += 1;
      if (verbatimPrompt[i] || reading[i] || repeats[i]) verbatim += 1;
    }
    this.verbatimOwn = n - verbatim;
    const sum = (marks) => marks.reduce((a, m) => a + (m ? 1 : 0), 0);
    const causes = [
      ["prompt_copy", sum(prompt)],
      ["reading_copy", sum(reading)],
      ["repetition", sum(repeats)],
    ];
    return [n - covered, causes];
  }

  impossibleBigrams() {
    const classes = this.r.classes;
    const fw = this.r.functionWords;
    let count = 0;
    for (let i = 0; i < this.n; i++) {
      const a = this.words[i];
      const end = this.tokens.ends[i] || i === this.n - 1;
      const b = end ? "" : this.words[i + 1];
      for (const [first, second] of this.r.impossible) {
        let hit;
        if (first === "@same") hit = !end && a === b && fw.has(a);
        else if (!classes[first].has(a)) hit = false;
        else if (second === "@end") hit = end;
        else hit = !end && classes[second].has(b);
        if (hit) {
          count += 1;
          break;
        }
      }
    }
    return count + this.innerCapitals();
  }

  innerCapitals() {
    const { raw, ends, pauses } = this.tokens;
    const fw = this.r.functionWords;
    let count = 0;
    for (let i = 1; i < this.n; i++) {
      const word = raw[i];
      if (ends[i - 1] || pauses[i - 1] || !fw.has(this.words[i])) continue;
      if (this.r.firstPerson.has(this.words[i]) || !(word[0] >= "A" && word[0] <= "Z")) continue;
      const rest = word.slice(1);
      if (rest === rest.toLowerCase()) count += 1;
    }
    return count;
  }

  topicDensity() {
    const r = this.r;
    const content = [];
    for (const w of this.words) if (!r.functionWords.has(w) && !r.commonWords.has(w)) content.push(r.stem(w));
    if (!content.length) return [0.0, 0.0, 0];
    const prompt = this.promptStems();
    let hits = 0;
    let other = 0;
    for (const s of content) {
      if (r.topicStems.has(s) || prompt.has(s)) hits += 1;
      if (r.domainStems.has(s) && !prompt.has(s)) other += 1;
    }
    return [hits / content.length, other / content.length, other];
  }

  personalAndGeneric() {
    const r = this.r;
    const n = this.n;
    const firstPerson = this.count(r.firstPerson);
    let personal = firstPerson;
    for (const w of this.words) if (!r.firstPerson.has(w) && r.experienceStems.has(r.stem(w))) personal += 1;
    let generic = this.count(r.genericWords);
    for (const hit of phraseStarts(this.words, r.genericPhrases)) if (hit) generic += 1;
    return [firstPerson, (personal * 100) / n, (generic * 100) / n];
  }
}

// -- the learned second opinion (allyship/reflection/model.py, step for step) -------------

const CHAR_SIZES = [3, 4, 5];
const models = new WeakMap();

function wordFeatures(words) {
  const out = words.slice();
  for (let i = 0; i + 1 < words.length; i++) out.push(`${words[i]} ${words[i + 1]}`);
  return out;
}

function charFeatures(words) {
  const out = [];
  for (const word of words) {
    const padded = Array.from(` ${word} `); // code points, as Python slices them
    for (const size of CHAR_SIZES) {
      for (let i = 0; i + size <= padded.length; i++) out.push(padded.slice(i, i + size).join(""));
    }
  }
  return out;
}

/** Sublinear TF-IDF over the known features, L2-normalised, in order of first appearance. */
function blockVector(grams, table) {
  const counts = new Map();
  for (const g of grams) if (table.has(g)) counts.set(g, (counts.get(g) || 0) + 1);
  const vector = new Map();
  let squares = 0;
  for (const [g, c] of counts) {
    const v = (1.0 + Math.log(c)) * table.get(g)[0];
    vector.set(g, v);
    squares += v * v;
  }
  const norm = Math.sqrt(squares);
  if (!(norm > 0)) return new Map();
  for (const [g, v] of vector) vector.set(g, v / norm);
  return vector;
}

function prepareModel(data) {
  let m = models.get(data);
  if (!m) {
    m = {
      limit: data.max_words,
      bias: data.gaming.bias,
      word: new Map(Object.entries(data.gaming.word)),
      char: new Map(Object.entries(data.gaming.char)),
      classes: data.prompts.classes,
      classBias: data.prompts.bias,
      promptWord: new Map(Object.entries(data.prompts.word)),
      t: data.thresholds,
    };
    models.set(data, m);
  }
  return m;
}

function sigmoid(x) {
  return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
}

/** {gaming, promptScores}: what the models think of one answer. */
export function opinion(text, modelData) {
  const m = prepareModel(modelData);
  const words = proseWords(tokenize(text, m.limit)).norm;
  const grams = wordFeatures(words);
  let score = m.bias;
  for (const [g, v] of blockVector(grams, m.word)) score += v * m.word.get(g)[1];
  for (const [g, v] of blockVector(charFeatures(words), m.char)) score += v * m.char.get(g)[1];
  const scores = m.classBias.slice();
  for (const [g, v] of blockVector(grams, m.promptWord)) {
    const row = m.promptWord.get(g);
    for (let k = 0; k < scores.length; k++) scores[k] += v * row[k + 1];
  }
  const top = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - top));
  let total = 0;
  for (const e of exps) total += e;
  const promptScores = {};
  m.classes.forEach((c, k) => {
    promptScores[c] = exps[k] / total;
  });
  return { gaming: sigmoid(score), promptScores };
}

function learned(verdict, status, code, reasons, title = "") {
  const reason = reasons[code].split("{title}").join(title).split("{own}").join(String(verdict.own_words));
  const both = status === "flagged" && verdict.status === "flagged";
  return {
    ...verdict,
    status,
    credit: status === "incomplete" ? 0.0 : 1.0,
    reasons: both ? [...verdict.reasons, reason] : [reason],
    checks: both ? [...verdict.checks, code] : [code],
  };
}

function secondOpinion(verdict, op, settings, reasons, modelData) {
  const t = prepareModel(modelData).t;
  const ownId = String(settings.grade_id || "");
  const titles = settings.prompt_titles || {};
  const scores = op.promptScores;
  const ids = Object.keys(scores);
  if (Object.hasOwn(scores, ownId) && ids.length > 1) {
    let otherId = null;
    for (const g of ids) if (g !== ownId && (otherId === null || scores[g] > scores[otherId])) otherId = g;
    const other = scores[otherId];
    const own = scores[ownId];
    const title = String(titles[otherId] || "");
    const code = title ? "other_prompt" : "other_prompt_untitled";
    if (other >= t.other_prompt_deny && own <= t.own_prompt_deny) return learned(verdict, "incomplete", code, reasons, title);
    if (other >= t.other_prompt_flag && own <= t.own_prompt_flag) return learned(verdict, "flagged", `${code}_flag`, reasons, title);
  }
  if (op.gaming >= t.deny) return learned(verdict, "incomplete", "not_own_reflection", reasons);
  if (op.gaming >= t.flag && verdict.status === "complete") return learned(verdict, "flagged", "not_own_reflection_flag", reasons);
  const ownScore = Object.hasOwn(scores, ownId) ? scores[ownId] : 1.0;
  if (
    verdict.status === "flagged" &&
    verdict.checks.every((c) => JUDGEMENT_FLAGS.has(c)) &&
    op.gaming < t.clear_flag &&
    ownScore >= t.own_prompt_clear
  ) {
    // The rules were unsure of the voice; the model is sure it is a genuine answer to this prompt.
    return learned(verdict, "complete", "complete", reasons);
  }
  return verdict;
}

// The rules' zeros that are judgements of voice and topic: a confident learned opinion sends
// them to the instructor, credited (twin of `_second_look`).
const JUDGEMENT_ZEROS = new Set(["off_topic", "generic", "abstract", "agreement", "summary"]);

function secondLook(verdict, op, settings, reasons, modelData) {
  const t = prepareModel(modelData).t;
  const ownId = String(settings.grade_id || "");
  const own = Object.hasOwn(op.promptScores, ownId) ? op.promptScores[ownId] : 1.0;
  if (op.gaming < t.clear_flag && own >= t.own_prompt_clear) return learned(verdict, "flagged", "judgement_doubt", reasons);
  return verdict;
}

const JUDGEMENT_FLAGS = new Set(["weak_topic", "off_course", "weak_personal", "impersonal", "second_person", "abstract_talk"]);

/** Judge one reflection: returns {status, credit, reasons, words, checks, own_words}.
 * ``modelData`` is model.json (the learned second opinion); null asks for the rules alone. */
export function evaluate(text, settings, rulesConfig, reading = null, modelData = null) {
  const verdict = new Judge(text, settings, rulesConfig, reading).verdict();
  // The models learned English: text the rules took for another language is left to them.
  const english = !verdict.checks.includes("other_language") && !verdict.checks.includes("unrecognised");
  if (!modelData || !english) return verdict;
  const op = () => opinion(typeof text === "string" ? text : "", modelData);
  if (verdict.status === "incomplete") {
    if (!verdict.checks.every((c) => JUDGEMENT_ZEROS.has(c))) return verdict;
    return secondLook(verdict, op(), settings, rulesConfig.reasons, modelData);
  }
  return secondOpinion(verdict, op(), settings, rulesConfig.reasons, modelData);
}
