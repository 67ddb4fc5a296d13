//! Message catalogs (English, Spanish) and the language a request gets. A public page's language
//! is in its path (English unprefixed, Spanish under `/es`), so a URL answers the same for
//! everyone; admin pages (private, never cached) follow the visitor's preference: the `lang`
//! cookie (set by the switch on every page), else `Accept-Language`, else English. Event content
//! is never translated.

mod en;
mod es;

use actix_web::HttpRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

pub const COOKIE: &str = "lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().split(['-', '_']).next() {
            Some("en") => Some(Lang::En),
            Some("es") => Some(Lang::Es),
            _ => None,
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Es,
            Lang::Es => Lang::En,
        }
    }

    /// The path prefix of this language's public pages: "" for English, "/es" for Spanish.
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::En => "",
            Lang::Es => "/es",
        }
    }

    /// The language of a public page: from its path alone (`/es` and `/es/…` are Spanish).
    pub fn of_path(req: &HttpRequest) -> Lang {
        Lang::from_path(req.path())
    }

    pub fn from_path(path: &str) -> Lang {
        match path.strip_prefix("/es") {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => Lang::Es,
            _ => Lang::En,
        }
    }

    /// The language a page is rendered in: an admin page's from the visitor's preference, any
    /// other page's from its path.
    pub fn of_page(req: &HttpRequest) -> Lang {
        let path = req.path();
        if path == "/admin" || path.starts_with("/admin/") {
            Lang::preferred(req)
        } else {
            Lang::of_path(req)
        }
    }

    /// The visitor's preference (cookie, else `Accept-Language`, else English): for the admin
    /// only, whose pages are private and never stored by shared caches.
    pub fn preferred(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        let header = req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        accept_language(header).unwrap_or(Lang::En)
    }

    fn catalog(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => en::MESSAGES,
            Lang::Es => es::MESSAGES,
        }
    }

    /// The message `key`; the key itself if missing (the catalog test keeps that from happening).
    pub fn t(self, key: &str) -> &'static str {
        self.catalog()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .or_else(|| {
                en::MESSAGES
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| *v)
            })
            .unwrap_or("")
    }

    pub fn month(self, month: u32) -> &'static str {
        let i = month.saturating_sub(1).min(11) as usize;
        match self {
            Lang::En => en::MONTHS[i],
            Lang::Es => es::MONTHS[i],
        }
    }

    pub fn weekday(self, day: chrono::Weekday) -> &'static str {
        let i = day.num_days_from_monday() as usize;
        match self {
            Lang::En => en::WEEKDAYS[i],
            Lang::Es => es::WEEKDAYS[i],
        }
    }
}

impl Lang {
    /// A validation message in this language (the API always answers in English).
    pub fn field_message(self, f: &crate::error::FieldError) -> String {
        match self {
            Lang::En => f.message.clone(),
            Lang::Es => f.msg.spanish(),
        }
    }
}

/// The best supported language of an `Accept-Language` header, by q-value.
fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut it = part.split(';');
        let Some(lang) = it.next().and_then(Lang::parse) else {
            continue;
        };
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_same_keys() {
        fn keys(m: &'static [(&'static str, &'static str)]) -> Vec<&'static str> {
            let mut k: Vec<&str> = m.iter().map(|(k, _)| *k).collect();
            k.sort_unstable();
            k
        }
        assert_eq!(keys(en::MESSAGES), keys(es::MESSAGES));
        let mut k = keys(en::MESSAGES);
        let n = k.len();
        k.dedup();
        assert_eq!(k.len(), n, "duplicate keys");
    }

    #[test]
    fn the_path_says_the_language() {
        for (path, lang) in [
            ("/", Lang::En),
            ("/archive", Lang::En),
            ("/es", Lang::Es),
            ("/es/", Lang::Es),
            ("/es/actions/x", Lang::Es),
            ("/estonia", Lang::En),
            ("/events/es", Lang::En),
        ] {
            assert_eq!(Lang::from_path(path), lang, "{path}");
        }
    }

    #[test]
    fn accept_language_picks_by_quality() {
        assert_eq!(accept_language("es-MX,es;q=0.9,en;q=0.8"), Some(Lang::Es));
        assert_eq!(accept_language("fr-FR, en;q=0.5, es;q=0.7"), Some(Lang::Es));
        assert_eq!(accept_language("fr"), None);
        assert_eq!(accept_language("es;q=0"), None);
        assert_eq!(accept_language(""), None);
    }
}
