//! Integration tests: the real service over HTTP, one fresh database per test.
//! Modules mirror the URL tree.

mod abuse;
mod accounts;
mod admin;
mod attestation;
mod auth_matrix;
mod check_now;
mod checker;
mod cli;
mod crash;
mod evidence;
mod export;
mod fair_share;
mod fixture;
mod helpers;
mod leaf_privacy;
mod log;
mod loopback;
mod mailbox;
mod memberships;
mod notifications;
mod openapi;
mod page_guards;
mod pages;
mod pledge;
mod registrations;
mod security;
mod service;
mod signature;
mod supplier_pages;
mod suppliers;
mod tlog;
mod trust;
mod webhook_sign_up;
mod webhooks;
