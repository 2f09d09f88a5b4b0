//! Keywords from CSV: a header row naming `keyword` and optionally `volume`, `difficulty` and
//! `intent` (any order, any case, other columns ignored), one keyword per row. Rows with the
//! same normalised keyword are one keyword: the first row wins. Every bad value is reported
//! with its row (counting the header as row 1) and column.

use crate::domain::intent::SearchIntent;
use crate::planner::normalize::normalize;
use crate::store::keywords::NewKeyword;

/// Reporting stops after this many problems.
const MAX_PROBLEMS: usize = 20;

/// The keywords of a file, and how many rows repeated an earlier keyword.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCsv {
    pub keywords: Vec<NewKeyword>,
    pub duplicates: usize,
}

/// A value a keyword may not have.
pub fn check_volume(raw: i64) -> Result<i32, String> {
    i32::try_from(raw).ok().filter(|v| *v >= 0).ok_or_else(|| {
        format!(
            "expected a whole number from 0 to {}, found {raw}",
            i32::MAX
        )
    })
}

pub fn check_difficulty(raw: i64) -> Result<i16, String> {
    i16::try_from(raw)
        .ok()
        .filter(|d| (0..=100).contains(d))
        .ok_or_else(|| format!("expected 0 to 100, found {raw}"))
}

/// Reads a keyword file; `Err` lists the problems found (at most [`MAX_PROBLEMS`]).
pub fn parse(text: &str) -> Result<ParsedCsv, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| vec![format!("row 1: cannot read the header: {err}")])?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(keyword_at) = column("keyword") else {
        return Err(vec![
            "row 1: the header has no keyword column (expected keyword and optionally volume, difficulty, intent)"
                .to_owned(),
        ]);
    };
    let (volume_at, difficulty_at, intent_at) =
        (column("volume"), column("difficulty"), column("intent"));
    let mut problems = Vec::new();
    let mut keywords: Vec<NewKeyword> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0;
    for (index, record) in reader.records().enumerate() {
        let row = index + 2;
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                problems.push(format!("row {row}: {err}"));
                continue;
            }
        };
        let field = |at: Option<usize>| at.and_then(|i| record.get(i)).filter(|v| !v.is_empty());
        let mut problem = |column: &str, message: String| {
            problems.push(format!("row {row}, column {column}: {message}"));
        };
        let Some(keyword) = field(Some(keyword_at)) else {
            problem("keyword", "expected a keyword, found nothing".to_owned());
            continue;
        };
        let normalized = normalize(keyword);
        if keyword.chars().count() > 255 {
            problem("keyword", "expected at most 255 characters".to_owned());
            continue;
        }
        let number = |raw: &str| -> Result<i64, String> {
            raw.replace(',', "")
                .parse::<i64>()
                .map_err(|_| format!("expected a whole number, found {raw:?}"))
        };
        let volume = match field(volume_at).map(|v| number(v).and_then(check_volume)) {
            Some(Err(message)) => {
                problem("volume", message);
                continue;
            }
            other => other.transpose().ok().flatten(),
        };
        let difficulty = match field(difficulty_at).map(|v| number(v).and_then(check_difficulty)) {
            Some(Err(message)) => {
                problem("difficulty", message);
                continue;
            }
            other => other.transpose().ok().flatten(),
        };
        let intent = match field(intent_at).map(str::parse::<SearchIntent>) {
            Some(Err(message)) => {
                problem("intent", message);
                continue;
            }
            other => other.transpose().ok().flatten(),
        };
        if !seen.insert(normalized.clone()) {
            duplicates += 1;
            continue;
        }
        keywords.push(NewKeyword {
            keyword: keyword.to_owned(),
            normalized,
            volume,
            difficulty,
            intent,
        });
    }
    if problems.is_empty() {
        Ok(ParsedCsv {
            keywords,
            duplicates,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_name_and_duplicates_folded() {
        let parsed = parse(
            "Intent,Keyword,Volume,Difficulty,cpc\n\
             commercial,Best Running Shoes,\"1,200\",45,1.2\n\
             ,best  running shoes,10,,\n\
             ,trail shoes,,,\n",
        )
        .unwrap();
        assert_eq!(parsed.duplicates, 1);
        assert_eq!(parsed.keywords.len(), 2);
        let first = &parsed.keywords[0];
        assert_eq!(first.keyword, "Best Running Shoes");
        assert_eq!(first.normalized, "best running shoes");
        assert_eq!(first.volume, Some(1200));
        assert_eq!(first.difficulty, Some(45));
        assert_eq!(first.intent, Some(SearchIntent::Commercial));
        assert_eq!(parsed.keywords[1].volume, None);
    }

    #[test]
    fn bad_values_are_named_by_row_and_column() {
        let problems = parse(
            "keyword,volume,difficulty,intent\nshoes,many,,\nboots,1,101,\nhats,,,curious\n,1,,\n",
        )
        .unwrap_err();
        assert_eq!(problems.len(), 4);
        assert!(
            problems[0].starts_with("row 2, column volume: expected a whole number"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("row 3, column difficulty: expected 0 to 100"),
            "{problems:?}"
        );
        assert!(
            problems[2].starts_with("row 4, column intent: expected one of"),
            "{problems:?}"
        );
        assert!(
            problems[3].starts_with("row 5, column keyword"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_file_without_a_keyword_column_is_refused() {
        let problems = parse("term,volume\nshoes,1\n").unwrap_err();
        assert!(problems[0].contains("no keyword column"));
    }
}
