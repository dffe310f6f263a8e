package main

import (
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	c, err := parseArgs([]string{"-bootstrap", ".aws-sam/build/TokenFunction/bootstrap", "-event", "e.json"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{bootstrap: ".aws-sam/build/TokenFunction/bootstrap", event: "e.json", timeout: 10 * time.Second, initTimeout: 10 * time.Second, function: "TokenFunction"}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}

	c, err = parseArgs([]string{"-bootstrap", "bin/bootstrap", "-function", "SignupFunction", "-timeout", "3s", "-env-file", "env.json"}, io.Discard)
	if err != nil || c.function != "SignupFunction" || c.timeout != 3*time.Second || c.envFile != "env.json" {
		t.Errorf("got %+v, %v", c, err)
	}

	for _, args := range [][]string{
		{},
		{"-event", "e.json"},
		{"-bootstrap", "b", "extra"},
		{"-bootstrap", "b", "-timeout", "0s"},
		{"-bootstrap", "b", "-nope"},
	} {
		if _, err := parseArgs(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	if _, err := parseArgs([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestDefaultFunctionName(t *testing.T) {
	if got := defaultFunctionName(filepath.Join("x", "TokenFunction", "bootstrap")); got != "TokenFunction" {
		t.Errorf("got %q", got)
	}
	if got := defaultFunctionName("/bootstrap"); got != "function" {
		t.Errorf("root: got %q", got)
	}
}

func TestReadEvent(t *testing.T) {
	if b, err := readEvent("", nil); err != nil || string(b) != "{}" {
		t.Errorf("default: %s, %v", b, err)
	}
	if b, err := readEvent("-", strings.NewReader(`{"a":1}`)); err != nil || string(b) != `{"a":1}` {
		t.Errorf("stdin: %s, %v", b, err)
	}
	if _, err := readEvent("-", strings.NewReader(`{nope`)); err == nil {
		t.Error("invalid JSON accepted")
	}
	if _, err := readEvent("testdata/missing.json", nil); err == nil {
		t.Error("missing file accepted")
	}
}
