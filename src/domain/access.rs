//! Who can come: what an event says about wheelchair access, ASL, interpretation, captions,
//! childcare (and notes), with its venue's as the default; and the `access` filter's needs.
//!
//! An event or a venue stores its own [`Accessibility`] (each field unset when nothing was
//! said); what the outputs show is [`Accessibility::over`] the venue's, field by field, so a
//! venue's step-free entrance is every event's there unless the event says otherwise.

use serde::{Deserialize, Serialize};

use super::message::Msg;
use super::{text, Errors};

/// Longest `notes`, in characters.
pub const MAX_NOTES: usize = 1000;
/// Most interpretation languages.
pub const MAX_LANGUAGES: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Wheelchair {
    Full,
    Partial,
    None,
}

impl Wheelchair {
    pub fn as_str(self) -> &'static str {
        match self {
            Wheelchair::Full => "full",
            Wheelchair::Partial => "partial",
            Wheelchair::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Wheelchair> {
        match s {
            "full" => Some(Wheelchair::Full),
            "partial" => Some(Wheelchair::Partial),
            "none" => Some(Wheelchair::None),
            _ => None,
        }
    }
}

/// An event's or a venue's own accessibility, as the API takes it (`accessibility` of an event
/// or a venue) and as stored: a field left out (or `null`) says nothing, and an event's then
/// comes from its venue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Accessibility {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheelchair: Option<Wheelchair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asl: Option<bool>,
    /// Languages interpreted into, as BCP 47 tags (`es`, `zh-Hant`, `ht`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretation: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captions: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub childcare: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// What the outputs show: the event's own fields over its venue's, every field present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Shown {
    pub wheelchair: Option<Wheelchair>,
    pub asl: bool,
    pub interpretation: Vec<String>,
    pub captions: bool,
    pub childcare: bool,
    pub notes: Option<String>,
}

impl Accessibility {
    /// Checks and normalises what was given (field errors under `prefix`, e.g.
    /// `accessibility.`): language tags in canonical case without repeats, notes trimmed.
    /// `None` when nothing is said.
    pub fn check(self, e: &mut Errors, prefix: &str) -> Option<Accessibility> {
        let interpretation = self.interpretation.map(|list| {
            let field = format!("{prefix}interpretation");
            if list.len() > MAX_LANGUAGES {
                e.push(
                    field.clone(),
                    Msg::TooMany {
                        len: list.len(),
                        max: MAX_LANGUAGES,
                    },
                );
            }
            let mut tags: Vec<String> = Vec::new();
            for (i, given) in list.iter().enumerate() {
                match language_tag(given) {
                    Some(t) if !tags.contains(&t) => tags.push(t),
                    Some(_) => {}
                    None => e.push(
                        format!("{field}[{i}]"),
                        Msg::NotLanguage {
                            input: given.clone(),
                        },
                    ),
                }
            }
            tags
        });
        let notes = Some(text(
            e,
            &format!("{prefix}notes"),
            self.notes.as_deref(),
            MAX_NOTES,
        ))
        .filter(|n| !n.is_empty());
        let a = Accessibility {
            wheelchair: self.wheelchair,
            asl: self.asl,
            // An empty list says "no interpretation" as a field of its own.
            interpretation,
            captions: self.captions,
            childcare: self.childcare,
            notes,
        };
        (a != Accessibility::default()).then_some(a)
    }

    /// The stored text (canonical JSON; `None` when nothing is said).
    pub fn to_column(a: Option<&Accessibility>) -> Option<String> {
        a.filter(|a| **a != Accessibility::default())
            .and_then(|a| serde_json::to_string(a).ok())
    }

    /// The stored text read back; text this build cannot read says nothing (it was written by
    /// [`Accessibility::to_column`], so that means a newer or damaged row, never a user).
    pub fn from_column(text: Option<&str>) -> Option<Accessibility> {
        text.and_then(|t| serde_json::from_str(t).ok())
    }

    /// Field by field, this one's own value, else the venue's.
    pub fn over(own: Option<&Accessibility>, venue: Option<&Accessibility>) -> Shown {
        let none = Accessibility::default();
        let own = own.unwrap_or(&none);
        let venue = venue.unwrap_or(&none);
        Shown {
            wheelchair: own.wheelchair.or(venue.wheelchair),
            asl: own.asl.or(venue.asl).unwrap_or(false),
            interpretation: own
                .interpretation
                .clone()
                .or_else(|| venue.interpretation.clone())
                .unwrap_or_default(),
            captions: own.captions.or(venue.captions).unwrap_or(false),
            childcare: own.childcare.or(venue.childcare).unwrap_or(false),
            notes: own.notes.clone().or_else(|| venue.notes.clone()),
        }
    }
}

impl Shown {
    /// Whether anything is offered or said.
    pub fn is_empty(&self) -> bool {
        *self == Shown::default()
    }

    /// Whether every need is met.
    pub fn meets(&self, needs: &[Need]) -> bool {
        needs.iter().all(|n| match n {
            Need::Wheelchair => self.wheelchair == Some(Wheelchair::Full),
            Need::Asl => self.asl,
            Need::Captions => self.captions,
            Need::Childcare => self.childcare,
            Need::Language(l) => self
                .interpretation
                .iter()
                .any(|t| t.eq_ignore_ascii_case(l) || primary(t).eq_ignore_ascii_case(l)),
        })
    }

    /// The `access_keys` column: every need met, lower-case, each between spaces, languages
    /// marked (`" wheelchair asl l:es l:es-mx "`), so that `LIKE '% asl %'` finds one.
    pub fn keys(&self) -> String {
        let mut keys: Vec<String> = Vec::new();
        let mut put = |k: String| {
            if !keys.contains(&k) {
                keys.push(k);
            }
        };
        if self.wheelchair == Some(Wheelchair::Full) {
            put("wheelchair".into());
        }
        if self.asl {
            put("asl".into());
        }
        if self.captions {
            put("captions".into());
        }
        if self.childcare {
            put("childcare".into());
        }
        // Languages apart from the other needs (`asl` is also a language tag).
        for t in &self.interpretation {
            put(format!("l:{}", primary(t).to_ascii_lowercase()));
            put(format!("l:{}", t.to_ascii_lowercase()));
        }
        if keys.is_empty() {
            String::new()
        } else {
            format!(" {} ", keys.join(" "))
        }
    }

    /// What is offered, as short phrases in `lang` (`en` or `es`), in a fixed order.
    pub fn phrases(&self, lang: &str) -> Vec<Phrase> {
        let phrase = |kind: &'static str| Phrase {
            kind,
            text: said(kind, lang).to_string(),
        };
        let mut out = Vec::new();
        match self.wheelchair {
            Some(Wheelchair::Full) => out.push(phrase("wheelchair")),
            Some(Wheelchair::Partial) => out.push(phrase("wheelchair-partial")),
            Some(Wheelchair::None) => out.push(phrase("wheelchair-none")),
            None => {}
        }
        if self.asl {
            out.push(phrase("asl"));
        }
        if !self.interpretation.is_empty() {
            let names: Vec<String> = self
                .interpretation
                .iter()
                .map(|t| language_name(t, lang))
                .collect();
            out.push(Phrase {
                kind: "interpretation",
                text: said("interpretation", lang).replace("{languages}", &names.join(", ")),
            });
        }
        if self.captions {
            out.push(phrase("captions"));
        }
        if self.childcare {
            out.push(phrase("childcare"));
        }
        out
    }

    /// One line for a feed's DESCRIPTION (English): `Access: Wheelchair accessible; ASL
    /// interpretation. Notes`; `None` when nothing is said.
    pub fn line(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let phrases: Vec<String> = self.phrases("en").into_iter().map(|p| p.text).collect();
        let mut line = format!("Access: {}", phrases.join("; "));
        if let Some(n) = &self.notes {
            if !phrases.is_empty() {
                line.push_str(". ");
            }
            line.push_str(n);
        }
        Some(line)
    }
}

/// What each thing offered is called: kind (the icon's), English, Spanish.
const SAID: &[(&str, &str, &str)] = &[
    (
        "wheelchair",
        "Wheelchair accessible",
        "Accesible en silla de ruedas",
    ),
    (
        "wheelchair-partial",
        "Partly wheelchair accessible",
        "Acceso parcial en silla de ruedas",
    ),
    (
        "wheelchair-none",
        "Not wheelchair accessible",
        "Sin acceso en silla de ruedas",
    ),
    ("asl", "ASL interpretation", "Lengua de señas (ASL)"),
    (
        "interpretation",
        "{languages} interpretation",
        "Interpretación: {languages}",
    ),
    ("captions", "Captions", "Subtítulos"),
    ("childcare", "Childcare", "Cuidado de niños"),
];

/// The name of a thing offered (a kind of [`SAID`]) in `lang` (`en` or `es`).
pub fn said(kind: &str, lang: &str) -> &'static str {
    SAID.iter()
        .find(|(k, _, _)| *k == kind)
        .map_or("", |(_, en, es)| if lang == "es" { es } else { en })
}

/// One thing offered, for the pages: `kind` picks the icon, `text` is in the page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub kind: &'static str,
    pub text: String,
}

/// One need of the `access` filter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Full wheelchair access (`partial` does not count).
    Wheelchair,
    Asl,
    Captions,
    Childcare,
    /// Interpretation into this language (a tag; `es` also finds `es-MX`).
    Language(String),
}

impl Need {
    pub fn parse(s: &str) -> Option<Need> {
        match s.to_ascii_lowercase().as_str() {
            "wheelchair" => Some(Need::Wheelchair),
            "asl" => Some(Need::Asl),
            "captions" => Some(Need::Captions),
            "childcare" => Some(Need::Childcare),
            _ => language_tag(s).map(Need::Language),
        }
    }

    /// In words, for a feed's name: `wheelchair access`, `Spanish interpretation`.
    pub fn describe(&self) -> String {
        match self {
            Need::Wheelchair => "wheelchair access".into(),
            Need::Asl => "ASL".into(),
            Need::Captions => "captions".into(),
            Need::Childcare => "childcare".into(),
            Need::Language(l) => format!("{} interpretation", language_name(l, "en")),
        }
    }

    /// As `access_keys` holds it (see [`Shown::keys`]).
    pub fn column_key(&self) -> String {
        match self {
            Need::Language(l) => format!("l:{}", l.to_ascii_lowercase()),
            other => other.key(),
        }
    }

    /// As the filter's canonical form writes it (lower-case).
    pub fn key(&self) -> String {
        match self {
            Need::Wheelchair => "wheelchair".into(),
            Need::Asl => "asl".into(),
            Need::Captions => "captions".into(),
            Need::Childcare => "childcare".into(),
            Need::Language(l) => l.to_ascii_lowercase(),
        }
    }
}

/// A BCP 47 language tag in its canonical case (`es`, `es-MX`, `zh-Hant`, `ase`): a primary
/// subtag of 2 or 3 letters, then subtags of 1 to 8 letters or digits; `None` otherwise.
pub fn language_tag(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() > 35 {
        return None;
    }
    let mut parts = s.split(['-', '_']);
    let first = parts.next()?;
    if !(2..=3).contains(&first.len()) || !first.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut out = first.to_ascii_lowercase();
    for p in parts {
        if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        out.push('-');
        let letters = p.bytes().all(|b| b.is_ascii_alphabetic());
        let digits = p.bytes().all(|b| b.is_ascii_digit());
        if p.len() == 4 && letters {
            // A script: `Hant`.
            let mut c = p.chars();
            if let Some(f) = c.next() {
                out.push(f.to_ascii_uppercase());
                out.push_str(&c.as_str().to_ascii_lowercase());
            }
        } else if (p.len() == 2 && letters) || (p.len() == 3 && digits) {
            // A region: `MX`, `419`.
            out.push_str(&p.to_ascii_uppercase());
        } else {
            out.push_str(&p.to_ascii_lowercase());
        }
    }
    Some(out)
}

fn primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// Languages interpretation is most often offered into at US actions: tag, English, Spanish.
const LANGUAGES: &[(&str, &str, &str)] = &[
    ("am", "Amharic", "amárico"),
    ("ar", "Arabic", "árabe"),
    ("ase", "American Sign Language", "lengua de señas americana"),
    ("bn", "Bengali", "bengalí"),
    ("de", "German", "alemán"),
    ("el", "Greek", "griego"),
    ("en", "English", "inglés"),
    ("es", "Spanish", "español"),
    ("fa", "Persian", "persa"),
    ("fil", "Filipino", "filipino"),
    ("fr", "French", "francés"),
    ("gu", "Gujarati", "guyaratí"),
    ("he", "Hebrew", "hebreo"),
    ("hi", "Hindi", "hindi"),
    ("hmn", "Hmong", "hmong"),
    ("ht", "Haitian Creole", "criollo haitiano"),
    ("it", "Italian", "italiano"),
    ("ja", "Japanese", "japonés"),
    ("km", "Khmer", "jemer"),
    ("ko", "Korean", "coreano"),
    ("lo", "Lao", "lao"),
    ("my", "Burmese", "birmano"),
    ("ne", "Nepali", "nepalí"),
    ("nv", "Navajo", "navajo"),
    ("pa", "Punjabi", "panyabí"),
    ("pl", "Polish", "polaco"),
    ("pt", "Portuguese", "portugués"),
    ("ru", "Russian", "ruso"),
    ("so", "Somali", "somalí"),
    ("sw", "Swahili", "suajili"),
    ("ta", "Tamil", "tamil"),
    ("te", "Telugu", "telugu"),
    ("th", "Thai", "tailandés"),
    ("ti", "Tigrinya", "tigriña"),
    ("tl", "Tagalog", "tagalo"),
    ("uk", "Ukrainian", "ucraniano"),
    ("ur", "Urdu", "urdu"),
    ("vi", "Vietnamese", "vietnamita"),
    ("yi", "Yiddish", "ídish"),
    ("zh", "Chinese", "chino"),
];

/// A language's name in `lang` (`en` or `es`): `Spanish`, `español (MX)`; a tag not in the
/// table stays as it is.
pub fn language_name(tag: &str, lang: &str) -> String {
    let (first, rest) = match tag.split_once('-') {
        Some((f, r)) => (f, Some(r)),
        None => (tag, None),
    };
    let Some((_, en, es)) = LANGUAGES.iter().find(|(t, _, _)| *t == first) else {
        return tag.to_string();
    };
    let name = if lang == "es" { es } else { en };
    match rest {
        Some(r) => format!("{name} ({r})"),
        None => (*name).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(json: &str) -> Result<Option<Accessibility>, Vec<(String, String)>> {
        let a: Accessibility = serde_json::from_str(json).expect("shape");
        let mut e = Errors::default();
        let out = a.check(&mut e, "accessibility.");
        if e.is_empty() {
            Ok(out)
        } else {
            Err(e
                .into_vec()
                .into_iter()
                .map(|f| (f.field, f.message))
                .collect())
        }
    }

    #[test]
    fn language_tags_in_canonical_case() {
        assert_eq!(language_tag("ES").as_deref(), Some("es"));
        assert_eq!(language_tag("es-mx").as_deref(), Some("es-MX"));
        assert_eq!(language_tag("zh_hant").as_deref(), Some("zh-Hant"));
        assert_eq!(language_tag("es-419").as_deref(), Some("es-419"));
        assert_eq!(language_tag("ase").as_deref(), Some("ase"));
        for bad in [
            "",
            "e",
            "spanish",
            "es-",
            "es--mx",
            "1s",
            "es-toolongpart",
            "es mx",
        ] {
            assert_eq!(language_tag(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn checks_and_normalises() {
        let a = checked(
            r#"{"interpretation": ["ES", "es", "zh-hant"], "notes": "  Ramp at the side door "}"#,
        )
        .expect("valid")
        .expect("something said");
        assert_eq!(
            a.interpretation,
            Some(vec!["es".to_string(), "zh-Hant".to_string()])
        );
        assert_eq!(a.notes.as_deref(), Some("Ramp at the side door"));
        assert_eq!(checked(r#"{"notes": "  "}"#), Ok(None));
        assert_eq!(
            checked(r#"{"interpretation": ["es", "Spanish"]}"#),
            Err(vec![(
                "accessibility.interpretation[1]".to_string(),
                "\"Spanish\" is not a language code like es, zh-Hant or ase".to_string()
            )])
        );
        let long = "x".repeat(MAX_NOTES + 1);
        let err = checked(&format!(r#"{{"notes": "{long}"}}"#)).expect_err("too long");
        assert_eq!(err[0].0, "accessibility.notes");
        assert!(serde_json::from_str::<Accessibility>(r#"{"wheelchair": "yes"}"#).is_err());
        assert!(serde_json::from_str::<Accessibility>(r#"{"ramp": true}"#).is_err());
    }

    #[test]
    fn the_event_over_its_venue_field_by_field() {
        let venue = Accessibility {
            wheelchair: Some(Wheelchair::Full),
            captions: Some(true),
            notes: Some("Elevator on Bryant St".into()),
            ..Accessibility::default()
        };
        let own = Accessibility {
            captions: Some(false),
            interpretation: Some(vec!["es".into()]),
            ..Accessibility::default()
        };
        let shown = Accessibility::over(Some(&own), Some(&venue));
        assert_eq!(shown.wheelchair, Some(Wheelchair::Full));
        assert!(!shown.captions, "the event's own false wins");
        assert_eq!(shown.interpretation, vec!["es".to_string()]);
        assert_eq!(shown.notes.as_deref(), Some("Elevator on Bryant St"));
        assert_eq!(shown.keys(), " wheelchair l:es ");
        assert!(shown.meets(&[Need::Wheelchair, Need::Language("es".into())]));
        assert!(!shown.meets(&[Need::Wheelchair, Need::Captions]));
        assert_eq!(Accessibility::over(None, None).keys(), "");
    }

    #[test]
    fn a_language_need_finds_its_regional_forms() {
        let shown = Accessibility::over(
            Some(&Accessibility {
                interpretation: Some(vec!["es-MX".into()]),
                ..Accessibility::default()
            }),
            None,
        );
        assert!(shown.meets(&[Need::Language("es".into())]));
        assert!(shown.meets(&[Need::Language("es-MX".into())]));
        assert!(!shown.meets(&[Need::Language("es-ES".into())]));
        assert_eq!(shown.keys(), " l:es l:es-mx ");
        assert_eq!(Need::parse("ES-mx"), Some(Need::Language("es-MX".into())));
        assert_eq!(Need::parse("Wheelchair"), Some(Need::Wheelchair));
        assert_eq!(Need::parse("ramp"), None);
    }

    #[test]
    fn a_language_called_asl_is_no_asl_interpretation() {
        let shown = Accessibility::over(
            Some(&Accessibility {
                interpretation: Some(vec!["asl".into()]),
                ..Accessibility::default()
            }),
            None,
        );
        assert_eq!(shown.keys(), " l:asl ");
        assert!(!shown.meets(&[Need::Asl]));
        assert!(!shown
            .keys()
            .contains(&format!(" {} ", Need::Asl.column_key())));
    }

    #[test]
    fn partial_access_is_shown_but_not_matched() {
        let shown = Accessibility::over(
            Some(&Accessibility {
                wheelchair: Some(Wheelchair::Partial),
                ..Accessibility::default()
            }),
            None,
        );
        assert!(!shown.meets(&[Need::Wheelchair]));
        assert_eq!(
            shown.line().as_deref(),
            Some("Access: Partly wheelchair accessible")
        );
    }

    #[test]
    fn phrases_in_both_languages() {
        let shown = Shown {
            wheelchair: Some(Wheelchair::Full),
            asl: true,
            interpretation: vec!["es".into(), "zh-Hant".into(), "xx".into()],
            captions: false,
            childcare: true,
            notes: Some("Quiet room upstairs".into()),
        };
        assert_eq!(
            shown.line().as_deref(),
            Some("Access: Wheelchair accessible; ASL interpretation; Spanish, Chinese (Hant), xx interpretation; Childcare. Quiet room upstairs")
        );
        let es: Vec<String> = shown.phrases("es").into_iter().map(|p| p.text).collect();
        assert_eq!(
            es,
            vec![
                "Accesible en silla de ruedas",
                "Lengua de señas (ASL)",
                "Interpretación: español, chino (Hant), xx",
                "Cuidado de niños"
            ]
        );
    }
}
