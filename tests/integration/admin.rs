//! The admin over real HTTP with a cookie-keeping client: login, CSRF, auth on every route,
//! organizer permissions, the event form (errors keep what was typed), cancel, delete, restore.

use serde_json::json;

use crate::helpers::{event, hidden, spawn_app, text, user, Browser};

#[actix_web::test]
async fn every_admin_route_needs_a_login() {
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "March",
            "2030-09-13T16:00",
            "2030-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let mut b = Browser::new(&app);
    for path in [
        "/admin",
        "/admin/events/new",
        &format!("/admin/events/{}/edit", e["id"]),
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, 303, "{path}");
        assert!(
            r.header("location")
                .unwrap()
                .starts_with("/admin/login?next="),
            "{path}"
        );
    }
    for path in [
        "/admin/events".to_string(),
        format!("/admin/events/{}", e["id"]),
        format!("/admin/events/{}/cancel", e["id"]),
        format!("/admin/events/{}/delete", e["id"]),
        "/admin/logout".to_string(),
    ] {
        let r = b.post(&path, &[("title", "x")]).await;
        assert_eq!(r.status, 303, "{path}");
        assert!(r.header("location").unwrap().starts_with("/admin/login"));
    }
    // A forged session cookie is no session.
    b.cookies
        .insert("turnout_session".into(), "tnt_forged".into());
    assert_eq!(b.get("/admin").await.status, 303);
    assert_eq!(
        app.get(&format!("/api/v1/events/{}", e["id"])).await.json()["title"],
        "March"
    );
}

#[actix_web::test]
async fn login_sets_a_safe_session_cookie_and_logout_ends_it() {
    let app = spawn_app().await;
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    let bad = b.login("admin@example.org", "wrong").await;
    assert_eq!(bad.status, 401);
    assert!(text(&bad).contains("That e-mail and password do not match."));
    assert!(
        text(&bad).contains("value=\"admin@example.org\""),
        "the e-mail stays typed"
    );
    let r = b.login("admin@example.org", &password).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/admin"));
    let set = r
        .headers
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("turnout_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly")
            && set.contains("SameSite=Strict")
            && set.contains("Secure")
            && set.contains("Path=/admin"),
        "{set}"
    );
    assert_eq!(b.get("/admin").await.status, 200);
    let csrf = b.csrf().await;
    let out = b.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(b.get("/admin").await.status, 303);
}

#[actix_web::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.seed().await;
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    // Login itself needs the token from the login page.
    let r = b
        .post(
            "/admin/login",
            &[("email", "admin@example.org"), ("password", &password)],
        )
        .await;
    assert_eq!(r.status, 403);
    b.login("admin@example.org", &password).await;
    let e = app
        .create_event(&event(
            "March",
            "2030-09-13T16:00",
            "2030-09-13T19:00",
            "America/New_York",
        ))
        .await;
    for csrf in ["", "wrong"] {
        let r = b
            .post(
                &format!("/admin/events/{}/cancel", e["id"]),
                &[("csrf", csrf)],
            )
            .await;
        assert_eq!(r.status, 403, "csrf {csrf:?}");
        let r = b
            .post("/admin/events", &[("csrf", csrf), ("title", "Sneaky")])
            .await;
        assert_eq!(r.status, 403);
    }
    assert_eq!(
        app.get(&format!("/api/v1/events/{}", e["id"])).await.json()["status"],
        "confirmed"
    );
}

#[actix_web::test]
async fn login_attempts_are_rate_limited() {
    let app = spawn_app().await;
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(b.login("admin@example.org", "guess").await.status, 401);
    }
    let r = b.login("admin@example.org", &password).await;
    assert_eq!(
        r.status, 429,
        "from the guessing address even the right password waits"
    );
    assert!(text(&r).contains("Too many attempts"));
}

#[actix_web::test]
async fn event_form_creates_keeps_input_on_errors_and_explains_dst_gaps() {
    let app = spawn_app().await;
    app.seed().await;
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    b.login("admin@example.org", &password).await;
    let csrf = b.csrf().await;
    let form = |start: &'static str| {
        vec![
            ("title", "Rally <in> Honolulu"),
            ("description", "Bring water."),
            ("start", start),
            ("end", "2030-03-10T04:00"),
            ("timezone", "America/New_York"),
            ("venue_name", "Iolani Palace"),
            ("venue_city", "Honolulu"),
            ("action", "never-again"),
            ("partner_0", "mijente"),
            ("role_0", "host"),
            ("tags", "NoTechForICE, CloseTheCamps"),
            ("status", "confirmed"),
        ]
    };
    let mut bad = form("2030-03-10T02:30");
    bad.push(("csrf", &csrf));
    let r = b.post("/admin/events", &bad).await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(page.contains("2030-03-10T02:30 does not exist in America/New_York: clocks jump from 2:00 to 3:00 that day"), "{page}");
    assert!(page.contains("id=\"start\" name=\"start\" type=\"datetime-local\" value=\"2030-03-10T02:30\" aria-invalid=\"true\""), "{page}");
    for kept in [
        "value=\"Rally &#60;in&#62; Honolulu\"",
        ">Bring water.</textarea>",
        "value=\"Iolani Palace\"",
        "value=\"NoTechForICE, CloseTheCamps\"",
        "<option value=\"mijente\" selected>",
    ] {
        assert!(page.contains(kept), "lost {kept}");
    }
    let mut good = form("2030-03-10T01:00");
    good.push(("csrf", &csrf));
    let r = b.post("/admin/events", &good).await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let list = app.get("/api/v1/events?from=2030-01-01").await.json();
    let e = &list["events"][0];
    assert_eq!(e["title"], "Rally <in> Honolulu");
    assert_eq!(e["start_utc"], "2030-03-10T06:00:00Z");
    assert_eq!(e["end_utc"], "2030-03-10T08:00:00Z");
    assert_eq!(e["partners"][0]["slug"], "mijente");

    // Edit shows it back; cancel, delete and restore work from the pages.
    let id = e["id"].as_i64().unwrap();
    let edit = text(&b.get(&format!("/admin/events/{id}/edit")).await);
    assert!(edit.contains("value=\"2030-03-10T01:00\""));
    assert_eq!(
        b.post(&format!("/admin/events/{id}/cancel"), &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    assert_eq!(
        app.get(&format!("/api/v1/events/{id}")).await.json()["status"],
        "cancelled"
    );
    assert_eq!(
        b.post(&format!("/admin/events/{id}/delete"), &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    assert_eq!(app.get(&format!("/api/v1/events/{id}")).await.status, 410);
    let dash = text(&b.get("/admin").await);
    assert!(dash.contains(&format!("action=\"/admin/events/{id}/restore\"")));
    assert_eq!(
        b.post(&format!("/admin/events/{id}/restore"), &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    assert_eq!(app.get(&format!("/api/v1/events/{id}")).await.status, 200);

    // Duplicate: same event, another city.
    let dup = text(&b.get(&format!("/admin/events/new?from={id}")).await);
    assert!(
        dup.contains("value=\"Rally &#60;in&#62; Honolulu\"")
            && !dup.contains(&format!("action=\"/admin/events/{id}\""))
    );
}

#[actix_web::test]
async fn organizers_see_and_change_only_their_partners_events() {
    let app = spawn_app().await;
    app.seed().await;
    let password = user(&app, "ana@example.org", "organizer", Some("cosecha"));
    let theirs = app
        .create_event(&event(
            "Mijente march",
            "2030-09-13T16:00",
            "2030-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let mut ours = event(
        "Cosecha vigil",
        "2030-09-14T16:00",
        "2030-09-14T19:00",
        "America/New_York",
    );
    ours["partners"] = json!([{"slug": "cosecha"}]);
    let ours = app.create_event(&ours).await;
    let mut b = Browser::new(&app);
    b.login("ana@example.org", &password).await;
    let dash = text(&b.get("/admin").await);
    assert!(
        dash.contains("Cosecha vigil") && !dash.contains("Mijente march"),
        "{dash}"
    );
    assert_eq!(
        b.get(&format!("/admin/events/{}/edit", theirs["id"]))
            .await
            .status,
        403
    );
    assert_eq!(
        b.get(&format!("/admin/events/{}/edit", ours["id"]))
            .await
            .status,
        200
    );
    let csrf = b.csrf().await;
    let r = b
        .post(
            &format!("/admin/events/{}/cancel", theirs["id"]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            &format!("/admin/events/{}", theirs["id"]),
            &[
                ("csrf", &csrf),
                ("title", "Hijacked"),
                ("start", "2030-09-13T16:00"),
                ("end", "2030-09-13T19:00"),
                ("timezone", "America/New_York"),
                ("online_url", "https://x.example"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.get(&format!("/api/v1/events/{}", theirs["id"]))
            .await
            .json()["title"],
        "Mijente march"
    );
    // The new-event form starts with their own partner as host.
    let new = text(&b.get("/admin/events/new").await);
    assert!(new.contains("<option value=\"cosecha\" selected>"));
}

#[actix_web::test]
async fn public_submissions_wait_for_review() {
    let app = spawn_app().await;
    app.seed().await;
    let mut visitor = Browser::new(&app);
    let form = text(&visitor.get("/submit").await);
    assert!(
        form.contains("name=\"website\" tabindex=\"-1\""),
        "honeypot present"
    );
    assert!(!hidden(&form, "csrf").is_empty());
    let fields = |title: &'static str| {
        vec![
            ("title", title),
            ("start", "2030-09-13T16:00"),
            ("end", "2030-09-13T18:00"),
            ("timezone", "America/Chicago"),
            ("venue_name", "Union Park"),
            ("venue_city", "Chicago"),
            ("description", "Teach-in."),
        ]
    };
    // Without the form's token: refused, and what was typed stays.
    let r = visitor.post("/submit", &fields("No token")).await;
    assert_eq!(r.status, 403);
    assert!(text(&r).contains("value=\"No token\""));
    let csrf = hidden(&text(&r), "csrf");
    // A bad time comes back with the message and the input.
    let mut bad = fields("Gap");
    bad[1] = ("start", "2030-03-10T02:30");
    bad.push(("csrf", &csrf));
    let r = visitor.post("/submit", &bad).await;
    assert_eq!(r.status, 422);
    assert!(text(&r).contains("does not exist in America/Chicago"));
    let csrf = hidden(&text(&r), "csrf");
    let mut good = fields("Chicago teach-in");
    good.push(("csrf", &csrf));
    let r = visitor.post("/submit", &good).await;
    assert_eq!(r.status, 200);
    assert!(text(&r).contains("pending review"));
    // A bot that fills the honeypot is thanked and ignored.
    let mut bot = fields("Buy pills");
    bot.push(("csrf", &csrf));
    bot.push(("website", "http://spam.example"));
    assert_eq!(visitor.post("/submit", &bot).await.status, 200);

    // Not public until approved.
    assert_eq!(
        app.get("/api/v1/events?from=2030-01-01").await.json()["events"],
        json!([])
    );
    assert!(!text(&app.get("/").await).contains("Chicago teach-in"));
    let password = user(&app, "admin@example.org", "admin", None);
    let mut admin = Browser::new(&app);
    admin.login("admin@example.org", &password).await;
    let dash = text(&admin.get("/admin").await);
    assert!(
        dash.contains("Chicago teach-in") && !dash.contains("Buy pills"),
        "{dash}"
    );
    let id = app_event_id(&dash, "approve");
    let token = admin.csrf().await;
    assert_eq!(
        admin
            .post(&format!("/admin/events/{id}/approve"), &[("csrf", &token)])
            .await
            .status,
        303
    );
    let list = app.get("/api/v1/events?from=2030-01-01").await.json();
    assert_eq!(list["events"][0]["title"], "Chicago teach-in");

    // Too many submissions from one address.
    for _ in 0..3 {
        let mut more = fields("More");
        more.push(("csrf", &csrf));
        visitor.post("/submit", &more).await;
    }
    let mut last = fields("One too many");
    last.push(("csrf", &csrf));
    let r = visitor.post("/submit", &last).await;
    assert_eq!(r.status, 429);
}

/// The event id in the first `/admin/events/{id}/{op}` form of a page.
fn app_event_id(page: &str, op: &str) -> String {
    let end = page.find(&format!("/{op}\"")).expect("form");
    let start = page[..end].rfind("/admin/events/").unwrap() + "/admin/events/".len();
    page[start..end].to_string()
}

#[actix_web::test]
async fn admins_manage_partners_actions_venues_users_and_tokens() {
    let app = spawn_app().await;
    app.seed().await;
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    b.login("admin@example.org", &password).await;
    let csrf = b.csrf().await;

    let r = b
        .post(
            "/admin/manage/partner",
            &[
                ("csrf", &csrf),
                ("slug", "Bad Slug"),
                ("name", "Make the Road"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(
        page.contains("value=\"Bad Slug\"") && page.contains("value=\"Make the Road\""),
        "typed values kept"
    );
    assert!(page.contains("id=\"partner-slug-error\""));
    let r = b
        .post(
            "/admin/manage/partner",
            &[
                ("csrf", &csrf),
                ("slug", "make-the-road"),
                ("name", "Make the Road <NY>"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(text(&r).contains("Make the Road &#60;NY&#62;"));
    assert_eq!(
        app.get("/api/v1/partners/make-the-road").await.json()["name"],
        "Make the Road <NY>"
    );

    let r = b
        .post(
            "/admin/manage/action",
            &[
                ("csrf", &csrf),
                ("slug", "close-the-camps"),
                ("title", "Close the Camps"),
                ("hashtags", "CloseTheCamps, NeverAgainIsNow"),
                ("first_day", "2030-07-12"),
                ("last_day", "2030-07-12"),
                ("partners", "make-the-road"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.get("/api/v1/actions/close-the-camps").await.json()["hashtags"],
        json!(["CloseTheCamps", "NeverAgainIsNow"])
    );
    let r = b
        .post(
            "/admin/manage/venue",
            &[
                ("csrf", &csrf),
                ("name", "Foley Square"),
                ("city", "New York"),
                ("timezone", "America/New_York"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);

    // A new organizer gets a password shown once, and can log in with it.
    let r = b
        .post(
            "/admin/manage/user",
            &[
                ("csrf", &csrf),
                ("email", "org@example.org"),
                ("role", "organizer"),
                ("partner", "make-the-road"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let page = text(&r);
    let start = page.find("<code class=\"secret\">").unwrap() + 21;
    let new_password = page[start..start + page[start..].find('<').unwrap()].to_string();
    let mut org = Browser::new(&app);
    assert_eq!(
        org.login("org@example.org", &new_password).await.status,
        303
    );
    assert_eq!(
        org.get("/admin/manage").await.status,
        403,
        "organizers do not manage"
    );

    // A token made here works on the API until revoked.
    let r = b
        .post(
            "/admin/manage/token",
            &[
                ("csrf", &csrf),
                ("name", "partner-site"),
                ("partner", "make-the-road"),
            ],
        )
        .await;
    let page = text(&r);
    let start = page.find("<code class=\"secret\">").unwrap() + 21;
    let token = page[start..start + page[start..].find('<').unwrap()].to_string();
    assert!(token.starts_with("tnt_"));
    let e = event(
        "Token event",
        "2030-09-13T16:00",
        "2030-09-13T19:00",
        "America/New_York",
    );
    assert_eq!(
        app.write("POST", "/api/v1/events", Some(&token), Some(&e))
            .await
            .status,
        201
    );
    assert!(
        !text(&b.get("/admin/manage").await).contains(&token),
        "a token is shown once"
    );
    let page = text(&b.get("/admin/manage").await);
    let after = &page[page.find("<li>partner-site").expect("listed")..];
    let start = after.find("/admin/manage/token/").unwrap() + "/admin/manage/token/".len();
    let id = &after[start..start + after[start..].find('/').unwrap()];
    assert_eq!(
        b.post(
            &format!("/admin/manage/token/{id}/revoke"),
            &[("csrf", &csrf)]
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.write("POST", "/api/v1/events", Some(&token), Some(&e))
            .await
            .status,
        401
    );
}

#[actix_web::test]
async fn editing_a_partner_or_action_reaches_pages_and_feeds() {
    let app = spawn_app().await;
    app.seed().await;
    app.create_event(&event(
        "Rally",
        "2030-09-13T16:00",
        "2030-09-13T19:00",
        "America/New_York",
    ))
    .await;
    // The feed is rendered (and its VEVENTs kept) before the edit.
    assert!(text(&app.get("/actions/never-again.ics").await).contains("Hosted by: Mijente"));
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    b.login("admin@example.org", &password).await;
    let csrf = b.csrf().await;
    let form = text(&b.get("/admin/manage/partner/mijente").await);
    assert!(form.contains("value=\"Mijente\""));
    let r = b
        .post(
            "/admin/manage/partner/mijente",
            &[
                ("csrf", &csrf),
                ("name", ""),
                ("website", "https://mijente.net"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        text(&r).contains("value=\"https://mijente.net\""),
        "typed values kept"
    );
    let r = b
        .post(
            "/admin/manage/partner/mijente",
            &[
                ("csrf", &csrf),
                ("name", "Mijente Action"),
                ("website", "https://mijente.net"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = b
        .post(
            "/admin/manage/action/never-again",
            &[
                ("csrf", &csrf),
                ("title", "Never Again Is Now 2030"),
                ("hashtags", "NeverAgainIsNow"),
                ("partners", "mijente"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    // Unfolded: long lines are folded at 75 octets.
    let feed = text(&app.get("/actions/never-again.ics").await).replace("\r\n ", "");
    assert!(
        feed.contains("Hosted by: Mijente Action")
            && feed.contains("Part of: Never Again Is Now 2030"),
        "{feed}"
    );
    assert!(text(&app.get("/actions/never-again").await).contains("Never Again Is Now 2030"));
    assert_eq!(
        app.get("/api/v1/partners/mijente").await.json()["website"],
        "https://mijente.net"
    );
    assert_eq!(b.get("/admin/manage/partner/nobody").await.status, 404);
}

#[actix_web::test]
async fn form_errors_speak_the_readers_language() {
    let app = spawn_app().await;
    app.seed().await;
    let mut visitor = Browser::new(&app);
    visitor.cookies.insert("lang".into(), "es".into());
    let form = text(&visitor.get("/submit").await);
    assert!(form.contains("Proponer un evento"));
    let csrf = hidden(&form, "csrf");
    let r = visitor
        .post(
            "/submit",
            &[
                ("csrf", &csrf),
                ("title", ""),
                ("start", "2030-03-10T02:30"),
                ("end", "2030-03-10T04:00"),
                ("timezone", "America/New_York"),
                ("venue_name", "Plaza"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(page.contains("2030-03-10T02:30 no existe en America/New_York: ese día los relojes saltan de 2:00 a 3:00"), "{page}");
    assert!(
        page.contains("es obligatorio"),
        "title is required, in Spanish"
    );
    // The API stays English whatever the reader's language.
    let r = app
        .send(
            app.client
                .post(app.url("/api/v1/events"))
                .bearer_auth(&app.admin_token)
                .insert_header(("accept-language", "es")),
            Some(&event(
                "R",
                "2030-03-10T02:30",
                "2030-03-10T04:00",
                "America/New_York",
            )),
        )
        .await;
    assert!(r
        .message("start")
        .contains("does not exist in America/New_York"));
}

#[actix_web::test]
async fn admins_correct_venues_and_disable_users() {
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
    let venue_id = e["venue"]["id"].as_i64().unwrap();
    assert!(text(&app.get("/actions/never-again.ics").await).contains("LOCATION:City Hall Plaza"));
    let password = user(&app, "admin@example.org", "admin", None);
    let org_password = user(&app, "org@example.org", "organizer", Some("mijente"));
    let mut b = Browser::new(&app);
    b.login("admin@example.org", &password).await;
    let csrf = b.csrf().await;
    let r = b
        .post(
            &format!("/admin/manage/venue/{venue_id}"),
            &[
                ("csrf", &csrf),
                ("name", "Boston City Hall Plaza"),
                ("address", "1 City Hall Sq"),
                ("city", "Boston"),
                ("region", "MA"),
                ("timezone", "Mars/Base"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(text(&r).contains("value=\"Mars/Base\""));
    let r = b
        .post(
            &format!("/admin/manage/venue/{venue_id}"),
            &[
                ("csrf", &csrf),
                ("name", "Boston City Hall Plaza"),
                ("address", "1 City Hall Sq"),
                ("city", "Boston"),
                ("region", "MA"),
                ("timezone", "America/New_York"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.get(&format!("/api/v1/events/{}", e["id"])).await.json()["venue"]["name"],
        "Boston City Hall Plaza"
    );
    assert!(text(&app.get("/actions/never-again.ics").await)
        .contains("LOCATION:Boston City Hall Plaza"));

    let mut org = Browser::new(&app);
    org.login("org@example.org", &org_password).await;
    assert_eq!(org.get("/admin").await.status, 200);
    let page = text(&b.get("/admin/manage").await);
    let after = &page[page.find("org@example.org").unwrap()..];
    let start = after.find("/admin/manage/user/").unwrap() + "/admin/manage/user/".len();
    let id = &after[start..start + after[start..].find('/').unwrap()];
    assert_eq!(
        b.post(
            &format!("/admin/manage/user/{id}/disable"),
            &[("csrf", &csrf)]
        )
        .await
        .status,
        200
    );
    assert_eq!(org.get("/admin").await.status, 303, "their session ended");
    assert_eq!(
        org.login("org@example.org", &org_password).await.status,
        401
    );
    // Nobody locks themselves out.
    let me = &page[page.find("admin@example.org").unwrap()..];
    assert!(!me[..me.find("</li>").unwrap()].contains("/disable"));
}
