//! Online actions where people meet them: day-of-action, partner and home pages, a page of
//! their own with JSON-LD, and their deadlines in the feeds (read by real parsers).

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, TestApp};
use crate::interop::parse_both;

fn petition(title: &str, deadline: Option<&str>) -> Value {
    json!({
        "kind": "petition",
        "title": title,
        "description": "Tell Palantir to end its ICE contract.",
        "action": "never-again",
        "partners": ["mijente"],
        "url": "https://petitions.example/palantir",
        "goal": 100,
        "count": 37,
        "deadline": deadline,
        "timezone": "America/Los_Angeles",
    })
}

async fn create(app: &TestApp, body: &Value) -> Value {
    let r = app.post("/api/v1/online-actions", body).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    r.json()
}

fn block<'a>(ics: &'a str, uid: &str) -> &'a str {
    let start = ics
        .find(&format!("UID:{uid}"))
        .unwrap_or_else(|| panic!("no {uid} in {ics}"));
    let end = ics[start..].find("END:VEVENT").unwrap_or(0);
    &ics[start..start + end]
}

#[actix_web::test]
async fn deadlines_are_all_day_entries_in_the_action_and_partner_feeds() {
    let app = spawn_app().await;
    app.seed().await;
    let due = create(&app, &petition("Drop the contract", Some("2027-09-30"))).await;
    create(&app, &petition("No deadline", None)).await;
    let uid = due["uid"].as_str().unwrap().to_string();
    for path in ["/actions/never-again.ics", "/partners/mijente.ics"] {
        let ics = text(&app.get(path).await);
        assert!(
            !ics.contains("No deadline"),
            "only dated ones are calendar entries"
        );
        let b = block(&ics, &uid).replace("\r\n ", "");
        assert!(b.contains("DTSTART;VALUE=DATE:20270930"), "{b}");
        assert!(b.contains("DTEND;VALUE=DATE:20271001"), "{b}");
        assert!(b.contains("TRANSP:TRANSPARENT"));
        for parsed in parse_both(ics.as_bytes()) {
            let e = parsed.event(&uid);
            assert_eq!(e.summary, "Deadline: Drop the contract — sign the petition");
            assert_eq!(e.status, "CONFIRMED", "{}", parsed.parser);
            assert!(
                e.start.as_deref().unwrap_or("").contains("2027-09-30"),
                "{:?}",
                e.start
            );
            assert!(e.description.contains("37 of 100"), "{}", e.description);
            assert!(e.description.contains("https://petitions.example/palantir"));
        }
    }
    // Closed before its deadline: cancelled, with a higher SEQUENCE.
    let path = format!("/api/v1/online-actions/{}", due["id"]);
    assert_eq!(
        app.patch(&path, &json!({"status": "closed"})).await.status,
        200
    );
    let ics = text(&app.get("/actions/never-again.ics").await);
    for parsed in parse_both(ics.as_bytes()) {
        let e = parsed.event(&uid);
        assert_eq!(e.status, "CANCELLED", "{}", parsed.parser);
        assert_eq!(e.sequence, 1);
    }
    // Removed: a bare cancelled entry, nothing of what it said.
    let r = app
        .write("DELETE", &path, Some(&app.admin_token), None)
        .await;
    assert_eq!(r.status, 204);
    let ics = text(&app.get("/actions/never-again.ics").await);
    let b = block(&ics, &uid);
    assert!(b.contains("STATUS:CANCELLED") && b.contains("SUMMARY:Cancelled deadline"));
    assert!(!ics.contains("Drop the contract") && !ics.contains("petitions.example"));
}

async fn page(app: &TestApp, path: &str, lang: &str) -> (u16, String) {
    let req = app
        .client
        .get(app.url(path))
        .insert_header(("accept-language", lang));
    let r = app.send(req, None).await;
    (r.status.as_u16(), text(&r))
}

#[actix_web::test]
async fn pages_show_what_people_can_do_from_home() {
    let app = spawn_app().await;
    app.seed().await;
    let later = create(&app, &petition("Later deadline", Some("2099-10-30"))).await;
    let sooner = create(&app, &petition("Sooner deadline", Some("2099-09-30"))).await;
    let mut letter = petition("Write to the CEO", None);
    letter["kind"] = json!("letter");
    letter["count"] = Value::Null;
    letter["goal"] = Value::Null;
    create(&app, &letter).await;
    let won = create(&app, &petition("Already won", Some("2099-08-01"))).await;
    app.patch(
        &format!("/api/v1/online-actions/{}", won["id"]),
        &json!({"status": "won"}),
    )
    .await;

    for path in ["/actions/never-again", "/partners/mijente"] {
        let (status, html) = page(&app, path, "en").await;
        assert_eq!(status, 200);
        assert!(html.contains("Take action online"), "{path}");
        // Open first, soonest deadline first, then no deadline; the won one last.
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} on {path}"));
        assert!(at("Sooner deadline") < at("Later deadline"));
        assert!(at("Later deadline") < at("Write to the CEO"));
        assert!(at("Write to the CEO") < at("Already won"));
        // The goal reads without colour and without script: words beside a native bar.
        assert!(html.contains("37 of 100 signatures (37%)"));
        assert!(html.contains("<progress value=\"37\" max=\"100\""));
        assert!(html.contains("Sign the petition") && html.contains("Send the letter"));
        assert!(html.contains("Won!"));
    }
    let (_, es) = page(&app, "/es/actions/never-again", "es").await;
    assert!(es.contains("Actúa en línea") && es.contains("37 de 100 firmas (37%)"));
    assert!(es.contains("Firma la petición"));
    assert!(es.contains(&format!("href=\"/es/online-actions/{}\"", sooner["id"])));

    // Home: the open ones of current days of action, not the won one.
    let (_, home) = page(&app, "/", "en").await;
    assert!(home.contains("Sooner deadline") && home.contains("Write to the CEO"));
    assert!(!home.contains("Already won"));

    // A page of its own, with schema.org JSON-LD.
    let (status, own) = page(&app, &format!("/online-actions/{}", sooner["id"]), "en").await;
    assert_eq!(status, 200);
    assert!(own.contains("<h1>Sooner deadline</h1>"));
    let ld_start = own.find("application/ld+json\">").unwrap() + "application/ld+json\">".len();
    let ld_end = own[ld_start..].find("</script>").unwrap();
    let ld: Value = serde_json::from_str(&own[ld_start..ld_start + ld_end]).unwrap();
    assert_eq!(ld["@type"], "Action");
    assert_eq!(
        ld["target"]["urlTemplate"],
        "https://petitions.example/palantir"
    );
    assert_eq!(ld["actionStatus"], "https://schema.org/ActiveActionStatus");
    assert_eq!(ld["agent"][0]["name"], "Mijente");
    assert!(own.contains("collects no signatures"));
    let _ = later;

    // Removed: gone from the pages.
    app.write(
        "DELETE",
        &format!("/api/v1/online-actions/{}", sooner["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    let (status, _) = page(&app, &format!("/online-actions/{}", sooner["id"]), "en").await;
    assert_eq!(status, 410);
    assert!(!page(&app, "/actions/never-again", "en")
        .await
        .1
        .contains("Sooner deadline"));
    assert_eq!(page(&app, "/online-actions/9999", "en").await.0, 404);
}
