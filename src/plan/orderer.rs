//! configtx.yaml's orderer settings, typed and checked: batch timeout and size (network
//! default, per-channel override), etcdraft options and SmartBFT options. Values are
//! written as configtxgen writes them: durations in Go's `time.Duration.String()` form
//! (`2000ms` becomes `2s`), byte sizes as numbers (`99 MB` becomes 103809024).
//!
//! A change to any of them on a running channel becomes a config update (batch settings
//! or consensus options), so they are checked here as Fabric checks them when it applies
//! one (common/channelconfig/orderer.go, orderer/consensus/etcdraft/util.go).

use serde::Serialize;

use crate::diag::{Diagnostics, Span};
use crate::topology::{Consensus, OrdererSettingsSpec, Settings, Sp};

/// configtx.yaml's sample values, fabchart's defaults since its first channel.
pub const BATCH_TIMEOUT: &str = "2s";
pub const MAX_MESSAGE_COUNT: u32 = 10;
pub const ABSOLUTE_MAX_BYTES: u32 = 99 * 1024 * 1024;
pub const PREFERRED_MAX_BYTES: u32 = 512 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub timeout: String,
    #[serde(rename = "maxMessageCount")]
    pub max_message_count: u32,
    #[serde(rename = "absoluteMaxBytes")]
    pub absolute_max_bytes: u32,
    #[serde(rename = "preferredMaxBytes")]
    pub preferred_max_bytes: u32,
}

impl Default for Batch {
    fn default() -> Batch {
        Batch { timeout: BATCH_TIMEOUT.into(), max_message_count: MAX_MESSAGE_COUNT, absolute_max_bytes: ABSOLUTE_MAX_BYTES, preferred_max_bytes: PREFERRED_MAX_BYTES }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaftOptions {
    #[serde(rename = "tickInterval")]
    pub tick_interval: String,
    #[serde(rename = "electionTick")]
    pub election_tick: u32,
    #[serde(rename = "heartbeatTick")]
    pub heartbeat_tick: u32,
    #[serde(rename = "maxInflightBlocks")]
    pub max_inflight_blocks: u32,
    #[serde(rename = "snapshotIntervalSize")]
    pub snapshot_interval_size: u32,
}

impl Default for RaftOptions {
    fn default() -> RaftOptions {
        RaftOptions { tick_interval: "500ms".into(), election_tick: 10, heartbeat_tick: 1, max_inflight_blocks: 5, snapshot_interval_size: 16 * 1024 * 1024 }
    }
}

/// A SmartBFT option's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BftValue {
    Count(u64),
    Duration(String),
}

/// SmartBFT options as test-network's BFT configtx.yaml sets them; options left out keep
/// their protobuf zero value, exactly as configtxgen encodes an absent key.
pub fn default_smartbft() -> Vec<(&'static str, BftValue)> {
    use BftValue::*;
    vec![
        ("RequestBatchMaxCount", Count(100)),
        ("RequestBatchMaxInterval", Duration("50ms".into())),
        ("RequestForwardTimeout", Duration("2s".into())),
        ("RequestComplainTimeout", Duration("20s".into())),
        ("RequestAutoRemoveTimeout", Duration("3m0s".into())),
        ("ViewChangeResendInterval", Duration("5s".into())),
        ("ViewChangeTimeout", Duration("20s".into())),
        ("LeaderHeartbeatTimeout", Duration("1m0s".into())),
        ("CollectTimeout", Duration("1s".into())),
        ("RequestBatchMaxBytes", Count(10 * 1024 * 1024)),
        ("IncomingMessageBufferSize", Count(200)),
        ("RequestPoolSize", Count(100_000)),
        ("LeaderHeartbeatCount", Count(10)),
    ]
}

/// Which SmartBFT options are durations (the others are counts; RequestBatchMaxBytes also
/// takes a byte size).
fn bft_is_duration(key: &str) -> bool {
    !matches!(key, "RequestBatchMaxCount" | "RequestBatchMaxBytes" | "IncomingMessageBufferSize" | "RequestPoolSize" | "LeaderHeartbeatCount")
}

/// `Network.Orderer`, defaults applied. Only the options of the network's consensus are
/// there (and in the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrdererSettings {
    /// The default batch settings of every channel.
    pub batch: Batch,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etcdraft: Option<RaftOptions>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_bft")]
    pub smartbft: Option<Vec<(&'static str, BftValue)>>,
}

fn ser_bft<S: serde::Serializer>(v: &Option<Vec<(&'static str, BftValue)>>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let v = v.as_deref().unwrap_or_default();
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        m.serialize_entry(k, x)?;
    }
    m.end()
}

// ---- Go durations ------------------------------------------------------------------------

/// time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0`; nanoseconds.
pub fn parse_duration(s: &str) -> Result<i128, String> {
    let mut rest = s.trim();
    let neg = rest.starts_with('-');
    rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(|| format!("missing unit in duration {s:?}"))?;
        let num = &rest[..num_end];
        if num.is_empty() || num == "." {
            return Err(format!("invalid duration {s:?}"));
        }
        rest = &rest[num_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("missing unit in duration {s:?}")),
            u => return Err(format!("unknown unit {u:?} in duration {s:?} (use ns, us, ms, s, m or h)")),
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("invalid duration {s:?}"));
        }
        let int: i128 = if int.is_empty() { 0 } else { int.parse().map_err(|_| format!("invalid duration {s:?}"))? };
        let mut value = int.checked_mul(scale).ok_or_else(|| format!("duration {s:?} is too large"))?;
        let mut f_scale = scale;
        for d in frac.chars() {
            f_scale /= 10;
            value += (d as i128 - '0' as i128) * f_scale;
        }
        total = total.checked_add(value).ok_or_else(|| format!("duration {s:?} is too large"))?;
    }
    if total > i64::MAX as i128 {
        return Err(format!("duration {s:?} is too large"));
    }
    Ok(if neg { -total } else { total })
}

/// time.Duration.String() for a non-negative duration in nanoseconds.
pub fn format_duration(ns: i128) -> String {
    fn frac(v: u128, prec: u32) -> (String, u128) {
        let p = 10u128.pow(prec);
        let f = v % p;
        if f == 0 {
            return (String::new(), v / p);
        }
        let digits = format!("{f:0width$}", width = prec as usize);
        (format!(".{}", digits.trim_end_matches('0')), v / p)
    }
    let u = ns.unsigned_abs();
    let sign = if ns < 0 { "-" } else { "" };
    if u == 0 {
        return "0s".into();
    }
    if u < 1_000 {
        return format!("{sign}{u}ns");
    }
    if u < 1_000_000 {
        let (f, i) = frac(u, 3);
        return format!("{sign}{i}{f}µs");
    }
    if u < 1_000_000_000 {
        let (f, i) = frac(u, 6);
        return format!("{sign}{i}{f}ms");
    }
    let (f, secs) = frac(u, 9);
    let (s, mins) = (secs % 60, secs / 60);
    let (m, hours) = (mins % 60, mins / 60);
    if hours > 0 {
        format!("{sign}{hours}h{m}m{s}{f}s")
    } else if mins > 0 {
        format!("{sign}{m}m{s}{f}s")
    } else {
        format!("{sign}{s}{f}s")
    }
}

// ---- reading the settings ------------------------------------------------------------------

struct Reader<'a> {
    d: &'a mut Diagnostics,
}

impl Reader<'_> {
    fn duration(&mut self, v: &Sp<String>, path: &str) -> Option<String> {
        match parse_duration(&v.v) {
            Ok(ns) if ns > 0 => Some(format_duration(ns)),
            Ok(_) => {
                self.d.error(Some(v.span), format!("{path} must be longer than zero (it is {:?})", v.v)).add_help("Fabric refuses a config with a zero or negative duration here; e.g. `2s`");
                None
            }
            Err(e) => {
                self.d.error(Some(v.span), format!("{path}: {e}")).add_help("write a Go duration, as configtx.yaml does: e.g. `2s`, `500ms`, `1m30s`");
                None
            }
        }
    }

    /// A positive whole number no larger than `max`; byte sizes may carry a KB/MB/GB unit
    /// (configtxgen's rule: 1 KB = 1024 bytes).
    fn number(&mut self, v: &Sp<String>, path: &str, max: u64, bytes: bool) -> Option<u64> {
        let t = v.v.trim();
        let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
            Some(i) if bytes => (&t[..i], t[i..].trim().to_ascii_lowercase()),
            Some(_) => ("", String::new()),
            None => (t, String::new()),
        };
        let shift = match unit.trim_end_matches('b') {
            "" => 0,
            "k" => 10,
            "m" => 20,
            "g" => 30,
            _ => 64,
        };
        let n = digits.parse::<u64>().ok().filter(|_| shift < 64).and_then(|n| n.checked_shl(shift).filter(|x| x >> shift == n));
        match n {
            Some(0) => {
                self.d.error(Some(v.span), format!("{path} must be greater than zero")).add_help("Fabric refuses a config update that sets it to 0");
                None
            }
            Some(n) if n <= max => Some(n),
            Some(n) => {
                self.d.error(Some(v.span), format!("{path} is {n}, more than the field holds ({max})")).add_help("use a smaller value");
                None
            }
            None => {
                let help = if bytes { "write a number of bytes, or one with a unit as configtx.yaml does: e.g. `99 MB`, `512 KB`" } else { "write a whole number, e.g. `10`" };
                self.d.error(Some(v.span), format!("{path} `{}` is not {}", v.v, if bytes { "a byte size" } else { "a whole number" })).add_help(help);
                None
            }
        }
    }

    fn batch(&mut self, spec: &OrdererSettingsSpec, base: &Batch, path: &str) -> Batch {
        let mut b = base.clone();
        if let Some(t) = &spec.batch_timeout
            && let Some(x) = self.duration(t, &format!("{path}.BatchTimeout"))
        {
            b.timeout = x;
        }
        for (k, v) in &spec.batch_size {
            let p = format!("{path}.BatchSize.{k}");
            let bytes = *k != "MaxMessageCount";
            if let Some(n) = self.number(v, &p, u32::MAX as u64, bytes) {
                match *k {
                    "MaxMessageCount" => b.max_message_count = n as u32,
                    "AbsoluteMaxBytes" => b.absolute_max_bytes = n as u32,
                    _ => b.preferred_max_bytes = n as u32,
                }
            }
        }
        if b.preferred_max_bytes > b.absolute_max_bytes {
            let at = find(&spec.batch_size, "PreferredMaxBytes").or(find(&spec.batch_size, "AbsoluteMaxBytes"));
            self.d
                .error(at, format!("{path}.BatchSize.PreferredMaxBytes ({}) is greater than AbsoluteMaxBytes ({})", b.preferred_max_bytes, b.absolute_max_bytes))
                .add_help("Fabric refuses such a batch size; keep PreferredMaxBytes at or below AbsoluteMaxBytes");
        }
        b
    }
}

fn find(s: &Settings, key: &str) -> Option<Span> {
    s.iter().find(|(k, _)| *k == key).map(|(_, v)| v.span)
}

/// `Network.Orderer`, defaults applied.
pub fn settings(spec: &OrdererSettingsSpec, consensus: Consensus, d: &mut Diagnostics) -> OrdererSettings {
    let mut r = Reader { d };
    let batch = r.batch(spec, &Batch::default(), "Network.Orderer");
    let mut raft = RaftOptions::default();
    let mut bft = default_smartbft();
    let e = &mut raft;
    for (k, v) in &spec.etcdraft {
        let p = format!("Network.Orderer.EtcdRaft.{k}");
        match *k {
            "TickInterval" => {
                if let Some(x) = r.duration(v, &p) {
                    e.tick_interval = x;
                }
            }
            "SnapshotIntervalSize" => {
                if let Some(n) = r.number(v, &p, u32::MAX as u64, true) {
                    e.snapshot_interval_size = n as u32;
                }
            }
            _ => {
                if let Some(n) = r.number(v, &p, u32::MAX as u64, false) {
                    match *k {
                        "ElectionTick" => e.election_tick = n as u32,
                        "HeartbeatTick" => e.heartbeat_tick = n as u32,
                        _ => e.max_inflight_blocks = n as u32,
                    }
                }
            }
        }
    }
    if e.election_tick <= e.heartbeat_tick {
        let at = find(&spec.etcdraft, "ElectionTick").or(find(&spec.etcdraft, "HeartbeatTick"));
        r.d.error(at, format!("Network.Orderer.EtcdRaft.ElectionTick ({}) must be greater than HeartbeatTick ({})", e.election_tick, e.heartbeat_tick))
            .add_help("etcdraft refuses these options; the default is ElectionTick 10, HeartbeatTick 1");
    }
    for (k, v) in &spec.smartbft {
        let p = format!("Network.Orderer.SmartBFT.{k}");
        let value = if bft_is_duration(k) { r.duration(v, &p).map(BftValue::Duration) } else { r.number(v, &p, u64::MAX, *k == "RequestBatchMaxBytes").map(BftValue::Count) };
        if let Some(x) = value
            && let Some(slot) = bft.iter_mut().find(|(key, _)| key == k)
        {
            slot.1 = x;
        }
    }
    if !spec.etcdraft.is_empty() && consensus != Consensus::EtcdRaft {
        r.d.warning(spec.etcdraft_span, format!("Network.Orderer.EtcdRaft is ignored: the consensus is {}", consensus.as_str())).add_help("remove it, or set `Consensus: etcdraft`");
    }
    if !spec.smartbft.is_empty() && consensus != Consensus::Bft {
        r.d.warning(spec.smartbft_span, format!("Network.Orderer.SmartBFT is ignored: the consensus is {}", consensus.as_str())).add_help("remove it, or set `Consensus: BFT`");
    }
    OrdererSettings { batch, etcdraft: (consensus == Consensus::EtcdRaft).then_some(raft), smartbft: (consensus == Consensus::Bft).then_some(bft) }
}

/// A channel's batch settings: its own keys over the network's.
pub fn channel_batch(spec: &OrdererSettingsSpec, network: &Batch, channel: &str, d: &mut Diagnostics) -> Batch {
    Reader { d }.batch(spec, network, &format!("Channels[{channel}]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_as_go_prints_them() {
        for (input, want) in [("2s", "2s"), ("2000ms", "2s"), ("500ms", "500ms"), ("180s", "3m0s"), ("1m", "1m0s"), ("1.5s", "1.5s"), ("90m", "1h30m0s"), ("1500us", "1.5ms"), ("250ns", "250ns"), ("1h2m3.004s", "1h2m3.004s")] {
            assert_eq!(format_duration(parse_duration(input).unwrap()), want, "{input}");
        }
        for bad in ["", "2", "2x", "s", ".s", "1.2.3s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
