//! `igny8 analyze`: HTML files, and the HTML files under directories, analysed as the pipeline
//! analyses content, with no database. A readable table by default; with `--json`, one JSON
//! object per file and line, in path order. With `--numbers-only`, the lines hold only the
//! readability numbers (words, sentences, syllables, reading ease), measured without the
//! assessments: the same work a readability library does, for comparing with one.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use serde_json::{Value, json};

use crate::pipeline::analyzer::report::{Page, Report, report};
use crate::pipeline::analyzer::{Readability, readability};
use crate::pipeline::language::Language;
use crate::pipeline::ruleset::{Profile, Ruleset};

/// What every file is analysed with.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub keyphrase: Option<String>,
    pub title: Option<String>,
    pub meta_description: Option<String>,
    pub slug: Option<String>,
    pub language: Language,
    pub profile: Profile,
    pub json: bool,
    /// JSON lines with the readability numbers alone, no assessments.
    pub numbers_only: bool,
}

/// A file that could not be analysed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub path: PathBuf,
    pub reason: String,
}

/// The files to analyse: each file named, and every `.html` or `.htm` file under each
/// directory named, in path order so a run's output order is stable.
pub fn files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Failure>) {
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        if path.is_dir() {
            if let Err(err) = walk(path, &mut found) {
                failures.push(Failure {
                    path: path.clone(),
                    reason: format!("cannot read the directory: {err}"),
                });
            }
        } else {
            found.push(path.clone());
        }
    }
    (found, failures)
}

/// Pushes the HTML files under `dir` in path order: each directory's entries are sorted by name
/// before any is followed, which is the order of the whole paths, since paths compare name by
/// name. Sorting the whole list after the walk instead compared every pair of paths component
/// by component, and took longer than the walk.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        // The directory listing tells most entries' kind without asking the file system about
        // each.
        entries.push((entry.path(), entry.file_type()?));
    }
    // Every entry's path is `dir` joined with its name, so the paths' bytes sort as the names.
    entries.sort_unstable_by(|(a, _), (b, _)| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    for (path, kind) in entries {
        // A symbolic link is followed to see whether it names a directory.
        if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
            walk(&path, found)?;
        } else if path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm"))
        {
            found.push(path);
        }
    }
    Ok(())
}

thread_local! {
    /// Room for the file being read, kept from file to file on each thread.
    static FILE_BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with the text of one file, which must be UTF-8.
fn with_html<R>(path: &Path, f: impl FnOnce(&str) -> R) -> Result<R, String> {
    FILE_BYTES.with_borrow_mut(|buffer| {
        let len = read_whole(path, buffer).map_err(|err| format!("cannot read the file: {err}"))?;
        let html = std::str::from_utf8(&buffer[..len]).map_err(|err| {
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                err.valid_up_to()
            )
        })?;
        Ok(f(html))
    })
}

/// Reads the whole file at `path` into the start of `buffer` and returns its length. The buffer
/// keeps its length from file to file (bytes past the file's are stale) and doubles when a file
/// fills it, so a file is read without asking its size first: `std::fs::read` asks the file
/// system for every file's size, a system call per file that a buffer already big enough
/// does not need.
fn read_whole(path: &Path, buffer: &mut Vec<u8>) -> io::Result<usize> {
    let mut file = File::open(path)?;
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize((buffer.len() * 2).max(64 * 1024), 0);
        }
        match file.read(&mut buffer[filled..]) {
            Ok(0) => return Ok(filled),
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

/// Analyses one file.
pub fn analyze_file(path: &Path, options: &Options) -> Result<Report, String> {
    with_html(path, |html| analyze_html(html, options))?
}

fn analyze_html(html: &str, options: &Options) -> Result<Report, String> {
    let page = Page {
        html,
        title: options.title.as_deref().unwrap_or(""),
        meta_description: options.meta_description.as_deref(),
        slug: options.slug.as_deref(),
        keyphrase: options.keyphrase.as_deref(),
        synonyms: &[],
        language: options.language,
        url: None,
        previously_used: 0,
    };
    report(&page, Ruleset::for_profile(options.profile))
        .map_err(|err| format!("cannot read the HTML: {err}"))
}

/// Measures one file's readability numbers, without the assessments.
pub fn measure_file(path: &Path, language: Language) -> Result<Readability, String> {
    with_html(path, |html| readability(html, language))?
        .map_err(|err| format!("cannot read the HTML: {err}"))
}

/// One file's JSON line of `--numbers-only`.
pub fn numbers_line(path: &Path, numbers: &Readability) -> Value {
    json!({
        "path": path.display().to_string(),
        "language": numbers.language,
        "words": numbers.words,
        "sentences": numbers.sentences,
        "syllables": numbers.syllables,
        "flesch_reading_ease": numbers.flesch_reading_ease,
    })
}

/// One file's JSON line.
pub fn json_line(path: &Path, report: &Report) -> Value {
    let whole = serde_json::to_value(report).expect("a report serializes");
    let mut assessments = Vec::new();
    for part in ["seo", "readability"] {
        if let Some(list) = whole[part]["assessments"].as_array() {
            assessments.extend(list.iter().cloned());
        }
    }
    json!({
        "path": path.display().to_string(),
        "language": whole["numbers"]["language"],
        "profile": whole["profile"],
        "ruleset_version": whole["ruleset_version"],
        "words": report.numbers.words,
        "sentences": report.numbers.sentences,
        "syllables": report.numbers.syllables,
        "flesch_reading_ease": report.numbers.flesch_reading_ease,
        "seo_score": report.seo.score,
        "readability_score": report.readability.score,
        "engagement_score": report.engagement.score,
        "overall_score": report.overall,
        "assessments": assessments,
        "engagement": whole["engagement"],
    })
}

/// What became of one file.
enum Outcome {
    /// The file's JSON line, without its newline.
    Line(String),
    /// The file's report, for the table.
    Row(Report),
    Failed(String),
}

fn outcome(path: &Path, options: &Options) -> Outcome {
    if options.numbers_only {
        return match measure_file(path, options.language) {
            Ok(numbers) => Outcome::Line(numbers_line(path, &numbers).to_string()),
            Err(reason) => Outcome::Failed(reason),
        };
    }
    match analyze_file(path, options) {
        Ok(report) if options.json => Outcome::Line(json_line(path, &report).to_string()),
        Ok(report) => Outcome::Row(report),
        Err(reason) => Outcome::Failed(reason),
    }
}

/// Analyses every file and writes the results to `out`; returns the files that failed. Files are
/// analysed on as many threads as the process may run on (one when confined to one core), and
/// written in path order whatever order they finish in.
pub fn run(paths: &[PathBuf], options: &Options, out: &mut impl Write) -> io::Result<Vec<Failure>> {
    let workers = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    run_on(paths, options, workers, out)
}

/// [`run`] on `workers` threads.
pub fn run_on(
    paths: &[PathBuf],
    options: &Options,
    workers: usize,
    out: &mut impl Write,
) -> io::Result<Vec<Failure>> {
    let (files, mut failures) = files(paths);
    // One write per line would make the output a system call per file.
    let mut out = io::BufWriter::new(out);
    let mut rows = Vec::new();
    in_order(
        &files,
        workers,
        |path| outcome(path, options),
        |path, outcome| {
            match outcome {
                Outcome::Line(line) => writeln!(out, "{line}")?,
                Outcome::Row(report) => rows.push((path.clone(), report)),
                Outcome::Failed(reason) => failures.push(Failure {
                    path: path.clone(),
                    reason,
                }),
            }
            Ok(())
        },
    )?;
    if !options.json && !options.numbers_only {
        out.write_all(table(&rows).as_bytes())?;
    }
    out.flush()?;
    Ok(failures)
}

/// Runs `work` on every item, on up to `workers` threads, and hands each result to `take` in the
/// items' order. A thread claims the next unclaimed run of items when it is done with one, so a
/// slow item holds up no other thread; results that finish early wait until those before them are
/// taken. Runs are short next to the whole list but many items long: a message per item would
/// wake the taking thread for every file and cost more CPU than small files take to read. The
/// first error of `take` stops the run.
fn in_order<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    work: impl Fn(&T) -> R + Sync,
    mut take: impl FnMut(&T, R) -> io::Result<()>,
) -> io::Result<()> {
    let workers = workers.min(items.len());
    if workers <= 1 {
        return items.iter().try_for_each(|item| take(item, work(item)));
    }
    let run = (items.len() / (workers * 32)).clamp(1, 64);
    let runs: Vec<&[T]> = items.chunks(run).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, work, runs) = (&next, &work, &runs);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(run) = runs.get(index) else {
                        break;
                    };
                    let results: Vec<R> = run.iter().map(work).collect();
                    // The receiver is gone only when `take` failed: stop claiming work.
                    if sender.send((index, results)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (index, results) in receiver {
            waiting.insert(index, results);
            while let Some(results) = waiting.remove(&due) {
                for (item, result) in runs[due].iter().zip(results) {
                    take(item, result)?;
                }
                due += 1;
            }
        }
        Ok(())
    })
}

/// The results as an aligned table.
pub fn table(rows: &[(PathBuf, Report)]) -> String {
    let paths: Vec<String> = rows.iter().map(|(p, _)| p.display().to_string()).collect();
    let width = paths.iter().map(String::len).max().unwrap_or(0).max(4);
    let mut text = format!(
        "{:<width$}  {:>6}  {:>9}  {:>9}  {:>6}  {:>3}  {:>11}  {:>10}  {:>7}\n",
        "file",
        "words",
        "sentences",
        "syllables",
        "flesch",
        "seo",
        "readability",
        "engagement",
        "overall"
    );
    for (path, (_, report)) in paths.iter().zip(rows) {
        let flesch = report
            .numbers
            .flesch_reading_ease
            .map_or_else(|| "-".to_owned(), |f| format!("{f:.1}"));
        let _ = writeln!(
            text,
            "{path:<width$}  {:>6}  {:>9}  {:>9}  {flesch:>6}  {:>3}  {:>11}  {:>10}  {:>7}",
            report.numbers.words,
            report.numbers.sentences,
            report.numbers.syllables,
            report.seo.score,
            report.readability.score,
            report.engagement.score,
            report.overall
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: bool) -> Options {
        Options {
            keyphrase: Some("french press".to_owned()),
            title: Some("How to use a French press".to_owned()),
            meta_description: None,
            slug: None,
            language: Language::English,
            profile: Profile::Default,
            json,
            numbers_only: false,
        }
    }

    const PAGE: &str = "<h1>French press</h1><p>A French press makes a rich cup. Coarse grounds \
        steep for four minutes before you press the plunger down slowly.</p>";

    #[test]
    fn directories_are_walked_for_html_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("b")).unwrap();
        std::fs::write(dir.path().join("b/two.htm"), PAGE).unwrap();
        std::fs::write(dir.path().join("a.html"), PAGE).unwrap();
        // Paths compare name by name: "b/two.htm" comes before "b.html", though `/` is a
        // greater byte than `.`.
        std::fs::write(dir.path().join("b.html"), PAGE).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "skip me").unwrap();
        // Links are followed, to a directory as to a file.
        std::os::unix::fs::symlink(dir.path().join("b"), dir.path().join("c")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a.html"), dir.path().join("d.html")).unwrap();
        let (found, failures) = files(&[dir.path().to_owned()]);
        assert!(failures.is_empty());
        assert_eq!(
            found,
            [
                dir.path().join("a.html"),
                dir.path().join("b/two.htm"),
                dir.path().join("b.html"),
                dir.path().join("c/two.htm"),
                dir.path().join("d.html"),
            ]
        );
    }

    #[test]
    fn json_lines_carry_the_numbers_and_the_assessments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.html");
        std::fs::write(&path, PAGE).unwrap();
        let mut out = Vec::new();
        let failures = run(std::slice::from_ref(&path), &options(true), &mut out).unwrap();
        assert!(failures.is_empty());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let line: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["path"], path.display().to_string());
        assert_eq!(line["words"], 22);
        assert_eq!(line["sentences"], 3);
        assert!(line["flesch_reading_ease"].is_f64());
        assert!(line["seo_score"].as_u64().unwrap() <= 100);
        let ids: Vec<&str> = line["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"keyphrase_density"), "{ids:?}");
        assert!(ids.contains(&"sentence_length"), "{ids:?}");
    }

    #[test]
    fn numbers_only_lines_carry_the_counts_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.html");
        std::fs::write(&path, PAGE).unwrap();
        let full = analyze_file(&path, &options(true)).unwrap();
        let mut out = Vec::new();
        let numbers_only = Options {
            numbers_only: true,
            ..options(true)
        };
        let failures = run(std::slice::from_ref(&path), &numbers_only, &mut out).unwrap();
        assert!(failures.is_empty());
        let line: Value = serde_json::from_str(String::from_utf8(out).unwrap().trim()).unwrap();
        assert_eq!(
            line,
            json!({
                "path": path.display().to_string(),
                "language": "english",
                "words": full.numbers.words,
                "sentences": full.numbers.sentences,
                "syllables": full.numbers.syllables,
                "flesch_reading_ease": full.numbers.flesch_reading_ease,
            })
        );
    }

    #[test]
    fn runs_of_items_are_taken_in_order() {
        let items: Vec<usize> = (0..1000).collect();
        let mut taken = Vec::new();
        in_order(
            &items,
            3,
            |&n| n * 2,
            |&n, doubled| {
                taken.push((n, doubled));
                Ok(())
            },
        )
        .unwrap();
        let expected: Vec<(usize, usize)> = items.iter().map(|&n| (n, n * 2)).collect();
        assert_eq!(taken, expected);
    }

    #[test]
    fn threads_keep_the_output_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        for n in 0..40 {
            // Pages of different lengths finish out of order on several threads.
            let page = format!(
                "<p>{}</p>",
                "Coarse grounds steep slowly. ".repeat(n * 7 % 40 + 1)
            );
            std::fs::write(dir.path().join(format!("{n:02}.html")), page).unwrap();
        }
        let paths = [dir.path().to_owned()];
        for options in [
            options(true),
            Options {
                numbers_only: true,
                ..options(true)
            },
            options(false),
        ] {
            let mut alone = Vec::new();
            run_on(&paths, &options, 1, &mut alone).unwrap();
            let mut shared = Vec::new();
            run_on(&paths, &options, 3, &mut shared).unwrap();
            let alone = String::from_utf8(alone).unwrap();
            assert_eq!(alone, String::from_utf8(shared).unwrap());
            let names: Vec<&str> = alone
                .lines()
                .filter_map(|line| line.split(".html").next()?.rsplit('/').next())
                .filter(|name| name.len() == 2)
                .collect();
            let expected: Vec<String> = (0..40).map(|n| format!("{n:02}")).collect();
            assert_eq!(names, expected);
        }
    }

    #[test]
    fn files_are_read_whole_into_a_buffer_kept_between_them() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short.html");
        let long = dir.path().join("long.html");
        std::fs::write(&short, "<p>Hi</p>").unwrap();
        // Several times the buffer's first size, so it grows while the file is read.
        std::fs::write(&long, "<p>A word or two.</p>".repeat(20_000)).unwrap();
        for path in [&short, &long, &short] {
            let read = with_html(path, str::to_owned).unwrap();
            assert_eq!(read, std::fs::read_to_string(path).unwrap());
        }
    }

    #[test]
    fn unreadable_files_are_reported_and_the_rest_analysed() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.html");
        let bad = dir.path().join("bad.html");
        std::fs::write(&good, PAGE).unwrap();
        std::fs::write(&bad, [0x3c, 0x70, 0x3e, 0xff, 0xfe]).unwrap();
        let missing = dir.path().join("missing.html");
        let mut out = Vec::new();
        let failures = run(
            &[good, bad.clone(), missing.clone()],
            &options(false),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.lines().nth(1).unwrap().contains("good.html"));
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].path, bad);
        assert_eq!(
            failures[0].reason,
            "not UTF-8 text (invalid byte at offset 3)"
        );
        assert_eq!(failures[1].path, missing);
        assert!(failures[1].reason.starts_with("cannot read the file"));
    }
}
