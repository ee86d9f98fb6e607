// sqlx's `migrate!` reads the migration folders when the crate is compiled; a migration added
// since must compile the crate again.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
