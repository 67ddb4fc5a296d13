//! `near` and `radius` (issue 13): a ZIP code, a place or coordinates, located by the gazetteer
//! shipped in the binary; the same events through the JSON listing, the feed and the listing
//! page; distances; nearest first with its cursor; errors naming `near` with suggestions.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, TestApp};

/// Seeds events around the Bay Area and one in Boston; returns the uid of each by name.
async fn seed(app: &TestApp) -> Vec<(&'static str, String, i64)> {
    app.seed().await;
    let mut out = Vec::new();
    let at = |name: &str, venue: Value, tz: &str, start: &str| {
        let mut e = event(name, start, &start.replace("T16", "T18"), tz);
        e["venue"] = venue;
        e
    };
    let la = "America/Los_Angeles";
    let cases: Vec<(&'static str, Value)> = vec![
        (
            "palantir",
            at(
                "Picket at Palantir",
                json!({"name": "Palantir HQ", "address": "100 Hamilton Ave", "city": "Palo Alto",
                       "region": "CA", "postal_code": "94301", "country": "US",
                       "lat": 37.4443, "lon": -122.1615, "timezone": la}),
                la,
                "2027-09-13T16:00",
            ),
        ),
        (
            "city-hall",
            at(
                "Rally at San Francisco City Hall",
                json!({"name": "San Francisco City Hall", "address": "1 Dr Carlton B Goodlett Pl",
                       "city": "San Francisco", "region": "CA", "postal_code": "94102",
                       "country": "US", "lat": 37.7793, "lon": -122.4193, "timezone": la}),
                la,
                "2027-09-14T16:00",
            ),
        ),
        (
            // No coordinates: placed at its postal code's centre.
            "oakland",
            at(
                "March in Oakland",
                json!({"name": "Frank Ogawa Plaza", "city": "Oakland", "region": "CA",
                       "postal_code": "94612", "country": "US", "timezone": la}),
                la,
                "2027-09-15T16:00",
            ),
        ),
        (
            // No coordinates nor postal code: placed at its city's centre.
            "san-jose",
            at(
                "Vigil in San Jose",
                json!({"name": "City Hall plaza", "city": "San Jose", "region": "California",
                       "country": "US", "timezone": la}),
                la,
                "2027-09-16T16:00",
            ),
        ),
        (
            "boston",
            event(
                "Rally in Boston",
                "2027-09-13T16:00",
                "2027-09-13T18:00",
                "America/New_York",
            ),
        ),
        ("online", {
            let mut e = event(
                "Online teach-in",
                "2027-09-13T16:00",
                "2027-09-13T18:00",
                la,
            );
            e.as_object_mut().map(|o| o.remove("venue"));
            e["online_url"] = json!("https://meet.example/teach-in");
            e
        }),
        ("series", {
            // A weekly series in Palo Alto with one occurrence moved to Boston.
            let mut e = at(
                "Weekly vigil in Palo Alto",
                json!({"name": "Lytton Plaza", "city": "Palo Alto", "region": "CA",
                       "postal_code": "94301", "country": "US", "timezone": la}),
                la,
                "2027-09-07T16:00",
            );
            e["recurrence"] = json!({"rrule": "FREQ=WEEKLY;COUNT=4"});
            e
        }),
    ];
    for (name, body) in cases {
        let v = app.create_event(&body).await;
        out.push((
            name,
            v["uid"].as_str().expect("uid").to_string(),
            v["id"].as_i64().expect("id"),
        ));
    }
    let series = out
        .iter()
        .find(|(n, _, _)| *n == "series")
        .expect("series")
        .2;
    let moved = app
        .patch(
            &format!("/api/v1/events/{series}/occurrences/2027-09-14T16:00"),
            &json!({"venue": {"name": "Copley Square", "city": "Boston", "region": "MA",
                              "postal_code": "02116", "country": "US",
                              "timezone": "America/Los_Angeles"}}),
        )
        .await;
    assert_eq!(
        moved.status,
        200,
        "{}",
        String::from_utf8_lossy(&moved.body)
    );
    out
}

pub(crate) fn uids(events: &Value) -> BTreeSet<String> {
    events["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["uid"].as_str().expect("uid").to_string())
        .collect()
}

/// UIDs of a feed's VEVENTs; an occurrence that stands alone (moved where its series is not
/// listed: `uid#20270914T160000`) counts as its series'.
pub(crate) fn feed_uids(ics: &str) -> BTreeSet<String> {
    ics.replace("\r\n ", "")
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("UID:"))
        .map(|u| u.split('#').next().unwrap_or(u).to_string())
        .collect()
}

pub(crate) fn page_ids(html: &str) -> BTreeSet<i64> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| {
            let link = &rest[..rest.find('"')?];
            link[link.find("/events/")? + "/events/".len()..]
                .parse()
                .ok()
        })
        .collect()
}

/// The distance the API gives each event of a listing, by uid (occurrences: the smallest).
fn distances(listing: &Value) -> Vec<(String, String, f64)> {
    listing["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["uid"].as_str().expect("uid").to_string(),
                e["start_utc"].as_str().expect("start").to_string(),
                e["distance_km"].as_f64().expect("distance_km"),
            )
        })
        .collect()
}

/// The uid of the seeded event called `name`.
fn uid_of_name(seeded: &[(&str, String, i64)], name: &str) -> String {
    seeded
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, u, _)| u.clone())
        .unwrap_or_else(|| panic!("no seeded event {name}"))
}

#[actix_web::test]
async fn near_means_the_same_events_in_json_ics_and_html() {
    let app = spawn_app().await;
    let seeded = seed(&app).await;
    let uid = |name: &str| uid_of_name(&seeded, name);
    let pick = |names: &[&str]| names.iter().map(|n| uid(n)).collect::<BTreeSet<_>>();
    let uid_of = |id: i64| {
        seeded
            .iter()
            .find(|(_, _, i)| *i == id)
            .map(|(_, u, _)| u.clone())
            .unwrap_or_else(|| format!("unknown {id}"))
    };
    let bay = ["palantir", "city-hall", "oakland", "san-jose", "series"];
    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        // 25 miles (40 km) around downtown Palo Alto: San Jose (~25 km) but not San Francisco
        // (~44 km) nor Oakland (~46 km).
        ("near=94301", pick(&["palantir", "san-jose", "series"])),
        (
            "near=Palo+Alto%2C+CA",
            pick(&["palantir", "san-jose", "series"]),
        ),
        (
            "near=palo+alto+california&radius=25mi",
            pick(&["palantir", "san-jose", "series"]),
        ),
        ("near=37.44%2C-122.16&radius=60km", pick(&bay)),
        ("near=94612&radius=5mi", pick(&["oakland"])),
        ("near=San+Jose%2C+CA&radius=3km", pick(&["san-jose"])),
        // Boston: its own event and the series' occurrence moved there.
        ("near=02116&radius=10mi", pick(&["boston", "series"])),
        ("near=Chicago%2C+IL&radius=100mi", BTreeSet::new()),
        (
            "near=94301&radius=60km&partner=mijente&from=2027-09-14",
            pick(&["city-hall", "oakland", "san-jose", "series"]),
        ),
    ];
    for (query, want) in cases {
        let api = app.get(&format!("/api/v1/events?{query}&limit=500")).await;
        assert_eq!(
            api.status,
            200,
            "API {query}: {}",
            String::from_utf8_lossy(&api.body)
        );
        let listing = api.json();
        for e in listing["events"].as_array().expect("events") {
            assert!(e["distance_km"].as_f64().is_some(), "API {query}: {e}");
        }
        let ics = app.get(&format!("/calendar.ics?{query}")).await;
        assert_eq!(ics.status, 200, "feed {query}");
        let html = app.get(&format!("/?{query}")).await;
        assert_eq!(html.status, 200, "page {query}");
        let html_uids: BTreeSet<String> = page_ids(&String::from_utf8_lossy(&html.body))
            .into_iter()
            .map(uid_of)
            .collect();
        assert_eq!(uids(&listing), want, "API {query}");
        assert_eq!(
            feed_uids(&String::from_utf8_lossy(&ics.body)),
            want,
            "feed {query}"
        );
        assert_eq!(html_uids, want, "page {query}");
    }

    // The page keeps what was asked and says how far each event is.
    let html = String::from_utf8_lossy(&app.get("/?near=94301").await.body).into_owned();
    assert!(html.contains("name=\"near\" value=\"94301\""), "{html}");
    assert!(
        html.contains("class=\"distance\">0.") || html.contains("class=\"distance\">1."),
        "{}",
        html.split("class=\"place\"").nth(1).unwrap_or("")
    );
    let es =
        String::from_utf8_lossy(&app.get("/es/?near=94301&radius=40km").await.body).into_owned();
    assert!(es.contains("Cerca de"), "{es}");
    assert!(es.contains("class=\"distance\">a "), "{es}");
    // The form shows the located value, not the finer coordinates someone typed: the page is
    // cached under its canonical filter.
    let fine =
        String::from_utf8_lossy(&app.get("/?near=37.444249%2C-122.160001").await.body).into_owned();
    assert!(
        fine.contains("name=\"near\" value=\"37.4442,-122.16\""),
        "{fine}"
    );
    assert!(!fine.contains("160001"));
    // The feed's subscribe link keeps the canonical filter.
    assert!(html.contains("calendar.ics?near=94301"), "{html}");
}

#[actix_web::test]
async fn distances_radius_edges_and_nearest_first() {
    let app = spawn_app().await;
    let seeded = seed(&app).await;
    let uid = |name: &str| uid_of_name(&seeded, name);
    // From Palantir's door: San Francisco City Hall is about 43 km away.
    let from = "near=37.4443%2C-122.1615";
    let listing = app
        .get(&format!("/api/v1/events?{from}&radius=100km&limit=500"))
        .await
        .json();
    let d = distances(&listing);
    let km = |name: &str| {
        d.iter()
            .find(|(u, _, _)| *u == uid(name))
            .map(|(_, _, km)| *km)
            .expect(name)
    };
    assert_eq!(km("palantir"), 0.0);
    let city_hall = km("city-hall");
    assert!((42.5..44.0).contains(&city_hall), "{city_hall}");
    assert!((40.0..52.0).contains(&km("oakland")), "{}", km("oakland"));

    // The radius edge: just beyond the distance takes it in, just short of it leaves it out.
    let with = |radius: f64| format!("/api/v1/events?{from}&radius={radius:.3}km&limit=500");
    let inside = uids(&app.get(&with(city_hall + 0.02)).await.json());
    let outside = uids(&app.get(&with(city_hall - 0.02)).await.json());
    assert!(inside.contains(&uid("city-hall")));
    assert!(!outside.contains(&uid("city-hall")));
    assert!(outside.contains(&uid("palantir")));

    // Nearest first, one event a page: the cursor walks every event once, in distance order.
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/events?{from}&radius=100km&sort=distance&limit=1");
    for _ in 0..20 {
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let page = page.json();
        seen.extend(distances(&page));
        match page["next_cursor"].as_str() {
            Some(c) => {
                path =
                    format!("/api/v1/events?{from}&radius=100km&sort=distance&limit=1&cursor={c}")
            }
            None => break,
        }
    }
    let by_start = distances(
        &app.get(&format!("/api/v1/events?{from}&radius=100km&limit=500"))
            .await
            .json(),
    );
    assert_eq!(seen.len(), by_start.len(), "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0].2 <= w[1].2),
        "not nearest first: {seen:?}"
    );
    let mut a: Vec<_> = seen
        .iter()
        .map(|(u, s, _)| (u.clone(), s.clone()))
        .collect();
    let mut b: Vec<_> = by_start
        .iter()
        .map(|(u, s, _)| (u.clone(), s.clone()))
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // The series' three Palo Alto occurrences are there, nearest (with Palantir) first.
    assert_eq!(
        seen.iter().filter(|(u, _, _)| *u == uid("series")).count(),
        3
    );
    let farthest = if km("oakland") > city_hall {
        "oakland"
    } else {
        "city-hall"
    };
    assert_eq!(seen.last().map(|(u, _, _)| u.clone()), Some(uid(farthest)));
}

#[actix_web::test]
async fn venues_without_coordinates_are_placed_approximately() {
    let app = spawn_app().await;
    seed(&app).await;
    let listing = app.get("/api/v1/events?near=94612&radius=5mi").await.json();
    let venue = &listing["events"][0]["venue"];
    assert_eq!(venue["name"], "Frank Ogawa Plaza");
    assert!(venue["lat"].is_null(), "{venue}");
    let approx = &venue["approximate_location"];
    assert!(
        (approx["lat"].as_f64().expect("lat") - 37.80).abs() < 0.05,
        "{venue}"
    );
    assert!(
        (approx["lon"].as_f64().expect("lon") + 122.27).abs() < 0.05,
        "{venue}"
    );
    // A venue with coordinates of its own has no approximate location.
    let listing = app.get("/api/v1/events?near=94301&radius=1mi").await.json();
    let own = listing["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["venue"]["name"] == "Palantir HQ")
        .expect("Palantir");
    assert!(own["venue"]["approximate_location"].is_null());
    // Without `near`, no distance.
    let plain = app.get("/api/v1/events?limit=1").await.json();
    assert!(plain["events"][0]["distance_km"].is_null(), "{plain}");
}

#[actix_web::test]
async fn a_near_nobody_knows_is_an_error_naming_it() {
    let app = spawn_app().await;
    seed(&app).await;
    let cases = [
        ("near=99999", "near", "there is no US ZIP code 99999"),
        (
            "near=Palo+Alot%2C+CA",
            "near",
            "\"Palo Alot, CA\" is not a US place Turnout knows; did you mean Palo Alto, CA?",
        ),
        (
            "near=91%2C10",
            "near",
            "\"91,10\" is no latitude (-90 to 90) and longitude (-180 to 180), like 37.44,-122.16",
        ),
        (
            "near=94301&radius=far",
            "radius",
            "\"far\" is not a distance like 25mi or 40km",
        ),
        (
            "near=94301&radius=600mi",
            "radius",
            "must be more than 0 and at most 500 mi (804 km)",
        ),
        (
            "radius=5mi",
            "radius",
            "needs near (a ZIP code, a place or coordinates) to measure from",
        ),
    ];
    for (query, field, message) in cases {
        let api = app.get(&format!("/api/v1/events?{query}")).await;
        assert_eq!(api.problem(422), [field], "API {query}");
        assert_eq!(api.message(field), message, "API {query}");
        let feed = app.get(&format!("/calendar.ics?{query}")).await;
        assert_eq!(feed.problem(422), [field], "feed {query}");
        let html = app.get(&format!("/?{query}")).await;
        assert_eq!(html.status, 422, "page {query}");
        let text = String::from_utf8_lossy(&html.body).into_owned();
        assert!(
            text.contains(&format!("id=\"f-{field}-error\"")),
            "page {query}: {text}"
        );
        assert!(page_ids(&text).is_empty(), "page {query} lists events");
    }
    // Springfield is in many states: the message lists some to choose from.
    let api = app.get("/api/v1/events?near=Springfield").await;
    assert_eq!(api.problem(422), ["near"]);
    assert!(
        api.message("near").contains("Springfield, IL"),
        "{}",
        api.message("near")
    );
    // In Spanish on the Spanish page, what was typed kept.
    let es = String::from_utf8_lossy(&app.get("/es/?near=Palo+Alot%2C+CA").await.body).into_owned();
    assert!(es.contains("¿quisiste decir Palo Alto, CA?"), "{es}");
    assert!(es.contains("value=\"Palo Alot, CA\""), "{es}");
    // The switch to English keeps what was typed, so the same message comes in English.
    let switch = es
        .split("href=\"/lang/en?next=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the language switch");
    assert!(
        switch.contains("Palo%20Alot") || switch.contains("Palo%2BAlot"),
        "{switch}"
    );
    let en = app.get(&format!("/lang/en?next={switch}")).await;
    let location = en.header("location").expect("a redirect");
    let en = String::from_utf8_lossy(&app.get(&location).await.body).into_owned();
    assert!(
        en.contains("did you mean Palo Alto, CA?"),
        "{location}: {en}"
    );
    // Nearest first needs a point, and is the API's alone.
    let api = app.get("/api/v1/events?sort=distance").await;
    assert_eq!(api.problem(422), ["sort"]);
    let feed = app.get("/calendar.ics?near=94301&sort=distance").await;
    assert_eq!(feed.problem(422), ["sort"]);
}

#[actix_web::test]
async fn a_radius_holding_more_venues_than_a_statement_binds() {
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&{
            let mut e = event(
                "Rally in Boston",
                "2027-09-13T16:00",
                "2027-09-13T18:00",
                "America/New_York",
            );
            e["venue"]["lat"] = json!(42.3601);
            e["venue"]["lon"] = json!(-71.0589);
            e
        })
        .await;
    // 40,000 more venues across New England, more than SQLite binds in one statement.
    let mut conn = turnout::db::connect(&app.settings).expect("db");
    let mut sql = String::from("BEGIN;");
    for n in 0..40_000 {
        let (lat, lon) = (
            41.0 + (n % 200) as f64 * 0.01,
            -73.0 + (n / 200) as f64 * 0.01,
        );
        sql.push_str(&format!(
            "INSERT INTO venues (name, lat, lon, created_at, updated_at, located) \
             VALUES ('Hall {n}', {lat}, {lon}, '2027-01-01 00:00:00', '2027-01-01 00:00:00', 1);"
        ));
    }
    sql.push_str("COMMIT;");
    conn.batch_execute(&sql).expect("venues");
    for path in [
        "/api/v1/events?near=02108&radius=300mi&from=2027-01-01",
        "/calendar.ics?near=02108&radius=300mi",
        "/?near=02108&radius=300mi&from=2027-01-01",
    ] {
        let r = app.get(path).await;
        assert_eq!(
            r.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            String::from_utf8_lossy(&r.body).contains("Rally in Boston"),
            "{path}"
        );
    }
    let listed = app
        .get("/api/v1/events?near=02108&radius=300mi&from=2027-01-01&sort=distance")
        .await
        .json();
    assert_eq!(listed["events"][0]["id"], e["id"]);
}
