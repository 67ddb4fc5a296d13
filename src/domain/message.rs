//! Validation messages as data, so each surface can word them: the API answers in English
//! (`Display`), the forms in the reader's language (`spanish`). Messages without a variant of
//! their own travel as `Text` and stay English.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Required,
    TooLong {
        len: usize,
        max: usize,
    },
    NotOneLine,
    ControlChars,
    NotUrl,
    NotZone {
        name: String,
    },
    NotDate {
        input: String,
    },
    NotLocalTime {
        input: String,
    },
    YearOutOfRange {
        year: i32,
        min: i32,
        max: i32,
    },
    /// `wall` does not exist in `zone`: clocks jump from `from` to `to`.
    Gap {
        wall: String,
        zone: String,
        from: String,
        to: String,
    },
    OffsetDisagrees {
        offset: String,
        zone: String,
        wall: String,
        valid: String,
    },
    EndNotAfterStart {
        end: String,
        start: String,
    },
    AllDayWithTime {
        input: String,
    },
    VenueOrOnline,
    ZoneRequired,
    TimeRequired,
    NoPartner {
        slug: String,
    },
    NoAction {
        slug: String,
    },
    Text(String),
}

impl From<String> for Msg {
    fn from(s: String) -> Msg {
        Msg::Text(s)
    }
}

impl From<&str> for Msg {
    fn from(s: &str) -> Msg {
        Msg::Text(s.to_string())
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Required => write!(f, "is required"),
            Msg::TooLong { len, max } => write!(f, "is {len} characters long; the limit is {max}"),
            Msg::NotOneLine => write!(f, "must be a single line without control characters"),
            Msg::ControlChars => write!(f, "contains control characters"),
            Msg::NotUrl => write!(f, "must be a full http:// or https:// link"),
            Msg::NotZone { name } => {
                write!(f, "{name:?} is not an IANA time zone name (like America/New_York or Asia/Kolkata)")
            }
            Msg::NotDate { input } => write!(f, "{input:?} is not a date like 2027-09-13"),
            Msg::NotLocalTime { input } => write!(
                f,
                "{input:?} is not a local date and time like 2027-09-13T16:00 (optionally with an offset like -07:00)"
            ),
            Msg::YearOutOfRange { year, min, max } => write!(f, "year {year} is out of range ({min}–{max})"),
            Msg::Gap { wall, zone, from, to } => {
                write!(f, "{wall} does not exist in {zone}: clocks jump from {from} to {to} that day")
            }
            Msg::OffsetDisagrees { offset, zone, wall, valid } => {
                write!(f, "offset {offset} does not agree with {zone} at {wall} (the offset there is {valid})")
            }
            Msg::EndNotAfterStart { end, start } => write!(f, "{end} is not after start {start}"),
            Msg::AllDayWithTime { input } => {
                write!(f, "{input:?} has a time, but all-day events take dates only (like 2027-09-13)")
            }
            Msg::VenueOrOnline => write!(f, "an event needs a venue, an online_url, or both"),
            Msg::ZoneRequired => write!(f, "is required: give an IANA zone name, or a venue with a timezone"),
            Msg::TimeRequired => write!(f, "is required for an event with a time (or set all_day)"),
            Msg::NoPartner { slug } => write!(f, "there is no partner {slug:?}"),
            Msg::NoAction { slug } => write!(f, "there is no action {slug:?}"),
            Msg::Text(s) => f.write_str(s),
        }
    }
}

impl Msg {
    /// The message in Spanish (untranslated free text stays as it is).
    pub fn spanish(&self) -> String {
        match self {
            Msg::Required => "es obligatorio".into(),
            Msg::TooLong { len, max } => format!("tiene {len} caracteres; el límite es {max}"),
            Msg::NotOneLine => "debe ser una sola línea, sin caracteres de control".into(),
            Msg::ControlChars => "contiene caracteres de control".into(),
            Msg::NotUrl => "debe ser un enlace completo http:// o https://".into(),
            Msg::NotZone { name } => {
                format!(
                    "«{name}» no es una zona horaria IANA (como America/New_York o Asia/Kolkata)"
                )
            }
            Msg::NotDate { input } => format!("«{input}» no es una fecha como 2027-09-13"),
            Msg::NotLocalTime { input } => {
                format!("«{input}» no es una fecha y hora local como 2027-09-13T16:00")
            }
            Msg::YearOutOfRange { year, min, max } => {
                format!("el año {year} está fuera de rango ({min}–{max})")
            }
            Msg::Gap {
                wall,
                zone,
                from,
                to,
            } => {
                format!("{wall} no existe en {zone}: ese día los relojes saltan de {from} a {to}")
            }
            Msg::OffsetDisagrees {
                offset,
                zone,
                wall,
                valid,
            } => {
                format!("el desfase {offset} no corresponde a {zone} el {wall} (allí es {valid})")
            }
            Msg::EndNotAfterStart { end, start } => {
                format!("{end} no es posterior al inicio {start}")
            }
            Msg::AllDayWithTime { input } => {
                format!("«{input}» lleva hora, pero los eventos de todo el día solo llevan fechas (como 2027-09-13)")
            }
            Msg::VenueOrOnline => "un evento necesita un lugar, un enlace en línea, o ambos".into(),
            Msg::ZoneRequired => {
                "es obligatoria: indica una zona IANA o un lugar con zona horaria".into()
            }
            Msg::TimeRequired => {
                "es obligatorio para un evento con hora (o marca «todo el día»)".into()
            }
            Msg::NoPartner { slug } => format!("no existe la organización «{slug}»"),
            Msg::NoAction { slug } => format!("no existe el día de acción «{slug}»"),
            Msg::Text(s) => s.clone(),
        }
    }
}
