// Prints, for every HTML file in the analyzer corpus, the numbers yoastseo's Flesch reading ease
// research works from: words, sentences and syllables (taken the way getFleschReadingScore takes
// them: numbers stripped, then its own helpers), the score itself, and the scores of the
// readability assessments with their aggregate. The output is the golden file the Rust agreement
// test compares against.
//
// Regenerate from the repository root:
//   npm --prefix tests/yoast ci && node tests/yoast/researcher.mjs > tests/fixtures/analyzer/yoast.json
import { readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const build = "yoastseo/build";
const { Paper, ContentAssessor } = require("yoastseo");
const buildTree = require(`${build}/parse/build/build.js`).default;
const LanguageProcessor = require(`${build}/parse/language/LanguageProcessor.js`).default;
// Documents are English unless their name starts with another language's code ("es-", "it-", ...).
const locales = { en: "en_US", de: "de_DE", es: "es_ES", fr: "fr_FR", it: "it_IT", nl: "nl_NL", pt: "pt_BR", ru: "ru_RU" };
const researchers = Object.fromEntries(
  Object.keys(locales).map((language) => [language, require(`${build}/languageProcessing/languages/${language}/Researcher.js`).default]),
);
const languageOf = (name) => Object.keys(locales).find((language) => name.startsWith(`${language}-`)) ?? "en";
const stripNumbers = require(`${build}/languageProcessing/helpers/sanitize/stripNumbers.js`).default;
const countSentences = require(`${build}/languageProcessing/helpers/sentence/countSentences.js`).default;
const countWords = require(`${build}/languageProcessing/helpers/word/countWords.js`).default;
const countSyllables = require(`${build}/languageProcessing/helpers/syllables/countSyllables.js`).default;
const version = require("yoastseo/package.json").version;

const corpus = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "../fixtures/analyzer");
// yoastseo's assessment identifiers, by ours.
const assessmentIds = {
  sentence_length: "textSentenceLength",
  paragraph_length: "textParagraphTooLong",
  subheading_distribution: "subheadingsTooLong",
  text_presence: "textPresence",
  sentence_beginnings: "sentenceBeginnings",
  transition_words: "textTransitionWords",
  passive_voice: "passiveVoice",
};

function readability(paper, researcher) {
  paper.setTree(buildTree(paper, new LanguageProcessor(researcher)));
  const assessor = new ContentAssessor(researcher);
  assessor.assess(paper);
  const scores = Object.fromEntries(assessor.getValidResults().map((result) => [result.getIdentifier(), result.getScore()]));
  const assessments = {};
  for (const [ours, theirs] of Object.entries(assessmentIds)) {
    if (theirs in scores) {
      assessments[ours] = scores[theirs];
    }
  }
  return { score: assessor.calculateOverallScore(), assessments };
}

const files = readdirSync(corpus).filter((name) => name.endsWith(".html")).sort();

const documents = {};
for (const name of files) {
  const html = readFileSync(join(corpus, name), "utf8");
  const language = languageOf(name);
  const paper = new Paper(html, { locale: locales[language] });
  const researcher = new researchers[language](paper);
  const text = stripNumbers(html);
  const tokenizer = researcher.getHelper("memoizedTokenizer");
  const flesch = researcher.getResearch("getFleschReadingScore");
  documents[name] = {
    locale: locales[language],
    words: countWords(text),
    sentences: countSentences(text, tokenizer),
    syllables: countSyllables(text, researcher.getConfig("syllables")),
    flesch_reading_ease: flesch.score === -1 ? null : flesch.score,
    // Only English runs the same readability assessments as ours.
    readability: language === "en" ? readability(paper, researcher) : null,
  };
}
process.stdout.write(JSON.stringify({ yoastseo: version, documents }, null, 2) + "\n");
