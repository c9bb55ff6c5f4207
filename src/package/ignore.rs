//! `.helmignore` as Helm applies it (pkg/ignore/rules.go): one pattern per line, `#`
//! comments, Go `filepath.Match` globs (not gitignore), a trailing `/` for directories
//! only, a leading `/` or any inner `/` to match the whole relative path (otherwise the
//! base name at any depth), `!` to negate; plus Helm's built-in `templates/.?*`.

use std::path::Path;

struct Rule {
    pattern: String,
    negate: bool,
    dir_only: bool,
    whole_path: bool,
}

pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    pub fn builtin() -> Rules {
        let mut r = Rules { rules: vec![] };
        r.add("templates/.?*").expect("valid built-in rule");
        r
    }

    /// The chart's top-level `.helmignore` (absent: only the built-in rule).
    pub fn load(chart_dir: &Path) -> Result<Rules, String> {
        let mut r = Rules::builtin();
        let p = chart_dir.join(".helmignore");
        if let Ok(text) = std::fs::read_to_string(&p) {
            for (i, line) in text.lines().enumerate() {
                r.add(line).map_err(|e| format!("{}:{}: {e}", p.display(), i + 1))?;
            }
        }
        Ok(r)
    }

    fn add(&mut self, line: &str) -> Result<(), String> {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        if line.contains("**") {
            return Err("`**` is not supported in .helmignore (Helm rejects it)".into());
        }
        let (negate, rest) = match line.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, line),
        };
        let (dir_only, rest) = match rest.strip_suffix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let whole_path = rest.starts_with('/') || rest.contains('/');
        let pattern = rest.trim_start_matches('/').to_string();
        // Validate the glob now, as Go's filepath.Match would fail at use.
        glob(&pattern, "")?;
        self.rules.push(Rule { pattern, negate, dir_only, whole_path });
        Ok(())
    }

    /// Whether `rel` (slash-separated, relative to the chart) is ignored.
    pub fn ignored(&self, rel: &str, is_dir: bool) -> bool {
        let base = rel.rsplit('/').next().unwrap_or(rel);
        for r in &self.rules {
            if r.dir_only && !is_dir {
                continue;
            }
            let subject = if r.whole_path { rel } else { base };
            if glob(&r.pattern, subject).unwrap_or(false) {
                return !r.negate;
            }
        }
        false
    }
}

/// Go's `filepath.Match` on `/`-separated names: `*`, `?`, `[...]` (with `^` negation and
/// ranges), `\` escapes. `Err` for a malformed pattern.
pub fn glob(pattern: &str, name: &str) -> Result<bool, String> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn class(p: &[char], mut i: usize, c: char) -> Result<(bool, usize), String> {
        // p[i] is just after '['
        let mut negate = false;
        if i < p.len() && p[i] == '^' {
            negate = true;
            i += 1;
        }
        let mut matched = false;
        let mut first = true;
        loop {
            if i >= p.len() {
                return Err("unterminated character class".into());
            }
            if p[i] == ']' && !first {
                return Ok((matched != negate, i + 1));
            }
            first = false;
            let mut lo = p[i];
            if lo == '\\' {
                i += 1;
                lo = *p.get(i).ok_or("bad escape")?;
            }
            i += 1;
            let mut hi = lo;
            if i + 1 < p.len() && p[i] == '-' && p[i + 1] != ']' {
                hi = p[i + 1];
                if hi == '\\' {
                    hi = *p.get(i + 2).ok_or("bad escape")?;
                    i += 1;
                }
                i += 2;
            }
            if lo <= c && c <= hi {
                matched = true;
            }
        }
    }
    fn go(p: &[char], n: &[char]) -> Result<bool, String> {
        let (mut pi, mut ni) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        loop {
            if pi < p.len() {
                match p[pi] {
                    '*' => {
                        star = Some((pi, ni));
                        pi += 1;
                        continue;
                    }
                    '?' if ni < n.len() && n[ni] != '/' => {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                    '[' if ni < n.len() && n[ni] != '/' => {
                        let (ok, next) = class(p, pi + 1, n[ni])?;
                        if ok {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    }
                    '\\' if pi + 1 < p.len() && ni < n.len() && p[pi + 1] == n[ni] => {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                    c if c != '?' && c != '[' && c != '\\' && ni < n.len() && c == n[ni] => {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if ni == n.len() {
                return Ok(true);
            }
            // Backtrack: let the last `*` swallow one more (non-separator) character.
            match star {
                Some((sp, sn)) if sn < n.len() && n[sn] != '/' => {
                    star = Some((sp, sn + 1));
                    pi = sp + 1;
                    ni = sn + 1;
                }
                _ => return Ok(false),
            }
        }
    }
    if pattern.is_empty() {
        return Ok(name.is_empty());
    }
    // Check the pattern is well formed even when the name is empty.
    let mut i = 0;
    while i < p.len() {
        if p[i] == '[' {
            let (_, next) = class(&p, i + 1, '\0')?;
            i = next;
        } else {
            i += 1;
        }
    }
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_filepath_match() {
        assert!(glob("*.key", "server.key").unwrap());
        assert!(!glob("*.key", "tls/server.key").unwrap(), "* does not cross /");
        assert!(glob("templates/.?*", "templates/.hidden").unwrap());
        assert!(!glob("templates/.?*", "templates/.").unwrap());
        assert!(glob("[a-c]x", "bx").unwrap());
        assert!(glob("[^a-c]x", "dx").unwrap());
        assert!(glob("a?c", "abc").unwrap());
        assert!(glob("*-crypto.yaml", "org1-crypto.yaml").unwrap());
        assert!(glob("[", "x").is_err());
    }

    #[test]
    fn helm_rule_semantics() {
        let mut r = Rules::builtin();
        for l in ["# comment", "", "*.bak", "secrets/", "/top.txt", "docs/*.md", "!keep.bak"] {
            r.add(l).unwrap();
        }
        assert!(r.ignored("a/b/c.bak", false), "base name at any depth");
        assert!(r.ignored("secrets", true));
        assert!(!r.ignored("secrets", false), "trailing / is for directories only");
        assert!(r.ignored("top.txt", false));
        assert!(!r.ignored("sub/top.txt", false), "leading / anchors");
        assert!(r.ignored("docs/a.md", false));
        assert!(r.ignored("templates/.x", false));
        assert!(!r.ignored("templates/x.yaml", false));
        assert!(r.add("a/**/b").is_err());
    }
}
