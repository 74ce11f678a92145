//! The outbound URL policy for webhook subscriptions and payment-provider base URLs: https
//! only, no userinfo, and a host that resolves only to public addresses
//! ([`clearway_core::outbound::is_public`]); hosts on a development allowlist may use http and
//! internal addresses. Checked when a URL is accepted ([`OutboundPolicy::check`]) and again on
//! every connection: [`OutboundPolicy::resolver`] is the shared client's DNS resolver, so a
//! name that later resolves to an internal address (DNS rebinding) is refused, and the
//! connection goes to exactly the addresses that were checked.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use clearway_core::outbound::{self, AllowEntry};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Which outgoing URLs may be called.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allow: Arc<Vec<AllowEntry>>,
}

impl OutboundPolicy {
    /// The production policy: nothing allowlisted.
    pub fn strict() -> OutboundPolicy {
        OutboundPolicy::default()
    }

    /// With a development allowlist (`CLEARWAY_OUTBOUND_ALLOW`, e.g. `127.0.0.1:8080,localhost`).
    pub fn with_allowlist(text: &str) -> Result<OutboundPolicy, String> {
        Ok(OutboundPolicy {
            allow: Arc::new(outbound::parse_allowlist(text)?),
        })
    }

    /// The checks that need no DNS: scheme, userinfo, and an IP-literal host. Returns the
    /// host name still to resolve (`None` when nothing is left to check).
    pub fn check_static(&self, url: &str) -> Result<Option<(String, u16)>, String> {
        let url = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let host = url.host_str().ok_or("has no host")?.to_string();
        let port = url.port_or_known_default().ok_or("has no port")?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain a user name or password".into());
        }
        let allowed = outbound::allowed(&self.allow, &host, port);
        match url.scheme() {
            "https" => {}
            "http" if allowed => {}
            "http" => return Err("must be https".into()),
            _ => return Err("must be https".into()),
        }
        if allowed {
            return Ok(None);
        }
        // `host_str` keeps IPv6 brackets; an IP literal is judged without DNS.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return if outbound::is_public(ip) {
                Ok(None)
            } else {
                Err(format!("must not point at an internal address ({ip})"))
            };
        }
        Ok(Some((host, port)))
    }

    /// Every check, resolving the host now: each address it resolves to must be public.
    pub async fn check(&self, url: &str) -> Result<(), String> {
        let Some((host, port)) = self.check_static(url)? else {
            return Ok(());
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("host {host} does not resolve: {e}"))?
            .collect();
        public_only(&host, addrs).map(drop)
    }

    /// The DNS resolver for the shared HTTP client: refuses names that resolve to any
    /// non-public address (unless allowlisted).
    pub fn resolver(&self) -> Arc<PublicResolver> {
        Arc::new(PublicResolver {
            allow: self.allow.clone(),
        })
    }
}

/// `addrs` when every one is public; a name with a single internal address is refused
/// outright rather than filtered, as its owner is pointing it inside.
fn public_only(host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
    if addrs.is_empty() {
        return Err(format!("host {host} resolves to no address"));
    }
    if let Some(bad) = addrs.iter().find(|a| !outbound::is_public(a.ip())) {
        return Err(format!(
            "host {host} resolves to an internal address ({})",
            bad.ip()
        ));
    }
    Ok(addrs)
}

/// A `reqwest` resolver that only ever hands out public addresses (see [`OutboundPolicy`]).
#[derive(Debug)]
pub struct PublicResolver {
    allow: Arc<Vec<AllowEntry>>,
}

impl PublicResolver {
    /// Resolves `host` (port 0: reqwest sets the URL's port on the addresses it gets).
    pub async fn lookup(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|e| format!("host {host} does not resolve: {e}"))?
            .collect();
        if outbound::host_allowed(&self.allow, host) {
            return Ok(addrs);
        }
        public_only(host, addrs)
    }
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = PublicResolver {
            allow: self.allow.clone(),
        };
        Box::pin(async move {
            let addrs = resolver.lookup(name.as_str()).await?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Adds the current W3C `traceparent` to an outgoing provider call, so the provider's side
/// of the call joins our trace (nothing is added when tracing is off).
pub fn traced(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    match clearway_store::trace::traceparent() {
        Some(traceparent) => request.header("traceparent", traceparent),
        None => request,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_targets_are_refused_and_the_allowlist_admits_dev_hosts() {
        let strict = OutboundPolicy::strict();
        for url in [
            "http://example.com/hook",
            "https://127.0.0.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]:8443/",
            "https://10.0.0.1/",
            "https://[::ffff:127.0.0.1]/",
            "https://user:pw@example.com/",
            "https://localhost/",
            "ftp://example.com/",
        ] {
            assert!(strict.check(url).await.is_err(), "{url} must be refused");
        }
        assert!(strict.check("https://93.184.216.34/hook").await.is_ok());
        let dev = OutboundPolicy::with_allowlist("127.0.0.1:8080,localhost").unwrap();
        assert!(dev.check("http://127.0.0.1:8080/hook").await.is_ok());
        assert!(dev.check("http://127.0.0.1:5432/").await.is_err());
        assert!(dev.check("http://localhost:9/").await.is_ok());
    }

    /// The delivery-time guard: a name resolving to loopback (as a rebound name would) gets
    /// no address from the client's resolver, unless allowlisted.
    #[tokio::test]
    async fn the_resolver_refuses_names_resolving_inside() {
        let strict = OutboundPolicy::strict().resolver();
        let err = strict.lookup("localhost").await.unwrap_err();
        assert!(err.contains("internal address"), "{err}");
        let dev = OutboundPolicy::with_allowlist("localhost")
            .unwrap()
            .resolver();
        assert!(!dev.lookup("localhost").await.unwrap().is_empty());
    }
}
