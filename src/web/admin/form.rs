//! The event form: what the organizer typed (kept verbatim for re-display), its conversion to the
//! API's input shape, and field errors mapped back onto form fields.

use crate::domain::message::Msg;
use std::collections::HashMap;

use crate::db::queries::events::EventView;
use crate::domain::access::{Accessibility, Wheelchair};
use crate::domain::catalog::VenueInput;
use crate::domain::event::{EventInput, PartnerRef, RecurrenceInput, Role, Status};
use crate::domain::recurrence::{Freq, Rule, Until, MAX_COUNT, MAX_INTERVAL};
use crate::domain::time;
use crate::error::FieldError;
use chrono::Weekday;

/// Partner rows on the form.
pub const PARTNER_ROWS: usize = 6;

/// Every field of the form as typed.
#[derive(Debug, Clone, Default)]
pub struct EventForm {
    pub values: HashMap<String, String>,
}

impl EventForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> EventForm {
        let mut values = HashMap::new();
        for (k, v) in pairs {
            values.insert(k, v);
        }
        EventForm { values }
    }

    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    fn opt(&self, name: &str) -> Option<String> {
        let v = self.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// The form filled in from an existing event (edit, duplicate).
    pub fn from_event(v: &EventView) -> EventForm {
        let input = v.to_input(false);
        let mut f = EventForm::default();
        let mut set = |k: &str, val: Option<String>| {
            if let Some(val) = val {
                f.values.insert(k.to_string(), val);
            }
        };
        set("title", input.title);
        set("description", input.description);
        // datetime-local shows wall time; keep a second-occurrence offset so it round-trips.
        set("start", input.start);
        set("end", input.end);
        set("timezone", input.timezone);
        set(
            "all_day",
            input.all_day.filter(|a| *a).map(|_| "on".to_string()),
        );
        set("venue_id", input.venue_id.map(|i| i.to_string()));
        set("online_url", input.online_url);
        set("info_url", input.info_url);
        set("action", input.action);
        set("status", input.status.map(|s| s.as_str().to_string()));
        set("tags", input.tags.map(|t| t.join(", ")));
        for (i, p) in input
            .partners
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .take(PARTNER_ROWS)
        {
            set(&format!("partner_{i}"), Some(p.slug));
            set(&format!("role_{i}"), Some(p.role.as_str().to_string()));
        }
        if let Some(a) = &input.accessibility {
            f.values.extend(access_values(a));
        }
        if let Some(r) = input.recurrence {
            f.set_rule(r.rrule.as_deref().unwrap_or(""));
            if let Some(x) = r.exdates.filter(|x| !x.is_empty()) {
                f.values.insert("exdates".into(), x.join(" "));
            }
        }
        f
    }

    /// The form as the API's input shape (validation happens there, once, for every entry path).
    pub fn to_input(&self) -> Result<EventInput, Box<FieldError>> {
        let all_day = self.checked("all_day");
        let date_part =
            |v: Option<String>| v.map(|s| s.split('T').next().unwrap_or("").to_string());
        let (start, end) = if all_day {
            (date_part(self.opt("start")), date_part(self.opt("end")))
        } else {
            (self.opt("start"), self.opt("end"))
        };
        let venue_id = match self.opt("venue_id") {
            Some(v) => Some(
                v.parse::<i32>()
                    .map_err(|_| Box::new(FieldError::new("venue_id", Msg::ChooseVenue)))?,
            ),
            None => None,
        };
        let venue = if venue_id.is_none() && self.opt("venue_name").is_some() {
            Some(VenueInput {
                name: self.opt("venue_name"),
                address: self.opt("venue_address"),
                city: self.opt("venue_city"),
                region: self.opt("venue_region"),
                postal_code: self.opt("venue_postal_code"),
                country: self.opt("venue_country"),
                lat: None,
                lon: None,
                timezone: self.opt("venue_timezone"),
                accessibility: None,
            })
        } else {
            None
        };
        let mut partners = Vec::new();
        for i in 0..PARTNER_ROWS {
            if let Some(slug) = self.opt(&format!("partner_{i}")) {
                let role = self
                    .opt(&format!("role_{i}"))
                    .unwrap_or_else(|| "host".into());
                let role = Role::parse(&role).ok_or_else(|| {
                    Box::new(FieldError::new(format!("role_{i}"), Msg::ChooseRole))
                })?;
                partners.push(PartnerRef { slug, role });
            }
        }
        let status = match self.opt("status") {
            Some(s) => Some(
                Status::parse(&s)
                    .ok_or_else(|| Box::new(FieldError::new("status", Msg::ChooseStatus)))?,
            ),
            None => None,
        };
        Ok(EventInput {
            uid: None,
            title: self.opt("title"),
            description: self.opt("description"),
            start,
            end,
            timezone: self.opt("timezone"),
            all_day: Some(all_day),
            venue,
            venue_id,
            online_url: self.opt("online_url"),
            info_url: self.opt("info_url"),
            action: self.opt("action"),
            partners: Some(partners),
            tags: Some(
                self.get("tags")
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            status,
            // The excluded dates ride along unchanged, so saving the form never drops them.
            recurrence: self.rule_text()?.map(|rrule| RecurrenceInput {
                rrule: Some(rrule),
                exdates: self
                    .opt("exdates")
                    .map(|x| x.split_whitespace().map(str::to_string).collect()),
                // The form leaves the changed occurrences as they are.
                changes: None,
            }),
            accessibility: access_input(|name| self.opt(name))?,
        })
    }

    /// The RRULE the repeat controls describe (`None`: the event does not repeat). `advanced`
    /// takes the raw rule as typed; the domain validates either.
    pub fn rule_text(&self) -> Result<Option<String>, Box<FieldError>> {
        let freq = match self.get("repeat") {
            "" | "never" => return Ok(None),
            "advanced" => return Ok(self.opt("rrule").or(Some(String::new()))),
            "daily" => "DAILY",
            "weekly" => "WEEKLY",
            "monthly" => "MONTHLY",
            "yearly" => "YEARLY",
            _ => return Err(Box::new(FieldError::new("repeat", Msg::Required))),
        };
        let mut parts = vec![format!("FREQ={freq}")];
        let interval = self.number("interval", MAX_INTERVAL)?.unwrap_or(1);
        if interval > 1 {
            parts.push(format!("INTERVAL={interval}"));
        }
        match freq {
            "WEEKLY" => {
                let days: Vec<&str> = DAYS
                    .iter()
                    .filter(|d| self.checked(&format!("byday_{d}")))
                    .copied()
                    .collect();
                if days.is_empty() {
                    return Err(Box::new(FieldError::new("byday", Msg::PickWeekday)));
                }
                parts.push(format!("BYDAY={}", days.join(",")));
            }
            "MONTHLY" if self.get("monthly") == "day" => {
                let day = self.number("month_day", 31)?.unwrap_or(1);
                parts.push(format!("BYMONTHDAY={day}"));
            }
            "MONTHLY" => {
                let ordinal = match self.get("month_ordinal") {
                    o @ ("1" | "2" | "3" | "4" | "-1") => o,
                    _ => return Err(Box::new(FieldError::new("month_ordinal", Msg::Required))),
                };
                let day = DAYS
                    .iter()
                    .find(|d| **d == self.get("month_weekday"))
                    .ok_or_else(|| Box::new(FieldError::new("month_weekday", Msg::Required)))?;
                parts.push(format!("BYDAY={ordinal}{day}"));
            }
            _ => {}
        }
        match self.get("ends") {
            "count" => {
                let count = self
                    .number("count", MAX_COUNT)?
                    .ok_or_else(|| Box::new(FieldError::new("count", Msg::Required)))?;
                parts.push(format!("COUNT={count}"));
            }
            "until" => {
                let text = self
                    .opt("until")
                    .ok_or_else(|| Box::new(FieldError::new("until", Msg::Required)))?;
                let until =
                    time::parse_date(&text).map_err(|m| Box::new(FieldError::new("until", m)))?;
                let start = self.get("start").get(..10).unwrap_or("");
                if let Ok(start) = time::parse_date(start) {
                    if until < start {
                        return Err(Box::new(FieldError::new(
                            "until",
                            Msg::EndsBeforeStart {
                                until: until.to_string(),
                                start: start.to_string(),
                            },
                        )));
                    }
                }
                parts.push(format!("UNTIL={}", until.format("%Y%m%d")));
            }
            _ => {}
        }
        Ok(Some(parts.join(";")))
    }

    /// A whole number from 1 to `max` in field `name` (`None` when empty).
    fn number(&self, name: &str, max: u32) -> Result<Option<u32>, Box<FieldError>> {
        let Some(text) = self.opt(name) else {
            return Ok(None);
        };
        match text.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
            Ok(_) => Err(Box::new(FieldError::new(
                name,
                Msg::WholeNumberFrom {
                    min: 1,
                    max: i64::from(max),
                },
            ))),
            Err(_) => Err(Box::new(FieldError::new(
                name,
                Msg::NotWholeNumber { input: text },
            ))),
        }
    }

    /// Fills the repeat controls from a stored rule; a rule they cannot show exactly goes into
    /// the raw `rrule` field (`repeat = advanced`), so saving never changes it.
    fn set_rule(&mut self, text: &str) {
        if let Ok(rule) = Rule::parse(text) {
            if let Some(pairs) = controls_for(&rule) {
                let controls = EventForm::from_pairs(pairs);
                if controls.rule_text().ok().flatten().as_deref() == Some(rule.to_text().as_str()) {
                    self.values.extend(controls.values);
                    return;
                }
            }
        }
        self.values.insert("repeat".into(), "advanced".into());
        self.values.insert("rrule".into(), text.to_string());
    }
}

/// BYDAY codes, Monday first, as the weekday checkboxes name them (`byday_MO`).
pub const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn day_code(d: Weekday) -> &'static str {
    DAYS[d.num_days_from_monday() as usize]
}

/// The repeat controls showing `rule`, or `None` when they cannot (BYMONTH, several ordinals,
/// UNTIL with a time, …).
fn controls_for(rule: &Rule) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| out.push((k.to_string(), v));
    if !rule.by_month.is_empty() || rule.wkst != Weekday::Mon {
        return None;
    }
    match rule.freq {
        Freq::Daily | Freq::Yearly => {
            if !rule.by_day.is_empty() || !rule.by_month_day.is_empty() {
                return None;
            }
            put(
                "repeat",
                if rule.freq == Freq::Daily {
                    "daily"
                } else {
                    "yearly"
                }
                .into(),
            );
        }
        Freq::Weekly => {
            if rule.by_day.is_empty()
                || !rule.by_month_day.is_empty()
                || rule.by_day.iter().any(|d| d.ordinal.is_some())
            {
                return None;
            }
            put("repeat", "weekly".into());
            for d in &rule.by_day {
                put(&format!("byday_{}", day_code(d.weekday)), "on".into());
            }
        }
        Freq::Monthly => {
            put("repeat", "monthly".into());
            match (rule.by_day.as_slice(), rule.by_month_day.as_slice()) {
                ([one], []) => {
                    let n = one.ordinal?;
                    if !matches!(n, 1..=4 | -1) {
                        return None;
                    }
                    put("monthly", "weekday".into());
                    put("month_ordinal", n.to_string());
                    put("month_weekday", day_code(one.weekday).into());
                }
                ([], [day]) if *day >= 1 => {
                    put("monthly", "day".into());
                    put("month_day", day.to_string());
                }
                _ => return None,
            }
        }
    }
    if rule.interval > 1 {
        put("interval", rule.interval.to_string());
    }
    match (rule.count, rule.until) {
        (Some(_), Some(_)) => return None,
        (Some(n), None) => {
            put("ends", "count".into());
            put("count", n.to_string());
        }
        (None, Some(Until::Date(d))) => {
            put("ends", "until".into());
            put("until", d.to_string());
        }
        (None, Some(_)) => return None,
        (None, None) => put("ends", "never".into()),
    }
    Some(out)
}

/// Validation errors as a form shows them: by form field (the first per field), in the reader's
/// language.
pub fn field_errors(
    lang: crate::web::i18n::Lang,
    fields: &[FieldError],
) -> HashMap<String, String> {
    let mut errors = HashMap::new();
    for f in fields {
        errors
            .entry(form_field(&f.field))
            .or_insert_with(|| lang.field_message(f));
    }
    errors
}

/// The accessibility fields of a form (the event form, the submission form, the venue form)
/// as the API's input: a wheelchair choice, a yes/no choice each for ASL, captions and childcare
/// (empty: not said, so the venue's holds), interpretation languages separated by commas or
/// spaces (`none`: there is none), notes. `None` when nothing is filled in.
pub fn access_input(
    opt: impl Fn(&str) -> Option<String>,
) -> Result<Option<Accessibility>, Box<FieldError>> {
    let wheelchair = match opt("access_wheelchair") {
        Some(w) => Some(Wheelchair::parse(&w).ok_or_else(|| {
            Box::new(FieldError::new(
                "access_wheelchair",
                Msg::NotWheelchair { input: w },
            ))
        })?),
        None => None,
    };
    let yes_no = |name: &str| match opt(name).as_deref() {
        None => Ok(None),
        Some("yes") => Ok(Some(true)),
        Some("no") => Ok(Some(false)),
        Some(other) => Err(Box::new(FieldError::new(
            name,
            Msg::NotYesNo {
                input: other.to_string(),
            },
        ))),
    };
    let a = Accessibility {
        wheelchair,
        asl: yes_no("access_asl")?,
        interpretation: opt("access_interpretation").map(|l| {
            l.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(NO_LANGUAGES))
                .map(str::to_string)
                .collect()
        }),
        captions: yes_no("access_captions")?,
        childcare: yes_no("access_childcare")?,
        notes: opt("access_notes"),
    };
    Ok((a != Accessibility::default()).then_some(a))
}

/// What the interpretation field says for "there is none" (an empty list, not "not said").
pub const NO_LANGUAGES: &str = "none";

/// A stored accessibility as the form's fields (see [`access_input`]).
pub fn access_values(a: &Accessibility) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push((k.to_string(), v));
        }
    };
    set("access_wheelchair", a.wheelchair.map(|w| w.as_str().into()));
    let yes_no = |b: Option<bool>| b.map(|b| if b { "yes" } else { "no" }.to_string());
    set("access_asl", yes_no(a.asl));
    set("access_captions", yes_no(a.captions));
    set("access_childcare", yes_no(a.childcare));
    set(
        "access_interpretation",
        a.interpretation.as_ref().map(|l| {
            if l.is_empty() {
                NO_LANGUAGES.to_string()
            } else {
                l.join(", ")
            }
        }),
    );
    set("access_notes", a.notes.clone());
    out
}

/// The form field a validation error belongs to (`partners[1].slug` → `partner_1`).
pub fn form_field(api_field: &str) -> String {
    // An event's accessibility and a venue's have the same fields on the forms.
    let own = api_field.strip_prefix("venue.").unwrap_or(api_field);
    if let Some(rest) = own.strip_prefix("accessibility.") {
        let name = rest.split('[').next().unwrap_or(rest);
        return format!("access_{name}");
    }
    if let Some(rest) = api_field.strip_prefix("venue.") {
        return format!("venue_{rest}");
    }
    if let Some(rest) = api_field.strip_prefix("partners[") {
        if let Some((n, _)) = rest.split_once(']') {
            return format!("partner_{n}");
        }
    }
    if api_field.starts_with("tags") {
        return "tags".into();
    }
    if api_field == "recurrence.rrule" {
        return "rrule".into();
    }
    if api_field.starts_with("recurrence.exdates") {
        return "exdates".into();
    }
    api_field.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> EventForm {
        EventForm::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn accessibility_goes_through_the_form_unchanged() {
        use crate::domain::access::{Accessibility, Wheelchair};
        for a in [
            Accessibility {
                wheelchair: Some(Wheelchair::Partial),
                asl: Some(false),
                interpretation: Some(Vec::new()),
                captions: Some(true),
                childcare: None,
                notes: Some("Two steps\nat the door".into()),
            },
            Accessibility {
                interpretation: Some(vec!["es".into(), "zh-Hant".into()]),
                childcare: Some(false),
                ..Accessibility::default()
            },
        ] {
            let values: HashMap<String, String> = access_values(&a).into_iter().collect();
            let back = access_input(|name| values.get(name).cloned()).expect("reads");
            assert_eq!(back, Some(a));
        }
        assert_eq!(access_input(|_| None).expect("reads"), None);
        let bad = access_input(|name| (name == "access_asl").then(|| "maybe".to_string()));
        assert_eq!(bad.expect_err("refused").field, "access_asl");
    }

    #[test]
    fn fields_become_input() {
        let f = form(&[
            ("title", "March"),
            ("start", "2027-09-13T16:00"),
            ("end", "2027-09-13T19:00"),
            ("timezone", "America/Chicago"),
            ("venue_name", "Plaza"),
            ("venue_city", "Chicago"),
            ("partner_0", "mijente"),
            ("role_0", "co-host"),
            ("partner_1", ""),
            ("tags", "NoTechForICE, , CloseTheCamps"),
        ]);
        let input = f.to_input().unwrap();
        assert_eq!(input.venue.unwrap().city.as_deref(), Some("Chicago"));
        assert_eq!(
            input.partners.unwrap(),
            vec![PartnerRef {
                slug: "mijente".into(),
                role: Role::CoHost
            }]
        );
        assert_eq!(input.tags.unwrap(), ["NoTechForICE", "CloseTheCamps"]);
    }

    #[test]
    fn all_day_takes_dates() {
        let f = form(&[
            ("all_day", "on"),
            ("start", "2027-09-13T16:00"),
            ("end", "2027-09-14"),
        ]);
        let input = f.to_input().unwrap();
        assert_eq!(input.start.as_deref(), Some("2027-09-13"));
        assert_eq!(input.end.as_deref(), Some("2027-09-14"));
    }

    fn rule(pairs: &[(&str, &str)]) -> Result<Option<String>, String> {
        form(pairs).rule_text().map_err(|e| e.field.clone())
    }

    #[test]
    fn repeat_controls_build_the_rule() {
        assert_eq!(rule(&[("repeat", "never")]), Ok(None));
        assert_eq!(rule(&[]), Ok(None));
        assert_eq!(
            rule(&[
                ("repeat", "weekly"),
                ("byday_TU", "on"),
                ("byday_TH", "on"),
                ("interval", "2"),
                ("ends", "until"),
                ("until", "2027-06-30"),
                ("start", "2027-03-02T18:00"),
            ]),
            Ok(Some(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270630".into()
            ))
        );
        assert_eq!(
            rule(&[
                ("repeat", "monthly"),
                ("monthly", "weekday"),
                ("month_ordinal", "-1"),
                ("month_weekday", "FR"),
                ("ends", "count"),
                ("count", "12"),
            ]),
            Ok(Some("FREQ=MONTHLY;BYDAY=-1FR;COUNT=12".into()))
        );
        assert_eq!(
            rule(&[
                ("repeat", "monthly"),
                ("monthly", "day"),
                ("month_day", "15")
            ]),
            Ok(Some("FREQ=MONTHLY;BYMONTHDAY=15".into()))
        );
        assert_eq!(
            rule(&[
                ("repeat", "advanced"),
                ("rrule", " FREQ=YEARLY;BYMONTH=3,9 ")
            ]),
            Ok(Some("FREQ=YEARLY;BYMONTH=3,9".into()))
        );
    }

    #[test]
    fn bad_repeat_combinations_name_their_control() {
        assert_eq!(rule(&[("repeat", "weekly")]), Err("byday".into()));
        assert_eq!(
            rule(&[
                ("repeat", "daily"),
                ("ends", "until"),
                ("until", "2027-03-01"),
                ("start", "2027-03-02T18:00"),
            ]),
            Err("until".into())
        );
        assert_eq!(
            rule(&[("repeat", "daily"), ("interval", "0")]),
            Err("interval".into())
        );
        assert_eq!(
            rule(&[("repeat", "daily"), ("ends", "count"), ("count", "x")]),
            Err("count".into())
        );
        assert_eq!(rule(&[("repeat", "hourly")]), Err("repeat".into()));
    }

    #[test]
    fn stored_rules_fill_the_controls_or_stay_raw() {
        for text in [
            "FREQ=DAILY",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;COUNT=10",
            "FREQ=MONTHLY;BYDAY=1TH",
            "FREQ=MONTHLY;BYMONTHDAY=31;UNTIL=20271231",
            "FREQ=YEARLY",
        ] {
            let mut f = EventForm::default();
            f.set_rule(text);
            assert_ne!(f.get("repeat"), "advanced", "{text}");
            assert_eq!(f.rule_text().unwrap().as_deref(), Some(text));
        }
        for text in [
            "FREQ=YEARLY;BYMONTH=3,9",
            "FREQ=MONTHLY;BYDAY=1TH,3TH",
            "FREQ=WEEKLY",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "FREQ=DAILY;UNTIL=20270630T180000",
            "FREQ=WEEKLY;BYDAY=TU;WKST=SU",
            "not a rule",
        ] {
            let mut f = EventForm::default();
            f.set_rule(text);
            assert_eq!(f.get("repeat"), "advanced", "{text}");
            assert_eq!(f.get("rrule"), text);
            assert_eq!(f.rule_text().unwrap().as_deref(), Some(text));
        }
    }

    #[test]
    fn api_fields_map_to_form_fields() {
        assert_eq!(form_field("partners[2].slug"), "partner_2");
        assert_eq!(form_field("venue.city"), "venue_city");
        assert_eq!(form_field("tags[0]"), "tags");
        assert_eq!(form_field("start"), "start");
    }
}
