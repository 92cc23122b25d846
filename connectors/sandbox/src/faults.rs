//! Sandbox credentials and the faults they select (DESIGN.md: "Sandbox credentials can be set to
//! deny chosen resources, to show the data-access gate").
//!
//! A sandbox credential is the Basic-auth username (whose password must be `sandbox`), the API
//! key (`X-Api-Key`), Yardi's `UserName` or RealPage's `licensekey`, and names a fault profile:
//!
//! ```text
//! credential := "sandbox" ( "+" option )*
//! option     := "deny=" resource ( "," resource )*      resource := properties | units | leases | residents
//!             | "ratelimit"                             the first call of each method answers HTTP 429, Retry-After: 1
//!             | "flaky"                                 the first call of each method answers HTTP 503
//!             | "slow=" millis                          every call waits millis (1..=30000) before answering
//!             | "malformed=" method [ ":" page ]        that page (default 1) of that method carries a field of the wrong type
//!             | "fault=" method                         that method answers a SOAP fault (HTTP 500; SOAP simulators only)
//! method     := getStatus | getProperties | getPropertyUnits | getLeases | getCustomers        (Entrata)
//!             | GetPropertyConfigurations | GetUnitInformation_Login | GetResidents | GetResidentData   (Yardi)
//!             | getsitelist | unitlist | getresidentlistinfo | getleaseinfo                          (RealPage)
//!             | rentals | rentals/units | leases | leases/tenants                                       (Buildium)
//! ```
//!
//! Parsing is strict: names are case-sensitive, an unknown option, an empty or unknown value, or a
//! repeated `deny` / `ratelimit` / `flaky` / `slow` refuses the credential (the simulator answers
//! with an authentication error naming the problem). `malformed` may repeat. Examples: `sandbox`
//! (a healthy customer), `sandbox+deny=leases,residents`, `sandbox+ratelimit+slow=300`,
//! `sandbox+malformed=getLeases:2`.
//!
//! "First call" is counted per credential string and method for the life of the process
//! ([`FaultLedger`]), so a client that retries succeeds, and another credential (say
//! `sandbox+flaky+slow=1`) starts afresh.

use std::collections::{BTreeSet, HashSet};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use pmsgraph_connector_core::Resource;

/// The username, and the password of every sandbox username.
pub const SANDBOX_USER: &str = "sandbox";
pub const SANDBOX_PASSWORD: &str = "sandbox";
/// The longest `slow=` delay.
pub const MAX_SLOW_MS: u64 = 30_000;

/// The methods the simulators serve, as `malformed=` and `fault=` name them: Entrata's, then
/// Yardi's and RealPage's operations, then Buildium's endpoints (their paths after `/v1/`).
pub const METHODS: [&str; 17] = [
    "getStatus",
    "getProperties",
    "getPropertyUnits",
    "getLeases",
    "getCustomers",
    "GetPropertyConfigurations",
    "GetUnitInformation_Login",
    "GetResidents",
    "GetResidentData",
    "getsitelist",
    "unitlist",
    "getresidentlistinfo",
    "getleaseinfo",
    "rentals",
    "rentals/units",
    "leases",
    "leases/tenants",
];

/// What a credential asks the simulator to do wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub deny: BTreeSet<Resource>,
    pub rate_limit: bool,
    pub flaky: bool,
    pub slow: Option<Duration>,
    /// (method, page) pairs that carry a malformed field.
    pub malformed: BTreeSet<(String, u32)>,
    /// Methods that answer a SOAP fault.
    pub fault: BTreeSet<String>,
}

impl Profile {
    pub fn is_healthy(&self) -> bool {
        *self == Profile::default()
    }

    pub fn denies(&self, resource: Resource) -> bool {
        self.deny.contains(&resource)
    }

    pub fn malformed_page(&self, method: &str, page: u32) -> bool {
        self.malformed.iter().any(|(m, p)| m == method && *p == page)
    }

    pub fn faults(&self, method: &str) -> bool {
        self.fault.contains(method)
    }
}

/// Why a credential was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("unknown sandbox user: sandbox credentials start with `sandbox`")]
    NotSandbox,
    #[error("wrong password: every sandbox user's password is `sandbox`")]
    WrongPassword,
    #[error("unknown sandbox option `{0}`")]
    UnknownOption(String),
    #[error("invalid value `{value}` for sandbox option `{option}`")]
    BadValue { option: &'static str, value: String },
    #[error("sandbox option `{0}` given twice")]
    Repeated(&'static str),
}

fn parse_resource(word: &str) -> Option<Resource> {
    Resource::ALL.into_iter().find(|r| r.as_str() == word)
}

impl FromStr for Profile {
    type Err = CredentialError;

    /// Parses a whole credential (`sandbox+...`).
    fn from_str(credential: &str) -> Result<Self, Self::Err> {
        let options = match credential.strip_prefix(SANDBOX_USER) {
            Some("") => return Ok(Profile::default()),
            Some(rest) => rest.strip_prefix('+').ok_or(CredentialError::NotSandbox)?,
            None => return Err(CredentialError::NotSandbox),
        };
        let mut profile = Profile::default();
        let (mut deny_seen, mut slow_seen) = (false, false);
        for option in options.split('+') {
            let (name, value) = match option.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (option, None),
            };
            match (name, value) {
                ("deny", Some(list)) => {
                    if std::mem::replace(&mut deny_seen, true) {
                        return Err(CredentialError::Repeated("deny"));
                    }
                    for word in list.split(',') {
                        let resource = parse_resource(word)
                            .ok_or_else(|| CredentialError::BadValue { option: "deny", value: word.to_owned() })?;
                        profile.deny.insert(resource);
                    }
                }
                ("ratelimit", None) => {
                    if std::mem::replace(&mut profile.rate_limit, true) {
                        return Err(CredentialError::Repeated("ratelimit"));
                    }
                }
                ("flaky", None) => {
                    if std::mem::replace(&mut profile.flaky, true) {
                        return Err(CredentialError::Repeated("flaky"));
                    }
                }
                ("slow", Some(ms)) => {
                    if std::mem::replace(&mut slow_seen, true) {
                        return Err(CredentialError::Repeated("slow"));
                    }
                    let bad = || CredentialError::BadValue { option: "slow", value: ms.to_owned() };
                    let ms: u64 = ms.parse().map_err(|_| bad())?;
                    if !(1..=MAX_SLOW_MS).contains(&ms) {
                        return Err(bad());
                    }
                    profile.slow = Some(Duration::from_millis(ms));
                }
                ("malformed", Some(spec)) => {
                    let bad = || CredentialError::BadValue { option: "malformed", value: spec.to_owned() };
                    let (method, page) = match spec.split_once(':') {
                        Some((method, page)) => (method, page.parse::<u32>().ok().filter(|p| *p >= 1).ok_or_else(bad)?),
                        None => (spec, 1),
                    };
                    if !METHODS.contains(&method) {
                        return Err(bad());
                    }
                    profile.malformed.insert((method.to_owned(), page));
                }
                ("fault", Some(method)) => {
                    if !METHODS.contains(&method) {
                        return Err(CredentialError::BadValue { option: "fault", value: method.to_owned() });
                    }
                    profile.fault.insert(method.to_owned());
                }
                _ => return Err(CredentialError::UnknownOption(option.to_owned())),
            }
        }
        Ok(profile)
    }
}

/// Which one-shot faults each credential has already suffered, shared by every request.
#[derive(Debug, Default)]
pub struct FaultLedger {
    fired: Mutex<HashSet<(String, &'static str, String)>>,
}

impl FaultLedger {
    /// True the first time `fault` is asked for this credential and method, false afterwards.
    pub fn first_time(&self, credential: &str, fault: &'static str, method: &str) -> bool {
        let key = (credential.to_owned(), fault, method.to_owned());
        // A poisoned lock only means another request panicked mid-insert; the set is still usable.
        let mut fired = self.fired.lock().unwrap_or_else(|e| e.into_inner());
        fired.insert(key)
    }

    /// Forgets every fault fired (tests, or an operator resetting the sandbox).
    pub fn reset(&self) {
        self.fired.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_credential_is_healthy() {
        let profile: Profile = "sandbox".parse().expect("parses");
        assert!(profile.is_healthy());
    }

    #[test]
    fn options_combine() {
        let profile: Profile =
            "sandbox+deny=leases,residents+ratelimit+flaky+slow=300+malformed=getLeases:2+malformed=getProperties"
                .parse()
                .expect("parses");
        assert_eq!(profile.deny, BTreeSet::from([Resource::Leases, Resource::Residents]));
        assert!(profile.rate_limit && profile.flaky);
        assert_eq!(profile.slow, Some(Duration::from_millis(300)));
        assert!(profile.malformed_page("getLeases", 2));
        assert!(!profile.malformed_page("getLeases", 1));
        assert!(profile.malformed_page("getProperties", 1));
        assert!(profile.denies(Resource::Leases) && !profile.denies(Resource::Units));
        let yardi: Profile = "sandbox+fault=GetResidents+malformed=GetUnitInformation_Login".parse().expect("parses");
        assert!(yardi.faults("GetResidents") && !yardi.faults("GetResidentData"));
        assert!(yardi.malformed_page("GetUnitInformation_Login", 1));
        assert_eq!(
            "sandbox+fault=GetLeases".parse::<Profile>(),
            Err(CredentialError::BadValue { option: "fault", value: "GetLeases".into() })
        );
    }

    #[test]
    fn parsing_is_strict() {
        let cases = [
            ("", CredentialError::NotSandbox),
            ("admin", CredentialError::NotSandbox),
            ("sandboxer", CredentialError::NotSandbox),
            ("Sandbox", CredentialError::NotSandbox),
            ("sandbox+", CredentialError::UnknownOption(String::new())),
            ("sandbox+fast", CredentialError::UnknownOption("fast".into())),
            ("sandbox+ratelimit=2", CredentialError::UnknownOption("ratelimit=2".into())),
            ("sandbox+deny", CredentialError::UnknownOption("deny".into())),
            ("sandbox+deny=", CredentialError::BadValue { option: "deny", value: String::new() }),
            ("sandbox+deny=Leases", CredentialError::BadValue { option: "deny", value: "Leases".into() }),
            ("sandbox+deny=leases+deny=units", CredentialError::Repeated("deny")),
            ("sandbox+flaky+flaky", CredentialError::Repeated("flaky")),
            ("sandbox+slow=0", CredentialError::BadValue { option: "slow", value: "0".into() }),
            ("sandbox+slow=30001", CredentialError::BadValue { option: "slow", value: "30001".into() }),
            ("sandbox+slow=fast", CredentialError::BadValue { option: "slow", value: "fast".into() }),
            ("sandbox+malformed=getLease", CredentialError::BadValue { option: "malformed", value: "getLease".into() }),
            (
                "sandbox+malformed=getLeases:0",
                CredentialError::BadValue { option: "malformed", value: "getLeases:0".into() },
            ),
        ];
        for (credential, expected) in cases {
            assert_eq!(credential.parse::<Profile>(), Err(expected), "{credential:?}");
        }
    }

    #[test]
    fn one_shot_faults_fire_once_per_credential_and_method() {
        let ledger = FaultLedger::default();
        assert!(ledger.first_time("sandbox+flaky", "flaky", "getLeases"));
        assert!(!ledger.first_time("sandbox+flaky", "flaky", "getLeases"));
        assert!(ledger.first_time("sandbox+flaky", "flaky", "getProperties"));
        assert!(ledger.first_time("sandbox+flaky+slow=1", "flaky", "getLeases"));
        ledger.reset();
        assert!(ledger.first_time("sandbox+flaky", "flaky", "getLeases"));
    }
}
