//! The kernel's own record of the watch that enforces dfw in a network namespace, so two
//! watches (or a watch and a command through another state directory) cannot fight over
//! dfw's chains, whatever state directories, mount namespaces or files they use.
//!
//! Contract:
//! - A running watch holds the table `inet dfw-watch` ([`MARKER_TABLE`]), created with
//!   [`NFT_TABLE_F_OWNER`] on a netlink socket of its own ([`NetnsClaim`]) that it keeps open
//!   for its lifetime. The kernel ties the table to that socket: no other socket may change
//!   or delete it (`EPERM`), `nft flush ruleset` leaves it, and the kernel deletes it when the
//!   socket closes, however the watch ends (SIGKILL included). It has no chain and no hook:
//!   it filters nothing, and iptables never sees it (another family and table).
//! - Its userdata says who holds it ([`WatchMarker`]): a comment nft shows
//!   (`dfw-cli watch, pid N`) and dfw's own TLV `PID HASH DEV:INO STATE-DIR` newline `FILE`
//!   (the policy hash as in [`super::record::policy_hash`], the state directory's device and
//!   inode, then paths, cut to fit the 255 bytes of a TLV).
//! - [`NetnsClaim::take`] creates it exclusively: when it exists the claim is refused with
//!   what it says ([`ClaimError::Claimed`]), nothing else happened. A kernel that cannot
//!   own tables (before Linux 5.12) refuses the flag: the claim is then unmarked
//!   ([`NetnsClaim::marked`] false) and the caller says so. [`NetnsClaim::update`] replaces
//!   the userdata (delete and create in one batch, on the owning socket) when the watch's
//!   policy changes.
//! - [`read_marker`] is what commands read before changing dfw's chains (one table dump of
//!   the `inet` family; nothing when there is no marker).

use std::fmt;

use super::record::WatchInfo;
use crate::firewall::{query, FirewallError};
use crate::nft::{
    build_udata, parse_udata, Batch, DelTable, Family, GetTables, NewTableExclusive, Reply,
    TableMsg, Udata,
};
use crate::transport::{NetlinkTransport, Transport};
use crate::wire::consts::NFT_TABLE_F_OWNER;

/// The marker table's name (family `inet`).
pub const MARKER_TABLE: &str = "dfw-watch";
/// dfw's userdata TLV type for the record (nft ignores types it does not know).
const UDATA_RECORD: u8 = 0xdf;
/// Longest TLV value.
const TLV_MAX: usize = 255;
/// Longest userdata of a table (`NFT_USERDATA_MAXLEN`).
const USERDATA_MAX: usize = 256;

/// A directory's identity: device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

/// What the marker says about the watch holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchMarker {
    /// The watch's pid.
    pub pid: u32,
    /// The hash of the policy it enforces (or will apply), `-` for none.
    pub hash: String,
    /// Its state directory.
    pub state: DirId,
    /// Its state directory's path (cut to fit).
    pub state_path: String,
    /// The file it follows (cut to fit).
    pub config: String,
}

impl fmt::Display for WatchMarker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dfw-cli watch (pid {}) following {} (state directory {})",
            self.pid, self.config, self.state_path
        )
    }
}

impl WatchMarker {
    /// The running watch as the state directory's record describes one.
    pub fn info(&self) -> WatchInfo {
        WatchInfo {
            pid: self.pid,
            hash: self.hash.clone(),
            config: self.config.clone(),
        }
    }

    /// The table's userdata: the comment, then dfw's record (paths cut at a character
    /// boundary to fit).
    pub fn to_userdata(&self) -> Vec<u8> {
        let head = format!(
            "{} {} {}:{} ",
            self.pid,
            self.hash.replace(char::is_whitespace, "?"),
            self.state.dev,
            self.state.ino
        );
        let tail = format!(
            "{}\n{}",
            self.state_path.replace('\n', "?"),
            self.config.replace('\n', "?")
        );
        let mut tlvs = Vec::with_capacity(2);
        if let Ok(c) = Udata::comment(&format!("dfw-cli watch, pid {}", self.pid)) {
            tlvs.push(c);
        }
        let used: usize = tlvs.iter().map(|t| 2 + t.value.len()).sum();
        let room = TLV_MAX.min(USERDATA_MAX - used - 2);
        let mut record = head;
        for c in tail.chars() {
            if record.len() + c.len_utf8() > room {
                break;
            }
            record.push(c);
        }
        tlvs.push(Udata {
            kind: UDATA_RECORD,
            value: record.into_bytes(),
        });
        // Every value is at most 255 bytes: building cannot fail.
        build_udata(&tlvs).unwrap_or_default()
    }

    /// Reads the record back from a table's userdata.
    pub fn from_userdata(userdata: &[u8]) -> Option<WatchMarker> {
        let tlvs = parse_udata(userdata).ok()?;
        let record = tlvs.iter().find(|t| t.kind == UDATA_RECORD)?;
        let text = std::str::from_utf8(&record.value).ok()?;
        let mut w = text.splitn(4, ' ');
        let pid = w.next()?.parse().ok()?;
        let hash = w.next()?.to_string();
        let (dev, ino) = w.next()?.split_once(':')?;
        let rest = w.next()?;
        let (state_path, config) = rest.split_once('\n').unwrap_or((rest, ""));
        Some(WatchMarker {
            pid,
            hash,
            state: DirId {
                dev: dev.parse().ok()?,
                ino: ino.parse().ok()?,
            },
            state_path: state_path.to_string(),
            config: config.to_string(),
        })
    }
}

/// Why the namespace could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Another watch holds it.
    #[error(
        "another {0} holds this network namespace (its marker: table inet {MARKER_TABLE}): \
         one watch per network namespace (two would undo each other's policies); stop it \
         first (systemctl stop dfw-watch)"
    )]
    Claimed(WatchMarker),
    /// A table `inet dfw-watch` exists that is not a watch's marker.
    #[error(
        "the table inet {MARKER_TABLE} exists and is not a dfw watch's marker: delete it \
         (nft delete table inet {MARKER_TABLE}) or find who made it"
    )]
    Foreign,
    /// The kernel refused otherwise.
    #[error("marking the network namespace (table inet {MARKER_TABLE}): {0}")]
    Kernel(#[from] FirewallError),
}

/// The marker held by a running watch (see the module contract); dropping it closes the
/// socket, and the kernel deletes the marker.
#[derive(Debug)]
pub struct NetnsClaim {
    /// The owning socket; `None` when the kernel cannot own tables.
    conn: Option<NetlinkTransport>,
    /// What the marker says now.
    marker: WatchMarker,
}

impl NetnsClaim {
    /// Claims the calling thread's network namespace for the watch `marker` describes.
    ///
    /// # Errors
    /// [`ClaimError::Claimed`] naming the watch that holds it; [`ClaimError::Foreign`];
    /// [`ClaimError::Kernel`].
    pub fn take(marker: WatchMarker) -> Result<NetnsClaim, ClaimError> {
        let mut conn = NetlinkTransport::open().map_err(FirewallError::from)?;
        match send(&mut conn, &marker, false) {
            Ok(()) => Ok(NetnsClaim {
                conn: Some(conn),
                marker,
            }),
            // Owned by another socket (EPERM) or present (EEXIST): say whose.
            Err(e) if matches!(errno(&e), Some(libc::EEXIST | libc::EPERM)) => {
                match read_marker(&mut conn)? {
                    Some(other) => Err(ClaimError::Claimed(other)),
                    None if table_exists(&mut conn)? => Err(ClaimError::Foreign),
                    // Its watch ended between the two requests: the namespace is free.
                    None => {
                        send(&mut conn, &marker, false).map_err(ClaimError::Kernel)?;
                        Ok(NetnsClaim {
                            conn: Some(conn),
                            marker,
                        })
                    }
                }
            }
            // A kernel that does not know NFT_TABLE_F_OWNER (before 5.12).
            Err(e) if matches!(errno(&e), Some(libc::EOPNOTSUPP | libc::EINVAL)) => {
                Ok(NetnsClaim { conn: None, marker })
            }
            Err(e) => Err(ClaimError::Kernel(e)),
        }
    }

    /// False when the kernel cannot own tables: no marker, so another watch would not see
    /// this one.
    pub fn marked(&self) -> bool {
        self.conn.is_some()
    }

    /// Makes the marker say `marker` (a new policy hash); nothing when it says so already.
    ///
    /// # Errors
    /// [`FirewallError`] when the kernel refuses; the marker stays as it was.
    pub fn update(&mut self, marker: WatchMarker) -> Result<(), FirewallError> {
        if marker == self.marker {
            return Ok(());
        }
        if let Some(conn) = &mut self.conn {
            send(conn, &marker, true)?;
        }
        self.marker = marker;
        Ok(())
    }
}

/// Sends the batch creating the marker (after deleting the old one when `replace`).
fn send(
    conn: &mut NetlinkTransport,
    marker: &WatchMarker,
    replace: bool,
) -> Result<(), FirewallError> {
    let table = TableMsg {
        flags: Some(NFT_TABLE_F_OWNER),
        userdata: Some(marker.to_userdata()),
        ..TableMsg::new(Family::INET, MARKER_TABLE)
    };
    let mut batch = Batch::new(conn.alloc_seqs(4), None);
    if replace {
        batch.push(
            &DelTable {
                family: Family::INET,
                name: MARKER_TABLE.into(),
            },
            (),
        )?;
    }
    batch.push(&NewTableExclusive(table), ())?;
    conn.send_batch(batch.finish().bytes())
        .map_err(FirewallError::from)?;
    Ok(())
}

/// The errno of a rejected batch or request.
fn errno(e: &FirewallError) -> Option<i32> {
    e.errno()
}

/// The marker table of the `inet` family, as a dump shows it.
fn marker_table<T: Transport + ?Sized>(t: &mut T) -> Result<Option<TableMsg>, FirewallError> {
    let tables = query(
        t,
        &GetTables {
            family: Family::INET,
            name: None,
        },
    )?;
    Ok(tables.into_iter().find_map(|r| match r {
        Reply::Table(m) if m.name == MARKER_TABLE && m.family == Family::INET => Some(m),
        _ => None,
    }))
}

fn table_exists<T: Transport + ?Sized>(t: &mut T) -> Result<bool, FirewallError> {
    Ok(marker_table(t)?.is_some())
}

/// The watch holding the calling thread's network namespace, if one does (see the module
/// contract).
///
/// # Errors
/// [`FirewallError`] when the table dump fails.
pub fn read_marker<T: Transport + ?Sized>(t: &mut T) -> Result<Option<WatchMarker>, FirewallError> {
    Ok(marker_table(t)?
        .and_then(|m| m.userdata)
        .and_then(|u| WatchMarker::from_userdata(&u)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(config: &str) -> WatchMarker {
        WatchMarker {
            pid: 4242,
            hash: "00ff00ff00ff00ff".into(),
            state: DirId { dev: 2049, ino: 77 },
            state_path: "/var/lib/dfw".into(),
            config: config.into(),
        }
    }

    #[test]
    fn the_record_round_trips_and_nft_sees_a_comment() {
        let m = marker("/etc/dfw/my dfw.toml");
        let u = m.to_userdata();
        assert_eq!(WatchMarker::from_userdata(&u), Some(m));
        assert_eq!(
            crate::nft::udata_comment(&u).as_deref(),
            Some("dfw-cli watch, pid 4242")
        );
    }

    #[test]
    fn long_paths_are_cut_to_fit_and_the_rest_stays_exact() {
        let long = format!("/{}", "é".repeat(300));
        let u = marker(&long).to_userdata();
        let back = WatchMarker::from_userdata(&u).unwrap();
        assert_eq!(
            (back.pid, back.hash.as_str(), back.state),
            (4242, "00ff00ff00ff00ff", DirId { dev: 2049, ino: 77 })
        );
        assert!(long.starts_with(&back.config) && back.config.len() > 100);
        // The kernel's limit for a table's userdata (NFT_USERDATA_MAXLEN).
        assert!(u.len() <= 256, "{}", u.len());
    }

    #[test]
    fn other_userdata_is_no_marker() {
        let only_comment = build_udata(&[Udata::comment("mine").unwrap()]).unwrap();
        assert_eq!(WatchMarker::from_userdata(&only_comment), None);
        assert_eq!(WatchMarker::from_userdata(b"\xdf\x05x y z"), None);
        assert_eq!(WatchMarker::from_userdata(b"\x00"), None);
    }
}
