//! Assessments of the keyphrase itself: its length, whether it is made of function words only,
//! and whether other pages of the site already use it.

use super::{Context, Missing, SeoAssessment, SeoAssessmentId};

/// Content words: 1 to 4 is good, 5 to 8 ok, more bad. Without a function-word list every word
/// counts, so the limits are wider (6 and 9), as in Yoast.
pub(super) fn keyphrase_length(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::KeyphraseLength;
    let Some(topic) = &cx.topic else {
        return SeoAssessment::missing(id, -999, Missing::Keyphrase);
    };
    let (good, ok) = if cx.page.language.support().function_words {
        (4, 8)
    } else {
        (6, 9)
    };
    let length = topic.keyphrase.content_words();
    let score = if length <= good {
        9
    } else if length <= ok {
        6
    } else {
        3
    };
    SeoAssessment::new(id, score, length as f64)
        .thresholds(&[("good_words", good as f64), ("ok_words", ok as f64)])
}

/// Only a keyphrase of function words alone gets this result, a grey remark scored 0.
pub(super) fn function_words(cx: &Context<'_>) -> Option<SeoAssessment> {
    let topic = cx.topic.as_ref()?;
    topic.keyphrase.only_function_words().then(|| {
        SeoAssessment::new(
            SeoAssessmentId::FunctionWordsInKeyphrase,
            0,
            topic.keyphrase.content_words() as f64,
        )
    })
}

/// Other items of the site with the same keyphrase compete with this one: none is good, one ok.
pub(super) fn previously_used(cx: &Context<'_>) -> SeoAssessment {
    let id = SeoAssessmentId::PreviouslyUsedKeyphrase;
    if cx.topic.is_none() {
        return SeoAssessment::missing(id, 1, Missing::Keyphrase);
    }
    let score = match cx.page.previously_used {
        0 => 9,
        1 => 6,
        _ => 1,
    };
    SeoAssessment::new(id, score, cx.page.previously_used as f64)
}
