// Run the JavaScript reflection rules over JSON lines on stdin: each line {"text", "settings"}.
// Prints one JSON verdict per line, with the learned second opinion of model.json beside
// rules.json. Usage: node run_rules.mjs RULES_JSON READING_JSON [--time N | --opinion]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { evaluate, opinion } = await import(pathToFileURL(resolve(here, "../../allyship/reflection/rules.js")));
const [rulesPath, readingPath, flag, rounds] = process.argv.slice(2);
const rules = JSON.parse(readFileSync(rulesPath, "utf8"));
const model = JSON.parse(readFileSync(resolve(dirname(rulesPath), "model.json"), "utf8"));
const reading = readingPath && readingPath !== "-" ? JSON.parse(readFileSync(readingPath, "utf8")) : null;
const items = readFileSync(0, "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));

if (flag === "--time") {
  // Benchmark mode: evaluate every item `rounds` times, report the total in microseconds.
  const n = Number(rounds || 1);
  for (const it of items) evaluate(it.text, it.settings, rules, reading, model); // warm-up
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < n; r++) for (const it of items) evaluate(it.text, it.settings, rules, reading, model);
  const t1 = process.hrtime.bigint();
  let words = 0;
  const w0 = process.hrtime.bigint();
  for (let r = 0; r < n; r++) for (const it of items) words += (it.text.match(/\w+/g) || []).length;
  const w1 = process.hrtime.bigint();
  console.log(JSON.stringify({ rounds: n, items: items.length, rules_us: Number(t1 - t0) / 1000, wordcount_us: Number(w1 - w0) / 1000, words }));
} else if (flag === "--opinion") {
  for (const it of items) console.log(JSON.stringify(opinion(it.text, model)));
} else {
  for (const it of items) console.log(JSON.stringify(evaluate(it.text, it.settings, rules, reading, model)));
}
