//! Turnout: an event and day-of-action calendar. See README.md and docs/ARCHITECTURE.md.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod compress;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod feeds;
pub mod geo;
pub mod import;
pub mod limit;
pub mod memory;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
