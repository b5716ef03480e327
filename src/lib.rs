//! The Tech Pledge registry: suppliers' signatures, statements and evidence, behind a
//! documented public API.

pub mod app;
pub mod auth;
pub mod checker;
pub mod cli;
pub mod companies_house;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod files;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod openapi;
pub mod routes;
pub mod snapshot;
pub mod state;
pub mod tlog;
pub mod usecases;
pub mod views;
pub mod web;
pub mod webhooks;
pub mod witness;
