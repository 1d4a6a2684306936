package store

import "testing"

func TestCleanJSON(t *testing.T) {
	cases := map[string]string{
		`{"a":"x\u0000y"}`:        `{"a":"x\ufffdy"}`,
		`{"a":"\\u0000"}`:         `{"a":"\\u0000"}`, // the six characters \u0000, not a NUL
		`{"a":"\\\u0000"}`:        `{"a":"\\\ufffd"}`,
		`{"a":"plain","b":"\n"}`:  `{"a":"plain","b":"\n"}`,
		`{"a":"\u00001","b":"x"}`: `{"a":"\ufffd1","b":"x"}`,
	}
	for in, want := range cases {
		if got := string(cleanJSON([]byte(in))); got != want {
			t.Errorf("cleanJSON(%s) = %s, want %s", in, got, want)
		}
	}
	if got := cleanText("a\x00b"); got != "a\uFFFDb" {
		t.Errorf("cleanText = %q", got)
	}
	if got := cleanText("a\xffb"); got != "a\uFFFDb" {
		t.Errorf("cleanText(invalid UTF-8) = %q", got)
	}
}
