//! Person identity within one sync, for PMSs whose person ids are per lease (Yardi's tenant and
//! roommate codes, RealPage's resident member ids): DESIGN.md, "Person identity". The same email
//! (trimmed, case-insensitive) and the same last name ([`crate::person_key`]) is one person, who
//! keeps the id of their first sighting in this sync and is emitted once; without an email a
//! record is a person of its own, never merged on names. Across syncs the engine keeps each person
//! under the id they are stored with (`Capabilities::person_ids_per_lease`).
//!
//! A sync's people are many (a quarter of a million in a large portfolio), so identities and ids
//! are held as 128-bit digests ([`digest128`]), not as strings.

use std::collections::{HashMap, HashSet};

use crate::record::{NormalizedLease, NormalizedRecord, NormalizedResident, PersonKey};

/// A 128-bit digest of a string given in parts (concatenated, with no string built for it): how a
/// sync keeps large sets of remote ids and identities in memory. Two strings sharing a digest (a
/// chance of 2^-128 per pair) is not a practical concern.
pub fn digest128(parts: &[&str]) -> u128 {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    let mut first = [0u8; 16];
    first.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    u128::from_le_bytes(first)
}

/// The digest of an identity (a NUL cannot occur in a trimmed email).
pub fn identity_digest((email, last_name): &PersonKey) -> u128 {
    digest128(&[email, "\0", last_name])
}

/// The people of one sync, by identity.
#[derive(Debug, Default)]
pub struct People {
    /// The id each identity has in this sync, by [`identity_digest`].
    by_identity: HashMap<u128, Box<str>>,
    /// The ids already emitted, by [`digest128`].
    emitted: HashSet<u128>,
}

impl People {
    /// The person's id in this sync.
    pub fn identify(&mut self, resident: &NormalizedResident) -> String {
        match resident.identity_key() {
            Some(key) => self
                .by_identity
                .entry(identity_digest(&key))
                .or_insert_with(|| resident.remote_id.as_str().into())
                .to_string(),
            None => resident.remote_id.clone(),
        }
    }

    /// The records of one answer's people (by their per-lease ids) and leases: each person not yet
    /// emitted, then the leases, their people named by person id.
    pub fn records(
        &mut self,
        residents: Vec<NormalizedResident>,
        leases: Vec<NormalizedLease>,
    ) -> (Vec<NormalizedRecord>, Vec<NormalizedRecord>) {
        let mut ids: HashMap<String, String> = HashMap::with_capacity(residents.len());
        let mut people = Vec::new();
        for mut resident in residents {
            let id = self.identify(&resident);
            ids.insert(resident.remote_id.clone(), id.clone());
            if self.emitted.insert(digest128(&[&id])) {
                resident.remote_id = id;
                people.push(NormalizedRecord::Resident(resident));
            }
        }
        let leases = leases
            .into_iter()
            .map(|mut lease| {
                for r in &mut lease.residents {
                    if let Some(id) = ids.get(&r.resident_remote_id) {
                        r.resident_remote_id.clone_from(id);
                    }
                }
                NormalizedRecord::Lease(lease)
            })
            .collect();
        (people, leases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::RemoteData;

    fn person(code: &str, last: &str, email: Option<&str>) -> NormalizedResident {
        NormalizedResident {
            remote_id: code.into(),
            first_name: "Ann".into(),
            last_name: last.into(),
            email: email.map(str::to_owned),
            phone: None,
            remote_data: RemoteData::null(),
        }
    }

    #[test]
    fn the_same_email_and_last_name_is_one_person_and_no_email_never_merges() {
        let mut people = People::default();
        assert_eq!(people.identify(&person("t1", "Diaz", Some("Ann@Example.com "))), "t1");
        assert_eq!(people.identify(&person("t9", "diaz", Some("ann@example.com"))), "t1");
        assert_eq!(people.identify(&person("r5", "Smith", Some("ann@example.com"))), "r5", "another last name");
        assert_eq!(people.identify(&person("t7", "Diaz", None)), "t7");
        assert_eq!(people.identify(&person("t8", "Diaz", None)), "t8", "never on names alone");
    }
}
