//! The console's users: a name, a role, and an Argon2id hash of the password, kept in the
//! store. No password is kept or logged in clear.

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::PasswordHash;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Change, Store};

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May change things: the switch, closures, roll-backs.
    Editor,
    /// May look.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    pub fn named(name: &str) -> Option<Role> {
        match name {
            "editor" => Some(Role::Editor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// The PHC string of an Argon2id hash.
    pub hash: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadUser {
    #[error("a user name is 1 to 64 letters, digits, dots, dashes or underscores")]
    BadName,
    #[error("a password has at least 12 characters")]
    ShortPassword,
}

impl User {
    /// A user with `password` hashed (Argon2id), once the name and password are acceptable.
    pub fn new(name: &str, role: Role, password: &str) -> Result<User, BadUser> {
        let good_name = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !good_name {
            return Err(BadUser::BadName);
        }
        if password.chars().count() < 12 {
            return Err(BadUser::ShortPassword);
        }
        let hash = Argon2::default()
            .hash_password(password.as_bytes())
            .expect("Argon2id hashes any password")
            .to_string();
        Ok(User {
            name: name.to_owned(),
            role,
            hash,
        })
    }
}

/// Checks passwords against their Argon2 hashes in memory of its own, allocated once and
/// used for every check: allocated and freed for each, as Argon2 does by itself, the 19 MiB a
/// check takes were kept by the allocator check after check (a process grew to 260 MiB).
#[derive(Default)]
pub struct Verifier {
    memory: Vec<argon2::Block>,
}

impl Verifier {
    /// The user's role if `password` is theirs. An unknown name costs as much time as a wrong
    /// password, so the time taken does not tell which names exist.
    pub fn verify(&mut self, users: &[User], name: &str, password: &str) -> Option<Role> {
        static UNKNOWN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            Argon2::default()
                .hash_password(b"no such user")
                .expect("Argon2id hashes any password")
                .to_string()
        });
        let user = users.iter().find(|u| u.name == name);
        let hash = user.map_or(UNKNOWN.as_str(), |u| u.hash.as_str());
        let matches = self.matches(hash, password.as_bytes()).unwrap_or(false);
        user.filter(|_| matches).map(|u| u.role)
    }

    /// Whether `password` hashes to the PHC string `hash`; `None` if `hash` is not one.
    fn matches(&mut self, hash: &str, password: &[u8]) -> Option<bool> {
        use subtle::ConstantTimeEq as _;
        let hash = PasswordHash::new(hash).ok()?;
        let params = argon2::Params::try_from(&hash).ok()?;
        let algorithm = argon2::Algorithm::try_from(hash.algorithm.as_str()).ok()?;
        let version = match hash.version {
            Some(v) => argon2::Version::try_from(v).ok()?,
            None => argon2::Version::default(),
        };
        let (salt, expected) = (hash.salt?, hash.hash?);
        let blocks = params.block_count();
        if self.memory.len() < blocks {
            self.memory.resize(blocks, argon2::Block::default());
        }
        let mut out = vec![0; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password, &salt, &mut out, &mut self.memory[..blocks])
            .ok()?;
        Some(out.ct_eq(expected.as_bytes()).into())
    }
}

/// The user's role if `password` is theirs, checked in memory of its own (see [`Verifier`]).
pub fn verify(users: &[User], name: &str, password: &str) -> Option<Role> {
    Verifier::default().verify(users, name, password)
}

impl Store {
    pub async fn users(&self) -> super::Result<Vec<User>> {
        let rows = sqlx::query("SELECT name, role, hash FROM users ORDER BY name")
            .fetch_all(&self.pool()?)
            .await?;
        Ok(rows.iter().filter_map(user_of).collect())
    }
}

impl Change {
    /// Adds a user, or gives one a new role and hash: whether they are new.
    pub async fn put_user(&mut self, user: &User) -> super::Result<bool> {
        let new = sqlx::query("SELECT 1 FROM users WHERE name = $1")
            .bind(&user.name)
            .fetch_optional(self.connection())
            .await?
            .is_none();
        sqlx::query(
            "INSERT INTO users (name, role, hash) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET role = $2, hash = $3",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.hash)
        .execute(self.connection())
        .await?;
        Ok(new)
    }

    /// Removes a user and ends their sessions: whether there was one.
    pub async fn remove_user(&mut self, name: &str) -> super::Result<bool> {
        sqlx::query("DELETE FROM sessions WHERE user_name = $1")
            .bind(name)
            .execute(self.connection())
            .await?;
        let removed = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name)
            .execute(self.connection())
            .await?;
        Ok(removed.rows_affected() > 0)
    }
}

fn user_of(row: &AnyRow) -> Option<User> {
    Some(User {
        name: row.get("name"),
        role: Role::named(&row.get::<String, _>("role"))?,
        hash: row.get("hash"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_kept_hashed_and_checked() {
        let amira = User::new("amira", Role::Editor, "a long enough secret").unwrap();
        let ben = User::new("ben", Role::Viewer, "another long secret").unwrap();
        assert!(!amira.hash.contains("a long enough secret"));
        assert!(amira.hash.starts_with("$argon2id$"), "{}", amira.hash);
        let users = [amira, ben];
        assert_eq!(
            verify(&users, "amira", "a long enough secret"),
            Some(Role::Editor)
        );
        assert_eq!(verify(&users, "amira", "another long secret"), None);
        assert_eq!(verify(&users, "nobody", "a long enough secret"), None);
        // One verifier, its memory used again and again, checks alike.
        let mut verifier = Verifier::default();
        for _ in 0..3 {
            assert_eq!(
                verifier.verify(&users, "ben", "another long secret"),
                Some(Role::Viewer)
            );
            assert_eq!(verifier.verify(&users, "ben", "a long enough secret"), None);
        }
        // A hash made by argon2's own verifier's rules is read the same.
        let mut hash = users[0].clone();
        hash.hash.push('x');
        assert_eq!(
            verifier.verify(&[hash], "amira", "a long enough secret"),
            None
        );
        assert_eq!(
            User::new("c", Role::Viewer, "short").unwrap_err(),
            BadUser::ShortPassword
        );
        assert_eq!(
            User::new("no spaces", Role::Viewer, "a long enough secret").unwrap_err(),
            BadUser::BadName
        );
    }
}
