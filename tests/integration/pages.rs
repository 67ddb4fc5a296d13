//! Public HTML pages: local times with zone abbreviations, grouping, filters, languages,
//! subscribe links, the event page, 404s, escaping, and no third-party requests.

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, TestApp};

async fn html(app: &TestApp, path: &str, lang: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(l) = lang {
        req = req.insert_header(("accept-language", l));
    }
    let r = app.send(req, None).await;
    if r.status == 200 || r.status == 404 {
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        let csp = r.header("content-security-policy").expect("CSP");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
    }
    (r.status.as_u16(), String::from_utf8(r.body).expect("UTF-8"))
}

/// Every resource a page loads comes from this server.
fn assert_no_third_party(page: &str) {
    for attr in ["src=\"", "<link rel=\"stylesheet\" href=\""] {
        for (i, _) in page.match_indices(attr) {
            let rest = &page[i + attr.len()..];
            assert!(
                rest.starts_with('/') && !rest.starts_with("//"),
                "external resource: {}",
                &rest[..rest.len().min(80)]
            );
        }
    }
}

#[actix_web::test]
async fn listing_shows_local_times_with_zone_grouped_by_day() {
    let app = spawn_app().await;
    app.seed().await;
    let mut la = event(
        "LA rally",
        "2030-09-13T16:00",
        "2030-09-13T19:00",
        "America/Los_Angeles",
    );
    la["venue"]["city"] = json!("Los Angeles");
    la["venue"]["name"] = json!("Grand Park");
    app.create_event(&la).await;
    let mut ny = event(
        "NY march",
        "2030-09-14T16:00",
        "2030-09-14T19:00",
        "America/New_York",
    );
    ny["venue"]["city"] = json!("New York");
    app.create_event(&ny).await;
    let (status, page) = html(&app, "/", None).await;
    assert_eq!(status, 200);
    assert_no_third_party(&page);
    assert!(page.contains("<h2 id=\"day-2030-09-13\"><time datetime=\"2030-09-13\">Friday, September 13, 2030</time></h2>"), "{page}");
    assert!(page.contains(">4:00 PM – 7:00 PM PDT</time>"));
    assert!(page.contains(">4:00 PM – 7:00 PM EDT</time>"));
    assert!(page.find("LA rally") < page.find("NY march"));
    assert!(page.contains("Grand Park, Los Angeles"));

    // Filters stay in the URL and in the form.
    let (_, filtered) = html(&app, "/?city=new+york", None).await;
    assert!(filtered.contains("NY march") && !filtered.contains("LA rally"));
    assert!(filtered.contains("name=\"city\" value=\"new york\""));
    assert!(filtered.contains("webcal://turnout.test/calendar.ics?city=new%20york"));

    // Spanish by Accept-Language: messages and 24-hour clock; event content as written.
    let (_, es) = html(&app, "/", Some("es-MX,es;q=0.9")).await;
    assert!(es.contains("<html lang=\"es\">"));
    assert!(es.contains("Próximos eventos"));
    assert!(es.contains("viernes, 13 de septiembre de 2030"));
    assert!(es.contains(">16:00 – 19:00 PDT</time>"));
    assert!(es.contains("LA rally"));
}

#[actix_web::test]
async fn language_switch_sets_a_cookie_and_returns() {
    let app = spawn_app().await;
    let r = app.get("/lang/es?next=%2Farchive%3Fq%3Dx").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/archive?q=x"));
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("lang=es") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let page = app
        .send(
            app.client
                .get(app.url("/"))
                .insert_header(("cookie", "lang=es")),
            None,
        )
        .await;
    assert!(String::from_utf8_lossy(&page.body).contains("Próximos eventos"));
    // Never an open redirect.
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let r = app
            .get(&format!(
                "/lang/en?next={}",
                evil.replace('/', "%2F")
                    .replace(':', "%3A")
                    .replace('\\', "%5C")
            ))
            .await;
        assert_eq!(r.header("location").as_deref(), Some("/"), "{evil}");
    }
}

#[actix_web::test]
async fn action_page_groups_by_place_and_offers_subscriptions() {
    let app = spawn_app().await;
    app.seed().await;
    for (city, region, tz) in [
        ("Boston", "MA", "America/New_York"),
        ("Cambridge", "MA", "America/New_York"),
        ("Phoenix", "AZ", "America/Phoenix"),
    ] {
        let mut e = event(
            &format!("Rally in {city}"),
            "2030-09-13T16:00",
            "2030-09-13T19:00",
            tz,
        );
        e["venue"]["city"] = json!(city);
        e["venue"]["region"] = json!(region);
        e["venue"]["name"] = json!(format!("{city} Common"));
        app.create_event(&e).await;
    }
    let (status, page) = html(&app, "/actions/never-again", None).await;
    assert_eq!(status, 200);
    assert_no_third_party(&page);
    assert!(
        page.contains("<strong>3</strong> events in <strong>3</strong> cities"),
        "{page}"
    );
    assert!(page.find(">AZ<") < page.find(">MA<"), "regions in order");
    assert!(page.find(">Boston<") < page.find(">Cambridge<"));
    assert!(page.contains("href=\"webcal://turnout.test/actions/never-again.ics\""));
    assert!(page.contains("value=\"https://turnout.test/actions/never-again.ics\""));
    assert!(page.contains("https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fturnout.test%2Factions%2Fnever-again.ics"));
    assert!(page.contains("https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fturnout.test%2Factions%2Fnever-again.ics"));
    assert!(page.contains("#NoTechForICE"));
    assert!(page.contains("href=\"/partners/mijente\">Mijente</a>"));
    let r = app.get("/tags/NoTechForICE").await;
    assert_eq!(r.header("location").as_deref(), Some("/?tag=NoTechForICE"));
    let (_, partner) = html(&app, "/partners/mijente", None).await;
    assert!(
        partner.contains("Rally in Boston")
            && partner.contains("webcal://turnout.test/partners/mijente.ics")
    );
}

#[actix_web::test]
async fn event_page_says_when_where_who_and_offers_calendar_links() {
    let app = spawn_app().await;
    app.seed().await;
    let mut body = event(
        "Vigil",
        "2030-11-03T01:30-08:00",
        "2030-11-03T03:00",
        "America/Los_Angeles",
    );
    body["online_url"] = json!("https://meet.example/vigil");
    body["venue"]["lat"] = json!(34.05);
    body["venue"]["lon"] = json!(-118.24);
    let e = app.create_event(&body).await;
    let path = format!("/events/{}", e["id"]);
    let (status, page) = html(&app, &path, None).await;
    assert_eq!(status, 200);
    assert_no_third_party(&page);
    assert!(
        page.contains("Sunday, November 3, 2030, 1:30 AM – 3:00 AM PST"),
        "second 1:30 is PST: {page}"
    );
    assert!(page.contains("datetime=\"2030-11-03T01:30:00-08:00\""));
    assert!(page.contains("class=\"your-time\" hidden"));
    assert!(page.contains("1 City Hall Sq"));
    assert!(page.contains("href=\"https://meet.example/vigil\""));
    assert!(page.contains(&format!("href=\"/events/{}.ics\"", e["id"])));
    assert!(
        page.contains("https://calendar.google.com/calendar/render?action=TEMPLATE&#38;text=Vigil&#38;dates=20301103T093000Z/20301103T110000Z"),
        "{page}"
    );
    assert!(page.contains("https://outlook.live.com/calendar/0/deeplink/compose?"));
    let start = page
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD")
        + 35;
    let end = start + page[start..].find("</script>").unwrap();
    let ld: Value = serde_json::from_str(&page[start..end]).expect("JSON-LD parses");
    assert_eq!(ld["@type"], "Event");
    assert_eq!(ld["startDate"], "2030-11-03T01:30:00-08:00");
    assert_eq!(ld["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(
        ld["eventAttendanceMode"],
        "https://schema.org/MixedEventAttendanceMode"
    );
    assert_eq!(ld["location"][0]["address"]["addressLocality"], "Boston");
    assert_eq!(ld["organizer"][0]["name"], "Mijente");

    app.write(
        "POST",
        &format!("/api/v1/events/{}/cancel", e["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    let (_, cancelled) = html(&app, &path, None).await;
    assert!(cancelled.contains("role=\"alert\"><strong>This event has been cancelled.</strong>"));
    assert!(cancelled.contains("https://schema.org/EventCancelled"));
}

#[actix_web::test]
async fn unknown_pages_get_the_friendly_404() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/actions/nope",
        "/partners/nope",
        "/events/999",
        "/events/abc",
    ] {
        let (status, page) = html(&app, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            page.contains("Page not found") && page.contains("href=\"/\""),
            "{path}"
        );
    }
    let (_, es) = html(&app, "/nope", Some("es")).await;
    assert!(es.contains("Página no encontrada"));
    app.get("/api/v1/nope").await.problem(404);
}

#[actix_web::test]
async fn hostile_text_is_escaped_everywhere() {
    let app = spawn_app().await;
    let evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
    for (path, body) in [
        (
            "/api/v1/partners",
            json!({"slug": "evil", "name": evil, "description": evil, "website": "https://evil.example/?q='onfocus='x"}),
        ),
        (
            "/api/v1/actions",
            json!({"slug": "evil-action", "title": evil, "description": evil, "partners": ["evil"]}),
        ),
    ] {
        let r = app.post(path, &body).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
    let e = app
        .create_event(&json!({
            "title": evil, "description": format!("{evil}\n</script><script>alert(3)</script>"),
            "start": "2030-09-13T16:00", "end": "2030-09-13T19:00", "timezone": "America/New_York",
            "venue": {"name": evil, "address": evil, "city": evil, "region": evil, "postal_code": "<b>1</b>", "country": evil},
            "online_url": "https://meet.example/x?y='onmouseover='alert(4)",
            "info_url": "https://info.example/?a=%3Cscript%3E",
            "action": "evil-action", "partners": [{"slug": "evil"}], "tags": ["safe_tag"]
        }))
        .await;
    for path in [
        "/".to_string(),
        "/archive".to_string(),
        "/actions".to_string(),
        "/actions/evil-action".to_string(),
        "/partners/evil".to_string(),
        format!("/events/{}", e["id"]),
        format!("/?q={}", "%3Cscript%3Ealert(5)%3C%2Fscript%3E"),
        format!("/?city={}", "%22%3E%3Cscript%3E"),
    ] {
        let (status, mut page) = html(&app, &path, None).await;
        assert_eq!(status, 200, "{path}");
        // JSON-LD is data, not markup: it may hold quotes, but never a "<" that could end it.
        if let Some(start) = page.find("<script type=\"application/ld+json\">") {
            let from = start + 35;
            let end = from + page[from..].find("</script>").expect("JSON-LD ends");
            assert!(
                !page[from..end].contains('<'),
                "{path}: JSON-LD can be broken out of"
            );
            page.replace_range(from..end, "");
        }
        assert!(!page.contains("<script>alert"), "{path} has raw script");
        assert!(!page.contains("<img src=x"), "{path} has a raw img");
        assert!(
            !page.contains("'onmouseover='"),
            "{path} lets an attribute break out"
        );
        assert!(!page.contains("\"><script>"), "{path}");
        assert_eq!(
            page.matches("<script").count(),
            if path.starts_with("/events/") { 2 } else { 1 },
            "{path}: only our own scripts"
        );
    }
    let (_, page) = html(&app, &format!("/events/{}", e["id"]), None).await;
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
}

#[actix_web::test]
async fn pages_are_gzipped_for_browsers_that_ask() {
    use std::io::Read;
    let app = spawn_app().await;
    let plain = app.get("/").await;
    assert_eq!(plain.header("content-encoding"), None);
    let r = app
        .send(
            app.client
                .get(app.url("/"))
                .insert_header(("accept-encoding", "gzip, deflate, br")),
            None,
        )
        .await;
    assert_eq!(r.header("content-encoding").as_deref(), Some("gzip"));
    assert!(r.body.len() < plain.body.len() / 2);
    let mut html = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut html)
        .unwrap();
    assert_eq!(html, plain.body);
    // JSON is left alone.
    let j = app
        .send(
            app.client
                .get(app.url("/api/v1/partners"))
                .insert_header(("accept-encoding", "gzip")),
            None,
        )
        .await;
    assert_eq!(j.header("content-encoding"), None);
}

/// The `content` of the page's `<meta name="description">` (as written, HTML-escaped), if any.
fn meta_description(page: &str) -> Option<&str> {
    let start = "<meta name=\"description\" content=\"";
    let from = page.find(start)? + start.len();
    let len = page[from..].find('"')?;
    Some(&page[from..from + len])
}

#[actix_web::test]
async fn robots_txt_keeps_crawlers_out_of_admin_and_submit() {
    let app = spawn_app().await;
    let r = app.get("/robots.txt").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert!(r
        .header("cache-control")
        .is_some_and(|c| c.contains("max-age")));
    let body = String::from_utf8(r.body).expect("UTF-8");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.first(), Some(&"User-agent: *"), "{body}");
    assert!(lines.contains(&"Disallow: /admin"), "{body}");
    assert!(lines.contains(&"Disallow: /submit"), "{body}");
    assert!(!lines.contains(&"Disallow: /"), "{body}");
}

#[actix_web::test]
async fn every_page_has_a_description_and_public_pages_a_canonical_url() {
    let app = spawn_app().await;
    app.seed().await;
    let mut body = event(
        "Vigil",
        "2030-11-03T18:00",
        "2030-11-03T19:00",
        "America/Los_Angeles",
    );
    let long = "Candles at dusk for the families separated by raids.\nBring a friend, \
                a candle and a sign; we walk together from the plaza to the federal building \
                and read the names of those detained this year.";
    body["description"] = json!(long);
    let e = app.create_event(&body).await;
    let event_path = format!("/events/{}", e["id"]);

    let (_, page) = html(&app, &event_path, None).await;
    let d = meta_description(&page).expect("event description");
    assert!(
        d.starts_with("Candles at dusk for the families separated by raids. Bring a friend,"),
        "the event's own text, on one line: {d}"
    );
    assert!(
        d.ends_with('…') && d.chars().count() <= 160,
        "cut short: {d}"
    );
    let one_line = long.replace('\n', " ");
    let kept = d.trim_end_matches('…');
    assert!(
        one_line.starts_with(kept) && one_line[kept.len()..].starts_with(' '),
        "cut on a word: {d}"
    );
    assert!(
        page.contains(&format!(
            "<link rel=\"canonical\" href=\"https://turnout.test{event_path}\">"
        )),
        "{page}"
    );
    assert!(!page.contains("noindex"));

    // No description: "date · place · title", in the page's language.
    let mut bare = event(
        "Quiet vigil",
        "2030-11-04T18:00",
        "2030-11-04T19:00",
        "America/Los_Angeles",
    );
    bare["description"] = json!("");
    let bare = app.create_event(&bare).await;
    let (_, page) = html(&app, &format!("/events/{}", bare["id"]), None).await;
    assert_eq!(
        meta_description(&page),
        Some("Monday, November 4, 2030 · City Hall Plaza, Boston · Quiet vigil")
    );
    let (_, page) = html(&app, &format!("/events/{}", bare["id"]), Some("es")).await;
    assert_eq!(
        meta_description(&page),
        Some("lunes, 4 de noviembre de 2030 · City Hall Plaza, Boston · Quiet vigil")
    );

    // The action's and the partner's own descriptions.
    let (_, page) = html(&app, "/actions/never-again", None).await;
    assert_eq!(meta_description(&page), Some("Coast to coast."));
    let (_, page) = html(&app, "/partners/mijente", None).await;
    assert_eq!(meta_description(&page), Some("A coalition partner."));

    // Lists and the form: a sentence from the catalog, in both languages.
    for path in ["/", "/archive", "/actions", "/submit"] {
        let (status, en) = html(&app, path, None).await;
        assert_eq!(status, 200, "{path}");
        let (_, es) = html(&app, path, Some("es")).await;
        let (d_en, d_es) = (meta_description(&en), meta_description(&es));
        assert!(d_en.is_some_and(|d| d.len() > 20), "{path}: {d_en:?}");
        assert!(d_es.is_some_and(|d| d.len() > 20), "{path}: {d_es:?}");
        assert_ne!(d_en, d_es, "{path}");
    }

    // A filtered listing's canonical URL keeps its filters (in their canonical form: the city
    // is matched ignoring case), not other parameters.
    let (_, page) = html(&app, "/?city=Boston&utm_source=x", None).await;
    assert!(
        page.contains("<link rel=\"canonical\" href=\"https://turnout.test/?city=boston\">"),
        "{page}"
    );

    // The form and the admin are not for search engines.
    for path in ["/submit", "/admin/login"] {
        let (_, page) = html(&app, path, None).await;
        assert!(
            page.contains("<meta name=\"robots\" content=\"noindex\">"),
            "{path}"
        );
        assert!(!page.contains("rel=\"canonical\""), "{path}");
        assert!(
            meta_description(&page).is_some_and(|d| !d.is_empty()),
            "{path}"
        );
    }
}
