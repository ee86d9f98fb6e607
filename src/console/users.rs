//! The console's users: a name, a role, and an Argon2id hash of the password, in
//! `console-users.toml` in the state directory (readable by its owner only). No password is
//! kept or logged in clear.

use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};

/// The file's name in the state directory.
pub const USERS_FILE: &str = "console-users.toml";

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
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// The PHC string of an Argon2id hash.
    pub hash: String,
}

#[derive(Default, Serialize, Deserialize)]
struct UsersFile {
    #[serde(default, rename = "user")]
    users: Vec<User>,
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Broken { path: PathBuf, message: String },
    #[error("a user name is 1 to 64 letters, digits, dots, dashes or underscores")]
    BadName,
    #[error("a password has at least 12 characters")]
    ShortPassword,
    #[error("there is no user {0:?}")]
    NoSuchUser(String),
}

pub fn users_file(state_dir: &Path) -> PathBuf {
    state_dir.join(USERS_FILE)
}

/// Every user, from the state directory; none if there is no file yet.
pub fn load(state_dir: &Path) -> Result<Vec<User>, UsersError> {
    let path = users_file(state_dir);
    let text = match crate::state::read_small(&path, 1024 * 1024) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Vec::new()),
        Err(source) => return Err(UsersError::Io { path, source }),
    };
    toml::from_str::<UsersFile>(&text)
        .map(|file| file.users)
        .map_err(|e| UsersError::Broken {
            path,
            message: e.message().to_owned(),
        })
}

fn save(state_dir: &Path, users: Vec<User>) -> Result<(), UsersError> {
    let path = users_file(state_dir);
    let io = |source| UsersError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(state_dir).map_err(io)?;
    // Made readable by its owner only before anything is in it; the write keeps the mode.
    if !path.exists() {
        let file = std::fs::File::create(&path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
    }
    let text = toml::to_string(&UsersFile { users }).expect("users serialise");
    crate::state::write_atomically(&path, text.as_bytes()).map_err(io)
}

/// Adds `name`, or gives an existing user a new role and password: whether it was new.
pub fn add(state_dir: &Path, name: &str, role: Role, password: &str) -> Result<bool, UsersError> {
    let good_name = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !good_name {
        return Err(UsersError::BadName);
    }
    if password.chars().count() < 12 {
        return Err(UsersError::ShortPassword);
    }
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .expect("Argon2id hashes any password")
        .to_string();
    let mut users = load(state_dir)?;
    let new = !users.iter().any(|u| u.name == name);
    users.retain(|u| u.name != name);
    users.push(User {
        name: name.to_owned(),
        role,
        hash,
    });
    users.sort_by(|a, b| a.name.cmp(&b.name));
    save(state_dir, users)?;
    Ok(new)
}

pub fn remove(state_dir: &Path, name: &str) -> Result<(), UsersError> {
    let mut users = load(state_dir)?;
    let before = users.len();
    users.retain(|u| u.name != name);
    if users.len() == before {
        return Err(UsersError::NoSuchUser(name.to_owned()));
    }
    save(state_dir, users)
}

/// The user's role if `password` is theirs. An unknown name costs as much time as a wrong
/// password, so the time taken does not tell which names exist.
pub fn verify(users: &[User], name: &str, password: &str) -> Option<Role> {
    static UNKNOWN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        Argon2::default()
            .hash_password(b"no such user")
            .expect("Argon2id hashes any password")
            .to_string()
    });
    let user = users.iter().find(|u| u.name == name);
    let hash = user.map_or(UNKNOWN.as_str(), |u| u.hash.as_str());
    let matches = PasswordHash::new(hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    });
    user.filter(|_| matches).map(|u| u.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_kept_hashed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        assert!(add(dir.path(), "amira", Role::Editor, "a long enough secret").unwrap());
        assert!(add(dir.path(), "ben", Role::Viewer, "another long secret").unwrap());
        let text = std::fs::read_to_string(users_file(dir.path())).unwrap();
        assert!(!text.contains("a long enough secret"), "{text}");
        assert!(text.contains("$argon2id$"), "{text}");
        let users = load(dir.path()).unwrap();
        assert_eq!(
            verify(&users, "amira", "a long enough secret"),
            Some(Role::Editor)
        );
        assert_eq!(verify(&users, "amira", "another long secret"), None);
        assert_eq!(verify(&users, "nobody", "a long enough secret"), None);
        assert!(matches!(
            add(dir.path(), "c", Role::Viewer, "short"),
            Err(UsersError::ShortPassword)
        ));
        assert!(matches!(
            add(
                dir.path(),
                "no spaces",
                Role::Viewer,
                "a long enough secret"
            ),
            Err(UsersError::BadName)
        ));
        remove(dir.path(), "ben").unwrap();
        assert_eq!(load(dir.path()).unwrap().len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(users_file(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
