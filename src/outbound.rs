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

#[cfg(test)]
mod tests {
    #[test]
    fn clients_build_with_the_ring_provider() {
        assert!(super::client().build().is_ok());
        assert!(super::blocking_client().build().is_ok());
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
