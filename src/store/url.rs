//! The store's address: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`, never shown or
//! logged with its password.

use std::path::Path;

/// A database URL that the store can use, and its backend. Its `Display` and `Debug` hide the
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{0} is not a database URL this service can use: give sqlite://PATH (one machine) or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
)]
pub struct BadUrl(String);

impl DatabaseUrl {
    /// The default: an SQLite file in the state directory, made if it is not there.
    pub fn sqlite_in(state_dir: &Path) -> DatabaseUrl {
        DatabaseUrl {
            url: format!(
                "sqlite://{}?mode=rwc",
                state_dir.join(crate::state::SQLITE_FILE).display()
            ),
            backend: Backend::Sqlite,
        }
    }

    pub fn parse(text: &str) -> Result<DatabaseUrl, BadUrl> {
        let text = text.trim();
        let refused = || BadUrl(Shown(text).to_string());
        let (scheme, rest) = text.split_once(':').ok_or_else(refused)?;
        match scheme {
            "sqlite" if !sqlite_path(rest).is_empty() => {
                // An SQLite file is made on first use, as the default one is.
                let url = match text.contains("mode=") {
                    true => text.to_owned(),
                    false if text.contains('?') => format!("{text}&mode=rwc"),
                    false => format!("{text}?mode=rwc"),
                };
                Ok(DatabaseUrl {
                    url,
                    backend: Backend::Sqlite,
                })
            }
            "postgres" | "postgresql" if rest.len() > "//".len() => Ok(DatabaseUrl {
                url: text.to_owned(),
                backend: Backend::Postgres,
            }),
            _ => Err(refused()),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite file's path, for an `sqlite:` URL.
    pub fn sqlite_path(&self) -> Option<&str> {
        match self.backend {
            Backend::Sqlite => self.url.split_once(':').map(|(_, rest)| sqlite_path(rest)),
            Backend::Postgres => None,
        }
    }

    /// The URL itself, password and all: for the driver only.
    pub(super) fn secret(&self) -> &str {
        &self.url
    }
}

/// The path of an `sqlite:` URL's remainder (`//PATH?OPTIONS`).
fn sqlite_path(rest: &str) -> &str {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    rest.split('?').next().unwrap_or(rest)
}

/// A URL as it may be shown: any password replaced by `***`.
struct Shown<'a>(&'a str);

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Shown(&self.url).fmt(f)
    }
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0;
        let Some((scheme, rest)) = text.split_once("://") else {
            // Not a URL: where its credentials are cannot be told, so none of it is shown
            // if it may hold any.
            if text.contains(['@', '=']) || text.to_ascii_lowercase().contains("pass") {
                return f
                    .write_str("(a value that is not a URL, not shown: it may hold a password)");
            }
            return f.write_str(text);
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let shown_authority = match authority.rsplit_once('@') {
            Some((credentials, host)) => match credentials.split_once(':') {
                Some((user, _password)) => format!("{user}:***@{host}"),
                None => format!("{credentials}@{host}"),
            },
            None => authority.to_owned(),
        };
        // A password may also be given as a query parameter.
        let path = match path.split_once('?') {
            Some((before, query)) => {
                let query: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                            format!("{name}=***")
                        }
                        _ => pair.to_owned(),
                    })
                    .collect();
                format!("{before}?{}", query.join("&"))
            }
            None => path.to_owned(),
        };
        write!(f, "{scheme}://{shown_authority}{path}")
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_value_is_never_shown_with_its_password() {
        for malformed in [
            "postgres//amira:s3cret@db/x",
            "host=db user=amira password=s3cret",
        ] {
            let error = DatabaseUrl::parse(malformed).unwrap_err().to_string();
            assert!(!error.contains("s3cret"), "{error}");
            assert!(
                error.contains("not shown: it may hold a password"),
                "{error}"
            );
        }
        // Taken as a URL (the driver will refuse it), it is not shown either.
        let taken = DatabaseUrl::parse("postgres:amira:s3cret@db").unwrap();
        assert!(!taken.to_string().contains("s3cret"), "{taken}");
        // One with nothing secret in it is said as given.
        let error = DatabaseUrl::parse("postgres:").unwrap_err().to_string();
        assert!(error.starts_with("postgres: is not"), "{error}");
    }

    #[test]
    fn a_password_is_never_shown() {
        let url = DatabaseUrl::parse("postgres://switchboard:s3cret@db:5432/switchboard").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://switchboard:***@db:5432/switchboard"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let url = DatabaseUrl::parse("postgres://db/switchboard?user=a&password=s3cret").unwrap();
        assert!(!url.to_string().contains("s3cret"), "{url}");
        assert_eq!(url.backend(), Backend::Postgres);
    }

    #[test]
    fn an_sqlite_file_is_made_on_first_use_and_other_schemes_are_refused() {
        let url = DatabaseUrl::parse("sqlite:///var/lib/switchboard/switchboard.db").unwrap();
        assert_eq!(
            url.sqlite_path(),
            Some("/var/lib/switchboard/switchboard.db")
        );
        assert!(url.secret().ends_with("?mode=rwc"));
        let error = DatabaseUrl::parse("mysql://root:pw@db/x").unwrap_err();
        assert!(!error.to_string().contains("pw@"), "{error}");
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("state/switchboard.db").is_err());
    }
}
