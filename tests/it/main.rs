//! Switchboard's integration tests, as one binary (one link, one build of the helpers): the
//! HTTP router driven in process as Twilio would, the CLI as ops run it, and the service as a
//! process. Helpers are in `support/`.

mod support;

mod alerts;
mod answers;
mod browser;
mod calendar;
mod call_back;
mod cli;
mod console;
mod doctor_support;
mod fallback;
mod feed;
mod fixtures;
mod graph;
mod hardening;
mod import;
mod isolation;
mod layers;
mod lint;
mod notify;
mod postgres;
mod probe;
mod reload;
mod reports;
mod safety;
mod service;
mod signatures;
mod store;
mod switch;
mod twilio_numbers;
mod webhooks;
mod wellbeing;
