//! Full-text search: the SQLite FTS5 table `event_search` (one row per event, rowid = event id,
//! kept current by triggers; see `migrations/sqlite/2026-12-01-000002_search`) and the safe
//! translation of what a user typed into an FTS5 query.

use diesel::dsl::sql;
use diesel::expression::{BoxableExpression, SqlLiteral};
use diesel::sql_types::{Bool, Double, Text};
use diesel::sqlite::Sqlite;

/// Relevance of a matching row (lower is better): BM25 with the columns weighted title, then
/// partners and tags, then place, then description.
const BM25: &str = "bm25(event_search, 10.0, 1.0, 2.0, 5.0, 5.0)";

/// Words that are FTS5 operators when written in capitals; typed in a search box they mean what
/// a plain list of words means already (every word must match), so they are left out.
const OPERATORS: [&str; 4] = ["AND", "OR", "NOT", "NEAR"];

/// Words of a search that count; later ones are ignored. Every word is a prefix to look up and
/// a term to rank by: ten words starting with common letters take about 250 ms at 100k events,
/// and the 200 characters `q` may have would allow sixty.
pub const MAX_WORDS: usize = 10;

/// The FTS5 query for a user's search text, or `None` when it has nothing searchable (then it
/// matches nothing).
///
/// The text is never FTS5 syntax: it is split at white space, each word is quoted (`"` doubled)
/// and becomes a prefix phrase (`"pala"*` finds "Palantir"; a one-character word only itself),
/// and every word must match. Punctuation inside a word splits it into a phrase (`"co-op"*`
/// finds "co op", "Co-op"); a word without a letter or digit is dropped, a repeated one counted
/// once, and only the first [`MAX_WORDS`] count. Case and accents are folded by the tokenizer on
/// both sides ("ano" finds "Año").
pub fn match_query(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let kept: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !OPERATORS.contains(w))
        .collect();
    // "NOT" alone is somebody searching for the word.
    let mut words = if kept.is_empty() { words } else { kept };
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.to_lowercase()));
    words.truncate(MAX_WORDS);
    if words.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 4 * words.len());
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('"');
        out.push_str(&w.replace('"', "\"\""));
        out.push('"');
        // A one-letter prefix matches nearly every event and costs the most to rank.
        if w.chars().count() > 1 {
            out.push('*');
        }
    }
    Some(out)
}

/// `events.id IN (…ids of the events matching `query`…)`, for a query over `events`.
pub fn event_matches<QS>(query: String) -> Box<dyn BoxableExpression<QS, Sqlite, SqlType = Bool>> {
    Box::new(
        sql::<Bool>("events.id IN (SELECT rowid FROM event_search WHERE event_search MATCH ")
            .bind::<Text, _>(query)
            .sql(")"),
    )
}

/// `event_search MATCH query`, for a query that joins `event_search` (what [`score`] needs).
pub fn row_matches<QS>(query: String) -> Box<dyn BoxableExpression<QS, Sqlite, SqlType = Bool>> {
    Box::new(sql::<Bool>("event_search MATCH ").bind::<Text, _>(query))
}

/// The relevance of the current `event_search` row of a [`row_matches`] query.
pub fn score() -> SqlLiteral<Double> {
    sql::<Double>(BM25)
}

#[cfg(test)]
mod tests {
    use super::match_query;

    #[test]
    fn every_word_is_a_quoted_prefix() {
        assert_eq!(match_query("pala").as_deref(), Some(r#""pala"*"#));
        assert_eq!(
            match_query("  Año   nuevo ").as_deref(),
            Some(r#""Año"* "nuevo"*"#)
        );
    }

    #[test]
    fn fts_syntax_stays_text() {
        assert_eq!(
            match_query(r#"say "hi" title:x -y NEAR(a b) c* ^d"#).as_deref(),
            Some(r#""say"* """hi"""* "title:x"* "-y"* "NEAR(a"* "b)"* "c*"* "^d"*"#)
        );
        assert_eq!(
            match_query("march OR rally AND NOT vigil").as_deref(),
            Some(r#""march"* "rally"* "vigil"*"#)
        );
        assert_eq!(match_query("NOT").as_deref(), Some(r#""NOT"*"#));
        assert_eq!(match_query("c 2nd ñ").as_deref(), Some(r#""c" "2nd"* "ñ""#));
        assert_eq!(match_query("or and").as_deref(), Some(r#""or"* "and"*"#));
    }

    #[test]
    fn repeated_words_count_once_and_at_most_ten_count() {
        assert_eq!(
            match_query("Rally rally RALLY march").as_deref(),
            Some(r#""Rally"* "march"*"#)
        );
        let many: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
        let m = match_query(&many.join(" ")).unwrap_or_default();
        assert_eq!(m.matches('*').count(), super::MAX_WORDS);
        assert!(m.ends_with(r#""w9"*"#), "{m}");
    }

    #[test]
    fn nothing_searchable_is_none() {
        for text in ["", "   ", "*", "\"\"", "- : ( ) ^", "🎉 ✊🏽", "\u{301}"] {
            assert_eq!(match_query(text), None, "{text:?}");
        }
        assert_eq!(match_query("🎉fiesta").as_deref(), Some(r#""🎉fiesta"*"#));
    }
}
