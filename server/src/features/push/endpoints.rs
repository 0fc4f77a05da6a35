//! Which push endpoints the server will send to. A subscription names a URL the server later
//! POSTs to, so an unchecked one would let any account make the server call hosts of its
//! choosing: only https to the browsers' own push services (and hosts an operator adds, such as
//! a self-hosted autopush) are taken, and redirects are never followed.

use reqwest::Url;

/// The public push services of Chrome, Firefox, Edge and Safari. `*.` matches any subdomain.
pub const DEFAULT_HOSTS: [&str; 5] = [
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.notify.windows.com",
    "web.push.apple.com",
];

/// The allow-list in force.
#[derive(Debug, Clone)]
pub struct Policy {
    hosts: Vec<String>,
    allow_loopback: bool,
}

impl Policy {
    /// The defaults plus `extra` (comma-separated, from `XUNJIU_PUSH_HOSTS`); `allow_loopback`
    /// admits plain http to 127.0.0.1 / localhost, for tests that act as the push service.
    pub fn new(extra: &str, allow_loopback: bool) -> Self {
        let hosts = DEFAULT_HOSTS
            .iter()
            .map(|h| (*h).to_owned())
            .chain(
                extra
                    .split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty()),
            )
            .collect();
        Self {
            hosts,
            allow_loopback,
        }
    }

    /// Why the endpoint is refused, if it is.
    pub fn check(&self, endpoint: &str) -> Result<(), &'static str> {
        let url = Url::parse(endpoint).map_err(|_| "endpoint must be a URL")?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
        if loopback {
            return if self.allow_loopback && matches!(url.scheme(), "http" | "https") {
                Ok(())
            } else {
                Err("endpoint must be a browser push service")
            };
        }
        if url.scheme() != "https" || url.port().is_some_and(|p| p != 443) {
            return Err("endpoint must be an https URL on the standard port");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("endpoint must not carry credentials");
        }
        let allowed = self
            .hosts
            .iter()
            .any(|pattern| match pattern.strip_prefix("*.") {
                Some(suffix) => {
                    host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}"))
                }
                None => host == *pattern,
            });
        if allowed {
            Ok(())
        } else {
            Err("endpoint must be a browser push service (see XUNJIU_PUSH_HOSTS)")
        }
    }
}

/// The client the sender uses: redirects are refused, so a push service (or a host pretending
/// to be one) cannot send the server elsewhere.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

impl crate::plumbing::state::AppState {
    /// The push endpoints the server sends to.
    pub fn push_policy(&self) -> &Policy {
        self.part::<std::sync::Arc<Policy>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_push_services_and_added_hosts_pass() {
        let p = Policy::new("push.example.org, *.autopush.gov.cn", false);
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            "https://wns2-sg2p.notify.windows.com/w/?token=x",
            "https://web.push.apple.com/QGx",
            "https://push.example.org/p/1",
            "https://a.autopush.gov.cn/p",
        ] {
            assert!(p.check(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://fcm.googleapis.com:8443/x",
            "https://evil.example/fcm.googleapis.com",
            "https://fcm.googleapis.com.evil.example/x",
            "https://notify.windows.com/x",
            "https://user:pw@fcm.googleapis.com/x",
            "http://127.0.0.1:8080/push",
            "https://169.254.169.254/latest",
            "ftp://x",
        ] {
            assert!(p.check(refused).is_err(), "{refused}");
        }
        let test = Policy::new("", true);
        assert!(test.check("http://127.0.0.1:4000/push/x").is_ok());
        assert!(test.check("http://10.0.0.1/push/x").is_err());
    }
}
