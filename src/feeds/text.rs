//! RFC 5545 content-line helpers: TEXT escaping and line folding.
//!
//! Every user-supplied string that ends up in a feed goes through [`escape_text`] (for TEXT
//! values such as SUMMARY, DESCRIPTION, LOCATION) or [`escape_param_value`] (for parameter
//! values such as `CN=`), and every finished content line goes through [`fold_line`]. Together
//! they guarantee that user input can never start a new content line (no property or component
//! injection), that every physical line is at most 75 octets, and that no fold splits a UTF-8
//! character.
//!
//! ```text
//! let mut out = String::new();
//! fold_line(&format!("SUMMARY:{}", escape_text(title)), &mut out);
//! ```

/// Maximum length of one physical line in octets, excluding the terminating CRLF
/// (RFC 5545 §3.1).
pub const MAX_LINE_OCTETS: usize = 75;

/// Escapes a string for use as an RFC 5545 TEXT value (RFC 5545 §3.3.11).
///
/// * `"\r\n"` and a lone `"\r"` are first normalised to `"\n"`;
/// * backslash becomes `\\`, `;` becomes `\;`, `,` becomes `\,` and a newline becomes `\n`;
/// * every other ASCII control character (U+0000–U+001F except TAB, and U+007F) is dropped,
///   because TEXT may not contain them.
///
/// The colon needs no escaping in a TEXT value and is left alone. The result never contains CR
/// or LF, so it cannot break out of its content line.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    escape_text_into(s, &mut out);
    out
}

/// [`escape_text`], appending to `out` (the feed writer's hot path: copies runs of ordinary
/// text in one go and touches only the ASCII bytes that need escaping).
pub fn escape_text_into(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let replacement = match b {
            b'\\' => "\\\\",
            b';' => "\\;",
            b',' => "\\,",
            b'\n' | b'\r' => "\\n",
            b'\t' => {
                i += 1;
                continue;
            }
            0..=0x1f | 0x7f => "",
            _ => {
                i += 1;
                continue;
            }
        };
        // Every byte matched above is ASCII, so `i` is a char boundary.
        out.push_str(&s[run_start..i]);
        out.push_str(replacement);
        i += 1;
        // "\r\n" is one newline.
        if b == b'\r' && bytes.get(i) == Some(&b'\n') {
            i += 1;
        }
        run_start = i;
    }
    out.push_str(&s[run_start..]);
}

/// Makes a string safe as an RFC 5545 parameter value (RFC 5545 §3.2), e.g. for `CN=`.
///
/// Parameter values cannot be escaped, so characters they may never contain are dropped:
/// ASCII control characters (TAB is kept; a line break becomes one space) and the double quote.
/// The value is wrapped in double quotes when it contains `:`, `;` or `,`, which are only
/// allowed inside a quoted string. The result is ready to be written after `NAME=`.
pub fn escape_param_value(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .filter_map(|c| match c {
            '\r' => None,
            '\n' => Some(' '),
            '\t' => Some('\t'),
            '"' => None,
            c if c.is_ascii_control() => None,
            c => Some(c),
        })
        .collect();
    if cleaned.contains([':', ';', ',']) {
        format!("\"{cleaned}\"")
    } else {
        cleaned
    }
}

/// Appends one content line to `out`, folded so that no physical line exceeds
/// [`MAX_LINE_OCTETS`] octets, and terminated by CRLF (RFC 5545 §3.1).
///
/// A fold is CRLF followed by a single space; the space counts towards the 75 octets of the
/// continuation line. Folds are only placed between characters, never inside a UTF-8
/// sequence. (Splitting between the code points of an emoji ZWJ sequence or a combining mark is
/// allowed: unfolding restores the exact text.)
///
/// `line` must be one complete content line (`NAME;PARAM=…:value`) without its line ending and
/// with its value already escaped. As a last line of defence against line injection, any CR or
/// LF that still got into it is dropped rather than written out.
pub fn fold_line(line: &str, out: &mut String) {
    if line.contains(['\r', '\n']) {
        let cleaned: String = line.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        fold_clean(&cleaned, out);
    } else {
        fold_clean(line, out);
    }
}

fn fold_clean(line: &str, out: &mut String) {
    out.reserve(line.len() + line.len() / (MAX_LINE_OCTETS - 1) * 3 + 2);
    let mut rest = line;
    // The first physical line holds 75 octets; continuations hold a space and 74.
    let mut room = MAX_LINE_OCTETS;
    while rest.len() > room {
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        room = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reverses [`fold_line`]: removes every CRLF followed by one space.
    fn unfold(folded: &str) -> String {
        folded.replace("\r\n ", "")
    }

    /// Reverses [`escape_text`] (for normalised input).
    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') | Some('N') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => panic!("dangling backslash in {s:?}"),
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Folds `line` and checks every structural guarantee; returns the physical lines.
    fn fold_checked(line: &str) -> Vec<Vec<u8>> {
        let mut out = String::new();
        fold_line(line, &mut out);
        let bytes = out.as_bytes();
        assert!(out.ends_with("\r\n"), "not CRLF-terminated: {out:?}");
        // Split on CRLF at the byte level so that a bad split would be visible.
        let body = &bytes[..bytes.len() - 2];
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'\r' {
                assert_eq!(body.get(i + 1), Some(&b'\n'), "bare CR in {out:?}");
                lines.push(body[start..i].to_vec());
                i += 2;
                start = i;
            } else {
                assert_ne!(body[i], b'\n', "bare LF in {out:?}");
                i += 1;
            }
        }
        lines.push(body[start..].to_vec());
        for (n, l) in lines.iter().enumerate() {
            assert!(
                l.len() <= MAX_LINE_OCTETS,
                "line {n} has {} octets: {:?}",
                l.len(),
                String::from_utf8_lossy(l)
            );
            assert!(
                std::str::from_utf8(l).is_ok(),
                "line {n} is not valid UTF-8 on its own: {l:?}"
            );
            if n > 0 {
                assert_eq!(l.first(), Some(&b' '), "continuation without space");
                assert!(l.len() > 1, "empty continuation line");
            } else {
                assert_ne!(l.first(), Some(&b' '), "first line starts with a space");
            }
        }
        // Lines are filled greedily: a fold only happens when the next char would not fit.
        for w in lines.windows(2) {
            let next_char_len = std::str::from_utf8(&w[1][1..])
                .unwrap()
                .chars()
                .next()
                .unwrap()
                .len_utf8();
            assert!(
                w[0].len() + next_char_len > MAX_LINE_OCTETS,
                "folded too early"
            );
        }
        assert_eq!(
            unfold(&out),
            format!("{line}\r\n"),
            "unfolding changed the line"
        );
        lines
    }

    #[test]
    fn escapes_the_four_specials() {
        assert_eq!(escape_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(escape_text("a\nb"), r"a\nb");
        assert_eq!(escape_text(r"\n"), r"\\n");
        assert_eq!(escape_text("12:00 at \"Café\""), "12:00 at \"Café\"");
        assert_eq!(escape_text(""), "");
    }

    #[test]
    fn normalises_carriage_returns() {
        assert_eq!(escape_text("a\r\nb"), r"a\nb");
        assert_eq!(escape_text("a\rb"), r"a\nb");
        assert_eq!(escape_text("a\r\rb"), r"a\n\nb");
        assert_eq!(escape_text("a\r\n\r\nb"), r"a\n\nb");
        assert_eq!(escape_text("a\n\rb"), r"a\n\nb");
        assert_eq!(escape_text("\r"), r"\n");
        assert_eq!(escape_text("end\r"), r"end\n");
    }

    #[test]
    fn drops_control_characters_but_keeps_tab() {
        assert_eq!(escape_text("a\u{0}b\u{7}c\u{1b}[31md\u{7f}e"), "abc[31mde");
        assert_eq!(escape_text("a\tb"), "a\tb");
        assert_eq!(escape_text("\u{b}\u{c}"), "");
        // Non-ASCII characters, including C1 controls' neighbours, stay.
        assert_eq!(escape_text("ñ\u{a0}€"), "ñ\u{a0}€");
    }

    #[test]
    fn hostile_title_cannot_inject_properties() {
        let title = "x\r\nATTENDEE:mailto:a@b\r\nEND:VEVENT";
        let escaped = escape_text(title);
        assert_eq!(escaped, r"x\nATTENDEE:mailto:a@b\nEND:VEVENT");
        assert!(!escaped.contains(['\r', '\n']));
        let mut out = String::new();
        fold_line(&format!("SUMMARY:{escaped}"), &mut out);
        assert_eq!(out.matches("\r\n").count(), 1, "{out:?}");
        assert!(out.starts_with("SUMMARY:"));
        assert_eq!(unescape(&escaped), "x\nATTENDEE:mailto:a@b\nEND:VEVENT");
    }

    #[test]
    fn hostile_backslashes_round_trip() {
        for s in [
            r"\",
            r"\\",
            r"\;",
            r"C:\path\n\,",
            "trailing backslash \\",
            "\\\r\n;;,,\\",
        ] {
            let e = escape_text(s);
            let normalised = s.replace("\r\n", "\n").replace('\r', "\n");
            assert_eq!(unescape(&e), normalised, "{s:?} -> {e:?}");
            // Every backslash in the output starts a valid escape.
            let mut it = e.chars();
            while let Some(c) = it.next() {
                if c == '\\' {
                    assert!(matches!(it.next(), Some('\\' | ';' | ',' | 'n')), "{e:?}");
                }
            }
        }
    }

    #[test]
    fn lone_cr_in_fold_line_is_dropped() {
        let mut out = String::new();
        fold_line("SUMMARY:a\rEND:VEVENT\nb", &mut out);
        assert_eq!(out, "SUMMARY:aEND:VEVENTb\r\n");
    }

    #[test]
    fn short_line_is_untouched() {
        let mut out = String::new();
        fold_line("VERSION:2.0", &mut out);
        assert_eq!(out, "VERSION:2.0\r\n");
        let mut out = String::new();
        fold_line("", &mut out);
        assert_eq!(out, "\r\n");
    }

    #[test]
    fn appends_without_clobbering() {
        let mut out = String::from("BEGIN:VCALENDAR\r\n");
        fold_line("VERSION:2.0", &mut out);
        assert_eq!(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    }

    #[test]
    fn exact_75_octet_boundaries() {
        // 75 octets: no fold.
        let l75 = "A".repeat(75);
        assert_eq!(fold_checked(&l75).len(), 1);
        // 76 octets: one fold, second line " A".
        let l76 = "A".repeat(76);
        let lines = fold_checked(&l76);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 75);
        assert_eq!(lines[1], b" A");
        // 75 + 74 octets fit in exactly two physical lines of 75 each.
        let l149 = "A".repeat(149);
        let lines = fold_checked(&l149);
        assert_eq!(lines.iter().map(Vec::len).collect::<Vec<_>>(), [75, 75]);
        let l150 = "A".repeat(150);
        assert_eq!(
            fold_checked(&l150).iter().map(Vec::len).collect::<Vec<_>>(),
            [75, 75, 2]
        );
    }

    #[test]
    fn multibyte_char_straddling_the_boundary_moves_whole() {
        // 74 ASCII octets then a 2-byte char: 76 octets would be needed, so ñ moves down.
        let line = format!("{}ñ", "A".repeat(74));
        let lines = fold_checked(&line);
        assert_eq!(lines[0].len(), 74);
        assert_eq!(lines[1], " ñ".as_bytes());
        // 73 ASCII + 2-byte char = exactly 75: stays.
        let line = format!("{}ñ", "A".repeat(73));
        assert_eq!(fold_checked(&line).len(), 1);
        // 4-byte emoji at every offset around the boundary.
        for pad in 66..80 {
            let line = format!("{}😀😀😀", "B".repeat(pad));
            fold_checked(&line);
        }
        // 3-byte char at every offset around the boundary.
        for pad in 66..80 {
            let line = format!("{}€€€€", "C".repeat(pad));
            fold_checked(&line);
        }
    }

    #[test]
    fn long_multibyte_texts_fold_cleanly() {
        let texts = [
            "👩‍👩‍👧‍👦 family 👨🏽‍💻 coder 🏳️‍🌈 flag 🧑‍🤝‍🧑 people ".repeat(8),
            "Ñandú año acción, ¿qué pasó? ¡Güeña! ".repeat(10),
            "Mabuhay! Ipagtanggol ang karapatan; sama-sama, kapit-bisig. ".repeat(6),
            "日本語のテキスト、カレンダー。".repeat(12),
            "é".repeat(200),
            "😀".repeat(100),
        ];
        for t in &texts {
            let escaped = escape_text(t);
            let line = format!("DESCRIPTION;LANGUAGE=es:{escaped}");
            let lines = fold_checked(&line);
            assert!(lines.len() > 1);
            let mut out = String::new();
            fold_line(&line, &mut out);
            let unfolded = unfold(&out);
            let value = unfolded.trim_end_matches("\r\n").split_once(':').unwrap().1;
            assert_eq!(unescape(value), *t);
        }
    }

    #[test]
    fn zwj_sequence_survives_a_fold_inside_it() {
        // Place the fold point in the middle of a ZWJ family emoji.
        let family = "👩‍👩‍👧‍👦"; // 25 octets
        for pad in 50..76 {
            let line = format!("{}{family}", "x".repeat(pad));
            let mut out = String::new();
            fold_line(&line, &mut out);
            fold_checked(&line);
            assert!(unfold(&out).contains(family));
        }
    }

    #[test]
    fn param_values() {
        assert_eq!(escape_param_value("Jane Doe"), "Jane Doe");
        assert_eq!(escape_param_value("Doe, Jane"), "\"Doe, Jane\"");
        assert_eq!(escape_param_value("a:b"), "\"a:b\"");
        assert_eq!(escape_param_value("x\"y\r\nz;"), "\"xy z;\"");
        assert_eq!(escape_param_value("a\rb\u{1}c"), "abc");
        assert_eq!(escape_param_value("Ñandú"), "Ñandú");
    }
}
