//! One integration suite: the real app over HTTP on a temporary SQLite file. Built twice: as
//! `integration` (SQLite) and as `integration_postgres` (the same tests on a PostgreSQL server
//! the tests start themselves; see postgres.rs).

mod access;
mod action_places;
mod admin;
mod admin_recurrence;
mod atom;
mod auth;
mod caching;
mod catalog;
mod cli;
mod embed;
mod errors;
mod events_api;
mod feeds;
mod filters;
mod helpers;
mod import;
mod imports;
mod instances;
mod interop;
mod maps;
mod near;
mod online_actions;
mod online_pages;
mod openapi;
mod pages;
mod postgres;
mod privacy;
mod recurrence;
mod search;
mod sync;
mod time_semantics;
