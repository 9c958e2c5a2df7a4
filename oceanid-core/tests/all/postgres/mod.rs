//! The SQL side against a real, throwaway PostgreSQL (one server shared by every test here;
//! each test uses its own role and database names).

mod databases;
mod server;
mod verify;

use std::sync::atomic::{AtomicU32, Ordering};

use oceanid_core::postgres::PgUrl;
use oceanid_emulator::postgres::EphemeralPostgres;
use secrecy::SecretString;
use tokio::sync::OnceCell;

/// Distinctive enough that a leak shows up in any output.
const PASSWORD_PREFIX: &str = "pw-Zebra-Quokka-";

static SERVER: OnceCell<EphemeralPostgres> = OnceCell::const_new();

/// The shared server, started on first use; the emulator's watchdog stops it when the test
/// binary exits.
async fn server() -> &'static EphemeralPostgres {
    SERVER
        .get_or_init(|| async {
            match EphemeralPostgres::start().await {
                Ok(server) => server,
                Err(error) => panic!("starting PostgreSQL: {error}"),
            }
        })
        .await
}

/// A name unique to this test run: `<prefix>_<pid>_<n>`.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn superuser(pg: &EphemeralPostgres) -> PgUrl {
    PgUrl::parse(&pg.superuser_url()).expect("the emulator's superuser URL parses")
}

/// A new login role with a distinctive password, and the URL to log in as it.
async fn new_role(pg: &EphemeralPostgres, prefix: &str) -> (String, String, PgUrl) {
    let name = unique(prefix);
    let password = format!("{PASSWORD_PREFIX}{name}");
    pg.ensure_role(&name, &password, false)
        .await
        .expect("ensure_role");
    let url = superuser(pg).with_credentials(&name, SecretString::from(password.clone()));
    (name, password, url)
}
