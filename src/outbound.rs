//! HTTP clients for the requests Switchboard makes itself (the GOV.UK feed, `replay
//! --against`): rustls with the `ring` provider, installed once per process.

/// Makes `ring` the process's TLS provider, if nothing else has chosen one first.
fn use_ring() {
    // An error means a provider is already installed, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client() -> reqwest::ClientBuilder {
    use_ring();
    reqwest::Client::builder()
}

pub fn blocking_client() -> reqwest::blocking::ClientBuilder {
    use_ring();
    reqwest::blocking::Client::builder()
}

/// Why a request got no answer, in the words of its deepest cause ("Connection refused (os
/// error 111)", not only "error sending request"), or the deadline it ran past.
pub fn why_unanswered(error: &reqwest::Error, within: std::time::Duration) -> String {
    if error.is_timeout() {
        return format!("no answer within {}", humantime::format_duration(within));
    }
    let mut deepest: &dyn std::error::Error = error;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    format!("no answer: {deepest}")
}

/// A URL's origin, `scheme://host[:port]`, as written.
pub fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| after_scheme + at);
    &url[..end]
}

#[cfg(test)]
mod tests {
    #[test]
    fn clients_build_with_the_ring_provider() {
        assert!(super::client().build().is_ok());
        assert!(super::blocking_client().build().is_ok());
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    #[test]
    fn an_origin_is_the_scheme_host_and_port_as_written() {
        for (url, origin) in [
            (
                "https://ivr.example.org/voice?x=1",
                "https://ivr.example.org",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            (
                "https://ivr.example.org:8443/base/",
                "https://ivr.example.org:8443",
            ),
            ("https://ivr.example.org?q", "https://ivr.example.org"),
        ] {
            assert_eq!(super::origin(url), origin, "{url}");
        }
    }
}
