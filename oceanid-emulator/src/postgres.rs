//! A throwaway PostgreSQL server: `initdb` into a temporary directory, TLS, scram passwords.
//!
//! [`EphemeralPostgres::start`] runs `initdb` into a fresh temporary directory, generates a
//! certificate authority and a server certificate for `127.0.0.1`/`localhost`, and starts
//! `postgres` on a free port of `127.0.0.1`. TCP clients must use TLS and a scram password
//! (`pg_hba.conf` has `hostssl` lines only, so a plain-text TCP connection is refused); the
//! emulator itself administers roles over the server's unix socket.
//!
//! The server stops, and its directory is removed, when the [`EphemeralPostgres`] is dropped or
//! [`stop`](EphemeralPostgres::stop)ped. A small watchdog process also stops it when this process
//! dies without running destructors (a value kept in a `static`, a `SIGKILL`), so no server
//! outlives the test run that started it.
//!
//! When this process runs as root (as CI does), `initdb` would refuse to run, so the server
//! runs as the `postgres` system user instead.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Gid, Pid, Uid, User};
use rand::Rng;
use rand::distr::Alphanumeric;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tempfile::TempDir;

use crate::sql_text::{self, describe_pg_error, identifier_problem, quote_literal};

/// The server binaries this module runs.
const BINARIES: [&str; 2] = ["initdb", "postgres"];
/// Environment variable naming a directory that holds `initdb` and `postgres`; searched first.
pub const BINDIR_ENV: &str = "OCEANID_PG_BINDIR";
/// The system user the server runs as when this process runs as root.
const SERVER_USER: &str = "postgres";
/// How long a started server may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many ports are tried when another process takes the chosen one first.
const PORT_ATTEMPTS: usize = 5;
/// How much of the server log a start error quotes.
const LOG_TAIL_BYTES: u64 = 2048;

/// Why a throwaway PostgreSQL could not be started, administered or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// `initdb` or `postgres` is not installed where this module looks.
    #[error(
        "PostgreSQL server binaries not found: {missing} (searched ${BINDIR_ENV}, PATH and \
         /usr/lib/postgresql/*/bin); install the PostgreSQL 15 server binaries (Debian: \
         `apt-get install postgresql-15`) and put their directory (e.g. /usr/lib/postgresql/15/bin) \
         on PATH or in ${BINDIR_ENV}"
    )]
    MissingBinaries {
        /// The binaries that were not found, comma separated.
        missing: String,
    },
    /// Running as root, but there is no `postgres` system user to run the server as.
    #[error(
        "running as root, and initdb refuses to run as root; there is no `{user}` system user to \
         run the server as: create one (`useradd --system {user}`) or run as an ordinary user"
    )]
    NoServerUser {
        /// The user that was looked up.
        user: String,
        /// The lookup error, when the lookup itself failed.
        #[source]
        source: Option<nix::Error>,
    },
    /// A file-system or process operation failed.
    #[error("{action}: {source}")]
    Io {
        /// What was being done.
        action: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `initdb` exited unsuccessfully.
    #[error("initdb failed ({status}); its output ends with:\n{output}")]
    Initdb {
        /// The exit status.
        status: std::process::ExitStatus,
        /// The tail of its output.
        output: String,
    },
    /// The server exited or did not become ready in time.
    #[error("PostgreSQL did not start: {reason}; the server log ends with:\n{log_tail}")]
    Startup {
        /// What went wrong.
        reason: String,
        /// The tail of the server log.
        log_tail: String,
    },
    /// The TLS certificate could not be generated.
    #[error("generating the server's TLS certificate: {source}")]
    Certificate {
        /// The underlying error.
        #[source]
        source: rcgen::Error,
    },
    /// A role name cannot be used (empty, longer than 63 bytes, or containing NUL).
    #[error("invalid role name {name:?}: {reason}")]
    InvalidRoleName {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A statement over the admin connection failed.
    #[error("{action}: {reason}")]
    Sql {
        /// What was being done.
        action: String,
        /// The server's (or the driver's) explanation.
        reason: String,
        /// The underlying error.
        #[source]
        source: tokio_postgres::Error,
    },
}

impl PostgresError {
    fn io(action: impl Into<String>) -> impl FnOnce(io::Error) -> PostgresError {
        let action = action.into();
        move |source| PostgresError::Io { action, source }
    }

    fn sql(action: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> PostgresError {
        let action = action.into();
        move |source| PostgresError::Sql {
            action,
            reason: describe_pg_error(&source),
            source,
        }
    }
}

/// A running throwaway PostgreSQL server; dropping it stops the server and removes its files.
pub struct EphemeralPostgres {
    host: String,
    port: u16,
    ca_pem: String,
    password: String,
    socket_dir: PathBuf,
    server: Option<Child>,
    watchdog: Option<Child>,
    dir: Option<TempDir>,
}

impl fmt::Debug for EphemeralPostgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EphemeralPostgres")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("socket_dir", &self.socket_dir)
            .field("pid", &self.server.as_ref().map(Child::id))
            .finish_non_exhaustive()
    }
}

/// The user and group the server runs as, when it must differ from this process's.
#[derive(Clone, Copy)]
struct RunAs {
    uid: Uid,
    gid: Gid,
}

impl RunAs {
    fn detect() -> Result<Option<RunAs>, PostgresError> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(None);
        }
        match User::from_name(SERVER_USER) {
            Ok(Some(user)) => Ok(Some(RunAs {
                uid: user.uid,
                gid: user.gid,
            })),
            Ok(None) => Err(PostgresError::NoServerUser {
                user: SERVER_USER.to_owned(),
                source: None,
            }),
            Err(source) => Err(PostgresError::NoServerUser {
                user: SERVER_USER.to_owned(),
                source: Some(source),
            }),
        }
    }

    fn apply(run_as: Option<RunAs>, command: &mut Command) {
        if let Some(run_as) = run_as {
            use std::os::unix::process::CommandExt;
            command.uid(run_as.uid.as_raw()).gid(run_as.gid.as_raw());
        }
    }

    /// Gives `path` to the server user (a no-op when not running as root).
    fn chown(run_as: Option<RunAs>, path: &Path) -> Result<(), PostgresError> {
        match run_as {
            Some(run_as) => {
                std::os::unix::fs::chown(path, Some(run_as.uid.as_raw()), Some(run_as.gid.as_raw()))
                    .map_err(PostgresError::io(format!(
                        "giving {} to the {SERVER_USER} user",
                        path.display()
                    )))
            }
            None => Ok(()),
        }
    }
}

impl EphemeralPostgres {
    /// Initialises and starts a new server on a free port of `127.0.0.1`.
    ///
    /// Takes about a second. The server requires TLS and scram passwords on TCP.
    ///
    /// # Errors
    /// [`PostgresError::MissingBinaries`] when `initdb`/`postgres` are not installed,
    /// [`PostgresError::NoServerUser`] when running as root without a `postgres` user,
    /// [`PostgresError::Initdb`] or [`PostgresError::Startup`] (quoting the tool's output or the
    /// server log) when the server cannot be set up, and [`PostgresError::Io`] for file errors.
    pub async fn start() -> Result<EphemeralPostgres, PostgresError> {
        let bindir = find_binaries()?;
        let run_as = RunAs::detect()?;
        let dir = make_temp_dir(run_as)?;
        let root = dir.path().to_path_buf();
        let data = root.join("data");
        let password: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();

        run_initdb(&bindir, run_as, &root, &data, &password).await?;
        let ca_pem = configure(run_as, &root, &data)?;

        let log_path = root.join("server.log");
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let server = spawn_server(&bindir, run_as, &root, &data, &log_path, port)?;
            let mut pg = EphemeralPostgres {
                host: "127.0.0.1".to_owned(),
                port,
                ca_pem: ca_pem.clone(),
                password: password.clone(),
                socket_dir: root.clone(),
                server: Some(server),
                watchdog: None,
                dir: None,
            };
            pg.watchdog = spawn_watchdog(pg.server_pid(), &root).ok();
            match pg.wait_until_ready(&data, &log_path).await {
                Ok(()) => {
                    pg.dir = Some(dir);
                    tracing::debug!(port, dir = %root.display(), "throwaway PostgreSQL is ready");
                    return Ok(pg);
                }
                Err(Startup::PortTaken) => {
                    tracing::debug!(port, "port was taken before PostgreSQL bound it; retrying");
                    pg.shutdown_blocking();
                    last_error = Some(format!("port {port} was taken"));
                }
                Err(Startup::Failed(reason)) => {
                    pg.shutdown_blocking();
                    return Err(PostgresError::Startup {
                        reason,
                        log_tail: log_tail(&log_path),
                    });
                }
            }
        }
        Err(PostgresError::Startup {
            reason: format!(
                "no free port after {PORT_ATTEMPTS} attempts (last: {})",
                last_error.unwrap_or_default()
            ),
            log_tail: log_tail(&log_path),
        })
    }

    /// The address clients connect to: always `127.0.0.1`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// PEM of the self-signed certificate authority that issued the server's certificate; use it
    /// as the root for `sslmode=verify-ca`/`verify-full` (the server certificate names
    /// `127.0.0.1` and `localhost`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The superuser's connection URL (`postgres` role, `postgres` database, `sslmode=require`).
    ///
    /// It contains the password: never log it.
    pub fn superuser_url(&self) -> String {
        format!(
            "postgres://postgres:{}@{}:{}/postgres?sslmode=require",
            self.password, self.host, self.port
        )
    }

    /// Creates the login role `name` with `password`, or updates its password and superuser
    /// attribute when it exists. The password is stored as a scram-sha-256 verifier computed
    /// here, so the plain text never reaches the server.
    ///
    /// # Errors
    /// [`PostgresError::InvalidRoleName`] for a name PostgreSQL cannot hold, and
    /// [`PostgresError::Sql`] when the server refuses.
    pub async fn ensure_role(
        &self,
        name: &str,
        password: &str,
        superuser: bool,
    ) -> Result<(), PostgresError> {
        let ident = quote_ident(name)?;
        let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
        let attributes = format!(
            "LOGIN {} PASSWORD {}",
            if superuser {
                "SUPERUSER"
            } else {
                "NOSUPERUSER"
            },
            quote_literal(&verifier)
        );
        let client = self.admin().await?;
        let exists = client
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
            .await
            .map_err(PostgresError::sql(format!("looking up role {ident}")))?
            .is_some();
        if !exists {
            match client
                .batch_execute(&format!("CREATE ROLE {ident} {attributes}"))
                .await
            {
                Ok(()) => return Ok(()),
                // Another caller created it first: update it instead.
                Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_OBJECT) => {}
                Err(e) => return Err(PostgresError::sql(format!("creating role {ident}"))(e)),
            }
        }
        client
            .batch_execute(&format!("ALTER ROLE {ident} {attributes}"))
            .await
            .map_err(PostgresError::sql(format!("updating role {ident}")))
    }

    /// Drops the role `name`; a role that does not exist is not an error.
    ///
    /// # Errors
    /// [`PostgresError::InvalidRoleName`] for a name PostgreSQL cannot hold, and
    /// [`PostgresError::Sql`] when the server refuses (for instance while the role still owns a
    /// database).
    pub async fn drop_role(&self, name: &str) -> Result<(), PostgresError> {
        let ident = quote_ident(name)?;
        let client = self.admin().await?;
        client
            .batch_execute(&format!("DROP ROLE IF EXISTS {ident}"))
            .await
            .map_err(PostgresError::sql(format!("dropping role {ident}")))
    }

    /// Stops the server (immediate shutdown) and removes its directory.
    ///
    /// # Errors
    /// [`PostgresError::Io`] when the directory cannot be removed.
    pub async fn stop(mut self) -> Result<(), PostgresError> {
        if let Some(server) = self.server.as_mut() {
            signal_server(server, Signal::SIGQUIT);
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(server.try_wait(), Ok(None)) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        self.stop_processes();
        match self.dir.take() {
            Some(dir) => dir
                .close()
                .map_err(PostgresError::io("removing the server's directory")),
            None => Ok(()),
        }
    }

    /// A connection as `postgres` over the unix socket (trusted, no TLS), driven on the caller's
    /// runtime.
    async fn admin(&self) -> Result<tokio_postgres::Client, PostgresError> {
        let (client, connection) = tokio_postgres::Config::new()
            .host_path(&self.socket_dir)
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(10))
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(PostgresError::sql("connecting over the unix socket"))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %describe_pg_error(&error), "admin connection ended");
            }
        });
        Ok(client)
    }

    fn server_pid(&self) -> u32 {
        self.server.as_ref().map_or(0, Child::id)
    }

    async fn wait_until_ready(&mut self, data: &Path, log_path: &Path) -> Result<(), Startup> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let pid_file = data.join("postmaster.pid");
        loop {
            if let Some(server) = self.server.as_mut() {
                match server.try_wait() {
                    Ok(Some(status)) => {
                        let log = log_tail(log_path);
                        return Err(if log.contains("could not bind") {
                            Startup::PortTaken
                        } else {
                            Startup::Failed(format!("the server exited ({status})"))
                        });
                    }
                    Ok(None) => {}
                    Err(e) => return Err(Startup::Failed(format!("waiting for the server: {e}"))),
                }
            }
            // pg_ctl's own readiness test: the eighth line of postmaster.pid says "ready".
            let ready = fs::read_to_string(&pid_file)
                .map(|s| s.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
                .unwrap_or(false);
            if ready {
                match self.admin().await {
                    Ok(client) => match client.simple_query("SELECT 1").await {
                        Ok(_) => return Ok(()),
                        Err(e) => tracing::trace!(error = %e, "not ready yet"),
                    },
                    Err(e) => tracing::trace!(error = %e, "not ready yet"),
                }
            }
            if Instant::now() >= deadline {
                return Err(Startup::Failed(format!(
                    "not ready after {} s",
                    READY_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the server without waiting on a runtime; used by `Drop` and failed starts.
    fn shutdown_blocking(&mut self) {
        if let Some(server) = self.server.as_mut() {
            signal_server(server, Signal::SIGQUIT);
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(server.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        self.stop_processes();
    }

    /// Kills whatever is left of the server, then the watchdog, and reaps both.
    fn stop_processes(&mut self) {
        if let Some(mut server) = self.server.take() {
            if matches!(server.try_wait(), Ok(None)) {
                let _ = server.kill();
            }
            let _ = server.wait();
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

impl Drop for EphemeralPostgres {
    fn drop(&mut self) {
        self.shutdown_blocking();
        // `TempDir`'s own drop removes the directory.
    }
}

enum Startup {
    PortTaken,
    Failed(String),
}

/// Sends `signal` to the postmaster (`SIGQUIT` is PostgreSQL's immediate shutdown).
fn signal_server(server: &mut Child, signal: Signal) {
    if matches!(server.try_wait(), Ok(None))
        && let Ok(pid) = i32::try_from(server.id())
    {
        let _ = kill(Pid::from_raw(pid), signal);
    }
}

/// Finds the directory holding `initdb` and `postgres`: `$OCEANID_PG_BINDIR`, then `PATH`, then
/// the newest `/usr/lib/postgresql/*/bin` (where Debian installs them off PATH).
fn find_binaries() -> Result<PathBuf, PostgresError> {
    let has_all = |dir: &Path| BINARIES.iter().all(|b| is_executable(&dir.join(b)));
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os(BINDIR_ENV) {
        candidates.push(PathBuf::from(dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(debian.into_iter().map(|(_, dir)| dir));

    if let Some(dir) = candidates.iter().find(|dir| has_all(dir)) {
        return Ok(dir.clone());
    }
    let missing: Vec<&str> = BINARIES
        .iter()
        .copied()
        .filter(|b| !candidates.iter().any(|dir| is_executable(&dir.join(b))))
        .collect();
    Err(PostgresError::MissingBinaries {
        missing: if missing.is_empty() {
            // Each was found, but never both in one directory.
            BINARIES.join(", ") + " (in one directory)"
        } else {
            missing.join(", ")
        },
    })
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A new private directory for the cluster, given to the server user.
///
/// As root, the directory goes in `/tmp` (a `$TMPDIR` under root's home may not be reachable by
/// the server user); a long `$TMPDIR` is avoided too, because the unix socket lives in it and
/// socket paths are limited to about 100 bytes.
fn make_temp_dir(run_as: Option<RunAs>) -> Result<TempDir, PostgresError> {
    let tmp = std::env::temp_dir();
    let base = if run_as.is_some() || tmp.as_os_str().len() > 60 {
        PathBuf::from("/tmp")
    } else {
        tmp
    };
    let dir = tempfile::Builder::new()
        .prefix("oceanid-pg-")
        .tempdir_in(&base)
        .map_err(PostgresError::io(format!(
            "creating a temporary directory in {}",
            base.display()
        )))?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700))
        .map_err(PostgresError::io("restricting the temporary directory"))?;
    RunAs::chown(run_as, dir.path())?;
    Ok(dir)
}

/// Writes `contents` to a new file readable only by its owner (then the server user).
fn write_private(run_as: Option<RunAs>, path: &Path, contents: &[u8]) -> Result<(), PostgresError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(PostgresError::io(format!("creating {}", path.display())))?;
    file.write_all(contents)
        .map_err(PostgresError::io(format!("writing {}", path.display())))?;
    RunAs::chown(run_as, path)
}

async fn run_initdb(
    bindir: &Path,
    run_as: Option<RunAs>,
    root: &Path,
    data: &Path,
    password: &str,
) -> Result<(), PostgresError> {
    let pwfile = root.join("pwfile");
    write_private(run_as, &pwfile, password.as_bytes())?;
    let mut command = Command::new(bindir.join("initdb"));
    command
        .arg("-D")
        .arg(data)
        .arg("-U")
        .arg("postgres")
        .arg(format!("--pwfile={}", pwfile.display()))
        .args([
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ])
        .current_dir(root)
        .stdin(Stdio::null());
    RunAs::apply(run_as, &mut command);
    let output = tokio::process::Command::from(command)
        .output()
        .await
        .map_err(PostgresError::io("running initdb"));
    let _ = fs::remove_file(&pwfile);
    let output = output?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(PostgresError::Initdb {
        status: output.status,
        output: tail(&text, LOG_TAIL_BYTES as usize),
    })
}

/// Writes the certificates, `pg_hba.conf` and the server settings; returns the CA's PEM.
fn configure(run_as: Option<RunAs>, root: &Path, data: &Path) -> Result<String, PostgresError> {
    let (ca_pem, cert_pem, key_pem) =
        generate_certificates().map_err(|source| PostgresError::Certificate { source })?;
    write_private(run_as, &data.join("server.crt"), cert_pem.as_bytes())?;
    write_private(run_as, &data.join("server.key"), key_pem.as_bytes())?;

    // Only TLS on TCP: a plain `host` line would let unencrypted clients in.
    let hba = "# Written by oceanid-emulator.\n\
               local   all all                trust\n\
               hostssl all all 127.0.0.1/32   scram-sha-256\n\
               hostssl all all ::1/128        scram-sha-256\n";
    let hba_path = data.join("pg_hba.conf");
    fs::write(&hba_path, hba).map_err(PostgresError::io("writing pg_hba.conf"))?;

    let settings = format!(
        "\n# Written by oceanid-emulator.\n\
         listen_addresses = '127.0.0.1'\n\
         unix_socket_directories = {socket_dir}\n\
         ssl = on\n\
         ssl_cert_file = 'server.crt'\n\
         ssl_key_file = 'server.key'\n\
         password_encryption = 'scram-sha-256'\n\
         fsync = off\n\
         synchronous_commit = off\n\
         full_page_writes = off\n\
         shared_buffers = '16MB'\n\
         max_connections = 50\n\
         huge_pages = off\n\
         jit = off\n\
         log_min_error_statement = panic\n\
         logging_collector = off\n",
        socket_dir = quote_literal(&root.to_string_lossy()),
    );
    let conf_path = data.join("postgresql.conf");
    OpenOptions::new()
        .append(true)
        .open(&conf_path)
        .and_then(|mut f| f.write_all(settings.as_bytes()))
        .map_err(PostgresError::io("writing postgresql.conf"))?;
    Ok(ca_pem)
}

/// A certificate authority and a server certificate it signed for `127.0.0.1` and `localhost`:
/// `(ca_pem, server_cert_pem, server_key_pem)`.
pub(crate) fn generate_certificates() -> Result<(String, String, String), rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "oceanid-emulator throwaway CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate()?;
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &issuer)?;
    Ok((ca_cert.pem(), server_cert.pem(), server_key.serialize_pem()))
}

/// A port that was free on `127.0.0.1` a moment ago.
fn free_port() -> Result<u16, PostgresError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(PostgresError::io("finding a free port on 127.0.0.1"))?;
    let port = listener
        .local_addr()
        .map_err(PostgresError::io("finding a free port on 127.0.0.1"))?
        .port();
    Ok(port)
}

fn spawn_server(
    bindir: &Path,
    run_as: Option<RunAs>,
    root: &Path,
    data: &Path,
    log_path: &Path,
    port: u16,
) -> Result<Child, PostgresError> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(PostgresError::io("opening the server log"))?;
    let log_err = log
        .try_clone()
        .map_err(PostgresError::io("opening the server log"))?;
    let mut command = Command::new(bindir.join("postgres"));
    command
        .arg("-D")
        .arg(data)
        .arg("-p")
        .arg(port.to_string())
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    RunAs::apply(run_as, &mut command);
    command
        .spawn()
        .map_err(PostgresError::io("starting postgres"))
}

/// Starts a shell that waits for this process to die (its stdin, held only by us, reaches end of
/// file), then stops the server and removes its directory. Normal shutdown kills it first.
///
/// The server has exited once `postmaster.pid` is gone (an unreaped zombie still answers
/// `kill -0`); a server that does not exit within ten seconds is killed.
fn spawn_watchdog(server_pid: u32, root: &Path) -> io::Result<Child> {
    const SCRIPT: &str = r#"trap '' INT HUP
read -r _ignored
kill -QUIT "$1" 2>/dev/null
i=0
while [ -e "$2/data/postmaster.pid" ] && kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do
  sleep 0.1; i=$((i + 1))
done
kill -KILL "$1" 2>/dev/null
rm -rf -- "$2""#;
    Command::new("/bin/sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("oceanid-pg-watchdog")
        .arg(server_pid.to_string())
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

/// The last `max` bytes of `text`, cut at a line start when possible.
fn tail(text: &str, max: usize) -> String {
    let text = text.trim_end();
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    match cut.find('\n') {
        Some(i) => cut[i + 1..].to_owned(),
        None => cut.to_owned(),
    }
}

fn log_tail(path: &Path) -> String {
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => tail(&text, LOG_TAIL_BYTES as usize),
        Err(e) => format!("(server log unreadable: {e})"),
    }
}

/// `name` as a double-quoted SQL identifier, refused when PostgreSQL cannot hold it.
fn quote_ident(name: &str) -> Result<String, PostgresError> {
    match identifier_problem(name) {
        Some(reason) => Err(PostgresError::InvalidRoleName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(sql_text::quote_ident(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_checked() {
        assert_eq!(quote_ident("app").unwrap(), "\"app\"");
        assert_eq!(quote_ident("a\"b").unwrap(), "\"a\"\"b\"");
        assert!(quote_ident("").is_err());
        assert!(quote_ident(&"x".repeat(64)).is_err());
        assert!(quote_ident("a\0b").is_err());
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn tail_keeps_whole_lines() {
        assert_eq!(tail("a\nbb\nccc\n", 5), "ccc");
        assert_eq!(tail("short", 100), "short");
    }

    #[test]
    fn certificates_name_the_loopback_address() {
        let (ca, cert, key) = generate_certificates().unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(key.contains("PRIVATE KEY"));
        assert_ne!(ca, cert);
    }
}
