//! The admin over real HTTP with a cookie-keeping client: login, CSRF, auth on every route,
//! organizer permissions, the event form (errors keep what was typed), cancel, delete, restore;
//! online actions (list, form, count by hand, delete) and the dashboard's deadlines.

use serde_json::json;

use crate::helpers::{event, hidden, spawn_app, text, user, Browser, TestApp};

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
    let o = online_action(&app, &json!({"title": "Petition", "partners": ["mijente"]})).await;
    let mut b = Browser::new(&app);
    for path in [
        "/admin",
        "/admin/events/new",
        &format!("/admin/events/{}/edit", e["id"]),
        "/admin/online-actions",
        "/admin/online-actions/new",
        &format!("/admin/online-actions/{}/edit", o["id"]),
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
        "/admin/online-actions/new".to_string(),
        format!("/admin/online-actions/{}/edit", o["id"]),
        format!("/admin/online-actions/{}/delete", o["id"]),
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
    let after = app
        .get(&format!("/api/v1/online-actions/{}", o["id"]))
        .await;
    assert_eq!(after.json()["title"], "Petition");
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
    let o = online_action(&app, &json!({"title": "Petition"})).await;
    let good = online_form("Sneaky", "5");
    for path in [
        "/admin/online-actions/new".to_string(),
        format!("/admin/online-actions/{}/edit", o["id"]),
        format!("/admin/online-actions/{}/delete", o["id"]),
    ] {
        for csrf in [None, Some(""), Some("wrong")] {
            let mut form = good.clone();
            if let Some(csrf) = csrf {
                form.push(("csrf", csrf));
            }
            let r = b.post(&path, &form).await;
            assert_eq!(r.status, 403, "{path} with csrf {csrf:?}");
            assert!(text(&r).contains("This form expired"), "{path}");
        }
    }
    let list = app.get("/api/v1/online-actions").await.json();
    assert_eq!(list["online_actions"].as_array().unwrap().len(), 1);
    assert_eq!(list["online_actions"][0]["title"], "Petition");
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
pub(crate) fn app_event_id(page: &str, op: &str) -> String {
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
    let form = text(&visitor.get("/es/submit").await);
    assert!(form.contains("Proponer un evento"));
    assert!(form.contains("action=\"/es/submit\""));
    let csrf = hidden(&form, "csrf");
    let r = visitor
        .post(
            "/es/submit",
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

/// Creates an online action through the API (a petition with a goal unless `fields` say
/// otherwise) and returns its JSON.
async fn online_action(
    app: &crate::helpers::TestApp,
    fields: &serde_json::Value,
) -> serde_json::Value {
    let mut body = json!({
        "kind": "petition",
        "title": "Palantir, end your contract with ICE",
        "url": "https://petitions.example/palantir",
        "goal": 100,
        "count": 0,
    });
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.post("/api/v1/online-actions", &body).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    r.json()
}

/// A browser logged in as an admin.
async fn admin_browser(app: &TestApp) -> Browser<'_> {
    let password = user(app, "admin@example.org", "admin", None);
    let mut b = Browser::new(app);
    b.login("admin@example.org", &password).await;
    b
}

/// The online-action form filled in the way a person would, without the CSRF token.
fn online_form(title: &'static str, count: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("kind", "letter"),
        ("title", title),
        ("description", "Tell their CEO."),
        ("action", "never-again"),
        ("partner_0", "mijente"),
        ("partner_1", ""),
        ("partner_2", "cosecha"),
        ("url", "https://letters.example/palantir"),
        ("goal", "100"),
        ("count", count),
        ("deadline", "2030-09-30"),
        ("timezone", "America/Chicago"),
        ("status", "open"),
    ]
}

fn with_csrf<'a>(mut form: Vec<(&'a str, &'a str)>, csrf: &'a str) -> Vec<(&'a str, &'a str)> {
    form.push(("csrf", csrf));
    form
}

#[actix_web::test]
async fn admins_create_edit_and_delete_online_actions_through_the_form() {
    let app = spawn_app().await;
    app.seed().await;
    let mut b = admin_browser(&app).await;
    let dash = text(&b.get("/admin").await);
    assert!(
        dash.contains("<a href=\"/admin/online-actions\">Online actions</a>"),
        "the admin bar links the list"
    );
    let csrf = b.csrf().await;
    let new = text(&b.get("/admin/online-actions/new").await);
    assert!(
        new.contains("<option value=\"call-in\">Call-in</option>"),
        "{new}"
    );
    assert!(new.contains("<option value=\"America/Chicago\">America/Chicago</option>"));
    assert!(new.contains("<input id=\"deadline\" name=\"deadline\" type=\"date\""));

    let r = b
        .post(
            "/admin/online-actions/new",
            &with_csrf(online_form("Letter <to> Palantir's CEO", "37"), &csrf),
        )
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    assert_eq!(
        r.header("location").as_deref(),
        Some("/admin/online-actions?done=created")
    );
    let list = app.get("/api/v1/online-actions").await.json();
    let o = &list["online_actions"][0];
    assert_eq!(o["title"], "Letter <to> Palantir's CEO");
    assert_eq!(o["kind"], "letter");
    assert_eq!(o["action"]["slug"], "never-again");
    assert_eq!(o["partners"][0]["slug"], "mijente");
    assert_eq!(o["partners"][1]["slug"], "cosecha");
    assert_eq!(
        (o["goal"].clone(), o["count"].clone()),
        (json!(100), json!(37))
    );
    assert_eq!(o["deadline"], "2030-09-30");
    assert_eq!(o["timezone"], "America/Chicago");
    assert_eq!(o["status"], "open");
    let id = o["id"].as_i64().unwrap();

    let page = text(&b.get("/admin/online-actions?done=created").await);
    for shown in [
        "Online action created.",
        "Letter &#60;to&#62; Palantir&#39;s CEO",
        "<td>Letter</td>",
        "<td>Open</td>",
        "<td>37 of 100</td>",
        "<time datetime=\"2030-09-30\">Monday, September 30, 2030</time>",
        &format!("href=\"/admin/online-actions/{id}/edit\""),
    ] {
        assert!(page.contains(shown), "{shown} not in {page}");
    }

    // The count, updated by hand, reaches the API; the rest stays.
    let edit = text(&b.get(&format!("/admin/online-actions/{id}/edit")).await);
    for kept in [
        "value=\"37\"",
        "<option value=\"letter\" selected>",
        "<option value=\"America/Chicago\" selected>",
        "<option value=\"cosecha\" selected>",
        "value=\"2030-09-30\"",
        &format!("action=\"/admin/online-actions/{id}/delete\""),
    ] {
        assert!(edit.contains(kept), "{kept} not on the edit form");
    }
    let r = b
        .post(
            &format!("/admin/online-actions/{id}/edit"),
            &with_csrf(online_form("Letter <to> Palantir's CEO", "52"), &csrf),
        )
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let o = app
        .get(&format!("/api/v1/online-actions/{id}"))
        .await
        .json();
    assert_eq!(o["count"], 52);
    assert_eq!(o["goal"], 100);
    assert_eq!(o["partners"].as_array().unwrap().len(), 2);

    // Delete: gone from the API and the list; the form is no more.
    let r = b
        .post(
            &format!("/admin/online-actions/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/admin/online-actions?done=deleted")
    );
    assert_eq!(
        app.get(&format!("/api/v1/online-actions/{id}"))
            .await
            .status,
        410
    );
    assert_eq!(
        app.get("/api/v1/online-actions").await.json()["online_actions"],
        json!([])
    );
    assert!(!text(&b.get("/admin/online-actions").await).contains("Palantir"));
    assert_eq!(
        b.get(&format!("/admin/online-actions/{id}/edit"))
            .await
            .status,
        404
    );
    let again = b
        .post(
            &format!("/admin/online-actions/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, 403);
    assert!(text(&again).contains("This online action was deleted."));
    assert_eq!(b.get("/admin/online-actions/999/edit").await.status, 404);
}

#[actix_web::test]
async fn online_action_form_errors_keep_what_was_typed_in_the_readers_language() {
    let app = spawn_app().await;
    app.seed().await;
    let mut b = admin_browser(&app).await;
    let csrf = b.csrf().await;
    let mut bad = with_csrf(online_form("Letter <to> Palantir", "-5"), &csrf);
    for (k, v) in bad.iter_mut() {
        match *k {
            "url" => *v = "javascript:alert(1)",
            "goal" => *v = "ten",
            _ => {}
        }
    }
    let r = b.post("/admin/online-actions/new", &bad).await;
    assert_eq!(r.status, 422, "a form error, not a 500: {}", text(&r));
    let page = text(&r);
    for shown in [
        "Some fields need attention",
        "<p class=\"error\" id=\"url-error\">must be a full http:// or https:// link</p>",
        "<p class=\"error\" id=\"count-error\">must be a whole number from 0 to 1000000000</p>",
        "<p class=\"error\" id=\"goal-error\">&#34;ten&#34; is not a whole number (like 100)</p>",
        "id=\"url\" name=\"url\" type=\"url\" value=\"javascript:alert(1)\" aria-invalid=\"true\"",
        "value=\"ten\"",
        "value=\"-5\"",
        "value=\"Letter &#60;to&#62; Palantir\"",
        ">Tell their CEO.</textarea>",
        "<option value=\"letter\" selected>",
        "<option value=\"never-again\" selected>",
        "<option value=\"America/Chicago\" selected>",
        "<option value=\"cosecha\" selected>",
        "value=\"2030-09-30\"",
    ] {
        assert!(page.contains(shown), "{shown} not in {page}");
    }
    // Nothing was written.
    assert_eq!(
        app.get("/api/v1/online-actions").await.json()["online_actions"],
        json!([])
    );

    // In Spanish, for a Spanish reader; an unknown partner lands on its row.
    b.cookies.insert("lang".into(), "es".into());
    let r = b.post("/admin/online-actions/new", &bad).await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    for shown in [
        "debe ser un enlace completo http:// o https://",
        "debe ser un número entero de 0 a 1000000000",
        "«ten» no es un número entero (como 100)",
    ] {
        assert!(page.contains(shown), "{shown} not in {page}");
    }
    let mut unknown = with_csrf(online_form("Carta", "3"), &csrf);
    unknown.push(("partner_3", "nobody"));
    let r = b.post("/admin/online-actions/new", &unknown).await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(
        page.contains("aria-invalid=\"true\" aria-describedby=\"partner_2-error\"")
            && page.contains("no existe la organización «nobody»"),
        "{page}"
    );
    let r = b
        .post(
            "/admin/online-actions/new",
            &with_csrf(vec![("title", "")], &csrf),
        )
        .await;
    assert_eq!(r.status, 422);
    let page = text(&r);
    assert!(
        page.contains("<p class=\"error\" id=\"kind-error\">es obligatorio</p>"),
        "{page}"
    );
    assert!(page.contains("<p class=\"error\" id=\"url-error\">es obligatorio</p>"));
}

#[actix_web::test]
async fn organizers_see_and_edit_only_their_partners_online_actions() {
    let app = spawn_app().await;
    app.seed().await;
    let password = user(&app, "ana@example.org", "organizer", Some("cosecha"));
    let theirs = online_action(
        &app,
        &json!({"title": "Mijente petition", "partners": ["mijente"]}),
    )
    .await;
    let ours = online_action(
        &app,
        &json!({"kind": "pledge", "title": "Cosecha pledge", "partners": ["cosecha"], "count": 37}),
    )
    .await;
    let mut b = Browser::new(&app);
    b.login("ana@example.org", &password).await;
    let csrf = b.csrf().await;
    let list = text(&b.get("/admin/online-actions").await);
    assert!(
        list.contains("Cosecha pledge") && !list.contains("Mijente petition"),
        "{list}"
    );
    assert!(list.contains("<td>37 of 100</td>"));
    let theirs_id = theirs["id"].as_i64().unwrap();
    let ours_id = ours["id"].as_i64().unwrap();
    let r = b
        .get(&format!("/admin/online-actions/{theirs_id}/edit"))
        .await;
    assert_eq!(r.status, 403);
    assert!(text(&r).contains("This online action belongs to another partner"));
    assert_eq!(
        b.get(&format!("/admin/online-actions/{ours_id}/edit"))
            .await
            .status,
        200
    );
    let hijack = with_csrf(online_form("Hijacked", "99"), &csrf);
    let r = b
        .post(&format!("/admin/online-actions/{theirs_id}/edit"), &hijack)
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            &format!("/admin/online-actions/{theirs_id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, 403);
    let after = app
        .get(&format!("/api/v1/online-actions/{theirs_id}"))
        .await
        .json();
    assert_eq!(
        (after["title"].clone(), after["count"].clone()),
        (json!("Mijente petition"), json!(0))
    );

    // Their own: the count by hand, 37 → 52.
    let mut form = vec![
        ("kind", "pledge"),
        ("title", "Cosecha pledge"),
        ("partner_0", "cosecha"),
        ("url", "https://petitions.example/palantir"),
        ("goal", "100"),
        ("count", "52"),
        ("status", "open"),
    ];
    form.push(("csrf", &csrf));
    let r = b
        .post(&format!("/admin/online-actions/{ours_id}/edit"), &form)
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let after = app
        .get(&format!("/api/v1/online-actions/{ours_id}"))
        .await
        .json();
    assert_eq!(after["count"], 52);

    // A new one starts with their partner, and keeps it even when the row is emptied.
    let new = text(&b.get("/admin/online-actions/new").await);
    assert!(new.contains("<option value=\"cosecha\" selected>"), "{new}");
    let mut form = online_form("Cosecha letter", "0");
    form.retain(|(k, _)| !k.starts_with("partner_"));
    let r = b
        .post("/admin/online-actions/new", &with_csrf(form, &csrf))
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let list = app
        .get("/api/v1/online-actions?partner=cosecha")
        .await
        .json();
    let titles: Vec<&str> = list["online_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Cosecha pledge", "Cosecha letter"]);
}

#[actix_web::test]
async fn the_dashboard_lists_open_online_actions_due_within_two_weeks() {
    let app = spawn_app().await;
    app.seed().await;
    let today = chrono::Utc::now().date_naive();
    let due = |days: i64| (today + chrono::Duration::days(days)).to_string();
    for (title, days, status, partner) in [
        ("Due in three days", 3, "open", "cosecha"),
        ("Due tomorrow", 1, "open", "cosecha"),
        ("Due in sixty days", 60, "open", "cosecha"),
        ("Closed early", 3, "closed", "cosecha"),
        ("Mijente call-in", 2, "open", "mijente"),
    ] {
        online_action(
            &app,
            &json!({"title": title, "deadline": due(days), "status": status, "partners": [partner]}),
        )
        .await;
    }
    let mut b = admin_browser(&app).await;
    let dash = text(&b.get("/admin").await);
    let section = &dash[dash.find("Deadlines coming up").expect("the section")..];
    let section = &section[..section.find("</section>").unwrap()];
    let at = |title: &str| section.find(title);
    assert!(
        at("Due tomorrow") < at("Mijente call-in")
            && at("Mijente call-in") < at("Due in three days")
    );
    assert!(at("Due tomorrow").is_some(), "{section}");
    assert!(
        at("Due in sixty days").is_none() && at("Closed early").is_none(),
        "{section}"
    );
    assert!(section.contains(&format!("<time datetime=\"{}\">", due(3))));
    assert!(
        section.contains("href=\"/admin/online-actions\""),
        "a link to the list"
    );
    assert!(section.contains("/edit\">Due tomorrow</a>"));

    let org_password = user(&app, "ana@example.org", "organizer", Some("cosecha"));
    let mut org = Browser::new(&app);
    org.login("ana@example.org", &org_password).await;
    let dash = text(&org.get("/admin").await);
    let section = &dash[dash.find("Deadlines coming up").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(
        section.contains("Due in three days") && !section.contains("Mijente call-in"),
        "{section}"
    );
    org.cookies.insert("lang".into(), "es".into());
    assert!(text(&org.get("/admin").await).contains("Fechas límite próximas"));
}
