//! Keychain items larger than the keychain allows per entry, split over several entries with
//! one small head entry as the commit point, so a reader sees the old value or the new one.
//!
//! Windows Credential Manager holds at most 2,560 bytes per credential, and an Atlassian
//! config (a JWT access token, a refresh token, the client secret, scopes) can be twice that.
//! Layout for account `A`:
//! - a value that fits is stored in `A` itself (as before: nothing changes where it fits);
//! - a larger one is written to `.chunk.A.GEN.0`, `.chunk.A.GEN.1`, … under a fresh random
//!   generation GEN, and only then `A` is replaced by the head `jira-auth-chunks:v1:GEN:N:LEN`.
//!   The previous generation's chunks are deleted after the head moved on.
//!
//! Chunk accounts start with '.', which no profile name may, so they can never collide with
//! a profile. A reader that finds a chunk missing raced a writer that has just replaced the
//! generation it read the head of; it reads the head again.
//!
//! A writer killed half-way must leave nothing behind that no head names (pieces of a refresh
//! token that even `logout` would not find: the keychain cannot be listed by prefix
//! everywhere). So before it writes, a writer records in `.chunk.A.pending` every generation
//! it may leave behind: the one it is about to write and the one it replaces. The next write
//! or delete of `A` removes each of those the head does not name, then the marker. Writes of
//! one account must not run concurrently (jira-auth holds the profile's lock around every
//! save and delete): a second writer would count the first one's chunks as left behind.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KError};
use rand::Rng as _;
use secrecy::zeroize::Zeroizing;

/// CRED_MAX_CREDENTIAL_BLOB_SIZE: 5 × 512 bytes.
pub(crate) const WINDOWS_ENTRY_LIMIT: usize = 2560;

const HEAD_MAGIC: &str = "jira-auth-chunks:v1:";
const PENDING_MAGIC: &str = "jira-auth-pending:v1:";
const GEN_LEN: usize = 16;
/// Attempts at reading a consistent generation while a writer replaces it.
const READ_ATTEMPTS: usize = 5;
/// More chunks than any config needs (a 2,560-byte limit gives 2.5 MB): a head or marker
/// claiming more is damaged, and must not mean a huge allocation or loop.
const MAX_CHUNKS: usize = 1024;

/// One keychain service, with entries of at most `limit` bytes (`None`: no limit).
pub(crate) struct Chunked<'a> {
    store: &'a Arc<CredentialStore>,
    service: &'a str,
    limit: Option<usize>,
}

#[derive(Debug, PartialEq)]
struct Head {
    generation: String,
    count: usize,
    len: usize,
}

impl Head {
    fn encode(&self) -> String {
        format!(
            "{HEAD_MAGIC}{}:{}:{}",
            self.generation, self.count, self.len
        )
    }

    /// `None` when the value is not a head (then it is the whole value, stored inline).
    fn parse(value: &[u8]) -> Option<Head> {
        let rest = value.strip_prefix(HEAD_MAGIC.as_bytes())?;
        let rest = std::str::from_utf8(rest).ok()?;
        let mut parts = rest.split(':');
        let generation = parts.next()?;
        let count = parts.next()?.parse().ok()?;
        let len = parts.next()?.parse().ok()?;
        let valid_gen =
            generation.len() == GEN_LEN && generation.bytes().all(|b| b.is_ascii_hexdigit());
        (valid_gen && parts.next().is_none() && count > 0 && count <= MAX_CHUNKS).then(|| Head {
            generation: generation.to_string(),
            count,
            len,
        })
    }
}

/// Why a stored value could not be read back whole.
pub(crate) enum ReadError {
    Keyring(KError),
    /// A head whose chunks do not add up, even after re-reading.
    Inconsistent,
}

impl<'a> Chunked<'a> {
    pub(crate) fn new(
        store: &'a Arc<CredentialStore>,
        service: &'a str,
        limit: Option<usize>,
    ) -> Self {
        // A head must always fit in one entry, whatever limit a test sets.
        let limit = limit.map(|l| l.max(HEAD_MAGIC.len() + GEN_LEN + 48));
        Chunked {
            store,
            service,
            limit,
        }
    }

    fn entry(&self, account: &str) -> Result<Entry, KError> {
        Entry::new_in_store(self.store, self.service, account)
    }

    fn chunk_account(account: &str, generation: &str, index: usize) -> String {
        format!(".chunk.{account}.{generation}.{index}")
    }

    /// Never a chunk account: those end in a number.
    fn pending_account(account: &str) -> String {
        format!(".chunk.{account}.pending")
    }

    /// Records the generations a write may leave behind if it dies (see the module doc).
    fn mark_pending(&self, account: &str, generations: &[&Head]) -> Result<(), KError> {
        let list: Vec<String> = generations
            .iter()
            .map(|h| format!("{}:{}", h.generation, h.count))
            .collect();
        self.entry(&Self::pending_account(account))?
            .set_secret(format!("{PENDING_MAGIC}{}", list.join(",")).as_bytes())
    }

    /// Removes what an earlier, interrupted write or delete left: every generation its
    /// marker names except the one `keep` (the current head) uses, then the marker.
    fn clean_pending(&self, account: &str, keep: Option<&Head>) {
        let Ok(entry) = self.entry(&Self::pending_account(account)) else {
            return;
        };
        let Ok(value) = entry.get_secret() else {
            return;
        };
        for (generation, count) in parse_pending(&value) {
            if keep.is_none_or(|h| h.generation != generation) {
                self.delete_chunks(account, &generation, count);
            }
        }
        let _ = entry.delete_credential();
    }

    fn unmark_pending(&self, account: &str) {
        if let Ok(e) = self.entry(&Self::pending_account(account)) {
            let _ = e.delete_credential();
        }
    }

    /// The head stored at `account`, if the entry exists and is one.
    fn current_head(&self, account: &str) -> Result<Option<Head>, KError> {
        match self.entry(account)?.get_secret() {
            Ok(v) => Ok(Head::parse(&Zeroizing::new(v))),
            Err(KError::NoEntry) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the value at `account` as a whole.
    pub(crate) fn write(&self, account: &str, value: &[u8]) -> Result<(), KError> {
        let old = self.current_head(account).unwrap_or(None);
        self.clean_pending(account, old.as_ref());
        let split = self.limit.filter(|limit| value.len() > *limit);
        let generation = new_generation();
        let new = split.map(|limit| Head {
            generation: generation.clone(),
            count: value.len().div_ceil(limit),
            len: value.len(),
        });
        let leftovers: Vec<&Head> = new.iter().chain(old.iter()).collect();
        let marked = !leftovers.is_empty();
        if marked {
            self.mark_pending(account, &leftovers)?;
        }
        match split {
            Some(limit) => {
                let mut written = 0;
                let result = value
                    .chunks(limit)
                    .enumerate()
                    .try_for_each(|(i, part)| {
                        self.entry(&Self::chunk_account(account, &generation, i))?
                            .set_secret(part)?;
                        written += 1;
                        Ok(())
                    })
                    .and_then(|()| {
                        let head = Head {
                            generation: generation.clone(),
                            count: written,
                            len: value.len(),
                        };
                        self.entry(account)?.set_secret(head.encode().as_bytes())
                    });
                if let Err(e) = result {
                    // The head still names the old generation: the new chunks are garbage.
                    self.delete_chunks(account, &generation, written);
                    self.unmark_pending(account);
                    return Err(e);
                }
            }
            None => self.entry(account)?.set_secret(value)?,
        }
        if let Some(old) = old {
            self.delete_chunks(account, &old.generation, old.count);
        }
        if marked {
            self.unmark_pending(account);
        }
        Ok(())
    }

    /// The whole value at `account`, or `None` when nothing is stored there.
    pub(crate) fn read(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, ReadError> {
        for _ in 0..READ_ATTEMPTS {
            let value = match self.entry(account).and_then(|e| e.get_secret()) {
                Ok(v) => Zeroizing::new(v),
                Err(KError::NoEntry) => return Ok(None),
                Err(e) => return Err(ReadError::Keyring(e)),
            };
            let Some(head) = Head::parse(&value) else {
                return Ok(Some(value));
            };
            match self.read_chunks(account, &head) {
                Ok(Some(whole)) => return Ok(Some(whole)),
                // A chunk vanished: a writer moved the head on; read the new head.
                Ok(None) => continue,
                Err(e) => return Err(ReadError::Keyring(e)),
            }
        }
        Err(ReadError::Inconsistent)
    }

    fn read_chunks(
        &self,
        account: &str,
        head: &Head,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, KError> {
        // Sized once, so no reallocation leaves a copy of a secret behind; but `len` is only
        // a claim until the chunks add up to it, so not a huge allocation on its word.
        let mut whole = Zeroizing::new(Vec::with_capacity(head.len.min(1 << 20)));
        for i in 0..head.count {
            match self
                .entry(&Self::chunk_account(account, &head.generation, i))?
                .get_secret()
            {
                Ok(part) => whole.extend_from_slice(&Zeroizing::new(part)),
                Err(KError::NoEntry) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Ok((whole.len() == head.len).then_some(whole))
    }

    /// Removes the value and its chunks; true when something was there.
    pub(crate) fn delete(&self, account: &str) -> Result<bool, KError> {
        let head = self.current_head(account)?;
        // The head goes first: once it is gone, nobody reads the chunks any more.
        let existed = match self.entry(account)?.delete_credential() {
            Ok(()) => true,
            Err(KError::NoEntry) => false,
            Err(e) => return Err(e),
        };
        if let Some(head) = head {
            self.delete_chunks(account, &head.generation, head.count);
        }
        // Whatever an interrupted write left: nothing of the profile may outlive its delete.
        self.clean_pending(account, None);
        Ok(existed)
    }

    /// Best effort: a chunk left behind holds nothing that a head still refers to.
    fn delete_chunks(&self, account: &str, generation: &str, count: usize) {
        for i in 0..count {
            if let Ok(e) = self.entry(&Self::chunk_account(account, generation, i)) {
                let _ = e.delete_credential();
            }
        }
    }
}

/// The (generation, count) pairs of a pending marker; nothing for a value that is not one.
fn parse_pending(value: &[u8]) -> Vec<(String, usize)> {
    let Some(rest) = value
        .strip_prefix(PENDING_MAGIC.as_bytes())
        .and_then(|r| std::str::from_utf8(r).ok())
    else {
        return Vec::new();
    };
    rest.split(',')
        .filter_map(|item| {
            let (generation, count) = item.split_once(':')?;
            let valid =
                generation.len() == GEN_LEN && generation.bytes().all(|b| b.is_ascii_hexdigit());
            // A count is what one config can need; a damaged marker must not mean a long loop.
            let count = count.parse::<usize>().ok().filter(|c| *c <= MAX_CHUNKS)?;
            valid.then(|| (generation.to_string(), count))
        })
        .collect()
}

fn new_generation() -> String {
    let bytes: [u8; GEN_LEN / 2] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::tests::{grant, sample};
    use secrecy::{ExposeSecret, SecretString};

    fn mock() -> Arc<CredentialStore> {
        keyring_core::mock::Store::new().unwrap()
    }

    fn big_config() -> Vec<u8> {
        let mut cfg = sample("big");
        // An Atlassian-sized JWT access token: the config ends up over 6 KB.
        grant(&mut cfg).access_token = SecretString::from(format!("eyJ{}", "x".repeat(6000)));
        cfg.to_secret_json().expose_secret().as_bytes().to_vec()
    }

    fn stored(store: &Arc<CredentialStore>, account: &str) -> Option<Vec<u8>> {
        Entry::new_in_store(store, "svc", account)
            .unwrap()
            .get_secret()
            .ok()
    }

    #[test]
    fn a_6kb_config_round_trips_in_entries_of_at_most_2560_bytes() {
        let store = mock();
        let chunked = Chunked::new(&store, "svc", Some(WINDOWS_ENTRY_LIMIT));
        let value = big_config();
        assert!(value.len() > 6000, "{}", value.len());
        chunked.write("big", &value).unwrap();

        let head = Head::parse(&stored(&store, "big").unwrap()).expect("a head");
        assert_eq!(head.count, value.len().div_ceil(WINDOWS_ENTRY_LIMIT));
        for i in 0..head.count {
            let part = stored(&store, &Chunked::chunk_account("big", &head.generation, i))
                .expect("every chunk exists");
            assert!(
                part.len() <= WINDOWS_ENTRY_LIMIT,
                "chunk {i}: {}",
                part.len()
            );
        }
        let back = chunked.read("big").ok().unwrap().unwrap();
        assert_eq!(*back, value);
        let cfg = crate::store::AuthConfig::from_json("big", std::str::from_utf8(&back).unwrap())
            .ok()
            .unwrap();
        assert!(
            cfg.credential
                .secret()
                .0
                .expose_secret()
                .starts_with("eyJxxx")
        );
    }

    #[test]
    fn a_value_that_fits_is_stored_inline() {
        let store = mock();
        let chunked = Chunked::new(&store, "svc", Some(WINDOWS_ENTRY_LIMIT));
        chunked.write("small", b"{\"a\":1}").unwrap();
        assert_eq!(stored(&store, "small").unwrap(), b"{\"a\":1}");
        assert_eq!(*chunked.read("small").ok().unwrap().unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn rewriting_removes_the_previous_generation_and_delete_removes_all() {
        let store = mock();
        let chunked = Chunked::new(&store, "svc", Some(WINDOWS_ENTRY_LIMIT));
        let first = big_config();
        chunked.write("p", &first).unwrap();
        let old = Head::parse(&stored(&store, "p").unwrap()).unwrap();

        let mut second = first.clone();
        second.extend_from_slice(b"  ");
        chunked.write("p", &second).unwrap();
        let new = Head::parse(&stored(&store, "p").unwrap()).unwrap();
        assert_ne!(old.generation, new.generation);
        for i in 0..old.count {
            let account = Chunked::chunk_account("p", &old.generation, i);
            assert!(stored(&store, &account).is_none(), "{account} left behind");
        }
        assert_eq!(*chunked.read("p").ok().unwrap().unwrap(), second);

        // Shrinking back to an inline value removes the chunks too.
        chunked.write("p", b"{}").unwrap();
        for i in 0..new.count {
            assert!(stored(&store, &Chunked::chunk_account("p", &new.generation, i)).is_none());
        }

        chunked.write("p", &first).unwrap();
        let last = Head::parse(&stored(&store, "p").unwrap()).unwrap();
        assert!(chunked.delete("p").unwrap());
        assert!(stored(&store, "p").is_none());
        for i in 0..last.count {
            assert!(stored(&store, &Chunked::chunk_account("p", &last.generation, i)).is_none());
        }
        assert!(!chunked.delete("p").unwrap());
        assert!(chunked.read("p").ok().unwrap().is_none());
    }

    #[test]
    fn a_reader_never_sees_a_mix_of_generations() {
        let store = mock();
        let chunked = Chunked::new(&store, "svc", Some(WINDOWS_ENTRY_LIMIT));
        let value = big_config();
        chunked.write("p", &value).unwrap();
        let head = Head::parse(&stored(&store, "p").unwrap()).unwrap();
        // A chunk missing under the current head (a writer in the middle of replacing it,
        // or a damaged store) is never returned as a shorter value.
        Entry::new_in_store(
            &store,
            "svc",
            &Chunked::chunk_account("p", &head.generation, 1),
        )
        .unwrap()
        .delete_credential()
        .unwrap();
        assert!(matches!(chunked.read("p"), Err(ReadError::Inconsistent)));
    }

    /// What a writer killed after its chunks (and, with `head`, after its head too) leaves:
    /// the marker, the new generation's chunks, and no deletion of the old one.
    fn interrupted_write(
        chunked: &Chunked,
        store: &Arc<CredentialStore>,
        value: &[u8],
        head: bool,
    ) -> Head {
        let old = chunked.current_head("p").unwrap();
        let new = Head {
            generation: new_generation(),
            count: value.len().div_ceil(WINDOWS_ENTRY_LIMIT),
            len: value.len(),
        };
        let leftovers: Vec<&Head> = std::iter::once(&new).chain(old.iter()).collect();
        chunked.mark_pending("p", &leftovers).unwrap();
        for (i, part) in value.chunks(WINDOWS_ENTRY_LIMIT).enumerate() {
            Entry::new_in_store(
                store,
                "svc",
                &Chunked::chunk_account("p", &new.generation, i),
            )
            .unwrap()
            .set_secret(part)
            .unwrap();
        }
        if head {
            Entry::new_in_store(store, "svc", "p")
                .unwrap()
                .set_secret(new.encode().as_bytes())
                .unwrap();
        }
        new
    }

    fn chunks_exist(store: &Arc<CredentialStore>, head: &Head) -> Vec<bool> {
        (0..head.count)
            .map(|i| stored(store, &Chunked::chunk_account("p", &head.generation, i)).is_some())
            .collect()
    }

    #[test]
    fn a_write_killed_before_its_head_loses_nothing_and_its_chunks_are_cleaned_later() {
        let store = mock();
        let chunked = Chunked::new(&store, "svc", Some(WINDOWS_ENTRY_LIMIT));
        let first = big_config();
        chunked.write("p", &first).unwrap();
        let mut second = first.clone();
        second.extend_from_slice(b"  ");
        let orphan = interrupted_write(&chunked, &store, &second, false);
        // The old config is intact: the head never moved.
        assert_eq!(*chunked.read("p").ok().unwrap().unwrap(), first);
        let current = chunked.current_head("p").unwrap().unwrap();

        // The next write removes the orphaned generation, and the marker goes with it.
        chunked.write("p", &first).unwrap();
        assert!(
            chunks_exist(&store, &orphan).iter().all(|e| !e),
            "orphans left"
        );
        assert!(
            chunks_exist(&store, &current).iter().all(|e| !e),
            "old generation left"
        );
        assert!(stored(&store, &Chunked::pending_account("p")).is_none());
        assert_eq!(*chunked.read("p").ok().unwrap().unwrap(), first);

        // And a delete right after a killed write leaves nothing at all.
        let orphan = interrupted_write(&chunked, &store, &second, false);
        let last = chunked.current_head("p").unwrap().unwrap();
        assert!(chunked.delete("p").unwrap());
        assert!(
            chunks_exist(&store, &orphan).iter().all(|e| !e),
            "orphans left"
        );
        assert!(chunks_exist(&store, &last).iter().all(|e| !e));
        assert!(stored(&store, &Chunked::pending_account("p")).is_none());
        assert!(stored(&store, "p").is_none());
    }

    #[test]
    fn a_write_killed_after_its_head_keeps_the_new_value_and_the_old_chunks_go_later() {
        let store = mock();
        let chunked = Chunked::new(&store, "svc", Some(WINDOWS_ENTRY_LIMIT));
        let first = big_config();
        chunked.write("p", &first).unwrap();
        let old = chunked.current_head("p").unwrap().unwrap();
        let mut second = first.clone();
        second.extend_from_slice(b"  ");
        let new = interrupted_write(&chunked, &store, &second, true);
        assert_eq!(*chunked.read("p").ok().unwrap().unwrap(), second);
        assert!(chunks_exist(&store, &old).iter().all(|e| *e));

        // An inline value now (it fits): the generation the head named goes, and so do the
        // ones the killed write left.
        chunked.write("p", b"{}").unwrap();
        assert!(
            chunks_exist(&store, &old).iter().all(|e| !e),
            "old generation left"
        );
        assert!(chunks_exist(&store, &new).iter().all(|e| !e));
        assert!(stored(&store, &Chunked::pending_account("p")).is_none());
        assert_eq!(*chunked.read("p").ok().unwrap().unwrap(), b"{}");
    }

    #[test]
    fn a_damaged_head_or_marker_is_bounded() {
        let store = mock();
        let chunked = Chunked::new(&store, "svc", Some(WINDOWS_ENTRY_LIMIT));
        // A head claiming a huge length: read as inconsistent, not an allocation failure.
        Entry::new_in_store(&store, "svc", "p")
            .unwrap()
            .set_secret(format!("{HEAD_MAGIC}0123456789abcdef:1:{}", usize::MAX).as_bytes())
            .unwrap();
        Entry::new_in_store(
            &store,
            "svc",
            &Chunked::chunk_account("p", "0123456789abcdef", 0),
        )
        .unwrap()
        .set_secret(b"x")
        .unwrap();
        assert!(matches!(chunked.read("p"), Err(ReadError::Inconsistent)));
        assert_eq!(
            parse_pending(b"jira-auth-pending:v1:0123456789abcdef:99999999"),
            []
        );
        assert_eq!(
            parse_pending(b"jira-auth-pending:v1:0123456789abcdef:3,zz:1,0123456789abcdee:2"),
            [
                ("0123456789abcdef".to_string(), 3),
                ("0123456789abcdee".to_string(), 2)
            ]
        );
        assert_eq!(parse_pending(b"{}"), []);
    }

    #[test]
    fn without_a_limit_nothing_is_split() {
        let store = mock();
        let chunked = Chunked::new(&store, "svc", None);
        let value = big_config();
        chunked.write("p", &value).unwrap();
        assert_eq!(stored(&store, "p").unwrap(), value);
    }

    #[test]
    fn heads_parse_strictly() {
        let h = Head {
            generation: "0123456789abcdef".into(),
            count: 3,
            len: 6000,
        };
        assert_eq!(Head::parse(h.encode().as_bytes()), Some(h));
        for bad in [
            "jira-auth-chunks:v1:0123:3:6000",
            "jira-auth-chunks:v1:0123456789abcdef:0:6000",
            "jira-auth-chunks:v1:0123456789abcdef:3:6000:x",
            "jira-auth-chunks:v2:0123456789abcdef:3:6000",
            "{\"version\":1}",
        ] {
            assert_eq!(Head::parse(bad.as_bytes()), None, "{bad}");
        }
    }
}
