//! The rendered width of a title in a search result, estimated without a font renderer.
//!
//! Search results set titles in Arial at 20 px, the size Yoast measures the snippet title in. The
//! width is the sum of each character's advance width in Arial (units per 1000 em, from the
//! font's metrics) scaled to 20 px. Characters outside the table count as Arial's average
//! lower-case width (556), and wide scripts (CJK, Hangul, full-width forms) as a full em. Kerning
//! is ignored; on Latin titles the estimate stays within a few pixels of a browser's.

const FONT_PX: f64 = 20.0;
const AVERAGE: u16 = 556;
const FULL_EM: u16 = 1000;

/// The estimated width of `title` in whole pixels.
pub fn title_width_px(title: &str) -> f64 {
    let units: u32 = title.chars().map(|c| u32::from(advance(c))).sum();
    (f64::from(units) * FONT_PX / 1000.0).round()
}

/// Arial's advance width of `c`, in thousandths of an em.
fn advance(c: char) -> u16 {
    match c {
        ' ' | '!' | ',' | '.' | '/' | ':' | ';' | 'I' | '[' | ']' | 'f' | 't' | '\\' => 278,
        'i' | 'j' | 'l' => 222,
        '\'' => 191,
        '|' => 260,
        '"' => 355,
        '-' | '(' | ')' | 'r' | '`' | '{' | '}' => 333,
        '*' => 389,
        '^' => 469,
        '+' | '<' | '=' | '>' | '~' => 584,
        '&' | 'A' | 'B' | 'E' | 'K' | 'P' | 'S' | 'V' | 'X' | 'Y' => 667,
        'F' | 'T' | 'Z' => 611,
        'C' | 'D' | 'H' | 'N' | 'R' | 'U' | 'w' => 722,
        'G' | 'O' | 'Q' => 778,
        'M' | 'm' => 833,
        '%' => 889,
        'W' => 944,
        '@' => 1015,
        'J' | 'c' | 'k' | 's' | 'v' | 'x' | 'y' | 'z' => 500,
        'L' | '?' | '#' | '$' | '_' | '0'..='9' => 556,
        'a' | 'b' | 'd' | 'e' | 'g' | 'h' | 'n' | 'o' | 'p' | 'q' | 'u' => 556,
        '\u{2013}' => 556,
        '\u{2014}' => 1000,
        '\u{1100}'..='\u{11ff}'
        | '\u{2e80}'..='\u{a4cf}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{ff00}'..='\u{ff60}' => FULL_EM,
        _ => AVERAGE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_add_up_per_character() {
        assert_eq!(title_width_px(""), 0.0);
        // i (222) + l (222) + W (944) = 1388 thousandths of 20 px.
        assert_eq!(title_width_px("ilW"), 28.0);
        assert_eq!(title_width_px("中文"), 40.0);
    }
}
