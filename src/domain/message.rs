//! Validation messages as data, so each surface can word them: the API answers in English
//! (`Display`), the forms in the reader's language (`spanish`). Messages without a variant of
//! their own travel as `Text` and stay English.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
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
    NotEmpty,
    NotTag {
        raw: String,
    },
    TooMany {
        len: usize,
        max: usize,
    },
    LastDayBeforeFirstDay {
        last: String,
        first: String,
    },
    NotPartnerSlug {
        slug: String,
    },
    BadUid,
    VenueAndId,
    NoVenue {
        id: i32,
    },
    ListedTwice {
        slug: String,
    },
    TimedTooLong {
        days: i64,
    },
    AllDayLastBeforeFirst {
        last: String,
        first: String,
    },
    AllDayTooLong {
        days: i64,
    },
    BadSlug,
    BadTokenName,
    NotEmail {
        email: String,
    },
    AdminNoPartner,
    OrganizerNeedsPartner,
    BadRole,
    OwnPartnerRole {
        slug: String,
    },
    Between {
        limit: f64,
    },
    LatLonTogether,
    ChooseVenue,
    ChooseRole,
    ChooseStatus,
    ChooseKind,
    /// A count or goal outside `min..=max`.
    WholeNumberFrom {
        min: i64,
        max: i64,
    },
    /// A form's number field that is not a number at all.
    NotWholeNumber {
        input: String,
    },
    /// A listing filter's text longer than `max` characters.
    LongerThan {
        max: usize,
    },
    NotStatus {
        input: String,
    },
    NotInstant {
        input: String,
    },
    /// Neither a date nor an RFC 3339 instant (a listing's `from`/`to`).
    NotBound {
        input: String,
    },
    /// A query parameter given more than once.
    GivenTwice,
    /// A listing parameter this output does not take.
    NotTakenHere,
    NotCursor,
    /// A weekly repeat with no weekday ticked (the admin form).
    PickWeekday,
    /// A repeat that ends on a date before its first occurrence (the admin form).
    EndsBeforeStart {
        until: String,
        start: String,
    },
    /// A series' start on a weekday its weekly rule skips (weekdays Monday = 0).
    StartNotOnRuleDays {
        start: String,
        weekday: u8,
        days: Vec<u8>,
    },
    /// A series' start that is not one of its rule's dates; `next`, the first one after it.
    StartNotInRule {
        start: String,
        weekday: u8,
        next: Option<String>,
    },
    /// The rule's UNTIL is before the series' start.
    UntilBeforeStart {
        until: String,
        start: String,
    },
    /// COUNT (`what`, also INTERVAL) out of 1..=max.
    RuleNumberRange {
        what: &'static str,
        max: u32,
    },
    /// A series starting outside the years it may.
    SeriesYears {
        start: String,
        min: i32,
        max: i32,
    },
    /// Not an occurrence of the series (an excluded or changed date).
    NotOccurrence {
        key: String,
    },
    /// `near`: a five-digit code the gazetteer does not know.
    NoZip {
        zip: String,
    },
    /// `near`: a place the gazetteer does not know, with near spellings it does.
    NoPlace {
        input: String,
        suggestions: Vec<String>,
    },
    /// `near`: a place name found in several states.
    PlaceInStates {
        input: String,
        choices: Vec<String>,
    },
    /// `near`: two numbers that are no latitude and longitude.
    NotCoordinates {
        input: String,
    },
    NotRadius {
        input: String,
    },
    RadiusRange {
        max_mi: u32,
        max_km: u32,
    },
    /// `radius` or `sort=distance` without `near`.
    NeedsNear,
    NotSort {
        input: String,
    },
    /// `access`: a value that is no need the filter knows.
    NotAccess {
        input: String,
    },
    /// An interpretation language that is no language tag.
    NotLanguage {
        input: String,
    },
    /// `accessibility.wheelchair` in a form: not one of the choices.
    NotWheelchair {
        input: String,
    },
    /// A form's yes/no choice with another value.
    NotYesNo {
        input: String,
    },
    Text(String),
}

/// Weekday names, Monday first (the pages' too).
pub const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub const WEEKDAYS_ES: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];

/// "A", "A and B", "A, B and C" (`and`: the language's word).
fn listed(names: &[u8], words: &[&str; 7], and: &str) -> String {
    let names: Vec<&str> = names.iter().map(|d| words[usize::from(*d) % 7]).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
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
            Msg::NotEmpty => f.write_str("must not be empty"),
            Msg::NotTag { raw } => f.write_str(&format!("{raw:?} is not a tag: use up to 50 letters, digits, - and _ (no spaces)")),
            Msg::TooMany { len, max } => f.write_str(&format!("has {len} entries; the limit is {max}")),
            Msg::LastDayBeforeFirstDay { last, first } => f.write_str(&format!("{last} is before first_day {first}")),
            Msg::NotPartnerSlug { slug } => f.write_str(&format!("{slug:?} is not a partner slug")),
            Msg::BadUid => f.write_str("must be 1–255 printable ASCII characters without spaces"),
            Msg::VenueAndId => f.write_str("give either venue (inline) or venue_id, not both"),
            Msg::NoVenue { id } => f.write_str(&format!("there is no venue with id {id}")),
            Msg::ListedTwice { slug } => f.write_str(&format!("{slug:?} is listed twice")),
            Msg::TimedTooLong { days } => f.write_str(&format!("is more than {days} days after start; make a long event all-day")),
            Msg::AllDayLastBeforeFirst { last, first } => f.write_str(&format!("last day {last} is before the first day {first}")),
            Msg::AllDayTooLong { days } => f.write_str(&format!("an all-day event may span at most {days} days")),
            Msg::BadSlug => f.write_str("must be 1–64 lowercase letters, digits and dashes (like tech-workers-coalition)"),
            Msg::BadTokenName => f.write_str("must be 1–100 characters on one line"),
            Msg::NotEmail { email } => f.write_str(&format!("{email:?} is not an email address")),
            Msg::AdminNoPartner => f.write_str("admins are not tied to a partner"),
            Msg::OrganizerNeedsPartner => f.write_str("an organizer needs --partner SLUG"),
            Msg::BadRole => f.write_str("must be admin or organizer"),
            Msg::OwnPartnerRole { slug } => f.write_str(&format!("your partner {slug:?} must be a host or co-host of events you post")),
            Msg::Between { limit } => f.write_str(&format!("must be between -{limit} and {limit}")),
            Msg::LatLonTogether => f.write_str("lat and lon go together: give both or neither"),
            Msg::ChooseVenue => f.write_str("choose a venue from the list"),
            Msg::ChooseRole => f.write_str("choose a role"),
            Msg::ChooseStatus => f.write_str("choose a status"),
            Msg::ChooseKind => f.write_str("choose a kind"),
            Msg::WholeNumberFrom { min, max } => {
                f.write_str(&format!("must be a whole number from {min} to {max}"))
            }
            Msg::NotWholeNumber { input } => {
                f.write_str(&format!("{input:?} is not a whole number (like 100)"))
            }
            Msg::LongerThan { max } => write!(f, "is longer than {max} characters"),
            Msg::NotStatus { input } => {
                write!(f, "{input:?} is not one of confirmed, tentative, cancelled")
            }
            Msg::NotInstant { input } => {
                write!(f, "{input:?} is not an RFC 3339 instant like 2027-09-01T00:00:00Z")
            }
            Msg::NotBound { input } => write!(
                f,
                "{input:?} is neither a date (2027-09-13) nor an RFC 3339 instant (2027-09-13T16:00:00Z)"
            ),
            Msg::GivenTwice => f.write_str("is given more than once"),
            Msg::NotTakenHere => {
                f.write_str("is not a filter of this listing (only GET /api/v1/events takes it)")
            }
            Msg::NotCursor => {
                f.write_str("is not a cursor this server gave out; start again without it")
            }
            Msg::PickWeekday => f.write_str("pick at least one day of the week"),
            Msg::EndsBeforeStart { until, start } => {
                write!(f, "the repeat ends on {until}, before the event starts ({start})")
            }
            Msg::StartNotOnRuleDays { start, weekday, days } => write!(
                f,
                "{start} is a {}; the rule repeats on {}: start the series on one of its days",
                WEEKDAYS_EN[usize::from(*weekday) % 7],
                listed(days, &WEEKDAYS_EN, "and")
            ),
            Msg::StartNotInRule { start, weekday, next: Some(next) } => write!(
                f,
                "{start} ({}) is not one of the rule's dates; the first one after it is {next}: start the series on one of its days",
                WEEKDAYS_EN[usize::from(*weekday) % 7]
            ),
            Msg::StartNotInRule { start, next: None, .. } => write!(
                f,
                "{start} is not one of the rule's dates, and the rule gives none after it"
            ),
            Msg::UntilBeforeStart { until, start } => {
                write!(f, "UNTIL {until} is before the series' start {start}")
            }
            Msg::RuleNumberRange { what, max } => write!(f, "{what} must be from 1 to {max}"),
            Msg::SeriesYears { start, min, max } => {
                write!(f, "{start}: a series must start between {min} and {max}")
            }
            Msg::NotOccurrence { key } => write!(f, "{key} is not an occurrence of this series"),
            Msg::NoZip { zip } => write!(f, "there is no US ZIP code {zip}"),
            Msg::NoPlace { input, suggestions } if suggestions.is_empty() => write!(
                f,
                "{input:?} is not a US place Turnout knows; give a ZIP code (94301), a place with its state (Palo Alto, CA) or coordinates (37.44,-122.16)"
            ),
            Msg::NoPlace { input, suggestions } => write!(
                f,
                "{input:?} is not a US place Turnout knows; did you mean {}?",
                suggestions.join(" or ")
            ),
            Msg::PlaceInStates { input, choices } => write!(
                f,
                "there is a {input:?} in several states; add the state, as in {}",
                choices.join("; ")
            ),
            Msg::NotCoordinates { input } => write!(
                f,
                "{input:?} is no latitude (-90 to 90) and longitude (-180 to 180), like 37.44,-122.16"
            ),
            Msg::NotRadius { input } => {
                write!(f, "{input:?} is not a distance like 25mi or 40km")
            }
            Msg::RadiusRange { max_mi, max_km } => {
                write!(f, "must be more than 0 and at most {max_mi} mi ({max_km} km)")
            }
            Msg::NeedsNear => {
                f.write_str("needs near (a ZIP code, a place or coordinates) to measure from")
            }
            Msg::NotSort { input } => write!(f, "{input:?} is not one of start, distance"),
            Msg::NotAccess { input } => write!(
                f,
                "{input:?} is not one of wheelchair, asl, captions, childcare or a language code like es"
            ),
            Msg::NotLanguage { input } => {
                write!(f, "{input:?} is not a language code like es, zh-Hant or ase")
            }
            Msg::NotWheelchair { input } => {
                write!(f, "{input:?} is not one of full, partial, none")
            }
            Msg::NotYesNo { input } => write!(f, "{input:?} is not one of yes, no"),
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
            Msg::NotEmpty => "no puede estar vacío".into(),
            Msg::NotTag { raw } => format!("«{raw}» no es una etiqueta: usa hasta 50 letras, dígitos, - y _ (sin espacios)"),
            Msg::TooMany { len, max } => format!("tiene {len} elementos; el límite es {max}"),
            Msg::LastDayBeforeFirstDay { last, first } => format!("{last} es anterior al primer día {first}"),
            Msg::NotPartnerSlug { slug } => format!("«{slug}» no es el identificador de una organización"),
            Msg::BadUid => "debe tener de 1 a 255 caracteres ASCII visibles, sin espacios".into(),
            Msg::VenueAndId => "indica un lugar nuevo o uno existente, no ambos".into(),
            Msg::NoVenue { id } => format!("no existe el lugar {id}"),
            Msg::ListedTwice { slug } => format!("«{slug}» aparece dos veces"),
            Msg::TimedTooLong { days } => format!("es más de {days} días después del inicio; haz de un evento largo uno de todo el día"),
            Msg::AllDayLastBeforeFirst { last, first } => format!("el último día {last} es anterior al primero {first}"),
            Msg::AllDayTooLong { days } => format!("un evento de todo el día puede durar como mucho {days} días"),
            Msg::BadSlug => "debe tener de 1 a 64 letras minúsculas, dígitos y guiones (como tech-workers-coalition)".into(),
            Msg::BadTokenName => "debe tener de 1 a 100 caracteres en una línea".into(),
            Msg::NotEmail { email } => format!("«{email}» no es una dirección de correo"),
            Msg::AdminNoPartner => "las personas administradoras no pertenecen a una organización".into(),
            Msg::OrganizerNeedsPartner => "una persona organizadora necesita una organización".into(),
            Msg::BadRole => "debe ser admin u organizer".into(),
            Msg::OwnPartnerRole { slug } => format!("tu organización «{slug}» debe organizar o coorganizar los eventos que publicas"),
            Msg::Between { limit } => format!("debe estar entre -{limit} y {limit}"),
            Msg::LatLonTogether => "latitud y longitud van juntas: indica ambas o ninguna".into(),
            Msg::ChooseVenue => "elige un lugar de la lista".into(),
            Msg::ChooseRole => "elige un papel".into(),
            Msg::ChooseStatus => "elige un estado".into(),
            Msg::ChooseKind => "elige un tipo".into(),
            Msg::WholeNumberFrom { min, max } => {
                format!("debe ser un número entero de {min} a {max}")
            }
            Msg::NotWholeNumber { input } => {
                format!("«{input}» no es un número entero (como 100)")
            }
            Msg::LongerThan { max } => format!("tiene más de {max} caracteres"),
            Msg::NotStatus { input } => {
                format!("«{input}» no es ninguno de confirmed, tentative, cancelled")
            }
            Msg::NotInstant { input } => {
                format!("«{input}» no es un instante RFC 3339 como 2027-09-01T00:00:00Z")
            }
            Msg::NotBound { input } => format!(
                "«{input}» no es ni una fecha (2027-09-13) ni un instante RFC 3339 (2027-09-13T16:00:00Z)"
            ),
            Msg::GivenTwice => "aparece más de una vez".into(),
            Msg::NotTakenHere => {
                "no es un filtro de este listado (solo GET /api/v1/events lo admite)".into()
            }
            Msg::NotCursor => {
                "no es un cursor dado por este servidor; vuelve a empezar sin él".into()
            }
            Msg::PickWeekday => "elige al menos un día de la semana".into(),
            Msg::EndsBeforeStart { until, start } => {
                format!("la repetición termina el {until}, antes de que empiece el evento ({start})")
            }
            Msg::StartNotOnRuleDays { start, weekday, days } => format!(
                "{start} es {}; la regla se repite los {}: empieza la serie en uno de esos días",
                WEEKDAYS_ES[usize::from(*weekday) % 7],
                listed(days, &WEEKDAYS_ES, "y")
            ),
            Msg::StartNotInRule { start, weekday, next: Some(next) } => format!(
                "{start} ({}) no es una de las fechas de la regla; la primera después es {next}: empieza la serie en una de sus fechas",
                WEEKDAYS_ES[usize::from(*weekday) % 7]
            ),
            Msg::StartNotInRule { start, next: None, .. } => format!(
                "{start} no es una de las fechas de la regla, y la regla no da ninguna después"
            ),
            Msg::UntilBeforeStart { until, start } => {
                format!("la repetición termina el {until}, antes del inicio de la serie ({start})")
            }
            Msg::RuleNumberRange { what: "COUNT", max } => {
                format!("el número de veces debe estar entre 1 y {max}")
            }
            Msg::RuleNumberRange { what, max } => format!("{what} debe estar entre 1 y {max}"),
            Msg::SeriesYears { start, min, max } => {
                format!("{start}: una serie debe empezar entre {min} y {max}")
            }
            Msg::NotOccurrence { key } => format!("{key} no es una fecha de esta serie"),
            Msg::NoZip { zip } => format!("no existe el código postal {zip} en EE. UU."),
            Msg::NoPlace { input, suggestions } if suggestions.is_empty() => format!(
                "Turnout no conoce el lugar «{input}» en EE. UU.; escribe un código postal (94301), un lugar con su estado (Palo Alto, CA) o coordenadas (37.44,-122.16)"
            ),
            Msg::NoPlace { input, suggestions } => format!(
                "Turnout no conoce el lugar «{input}» en EE. UU.; ¿quisiste decir {}?",
                suggestions.join(" o ")
            ),
            Msg::PlaceInStates { input, choices } => format!(
                "hay un «{input}» en varios estados; añade el estado, como en {}",
                choices.join("; ")
            ),
            Msg::NotCoordinates { input } => format!(
                "«{input}» no es una latitud (-90 a 90) y longitud (-180 a 180), como 37.44,-122.16"
            ),
            Msg::NotRadius { input } => format!("«{input}» no es una distancia como 25mi o 40km"),
            Msg::RadiusRange { max_mi, max_km } => {
                format!("debe ser mayor que 0 y de {max_mi} mi ({max_km} km) como mucho")
            }
            Msg::NeedsNear => {
                "necesita near (un código postal, un lugar o coordenadas) desde donde medir".into()
            }
            Msg::NotSort { input } => format!("«{input}» no es ninguno de start, distance"),
            Msg::NotAccess { input } => format!(
                "«{input}» no es ninguno de wheelchair, asl, captions, childcare ni un código de idioma como es"
            ),
            Msg::NotLanguage { input } => {
                format!("«{input}» no es un código de idioma como es, zh-Hant o ase")
            }
            Msg::NotWheelchair { input } => {
                format!("«{input}» no es ninguno de full, partial, none")
            }
            Msg::NotYesNo { input } => format!("«{input}» no es ninguno de yes, no"),
            Msg::Text(s) => s.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_for_the_api_spanish_for_the_forms() {
        let gap = Msg::Gap {
            wall: "2027-03-14T02:30".into(),
            zone: "America/New_York".into(),
            from: "2:00".into(),
            to: "3:00".into(),
        };
        assert_eq!(
            gap.to_string(),
            "2027-03-14T02:30 does not exist in America/New_York: clocks jump from 2:00 to 3:00 that day"
        );
        assert_eq!(
            gap.spanish(),
            "2027-03-14T02:30 no existe en America/New_York: ese día los relojes saltan de 2:00 a 3:00"
        );
        assert_eq!(
            Msg::TooMany { len: 21, max: 20 }.spanish(),
            "tiene 21 elementos; el límite es 20"
        );
        assert_eq!(Msg::Text("as is".into()).spanish(), "as is");
        assert_ne!(Msg::ChooseRole.to_string(), Msg::ChooseRole.spanish());
    }
}
