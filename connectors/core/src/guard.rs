//! Server-side request forgery guard for PMS calls (issue 4, "PMS URL safety").
//!
//! A customer hands us a PMS URL and we call it from inside the network: a URL (or a DNS answer, or a
//! redirect) pointing at loopback, a private network, cloud metadata (169.254.169.254) and the like
//! must not be reached. The check is made where each connection is made, not only when the URL is
//! entered, so DNS rebinding (a name that resolved to a public address yesterday and to 10.0.0.1
//! today) does not get through:
//!
//! - [`GuardedResolver`], installed as the reqwest client's DNS resolver, drops every special-purpose
//!   address from an answer and fails when none is left;
//! - [`AddressPolicy::check_url`], called before each request, checks literal IP hosts (reqwest does
//!   not consult a resolver for those) and the scheme;
//! - [`AddressPolicy::redirect_policy`] rechecks each redirect hop the same way, refuses an https to
//!   http downgrade and stops after five hops.
//!
//! Refused ranges: IPv4 this-network, private (RFC 1918), shared address space (CGNAT), loopback,
//! link-local, IETF protocol assignments, documentation, 6to4 relay, benchmarking, multicast,
//! reserved and broadcast; IPv6 unspecified, loopback, IPv4-compatible and IPv4-mapped addresses of a
//! refused IPv4 address, NAT64 of a refused IPv4 address, local-use NAT64, discard-only, IETF
//! protocol assignments (Teredo included), documentation, 6to4, unique local, link-local,
//! site-local and multicast.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which addresses PMS calls may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Refuse every special-purpose address. Off (the default, for connector tests against local
    /// servers): any address. The server turns it on unless configured to allow private PMS URLs.
    pub public_only: bool,
    /// Loopback ports reachable despite `public_only`: the built-in sandbox served by this very
    /// process. Only URLs with a literal loopback IP (`http://127.0.0.1:PORT/...`) qualify.
    pub sandbox_ports: Vec<u16>,
}

/// A connection the guard refused, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub host: String,
    pub reason: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused to connect to {}: {}", self.host, self.reason)
    }
}

impl std::error::Error for Refused {}

/// Why an address may not be reached from a PMS call, or `None` if it is a public address.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = match (a, b, c) {
        (0, _, _) => "a this-network address (0.0.0.0/8)",
        (10, _, _) => "a private address (10.0.0.0/8)",
        (100, 64..=127, _) => "a shared (carrier-grade NAT) address (100.64.0.0/10)",
        (127, _, _) => "a loopback address (127.0.0.0/8)",
        (169, 254, _) => "a link-local address (169.254.0.0/16)",
        (172, 16..=31, _) => "a private address (172.16.0.0/12)",
        (192, 0, 0) => "an IETF protocol address (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (192, 88, 99) => "a 6to4 relay address (192.88.99.0/24)",
        (192, 168, _) => "a private address (192.168.0.0/16)",
        (198, 18..=19, _) => "a benchmarking address (198.18.0.0/15)",
        (224..=239, _, _) => "a multicast address (224.0.0.0/4)",
        (240..=255, _, _) => "a reserved or broadcast address (240.0.0.0/4)",
        _ => return None,
    };
    Some(reason)
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let reason = match s {
        [0, 0, 0, 0, 0, 0, 0, 0] => "the unspecified address (::)",
        [0, 0, 0, 0, 0, 0, 0, 1] => "a loopback address (::1)",
        [0, 0, 0, 0, 0, 0, _, _] => "an IPv4-compatible address (::/96)",
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => return refusal_v4(embedded_v4()),
        [0x64, 0xff9b, 1, ..] => "a local-use NAT64 address (64:ff9b:1::/48)",
        [0x100, 0, 0, 0, ..] => "a discard-only address (100::/64)",
        [0x2001, 0xdb8, ..] => "a documentation address (2001:db8::/32)",
        [0x2001, 0..=0x1ff, ..] => "an IETF protocol address (2001::/23)",
        [0x2002, ..] => "a 6to4 address (2002::/16)",
        [0x3fff, 0..=0x0fff, ..] => "a documentation address (3fff::/20)",
        [first, ..] if first & 0xfe00 == 0xfc00 => "a unique local address (fc00::/7)",
        [first, ..] if first & 0xffc0 == 0xfe80 => "a link-local address (fe80::/10)",
        [first, ..] if first & 0xffc0 == 0xfec0 => "a site-local address (fec0::/10)",
        [first, ..] if first & 0xff00 == 0xff00 => "a multicast address (ff00::/8)",
        _ => return None,
    };
    Some(reason)
}

impl AddressPolicy {
    /// Public addresses only, plus the built-in sandbox on these loopback ports.
    pub fn public_only(sandbox_ports: Vec<u16>) -> AddressPolicy {
        AddressPolicy { public_only: true, sandbox_ports }
    }

    /// Whether `ip` may be reached at `port` (`None` when the port is not known, as for DNS answers).
    fn allows(&self, ip: IpAddr, port: Option<u16>) -> Result<(), &'static str> {
        if !self.public_only {
            return Ok(());
        }
        match refusal(ip) {
            None => Ok(()),
            Some(_) if ip.is_loopback() && port.is_some_and(|p| self.sandbox_ports.contains(&p)) => Ok(()),
            Some(reason) => Err(reason),
        }
    }

    /// Checks a URL before a request is sent: http or https only, and a literal IP host must be
    /// allowed (a host name is checked by [`GuardedResolver`] when it is resolved).
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let host = url.host_str().unwrap_or_default().to_owned();
        let refused = |reason: &str| Refused { host: host.clone(), reason: reason.to_owned() };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refused("only http and https URLs are called"));
        }
        if !self.public_only {
            return Ok(());
        }
        let port = url.port_or_known_default();
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            return self.allows(ip, port).map_err(refused);
        }
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() {
            Err(refused("the URL has no host"))
        } else if name == "localhost" || name.ends_with(".localhost") {
            Err(refused("a loopback name"))
        } else {
            Ok(())
        }
    }

    /// The redirect policy of a guarded client: each hop is checked like the first URL (its host
    /// name, if any, is then resolved through the guarded resolver); a downgrade from https to http
    /// is refused; at most five hops. The built-in sandbox never redirects, so no hop may reach it.
    pub fn redirect_policy(&self) -> reqwest::redirect::Policy {
        if !self.public_only {
            return reqwest::redirect::Policy::limited(5);
        }
        let hops = AddressPolicy { public_only: true, sandbox_ports: Vec::new() };
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("more than five redirects");
            }
            let downgrade = attempt.previous().last().is_some_and(|from| from.scheme() == "https")
                && attempt.url().scheme() != "https";
            if downgrade {
                let refused = Refused {
                    host: attempt.url().host_str().unwrap_or_default().to_owned(),
                    reason: "a redirect from https to http".into(),
                };
                return attempt.error(refused);
            }
            match hops.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        })
    }

    /// Filters a DNS answer for `host`: the allowed addresses, or why there are none.
    pub fn filter_answer(&self, host: &str, answer: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
        let mut first_reason = None;
        let allowed: Vec<SocketAddr> = answer
            .into_iter()
            .filter(|addr| match self.allows(addr.ip(), None) {
                Ok(()) => true,
                Err(reason) => {
                    first_reason.get_or_insert(reason);
                    false
                }
            })
            .collect();
        match (allowed.is_empty(), first_reason) {
            (false, _) => Ok(allowed),
            (true, Some(reason)) => {
                Err(Refused { host: host.to_owned(), reason: format!("the name resolves to {reason}") })
            }
            (true, None) => Err(Refused { host: host.to_owned(), reason: "the name has no address".into() }),
        }
    }
}

/// The DNS resolver of guarded clients: the system resolver, with refused addresses removed.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: AddressPolicy,
}

impl GuardedResolver {
    pub fn new(policy: AddressPolicy) -> GuardedResolver {
        GuardedResolver { policy }
    }

    /// Resolves a host name and filters the answer (what [`Resolve::resolve`] does, by name).
    pub fn lookup(&self, host: &str) -> impl Future<Output = Result<Vec<SocketAddr>, Refused>> + Send + 'static {
        let (policy, host) = (self.policy.clone(), host.to_owned());
        async move {
            let answer = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Refused { host: host.clone(), reason: format!("the name does not resolve: {e}") })?;
            policy.filter_answer(&host, answer.collect())
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = self.lookup(name.as_str());
        let resolving: Pin<Box<dyn Future<Output = _> + Send>> = Box::pin(async move {
            let addrs = lookup.await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        });
        resolving
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn special_purpose_addresses_are_refused_and_public_ones_pass() {
        for refused in [
            "0.0.0.0",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:0a00:0001::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(refusal(ip(refused)).is_some(), "{refused} must be refused");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.0.1",
            "198.20.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
        ] {
            assert_eq!(refusal(ip(public)), None, "{public} is public");
        }
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a URL")
    }

    #[test]
    fn literal_ip_urls_are_checked_and_the_sandbox_port_is_the_one_exception() {
        let guard = AddressPolicy::public_only(vec![8080]);
        for refused in [
            "http://127.0.0.1/",
            "http://127.0.0.1:9000/sandbox/entrata",
            "https://10.0.0.1/",
            "http://[::1]:8081/",
            "http://[::ffff:192.168.0.1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:8080/",
            "http://api.localhost/",
            "ftp://example.com/",
            "file:///etc/passwd",
        ] {
            assert!(guard.check_url(&url(refused)).is_err(), "{refused} must be refused");
        }
        for allowed in [
            "https://acme.entrata.com/api",
            "https://93.184.216.34/",
            "http://127.0.0.1:8080/sandbox/entrata",
            "http://[::1]:8080/sandbox/entrata",
        ] {
            assert_eq!(guard.check_url(&url(allowed)), Ok(()), "{allowed}");
        }
        let open = AddressPolicy::default();
        assert_eq!(open.check_url(&url("http://10.0.0.1/")), Ok(()));
        assert!(open.check_url(&url("file:///etc/passwd")).is_err());
    }

    #[test]
    fn dns_answers_lose_refused_addresses_and_fail_when_nothing_is_left() {
        let guard = AddressPolicy::public_only(vec![8080]);
        let at = |text: &str| SocketAddr::new(ip(text), 0);
        // DNS rebinding: a name answering with a private address, alone or beside a public one.
        let err = guard.filter_answer("rebind.example", vec![at("127.0.0.1")]).expect_err("refused");
        assert_eq!(err.host, "rebind.example");
        assert!(err.reason.contains("loopback"), "{}", err.reason);
        // The sandbox port exception never applies to names: a DNS answer carries no port.
        assert!(guard.filter_answer("localtest.me", vec![at("127.0.0.1"), at("::1")]).is_err());
        let mixed = guard.filter_answer("mixed.example", vec![at("10.0.0.1"), at("93.184.216.34")]).expect("public");
        assert_eq!(mixed, vec![at("93.184.216.34")]);
        assert!(guard.filter_answer("nothing.example", Vec::new()).is_err());
        let open = AddressPolicy::default();
        assert_eq!(open.filter_answer("local", vec![at("127.0.0.1")]).expect("open"), vec![at("127.0.0.1")]);
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_of_a_loopback_address() {
        // `localhost` resolves without a network; the guarded resolver must still refuse it.
        let resolver = GuardedResolver::new(AddressPolicy::public_only(Vec::new()));
        let err = resolver.lookup("localhost").await.expect_err("refused");
        assert!(err.to_string().contains("refused to connect to localhost"), "{err}");
        let open = GuardedResolver::new(AddressPolicy::default());
        assert!(!open.lookup("localhost").await.expect("resolves").is_empty());
    }
}
