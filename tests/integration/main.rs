//! One integration binary: the real app over HTTP on a temporary SQLite file.

mod admin;
mod auth;
mod catalog;
mod cli;
mod errors;
mod events_api;
mod feeds;
mod helpers;
mod interop;
mod openapi;
mod pages;
mod search;
mod sync;
mod time_semantics;
