//! Series in the admin: the repeat controls build the rule and show a stored one back (a rule
//! they cannot show stays as written), saving keeps the rule and the excluded dates, bad
//! combinations come back inline as typed, the preview lists the next dates as they will be
//! stored (across a DST change), and one date is cancelled, restored, changed or removed from
//! the edit page — only by those who may change the series.

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, text, user, Browser, TestApp};

/// Undoes askama's HTML escaping.
fn unescape(s: &str) -> String {
    s.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in tag text `tag`.
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

fn has_flag(tag: &str, name: &str) -> bool {
    tag.contains(&format!(" {name}>")) || tag.contains(&format!(" {name} "))
}

/// What a browser submits from the event form on `page` (without pressing a named button):
/// inputs (checked boxes and radios only), selects (the selected option, else the first) and
/// textareas.
fn submitted(page: &str) -> Vec<(String, String)> {
    let start = page
        .find("<form class=\"stack event-form\"")
        .expect("the event form");
    let form = &page[start..start + page[start..].find("</form>").expect("form ends")];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').unwrap_or(rest.len() - 1);
        let tag = &rest[..=end];
        if tag.starts_with("<input ") {
            let kind = attr(tag, "type").unwrap_or_default();
            if let Some(name) = attr(tag, "name") {
                let value = attr(tag, "value").unwrap_or_else(|| "on".into());
                if !matches!(kind.as_str(), "checkbox" | "radio") || has_flag(tag, "checked") {
                    out.push((name, value));
                }
            }
        } else if tag.starts_with("<select ") {
            let name = attr(tag, "name").unwrap_or_default();
            let body = &rest[..rest.find("</select>").expect("select ends")];
            let options: Vec<&str> = body.split("<option ").skip(1).collect();
            let chosen = options
                .iter()
                .find(|o| o.split('>').next().unwrap_or("").contains(" selected"))
                .or(options.first());
            if let Some(o) = chosen {
                out.push((name, attr(&format!(" {o}"), "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<textarea ") {
            let name = attr(tag, "name").unwrap_or_default();
            let body = &rest[end + 1..];
            let value = &body[..body.find("</textarea>").expect("textarea ends")];
            out.push((name, unescape(value)));
        }
        rest = &rest[end + 1..];
    }
    out
}

fn set(form: &mut Vec<(String, String)>, name: &str, value: &str) {
    form.retain(|(k, _)| k != name);
    form.push((name.to_string(), value.to_string()));
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn admin(app: &TestApp) -> Browser<'_> {
    let password = user(app, "admin@example.org", "admin", None);
    let mut b = Browser::new(app);
    b.login("admin@example.org", &password).await;
    b
}

/// The Tuesday vigil as the admin form sends it, repeating weekly on the days given.
fn vigil_form(csrf: &str) -> Vec<(String, String)> {
    [
        ("csrf", csrf),
        ("title", "Tuesday vigil at Palantir"),
        ("description", "Every week."),
        ("start", "2027-03-02T18:00"),
        ("end", "2027-03-02T19:00"),
        ("timezone", "America/Los_Angeles"),
        ("venue_name", "Palantir office"),
        ("venue_city", "Palo Alto"),
        ("partner_0", "mijente"),
        ("role_0", "host"),
        ("status", "confirmed"),
        ("repeat", "weekly"),
        ("interval", "1"),
        ("byday_TU", "on"),
        ("monthly", "weekday"),
        ("month_ordinal", "1"),
        ("month_weekday", "MO"),
        ("ends", "until"),
        ("until", "2027-06-29"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn listing(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/events?{query}")).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    r.json()["events"].as_array().cloned().unwrap_or_default()
}

/// (start, title, status) of each listed occurrence.
fn seen(events: &[Value]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["start"].as_str().unwrap_or_default().to_string(),
                e["title"].as_str().unwrap_or_default().to_string(),
                e["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_weekly_series_from_the_controls_previews_its_dates_across_dst_and_saves_its_rule() {
    let app = spawn_app().await;
    app.seed().await;
    let mut b = admin(&app).await;
    let csrf = b.csrf().await;
    let mut form = vigil_form(&csrf);

    // Preview: the next five dates, in Los Angeles time, the clocks change on March 14.
    form.push(("preview".into(), "1".into()));
    let r = b.post("/admin/events", &pairs(&form)).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let page = text(&r);
    let dates = [
        "Tue, Mar 2, 2027, 6:00 PM PST",
        "Tue, Mar 9, 2027, 6:00 PM PST",
        "Tue, Mar 16, 2027, 6:00 PM PDT",
        "Tue, Mar 23, 2027, 6:00 PM PDT",
        "Tue, Mar 30, 2027, 6:00 PM PDT",
    ];
    let list: String = dates.iter().map(|d| format!("<li>{d}</li>")).collect();
    assert!(page.contains(&list), "{page}");
    assert!(!page.contains("Tue, Apr 6, 2027"), "five dates only");
    assert!(page.contains("<input type=\"checkbox\" name=\"byday_TU\" checked>"));
    assert!(
        listing(&app, "from=2027-01-01").await.is_empty(),
        "not saved"
    );

    // In Spanish, the same dates.
    b.cookies.insert("lang".into(), "es".into());
    let r = b.post("/admin/events", &pairs(&form)).await;
    assert!(text(&r).contains("<li>mar, 16 mar 2027, 18:00 PDT</li>"));
    b.cookies.remove("lang");

    form.retain(|(k, _)| k != "preview");
    let r = b.post("/admin/events", &pairs(&form)).await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let events = listing(&app, "from=2027-03-01&to=2027-04-01").await;
    assert_eq!(events.len(), 5);
    assert_eq!(
        events[0]["recurrence"]["rrule"],
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629"
    );
    assert_eq!(events[2]["start"], "2027-03-16T18:00:00-07:00");

    // The edit page shows the rule in the controls, not as raw text.
    let id = events[0]["id"].as_i64().unwrap();
    let edit = text(&b.get(&format!("/admin/events/{id}/edit")).await);
    for shown in [
        "<option value=\"weekly\" selected>",
        "<input type=\"checkbox\" name=\"byday_TU\" checked>",
        "name=\"ends\" value=\"until\" checked>",
        "name=\"until\" type=\"date\" aria-label=\"On this date\" value=\"2027-06-29\"",
    ] {
        assert!(edit.contains(shown), "{shown} in {edit}");
    }
    assert!(
        !edit.contains("name=\"rrule\""),
        "no raw rule for a rule the controls show"
    );
}

#[actix_web::test]
async fn saving_an_unrelated_field_keeps_the_rule_and_the_excluded_dates() {
    let app = spawn_app().await;
    app.seed().await;
    let mut b = admin(&app).await;
    for (rrule, exdates, raw) in [
        (
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231",
            json!(["2027-03-09T18:00", "2027-03-23T18:00"]),
            false,
        ),
        // BYMONTH lists and several ordinals: more than the controls show.
        (
            "FREQ=YEARLY;BYMONTH=3,9;BYDAY=1TU,3TU",
            json!(["2027-09-21T18:00"]),
            true,
        ),
    ] {
        let mut e = event(
            "Vigil",
            "2027-03-02T18:00",
            "2027-03-02T19:00",
            "America/Los_Angeles",
        );
        e["recurrence"] = json!({"rrule": rrule, "exdates": exdates});
        let created = app.create_event(&e).await;
        let id = created["id"].as_i64().unwrap();
        let edit = text(&b.get(&format!("/admin/events/{id}/edit")).await);
        assert_eq!(
            edit.contains("<option value=\"advanced\" selected>"),
            raw,
            "{edit}"
        );
        let mut form = submitted(&edit);
        set(&mut form, "title", "Vigil (renamed)");
        let r = b.post(&format!("/admin/events/{id}"), &pairs(&form)).await;
        assert_eq!(r.status, 303, "{}", text(&r));
        let after = app.get(&format!("/api/v1/events/{id}")).await.json();
        assert_eq!(after["title"], "Vigil (renamed)");
        assert_eq!(after["recurrence"]["rrule"], rrule);
        assert_eq!(after["recurrence"]["exdates"], exdates);
        assert_eq!(
            after["sequence"], created["sequence"],
            "nothing rescheduled"
        );
    }
}

#[actix_web::test]
async fn bad_repeat_combinations_come_back_inline_as_typed() {
    let app = spawn_app().await;
    app.seed().await;
    let mut b = admin(&app).await;
    let csrf = b.csrf().await;

    // Weekly with no day picked.
    let mut form = vigil_form(&csrf);
    form.retain(|(k, _)| k != "byday_TU");
    let r = b.post("/admin/events", &pairs(&form)).await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(
        page.contains(
            "<p class=\"error\" id=\"byday-error\">pick at least one day of the week</p>"
        ),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"byday-error\""));
    for kept in [
        "value=\"Tuesday vigil at Palantir\"",
        "<option value=\"weekly\" selected>",
        "value=\"2027-06-29\"",
        "value=\"Palantir office\"",
    ] {
        assert!(page.contains(kept), "lost {kept}");
    }

    // Ends on a date before the start.
    let mut form = vigil_form(&csrf);
    set(&mut form, "until", "2027-02-01");
    let r = b.post("/admin/events", &pairs(&form)).await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(
        page.contains("<p class=\"error\" id=\"until-error\">the repeat ends on 2027-02-01, before the event starts (2027-03-02)</p>"),
        "{page}"
    );
    assert!(page.contains("value=\"2027-02-01\" aria-invalid=\"true\""));
    assert!(page.contains("<input type=\"checkbox\" name=\"byday_TU\" checked>"));

    // The same in Spanish.
    b.cookies.insert("lang".into(), "es".into());
    let r = b.post("/admin/events", &pairs(&form)).await;
    assert!(text(&r).contains("la repetición termina el 2027-02-01"));
    b.cookies.remove("lang");

    // What only the domain can tell: a start that is not one of the rule's days.
    let mut form = vigil_form(&csrf);
    form.retain(|(k, _)| k != "byday_TU");
    form.push(("byday_WE".into(), "on".into()));
    let r = b.post("/admin/events", &pairs(&form)).await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(
        page.contains("2027-03-02T18:00 is a Tuesday; the rule repeats on Wednesday: start the series on one of its days"),
        "{page}"
    );
    assert!(page.contains("id=\"rrule-error\""), "{page}");
    assert!(page.contains("<input type=\"checkbox\" name=\"byday_WE\" checked>"));
    // In Spanish, in Spanish.
    b.cookies.insert("lang".into(), "es".into());
    let r = b.post("/admin/events", &pairs(&form)).await;
    let page = text(&r);
    assert!(
        page.contains("2027-03-02T18:00 es martes; la regla se repite los miércoles: empieza la serie en uno de esos días"),
        "{page}"
    );
    b.cookies.remove("lang");
    // Previewing a bad form shows the same errors and no dates.
    form.push(("preview".into(), "1".into()));
    let r = b.post("/admin/events", &pairs(&form)).await;
    assert_eq!(r.status, 422);
    assert!(!text(&r).contains("preview-dates"));
    assert!(listing(&app, "from=2027-01-01").await.is_empty());
}

fn vigil_api() -> Value {
    let mut e = event(
        "Tuesday vigil",
        "2027-01-05T18:00",
        "2027-01-05T19:00",
        "America/Los_Angeles",
    );
    e["recurrence"] = json!({"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=20"});
    e
}

#[actix_web::test]
async fn one_date_is_cancelled_restored_changed_or_removed_from_the_edit_page() {
    let app = spawn_app().await;
    app.seed().await;
    let s = app.create_event(&vigil_api()).await;
    let id = s["id"].as_i64().unwrap();
    let mut b = admin(&app).await;
    let edit = text(&b.get(&format!("/admin/events/{id}/edit")).await);
    assert!(edit.contains("Tue, Jan 12, 2027, 6:00 PM PST"), "{edit}");
    assert!(edit.contains(&format!("action=\"/admin/events/{id}/occurrences/cancel\"")));
    assert_eq!(edit.matches("name=\"occurrence\" value=\"").count(), 30);
    let csrf = b.csrf().await;
    let op = |op: &str| format!("/admin/events/{id}/occurrences/{op}");

    // Cancel one date.
    let r = b
        .post(
            &op("cancel"),
            &[("csrf", &csrf), ("occurrence", "2027-01-12T18:00")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let back = r.header("location").unwrap();
    assert_eq!(
        back,
        format!("/admin/events/{id}/edit?done=occurrence_cancel")
    );
    let page = text(&b.get(&back).await);
    assert!(page.contains("The date is cancelled"), "{page}");
    assert!(page.contains(&format!(
        "action=\"/admin/events/{id}/occurrences/restore\""
    )));
    let jan = listing(&app, "from=2027-01-01&to=2027-01-20").await;
    assert_eq!(
        seen(&jan),
        [
            ("2027-01-05T18:00:00-08:00", "Tuesday vigil", "confirmed"),
            ("2027-01-12T18:00:00-08:00", "Tuesday vigil", "cancelled"),
            ("2027-01-19T18:00:00-08:00", "Tuesday vigil", "confirmed"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );

    // Restore it.
    let r = b
        .post(
            &op("restore"),
            &[("csrf", &csrf), ("occurrence", "2027-01-12T18:00")],
        )
        .await;
    assert_eq!(r.status, 303);
    let jan = listing(&app, "from=2027-01-12&to=2027-01-13").await;
    assert_eq!(jan[0]["status"], "confirmed");
    // Its change was only the cancellation: the date returns to the rule.
    let s = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(s["occurrences"], json!([]));

    // Move one an hour later and rename it.
    let change = |start: &'static str, end: &'static str| {
        vec![
            ("csrf", csrf.as_str()),
            ("occurrence", "2027-01-19T18:00"),
            ("title", "Vigil (late)"),
            ("start", start),
            ("end", end),
        ]
    };
    let r = b
        .post(
            &op("change"),
            &change("2027-01-19T19:00", "2027-01-19T18:30"),
        )
        .await;
    assert_eq!(r.status, 422, "an end before the start is refused inline");
    let page = text(&r);
    assert!(
        page.contains("2027-01-19T18:30 is not after start 2027-01-19T19:00"),
        "{page}"
    );
    assert!(page.contains("value=\"Vigil (late)\""), "typed title kept");
    assert!(
        page.contains("value=\"2027-01-19T18:30\""),
        "typed end kept"
    );
    let r = b
        .post(
            &op("change"),
            &change("2027-01-19T19:00", "2027-01-19T20:00"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let jan = listing(&app, "from=2027-01-19&to=2027-01-20").await;
    assert_eq!(
        seen(&jan),
        [(
            "2027-01-19T19:00:00-08:00".to_string(),
            "Vigil (late)".to_string(),
            "confirmed".to_string()
        )]
    );
    let r = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(r["title"], "Tuesday vigil", "the series keeps its title");

    // Remove one: an excluded date.
    let r = b
        .post(
            &op("remove"),
            &[("csrf", &csrf), ("occurrence", "2027-01-26T18:00")],
        )
        .await;
    assert_eq!(r.status, 303);
    let s = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(s["recurrence"]["exdates"], json!(["2027-01-26T18:00"]));
    let edit = text(&b.get(&format!("/admin/events/{id}/edit")).await);
    assert!(!edit.contains("Tue, Jan 26, 2027"));
    assert!(edit.contains("name=\"exdates\" value=\"2027-01-26T18:00\""));

    // Without the session's token: refused, nothing changes.
    let r = b
        .post(&op("cancel"), &[("occurrence", "2027-02-02T18:00")])
        .await;
    assert_eq!(r.status, 403);
    assert!(text(&r).contains("This form expired"));
    let feb = listing(&app, "from=2027-02-02&to=2027-02-03").await;
    assert_eq!(feb[0]["status"], "confirmed");

    // The edit form's preview shows the dates as saving it keeps them: the moved one at its own
    // time, marked, the removed one left out, a cancelled one marked.
    let r = b
        .post(
            &op("cancel"),
            &[("csrf", &csrf), ("occurrence", "2027-02-09T18:00")],
        )
        .await;
    assert_eq!(r.status, 303);
    let mut form = submitted(&text(&b.get(&format!("/admin/events/{id}/edit")).await));
    set(&mut form, "csrf", &csrf);
    form.push(("preview".into(), "1".into()));
    let r = b.post(&format!("/admin/events/{id}"), &pairs(&form)).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let dates = [
        "Tue, Jan 5, 2027, 6:00 PM PST",
        "Tue, Jan 12, 2027, 6:00 PM PST",
        "Tue, Jan 19, 2027, 7:00 PM PST (Changed)",
        "Tue, Feb 2, 2027, 6:00 PM PST",
        "Tue, Feb 9, 2027, 6:00 PM PST (Cancelled)",
    ];
    let list: String = dates.iter().map(|d| format!("<li>{d}</li>")).collect();
    assert!(text(&r).contains(&list), "{}", text(&r));
}

#[actix_web::test]
async fn an_organizer_of_another_partner_cannot_change_a_date() {
    let app = spawn_app().await;
    app.seed().await;
    let theirs = app.create_event(&vigil_api()).await;
    let id = theirs["id"].as_i64().unwrap();
    let mut ours = vigil_api();
    ours["title"] = json!("Cosecha vigil");
    ours["partners"] = json!([{"slug": "cosecha"}]);
    let ours = app.create_event(&ours).await;
    let password = user(&app, "ana@example.org", "organizer", Some("cosecha"));
    let mut b = Browser::new(&app);
    b.login("ana@example.org", &password).await;
    let csrf = b.csrf().await;
    for op in ["cancel", "remove", "change"] {
        let r = b
            .post(
                &format!("/admin/events/{id}/occurrences/{op}"),
                &[
                    ("csrf", &csrf),
                    ("occurrence", "2027-01-12T18:00"),
                    ("title", "Hijacked"),
                    ("start", "2027-01-12T18:00"),
                    ("end", "2027-01-12T19:00"),
                ],
            )
            .await;
        assert_eq!(r.status, 403, "{op}");
        assert!(text(&r).contains("belongs to another partner"), "{op}");
    }
    let s = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(s["recurrence"]["exdates"], json!([]));
    let jan = listing(&app, "from=2027-01-12&to=2027-01-13").await;
    let mijente: Vec<_> = jan.iter().filter(|e| e["id"] == id).collect();
    assert_eq!(mijente[0]["status"], "confirmed");
    assert_eq!(mijente[0]["title"], "Tuesday vigil");
    // Their own series: the dates are listed and can be cancelled.
    let own = ours["id"].as_i64().unwrap();
    let edit = text(&b.get(&format!("/admin/events/{own}/edit")).await);
    assert!(edit.contains("Next dates of this series"));
    let r = b
        .post(
            &format!("/admin/events/{own}/occurrences/cancel"),
            &[("csrf", &csrf), ("occurrence", "2027-01-12T18:00")],
        )
        .await;
    assert_eq!(r.status, 303);
}
