//! What the results of every assessment share: Yoast's traffic light for a score and the named
//! limits an assessment applied, which reports show next to the measured value.

use serde::Serialize;

/// Yoast's traffic light for a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Score 0: a remark that is neither good nor bad (a keyphrase of function words only).
    Feedback,
    Bad,
    Ok,
    Good,
}

impl Rating {
    /// Yoast's bands: 0 is feedback, up to 4 (negative scores included) bad, 5 to 7 ok, above good.
    pub fn of(score: i16) -> Rating {
        match score {
            0 => Rating::Feedback,
            i16::MIN..=4 => Rating::Bad,
            5..=7 => Rating::Ok,
            _ => Rating::Good,
        }
    }
}

/// A named limit an assessment applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Threshold {
    pub name: &'static str,
    pub value: f64,
}

impl Threshold {
    pub(crate) fn list(thresholds: &[(&'static str, f64)]) -> Vec<Threshold> {
        thresholds
            .iter()
            .map(|&(name, value)| Threshold { name, value })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_follow_yoasts_bands() {
        let ratings: Vec<Rating> = [-999, -10, 0, 1, 4, 5, 7, 8, 9]
            .into_iter()
            .map(Rating::of)
            .collect();
        use Rating::*;
        assert_eq!(ratings, [Bad, Bad, Feedback, Bad, Bad, Ok, Ok, Good, Good]);
    }
}
