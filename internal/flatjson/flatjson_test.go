package flatjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var objectSeeds = []string{
	`{}`, ` { } `, `{"a":"b"}`, "\t{\"a\" : \"b\" ,\r\n\"c\":1}\n", `{"email":"jane@example.com","password":"Correct-Horse-42"}`,
	`{"access_token":"eyJ.x.y","token_type":"Bearer","expires_in":86400,"scope":"openid"}`,
	`{"n":-0.5e+10,"t":true,"f":false,"z":null}`, `{"a":"b","a":"c"}`, `{"k":"héllo ☃"}`,
	// Outside the fast subset or invalid: Object must say false.
	`{"a":"b\"c"}`, `{"a\u0062":1}`, `{"a":{"b":1}}`, `{"a":[1]}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`,
	`{"a":-}`, `{"a":tru}`, `{"a":nul}`, `{"a":"b"}x`, `{"a":"b"}{}`, `{"a":"b",}`, `{,}`, `{"a"}`, `{"a":}`, `{"a" "b"}`,
	`["a"]`, `"a"`, ``, `{`, `{"a":"b"`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "\v{}", `{"a":"b"}` + "\u00a0",
}

// TestObjectAgreesWithEncodingJSON checks the seeds; FuzzObject the rest.
func TestObjectAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range objectSeeds {
		checkObject(t, []byte(s))
	}
}

func FuzzObject(f *testing.F) {
	for _, s := range objectSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkObject(t, data) })
}

// checkObject: when Object accepts data, data is valid JSON and encoding/json
// reads the same members (the last of duplicate keys winning) from it.
func checkObject(t *testing.T, data []byte) {
	t.Helper()
	got := map[string]any{}
	ok := Object(data, func(key []byte, kind Kind, value []byte) bool {
		switch kind {
		case String:
			got[string(key)] = string(value)
		case Number:
			got[string(key)] = json.Number(value)
		case True:
			got[string(key)] = true
		case False:
			got[string(key)] = false
		case Null:
			got[string(key)] = nil
		default:
			t.Fatalf("kind %d", kind)
		}
		return true
	})
	if !ok {
		return
	}
	var want map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil || !json.Valid(data) {
		t.Fatalf("Object accepted %q, which encoding/json refuses: %v", data, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%q: Object read %v, encoding/json %v", data, got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Fatalf("%q: member %q: Object read %#v, encoding/json %#v", data, k, got[k], v)
		}
	}
}

func TestObjectStopsWhenFnSaysSo(t *testing.T) {
	calls := 0
	if Object([]byte(`{"a":1,"b":2}`), func([]byte, Kind, []byte) bool { calls++; return false }) || calls != 1 {
		t.Fatalf("calls = %d", calls)
	}
}

var stringSeeds = []string{
	"", "plain", `quote " and \ backslash`, "<script>&</script>", "\b\f\n\r\t\x00\x1f\x7f", "héllo ☃ 𝄞",
	"bad \xff utf-8 \xc3", "line\u2028sep\u2029", strings.Repeat("eyJhbGciOi", 50),
}

func TestAppendStringMatchesMarshal(t *testing.T) {
	for _, s := range stringSeeds {
		checkString(t, s)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

func checkString(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
		t.Fatalf("AppendString(%q) = %s, json.Marshal = %s", s, got[1:], want)
	}
}

func BenchmarkObject(b *testing.B) {
	data := []byte(`{"access_token":"` + strings.Repeat("eyJhbGciOi", 80) + `","scope":"openid","expires_in":86400,"token_type":"Bearer"}`)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Object(data, func([]byte, Kind, []byte) bool { return true })
	}
}
