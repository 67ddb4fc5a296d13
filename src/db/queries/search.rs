//! Full-text search: the table `event_search` (one row per event, rowid = event id, kept current
//! by triggers) and the safe translation of what a user typed into a query. SQLite: an FTS5
//! table (`migrations/sqlite/2026-12-01-000002_search`), BM25. PostgreSQL: a weighted
//! `tsvector` with a GIN index, accents folded by `unaccent` on both sides
//! (`migrations/postgres/2026-12-01-000002_search`), `ts_rank`.

use diesel::dsl::sql;
use diesel::expression::{BoxableExpression, SqlLiteral};
use diesel::sql_types::{Bool, Double, Text};

use crate::db::{Db, DbConn};

/// Relevance of a matching row (lower is better): BM25 with the columns weighted title, then
/// partners and tags, then place, then description.
const BM25: &str = "bm25(event_search, 10.0, 1.0, 2.0, 5.0, 5.0)";

/// PostgreSQL's relevance, negated so that lower is better there too (weights D, C, B, A:
/// description, place, partners and tags, title).
const TS_RANK: &str =
    "(-ts_rank('{0.1, 0.2, 0.5, 1.0}', event_search.doc, event_search_query))::double precision";

/// Which search engine the connection's backend has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Fts5,
    Tsvector,
}

impl Engine {
    pub fn of(conn: &DbConn) -> Engine {
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(_) => Engine::Fts5,
            #[cfg(feature = "postgres")]
            DbConn::Pg(_) => Engine::Tsvector,
        }
    }
}

/// A search ready for one engine.
#[derive(Debug, Clone)]
pub enum Query {
    /// An FTS5 MATCH expression.
    Fts5(String),
    /// A `tsquery` text (`'pala':* & 'nuevo':*`), accents still to be folded by the server.
    Tsquery(String),
}

/// The search for `text` in `engine`'s syntax, or `None` when it has nothing searchable.
pub fn query(text: &str, engine: Engine) -> Option<Query> {
    match engine {
        Engine::Fts5 => match_query(text).map(Query::Fts5),
        Engine::Tsvector => {
            let words = words(text);
            if words.is_empty() {
                return None;
            }
            let parts: Vec<String> = words
                .iter()
                .map(|w| {
                    let quoted = format!("'{}'", w.replace('\\', "\\\\").replace('\'', "''"));
                    if w.chars().count() > 1 {
                        format!("{quoted}:*")
                    } else {
                        quoted
                    }
                })
                .collect();
            Some(Query::Tsquery(parts.join(" & ")))
        }
    }
}

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
    let words = words(text);
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

/// The words of a search that count (see [`match_query`]), without control characters (no
/// backend stores them, and PostgreSQL refuses a NUL).
fn words(text: &str) -> Vec<String> {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = clean
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
    words.into_iter().map(str::to_string).collect()
}

/// `events.id IN (…ids of the events matching `query`…)`, for a query over `events`.
pub fn event_matches<QS>(query: Query) -> Box<dyn BoxableExpression<QS, Db, SqlType = Bool>> {
    match query {
        Query::Fts5(m) => Box::new(
            sql::<Bool>("events.id IN (SELECT rowid FROM event_search WHERE event_search MATCH ")
                .bind::<Text, _>(m)
                .sql(")"),
        ),
        Query::Tsquery(t) => Box::new(
            sql::<Bool>(
                "events.id IN (SELECT rowid FROM event_search WHERE doc @@ to_tsquery('simple', unaccent(",
            )
            .bind::<Text, _>(t)
            .sql(")))"),
        ),
    }
}

/// The match for a query that joins `event_search` (what [`score`] needs). On PostgreSQL the
/// tsquery is bound once, as `event_search_query`, by [`from_clause`].
pub fn row_matches<QS>(query: &Query) -> Box<dyn BoxableExpression<QS, Db, SqlType = Bool>> {
    match query {
        Query::Fts5(m) => Box::new(sql::<Bool>("event_search MATCH ").bind::<Text, _>(m.clone())),
        Query::Tsquery(t) => Box::new(
            sql::<Bool>("event_search.doc @@ to_tsquery('simple', unaccent(")
                .bind::<Text, _>(t.clone())
                .sql("))"),
        ),
    }
}

/// The relevance of the current `event_search` row of a [`row_matches`] query.
pub fn score(query: &Query) -> SqlLiteral<Double> {
    match query {
        Query::Fts5(_) => sql::<Double>(BM25),
        Query::Tsquery(t) => sql::<Double>(&TS_RANK.replace(
            "event_search_query",
            &format!("to_tsquery('simple', unaccent({}))", sql_string(t)),
        )),
    }
}

/// `text` as an SQL string literal (for the rank expression, which diesel cannot bind twice in
/// ORDER BY and SELECT; the text is our own tsquery of quoted words).
fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
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
