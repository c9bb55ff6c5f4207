//! Fabric's signature policy language (common/policydsl), as `peer lifecycle chaincode
//! approveformyorg --signature-policy` and collection configs take it:
//!
//! ```text
//! policy    := principal | gate
//! gate      := ("AND" | "OR") "(" policy ("," policy)* ")"
//!            | "OutOf" "(" integer "," policy ("," policy)* ")"
//! principal := quote MSPID "." role quote        quote: ' or "
//! role      := member | admin | client | peer | orderer
//! ```
//!
//! As Fabric's parser registers them, gates are spelt `AND`/`And`/`and`, `OR`/`Or`/`or`
//! and `OutOf`/`outof`/`OUTOF`; a principal is `'<MSP ID>.<role>'` with an MSP ID of
//! letters, digits, `.` and `-` (no `_`) and a lower-case role. The parser checks the
//! syntax, the roles and that `OutOf`'s count can be met (Fabric accepts 0, always met,
//! and n+1, never met: both are mistakes here); the caller checks the MSP IDs.
//! [`Policy::render`] writes the canonical text fabchart hands to the peer CLI (single
//! quotes, no spaces), so the same policy always reads the same.

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    Principal { msp: String, role: String },
    /// n of the sub-policies (AND: all, OR: 1).
    OutOf(usize, Vec<Policy>),
}

impl Policy {
    /// The canonical text: `OR('Org1MSP.peer','Org2MSP.peer')`, `OutOf(2,'A.peer',...)`.
    pub fn render(&self) -> String {
        match self {
            Policy::Principal { msp, role } => format!("'{msp}.{role}'"),
            Policy::OutOf(n, subs) => {
                let inner: Vec<String> = subs.iter().map(Policy::render).collect();
                if *n == 1 {
                    format!("OR({})", inner.join(","))
                } else if *n == subs.len() {
                    format!("AND({})", inner.join(","))
                } else {
                    format!("OutOf({n},{})", inner.join(","))
                }
            }
        }
    }
    /// Every MSP ID the policy names, in order.
    pub fn msp_ids(&self) -> Vec<String> {
        match self {
            Policy::Principal { msp, .. } => vec![msp.clone()],
            Policy::OutOf(_, subs) => subs.iter().flat_map(Policy::msp_ids).collect(),
        }
    }
}

pub const ROLES: [&str; 5] = ["member", "admin", "client", "peer", "orderer"];

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn err(&self, what: &str) -> String {
        format!("{what} at character {}", self.i + 1)
    }
    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{}`", c as char)))
        }
    }
    fn word(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_') {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    fn policy(&mut self, depth: usize) -> Result<Policy, String> {
        if depth > 32 {
            return Err("the policy is nested too deeply".into());
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'\'' | b'"') => self.principal(),
            Some(_) => {
                let at = self.i;
                let name = self.word();
                let lower = name.to_ascii_lowercase();
                if !matches!(name.as_str(), "AND" | "And" | "and" | "OR" | "Or" | "or" | "OutOf" | "outof" | "OUTOF") {
                    if matches!(lower.as_str(), "and" | "or" | "outof") {
                        self.i = at;
                        return Err(self.err(&format!("`{name}` is not a spelling Fabric's policy parser knows: write AND, OR or OutOf")));
                    }
                    self.i = at;
                    return Err(self.err(&format!("expected AND(...), OR(...), OutOf(n, ...) or a quoted principal such as 'Org1MSP.peer', found `{name}`")));
                }
                self.eat(b'(')?;
                let mut n = None;
                if lower == "outof" {
                    self.ws();
                    let digits = self.word();
                    n = Some(digits.parse::<usize>().map_err(|_| self.err(&format!("OutOf needs a whole number first, not `{digits}`")))?);
                    self.eat(b',')?;
                }
                let mut subs = vec![self.policy(depth + 1)?];
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                        subs.push(self.policy(depth + 1)?);
                    } else {
                        break;
                    }
                }
                self.eat(b')')?;
                let count = match lower.as_str() {
                    "and" => subs.len(),
                    "or" => 1,
                    _ => n.unwrap_or(0),
                };
                if count == 0 || count > subs.len() {
                    return Err(format!("OutOf({count}, ...) asks for {count} of {} policies", subs.len()));
                }
                Ok(Policy::OutOf(count, subs))
            }
            None => Err(self.err("the policy ends too early")),
        }
    }
    fn principal(&mut self) -> Result<Policy, String> {
        let q = self.s[self.i];
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != q {
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return Err(format!("unclosed quote at character {start}"));
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        let Some((msp, role)) = text.rsplit_once('.') else {
            return Err(format!("principal '{text}' is not MSPID.role, e.g. 'Org1MSP.peer'"));
        };
        if msp.is_empty() {
            return Err(format!("principal '{text}' has no MSP ID"));
        }
        if let Some(c) = msp.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-')) {
            return Err(format!("principal '{text}': Fabric's policy parser takes MSP IDs of letters, digits, `.` and `-` only, not `{c}`"));
        }
        if !ROLES.contains(&role) {
            return Err(format!("principal '{text}': role `{role}` is not one of {}", ROLES.join(", ")));
        }
        Ok(Policy::Principal { msp: msp.to_string(), role: role.to_string() })
    }
}

/// Parses a policy; the error says what is wrong and where.
pub fn parse(text: &str) -> Result<Policy, String> {
    let mut p = P { s: text.as_bytes(), i: 0 };
    let policy = p.policy(0)?;
    p.ws();
    if p.i != text.len() {
        return Err(p.err("unexpected text after the policy"));
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fabric_forms_parse_and_mistakes_do_not() {
        let p = parse("OR('Org1MSP.peer','Org2MSP.peer')").unwrap();
        assert_eq!(p.msp_ids(), vec!["Org1MSP", "Org2MSP"]);
        assert!(parse("AND('A.member', OR(\"B.admin\", 'C.client'))").is_ok());
        assert!(parse("OutOf(2, 'A.peer', 'B.peer', 'C.peer')").is_ok());
        assert!(parse("outof(1, 'A.peer')").is_ok());
        assert_eq!(parse("or( \"A.peer\" ,  'B-1.x.member')").unwrap().render(), "OR('A.peer','B-1.x.member')");
        assert_eq!(parse("AND('A.peer')").unwrap().render(), "OR('A.peer')");
        assert_eq!(parse("OutOf(2,'A.peer','B.peer')").unwrap().render(), "AND('A.peer','B.peer')");
        assert_eq!(parse("OutOf(2, 'A.peer', 'B.peer', 'C.peer')").unwrap().render(), "OutOf(2,'A.peer','B.peer','C.peer')");
        for bad in ["", "OR('A.peer'", "OR(A.peer)", "XOR('A.peer')", "oR('A.peer')", "OutOf(3, 'A.peer', 'B.peer')", "OutOf(0, 'A.peer')", "OR('A.boss')", "OR('Apeer')", "OR('A_B.peer')", "'A.peer' junk", "OutOf(x, 'A.peer')"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
