//! The event form: what the organizer typed (kept verbatim for re-display), its conversion to the
//! API's input shape, and field errors mapped back onto form fields.

use crate::domain::message::Msg;
use std::collections::HashMap;

use crate::db::queries::events::EventView;
use crate::domain::catalog::VenueInput;
use crate::domain::event::{EventInput, PartnerRef, RecurrenceInput, Role, Status};
use crate::error::FieldError;

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
        if let Some(r) = input.recurrence {
            set("rrule", r.rrule);
            set("exdates", r.exdates.map(|x| x.join(" ")));
        }
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
            // The rule as text until the form has its own controls; the excluded dates ride
            // along unchanged, so saving the form never drops them.
            recurrence: self.opt("rrule").map(|rrule| RecurrenceInput {
                rrule: Some(rrule),
                exdates: self
                    .opt("exdates")
                    .map(|x| x.split_whitespace().map(str::to_string).collect()),
            }),
        })
    }
}

/// The form field a validation error belongs to (`partners[1].slug` → `partner_1`).
pub fn form_field(api_field: &str) -> String {
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

    #[test]
    fn api_fields_map_to_form_fields() {
        assert_eq!(form_field("partners[2].slug"), "partner_2");
        assert_eq!(form_field("venue.city"), "venue_city");
        assert_eq!(form_field("tags[0]"), "tags");
        assert_eq!(form_field("start"), "start");
    }
}
