//! Kubernetes' naming rules (apimachinery validation), checked by fabchart because
//! `helm lint` and kubernetes-validate do not check composed names, port names or lengths.

/// DNS-1123 label: namespaces, chart names, label values we compose. `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, <= 63.
pub fn dns1123_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.len() > 63 {
        return Err(format!("it is {} characters long, more than 63", s.len()));
    }
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(format!("`{c}` is not allowed: use lower-case letters, digits and `-`"));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("it must start and end with a letter or digit".into());
    }
    Ok(())
}

/// DNS-1035 label: Service names. Like a DNS-1123 label, but must start with a letter.
pub fn dns1035_label(s: &str) -> Result<(), String> {
    dns1123_label(s)?;
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("a Service name must start with a letter".into());
    }
    Ok(())
}

/// DNS-1123 subdomain (host names in SANs, cluster domain): labels joined by dots, <= 253.
/// Upper case is accepted here because DNS is case-insensitive and cryptogen keeps case.
pub fn dns_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err(format!("it is {} characters long, more than 253", s.len()));
    }
    for label in s.split('.') {
        dns1123_label(&label.to_ascii_lowercase()).map_err(|e| format!("label `{label}`: {e}"))?;
    }
    Ok(())
}

/// IANA service name: container and Service port names. <= 15, `[-a-z0-9]`, a letter, no `--`.
pub fn port_name(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 15 {
        return Err(format!("`{s}` must be 1 to 15 characters"));
    }
    if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(format!("`{s}` may hold only lower-case letters, digits and `-`"));
    }
    if !s.chars().any(|c| c.is_ascii_lowercase()) || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Err(format!("`{s}` needs a letter and no leading, trailing or doubled `-`"));
    }
    Ok(())
}

/// A namespace derived from a cryptogen Domain: `org1.example.com` → `org1-example-com`.
pub fn namespace_from_domain(domain: &str) -> String {
    let s: String = domain
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' })
        .collect();
    s.trim_matches('-').to_string()
}

/// Fabric channel names: `^[a-z][a-z0-9.-]*$`, fewer than 250 characters.
pub fn channel_name(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() >= 250 {
        return Err("a channel name must be 1 to 249 characters".into());
    }
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("a channel name must start with a lower-case letter".into());
    }
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-')) {
        return Err(format!("`{c}` is not allowed: use lower-case letters, digits, `.` and `-`"));
    }
    Ok(())
}

/// An image repository (no tag or digest): lower-case letters, digits, `.`, `_`, `-`, `/`,
/// and `:` for a registry's port.
pub fn image_repository(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(c))
}

/// An image tag: up to 128 letters, digits, `.`, `_` and `-`, not starting with `.` or `-`.
pub fn image_tag(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && !s.starts_with(['.', '-']) && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Kubernetes resource quantity for a volume size, e.g. `10Gi`, `500Mi`, `1T`.
pub fn quantity(s: &str) -> Result<(), String> {
    let num_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, suffix) = s.split_at(num_end);
    let ok_num = !num.is_empty() && num.parse::<f64>().is_ok_and(|v| v > 0.0);
    let ok_suffix = matches!(suffix, "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "k" | "M" | "G" | "T" | "P" | "E");
    if ok_num && ok_suffix { Ok(()) } else { Err(format!("`{s}` is not a positive size such as `10Gi` or `500Mi`")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_rules() {
        assert!(dns1123_label("org1").is_ok());
        assert!(dns1123_label("Org1").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert!(dns1123_label("-a").is_err());
        assert!(dns1035_label("0peer").is_err());
        assert!(dns1035_label("peer0").is_ok());
        assert!(port_name("chaincode").is_ok());
        assert!(port_name("chaincode-listen").is_err()); // 16 characters
        assert!(port_name("a--b").is_err());
        assert!(port_name("7051").is_err());
        assert_eq!(namespace_from_domain("Org1.Example.com"), "org1-example-com");
        assert!(dns_subdomain("peer0.Org1.example.com").is_ok());
        assert!(dns_subdomain("peer_0.org1").is_err());
        assert!(channel_name("mychannel").is_ok());
        assert!(channel_name("MyChannel").is_err());
        assert!(quantity("10Gi").is_ok());
        assert!(quantity("10GB").is_err());
        assert!(quantity("0").is_err());
    }
}
