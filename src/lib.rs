//! Switchboard: IVR routing for the UK doctors' wellbeing helplines.
//!
//! A request travels `server` (verify, parse) → `engine` (decide) → `twiml` (write).

pub mod calendar;
pub mod check;
pub mod console;
pub mod engine;
pub mod explore;
pub mod fixture;
pub mod flow;
pub mod logs;
pub mod next_step;
pub mod numbers;
pub mod ops;
pub mod outbound;
pub mod phone;
pub mod probe;
pub mod reports;
pub mod seal;
pub mod server;
pub mod service;
pub mod signature;
pub mod simulate;
pub mod state;
pub mod store;
pub mod twiml;
