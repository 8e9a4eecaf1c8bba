package policy

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

const secretAdvice = "keep secrets out of job files: render them from orbit's KV with a template ({{ key \"app/secret\" }} and env = true) or read them from a file under secrets/"

func checkLiteralSecret(c *checker) {
	re := assignmentRE()
	c.eachText(func(sc scope, t text) {
		if t.key != "" {
			// An env or config value: its key says whether it is a secret;
			// command-line arguments such as --password=x carry their own.
			key, value := t.key, t.value
			if k, v, ok := strings.Cut(value, "="); ok && strings.HasPrefix(k, "-") {
				key, value = k, v
			}
			if secretKey(key) && literalSecret(value) {
				c.report(sc, t.pos, fmt.Sprintf("%s has a literal value: %s", strings.TrimLeft(key, "-"), secretAdvice))
				return
			}
			if tok, ok := highEntropy(t.value); ok {
				c.report(sc, t.pos, fmt.Sprintf("%s holds a string that looks like a credential (%s...): %s", t.key, tok[:4], secretAdvice))
			}
			return
		}
		if key, value, at, ok := assignment(re, t.value); ok && secretKey(key) && literalSecret(value) {
			c.report(sc, t.posAt(at), fmt.Sprintf("template sets %s to a literal value: %s", key, secretAdvice))
			return
		}
		if tok, ok := highEntropy(t.value); ok {
			c.report(sc, t.posAt(strings.Index(t.value, tok)), fmt.Sprintf("template holds a string that looks like a credential (%s...): %s", tok[:4], secretAdvice))
		}
	})
}

// secretWords are parts of key names that hold secrets.
func secretWords() []string {
	return []string{"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "API_KEY",
		"ACCESSKEY", "ACCESS_KEY", "PRIVATEKEY", "PRIVATE_KEY", "CREDENTIAL", "AUTH_KEY", "AUTHKEY"}
}

// notSecretSuffixes end key names that name where or how a secret is found,
// not the secret itself (TOKEN_FILE, PASSWORD_PATH, SECRET_NAME).
func notSecretSuffixes() []string {
	return []string{"FILE", "PATH", "DIR", "TTL", "LENGTH", "LEN", "ENABLED", "TYPE", "NAME", "HEADER",
		"ROLE", "POLICY", "ENDPOINT", "URL", "URI", "ADDR", "HOST", "PORT", "TIMEOUT", "MODE", "FIELD", "ID"}
}

// secretKey reports whether a key names a secret.
func secretKey(key string) bool {
	k := strings.ToUpper(strings.Trim(strings.NewReplacer("-", "_", ".", "_").Replace(key), "_"))
	words := strings.Split(k, "_")
	for _, suffix := range notSecretSuffixes() {
		if len(words) > 1 && words[len(words)-1] == suffix {
			return false
		}
	}
	for _, w := range secretWords() {
		if strings.Contains(k, w) {
			return true
		}
	}
	for _, w := range words {
		if (w == "PASS" || w == "PWD") && k != "PWD" {
			return true
		}
	}
	return false
}

// literalSecret reports whether a value written for a secret key is a
// literal secret: not empty, not filled in at run time, not a file path.
func literalSecret(v string) bool {
	v = strings.Trim(strings.TrimSpace(v), `"';,`)
	switch {
	case v == "", runtime(v), strings.HasPrefix(v, "/"), strings.HasPrefix(v, "secrets/"):
		return false
	case strings.EqualFold(v, "true"), strings.EqualFold(v, "false"), strings.EqualFold(v, "null"):
		return false
	}
	return true
}

// assignmentRE matches "key = value", "key: value" and "export KEY=value".
func assignmentRE() *regexp.Regexp {
	return regexp.MustCompile(`^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*[:=]\s*(.*?)\s*$`)
}

// assignment splits a template line that assigns a value to a key; at is
// the byte offset of the key.
func assignment(re *regexp.Regexp, line string) (key, value string, at int, ok bool) {
	m := re.FindStringSubmatchIndex(line)
	if m == nil {
		return "", "", 0, false
	}
	return line[m[2]:m[3]], line[m[4]:m[5]], m[2], true
}

// knownPrefixes start well-known credential formats.
func knownPrefixes() []string {
	return []string{"ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "sk_live_", "sk-proj-", "AKIA"}
}

// highEntropy finds a token that looks like a credential: a known prefix,
// a private key, or a long random-looking mix of letters, digits and
// symbols. Hex strings (digests, ids) are not counted.
func highEntropy(s string) (string, bool) {
	if runtime(s) {
		return "", false
	}
	if strings.Contains(s, "PRIVATE KEY-----") {
		return "-----BEGIN PRIVATE KEY-----", true
	}
	tokens := strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+/=_-", r))
	})
	for _, tok := range tokens {
		for _, p := range knownPrefixes() {
			if strings.HasPrefix(tok, p) && len(tok) >= len(p)+16 {
				return tok, true
			}
		}
		if filePath(tok) {
			continue // /tmp/TestX123/001/app: a path, not a credential
		}
		if len(tok) >= 24 && charClasses(tok) >= 3 && entropy(tok) >= 4.0 {
			return tok, true
		}
	}
	return "", false
}

// filePath reports whether tok reads as an absolute file path: a leading
// slash and at least two more path segments. Base64 rarely starts so.
func filePath(tok string) bool {
	return strings.HasPrefix(tok, "/") && strings.Count(tok, "/") >= 3 && !strings.Contains(tok, "//")
}

func charClasses(s string) int {
	var lower, upper, digit, other int
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = 1
		case r >= 'A' && r <= 'Z':
			upper = 1
		case r >= '0' && r <= '9':
			digit = 1
		default:
			other = 1
		}
	}
	return lower + upper + digit + other
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}
