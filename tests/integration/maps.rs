//! Maps (issue 13): the action page's country map (insets, a world map for events abroad) with
//! a mark per city linking to its page, and the listing's map around a `near` point; drawn by
//! the server as inline SVG.

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, text, TestApp};

fn at(title: &str, venue: Value, tz: &str) -> Value {
    let mut e = event(title, "2030-09-13T16:00", "2030-09-13T18:00", tz);
    e["venue"] = venue;
    e
}

fn place(city: &str, region: Option<&str>, country: &str, lat: f64, lon: f64, tz: &str) -> Value {
    json!({"name": format!("{city} square"), "city": city, "region": region, "country": country,
           "lat": lat, "lon": lon, "timezone": tz})
}

async fn seed(app: &TestApp) {
    app.seed().await;
    let la = "America/Los_Angeles";
    for (title, venue, tz) in [
        (
            "Boston rally",
            place(
                "Boston",
                Some("MA"),
                "US",
                42.3601,
                -71.0589,
                "America/New_York",
            ),
            "America/New_York",
        ),
        (
            "Boston vigil",
            place(
                "Boston",
                Some("MA"),
                "US",
                42.3601,
                -71.0589,
                "America/New_York",
            ),
            "America/New_York",
        ),
        (
            "Palo Alto picket",
            place("Palo Alto", Some("CA"), "US", 37.4443, -122.1598, la),
            la,
        ),
        (
            "San Jose march",
            place("San Jose", Some("CA"), "US", 37.3382, -121.8863, la),
            la,
        ),
        (
            "Honolulu rally",
            place(
                "Honolulu",
                Some("HI"),
                "US",
                21.3069,
                -157.8583,
                "Pacific/Honolulu",
            ),
            "Pacific/Honolulu",
        ),
        (
            "Anchorage rally",
            place(
                "Anchorage",
                Some("AK"),
                "US",
                61.2181,
                -149.9003,
                "America/Anchorage",
            ),
            "America/Anchorage",
        ),
        (
            "San Juan rally",
            place(
                "San Juan",
                Some("PR"),
                "US",
                18.4655,
                -66.1057,
                "America/Puerto_Rico",
            ),
            "America/Puerto_Rico",
        ),
        (
            "London solidarity",
            place("London", None, "GB", 51.5072, -0.1276, "Europe/London"),
            "Europe/London",
        ),
    ] {
        app.create_event(&at(title, venue, tz)).await;
    }
}

/// The maps of a page, each as (its SVG, its marks as (href, title)).
fn maps(page: &str) -> Vec<(String, Vec<(String, String)>)> {
    page.split("<figure class=\"map\">")
        .skip(1)
        .map(|rest| {
            let svg = &rest[..rest.find("</svg>").expect("svg end")];
            let marks = svg
                .split("<a href=\"")
                .skip(1)
                .map(|m| {
                    let href = m[..m.find('"').expect("href")]
                        .replace("&amp;", "&")
                        .replace("&#38;", "&");
                    let t = &m[m.find("<title>").expect("title") + 7..];
                    (
                        href,
                        t[..t.find("</title>").expect("title end")].to_string(),
                    )
                })
                .collect();
            (svg.to_string(), marks)
        })
        .collect()
}

#[actix_web::test]
async fn the_action_page_maps_its_cities_with_insets_and_the_world() {
    let app = spawn_app().await;
    seed(&app).await;
    let page = text(&app.get("/actions/never-again").await);
    let found = maps(&page);
    assert_eq!(found.len(), 2, "the country and, for London, the world");
    let (country, marks) = &found[0];
    assert!(country.contains("aria-hidden=\"true\""));
    assert!(country.contains("<path class=\"frames\""), "inset frames");
    let mut got: Vec<(String, String)> = marks.clone();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "/actions/never-again/places/AK/Anchorage",
                "Anchorage, AK: 1 event"
            ),
            (
                "/actions/never-again/places/CA/Palo%20Alto",
                "Palo Alto, CA: 1 event"
            ),
            (
                "/actions/never-again/places/CA/San%20Jose",
                "San Jose, CA: 1 event"
            ),
            (
                "/actions/never-again/places/HI/Honolulu",
                "Honolulu, HI: 1 event"
            ),
            (
                "/actions/never-again/places/MA/Boston",
                "Boston, MA: 2 events"
            ),
            (
                "/actions/never-again/places/PR/San%20Juan",
                "San Juan, PR: 1 event"
            ),
        ]
        .map(|(h, t)| (h.to_string(), t.to_string()))
    );
    // Boston's mark is the bigger one.
    let r = |city: &str| -> f64 {
        let at = country.find(&format!("<title>{city}")).expect("mark");
        let before = &country[..at];
        let r = &before[before.rfind(" r=\"").expect("r") + 4..];
        r[..r.find('"').expect("r end")].parse().expect("radius")
    };
    assert!(r("Boston") > r("Palo Alto"));
    let (_, abroad) = &found[1];
    assert_eq!(
        abroad,
        &[(
            "/?action=never-again&city=London".to_string(),
            "London: 1 event".to_string()
        )]
    );
    // Each mark leads to its place's events.
    let boston = text(&app.get("/actions/never-again/places/MA/Boston").await);
    assert_eq!(boston.matches("<article class=\"event").count(), 2);
    // In Spanish, the same marks in Spanish.
    let es = text(&app.get("/es/actions/never-again").await);
    assert!(maps(&es)[0]
        .1
        .iter()
        .any(|(h, t)| h == "/es/actions/never-again/places/MA/Boston"
            && t == "Boston, MA: 2 eventos"));
    assert!(es.contains("<figcaption>Un mapa de los lugares"));
}

#[actix_web::test]
async fn a_day_of_action_with_nothing_placed_has_no_map() {
    let app = spawn_app().await;
    app.seed().await;
    let mut online = event(
        "Phone bank",
        "2030-09-13T16:00",
        "2030-09-13T18:00",
        "America/New_York",
    );
    online.as_object_mut().map(|o| o.remove("venue"));
    online["online_url"] = json!("https://meet.example/bank");
    app.create_event(&online).await;
    let page = text(&app.get("/actions/never-again").await);
    assert!(maps(&page).is_empty());
    // Nor a listing without `near`.
    assert!(maps(&text(&app.get("/").await)).is_empty());
}

#[actix_web::test]
async fn a_listing_near_a_point_maps_what_is_around_it() {
    let app = spawn_app().await;
    seed(&app).await;
    let page = text(&app.get("/?near=94301&radius=50mi&from=2030-01-01").await);
    let found = maps(&page);
    assert_eq!(found.len(), 1);
    let (svg, marks) = &found[0];
    assert!(svg.contains("<circle class=\"radius\""), "the radius drawn");
    assert!(
        svg.contains("<path class=\"land\" d=\"M"),
        "the coast drawn"
    );
    let titles: Vec<&str> = marks.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles.contains(&"Palo Alto, CA: 1 event"));
    assert!(titles.contains(&"San Jose, CA: 1 event"));
    // A mark is this listing narrowed to its city.
    let (href, _) = marks
        .iter()
        .find(|(_, t)| t.starts_with("San Jose"))
        .expect("San Jose");
    assert!(
        href.contains("near=Palo%20Alto%2C%20CA") || href.contains("near=94301"),
        "{href}"
    );
    assert!(href.contains("city=san%20jose"), "{href}");
    let narrowed = text(&app.get(href).await);
    assert!(narrowed.contains("San Jose march"));
    assert!(!narrowed.contains("Palo Alto picket"));
    // The map marks what the listing lists: with `q`, only the events it finds.
    let searched = text(
        &app.get("/?near=94301&radius=50mi&from=2030-01-01&q=march")
            .await,
    );
    let marks: Vec<String> = maps(&searched)[0]
        .1
        .iter()
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(marks, ["San Jose, CA: 1 event"]);
}

#[actix_web::test]
async fn action_and_partner_pages_ask_near_where() {
    let app = spawn_app().await;
    seed(&app).await;
    for (path, key, value) in [
        ("/actions/never-again", "action", "never-again"),
        ("/partners/mijente", "partner", "mijente"),
        ("/es/partners/mijente", "partner", "mijente"),
    ] {
        let page = text(&app.get(path).await);
        let form = &page[page.find("<section class=\"near-search\"").expect(path)..];
        let form = &form[..form.find("</form>").expect("form end")];
        assert!(
            form.contains(&format!(
                "<input type=\"hidden\" name=\"{key}\" value=\"{value}\">"
            )),
            "{form}"
        );
        assert!(form.contains("name=\"near\""));
        assert!(form.contains("name=\"radius\""));
        let to = if path.starts_with("/es/") {
            "/es/"
        } else {
            "/"
        };
        assert!(form.contains(&format!("action=\"{to}\"")), "{form}");
    }
    // What the form sends: the action's events near Boston, with the map around it.
    let page = text(
        &app.get("/?action=never-again&near=Boston%2C+MA&radius=10mi&from=2030-01-01")
            .await,
    );
    assert!(page.contains("Boston rally") && page.contains("Boston vigil"));
    assert!(!page.contains("Palo Alto picket"));
    assert_eq!(maps(&page).len(), 1);
}
