package shell

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "''"},
		{"plain", "'plain'"},
		{"it's", `'it'\''s'`},
		{"a b", "'a b'"},
		{"$(touch /tmp/x)", "'$(touch /tmp/x)'"},
		{"'; touch /tmp/x; '", `''\''; touch /tmp/x; '\'''`},
		{"line1\nline2", "'line1\nline2'"},
		{"`id`", "'`id`'"},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The shell must hand every quoted value back byte for byte, running nothing.
func TestQuoteRoundTripsThroughSh(t *testing.T) {
	for _, in := range []string{"it's", "$(id)", "'; touch /tmp/x; '", "a\nb", `back\slash`, "\"dq\"", "*", "~root", "-n"} {
		out, err := exec.Command("sh", "-c", "printf %s "+Quote(in)).Output()
		if err != nil {
			t.Fatalf("sh failed for %q: %v", in, err)
		}
		if string(out) != in {
			t.Errorf("round trip of %q gave %q", in, out)
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, seed := range []string{"", "'", "''", "a'b", "$(x)", "\x00", "\n'\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q := Quote(in)
		// Unquote by the shell's rules: outside quotes only `\'` may appear.
		var out []byte
		inQuote := false
		for i := 0; i < len(q); i++ {
			switch {
			case q[i] == '\'':
				inQuote = !inQuote
			case inQuote:
				out = append(out, q[i])
			case q[i] == '\\' && i+1 < len(q) && q[i+1] == '\'':
				out = append(out, '\'')
				i++
			default:
				t.Fatalf("Quote(%q) = %q has %q outside quotes", in, q, q[i])
			}
		}
		if inQuote || string(out) != in {
			t.Fatalf("Quote(%q) = %q does not unquote to the input", in, q)
		}
	})
}
