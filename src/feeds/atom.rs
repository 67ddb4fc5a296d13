//! Atom feeds (RFC 4287) beside every list `.ics`: `/calendar.atom` (the one filter grammar),
//! `/actions/{slug}.atom`, `/partners/{slug}.atom`, `/tags/{tag}.atom`. One entry per event
//! that has not ended (a series: its last occurrence), the most recently changed first, for
//! people who follow news in a feed reader rather than a calendar.

use std::fmt::Write;

use chrono::NaiveDateTime;

use super::json::Links;
use super::render::{list_header, Spec};
use crate::config::Settings;
use crate::db::queries::events::{self as q, EventView};
use crate::db::DbConn;
use crate::domain::time;
use crate::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::view::EventCard;

/// Most entries of one feed (readers keep what they have seen; older changes scroll away).
pub const MAX_ENTRIES: i64 = 100;

/// A rendered Atom document.
pub struct Atom {
    pub body: String,
}

/// The Atom path of a list feed's `.ics` path (`/actions/x.ics?…` → `/actions/x.atom?…`).
pub fn atom_path(ics_path: &str) -> String {
    match ics_path.split_once('?') {
        Some((path, query)) => format!("{}.atom?{query}", path.trim_end_matches(".ics")),
        None => format!("{}.atom", ics_path.trim_end_matches(".ics")),
    }
}

/// Text as XML character data or attribute value: markup escaped, and characters XML 1.0 does
/// not allow (controls but tab and line ends) left out.
pub fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

/// A `tag:` URI (RFC 4151) for an event: this site's host, the day the event was created, its
/// uid; it never changes, whatever else of the event does.
pub fn entry_id(host: &str, created: NaiveDateTime, uid: &str) -> String {
    let mut specific = String::with_capacity(uid.len());
    for b in uid.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            specific.push(char::from(b));
        } else {
            let _ = write!(specific, "%{b:02X}");
        }
    }
    format!("tag:{host},{}:event/{specific}", created.format("%Y-%m-%d"))
}

/// Queries and renders one Atom feed (a list: `Spec::Event` has none) of the events that have
/// not ended before `floor` (UTC).
pub fn render(
    conn: &mut DbConn,
    spec: &Spec,
    settings: &Settings,
    links: &Links,
    floor: NaiveDateTime,
) -> Result<Atom, AppError> {
    let site = &settings.site_name;
    let mut filter = q::Filter::default();
    let header = list_header(conn, spec, site, &mut filter)?;
    let entries = q::recent_changes(conn, &filter, floor, MAX_ENTRIES)?;
    // The newest change, or the start of the day when events that ended left it (it never
    // goes back, and it stays the same all day while nothing changes).
    let newest = entries
        .iter()
        .map(|v| v.event.updated_at)
        .max()
        .map_or(floor, |t| t.max(floor));
    let self_path = atom_path(&header.feed_path);
    let mut out = String::with_capacity(1024 + entries.len() * 1500);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n");
    let _ = writeln!(out, "  <id>{}</id>", xml_text(&links.page(&self_path)));
    let _ = writeln!(
        out,
        "  <title type=\"text\">{}</title>",
        xml_text(&header.name)
    );
    let _ = writeln!(
        out,
        "  <subtitle type=\"text\">{}</subtitle>",
        xml_text(&header.description)
    );
    let _ = writeln!(out, "  <updated>{}</updated>", time::utc_rfc3339(newest));
    let _ = writeln!(
        out,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml_text(&links.page(&self_path))
    );
    let _ = writeln!(
        out,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml_text(&links.page(&header.page_path))
    );
    let _ = writeln!(
        out,
        "  <author><name>{}</name><uri>{}</uri></author>",
        xml_text(site),
        xml_text(&links.page("/"))
    );
    out.push_str("  <generator>Turnout</generator>\n");
    for v in &entries {
        entry(&mut out, v, links, floor);
    }
    out.push_str("</feed>\n");
    Ok(Atom { body: out })
}

/// One event as an entry: its page, when and where in its own zone (a series: its next date
/// after `now`), who is behind it.
fn entry(out: &mut String, v: &EventView, links: &Links, now: NaiveDateTime) {
    let e = &v.event;
    let next = if v.is_series() {
        v.upcoming(now, 1)
    } else {
        Vec::new()
    };
    let card = EventCard::new(next.first().unwrap_or(v), Lang::En);
    let cancelled = e.status == "cancelled";
    let title = if cancelled {
        format!("Cancelled: {}", e.title)
    } else {
        e.title.clone()
    };
    let mut when = format!("{}, {}", card.date_label, card.time_label);
    if v.is_series() {
        when = format!("Next {when}, repeating");
    }
    let mut summary = when;
    let place = card.place();
    match (place.is_empty(), e.online_url.is_some()) {
        (false, true) => summary.push_str(&format!(" · {place} and online")),
        (false, false) => summary.push_str(&format!(" · {place}")),
        (true, true) => summary.push_str(" · Online"),
        (true, false) => {}
    }
    let page = links.page(&format!("/events/{}", e.id));
    let _ = writeln!(out, "  <entry>");
    let _ = writeln!(
        out,
        "    <id>{}</id>",
        xml_text(&entry_id(links.host(), e.created_at, &e.uid))
    );
    let _ = writeln!(out, "    <title type=\"text\">{}</title>", xml_text(&title));
    let _ = writeln!(
        out,
        "    <updated>{}</updated>",
        time::utc_rfc3339(e.updated_at)
    );
    let _ = writeln!(
        out,
        "    <published>{}</published>",
        time::utc_rfc3339(e.created_at)
    );
    let _ = writeln!(
        out,
        "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml_text(&page)
    );
    for p in v.partners.iter().filter(|p| p.role != "endorser") {
        let _ = writeln!(
            out,
            "    <author><name>{}</name><uri>{}</uri></author>",
            xml_text(&p.name),
            xml_text(&links.page(&format!("/partners/{}", p.slug)))
        );
    }
    for p in v.partners.iter().filter(|p| p.role == "endorser") {
        let _ = writeln!(
            out,
            "    <contributor><name>{}</name><uri>{}</uri></contributor>",
            xml_text(&p.name),
            xml_text(&links.page(&format!("/partners/{}", p.slug)))
        );
    }
    for t in &v.tags {
        let _ = writeln!(out, "    <category term=\"{}\"/>", xml_text(t));
    }
    let _ = writeln!(
        out,
        "    <summary type=\"text\">{}</summary>",
        xml_text(&summary)
    );
    let mut content = e.description.clone();
    if let Some(line) = v.access().line() {
        if !content.is_empty() {
            content.push_str("\n\n");
        }
        content.push_str(&line);
    }
    if !content.is_empty() {
        let _ = writeln!(
            out,
            "    <content type=\"text\">{}</content>",
            xml_text(&content)
        );
    }
    let _ = writeln!(out, "  </entry>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_ids_and_text() {
        assert_eq!(atom_path("/actions/x.ics"), "/actions/x.atom");
        assert_eq!(
            atom_path("/calendar.ics?city=boston"),
            "/calendar.atom?city=boston"
        );
        let created = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        assert_eq!(
            entry_id("turnout.example", created, "demo-001@turnout.example"),
            "tag:turnout.example,2026-12-01:event/demo-001@turnout.example"
        );
        assert_eq!(
            entry_id("h", created, "a b%c#d"),
            "tag:h,2026-12-01:event/a%20b%25c%23d"
        );
        assert_eq!(
            xml_text("<b>Tom & \"Jerry\"</b>\u{1}\n"),
            "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;\n"
        );
    }
}
