//! cryptogen's template strings: Go text/template with only field references, e.g.
//! `{{.Prefix}}{{.Index}}` or `{{.Hostname}}.{{.Domain}}`. cryptogen's data are flat
//! structs, so a field reference is all a crypto-config can meaningfully use; anything
//! else (pipelines, functions, unknown fields) is reported instead of half-supported.

/// The variables a template may use in a given place, with their values.
pub struct Vars<'a> {
    pub pairs: &'a [(&'a str, &'a str)],
}

/// Renders `text`, or explains what is wrong with it.
pub fn render(text: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in template `{text}`"))?;
        if after[..end].contains("{{") {
            return Err(format!("unclosed `{{{{` in template `{text}`: each `{{{{.Field` needs its `}}}}`"));
        }
        let inner = after[..end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        let field = inner.strip_prefix('.').filter(|f| {
            !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        let allowed: Vec<String> = vars.pairs.iter().map(|(k, _)| format!("{{{{.{k}}}}}")).collect();
        let Some(field) = field else {
            return Err(format!(
                "`{{{{{}}}}}` is not a field reference; templates here may use only {}",
                &after[..end],
                allowed.join(", ")
            ));
        };
        match vars.pairs.iter().find(|(k, _)| *k == field) {
            Some((_, v)) => out.push_str(v),
            None => {
                return Err(format!(
                    "unknown template variable `.{field}`; here only {} are defined",
                    allowed.join(", ")
                ));
            }
        }
        rest = &after[end + 2..];
    }
    if rest.contains("}}") {
        return Err(format!("stray `}}}}` in template `{text}`"));
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cryptogen_defaults() {
        let v = Vars { pairs: &[("Prefix", "peer"), ("Index", "3"), ("Domain", "org1")] };
        assert_eq!(render("{{.Prefix}}{{.Index}}", &v).unwrap(), "peer3");
        assert_eq!(render("{{ .Prefix }}-{{.Index}}.{{.Domain}}", &v).unwrap(), "peer-3.org1");
        assert_eq!(render("plain", &v).unwrap(), "plain");
    }

    #[test]
    fn rejects_what_cryptogen_data_cannot_answer() {
        let v = Vars { pairs: &[("Hostname", "peer0"), ("Domain", "org1")] };
        assert!(render("{{.Index}}", &v).unwrap_err().contains("unknown template variable `.Index`"));
        assert!(render("{{.Hostname", &v).unwrap_err().contains("unclosed"));
        assert!(render("{{.Hostname{{.Domain}}", &v).unwrap_err().contains("unclosed"));
        assert!(render("{{upper .Hostname}}", &v).unwrap_err().contains("not a field reference"));
        assert!(render("a}}", &v).unwrap_err().contains("stray"));
    }
}
