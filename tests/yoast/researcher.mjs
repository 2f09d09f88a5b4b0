// Prints, for every HTML file in the analyzer corpus, the numbers yoastseo's Flesch reading ease
// research works from: words, sentences and syllables (taken the way getFleschReadingScore takes
// them: numbers stripped, then its own helpers), the score itself, and the scores of the
// readability assessments with their aggregate. The output is the golden file the Rust agreement
// test compares against.
//
// A document with SEO inputs has them in a sidecar next to it, NAME.seo.json:
//   { "keyphrase": "", "synonyms": [], "title": "", "title_width": 0,
//     "meta_description": "", "slug": "", "url": "" }
// (keyphrase, title and title_width required; an empty keyphrase is no keyphrase). For those
// documents it also runs the default post and page SEOAssessor of the installed yoastseo on a Paper
// of the text and those inputs, and records each assessment's score by its identifier and the
// assessor's calculateOverallScore(). What the assessor would otherwise get from the editor:
// - The SEO title's width in pixels, which Yoast measures in the browser's DOM, is the sidecar's
//   title_width: our estimate from Arial's advance widths, which the Rust test checks the sidecar
//   against, so both sides score the same width.
// - The permalink is the sidecar's url: Yoast tells internal links from external ones by its host.
// - Synonyms are joined by commas, the form Yoast's synonyms field takes.
// - No morphology data is loaded (it is not part of the npm package), so Yoast matches keyphrase
//   words by their exact forms; the Rust test lists where our stem matching differs from that.
// - The assessor builds the paper's tree itself (assess calls setTree).
//
// Regenerate from the repository root:
//   npm --prefix tests/yoast ci && node tests/yoast/researcher.mjs > tests/fixtures/analyzer/yoast.json
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const build = "yoastseo/build";
const { Paper, ContentAssessor, SeoAssessor } = require("yoastseo");
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

function seo(name, html, locale, researchers) {
  const sidecar = join(corpus, name.replace(/\.html$/, ".seo.json"));
  if (!existsSync(sidecar)) {
    return null;
  }
  const inputs = JSON.parse(readFileSync(sidecar, "utf8"));
  const paper = new Paper(html, {
    keyword: inputs.keyphrase,
    synonyms: (inputs.synonyms ?? []).join(", "),
    title: inputs.title,
    titleWidth: inputs.title_width,
    description: inputs.meta_description ?? "",
    slug: inputs.slug ?? "",
    permalink: inputs.url ?? "",
    locale,
  });
  const assessor = new SeoAssessor(researchers(paper));
  assessor.assess(paper);
  const assessments = Object.fromEntries(
    assessor.getValidResults().map((result) => [result.getIdentifier(), result.getScore()]),
  );
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
    seo: seo(name, html, locales[language], (seoPaper) => new researchers[language](seoPaper)),
  };
}
process.stdout.write(JSON.stringify({ yoastseo: version, documents }, null, 2) + "\n");
