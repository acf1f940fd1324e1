//! Building and running the application. Routes are mounted in exactly one place, [`routes`].

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{NormalizePath, from_fn};
use actix_web::{App, HttpServer, web};
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use utoipa_actix_web::AppExt;

use crate::auth::Authenticator;
use crate::auth::jwt::JwtVerifier;
use crate::auth::oidc::OidcClients;
use crate::auth::ratelimit::CredentialLimiter;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{DatabasePooler, Settings};
use crate::domain::catalog::Catalog;
use crate::domain::delivery::RetryPolicy;
use crate::engine::deliver::Deliverer;
use crate::http::Edge;
use crate::http::allowed_methods::AllowedMethods;
use crate::http::body_limit::limit_body_size;
use crate::http::errors::{WireError, shape_errors};
use crate::http::metrics::{Metrics, record_metrics};
use crate::http::request_id::assign_request_id;
use crate::jobs::Jobs;
use crate::jobs::delivery::DeliveryWorker;
use crate::jobs::housekeeping::Housekeeping;
use crate::jobs::sweeper::Sweeper;
use crate::openapi;
use crate::routes::routes;
use crate::state::AppState;
use crate::store::{Store, StoreError, StoreOptions, describe_open_error, pooler_hint};
use crate::webhook::WebhookClient;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(String),
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the outbound HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
    #[error("setting `tls`: {0}")]
    Tls(String),
    #[error("setting `catalog_file`: {0}")]
    Catalog(String),
    #[error("setting `audit.signing_key`: {0}")]
    SigningKey(String),
}

/// Opens the store and brings its schema up to date.
pub async fn open_store(settings: &Settings) -> Result<Store, StartupError> {
    let store = connect_store(settings).await?;
    store
        .refuse_shared_sessions()
        .await
        .map_err(StartupError::Database)?;
    store.migrate().await.map_err(|e| {
        StartupError::Migrate(match e {
            // Our own migrations' statements: no row data to keep out of the message.
            StoreError::Database(db) => match pooler_hint(&db) {
                Some(hint) => format!("{db}; {hint}"),
                None => db.to_string(),
            },
            other => other.to_string(),
        })
    })?;
    Ok(store)
}

/// The portal catalogue: `catalog_file` when set, else the one built in.
fn load_catalog(settings: &Settings) -> Result<Catalog, StartupError> {
    match &settings.catalog_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| StartupError::Catalog(format!("{}: {e}", path.display())))
            .and_then(|text| {
                Catalog::parse(&text).map_err(|e| StartupError::Catalog(e.to_string()))
            }),
        None => Catalog::builtin().map_err(|e| StartupError::Catalog(e.to_string())),
    }
}

/// What `portcullis check-config` adds to the settings' own checks: the files they name (the
/// catalogue, the TLS certificate and key) can be read and make sense.
pub fn check_named_files(settings: &Settings) -> Result<(), StartupError> {
    load_catalog(settings)?;
    if let Some(tls) = &settings.tls {
        install_crypto_provider();
        tls_config(tls)?;
    }
    Ok(())
}

/// Opens the store as it is, without migrating (`portcullis migrate --status`).
pub async fn connect_store(settings: &Settings) -> Result<Store, StartupError> {
    let catalog = load_catalog(settings)?;
    let store = Store::connect(&StoreOptions {
        url: settings.database_url.clone(),
        max_connections: settings.database_pool_size(),
        catalog: Arc::new(catalog),
        credential_cache_ttl: settings.auth_cache_ttl,
        transaction_pooler: settings.database_pooler == DatabasePooler::Transaction,
    })
    .await;
    let store = match store {
        Ok(store) => store,
        Err(StoreError::Database(db)) => {
            return Err(StartupError::Database(
                describe_open_error(&settings.database_url, &db).await,
            ));
        }
        Err(other) => return Err(StartupError::Database(other.to_string())),
    };
    Ok(store)
}

/// Our outbound TLS uses rustls with the ring provider (no C toolchain needed to build).
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A bound, ready-to-run server and its background jobs.
#[allow(missing_debug_implementations)] // actix's Server is not Debug.
pub struct Application {
    port: u16,
    server: Server,
    shutdown: ShutdownSignal,
    state: web::Data<AppState>,
    jobs: Jobs,
}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: &Settings,
        clock: SharedClock,
    ) -> Result<Self, StartupError> {
        install_crypto_provider();
        let signer = Arc::new(
            crate::audit_key::load_or_create(&settings.audit_signing_key_path())
                .map_err(StartupError::SigningKey)?,
        );
        let store = open_store(settings).await?;
        match store.describe().await {
            Ok(description) => tracing::info!(database = %description, "database ready"),
            Err(err) => tracing::warn!(error = %err, "cannot read database settings"),
        }
        if store.autovacuum_off().await.unwrap_or(false) {
            tracing::warn!(
                "PostgreSQL's autovacuum is off, so nothing keeps the query planner's statistics \
                 current and lookups slow down as the directory grows: turn it on, or run \
                 `VACUUM ANALYZE` after loading many users"
            );
        }
        if store.count_practices().await.unwrap_or(1) == 0 {
            tracing::warn!(
                "no practice yet: create one with `portcullis practice create --slug \
                 my-practice --name \"My Practice\"`, then its portal administrator with \
                 `portcullis admin create --practice my-practice --email you@example.com --name \
                 \"Your Name\" --role portal_admin`, which prints a sign-in link to the console \
                 (/console) on its last line. The identity provider's token: `portcullis token \
                 create --practice my-practice --scope scim --name okta` (from a checkout, \
                 `cargo run --release -- …`; see the README's first five minutes)"
            );
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let listener = TcpListener::bind(settings.listen).map_err(|source| StartupError::Bind {
            addr: settings.listen.to_string(),
            source,
        })?;
        let bind_error = |source| StartupError::Bind {
            addr: settings.listen.to_string(),
            source,
        };
        // With port 0 the kernel picks the port; links must use the one actually bound.
        let bound = listener.local_addr().map_err(bind_error)?;
        let port = bound.port();
        let public_url = settings.public_url_for(bound);
        let limiter = Arc::new(CredentialLimiter::new(&settings.rate_limit));
        let webhooks =
            WebhookClient::new(settings.webhook_allow_private, settings.webhook_timeout)?;
        let wake_delivery = Arc::new(tokio::sync::Notify::new());
        let edge = web::Data::new(Edge {
            store: store.clone(),
            metrics: Metrics::default(),
            metrics_token_sha256: settings
                .metrics_token
                .as_ref()
                .map(|t| Sha256::digest(t.as_bytes()).into()),
            body_limit_bytes: settings.body_limit_bytes,
            evidence_limit_bytes: settings.evidence_limit_bytes,
            allowed_methods: AllowedMethods::from_openapi(&openapi::document()),
        });
        let authenticator = web::Data::new(Authenticator {
            store: store.clone(),
            clock: clock.clone(),
            jwt: JwtVerifier::new(&settings.jwt, http.clone()),
            limiter: limiter.clone(),
        });
        let state = web::Data::new(AppState {
            store,
            clock,
            public_url,
            webhooks,
            mass_revocation_share: settings.mass_revocation_share,
            import_shrink_share: settings.import_shrink_share,
            wake_delivery,
            audit_signer: signer,
            session_limits: settings.console.limits(),
            oidc: OidcClients::new(&settings.console.oidc, &settings.jwt, http),
        });
        let jobs = jobs(settings, &state, &limiter);

        let server_state = state.clone();
        let server = HttpServer::new(move || {
            let limit = edge.body_limit_bytes;
            App::new()
                .into_utoipa_app()
                .configure(routes)
                .into_app()
                .app_data(server_state.clone())
                .app_data(authenticator.clone())
                .app_data(edge.clone())
                .app_data(web::PayloadConfig::new(limit))
                .app_data(
                    web::JsonConfig::default()
                        .limit(limit)
                        .content_type_required(false)
                        .error_handler(|err, _| {
                            WireError::bad_request(format!("invalid JSON body: {err}")).into()
                        }),
                )
                // Innermost first: the last `wrap` sees the request first.
                // `/Users/?filter=…` (Microsoft's Postman collection) routes like `/Users`.
                .wrap(NormalizePath::trim())
                .wrap(from_fn(limit_body_size))
                .wrap(from_fn(shape_errors))
                .wrap(from_fn(record_metrics))
                .wrap(from_fn(assign_request_id))
        })
        .shutdown_timeout(10);
        let server = match &settings.tls {
            Some(tls) => server.listen_rustls_0_23(listener, tls_config(tls)?),
            None => server.listen(listener),
        }
        .map_err(bind_error)?
        // Signals are ours (see `ShutdownSignal`), so they are caught from the moment
        // `build` returns rather than from whenever actix's own task first runs.
        .disable_signals()
        .run();
        let shutdown = ShutdownSignal::install().map_err(bind_error)?;
        tracing::info!(address = %settings.listen, port, "listening");
        Ok(Self {
            port,
            server,
            shutdown,
            state,
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The state handlers share (tests reach the serving process's store through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The background jobs (tests run their passes directly).
    pub fn jobs(&self) -> Jobs {
        self.jobs.clone()
    }

    /// Stops the server like a signal would: in-flight requests finish, then the jobs stop.
    pub fn stop_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM (actix finishes in-flight requests first), then stops the
    /// background jobs.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let (stop_jobs, shutdown) = watch::channel(false);
        let housekeeping = tokio::spawn(self.jobs.housekeeping.clone().run(shutdown.clone()));
        let sweeper = tokio::spawn(self.jobs.sweeper.clone().run(shutdown.clone()));
        let delivery = tokio::spawn(self.jobs.delivery.clone().run(shutdown));
        crate::service_manager::notify("READY=1");
        let handle = self.server.handle();
        let mut server = self.server;
        let served = tokio::select! {
            served = &mut server => served,
            () = self.shutdown.received() => {
                tracing::info!("shutting down: finishing in-flight requests");
                crate::service_manager::notify("STOPPING=1");
                // The server future must keep being polled while it stops.
                let ((), served) = tokio::join!(handle.stop(true), server);
                served
            }
        };
        let _ = stop_jobs.send(true);
        let _ = tokio::join!(housekeeping, sweeper, delivery);
        served
    }
}

/// SIGTERM (orchestrators) or SIGINT (Ctrl-C), registered when created.
struct ShutdownSignal {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn received(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// rustls with the ring provider: TLS 1.2 and 1.3 only (rustls has nothing older).
fn tls_config(settings: &crate::config::TlsSettings) -> Result<rustls::ServerConfig, StartupError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certs = CertificateDer::pem_file_iter(&settings.cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            StartupError::Tls(format!("cert_file {}: {e}", settings.cert_file.display()))
        })?;
    if certs.is_empty() {
        return Err(StartupError::Tls(format!(
            "cert_file {} holds no certificate",
            settings.cert_file.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&settings.key_file)
        .map_err(|e| StartupError::Tls(format!("key_file {}: {e}", settings.key_file.display())))?;
    rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
    .map_err(|e| StartupError::Tls(e.to_string()))
}

/// The background jobs, each with what it uses (what the handlers share, and the limiter).
fn jobs(settings: &Settings, state: &AppState, limiter: &Arc<CredentialLimiter>) -> Jobs {
    let AppState {
        store,
        clock,
        public_url,
        webhooks,
        wake_delivery,
        audit_signer,
        mass_revocation_share: _,
        import_shrink_share: _,
        session_limits: _,
        oidc: _,
    } = state;
    let span =
        |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let deliverer = Deliverer {
        store: store.clone(),
        clock: clock.clone(),
        client: webhooks.clone(),
        retry: RetryPolicy {
            base: span(settings.webhook_retry_base),
            max: span(settings.webhook_retry_max),
            give_up_after: span(settings.webhook_give_up_after),
        },
        lease: span(crate::jobs::delivery::lease_for(settings.webhook_timeout)),
    };
    let limiter = limiter.clone();
    Jobs {
        housekeeping: Arc::new(Housekeeping {
            store: store.clone(),
            clock: clock.clone(),
            reopen_failed_after: chrono::Duration::from_std(settings.failed_task_reopen_after)
                .unwrap_or(chrono::Duration::hours(4)),
            retention: crate::engine::retention::Retention {
                deliveries: span(settings.retention.deliveries),
                session_idle: span(settings.console.session_idle_timeout),
            },
            forget_idle_limits: Box::new(move || limiter.forget_idle()),
        }),
        sweeper: Arc::new(Sweeper {
            store: store.clone(),
            clock: clock.clone(),
            public_url: public_url.to_owned(),
            interval: settings.sweep_interval,
            wake_delivery: wake_delivery.clone(),
            signer: audit_signer.clone(),
        }),
        delivery: Arc::new(DeliveryWorker::new(
            deliverer,
            settings.webhook_poll_interval,
            wake_delivery.clone(),
        )),
    }
}
