//! A snapshot of the whole model: every held event and every derived fact, so that a server
//! starts in the time it takes to read a file instead of re-deriving every event.
//!
//! The encoding is pure (bytes in, model out); the server decides where the file lives and
//! when to write it. A snapshot is only ever read by the build of the engine that wrote it,
//! with the same settings, and only when it is whole:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | `NAGAREMS` |
//! | 4 | format version ([`FORMAT`]) |
//! | 16 | engine fingerprint: a hash of core's sources and locked dependencies (`build.rs`) |
//! | 8 | settings fingerprint |
//! | 8 | store id: which database the model was derived from |
//! | 8 | store revision the model reflects |
//! | 8 | events held |
//! | 8 | payload length |
//! | 16 | XXH3-128 of the 68 bytes above and of the payload's own XXH3-128 |
//! | … | payload: the model, serde-encoded with `postcard` |
//!
//! Any difference (another format, another engine build, other settings, a length that does
//! not match, a checksum that does not match, a payload that does not decode to exactly its
//! length) is an error naming it, and the caller derives the model from the store instead.
//! So a stale, truncated or corrupt snapshot costs a slower start, never a wrong number.

use super::{Org, Settings};
use std::io::{Seek, SeekFrom, Write};
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// The layout version; bump it when the header changes.
pub const FORMAT: u32 = 2;
const MAGIC: &[u8; 8] = b"NAGAREMS";
/// This build's engine fingerprint (see `build.rs`).
pub const ENGINE: &str = env!("NAGARE_ENGINE_FINGERPRINT");
const HEADER: usize = 84;
/// The header bytes the checksum covers (all but the checksum itself).
const COVERED: usize = 68;
const LEN_AT: usize = 60;

/// Where a model came from: which store, at which revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub store_id: i64,
    pub rev: i64,
}

/// What a snapshot's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub stamp: Stamp,
    pub events: u64,
    /// The whole file's length the header implies.
    pub file_len: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a Nagare model snapshot")]
    NotASnapshot,
    #[error("snapshot format {found}; this build reads format {FORMAT}")]
    Format { found: u32 },
    #[error("written by another build of the engine ({found}; this build is {ENGINE})")]
    Engine { found: String },
    #[error(
        "written with other metric settings (incident window, environment tiers or time zone)"
    )]
    Settings,
    #[error("truncated: {found} bytes of {expected}")]
    Truncated { found: u64, expected: u64 },
    #[error("{found} bytes where the header says {expected}")]
    Length { found: u64, expected: u64 },
    #[error("checksum does not match: the file is corrupt")]
    Checksum,
    #[error("the model could not be encoded: {0}")]
    Encode(String),
    #[error("the payload does not decode: {0}")]
    Decode(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn settings_fingerprint(s: &Settings) -> u64 {
    xxh3_64(format!("{s:?}").as_bytes())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

fn checksum(covered: &[u8], payload_digest: u128) -> [u8; 16] {
    let mut h = Xxh3::new();
    h.update(covered);
    h.update(&payload_digest.to_le_bytes());
    h.digest128().to_le_bytes()
}

/// Counts and hashes what passes through to `inner`.
struct Hashing<W> {
    inner: W,
    hash: Xxh3,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Org {
    /// Writes the model to `out` from its current position, streamed (the encoding is never
    /// held in memory whole). `stamp` says which store and revision it reflects.
    pub fn write_snapshot<W: Write + Seek>(
        &self,
        stamp: Stamp,
        out: &mut W,
    ) -> Result<Header, SnapshotError> {
        let start = out.stream_position()?;
        let events = self.event_count() as u64;
        let mut head = Vec::with_capacity(HEADER);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&FORMAT.to_le_bytes());
        head.extend_from_slice(ENGINE.as_bytes());
        head.extend_from_slice(&settings_fingerprint(&self.settings).to_le_bytes());
        head.extend_from_slice(&stamp.store_id.to_le_bytes());
        head.extend_from_slice(&stamp.rev.to_le_bytes());
        head.extend_from_slice(&events.to_le_bytes());
        head.extend_from_slice(&0u64.to_le_bytes());
        head.extend_from_slice(&[0u8; 16]);
        debug_assert_eq!(head.len(), HEADER);
        out.write_all(&head)?;
        // Buffered before the hash, so that it hashes large runs, not each small write.
        let mut body = std::io::BufWriter::with_capacity(
            1 << 20,
            Hashing {
                inner: &mut *out,
                hash: Xxh3::new(),
                len: 0,
            },
        );
        postcard::to_io(self, &mut body).map_err(|e| SnapshotError::Encode(e.to_string()))?;
        let hashed = body.into_inner().map_err(|e| e.into_error())?;
        let (len, digest) = (hashed.len, hashed.hash.digest128());
        head[LEN_AT..LEN_AT + 8].copy_from_slice(&len.to_le_bytes());
        let sum = checksum(&head[..COVERED], digest);
        head[COVERED..].copy_from_slice(&sum);
        out.seek(SeekFrom::Start(start + LEN_AT as u64))?;
        out.write_all(&head[LEN_AT..])?;
        out.seek(SeekFrom::Start(start + HEADER as u64 + len))?;
        out.flush()?;
        Ok(Header {
            stamp,
            events,
            file_len: HEADER as u64 + len,
        })
    }

    /// Reads a snapshot's header (its first bytes suffice) and checks that this build, with
    /// `settings`, may read it.
    pub fn snapshot_header(bytes: &[u8], settings: &Settings) -> Result<Header, SnapshotError> {
        if bytes.len() < HEADER {
            let n = bytes.len().min(MAGIC.len());
            return Err(if bytes[..n] == MAGIC[..n] {
                SnapshotError::Truncated {
                    found: bytes.len() as u64,
                    expected: HEADER as u64,
                }
            } else {
                SnapshotError::NotASnapshot
            });
        }
        if &bytes[..8] != MAGIC {
            return Err(SnapshotError::NotASnapshot);
        }
        let mut f = [0u8; 4];
        f.copy_from_slice(&bytes[8..12]);
        let found = u32::from_le_bytes(f);
        if found != FORMAT {
            return Err(SnapshotError::Format { found });
        }
        if &bytes[12..28] != ENGINE.as_bytes() {
            return Err(SnapshotError::Engine {
                found: String::from_utf8_lossy(&bytes[12..28]).into_owned(),
            });
        }
        if u64_at(bytes, 28) != settings_fingerprint(settings) {
            return Err(SnapshotError::Settings);
        }
        Ok(Header {
            stamp: Stamp {
                store_id: u64_at(bytes, 36) as i64,
                rev: u64_at(bytes, 44) as i64,
            },
            events: u64_at(bytes, 52),
            file_len: (HEADER as u64).saturating_add(u64_at(bytes, LEN_AT)),
        })
    }

    /// The model a whole snapshot holds, with `settings` (which must be the ones it was
    /// written with).
    pub fn read_snapshot(bytes: &[u8], settings: Settings) -> Result<(Org, Header), SnapshotError> {
        let header = Org::snapshot_header(bytes, &settings)?;
        let found = bytes.len() as u64;
        if found < header.file_len {
            return Err(SnapshotError::Truncated {
                found,
                expected: header.file_len,
            });
        }
        if found > header.file_len {
            return Err(SnapshotError::Length {
                found,
                expected: header.file_len,
            });
        }
        let payload = &bytes[HEADER..];
        let sum = checksum(&bytes[..COVERED], xxhash_rust::xxh3::xxh3_128(payload));
        if bytes[COVERED..HEADER] != sum {
            return Err(SnapshotError::Checksum);
        }
        let (mut org, rest): (Org, &[u8]) =
            postcard::take_from_bytes(payload).map_err(|e| SnapshotError::Decode(e.to_string()))?;
        if !rest.is_empty() {
            return Err(SnapshotError::Decode(format!(
                "{} bytes left after the model",
                rest.len()
            )));
        }
        org.settings = settings;
        // Decoding grows each vector by doubling from a capped first guess (serde's cautious
        // size hint), so it leaves up to half of the large ones spare.
        org.compact();
        Ok((org, header))
    }
}
