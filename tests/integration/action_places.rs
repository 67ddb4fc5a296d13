//! A day of action by place: the action page's counts by state and city, the page of each
//! state, city and of the online-only events, and the action page's size with 2,000 events.

use std::collections::HashMap;
use std::io::Write;

use serde_json::{json, Value};

use crate::helpers::{event, import_events, spawn_app, TestApp};

async fn html(app: &TestApp, path: &str, lang: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(l) = lang {
        req = req.insert_header(("accept-language", l));
    }
    let r = app.send(req, None).await;
    (r.status.as_u16(), String::from_utf8(r.body).expect("UTF-8"))
}

fn at(title: &str, city: &str, region: &str, start: &str) -> Value {
    let mut e = event(
        title,
        &format!("{start}T16:00"),
        &format!("{start}T18:00"),
        "America/New_York",
    );
    e["venue"]["city"] = json!(city);
    e["venue"]["region"] = json!(region);
    e["venue"]["name"] = json!(format!("{city} Common"));
    e
}

/// How many event cards a page shows.
fn cards(page: &str) -> usize {
    page.matches("<article class=\"event").count()
}

#[actix_web::test]
async fn action_page_counts_by_state_and_city_and_each_place_has_a_page() {
    let app = spawn_app().await;
    app.seed().await;
    for e in [
        at("Boston rally", "Boston", "MA", "2030-09-13"),
        at("Boston vigil", "Boston", "MA", "2030-09-14"),
        at("Cambridge teach-in", "Cambridge", "MA", "2030-09-13"),
        at("Oakland march", "Oakland", "CA", "2030-09-13"),
        // Another spelling of the same city counts with it.
        at("Oakland picket", "oakland", "CA", "2030-09-15"),
        at("LA rally", "Los Angeles", "CA", "2030-09-13"),
        // Past: not counted, but its place keeps a page.
        at("Old Springfield rally", "Springfield", "IL", "2020-09-13"),
    ] {
        app.create_event(&e).await;
    }
    app.create_event(&json!({"title": "Phone bank", "start": "2030-09-10T18:00", "end": "2030-09-10T20:00",
                             "timezone": "America/New_York", "online_url": "https://meet.example/phonebank",
                             "action": "never-again"}))
        .await;

    let (status, page) = html(&app, "/actions/never-again", None).await;
    assert_eq!(status, 200);
    for (name, count) in [("CA", "3 events"), ("MA", "3 events")] {
        assert!(
            page.contains(&format!(
                "<summary><span class=\"name\">{name}</span> <span class=\"count\">{count}</span></summary>"
            )),
            "{name}: {page}"
        );
        assert!(page.contains(&format!(
            "<a href=\"/actions/never-again/places/{name}\">All events in {name}</a> <span class=\"count\">(3)</span>"
        )));
    }
    for (path, city, count) in [
        ("MA/Boston", "Boston", 2),
        ("MA/Cambridge", "Cambridge", 1),
        ("CA/Oakland", "Oakland", 2),
        ("CA/Los%20Angeles", "Los Angeles", 1),
    ] {
        assert!(
            page.contains(&format!(
                "<a href=\"/actions/never-again/places/{path}\">{city}</a> <span class=\"count\">({count})</span>"
            )),
            "{city}: {page}"
        );
    }
    assert!(page.find(">CA<") < page.find(">MA<"), "states in order");
    assert!(page.find(">Los Angeles<") < page.find(">Oakland<"));
    assert!(page.contains(
        "<a href=\"/actions/never-again/online\">Online</a> <span class=\"count\">1 event</span>"
    ));
    assert!(
        page.find(">MA<") < page.find("href=\"/actions/never-again/online\""),
        "online last"
    );
    assert!(!page.contains("Springfield"), "past events are not counted");
    assert!(!page.contains("/places/ca/oakland"), "one spelling");
    // The soonest events come first, the header and subscribe box stay.
    assert!(page.contains("<h2 id=\"soonest-title\">Coming up</h2>"));
    assert!(page.find("Phone bank") < page.find("Boston rally"));
    assert!(page.contains("webcal://turnout.test/actions/never-again.ics"));
    assert!(page.contains("#NoTechForICE"));

    // A state's page: its events (and no others), its cities, its feed, a canonical address in
    // the stored spelling.
    let (status, ma) = html(&app, "/actions/never-again/places/ma", None).await;
    assert_eq!(status, 200);
    assert!(ma.contains("<h1>MA</h1>"), "{ma}");
    assert!(ma.contains("Boston rally") && ma.contains("Boston vigil"));
    assert!(ma.contains("Cambridge teach-in"));
    assert!(!ma.contains("Oakland") && !ma.contains("Phone bank"));
    assert_eq!(cards(&ma), 3);
    assert!(ma.contains("<a href=\"/actions/never-again/places/MA/Boston\">Boston</a> <span class=\"count\">(2)</span>"));
    assert!(ma.contains(
        "<link rel=\"canonical\" href=\"https://turnout.test/actions/never-again/places/MA\">"
    ));
    assert!(
        ma.contains("value=\"https://turnout.test/calendar.ics?action=never-again&#38;region=MA\"")
            || ma.contains(
                "value=\"https://turnout.test/calendar.ics?action=never-again&amp;region=MA\""
            ),
        "{ma}"
    );
    assert!(ma.contains(
        "<meta name=\"description\" content=\"3 upcoming events of Never Again Is Now in MA"
    ));
    assert!(ma.contains("href=\"/actions/never-again\">Never Again Is Now</a>"));

    // A city's page, matched whatever the case of the address.
    let (status, oak) = html(&app, "/actions/never-again/places/ca/OAKLAND", None).await;
    assert_eq!(status, 200);
    assert!(oak.contains("<h1>Oakland, CA</h1>"), "{oak}");
    assert!(oak.contains("Oakland march") && oak.contains("Oakland picket"));
    assert!(!oak.contains("LA rally") && !oak.contains("Boston"));
    assert_eq!(cards(&oak), 2);
    assert!(oak.contains(
        "<link rel=\"canonical\" href=\"https://turnout.test/actions/never-again/places/CA/Oakland\">"
    ));
    assert!(
        oak.contains("calendar.ics?action=never-again&#38;region=CA&#38;city=Oakland")
            || oak.contains("calendar.ics?action=never-again&amp;region=CA&amp;city=Oakland")
    );
    let (status, la) = html(&app, "/actions/never-again/places/CA/Los%20Angeles", None).await;
    assert_eq!(status, 200);
    assert!(la.contains("LA rally") && cards(&la) == 1);
    // That feed has exactly those events.
    let feed = app
        .get("/calendar.ics?action=never-again&region=CA&city=Oakland")
        .await;
    let feed = String::from_utf8_lossy(&feed.body).into_owned();
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), 2, "{feed}");

    // Online-only events.
    let (status, online) = html(&app, "/actions/never-again/online", None).await;
    assert_eq!(status, 200);
    assert!(online.contains("Phone bank") && cards(&online) == 1);

    // A place of past events only: its page says so and links to them.
    let (status, il) = html(&app, "/actions/never-again/places/IL/Springfield", None).await;
    assert_eq!(status, 200);
    assert!(il.contains("No upcoming events.") && cards(&il) == 0);
    assert!(
        il.contains("/archive?action=never-again&#38;region=IL&#38;city=Springfield")
            || il.contains("/archive?action=never-again&amp;region=IL&amp;city=Springfield")
    );

    // Spanish.
    let (_, es) = html(&app, "/es/actions/never-again", None).await;
    assert!(es.contains("Próximamente") && es.contains("Eventos por lugar"));
    assert!(es.contains("<span class=\"count\">3 eventos</span>"));
    assert!(es.contains("Todos los eventos en MA"));
    assert!(
        es.contains("href=\"/es/actions/never-again/places/MA\""),
        "Spanish place links stay in Spanish"
    );
    let (_, es_ma) = html(&app, "/es/actions/never-again/places/MA", None).await;
    assert!(es_ma.contains("3 próximos eventos de Never Again Is Now en MA"));
    assert!(es_ma.contains("href=\"/es/actions/never-again\""));

    // Unknown places, and places of another action's page.
    for path in [
        "/actions/never-again/places/TX",
        "/actions/never-again/places/MA/Oakland",
        "/actions/never-again/places/CA/Boston",
        "/actions/nope/places/MA",
        "/actions/nope/places/MA/Boston",
        "/actions/nope/online",
    ] {
        let (status, page) = html(&app, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("Page not found"), "{path}");
    }
}

/// 2,000 events in 30 states and 300 cities (20 of them online), with descriptions as long as real ones.
fn big_action() -> Vec<Value> {
    let zones = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
    ];
    let text = "Join neighbours, faith groups, unions and students: we gather at the plaza, \
                hear from families, then march together to the federal building. Bring water, \
                a sign and a friend; marshals and medics will be there. ";
    (0..2000)
        .map(|n| {
            let region = format!("S{:02}", n % 30);
            let city = format!("City {:03} of {region}", (n / 30) % 10 + (n % 30) * 10);
            let day = 10 + n % 7;
            let tz = zones[n % zones.len()];
            let mut e = event(
                &format!("Rally number {n} for the day of action"),
                &format!("2030-09-{day}T{:02}:00", 9 + n % 9),
                &format!("2030-09-{day}T{:02}:30", 10 + n % 9),
                tz,
            );
            e["description"] = json!(text.repeat(3));
            e["uid"] = json!(format!("big-{n}@test"));
            if n % 100 == 99 {
                e["venue"] = Value::Null;
                e["online_url"] = json!(format!("https://meet.example/{n}"));
            } else {
                // Each city somewhere of its own across the lower 48 (the map marks each).
                let c = (n / 30) % 10 + (n % 30) * 10;
                let (lat, lon) = (26.0 + (c % 20) as f64 * 1.1, -122.0 + (c / 20) as f64 * 3.3);
                e["venue"] = json!({"name": format!("Plaza {n}"), "address": format!("{n} Main St"),
                                    "city": city, "region": region, "postal_code": "02201",
                                    "country": "US", "timezone": tz, "lat": lat, "lon": lon});
            }
            e
        })
        .collect()
}

fn gzipped_len(body: &[u8]) -> usize {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    z.write_all(body).expect("gzip");
    z.finish().expect("gzip").len()
}

#[actix_web::test]
async fn a_big_day_of_action_has_a_light_page_and_paged_places() {
    let app = spawn_app().await;
    app.seed().await;
    let events = big_action();
    import_events(&app, &events);
    // Expected counts by state and by city (computed before any request: a slow loop between
    // two requests would outlast the server's keep-alive).
    let mut by_place: HashMap<(String, Option<String>), usize> = HashMap::new();
    for e in &events {
        if let (Some(r), Some(c)) = (e["venue"]["region"].as_str(), e["venue"]["city"].as_str()) {
            *by_place.entry((r.to_string(), None)).or_default() += 1;
            *by_place
                .entry((r.to_string(), Some(c.to_string())))
                .or_default() += 1;
        }
    }
    let count = |region: &str, city: Option<&str>| {
        by_place
            .get(&(region.to_string(), city.map(str::to_string)))
            .copied()
            .unwrap_or(0)
    };

    let r = app.get("/actions/never-again").await;
    assert_eq!(r.status, 200);
    let size = gzipped_len(&r.body);
    eprintln!(
        "action page with 2,000 events: {} bytes, {size} gzipped",
        r.body.len()
    );
    assert!(size < 60 * 1024, "{size} bytes gzipped");
    let page = String::from_utf8_lossy(&r.body).into_owned();
    // The map marks every city with events at a venue, within that size.
    let cities = by_place.keys().filter(|(_, c)| c.is_some()).count();
    assert_eq!(page.matches("class=\"marker\"").count(), cities);
    assert_eq!(cards(&page), 10, "the soonest ten");
    assert!(page.contains("href=\"/?action=never-again\">All 2000 upcoming events, by date</a>"));
    for n in 0..30 {
        let region = format!("S{n:02}");
        assert!(
            page.contains(&format!(
                "<summary><span class=\"name\">{region}</span> <span class=\"count\">{} events</span></summary>",
                count(&region, None)
            )),
            "{region}"
        );
        for c in 0..10 {
            let city = format!("City {:03} of {region}", n * 10 + c);
            if count(&region, Some(&city)) == 0 {
                // Its events are all online.
                assert!(!page.contains(&format!(">{city}<")), "{city}");
                continue;
            }
            assert!(
                page.contains(&format!(
                    "<a href=\"/actions/never-again/places/{region}/{}\">{city}</a> <span class=\"count\">({})</span>",
                    city.replace(' ', "%20"),
                    count(&region, Some(&city))
                )),
                "{city}"
            );
        }
    }
    assert!(page.contains(
        "<a href=\"/actions/never-again/online\">Online</a> <span class=\"count\">20 events</span>"
    ));

    // A state with more than a page of events pages with a cursor.
    let total = count("S01", None);
    assert!(total > 50);
    let (status, first) = html(&app, "/actions/never-again/places/S01", None).await;
    assert_eq!(status, 200);
    assert!(first.contains(&format!("<p class=\"stats\">{total} events</p>")));
    assert_eq!(cards(&first), 50);
    let next = first
        .split("<a rel=\"next\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a next page")
        .to_string();
    assert!(
        next.starts_with("/actions/never-again/places/S01?cursor="),
        "{next}"
    );
    let (status, second) = html(&app, &next, None).await;
    assert_eq!(status, 200);
    assert_eq!(cards(&second), total - 50);
    assert!(!second.contains("rel=\"next\""));
    assert!(second.contains(&format!(
        "<link rel=\"canonical\" href=\"https://turnout.test{next}\">"
    )));
    assert!(
        first.len() < 200_000,
        "a state's page is one page of events"
    );
    let (_, city) = html(
        &app,
        "/actions/never-again/places/S01/City%20010%20of%20S01",
        None,
    )
    .await;
    assert_eq!(cards(&city), count("S01", Some("City 010 of S01")));
}
