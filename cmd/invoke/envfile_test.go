package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestLoadEnvFile(t *testing.T) {
	tests := []struct {
		function  string
		wantFound bool
		want      []string
	}{
		{"EchoFunction", true, []string{"DEBUG=true", "ECHO_ONLY=yes", "PORT=8080", "RATIO=0.5", "SHARED=from-function", "STAGE=test"}},
		{"OtherFunction", true, []string{"DEBUG=true", "OTHER_ONLY=yes", "PORT=8080", "RATIO=0.5", "SHARED=from-parameters", "STAGE=test"}},
		{"MissingFunction", false, []string{"DEBUG=true", "PORT=8080", "RATIO=0.5", "SHARED=from-parameters", "STAGE=test"}},
	}
	for _, tt := range tests {
		got, found, err := loadEnvFile("testdata/env.json", tt.function)
		if err != nil {
			t.Fatal(err)
		}
		if found != tt.wantFound || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %q (found %v), want %q (found %v)", tt.function, got, found, tt.want, tt.wantFound)
		}
	}
}

func TestParseEnvFileErrors(t *testing.T) {
	for _, tt := range []struct{ doc, wantErr string }{
		{`[]`, "want {"},
		{`{"Parameters": "x"}`, "want {"},
		{`{"Fn": {"A": {"nested": 1}}}`, "Fn.A"},
		{`{"Fn": {"A": [1]}}`, "string, number or boolean"},
		{`{"Parameters": {"A=B": "x"}}`, "invalid variable name"},
		{`{"Fn": {"": "x"}}`, "invalid variable name"},
	} {
		if _, _, err := parseEnvFile([]byte(tt.doc), "Fn"); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want it to mention %q", tt.doc, err, tt.wantErr)
		}
	}
	if _, _, err := loadEnvFile("testdata/missing.json", "Fn"); err == nil {
		t.Error("missing file: no error")
	}
}
