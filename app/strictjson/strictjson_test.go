package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		dup      string // the duplicate key reported, or "" for no duplicate
		bad      bool   // refused for another reason
	}{
		{name: "object", in: `{"a":1,"b":[1,{"a":2}],"c":{"a":{"a":3}}}`},
		{name: "same key in sibling objects", in: `[{"a":1},{"a":2}]`},
		{name: "scalar", in: ` "x" `},
		{name: "empty object and array", in: `{"a":{},"b":[],"c":[[]]}`},
		{name: "top level", in: `{"office":"A","staff":"S","office":"B"}`, dup: "office"},
		{name: "nested", in: `{"order":{"subscriber":{"iin":"1","iin":"2"}}}`, dup: "iin"},
		{name: "in an array", in: `{"files":[{"x":1},{"y":1,"y":2}]}`, dup: "y"},
		{name: "after a nested value", in: `{"a":{"b":1},"a":2}`, dup: "a"},
		{name: "case differs", in: `{"office":"A","Office":"B"}`, dup: "Office"},
		{name: "kelvin sign folds to k", in: `{"k":1,"\u212a":2}`, dup: "\u212a"},
		{name: "escaped", in: `{"office":"A","\u006fffice":"B"}`, dup: "office"},
		{name: "invalid UTF-8 decodes alike", in: "{\"a\xff\":1,\"a\xfe\":2}", dup: "a\ufffd"},
		{name: "empty", in: ``, bad: true},
		{name: "truncated", in: `{"a":1`, bad: true},
		{name: "trailing value", in: `{"a":1} {"a":2}`, bad: true},
		{name: "trailing junk", in: `{"a":1}x`, bad: true},
		{name: "missing colon", in: `{"a" 1}`, bad: true},
		{name: "too deep", in: strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check([]byte(tc.in))
			var de *DuplicateKeyError
			switch {
			case tc.dup != "":
				if !errors.As(err, &de) || de.Key != tc.dup {
					t.Fatalf("Check = %v, want duplicate %q", err, tc.dup)
				}
			case tc.bad:
				if err == nil || errors.As(err, &de) {
					t.Fatalf("Check = %v, want a syntax refusal", err)
				}
			case err != nil:
				t.Fatalf("Check = %v", err)
			}
		})
	}
}

func TestDepthLimitMatchesEncodingJSON(t *testing.T) {
	deep := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	var v any
	if err := Unmarshal([]byte(deep), &v); err != nil {
		t.Fatalf("depth %d: %v", maxDepth, err)
	}
}

func TestUnmarshal(t *testing.T) {
	var v struct {
		Office string `json:"office"`
	}
	err := Unmarshal([]byte(`{"office":"ALM-001","office":"ALM-002"}`), &v)
	if err == nil || err.Error() != `duplicate key "office"` {
		t.Fatalf("Unmarshal = %v", err)
	}
	if v.Office != "" {
		t.Errorf("v was filled: %q", v.Office)
	}
	if err := Unmarshal([]byte(`{"office":"ALM-001","extra":[1]}`), &v); err != nil || v.Office != "ALM-001" {
		t.Fatalf("Unmarshal = %v, %q", err, v.Office)
	}
}

// The message names the key and never the values around it; a huge key is
// cut so the message stays one short line.
func TestMessage(t *testing.T) {
	err := Check([]byte(`{"iin":"900101300123","iin":"850615400456"}`))
	if err == nil || strings.Contains(err.Error(), "900101") || strings.Contains(err.Error(), "850615") {
		t.Fatalf("message %v", err)
	}
	long := strings.Repeat("ә", 100)
	err = Check([]byte(`{"` + long + `":1,"` + long + `":2}`))
	if err == nil || len(err.Error()) > 2*maxKeyShown || !strings.HasSuffix(err.Error(), `…"`) {
		t.Fatalf("long key: %v", err)
	}
}

// FuzzCheck: Check never panics and accepts only what encoding/json
// accepts (it may refuse a duplicate before seeing that the rest is broken),
// and what encoding/json writes back from an accepted value passes too.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"a":[1,2,{"a":null}]}}`))
	f.Add([]byte(`{"a":1,"A":2}`))
	f.Add([]byte(`[{"x":"\u00e9"},{"x":true}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if Check(b) != nil {
			return
		}
		// Numbers as json.Number: a number past float64's range (1E1000) is
		// valid JSON, refused only by a float64 target, which is not Check's
		// business (the fuzzer found that oracle's mistake; its input is
		// kept under testdata/fuzz).
		var v any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("Check accepted what encoding/json refuses: %v", err)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(again); err != nil {
			t.Fatalf("re-encoded value refused: %v", err)
		}
	})
}
