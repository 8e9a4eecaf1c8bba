package report

import "testing"

func TestCaretPad(t *testing.T) {
	tests := []struct {
		line string
		col  int
		want string
	}{
		{"\t\tkey = 1", 3, "\t\t"},
		{"  key = 1", 5, "    "},
		{"key", 1, ""},
		{"ab", 9, "  "},
	}
	for _, tt := range tests {
		if got := caretPad(tt.line, tt.col); got != tt.want {
			t.Errorf("caretPad(%q, %d) = %q, want %q", tt.line, tt.col, got, tt.want)
		}
	}
}
