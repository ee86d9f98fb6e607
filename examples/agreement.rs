//! How long a change takes to reach every server: the emergency switch of the Doctor support
//! line thrown COUNT times through the store (as the CLI and the console do), alternately
//! closed and reopened; after each, every server is called (a signed first webhook) until it
//! answers as the switch now says. Prints each server's time and the time until all of them
//! answered it: median, 90th percentile and worst.
//!
//!   cargo run --release --example agreement -- DATABASE_URL FLOWS_DIR TOKEN URL... [--count N]
//!
//! `bench/agreement.sh` starts the servers and the stores and runs it.

use std::time::{Duration, Instant};

use switchboard::ops;
use switchboard::signature;
use switchboard::store::{DatabaseUrl, Store};

const DOCTOR_SUPPORT: &str = "+442073836707";

/// Whether `server` now answers a new call to the Doctor support line as closed by the switch.
async fn answers_closed(client: &reqwest::Client, token: &str, server: &str) -> bool {
    let url = format!("{server}/voice");
    let params = [
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("From", "+447700900123"),
        ("To", DOCTOR_SUPPORT),
    ];
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let response = client
        .post(&url)
        .header(signature::HEADER, signature::sign(token, &url, &owned))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    assert!(response.status().is_success(), "{}", response.status());
    let twiml = response.text().await.unwrap();
    twiml.contains("had to close")
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<28} median {:>7.1} ms   p90 {:>7.1} ms   worst {:>7.1} ms   (n = {})",
        at(0.5).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
        times.len()
    );
}

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let count = match args.iter().position(|a| a == "--count") {
        Some(at) => {
            let n = args[at + 1].parse().expect("--count N");
            args.drain(at..at + 2);
            n
        }
        None => 100,
    };
    let [url, flows_dir, token, servers @ ..] = args.as_slice() else {
        panic!("usage: agreement DATABASE_URL FLOWS_DIR TOKEN URL... [--count N]");
    };
    let store = Store::open(&DatabaseUrl::parse(url).unwrap())
        .await
        .unwrap();
    let flows = switchboard::check::load_dir(std::path::Path::new(flows_dir)).unwrap();
    let client = switchboard::outbound::client().build().unwrap();
    // Start from the line open.
    let _ = ops::throw_switch(&store, "bench", &flows, "doctor-support", false, "").await;

    let mut each: Vec<Vec<Duration>> = vec![Vec::new(); servers.len()];
    let mut all = Vec::new();
    for i in 0..count {
        let close = i % 2 == 0;
        let started = Instant::now();
        ops::throw_switch(&store, "bench", &flows, "doctor-support", close, "bench")
            .await
            .expect("the change is made");
        let made = started.elapsed();
        let mut waits = tokio::task::JoinSet::new();
        for (at, server) in servers.iter().enumerate() {
            let (client, token, server) = (client.clone(), token.clone(), server.clone());
            waits.spawn(async move {
                loop {
                    if answers_closed(&client, &token, &server).await == close {
                        return (at, started.elapsed());
                    }
                    assert!(
                        started.elapsed() < Duration::from_secs(10),
                        "{server} never did"
                    );
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
        }
        let mut times = vec![Duration::ZERO; servers.len()];
        while let Some(done) = waits.join_next().await {
            let (at, time) = done.expect("a wait ends");
            times[at] = time;
        }
        if i == 0 {
            println!("first change written in {made:?}");
        }
        for (server, time) in times.iter().enumerate() {
            each[server].push(*time);
        }
        all.push(times.into_iter().max().unwrap());
        // Changes a little apart, as people make them, so each is measured on its own.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (server, times) in servers.iter().zip(each) {
        summary(server, times);
    }
    summary("every server", all);
}
