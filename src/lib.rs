//! The Tech Pledge registry: suppliers' signatures, statements and evidence, behind a
//! documented public API.

pub mod app;
pub mod attestation;
pub mod auth;
pub mod bootstrap;
pub mod changes;
pub mod checker;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod export;
pub mod http;
pub mod jobs;
pub mod lookup;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod pledge_text;
pub mod record_cache;
pub mod routes;
pub mod seed;
pub mod state;
pub mod usecases;
pub mod verify;
pub mod views;
pub mod web;
pub mod webhooks;
