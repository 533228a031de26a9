"""The reflection completion rules: is this a real, personal attempt at the prompt?

Completion, not opinion: no rule looks at what a learner believes. The rules look at how much
the learner wrote in their own words (not the prompt or a restatement of it, not the course
reading, not repeats, not numbers), at whether it is prose in a language (English grammar, or
positive signs of another language; not placeholder, mashing, word lists or shuffled words),
whether it is about the prompt, and whether it speaks from the writer's own life. When unsure
they credit and flag for the instructor. Every number and phrase lives in ``rules.json``;
``rules.js`` is the same algorithm for the browser, step for step.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

from allyship.reflection.config import RULES, Rules
from allyship.reflection.model import Model, Opinion, load_model
from allyship.reflection.reading import Reading, load_reading
from allyship.reflection.text import Tokens, shingle_hashes, tokenize

Status = Literal["complete", "incomplete", "flagged"]


@dataclass(frozen=True)
class Verdict:
    """The decision on one reflection.

    ``credit`` is the fraction of the prompt's points earned (0.0 or 1.0); ``flagged`` means
    credited but sent to the instructor for review. ``reasons`` are sentences for the student,
    shown identically in the feedback, the self-check and the journal; ``checks`` are the
    machine codes of the checks that decided. ``words`` counts the words that count (not
    numbers strung together as padding); ``own_words`` those that neither copy nor restate the
    prompt, nor copy the course reading, nor repeat.
    """

    status: Status
    credit: float
    reasons: tuple[str, ...]
    words: int
    checks: tuple[str, ...] = field(default=())
    own_words: int = 0

    @property
    def needs_review(self) -> bool:
        """Sent to the instructor: a credited answer the rules were unsure of, or a decline
        (no credit, but never a silent zero: the learner may need someone to talk to)."""
        return self.status == "flagged" or "decline" in self.checks


def evaluate(
    text: str,
    settings: Mapping[str, Any],
    rules: Rules = RULES,
    reading: Reading | None = None,
    model: Model | None | bool = None,
) -> Verdict:
    """Judge one reflection against its prompt's trusted settings.

    ``settings`` holds ``min_words``, ``release_text`` and ``prompt`` (the prompt's text), and
    for the learned second opinion ``grade_id`` and ``prompt_titles`` (grade id -> title of
    every prompt of the course). ``model`` is the packaged one unless given; ``False`` asks for
    the rules alone.
    """
    text = text if isinstance(text, str) else ""
    verdict = _Judge(text, settings, rules, reading).verdict()
    learned = load_model() if model is None else (model or None)
    if learned is None:
        return verdict
    return reconsider(verdict, lambda: learned.opinion(text), settings, rules, learned)


def reconsider(
    verdict: Verdict,
    opinion: Callable[[], Opinion],
    settings: Mapping[str, Any],
    rules: Rules,
    model: Model,
) -> Verdict:
    """The rules' verdict with the learned second opinion applied (``opinion`` is only asked
    for when it can matter). The one place the two meet: the grader and the training script's
    out-of-fold figures both go through it."""
    if not _english(verdict):
        return verdict
    if verdict.status == "incomplete":
        if not set(verdict.checks) <= JUDGEMENT_ZEROS:
            return verdict
        return _second_look(verdict, opinion(), settings, rules, model)
    return _second_opinion(verdict, opinion(), settings, rules, model)


#: The rules' zeros that are judgements of voice and topic (an engineer's or a nurse's own
#: vocabulary can read as off topic): a confident learned opinion sends them to the instructor.
JUDGEMENT_ZEROS = frozenset({"off_topic", "generic", "abstract", "agreement", "summary"})


def _second_look(
    verdict: Verdict, opinion: Opinion, settings: Mapping[str, Any], rules: Rules, model: Model
) -> Verdict:
    """Never a zero on a judgement the model confidently disagrees with: it is a genuine answer
    to this prompt, so it is credited and flagged for the instructor (never silently)."""
    t = model.thresholds
    own = opinion.prompt_scores.get(str(settings.get("grade_id") or ""), 1.0)
    if opinion.gaming < t["clear_flag"] and own >= t["own_prompt_clear"]:
        return _learned(verdict, "flagged", "judgement_doubt", rules)
    return verdict


def _english(verdict: Verdict) -> bool:
    """The models learned English: text the rules took for another language is left to them."""
    return not {"other_language", "unrecognised"} & set(verdict.checks)


def _second_opinion(
    verdict: Verdict, opinion: Opinion, settings: Mapping[str, Any], rules: Rules, model: Model
) -> Verdict:
    """Where the rules credit, the learned models may deny or flag, never credit.

    An answer the prompt model places firmly under another prompt of the course, and not under
    its own, is denied and told which prompt it seems to answer; less firmly, flagged. An answer
    whose texture is that of text written to fill the box (generic essays, pledges, another
    course's journal) is denied at the strict threshold and flagged at the lenient one."""
    t = model.thresholds
    own_id = str(settings.get("grade_id") or "")
    titles = settings.get("prompt_titles") or {}
    scores = opinion.prompt_scores
    if own_id in scores and len(scores) > 1:
        other_id = max((g for g in scores if g != own_id), key=lambda g: scores[g])
        other, own = scores[other_id], scores[own_id]
        title = str(titles.get(other_id) or "")
        code = "other_prompt" if title else "other_prompt_untitled"
        if other >= t["other_prompt_deny"] and own <= t["own_prompt_deny"]:
            return _learned(verdict, "incomplete", code, rules, title)
        if other >= t["other_prompt_flag"] and own <= t["own_prompt_flag"]:
            return _learned(verdict, "flagged", code + "_flag", rules, title)
    if opinion.gaming >= t["deny"]:
        return _learned(verdict, "incomplete", "not_own_reflection", rules)
    if opinion.gaming >= t["flag"] and verdict.status == "complete":
        return _learned(verdict, "flagged", "not_own_reflection_flag", rules)
    if (
        verdict.status == "flagged"
        and set(verdict.checks) <= JUDGEMENT_FLAGS
        and opinion.gaming < t["clear_flag"]
        and scores.get(own_id, 1.0) >= t["own_prompt_clear"]
    ):
        # The rules were unsure of the voice (third person, few words of the subject); the
        # model is sure it is a genuine answer to this prompt: no need to send it for review.
        return _learned(verdict, "complete", "complete", rules)
    return verdict


#: The rules' flags that are judgements of voice and topic (not of length or copying): the
#: ones a confident learned opinion may clear.
JUDGEMENT_FLAGS = frozenset(
    {"weak_topic", "off_course", "weak_personal", "impersonal", "second_person", "abstract_talk"}
)


def _learned(verdict: Verdict, status: Status, code: str, rules: Rules, title: str = "") -> Verdict:
    reason = rules.reasons[code].replace("{title}", title).replace("{own}", str(verdict.own_words))
    if status == "flagged" and verdict.status == "flagged":
        reasons, checks = (*verdict.reasons, reason), (*verdict.checks, code)
    else:
        reasons, checks = (reason,), (code,)
    credit = 0.0 if status == "incomplete" else 1.0
    return replace(verdict, status=status, credit=credit, reasons=reasons, checks=checks)


def _as_int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _in_ranges(cp: int, starts: list[int], ranges: list[tuple[int, int]]) -> bool:
    i = bisect_right(starts, cp) - 1
    return i >= 0 and cp <= ranges[i][1]


class _Judge:
    """One evaluation: measures a text once, then applies the checks in a fixed order."""

    def __init__(
        self, text: str, settings: Mapping[str, Any], rules: Rules, reading: Reading | None
    ) -> None:
        self.r = rules
        self.t = rules.t
        self.reading = load_reading() if reading is None else reading
        self.minimum = _as_int(settings.get("min_words", 0))
        self.release = str(settings.get("release_text") or "")
        self.prompt = str(settings.get("prompt") or "")
        tokens = tokenize(text, limit=int(self.t["max_tokens"]))
        self.blank = not tokens.raw
        self.tokens: Tokens = tokens.prose_words()  # counting and padding numbers are not words
        self.words = self.tokens.norm
        self.n = len(self.words)
        self._repeats: list[bool] | None = None
        self._repeated_units: tuple[list[int], list[bool], list[bool]] | None = None

    # -- result helpers ------------------------------------------------------------------
    def _say(self, code: str, **values: int) -> str:
        # A sentence about one word has its own wording ("You wrote 1 word"), where there is one.
        one = self.r.reasons.get(code + "_one") if values.get("words") == 1 else None
        sentence = one or self.r.reasons[code]
        for key, value in values.items():
            sentence = sentence.replace("{" + key + "}", str(value))
        return sentence

    def _result(self, status: Status, codes: list[str], own: int, **values: int) -> Verdict:
        values = {"words": self.n, "min": self.minimum, "own": own, **values}
        reasons = tuple(self._say(code, **values) for code in codes)
        credit = 0.0 if status == "incomplete" else 1.0
        return Verdict(status, credit, reasons, self.n, tuple(codes), own)

    # -- the checks, in order --------------------------------------------------------------
    def verdict(self) -> Verdict:
        if self.blank:
            return self._result("incomplete", ["empty"], 0)
        if self.n == 0:
            return self._result("incomplete", ["too_short"], 0)
        release = tokenize(self.release).prose_words().norm
        if release and self.words == release:
            # The starting text is the course's words, not the student's: nothing written.
            return replace(self._result("incomplete", ["release_text"], 0), words=0)
        if self._declines():
            return self._result("incomplete", ["decline"], 0)
        latin, other, effective = self._scripts()
        if other > latin * (1 / self.t["other_script_share"] - 1) and other > 0:
            return self._other_language(effective, self._own_effective(), "other_language")
        return self._latin_text()

    def _declines(self) -> bool:
        """A short, polite refusal to share: nobody has to disclose, and the instructor hears.
        A known phrase ("rather not"), or, in an answer shorter than the prompt asks for, two
        words of refusal or privacy (by their start: "passing", "safe", "privately"): a short
        answer wrongly taken for a decline still earns nothing, it only reaches the instructor."""
        if self.n > int(self.t["decline_max_words"]):
            return False
        if any(_phrase_starts(self.words, self.r.decline_phrases)):
            return True
        cues = sum(1 for w in set(self.words) if w.startswith(self.r.decline_cues))
        return self.n < self.minimum and cues >= int(self.t["decline_min_cues"])

    def _other_language(self, effective: int, own: int, code: str) -> Verdict:
        """Another language is never a zero: credit and flag, unless clearly too short, with
        its repeats (``own`` words without them) or even with them (``effective``)."""
        floor = self.minimum * self.t["other_language_min_fraction"]
        if effective < floor:
            short = "other_language_short" if code == "other_language" else "too_short"
            return self._result("incomplete", [short], effective)
        if own < floor:
            # Repeats are not writing, in any language or script.
            repeated = "other_language_repetition" if code == "other_language" else "repetition"
            return self._result("incomplete", [repeated], own)
        return self._result("flagged", [code], own)

    def _latin_text(self) -> Verdict:
        t = self.t
        n = self.n
        if self._count(self.r.lorem_words) >= t["lorem_min_share"] * n:
            return self._result("incomplete", ["lorem"], 0)
        if self._mashing():
            return self._result("incomplete", ["mashing"], 0)
        # The language is judged on the words that are not repeats: filler does not count.
        kept = [w for w, repeat in zip(self.words, self.repeats(), strict=True) if not repeat]
        k = len(kept)
        english = sum(1 for w in kept if w in self.r.function_words)
        other = self._best_other_language(kept)
        if english < t["english_min_function_ratio"] * k:
            # Not English grammar. Another language only on positive evidence: its common
            # words, or letters English does not use; otherwise a list of words.
            if other >= t["other_language_min_ratio"] * k:
                return self._other_language(n, k, "other_language")
            if self._accent_share(kept) >= t["other_language_min_accent_share"]:
                return self._other_language(n, k, "unrecognised")
            if self._foreign_shapes(kept):
                return self._other_language(n, k, "unrecognised")
            if n < self.minimum:
                # Too short first ("ok", "x"): a word or two has no grammar to judge. A list
                # long enough to judge (as long as another language must be) is told both.
                floor = self.minimum * t["other_language_min_fraction"]
                codes = ["too_short"] if n < floor else ["too_short", "word_list"]
                return self._result("incomplete", codes, n)
            return self._result("incomplete", ["word_list"], 0)
        if other >= t["other_language_min_ratio"] * k and other > english:
            return self._other_language(n, k, "other_language")
        if self._foreign_shapes(kept):  # short words that look like English ("i", "he", "no")
            return self._other_language(n, k, "unrecognised")
        if n < self.minimum:
            return self._result("incomplete", ["too_short"], n)
        distinct = len(set(self.words))
        if distinct < math.ceil(self.minimum * t["min_distinct_ratio"]):
            return self._result("incomplete", ["few_distinct"], distinct, distinct=distinct)
        salad = self._impossible_bigrams()
        if salad >= t["salad_min_count"] and salad >= t["salad_min_rate"] * n:
            return self._result("incomplete", ["word_salad"], n)
        if self._run_share() >= t["salad_run_share"] * k:
            return self._result("incomplete", ["word_salad"], n)
        paired, function_total = self._function_pairs()
        if function_total >= t["pairs_min_function_words"] and (
            paired < t["salad_min_paired_share"] * function_total
        ):
            return self._result("incomplete", ["word_salad"], n)
        own, causes = self._own_words()
        if own >= self.minimum:
            return self._engagement(own)
        code, covered = max(causes, key=lambda c: c[1])
        if self._only_restating_tipped_it(own):
            # Sentences that read like the prompt in other words are a judgement, not a copy:
            # when nothing copied word for word takes the answer under the minimum, credit it
            # and let the instructor look, unless restating is most of what it says.
            verdict = self._engagement(own)
            if verdict.status == "incomplete":
                return verdict
            return self._result("flagged", ["prompt_copy_small"], own, covered=covered)
        if n - own >= t["copy_flag_max_share"] * n or (
            own < t["copy_flag_min_own_fraction"] * self.minimum
        ):
            return self._result("incomplete", [code], own, covered=covered)
        # A few echoed phrases tipped it a little under the minimum: credit, the instructor looks.
        verdict = self._engagement(own)
        if verdict.status == "incomplete":
            return verdict
        return self._result("flagged", [code + "_small"], own, covered=covered)

    def _only_restating_tipped_it(self, own: int) -> bool:
        """Long enough without the restated sentences' subtraction, and mostly own words."""
        return (
            self.verbatim_own >= self.minimum
            and own >= self.t["restated_zero_max_own_fraction"] * self.minimum
        )

    def _engagement(self, own: int) -> Verdict:
        """On topic and personal? Clear failures are incomplete; doubtful cases are flagged.
        Off topic is a zero only on strong evidence: almost none of the content words touch
        people, relations, power, feelings, judgement or the prompt (a recipe, a match report),
        or none touches the course's subject (identity, harm, bias, allyship...) while some
        belong to another field; a text with no word of the course's subject is otherwise
        credited and flagged, because a genuine answer may use its own vocabulary. A text that
        never refers to its writer and reports what a text says is a summary; one that never
        refers to its writer is at best flagged. A text with no lived moment that only agrees
        with the reading, or is made of the vocabulary of commitments, is empty."""
        t = self.t
        density, domain, domain_count = self._topic_density()
        course = self._count(self.r.course_words)
        if (
            density < t["off_topic_max_density"]
            or (
                domain >= t["domain_min_share"]
                and domain >= density * t["domain_topic_ratio"]
                and domain_count >= t["domain_min_count"]
            )
            or (course == 0 and domain_count >= t["off_course_domain_min_count"])
        ):
            return self._result("incomplete", ["off_topic"], own)
        selfless = self._count(self.r.self_words) == 0
        if selfless and self._reports() >= t["summary_min_reports"]:
            return self._result("incomplete", ["summary"], own)
        first_person, personal, generic = self._personal_and_generic()
        flags = []
        if first_person == 0:
            if personal < t["weak_personal_per100"]:  # nothing about the writer
                return self._result("incomplete", ["generic"], own)
            if self._count(self.r.second_person) * 100 / self.n >= t["second_person_max_per100"]:
                # Addressed to "you": maxims, unless it tells of real moments, places, people.
                if self._concrete() < t["concrete_min_count"]:
                    return self._result("incomplete", ["generic"], own)
                flags.append("second_person")
        dominated = generic >= personal * t["generic_dominates_ratio"]
        if personal < t["personal_min_per100"] or (
            generic >= t["generic_max_per100"] and dominated
        ):
            return self._result("incomplete", ["generic"], own)
        if self._concrete() < t["concrete_min_count"]:
            # Personal in form, empty in substance: no lived moment, only agreeing with the
            # reading, or only the vocabulary of commitments and values.
            if self._agreement():
                return self._result("incomplete", ["agreement"], own)
            count = self._abstract_count()
            abstract = count * 100 / self.n
            if abstract >= t["abstract_max_per100"] and count >= t["abstract_min_count"]:
                return self._result("incomplete", ["abstract"], own)
            if abstract >= t["abstract_flag_per100"]:
                flags.append("abstract_talk")
        if density < t["weak_topic_max_density"]:
            flags.append("weak_topic")
        if course == 0:
            flags.append("off_course")
        if personal < t["weak_personal_per100"]:
            flags.append("weak_personal")
        if selfless and not flags:
            flags.append("impersonal")
        if flags:
            return self._result("flagged", flags, own)
        return self._result("complete", ["complete"], own)

    # -- measurements ----------------------------------------------------------------------
    def _count(self, vocabulary: frozenset[str]) -> int:
        return sum(1 for w in self.words if w in vocabulary)

    def _scripts(self) -> tuple[int, int, int]:
        """Latin letters, other letters, and a word count where dense scripts (Chinese,
        Japanese, Thai...) count one word per ``dense_chars_per_word`` characters."""
        latin_ranges, dense_ranges = self.r.latin_ranges, self.r.dense_ranges
        latin_starts = [a for a, _ in latin_ranges]
        dense_starts = [a for a, _ in dense_ranges]
        per_word = int(self.t["dense_chars_per_word"])
        latin = other = effective = 0
        for word in self.tokens.raw:
            if word.isascii():
                latin += sum(1 for c in word if c.isalpha())
                effective += 1
                continue
            dense = 0
            for c in word:
                cp = ord(c)
                if 48 <= cp <= 57 or c in "'\u2019":
                    continue
                if _in_ranges(cp, latin_starts, latin_ranges):
                    latin += 1
                else:
                    other += 1
                    if _in_ranges(cp, dense_starts, dense_ranges):
                        dense += 1
            effective += max(1, -(-dense // per_word)) if dense else 1
        return latin, other, effective

    def _mashing(self) -> bool:
        """Random letters: long tokens with no vowel, long consonant or same-letter runs, or
        far too few vowels overall."""
        t, vowels = self.t, self.r.vowels
        long_tokens = implausible = letters = vowel_count = 0
        for word in self.words:
            consonant_run = same_run = longest_consonants = longest_same = 0
            has_vowel = False
            previous = ""
            for c in word:
                if not c.isalpha():
                    consonant_run = same_run = 0
                    previous = ""
                    continue
                letters += 1
                if c in vowels:
                    vowel_count += 1
                    has_vowel = True
                    consonant_run = 0
                else:
                    consonant_run += 1
                same_run = same_run + 1 if c == previous else 1
                previous = c
                longest_consonants = max(longest_consonants, consonant_run)
                longest_same = max(longest_same, same_run)
            if len(word) >= t["mash_min_token_length"]:
                long_tokens += 1
                if (
                    not has_vowel
                    or longest_consonants > t["mash_max_consonant_run"]
                    or longest_same > t["mash_max_same_char_run"]
                ):
                    implausible += 1
        if long_tokens >= 3 and implausible >= t["mash_token_share"] * long_tokens:
            return True
        return letters >= 20 and vowel_count < t["mash_min_vowel_ratio"] * letters

    def _best_other_language(self, words: list[str]) -> int:
        """The largest count of one other language's common words (one pass over the text)."""
        counts = [0] * len(self.r.other_languages)
        for w in words:
            for index in self.r.language_index.get(w, ()):
                counts[index] += 1
        return max(counts, default=0)

    def _foreign_shapes(self, words: list[str]) -> bool:
        """Words that are mostly not English (not in any of the rules' English lists, no
        English ending) and mostly end in a vowel, like the syllables of Bantu or Austronesian
        languages: another language, even one without accents or a word list here. English
        word lists are made of English words; mashing was ruled out before."""
        r, t = self.r, self.t
        longer = [w for w in words if len(w) >= t["foreign_min_word_length"]]  # short ones are
        if not longer:  # shared by too many languages ("a", "i", "no", "he") to tell them apart
            return False
        english = sum(1 for w in longer if w in r.english_words or w.endswith(r.english_suffixes))
        open_ = sum(1 for w in words if w[-1] in r.vowels)
        unknown = english <= t["foreign_max_english_share"] * len(longer)
        return unknown and open_ >= t["foreign_min_open_share"] * len(words)

    def _accent_share(self, words: list[str]) -> float:
        """Share of letters outside ASCII: English barely uses them, most other languages do."""
        letters = accented = 0
        for word in words:
            for c in word:
                if c.isalpha():
                    letters += 1
                    if ord(c) > 127:
                        accented += 1
        return accented / letters if letters else 0.0

    def repeats(self) -> list[bool]:
        """Words inside a repeated run of ``repeat_ngram`` words (the first occurrence stays),
        in any script (see ``_repeated``): a word repeats when all of it does."""
        if self._repeats is None:
            owner, _, marks = self._repeated()
            repeated = [True] * self.n
            for word, mark in zip(owner, marks, strict=True):
                repeated[word] = repeated[word] and mark
            self._repeats = repeated
        return self._repeats

    def _repeated(self) -> tuple[list[int], list[bool], list[bool]]:
        """Repeats in every script. The text as units: a word, or each character of a word in
        a script written without spaces (Chinese, Japanese, Thai...), where a word weighs
        ``dense_chars_per_word`` characters. A unit repeats when it lies in a run of units
        weighing ``repeat_ngram`` words that came before: a repeated word, phrase, sentence or
        character, in any language. Returns each unit's word, whether the unit is such a
        character, and whether it repeats."""
        if self._repeated_units is None:
            per_word = int(self.t["dense_chars_per_word"])
            need = int(self.t["repeat_ngram"]) * per_word
            ranges = self.r.dense_ranges
            starts = [a for a, _ in ranges]
            lowest = min(starts, default=0x110000)
            units: list[str] = []
            weights: list[int] = []
            owner: list[int] = []
            dense: list[bool] = []
            for index, word in enumerate(self.words):
                kinds = (
                    [_in_ranges(ord(c), starts, ranges) for c in word]
                    if word and ord(max(word)) >= lowest  # most words: no need to look
                    else []
                )
                if any(kinds):
                    units.extend(word)
                    weights.extend([1] * len(kinds))
                    owner.extend([index] * len(kinds))
                    dense.extend(kinds)
                else:
                    units.append(word)
                    weights.append(per_word)
                    owner.append(index)
                    dense.append(False)
            marks = [False] * len(units)
            seen: set[tuple[str, ...]] = set()
            grams = tuple(units)
            for start, end in _spans(weights, need):
                gram = grams[start:end]
                if gram in seen:
                    marks[start:end] = [True] * (end - start)
                seen.add(gram)
            self._repeated_units = (owner, dense, marks)
        return self._repeated_units

    def _own_effective(self) -> int:
        """The word count of ``_scripts`` without the repeats."""
        per_word = int(self.t["dense_chars_per_word"])
        owner, dense, marks = self._repeated()
        own = [False] * self.n
        dense_own = [0] * self.n
        for word, is_dense, mark in zip(owner, dense, marks, strict=True):
            if not mark:
                own[word] = True
                dense_own[word] += is_dense
        return sum(
            max(1, -(-chars // per_word)) if chars else 1
            for keep, chars in zip(own, dense_own, strict=True)
            if keep
        )

    def _run_share(self) -> int:
        """Words in long runs with no function word, inside one phrase. English prose puts a
        function word every few words, even in notes and texting; word salad and keyword lists
        string many content words together."""
        words, ends, pauses = self.words, self.tokens.ends, self.tokens.pauses
        function_words, repeats = self.r.function_words, self.repeats()
        longest = int(self.t["salad_run_length"])
        total = run = 0
        for i, w in enumerate(words):
            if w in function_words or repeats[i]:
                total += run if run >= longest else 0
                run = 0
                continue
            run += 1
            if ends[i] or pauses[i]:
                total += run if run >= longest else 0
                run = 0
        return total + (run if run >= longest else 0)

    def _function_pairs(self) -> tuple[int, int]:
        """Function words next to another function word in the same sentence ("of the",
        "I was", "to be"), and all function words. English grammar clusters them, even in
        notes; words strung together with a few function words sprinkled in does not."""
        words, ends, function_words = self.words, self.tokens.ends, self.r.function_words
        is_function = [w in function_words for w in words]
        paired = 0
        for i, yes in enumerate(is_function):
            if not yes:
                continue
            left = i > 0 and is_function[i - 1] and not ends[i - 1]
            right = i + 1 < self.n and is_function[i + 1] and not ends[i]
            paired += 1 if left or right else 0
        return paired, sum(is_function)

    def _prompt_stems(self) -> frozenset[str]:
        return _prompt_stems(self.r, self.prompt)

    def _echo_sentences(self) -> list[bool]:
        """Sentences that restate the task: nearly all their content words come from the prompt,
        its release text or talk about the assignment ("in this reflection I am supposed to
        explain..."). A sentence that quotes the prompt and then answers it keeps its words."""
        r, t, n = self.r, self.t, self.n
        task = _task_stems(r, self.prompt, self.release)
        skip = r.function_words | r.common_words
        meta_at = _phrase_starts(self.words, r.meta_phrases)
        marks = [False] * n
        start = 0
        for i in range(n):
            if not (self.tokens.ends[i] or i == n - 1):
                continue
            content = [r.stem(w) for w in self.words[start : i + 1] if w not in skip]
            size = len(content)
            echoed = sum(1 for s in content if s in task)
            restated = size >= t["echo_min_content"] and echoed >= t["echo_min_share"] * size
            if not restated and size >= t["echo_meta_min_content"] and any(meta_at[start : i + 1]):
                # Talk about the task ("the question wants me to...") paraphrases the prompt
                # in words of its own: here, words describing a task count as restating too.
                echoed += sum(1 for s in content if s not in task and s in r.meta_stems)
                restated = echoed >= t["echo_meta_min_share"] * size
            if restated:
                for j in range(start, i + 1):
                    marks[j] = True
            start = i + 1
        return marks

    def _own_words(self) -> tuple[int, list[tuple[str, int]]]:
        """Words left once the prompt (copied or restated), the course reading and repeats are
        set aside."""
        t, n = self.t, self.n
        canon = self.r.canonical_words(self.words)
        size = int(t["prompt_ngram"])
        source = tokenize(self.prompt + "\n" + self.release).prose_words().norm
        source = self.r.canonical_words(source)
        grams = {tuple(source[i : i + size]) for i in range(len(source) - size + 1)}
        prompt_hits = [i for i in range(n - size + 1) if tuple(canon[i : i + size]) in grams]
        verbatim_prompt = _runs(n, prompt_hits, size, int(t["prompt_min_run"]))
        echo = self._echo_sentences()
        prompt = [a or b for a, b in zip(verbatim_prompt, echo, strict=True)]
        shingle = int(t["reading_shingle"])
        hashes = shingle_hashes(canon, shingle)
        reading_hits = [i for i, h in enumerate(hashes) if h in self.reading]
        min_run = int(t["reading_min_run"])
        reading_hits = _chained(reading_hits, min_run - shingle + 1)
        reading = _runs(n, reading_hits, shingle, min_run)
        repeats = self.repeats()
        covered = sum(1 for i in range(n) if prompt[i] or reading[i] or repeats[i])
        verbatim = sum(1 for i in range(n) if verbatim_prompt[i] or reading[i] or repeats[i])
        causes = [
            ("prompt_copy", sum(prompt)),
            ("reading_copy", sum(reading)),
            ("repetition", sum(repeats)),
        ]
        self.verbatim_own = n - verbatim
        return n - covered, causes

    def _impossible_bigrams(self) -> int:
        """Word pairs that English never puts side by side ("the of", "I the", "the."): a
        handful in a long text is a slip; many means the words are in no sensible order."""
        classes = self.r.classes
        function_words = self.r.function_words
        count = 0
        for i, a in enumerate(self.words):
            end = self.tokens.ends[i] or i == self.n - 1
            b = "" if end else self.words[i + 1]
            for first, second in self.r.impossible:
                if first == "@same":
                    hit = not end and a == b and a in function_words
                elif a not in classes[first]:
                    hit = False
                elif second == "@end":
                    hit = end
                else:
                    hit = not end and b in classes[second]
                if hit:
                    count += 1
                    break
        return count + self._inner_capitals()

    def _inner_capitals(self) -> int:
        """Function words written with a capital inside a sentence ("of At", "it But"): the
        trace of sentence starts moved by shuffling. After punctuation (a quote, a colon, a
        dash) a capital is normal; "I" always has one."""
        raw, words, ends, pauses = self.tokens.raw, self.words, self.tokens.ends, self.tokens.pauses
        function_words, first_person = self.r.function_words, self.r.first_person
        count = 0
        for i in range(1, self.n):
            word = raw[i]
            if ends[i - 1] or pauses[i - 1] or words[i] not in function_words:
                continue
            if words[i] in first_person or not "A" <= word[0] <= "Z":
                continue
            if word[1:] == word[1:].lower():
                count += 1
        return count

    def _topic_density(self) -> tuple[float, float, int]:
        """Shares of content words that belong to the course's themes, to the wider field of
        people, relations, power, feelings and judgement, or to the prompt; and of those that
        belong to another field's vocabulary (clinical, code, maths, games, recipes...) and
        not to the prompt. A text with more of another field than of this one is about that
        field: a reflection for another course, a review, a recipe."""
        r = self.r
        skip = r.function_words | r.common_words
        content = [r.stem(w) for w in self.words if w not in skip]
        if not content:
            return 0.0, 0.0, 0
        prompt = self._prompt_stems()
        topical = r.topic_stems | prompt
        hits = sum(1 for s in content if s in topical)
        other = sum(1 for s in content if s in r.domain_stems and s not in prompt)
        return hits / len(content), other / len(content), other

    def _reports(self) -> int:
        """Reporting verbs with a text as their subject ("the chapter explains", "it also
        argues"): a subject within ``summary_subject_window`` words before, same sentence."""
        r, words, ends = self.r, self.words, self.tokens.ends
        window = int(self.t["summary_subject_window"])
        count = 0
        for i, w in enumerate(words):
            if w not in r.reporting_verbs:
                continue
            for j in range(i - 1, max(-1, i - 1 - window), -1):
                if ends[j]:
                    break
                if words[j] in r.summary_subjects:
                    count += 1
                    break
        return count

    def _concrete(self) -> int:
        """Distinct words of a lived moment: past events, times, places, people."""
        return len({w for w in self.words if w in self.r.concrete_words})

    def _agreement(self) -> bool:
        """Most sentences, and several, agree with or praise the reading ("I agree with the
        essay", "the author is right"): agreement said many ways, in place of an answer."""
        words, ends, n = self.words, self.tokens.ends, self.n
        marked = _phrase_starts(words, self.r.agreement_phrases)
        vocabulary = self.r.agreement_words
        sentences = agreeing = start = 0
        for i in range(n):
            if not (ends[i] or i == n - 1):
                continue
            sentences += 1
            if any(marked[j] or words[j] in vocabulary for j in range(start, i + 1)):
                agreeing += 1
            start = i + 1
        t = self.t
        return (
            agreeing >= t["agreement_min_sentences"]
            and agreeing >= t["agreement_min_share"] * sentences
        )

    def _abstract_count(self) -> int:
        """Words and phrases of commitments and corporate values, not counting the prompt's
        own words. Genuine answers use a few; empty ones are made of them."""
        r = self.r
        prompt = self._prompt_stems()
        count = sum(1 for w in self.words if w in r.abstract_words and r.stem(w) not in prompt)
        return count + sum(_phrase_starts(self.words, r.abstract_phrases))

    def _personal_and_generic(self) -> tuple[int, float, float]:
        """First-person words; per 100 words, first-person and lived-experience words and
        stock generic phrasing."""
        r, n = self.r, self.n
        first_person = self._count(r.first_person)
        personal = first_person + sum(
            1 for w in self.words if w not in r.first_person and r.stem(w) in r.experience_stems
        )
        generic = self._count(r.generic_words) + sum(_phrase_starts(self.words, r.generic_phrases))
        return first_person, personal * 100 / n, generic * 100 / n


@lru_cache(maxsize=64)
def _task_stems(rules: Rules, prompt: str, release: str) -> frozenset[str]:
    """What a restatement of the task is made of: the prompt, its release text, and words
    about the assignment itself."""
    return _prompt_stems(rules, prompt + "\n" + release) | rules.task_stems


@lru_cache(maxsize=64)
def _prompt_stems(rules: Rules, prompt: str) -> frozenset[str]:
    """Stems of the prompt's content words (the same few prompts recur in every run)."""
    skip = rules.function_words | rules.common_words
    return rules.stems(w for w in tokenize(prompt).norm if w not in skip)


def _phrase_starts(words: tuple[str, ...], phrases: list[tuple[str, ...]]) -> list[bool]:
    """Where one of ``phrases`` starts in ``words``."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        by_first.setdefault(phrase[0], []).append(phrase)
    out = [False] * len(words)
    for i, w in enumerate(words):
        for phrase in by_first.get(w, ()):
            if words[i : i + len(phrase)] == phrase:
                out[i] = True
    return out


def _spans(weights: list[int], need: int) -> Iterator[tuple[int, int]]:
    """Each run of consecutive units, from every start, just long enough to weigh ``need``."""
    if len(set(weights)) == 1 and weights[0] > 0:  # all alike (words only): a fixed number
        span = -(-need // weights[0])
        yield from ((start, start + span) for start in range(len(weights) - span + 1))
        return
    end = total = 0
    for start in range(len(weights)):
        while end < len(weights) and total < need:
            total += weights[end]
            end += 1
        if total < need:
            return
        yield start, end
        total -= weights[start]


def _chained(starts: list[int], length: int) -> list[int]:
    """Only the starts that belong to ``length`` or more consecutive starts.

    The reading is a Bloom filter: about 1 lookup in 270 says "maybe" for words the reading
    never had, and two such strays a few words apart would look like a copied run and zero a
    genuine answer. A real copy of ``k`` words matches ``k - size + 1`` shingles in a row.
    """
    keep, chain = [], []
    for s in [*starts, None]:
        if chain and (s is None or s != chain[-1] + 1):
            if len(chain) >= length:
                keep.extend(chain)
            chain = []
        if s is not None:
            chain.append(s)
    return keep


def _runs(n: int, starts: list[int], size: int, min_run: int) -> list[bool]:
    """Mark the words inside matched n-grams, keeping only runs of at least ``min_run``."""
    marks = [False] * n
    for s in starts:
        for j in range(s, min(n, s + size)):
            marks[j] = True
    i = 0
    while i < n:
        if not marks[i]:
            i += 1
            continue
        j = i
        while j < n and marks[j]:
            j += 1
        if j - i < min_run:
            for k in range(i, j):
                marks[k] = False
        i = j
    return marks
