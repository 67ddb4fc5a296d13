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

    // Spanish under /es: messages and 24-hour clock; event content as written.
    let (_, es) = html(&app, "/es/", None).await;
    assert!(es.contains("<html lang=\"es\">"));
    assert!(es.contains("Próximos eventos"));
    assert!(es.contains("viernes, 13 de septiembre de 2030"));
    assert!(es.contains(">16:00 – 19:00 PDT</time>"));
    assert!(es.contains("LA rally"));
}

#[actix_web::test]
async fn language_switch_sets_a_cookie_and_returns() {
    let app = spawn_app().await;
    // The switch goes to the same page in the other language (and remembers the choice for
    // the admin).
    let r = app.get("/lang/es?next=%2Farchive%3Fq%3Dx").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/es/archive?q=x"));
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("lang=es") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let r = app.get("/lang/en?next=%2Fes%2Farchive").await;
    assert_eq!(r.header("location").as_deref(), Some("/archive"));
    let r = app.get("/lang/en?next=%2Fes%2F").await;
    assert_eq!(r.header("location").as_deref(), Some("/"));
    // The cookie does not change what a public page says (only where the bare root leads).
    let page = app
        .send(
            app.client
                .get(app.url("/archive"))
                .insert_header(("cookie", "lang=es")),
            None,
        )
        .await;
    assert!(String::from_utf8_lossy(&page.body).contains("<html lang=\"en\">"));
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
    // The path says the language, not the browser.
    let (_, en) = html(&app, "/nope", Some("es")).await;
    assert!(en.contains("Page not found"));
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
                .insert_header(("accept-encoding", "gzip, deflate")),
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
    // JSON too: partner sites that ask get it compressed.
    let plain = app.get("/api/v1/partners").await;
    let j = app
        .send(
            app.client
                .get(app.url("/api/v1/partners"))
                .insert_header(("accept-encoding", "gzip")),
            None,
        )
        .await;
    assert_eq!(j.header("content-encoding").as_deref(), Some("gzip"));
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&j.body[..])
        .read_to_end(&mut json)
        .unwrap();
    assert_eq!(json, plain.body);
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
    assert!(lines.contains(&"Disallow: /es/submit"), "{body}");
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
    let (_, page) = html(&app, &format!("/es/events/{}", bare["id"]), None).await;
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
        let (_, es) = html(&app, &format!("/es{path}"), None).await;
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
    for path in ["/submit", "/es/submit", "/admin/login"] {
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

/// Every link (`href`) and form `action` of a page that points at a path on this site.
fn local_links(page: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for attr in [" href=\"", " action=\""] {
        for (i, _) in page.match_indices(attr) {
            let rest = &page[i + attr.len()..];
            let url = &rest[..rest.find('"').unwrap_or(0)];
            if url.starts_with('/') && !url.starts_with("//") {
                out.push(url);
            }
        }
    }
    out
}

#[actix_web::test]
async fn spanish_pages_live_under_es_and_keep_their_links_in_spanish() {
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "Rally",
            "2030-09-13T16:00",
            "2030-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let (status, page) = html(&app, "/es/actions/never-again", None).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"es\">"), "{page}");
    assert!(page.contains("Días de acción") && page.contains("eventos en"));
    for link in [
        "/es/",
        "/es/actions",
        "/es/archive",
        "/es/submit",
        "/es/partners/mijente",
        &format!("/es/events/{}", e["id"]),
        "/es/?tag=NoTechForICE",
    ] {
        assert!(page.contains(&format!("href=\"{link}\"")), "{link}: {page}");
    }
    // Every link to a page stays in Spanish; only the stylesheet, the script and the switch
    // (which leads to the English page) are outside /es/.
    for link in local_links(&page) {
        assert!(
            link.starts_with("/es/")
                || link.starts_with("/static/")
                || link.starts_with("/lang/en?"),
            "{link}"
        );
    }
    let r = app.get(&page_switch(&page)).await;
    assert_eq!(
        r.header("location").as_deref(),
        Some("/actions/never-again")
    );

    // The other pages and the Spanish home.
    for path in [
        "/es/".to_string(),
        "/es/archive".to_string(),
        "/es/actions".to_string(),
        "/es/partners/mijente".to_string(),
        format!("/es/events/{}", e["id"]),
        "/es/submit".to_string(),
    ] {
        let (status, page) = html(&app, &path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains("<html lang=\"es\">"), "{path}");
        assert!(
            page.contains("href=\"/es/actions\">Días de acción</a>"),
            "{path}"
        );
    }
    let (_, home) = html(&app, "/es/", None).await;
    assert!(home.contains("action=\"/es/\"") && home.contains("Próximos eventos"));
    let (_, archive) = html(&app, "/es/archive", None).await;
    assert!(archive.contains("action=\"/es/archive\""));
    // Feeds are not translated: their links stay where they are.
    let (_, ev) = html(&app, &format!("/es/events/{}", e["id"]), None).await;
    assert!(ev.contains(&format!("href=\"/events/{}.ics\"", e["id"])));
    let r = app.get("/es").await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location").as_deref(), Some("/es/"));
    let r = app.get("/es/tags/NoTechForICE").await;
    assert_eq!(
        r.header("location").as_deref(),
        Some("/es/?tag=NoTechForICE")
    );
    // HEAD answers too, without a body.
    let r = app
        .send(app.client.head(app.url("/es/actions/never-again")), None)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

/// The language switch's `href`, unescaped.
fn page_switch(page: &str) -> String {
    let marker = "<a class=\"lang\" href=\"";
    let from = page.find(marker).expect("a language switch") + marker.len();
    page[from..from + page[from..].find('"').unwrap()].replace("&#38;", "&")
}

#[actix_web::test]
async fn a_public_url_answers_the_same_to_everyone() {
    let app = spawn_app().await;
    app.seed().await;
    app.create_event(&event(
        "Rally",
        "2030-09-13T16:00",
        "2030-09-13T19:00",
        "America/New_York",
    ))
    .await;
    for path in [
        "/es/actions/never-again",
        "/?tag=rally",
        "/archive?q=rally",
        "/es/nope",
    ] {
        let plain = app.get(path).await;
        let english = app
            .send(
                app.client
                    .get(app.url(path))
                    .insert_header(("accept-language", "en"))
                    .insert_header(("cookie", "lang=en")),
                None,
            )
            .await;
        let spanish = app
            .send(
                app.client
                    .get(app.url(path))
                    .insert_header(("accept-language", "es-MX,es;q=0.9"))
                    .insert_header(("cookie", "lang=es")),
                None,
            )
            .await;
        assert_eq!(plain.status, english.status, "{path}");
        assert_eq!(plain.body, english.body, "{path}");
        assert_eq!(plain.body, spanish.body, "{path}");
    }
    // Only the bare root looks at what the browser prefers: a Spanish one is sent to /es/ by a
    // redirect no shared cache keeps; everyone else gets the (cacheable) English home.
    let r = app
        .send(
            app.client
                .get(app.url("/"))
                .insert_header(("accept-language", "es-MX,es;q=0.9,en;q=0.5")),
            None,
        )
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location").as_deref(), Some("/es/"));
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("private, no-store")
    );
    let chose_english = app
        .send(
            app.client
                .get(app.url("/"))
                .insert_header(("accept-language", "es"))
                .insert_header(("cookie", "lang=en")),
            None,
        )
        .await;
    assert_eq!(chose_english.status, 200);
    let (_, home) = html(&app, "/", None).await;
    assert!(home.contains("<html lang=\"en\">") && home.contains("Upcoming events"));
    assert_eq!(chose_english.body, home.as_bytes());
    assert!(app
        .get("/")
        .await
        .header("cache-control")
        .is_some_and(|c| c.starts_with("public")));
}

#[actix_web::test]
async fn the_switch_leads_to_the_same_page_in_the_other_language() {
    let app = spawn_app().await;
    let (_, page) = html(&app, "/archive?q=x", None).await;
    let switch = page_switch(&page);
    assert!(switch.starts_with("/lang/es?"), "{switch}");
    let r = app.get(&switch).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/es/archive?q=x"));
    let (_, es) = html(&app, "/es/archive?q=x", None).await;
    assert!(es.contains("name=\"q\" type=\"search\" value=\"x\""));
    let r = app.get(&page_switch(&es)).await;
    assert_eq!(r.header("location").as_deref(), Some("/archive?q=x"));
}

#[actix_web::test]
async fn pages_name_their_other_language_for_search_engines() {
    let app = spawn_app().await;
    app.seed().await;
    for (path, own, en, es) in [
        (
            "/actions/never-again",
            "https://turnout.test/actions/never-again",
            "https://turnout.test/actions/never-again",
            "https://turnout.test/es/actions/never-again",
        ),
        (
            "/es/actions/never-again",
            "https://turnout.test/es/actions/never-again",
            "https://turnout.test/actions/never-again",
            "https://turnout.test/es/actions/never-again",
        ),
        (
            "/es/",
            "https://turnout.test/es/",
            "https://turnout.test/",
            "https://turnout.test/es/",
        ),
        (
            // The filter's canonical form: matching ignores case, so the address does too.
            "/?city=Boston&utm_source=x",
            "https://turnout.test/?city=boston",
            "https://turnout.test/?city=boston",
            "https://turnout.test/es/?city=boston",
        ),
    ] {
        let (_, page) = html(&app, path, None).await;
        for tag in [
            format!("<link rel=\"canonical\" href=\"{own}\">"),
            format!("<link rel=\"alternate\" hreflang=\"en\" href=\"{en}\">"),
            format!("<link rel=\"alternate\" hreflang=\"es\" href=\"{es}\">"),
        ] {
            assert!(page.contains(&tag), "{path}: {tag} in {page}");
        }
    }
    // Not on pages that have no address of their own to recommend.
    for path in ["/es/submit", "/es/nope", "/admin/login"] {
        let (_, page) = html(&app, path, None).await;
        assert!(!page.contains("hreflang=\"en\" href"), "{path}");
    }
}

#[actix_web::test]
async fn spanish_error_pages_for_spanish_paths() {
    let app = spawn_app().await;
    app.seed().await;
    for path in [
        "/es/nope",
        "/es/actions/nope",
        "/es/events/999",
        "/es/events/abc",
    ] {
        let (status, page) = html(&app, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("<html lang=\"es\">"), "{path}");
        assert!(
            page.contains("Página no encontrada") && page.contains("href=\"/es/\""),
            "{path}: {page}"
        );
    }
    let e = app
        .create_event(&event(
            "Rally",
            "2030-09-13T16:00",
            "2030-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let r = app
        .write(
            "DELETE",
            &format!("/api/v1/events/{}", e["id"]),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = app.get(&format!("/es/events/{}", e["id"])).await;
    assert_eq!(r.status, 410);
    let page = String::from_utf8(r.body).expect("UTF-8");
    assert!(
        page.contains("<html lang=\"es\">") && page.contains("Este evento fue retirado"),
        "{page}"
    );
    assert!(page.contains("href=\"/es/\""));
    let r = app.get(&format!("/events/{}", e["id"])).await;
    assert_eq!(r.status, 410);
    assert!(String::from_utf8_lossy(&r.body).contains("This event was removed"));
}

#[actix_web::test]
async fn the_spanish_form_answers_in_spanish() {
    use crate::helpers::{hidden, text, Browser};
    let app = spawn_app().await;
    app.seed().await;
    let mut visitor = Browser::new(&app);
    let r = visitor.get("/es/submit").await;
    let cookie = r.header("set-cookie").expect("the form's CSRF cookie");
    assert!(cookie.contains("Path=/es/submit"), "{cookie}");
    let form = text(&r);
    assert!(form.contains("<html lang=\"es\">") && form.contains("action=\"/es/submit\""));
    let csrf = hidden(&form, "csrf");
    let r = visitor
        .post(
            "/es/submit",
            &[
                ("csrf", csrf.as_str()),
                ("title", "Vigilia"),
                ("start", "2030-09-13T16:00"),
                ("end", "2030-09-13T18:00"),
                ("timezone", "America/Chicago"),
                ("venue_name", "Plaza"),
                ("venue_city", "Chicago"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let done = text(&r);
    assert!(
        done.contains("<html lang=\"es\">")
            && done.contains("Gracias")
            && done.contains("pendiente de revisión")
            && done.contains("href=\"/es/\""),
        "{done}"
    );
}
