//! Embeds (issue 14): `/embed` with the one filter grammar, the only page another site may
//! frame; light and dark; Spanish; cached per filter and theme; the snippet on action and
//! partner pages.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::{event, spawn_app, text, TestApp};

async fn seed(app: &TestApp) {
    app.seed().await;
    for (title, city, partner) in [
        ("Boston rally", "Boston", "mijente"),
        ("Cambridge teach-in", "Cambridge", "cosecha"),
        ("Boston vigil", "Boston", "cosecha"),
    ] {
        let mut e = event(
            title,
            "2030-09-13T16:00",
            "2030-09-13T19:00",
            "America/New_York",
        );
        e["venue"]["city"] = json!(city);
        e["partners"] = json!([{"slug": partner}]);
        app.create_event(&e).await;
    }
}

/// The ids of the events an embed links to.
fn linked(page: &str) -> BTreeSet<i64> {
    page.split("/events/")
        .skip(1)
        .filter_map(|rest| rest[..rest.find('"')?].parse().ok())
        .collect()
}

#[actix_web::test]
async fn only_the_embed_may_be_framed_and_it_lists_what_the_api_lists() {
    let app = spawn_app().await;
    seed(&app).await;
    let r = app.get("/embed?city=boston").await;
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").expect("csp");
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(r.header("x-frame-options").is_none());
    for path in ["/", "/actions/never-again", "/events/1", "/es/"] {
        let r = app.get(path).await;
        let csp = r.header("content-security-policy").expect("csp");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            r.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
    }
    for query in [
        "city=boston",
        "partner=cosecha",
        "near=02108&radius=10mi",
        "q=vigil",
        "",
    ] {
        let page = text(&app.get(&format!("/embed?from=2030-01-01&{query}")).await);
        let api = app
            .get(&format!("/api/v1/events?from=2030-01-01&{query}"))
            .await
            .json();
        let want: BTreeSet<i64> = api["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["id"].as_i64().expect("id"))
            .collect();
        assert_eq!(linked(&page), want, "{query}");
    }
    // Each event opens on Turnout in a new tab, the partner's page staying where it was.
    let page = text(&app.get("/embed?city=boston").await);
    assert!(page.contains(&format!("href=\"{}/events/", app.settings.base_url)));
    assert_eq!(
        page.matches("target=\"_blank\" rel=\"noopener\"").count(),
        3,
        "two events and the link to all"
    );
    assert!(
        !page.contains("<form"),
        "nothing to submit from inside a frame"
    );
}

#[actix_web::test]
async fn themes_languages_and_errors() {
    let app = spawn_app().await;
    seed(&app).await;
    let dark = app.get("/embed?city=boston&theme=dark").await;
    assert!(text(&dark).contains("<body class=\"embed theme-dark\">"));
    let light = app.get("/embed?theme=light&city=Boston").await;
    assert!(text(&light).contains("<body class=\"embed theme-light\">"));
    assert!(text(&app.get("/embed?city=boston").await).contains("theme-auto"));
    // One answer per filter and theme, however spelled.
    assert_ne!(dark.header("etag"), light.header("etag"));
    let again = app.get("/embed?theme=dark&city=BOSTON").await;
    assert_eq!(dark.header("etag"), again.header("etag"));

    let es = text(&app.get("/es/embed?city=boston").await);
    assert!(es.contains("<html lang=\"es\">"));
    assert!(es.contains(">Todos los eventos</a>"));
    assert!(es.contains("/es/events/"));

    let r = app.get("/embed?city=boston&theme=neon").await;
    assert_eq!(r.status, 422);
    assert!(text(&r).contains("theme must be one of light, dark, auto"));
    let r = app.get("/es/embed?near=99999").await;
    assert_eq!(r.status, 422);
    assert!(text(&r).contains("<strong>near</strong>"), "{}", text(&r));
}

#[actix_web::test]
async fn action_and_partner_pages_give_the_snippet_and_a_preview() {
    let app = spawn_app().await;
    seed(&app).await;
    let base = &app.settings.base_url;
    for (page, query) in [
        ("/actions/never-again", "action=never-again"),
        ("/partners/cosecha", "partner=cosecha"),
        ("/es/partners/cosecha", "partner=cosecha"),
    ] {
        let html = text(&app.get(page).await);
        let box_ = &html[html.find("<details class=\"embed-box\">").expect(page)..];
        let box_ = &box_[..box_.find("</details>").expect("end")];
        let prefix = if page.starts_with("/es/") { "/es" } else { "" };
        // The snippet, as text to copy (escaped in the textarea).
        assert!(
            box_.contains(&format!(
                "&lt;iframe src=&quot;{base}{prefix}/embed?{query}&quot;"
            )) || box_.contains(&format!(
                "&#60;iframe src=&#34;{base}{prefix}/embed?{query}&#34;"
            )),
            "{box_}"
        );
        assert!(box_.contains("static/embed-host.js"), "{box_}");
        // The preview: the embed itself, framed by our own page.
        assert!(
            box_.contains(&format!("<iframe src=\"{prefix}/embed?{query}\"")),
            "{box_}"
        );
        let csp = app
            .get(page)
            .await
            .header("content-security-policy")
            .expect("csp");
        assert!(csp.contains("frame-src 'self'"), "{csp}");
    }
    let host = app.get("/static/embed-host.js").await;
    assert_eq!(host.status, 200);
    assert!(text(&host).contains("embed-height"));
}
