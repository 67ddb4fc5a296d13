//! Who can come (issue 13): an event's accessibility over its venue's, in the API's input and
//! output, the `access` filter through JSON, feeds and pages, the feeds' DESCRIPTION line,
//! JSON-LD, the event page in both languages, the admin's venue form and the submission form.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::admin::app_event_id;
use crate::helpers::{event, hidden, spawn_app, text, user, Browser, TestApp};
use crate::near::{feed_uids, page_ids, uids};

const LA: &str = "America/Los_Angeles";

/// The venue of most events here: step-free, with a note.
fn plaza() -> Value {
    json!({"name": "King Plaza", "address": "250 Hamilton Ave", "city": "Palo Alto",
           "region": "CA", "postal_code": "94301", "country": "US", "timezone": LA,
           "accessibility": {"wheelchair": "full", "notes": "Accessible restrooms inside City Hall"}})
}

struct Seeded {
    /// At the plaza, with Spanish interpretation of its own.
    interpreted: Value,
    /// At the plaza, but says it has no wheelchair access (a stage on the lawn).
    lawn: Value,
    /// Elsewhere, with ASL.
    asl: Value,
    /// Online, with captions.
    online: Value,
}

async fn seed(app: &TestApp) -> Seeded {
    app.seed().await;
    let venue = app.post("/api/v1/venues", &plaza()).await;
    assert_eq!(venue.status, 201, "{}", text(&venue));
    let venue = venue.json();
    assert_eq!(
        venue["accessibility"],
        json!({"wheelchair": "full", "asl": false, "interpretation": [], "captions": false,
               "childcare": false, "notes": "Accessible restrooms inside City Hall"})
    );
    let at_plaza = |title: &str, start: &str, access: Value| {
        let mut e = event(title, start, &start.replace("T16", "T18"), LA);
        e.as_object_mut().map(|o| o.remove("venue"));
        e["venue_id"] = venue["id"].clone();
        e["accessibility"] = access;
        e
    };
    let interpreted = app
        .create_event(&at_plaza(
            "Vigil with interpretation",
            "2027-09-13T16:00",
            json!({"interpretation": ["ES"]}),
        ))
        .await;
    let lawn = app
        .create_event(&at_plaza(
            "Rally on the lawn",
            "2027-09-14T16:00",
            json!({"wheelchair": "none", "notes": "The stage is on the grass"}),
        ))
        .await;
    let mut e = event(
        "Boston rally",
        "2027-09-15T16:00",
        "2027-09-15T18:00",
        "America/New_York",
    );
    e["accessibility"] = json!({"asl": true, "childcare": true});
    let asl = app.create_event(&e).await;
    let mut e = event(
        "Online teach-in",
        "2027-09-16T16:00",
        "2027-09-16T18:00",
        LA,
    );
    e.as_object_mut().map(|o| o.remove("venue"));
    e["online_url"] = json!("https://meet.example/teach-in");
    e["accessibility"] = json!({"captions": true});
    let online = app.create_event(&e).await;
    Seeded {
        interpreted,
        lawn,
        asl,
        online,
    }
}

fn uid(e: &Value) -> String {
    e["uid"].as_str().expect("uid").to_string()
}

#[actix_web::test]
async fn the_event_says_what_its_venue_does_not() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    assert_eq!(
        s.interpreted["accessibility"],
        json!({"wheelchair": "full", "asl": false, "interpretation": ["es"], "captions": false,
               "childcare": false, "notes": "Accessible restrooms inside City Hall"}),
        "the venue's wheelchair access and notes, the event's own interpretation"
    );
    assert_eq!(s.lawn["accessibility"]["wheelchair"], "none");
    assert_eq!(
        s.lawn["accessibility"]["notes"],
        "The stage is on the grass"
    );
    assert_eq!(
        s.online["accessibility"],
        json!({"wheelchair": null, "asl": false, "interpretation": [], "captions": true,
               "childcare": false, "notes": null})
    );

    // A merge patch changes one field and keeps the others.
    let id = s.interpreted["id"].as_i64().expect("id");
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"accessibility": {"asl": true}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["accessibility"]["asl"], true);
    assert_eq!(r.json()["accessibility"]["interpretation"], json!(["es"]));
    // Cleared, the event shows its venue's again.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"accessibility": null}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(
        r.json()["accessibility"],
        json!({"wheelchair": "full", "asl": false, "interpretation": [], "captions": false,
               "childcare": false, "notes": "Accessible restrooms inside City Hall"})
    );

    // Bad input names its field; nothing is stored.
    let mut bad = event("Bad", "2027-09-20T16:00", "2027-09-20T18:00", LA);
    bad["accessibility"] = json!({"interpretation": ["es", "Spanish"], "notes": "x".repeat(1001)});
    let r = app.post("/api/v1/events", &bad).await;
    assert_eq!(
        r.problem(422),
        ["accessibility.interpretation[1]", "accessibility.notes"]
    );
    assert_eq!(
        r.message("accessibility.interpretation[1]"),
        "\"Spanish\" is not a language code like es, zh-Hant or ase"
    );
    bad["accessibility"] = json!({"wheelchair": "yes"});
    let r = app.post("/api/v1/events", &bad).await;
    assert_eq!(r.problem(422), ["accessibility.wheelchair"], "{}", text(&r));
    bad["accessibility"] = json!({"ramp": true});
    let r = app.post("/api/v1/events", &bad).await;
    assert_eq!(r.problem(422), ["accessibility.ramp"], "{}", text(&r));
    let all = app.get("/api/v1/events?from=2027-01-01").await.json();
    assert_eq!(all["events"].as_array().expect("events").len(), 4);
}

#[actix_web::test]
async fn access_means_the_same_events_in_json_ics_and_html() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let pick = |list: &[&Value]| list.iter().map(|e| uid(e)).collect::<BTreeSet<_>>();
    let ids = |list: &[&Value]| {
        list.iter()
            .map(|e| e["id"].as_i64().expect("id"))
            .collect::<BTreeSet<_>>()
    };
    let cases: Vec<(&str, Vec<&Value>)> = vec![
        // The venue's full access counts; the lawn's own "none" wins over it.
        ("access=wheelchair", vec![&s.interpreted]),
        ("access=es", vec![&s.interpreted]),
        ("access=ES-mx", vec![]),
        ("access=es,wheelchair", vec![&s.interpreted]),
        // A form's boxes, one parameter each.
        ("access=wheelchair&access=es", vec![&s.interpreted]),
        ("access=asl", vec![&s.asl]),
        ("access=asl,childcare", vec![&s.asl]),
        ("access=asl,captions", vec![]),
        ("access=captions", vec![&s.online]),
        ("access=childcare&city=boston", vec![&s.asl]),
    ];
    for (query, want) in cases {
        let json = app
            .get(&format!("/api/v1/events?from=2027-01-01&{query}"))
            .await;
        assert_eq!(json.status, 200, "{query}: {}", text(&json));
        assert_eq!(uids(&json.json()), pick(&want), "JSON {query}");
        let feed = app.get(&format!("/calendar.ics?{query}")).await;
        assert_eq!(feed.status, 200, "{query}");
        assert_eq!(feed_uids(&text(&feed)), pick(&want), "ICS {query}");
        let page = app.get(&format!("/?from=2027-01-01&{query}")).await;
        assert_eq!(page.status, 200, "{query}");
        assert_eq!(page_ids(&text(&page)), ids(&want), "HTML {query}");
    }
    // The boxes of the listing's form show what was asked, each need once.
    let page = text(&app.get("/?access=wheelchair&access=es").await);
    assert!(page.contains("name=\"access\" value=\"wheelchair\" checked"));
    assert!(page.contains("name=\"access\" value=\"es\" checked"));
    assert!(page.contains("name=\"access\" value=\"asl\">"));
    // A language without a box rides along hidden, so the form keeps it.
    let page = text(&app.get("/?access=vi").await);
    assert!(page.contains("<input type=\"hidden\" name=\"access\" value=\"vi\">"));
    // Requests that mean the same are one cached answer.
    let a = app.get("/calendar.ics?access=es,wheelchair").await;
    let b = app.get("/calendar.ics?access=WHEELCHAIR&access=es").await;
    assert_eq!(a.header("etag"), b.header("etag"));
    assert!(text(&a)
        .contains("X-WR-CALNAME:Turnout — with wheelchair access\\, Spanish interpretation"));

    // A bad need: 422 naming `access` in the API, an inline message on the page (in Spanish
    // on the Spanish page), and the same refusal from the feed.
    let r = app.get("/api/v1/events?access=wheelchair,ramp").await;
    assert_eq!(r.problem(422), ["access"]);
    assert_eq!(
        r.message("access"),
        "\"ramp\" is not one of wheelchair, asl, captions, childcare or a language code like es"
    );
    let r = app.get("/es/?access=ramp").await;
    assert_eq!(r.status, 422);
    assert!(text(&r).contains("«ramp» no es ninguno de wheelchair"));
    assert_eq!(app.get("/calendar.ics?access=ramp").await.status, 422);
}

#[actix_web::test]
async fn feeds_pages_and_json_ld_show_who_can_come() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let feed = text(&app.get("/calendar.ics").await).replace("\r\n ", "");
    assert!(
        feed.contains("Access: Wheelchair accessible\\; Spanish interpretation. Accessible restrooms inside City Hall"),
        "{feed}"
    );
    assert!(feed.contains("Access: Not wheelchair accessible. The stage is on the grass"));
    assert!(feed.contains("Access: ASL interpretation\\; Childcare"));

    let id = s.interpreted["id"].as_i64().expect("id");
    let page = text(&app.get(&format!("/events/{id}")).await);
    assert!(page.contains("<dt>Who can come</dt>"));
    assert!(page.contains("class=\"ai ai-wheelchair\">Wheelchair accessible</li>"));
    assert!(page.contains("class=\"ai ai-interpretation\">Spanish interpretation</li>"));
    assert!(page.contains("Accessible restrooms inside City Hall"));
    let es = text(&app.get(&format!("/es/events/{id}")).await);
    assert!(es.contains("<dt>Accesibilidad</dt>"));
    assert!(es.contains(">Accesible en silla de ruedas</li>"));
    assert!(es.contains(">Interpretación: español</li>"));

    let marker = "application/ld+json\">";
    let start = page.find(marker).expect("JSON-LD") + marker.len();
    let ld: Value =
        serde_json::from_str(&page[start..start + page[start..].find("</script>").expect("end")])
            .expect("JSON-LD parses");
    assert_eq!(ld["inLanguage"], json!(["es"]));
    assert_eq!(
        ld["location"][0]["amenityFeature"],
        json!([{"@type": "LocationFeatureSpecification", "name": "Wheelchair accessible",
                "value": true}])
    );

    // The listing's cards say it too, with the icon's class.
    let listing = text(&app.get("/?from=2027-01-01").await);
    assert!(listing.contains("<span class=\"ai ai-captions\">Captions</span>"));
    assert!(
        listing.contains("<span class=\"ai ai-wheelchair-none\">Not wheelchair accessible</span>")
    );
}

#[actix_web::test]
async fn a_venue_corrected_in_the_admin_moves_its_events_defaults() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let venue_id = s.interpreted["venue"]["id"].as_i64().expect("venue");
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    b.login("admin@example.org", &password).await;
    let form = text(&b.get(&format!("/admin/manage/venue/{venue_id}")).await);
    assert!(form.contains("<option value=\"full\" selected>"), "{form}");
    assert!(form.contains(">Accessible restrooms inside City Hall</textarea>"));
    let csrf = b.csrf().await;
    let fields = |interpretation: &'static str| {
        vec![
            ("name", "King Plaza"),
            ("address", "250 Hamilton Ave"),
            ("city", "Palo Alto"),
            ("region", "CA"),
            ("postal_code", "94301"),
            ("country", "US"),
            ("timezone", LA),
            ("access_wheelchair", "partial"),
            ("access_captions", "yes"),
            ("access_interpretation", interpretation),
        ]
    };
    // A bad language: the form again, with what was typed and the message by its field.
    let mut bad = fields("es, Spanish");
    bad.push(("csrf", &csrf));
    let r = b
        .post(&format!("/admin/manage/venue/{venue_id}"), &bad)
        .await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(page.contains("value=\"es, Spanish\""));
    assert!(
        page.contains("id=\"edit-access_interpretation-error\""),
        "{page}"
    );
    // synced_at trails the read by a safety margin; let the seeding pass it.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    let before = app
        .get("/api/v1/events?updated_since=2000-01-01T00:00:00Z")
        .await
        .json();
    let synced = before["synced_at"].as_str().expect("synced_at").to_string();
    let mut good = fields("");
    good.push(("csrf", &csrf));
    let r = b
        .post(&format!("/admin/manage/venue/{venue_id}"), &good)
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    // A sync hears of both events there: what they show changed.
    let changed = app
        .get(&format!(
            "/api/v1/events?updated_since={}",
            synced.replace('+', "%2B")
        ))
        .await;
    assert_eq!(changed.status, 200, "{}", text(&changed));
    assert_eq!(
        uids(&changed.json()),
        [uid(&s.interpreted), uid(&s.lawn)].into_iter().collect()
    );

    // Its events follow: no longer full access, captions now; the lawn keeps its own "none".
    let shown = |id: &Value| {
        let app = &app;
        let id = id.as_i64().expect("id");
        async move { app.get(&format!("/api/v1/events/{id}")).await.json()["accessibility"].clone() }
    };
    let a = shown(&s.interpreted["id"]).await;
    assert_eq!(a["wheelchair"], "partial");
    assert_eq!(a["captions"], true);
    assert_eq!(
        a["notes"],
        Value::Null,
        "the form's empty notes cleared the venue's"
    );
    assert_eq!(shown(&s.lawn["id"]).await["wheelchair"], "none");
    let listed = app
        .get("/api/v1/events?from=2027-01-01&access=wheelchair")
        .await;
    assert_eq!(uids(&listed.json()), BTreeSet::new());
    let listed = app
        .get("/api/v1/events?from=2027-01-01&access=captions")
        .await;
    assert_eq!(
        uids(&listed.json()),
        [uid(&s.interpreted), uid(&s.lawn), uid(&s.online)]
            .into_iter()
            .collect()
    );
    assert!(text(&app.get("/calendar.ics").await)
        .replace("\r\n ", "")
        .contains("Access: Partly wheelchair accessible\\; Spanish interpretation\\; Captions"));
}

#[actix_web::test]
async fn an_occurrence_elsewhere_has_that_venues_defaults() {
    let app = spawn_app().await;
    app.seed().await;
    let mut e = event("Weekly vigil", "2027-09-07T16:00", "2027-09-07T18:00", LA);
    e["recurrence"] = json!({"rrule": "FREQ=WEEKLY;COUNT=3"});
    let series = app.create_event(&e).await;
    let id = series["id"].as_i64().expect("id");
    let moved = app
        .patch(
            &format!("/api/v1/events/{id}/occurrences/2027-09-14T16:00"),
            &json!({"venue": plaza()}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", text(&moved));
    let listed = app
        .get("/api/v1/events?from=2027-01-01&access=wheelchair")
        .await
        .json();
    let starts: Vec<&str> = listed["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["start"].as_str().expect("start"))
        .collect();
    assert_eq!(starts, ["2027-09-14T16:00:00-07:00"]);
    let feed = text(&app.get("/calendar.ics?access=wheelchair").await);
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), 1, "{feed}");
    assert!(feed.contains("DTSTART;TZID=America/Los_Angeles:20270914T160000"));
}

#[actix_web::test]
async fn the_public_says_who_can_come_when_submitting() {
    let app = spawn_app().await;
    app.seed().await;
    let mut visitor = Browser::new(&app);
    let form = text(&visitor.get("/submit").await);
    assert!(form.contains("name=\"access_asl\""));
    let csrf = hidden(&form, "csrf");
    let fields = |interpretation: &'static str| {
        vec![
            ("title", "Know your rights"),
            ("start", "2030-09-13T16:00"),
            ("end", "2030-09-13T18:00"),
            ("timezone", "America/Chicago"),
            ("venue_name", "Union Park"),
            ("venue_city", "Chicago"),
            ("access_wheelchair", "full"),
            ("access_childcare", "yes"),
            ("access_interpretation", interpretation),
            ("access_notes", "Quiet room upstairs"),
        ]
    };
    let mut bad = fields("es, klingon");
    bad.push(("csrf", &csrf));
    let r = visitor.post("/submit", &bad).await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(
        page.contains("&#34;klingon&#34; is not a language code"),
        "{page}"
    );
    assert!(page.contains("value=\"es, klingon\""));
    assert!(page.contains(">Quiet room upstairs</textarea>"));
    assert!(page.contains("<option value=\"full\" selected>"));
    let csrf = hidden(&page, "csrf");
    let mut good = fields("es, vi");
    good.push(("csrf", &csrf));
    let r = visitor.post("/submit", &good).await;
    assert_eq!(r.status, 200, "{}", text(&r));

    let password = user(&app, "admin@example.org", "admin", None);
    let mut admin = Browser::new(&app);
    admin.login("admin@example.org", &password).await;
    let pending = app.get("/api/v1/events?from=2030-01-01").await.json();
    assert_eq!(pending["events"], json!([]), "not public before review");
    let dash = text(&admin.get("/admin").await);
    let id = app_event_id(&dash, "approve");
    let edit = text(&admin.get(&format!("/admin/events/{id}/edit")).await);
    assert!(edit.contains("value=\"es, vi\""), "{edit}");
    let childcare = &edit[edit.find("id=\"access_childcare\"").expect("childcare")..];
    let childcare = &childcare[..childcare.find("</select>").expect("select")];
    assert!(
        childcare.contains("<option value=\"yes\" selected>"),
        "{childcare}"
    );
}
