//! Settings, from flags or the environment, with defaults that work on a laptop.

use std::net::SocketAddr;

use clap::Args;

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL connection URL (PostGIS 3 required).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/xunjiu",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Largest number of database connections in the server's pool. The sighting writer holds
    /// one more of its own, so a server opens at most this plus one.
    #[arg(long, env = "XUNJIU_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Seconds a request waits for a database connection before it answers 503.
    #[arg(long, env = "XUNJIU_DB_ACQUIRE_TIMEOUT_S", default_value_t = 3)]
    pub db_acquire_timeout_s: u64,
}

/// `xunjiu serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,

    /// Address and port to listen on.
    #[arg(long, env = "XUNJIU_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Start the server's clock at this instant (RFC 3339) instead of now; it then runs at the
    /// normal pace. For drills and tests only: deadlines, campaigns and time windows follow it.
    #[arg(long, env = "XUNJIU_CLOCK_START", value_parser = parse_instant)]
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,

    /// Apply pending migrations at start. `false` lets `serve` run as a role that may read and
    /// write rows but not change the schema (run `xunjiu migrate` as the owner instead).
    #[arg(long, env = "XUNJIU_MIGRATE_ON_START", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate_on_start: bool,

    /// Seconds from SIGTERM until the process exits, whatever is still open: event streams end
    /// at once, requests in flight get this long to finish.
    #[arg(long, env = "XUNJIU_SHUTDOWN_GRACE_S", default_value_t = 10)]
    pub shutdown_grace_s: u64,

    /// A PEM certificate chain: with `XUNJIU_TLS_KEY`, `serve` speaks HTTPS itself (and sends
    /// HSTS). Without them it speaks plain HTTP, and TLS must end in front of it.
    #[arg(long, env = "XUNJIU_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// The PEM private key of `XUNJIU_TLS_CERT`.
    #[arg(
        long,
        env = "XUNJIU_TLS_KEY",
        requires = "tls_cert",
        hide_env_values = true
    )]
    pub tls_key: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub settings: Settings,
}

fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|err| format!("not an RFC 3339 time: {err}"))
}

/// A credential: kept as given, shown as `***` in debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl Secret {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Networks whose `X-Forwarded-For` header names the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

impl std::str::FromStr for TrustedProxies {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.parse::<ipnet::IpNet>()
                    .or_else(|_| c.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("{c} is not an address or a CIDR"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn contains(&self, address: std::net::IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy, then the
    /// right-most address of `X-Forwarded-For` that is not one of ours (a client may write
    /// anything to the left of what our proxies appended).
    pub fn client(&self, peer: std::net::IpAddr, forwarded_for: Option<&str>) -> std::net::IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in header.rsplit(',').map(str::trim) {
            match hop.parse::<std::net::IpAddr>() {
                Ok(address) => {
                    client = address;
                    if !self.contains(address) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

/// Behaviour the running service needs; everything here has a default.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// How far outside Tai'an's boundary a point may lie and still be routed, in metres.
    /// Changing it takes effect at the next `xunjiu seed`, which recomputes the service area.
    #[arg(long, env = "XUNJIU_SERVICE_MARGIN_M", default_value_t = 5000.0)]
    pub service_margin_m: f64,

    /// Hours a login token stays valid (a lost phone is cut off at once by `xunjiu users disable`).
    #[arg(long, env = "XUNJIU_TOKEN_TTL_HOURS", default_value_t = 168)]
    pub token_ttl_hours: u32,

    /// Hours a login token may go unused before it stops working (the absolute limit above
    /// stays).
    #[arg(long, env = "XUNJIU_SESSION_IDLE_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
    pub session_idle_hours: u32,

    /// Sustained writes per minute allowed to one account.
    #[arg(long, env = "XUNJIU_WRITES_PER_MINUTE", default_value_t = 120)]
    pub writes_per_minute: u32,

    /// Writes one account may make in a burst before the per-minute rate applies.
    #[arg(long, env = "XUNJIU_WRITE_BURST", default_value_t = 60)]
    pub write_burst: u32,

    /// Minutes a station has to accept (签收) a normal referral.
    #[arg(long, env = "XUNJIU_ACCEPT_MINUTES", default_value_t = 10)]
    pub accept_minutes: u32,

    /// Minutes a station has to accept an urgent referral.
    #[arg(long, env = "XUNJIU_ACCEPT_URGENT_MINUTES", default_value_t = 5)]
    pub accept_urgent_minutes: u32,

    /// Open referrals this close to a new one (metres) are offered as possible duplicates.
    #[arg(long, env = "XUNJIU_DUPLICATE_RADIUS_M", default_value_t = 300.0)]
    pub duplicate_radius_m: f64,

    /// ... and this close in time (hours between the reports).
    #[arg(long, env = "XUNJIU_DUPLICATE_HOURS", default_value_t = 6)]
    pub duplicate_hours: u32,

    /// Minutes for a station to sign for (accept) a person a patrol has brought to it.
    #[arg(long, env = "XUNJIU_HANDOVER_ACCEPT_MINUTES", default_value_t = 30)]
    pub handover_accept_minutes: u32,

    /// Minutes an incident may wait for a supervisor's acknowledgement before it is pushed again.
    #[arg(long, env = "XUNJIU_INCIDENT_REPUSH_MINUTES", default_value_t = 30)]
    pub incident_repush_minutes: u32,

    /// Days between revisits of a person on the at-risk register or the returnee ledger.
    #[arg(long, env = "XUNJIU_REVISIT_DAYS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub revisit_days: u32,

    /// Days a register or ledger entry keeps its revisits before a supervisor may end it.
    #[arg(long, env = "XUNJIU_REVISIT_PERIOD_DAYS", default_value_t = 365)]
    pub revisit_period_days: u32,

    /// Days a register or ledger entry keeps granting its township's liaisons (and its county)
    /// access to the person after it ended (the person moved on).
    #[arg(long, env = "XUNJIU_ENDED_ACCESS_DAYS", default_value_t = 30)]
    pub ended_access_days: u32,

    /// Annex 1 filing dates (month-day, local): units are reminded three days before each.
    #[arg(long, env = "XUNJIU_ANNEX1_DUE", default_value = "07-31,11-30,03-31")]
    pub annex1_due: String,

    /// Minutes from arrival for staff to reach the person (normal referrals).
    #[arg(long, env = "XUNJIU_SCENE_MINUTES", default_value_t = 60)]
    pub scene_minutes: u32,

    /// Minutes from arrival to reach the person (urgent referrals).
    #[arg(long, env = "XUNJIU_SCENE_URGENT_MINUTES", default_value_t = 30)]
    pub scene_urgent_minutes: u32,

    /// Seconds between two passes of the escalation worker.
    #[arg(long, env = "XUNJIU_ESCALATION_INTERVAL_S", default_value_t = 15)]
    pub escalation_interval_s: u64,

    /// This server's Open311 `jurisdiction_id`; requests naming another get a 404.
    #[arg(long, env = "XUNJIU_OPEN311_JURISDICTION", default_value = "taian")]
    pub open311_jurisdiction: String,

    /// The file holding the key that seals stored credentials (the VAPID private key, robots'
    /// webhooks and secrets). Unset: `xunjiu-secret.key` in systemd's state directory or the
    /// working directory, made on first use. Every server and CLI run must use the same file.
    #[arg(long, env = "XUNJIU_SECRET_KEY_FILE")]
    pub secret_key_file: Option<std::path::PathBuf>,

    /// Contact the push services see in the VAPID claims (RFC 8292 `sub`).
    #[arg(
        long,
        env = "XUNJIU_VAPID_SUBJECT",
        default_value = "mailto:xunjiu-ops@example.invalid"
    )]
    pub vapid_subject: String,

    /// Base-map tiles for the console and patrol maps, as a Leaflet URL template
    /// (`https://tiles.example/{z}/{x}/{y}.png`). Unset: the maps draw only our own outlines,
    /// which works on closed networks.
    #[arg(long, env = "XUNJIU_TILE_URL")]
    pub tile_url: Option<String>,

    /// The datum the base-map tiles are drawn in: `wgs84`, or `gcj02` (Amap, Tencent).
    #[arg(long, env = "XUNJIU_TILE_CRS", default_value = "wgs84", value_parser = ["wgs84", "gcj02"])]
    pub tile_crs: String,

    /// Attribution shown under the base map, as its provider requires.
    #[arg(long, env = "XUNJIU_TILE_ATTRIBUTION", default_value = "")]
    pub tile_attribution: String,

    /// Push services beyond the browsers' own (comma-separated hosts, `*.` for subdomains),
    /// such as a self-hosted autopush.
    #[arg(long, env = "XUNJIU_PUSH_HOSTS", default_value = "")]
    pub push_hosts: String,

    /// Tests only: accept plain-http push endpoints on 127.0.0.1 / localhost.
    #[arg(long, env = "XUNJIU_PUSH_ALLOW_LOOPBACK", default_value_t = false, action = clap::ArgAction::Set)]
    pub push_allow_loopback: bool,

    /// Password hashes that may run at once (each takes a core and 19 MiB for a moment); 0 means
    /// one per core. Logins beyond wait up to 2 s, then get 429 `login_throttled`.
    #[arg(long, env = "XUNJIU_LOGIN_HASH_SLOTS", default_value_t = 0)]
    pub login_hash_slots: usize,

    /// Proxies in front of the server whose `X-Forwarded-For` is believed (comma-separated
    /// CIDRs, `127.0.0.1/32,10.0.0.0/8`); default none: the peer's own address is the client's.
    #[arg(long, env = "XUNJIU_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: TrustedProxies,

    /// Requests one Open311 partner key may post per minute (and at once).
    #[arg(long, env = "XUNJIU_PARTNER_WRITES_PER_MINUTE", default_value_t = 60)]
    pub partner_writes_per_minute: u32,

    /// This service's address as people open it (`https://xunjiu.example.cn`), for the console
    /// links in DingTalk, WeCom and SMS alerts.
    #[arg(long, env = "XUNJIU_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Aliyun SMS endpoint (`SendSms`, RPC API version 2017-05-25).
    #[arg(
        long,
        env = "XUNJIU_SMS_ENDPOINT",
        default_value = "https://dysmsapi.aliyuncs.com/"
    )]
    pub sms_endpoint: String,

    /// Aliyun AccessKey id for SMS.
    #[arg(long, env = "XUNJIU_SMS_ACCESS_KEY_ID")]
    pub sms_access_key_id: Option<String>,

    /// Aliyun AccessKey secret for SMS (never printed).
    #[arg(long, env = "XUNJIU_SMS_ACCESS_KEY_SECRET", hide_env_values = true)]
    pub sms_access_key_secret: Option<Secret>,

    /// The SMS signature name (签名) approved by Aliyun.
    #[arg(long, env = "XUNJIU_SMS_SIGN_NAME")]
    pub sms_sign_name: Option<String>,

    /// The SMS template code (`SMS_…`); its variables are `event`, `id`, `station`, `urgency`,
    /// `minutes`.
    #[arg(long, env = "XUNJIU_SMS_TEMPLATE")]
    pub sms_template: Option<String>,

    /// A streaming replica for heavy reads (maps, tiles, reports, accountability); unset: the
    /// primary serves them.
    #[arg(long, env = "XUNJIU_READ_DATABASE_URL", hide_env_values = true)]
    pub read_database_url: Option<String>,

    /// Seconds of replay lag beyond which the replica is skipped and reads go to the primary.
    #[arg(long, env = "XUNJIU_REPLICA_MAX_LAG_S", default_value_t = 10)]
    pub replica_max_lag_s: u64,

    /// Days after a referral ends (or a sighting is made) before its personal fields are
    /// redacted (PIPL art. 19); counts, times, places and outcomes stay.
    #[arg(long, env = "XUNJIU_RETENTION_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..))]
    pub retention_days: u32,
}

impl Settings {
    pub fn token_ttl(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.token_ttl_hours))
    }

    /// The sealing key, made (and said so) when its file does not exist yet.
    pub fn secret_key(&self) -> anyhow::Result<crate::plumbing::secrets::SecretKey> {
        let path = self
            .secret_key_file
            .clone()
            .unwrap_or_else(crate::plumbing::secrets::default_path);
        let (key, created) = crate::plumbing::secrets::SecretKey::load_or_create(&path)?;
        if created {
            tracing::warn!(
                path = %path.display(),
                "made a new secret key for stored credentials: keep it with the server (and back it up apart from the database); every server must use this file (XUNJIU_SECRET_KEY_FILE)"
            );
        }
        Ok(key)
    }

    pub fn session_idle(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.session_idle_hours))
    }

    /// The deadline to accept a referral of this priority, counted from its arrival.
    pub fn accept_within(&self, priority: mobile_api::Priority) -> chrono::Duration {
        let minutes = match priority {
            mobile_api::Priority::Urgent => self.accept_urgent_minutes,
            mobile_api::Priority::Normal => self.accept_minutes,
        };
        chrono::Duration::minutes(i64::from(minutes))
    }

    /// The deadline to sign for a person handed over at the station.
    pub fn revisit_every(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.revisit_days))
    }

    pub fn ended_access(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.ended_access_days))
    }

    pub fn revisit_period(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.revisit_period_days))
    }

    pub fn incident_repush_after(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.incident_repush_minutes))
    }

    pub fn handover_within(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.handover_accept_minutes))
    }

    /// The deadline to reach the person, counted from the referral's arrival.
    pub fn scene_within(&self, priority: mobile_api::Priority) -> chrono::Duration {
        let minutes = match priority {
            mobile_api::Priority::Urgent => self.scene_urgent_minutes,
            mobile_api::Priority::Normal => self.scene_minutes,
        };
        chrono::Duration::minutes(i64::from(minutes))
    }
}

/// The defaults are the ones the flags declare above, read from there (with the environment
/// ignored), so they are written once.
impl Default for Settings {
    fn default() -> Self {
        use clap::{CommandFactory, FromArgMatches, Parser};

        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            settings: Settings,
        }
        let command = Defaults::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command
            .try_get_matches_from(["xunjiu"])
            .expect("every setting has a default");
        Defaults::from_arg_matches(&matches)
            .expect("every setting has a default")
            .settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_flags_defaults_whatever_the_environment() {
        let d = Settings::default();
        assert_eq!((d.writes_per_minute, d.write_burst), (120, 60));
        assert_eq!(d.retention_days, 365);
        assert_eq!(d.open311_jurisdiction, "taian");
        assert!(d.tile_url.is_none() && !d.push_allow_loopback);
    }
}

#[cfg(test)]
mod env_file_tests {
    /// `deploy/xunjiu.env` names every setting the server reads from the environment.
    #[test]
    fn the_deploy_environment_file_names_every_setting() {
        let env_file = include_str!("../../../deploy/xunjiu.env");
        let source = include_str!("config.rs");
        let names: Vec<&str> = source
            .split("env = \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|name| {
                name.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .collect();
        assert!(names.len() > 30, "{names:?}");
        for name in names {
            assert!(
                env_file.contains(&format!("{name}=")),
                "deploy/xunjiu.env lacks {name}"
            );
        }
    }
}

#[cfg(test)]
mod proxy_tests {
    use super::TrustedProxies;

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let proxies: TrustedProxies = "127.0.0.1/32, 10.0.0.0/8".parse().unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some("1.2.3.4")),
            ip("1.2.3.4")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some("9.9.9.9, 1.2.3.4, 10.1.1.1")),
            ip("1.2.3.4"),
            "what a client wrote to the left is not believed"
        );
        assert_eq!(
            proxies.client(ip("8.8.8.8"), Some("1.2.3.4")),
            ip("8.8.8.8"),
            "not a proxy of ours"
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some("junk")),
            ip("127.0.0.1")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), Some("1.2.3.4")),
            ip("127.0.0.1")
        );
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }
}
