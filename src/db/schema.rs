// Mirrors migrations/sqlite. Keep in sync by hand or with `diesel print-schema`.

diesel::table! {
    action_partners (action_id, partner_id) {
        action_id -> Integer,
        partner_id -> Integer,
        position -> Integer,
    }
}

diesel::table! {
    actions (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        description -> Text,
        hashtags -> Text,
        first_day -> Nullable<Date>,
        last_day -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        name -> Text,
        token_hash -> Text,
        partner_id -> Nullable<Integer>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    event_partners (event_id, partner_id) {
        event_id -> Integer,
        partner_id -> Integer,
        role -> Text,
        position -> Integer,
    }
}

diesel::table! {
    event_revisions (id) {
        id -> Integer,
        event_id -> Integer,
        kind -> Text,
        actor -> Text,
        created_at -> Timestamp,
        snapshot -> Text,
    }
}

diesel::table! {
    event_tags (event_id, tag_id) {
        event_id -> Integer,
        tag_id -> Integer,
        position -> Integer,
    }
}

diesel::table! {
    events (id) {
        id -> Integer,
        uid -> Text,
        title -> Text,
        description -> Text,
        start_local -> Timestamp,
        end_local -> Timestamp,
        timezone -> Text,
        start_utc -> Timestamp,
        end_utc -> Timestamp,
        all_day -> Bool,
        venue_id -> Nullable<Integer>,
        online_url -> Nullable<Text>,
        info_url -> Nullable<Text>,
        action_id -> Nullable<Integer>,
        status -> Text,
        review -> Text,
        sequence -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        unpublished_at -> Nullable<Timestamp>,
        removed_by_admin -> Bool,
        rrule -> Nullable<Text>,
        exdates -> Text,
        series_end_utc -> Nullable<Timestamp>,
        accessibility -> Nullable<Text>,
        access_keys -> Text,
    }
}

diesel::table! {
    event_occurrences (event_id, occurrence_local) {
        event_id -> Integer,
        occurrence_local -> Timestamp,
        patch -> Text,
        title -> Text,
        description -> Text,
        venue_id -> Nullable<Integer>,
        online_url -> Nullable<Text>,
        info_url -> Nullable<Text>,
        start_local -> Timestamp,
        end_local -> Timestamp,
        start_utc -> Timestamp,
        end_utc -> Timestamp,
        status -> Text,
        sequence -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        action_id -> Nullable<Integer>,
        partners -> Nullable<Text>,
        tags -> Nullable<Text>,
    }
}

diesel::table! {
    partners (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        website -> Nullable<Text>,
        description -> Text,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> Integer,
        name -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        partner_id -> Nullable<Integer>,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    venues (id) {
        id -> Integer,
        name -> Text,
        address -> Nullable<Text>,
        city -> Nullable<Text>,
        region -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        timezone -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        approx_lat -> Nullable<Double>,
        approx_lon -> Nullable<Double>,
        located -> Integer,
        accessibility -> Nullable<Text>,
    }
}

diesel::joinable!(action_partners -> actions (action_id));
diesel::joinable!(action_partners -> partners (partner_id));
diesel::joinable!(api_tokens -> partners (partner_id));
diesel::joinable!(event_partners -> events (event_id));
diesel::joinable!(event_partners -> partners (partner_id));
diesel::joinable!(event_occurrences -> events (event_id));
diesel::joinable!(event_revisions -> events (event_id));
diesel::joinable!(event_tags -> events (event_id));
diesel::joinable!(event_tags -> tags (tag_id));
diesel::joinable!(events -> actions (action_id));
diesel::joinable!(events -> venues (venue_id));
diesel::joinable!(users -> partners (partner_id));

diesel::allow_tables_to_appear_in_same_query!(
    action_partners,
    actions,
    api_tokens,
    event_occurrences,
    event_partners,
    event_revisions,
    event_tags,
    events,
    online_action_partners,
    online_actions,
    partners,
    tags,
    users,
    venues,
);

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Integer,
        csrf -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(sessions, users);

diesel::table! {
    online_actions (id) {
        id -> Integer,
        uid -> Text,
        kind -> Text,
        title -> Text,
        description -> Text,
        action_id -> Nullable<Integer>,
        url -> Text,
        goal -> Nullable<Integer>,
        count -> Nullable<Integer>,
        deadline -> Nullable<Date>,
        timezone -> Text,
        status -> Text,
        sequence -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    online_action_partners (online_action_id, partner_id) {
        online_action_id -> Integer,
        partner_id -> Integer,
        position -> Integer,
    }
}

diesel::joinable!(online_actions -> actions (action_id));
diesel::joinable!(online_action_partners -> online_actions (online_action_id));
diesel::joinable!(online_action_partners -> partners (partner_id));

diesel::table! {
    rate_limits (key) {
        key -> Text,
        hits -> Integer,
        window_start -> Timestamp,
    }
}
// The FTS5 table of migration 2026-12-01-000002_search (contentless: only `rowid` can be read;
// the text columns are there to be matched). diesel print-schema does not see virtual tables.
diesel::table! {
    event_search (rowid) {
        rowid -> Integer,
        title -> Text,
        description -> Text,
        place -> Text,
        partners -> Text,
        tags -> Text,
    }
}

diesel::joinable!(event_search -> events (rowid));
// Pairs only: the listing's filters put subqueries over these tables next to the join.
diesel::allow_tables_to_appear_in_same_query!(event_search, events);
diesel::allow_tables_to_appear_in_same_query!(event_search, event_partners);
diesel::allow_tables_to_appear_in_same_query!(event_search, event_tags);
diesel::allow_tables_to_appear_in_same_query!(event_search, tags);
diesel::allow_tables_to_appear_in_same_query!(event_search, venues);
diesel::allow_tables_to_appear_in_same_query!(event_search, event_occurrences);

diesel::table! {
    imports (id) {
        id -> Integer,
        url -> Text,
        partner_id -> Integer,
        action_id -> Nullable<Integer>,
        tags -> Text,
        review -> Text,
        interval_minutes -> Integer,
        timezone -> Nullable<Text>,
        calendar_name -> Nullable<Text>,
        etag -> Nullable<Text>,
        last_modified -> Nullable<Text>,
        last_fetch_at -> Nullable<Timestamp>,
        last_status -> Nullable<Text>,
        last_error -> Nullable<Text>,
        next_fetch_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        failures -> Integer,
        created -> Integer,
        updated -> Integer,
        cancelled -> Integer,
        unchanged -> Integer,
        skipped -> Integer,
        skipped_items -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    imported_events (event_id) {
        event_id -> Integer,
        import_id -> Nullable<Integer>,
        partner_id -> Integer,
        source_url -> Text,
        uid -> Text,
        hash -> Text,
        gone_at -> Nullable<Timestamp>,
        written -> Nullable<Text>,
        kept -> Text,
        upstream -> Nullable<Text>,
    }
}

diesel::joinable!(imports -> partners (partner_id));
diesel::joinable!(imported_events -> imports (import_id));
diesel::joinable!(imported_events -> events (event_id));
diesel::joinable!(imported_events -> partners (partner_id));
diesel::allow_tables_to_appear_in_same_query!(imports, partners);
diesel::allow_tables_to_appear_in_same_query!(imports, actions);
diesel::allow_tables_to_appear_in_same_query!(imported_events, imports);
diesel::allow_tables_to_appear_in_same_query!(imported_events, events);
diesel::allow_tables_to_appear_in_same_query!(imported_events, partners);
diesel::allow_tables_to_appear_in_same_query!(imported_events, event_partners);
